//! One module per screen.

mod audit;
mod auth;
mod checks;
mod home;
mod inbox;
mod messages;
mod not_found;
mod settings;
mod settings_page;
mod setup;
mod simulator;
mod users;

pub use audit::AuditPage;
pub use auth::{Auth, CurrentUser, Gate, PageAlertText, RequirePermission, UserMenu};
pub use home::HomePage;
pub use inbox::InboxPage;
pub use messages::MessagesPage;
pub use not_found::NotFound;
pub use settings::SettingsPage;
pub use setup::SetupPage;
pub use simulator::SimulatorPage;
pub use users::UsersPage;
