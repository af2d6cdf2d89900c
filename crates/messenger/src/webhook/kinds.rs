//! Typed payloads of the webhook event kinds (§3). Every field is optional or defaulted so
//! that older / newer shapes still parse; unknown extra fields are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::de::{id_list, opt_id, opt_int};

/// An inbound user `message` (not an echo).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Message {
    /// Message id (`m_...`).
    #[serde(default)]
    pub mid: String,
    #[serde(default)]
    pub text: Option<String>,
    /// Present only when the user tapped a quick reply; `text` is then its title.
    #[serde(default)]
    pub quick_reply: Option<QuickReplyTap>,
    #[serde(default)]
    pub reply_to: Option<ReplyTo>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub attachments: Vec<Attachment>,
    /// Stickers (the like button is one) carry a numeric id; kept as a string.
    #[serde(default, deserialize_with = "opt_id")]
    pub sticker_id: Option<String>,
}

/// `message.quick_reply`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct QuickReplyTap {
    #[serde(default)]
    pub payload: String,
}

/// `message.reply_to`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReplyTo {
    #[serde(default)]
    pub mid: Option<String>,
}

/// One inbound attachment. `payload` varies by type (url, coordinates, template...), so it
/// is kept raw; `fallback` attachments may have `payload: null` plus `title`/`url`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attachment {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub payload: Option<Value>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

impl Attachment {
    /// `payload.url`, or the top-level `url` of fallback attachments.
    pub fn url(&self) -> Option<&str> {
        self.payload
            .as_ref()
            .and_then(|p| p.get("url"))
            .and_then(Value::as_str)
            .or(self.url.as_deref())
    }
}

/// A `message` with `is_echo: true`: something the page sent (bot or human agent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Echo {
    #[serde(default)]
    pub mid: String,
    /// App that sent it (Baton's own id, Page Inbox `263902037430900`, or absent).
    #[serde(default, deserialize_with = "opt_id")]
    pub app_id: Option<String>,
    /// The `message.metadata` string given to the Send API.
    #[serde(default)]
    pub metadata: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub attachments: Vec<Attachment>,
    #[serde(default, deserialize_with = "opt_id")]
    pub sticker_id: Option<String>,
}

/// A `postback` (button, Get Started, persistent menu). `payload` is absent on standby.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Postback {
    #[serde(default)]
    pub mid: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub referral: Option<Referral>,
}

/// A `referral` (m.me link, ad, QR code, chat plugin), standalone or inside a postback.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Referral {
    #[serde(rename = "ref", default)]
    pub ref_param: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    pub ad_id: Option<String>,
    #[serde(default)]
    pub referer_uri: Option<String>,
}

/// `read`: everything up to `watermark` (ms) was seen.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Read {
    #[serde(default, deserialize_with = "opt_int")]
    pub watermark: Option<i64>,
}

/// `delivery`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Delivery {
    #[serde(default, deserialize_with = "id_list")]
    pub mids: Vec<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub watermark: Option<i64>,
}

/// `reaction`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub mid: Option<String>,
    /// `react` / `unreact`.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub reaction: Option<String>,
    #[serde(default)]
    pub emoji: Option<String>,
}

/// `pass_thread_control` (delivered to the new owner) and `take_thread_control` (delivered to
/// the app that lost control). Every field optional; ids normalised to strings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ThreadControl {
    #[serde(default, deserialize_with = "opt_id")]
    pub previous_owner_app_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    pub new_owner_app_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// `request_thread_control` (delivered to the current owner).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct RequestThreadControl {
    #[serde(default, deserialize_with = "opt_id")]
    pub requested_owner_app_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// `app_roles`: app id -> roles (`primary_receiver` / `secondary_receiver`).
pub type AppRoles = BTreeMap<String, Vec<String>>;

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
