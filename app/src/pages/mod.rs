//! One module per screen.

mod audit;
mod auth;
mod home;
mod inbox;
mod messages;
mod not_found;
mod placeholder;
mod settings;
mod simulator;
mod users;

pub use audit::AuditPage;
pub use auth::{Auth, CurrentUser, Gate, RequirePermission, UserMenu};
pub use home::HomePage;
pub use inbox::InboxPage;
pub use messages::MessagesPage;
pub use not_found::NotFound;
pub use placeholder::NotBuiltYet;
pub use settings::SettingsPage;
pub use simulator::SimulatorPage;
pub use users::UsersPage;
