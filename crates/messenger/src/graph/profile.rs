//! Messenger Profile API types (§7): Get Started, greeting, persistent menu.

use serde::{Deserialize, Serialize};

use crate::send::Button;

/// Body of `POST /me/messenger_profile`; unset fields are left out (and left unchanged).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessengerProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_started: Option<GetStarted>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub greeting: Vec<Greeting>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persistent_menu: Vec<MenuLocale>,
}

/// `get_started: {"payload": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetStarted {
    pub payload: String,
}

/// One greeting per locale (`default` required); placeholders like `{{user_first_name}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greeting {
    pub locale: String,
    pub text: String,
}

/// One persistent menu per locale: a flat list of up to 20 postback / web_url items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuLocale {
    pub locale: String,
    #[serde(default)]
    pub composer_input_disabled: bool,
    pub call_to_actions: Vec<Button>,
}

impl MessengerProfile {
    /// Convenience: a profile with only Get Started set.
    pub fn get_started(payload: impl Into<String>) -> Self {
        Self {
            get_started: Some(GetStarted {
                payload: payload.into(),
            }),
            ..Default::default()
        }
    }
}

/// Messenger profile field names for get/delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    GetStarted,
    Greeting,
    PersistentMenu,
    IceBreakers,
}

impl ProfileField {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileField::GetStarted => "get_started",
            ProfileField::Greeting => "greeting",
            ProfileField::PersistentMenu => "persistent_menu",
            ProfileField::IceBreakers => "ice_breakers",
        }
    }
}
