//! One module per screen.

mod home;
mod not_found;
mod placeholder;
mod settings;

pub use home::HomePage;
pub use not_found::NotFound;
pub use placeholder::NotBuiltYet;
pub use settings::SettingsPage;
