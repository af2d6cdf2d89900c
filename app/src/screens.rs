//! The main screens: one list for the navigation (app.rs) and the home screen's cards.

use model::Permission;

/// A main screen: where it is, what it is called and for, and who may open it (the navigation
/// and the home screen's cards both list these).
#[derive(Clone, Copy)]
pub struct Screen {
    pub href: &'static str,
    pub label: &'static str,
    pub blurb: &'static str,
    pub permission: Permission,
}

/// The main screens, in navigation order.
pub const SCREENS: [Screen; 5] = [
    Screen {
        href: "/messages",
        label: "Messages",
        blurb: "Build the bot's messages and buttons.",
        permission: Permission::EditFlows,
    },
    Screen {
        href: "/inbox",
        label: "Inbox",
        blurb: "See who asked for a human.",
        permission: Permission::WorkInbox,
    },
    Screen {
        href: "/simulator",
        label: "Simulator",
        blurb: "Try the bot with a test user, offline.",
        permission: Permission::UseSimulator,
    },
    Screen {
        href: "/setup",
        label: "Setup",
        blurb: "Connect a Facebook Page, step by step.",
        permission: Permission::RunSetup,
    },
    Screen {
        href: "/settings",
        label: "Settings",
        blurb: "The page's health, users and the audit log.",
        permission: Permission::ManageSettings,
    },
];
