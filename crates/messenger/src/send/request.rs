//! The Send API's request and response types (the body of `POST /me/messages` and its
//! answer) and the constructors Baton builds them with (`SendRequest::text`,
//! `OutgoingMessage::buttons`, ...). Each serializes to the shape Meta documents.

use serde::{Deserialize, Serialize};

/// Body of `POST /me/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub recipient: Recipient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_type: Option<MessagingType>,
    /// Required with `MESSAGE_TAG`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<MessageTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<OutgoingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_action: Option<SenderAction>,
    /// Conversation Routing: a thread-control change made by the same call as the message
    /// (`{"control_type": "pass", "app_id": ...}`), so both succeed or fail together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_control: Option<ThreadControl>,
}

/// The Send API's `thread_control` field: after delivering the message, pass the thread to
/// `app_id`, or release it (back to the page's default app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadControl {
    pub control_type: ControlType,
    /// The app that gets the thread (`pass` only). Sent as a number, as Meta's samples do.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "app_id_as_number",
        deserialize_with = "app_id_any"
    )]
    pub app_id: Option<String>,
}

/// `thread_control.control_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlType {
    Pass,
    Release,
}

impl ThreadControl {
    /// Pass the thread to `app_id` with the message.
    pub fn pass(app_id: impl Into<String>) -> Self {
        Self {
            control_type: ControlType::Pass,
            app_id: Some(app_id.into()),
        }
    }
}

fn app_id_as_number<S: serde::Serializer>(id: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match id.as_deref().map(|i| (i, i.parse::<u64>())) {
        Some((_, Ok(n))) => s.serialize_u64(n),
        Some((i, Err(_))) => s.serialize_str(i),
        None => s.serialize_none(),
    }
}

fn app_id_any<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// `recipient: {"id": PSID}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: String,
}

/// `messaging_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessagingType {
    /// Reply inside the 24 h window.
    Response,
    /// Proactive, inside the window.
    Update,
    /// Outside the window with a `tag`.
    MessageTag,
}

/// `tag` for `MESSAGE_TAG` sends. `HUMAN_AGENT` (a person's reply up to 7 days after the
/// user's last message; needs Meta's Human Agent permission) is the only tag left: Meta removed
/// `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` and `ACCOUNT_UPDATE` on April 27, 2026 and
/// answers them with error 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageTag {
    HumanAgent,
}

/// The tags Meta removed on April 27, 2026 (they now fail with error 100).
pub const REMOVED_TAGS: [&str; 3] = [
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
];

/// `sender_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderAction {
    TypingOn,
    TypingOff,
    MarkSeen,
}

/// `message`: `text` or `attachment`, optional quick replies and metadata.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OutgoingMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<OutgoingAttachment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    /// Free string echoed back in `message_echoes` (Baton tags its sends with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// `message.attachment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum OutgoingAttachment {
    Template(Template),
    Image(MediaPayload),
}

/// `attachment.payload` for templates. Only the button template is modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template_type", rename_all = "snake_case")]
pub enum Template {
    Button { text: String, buttons: Vec<Button> },
}

/// `attachment.payload` for media sent by URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaPayload {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_reusable: Option<bool>,
}

/// A template / persistent-menu button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Button {
    Postback { title: String, payload: String },
    WebUrl { title: String, url: String },
}

impl Button {
    /// The button's label.
    pub fn title(&self) -> &str {
        match self {
            Button::Postback { title, .. } | Button::WebUrl { title, .. } => title,
        }
    }
}

/// `quick_replies[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub content_type: QuickReplyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

impl QuickReply {
    /// A `text` quick reply.
    pub fn text(title: impl Into<String>, payload: impl Into<String>) -> Self {
        Self {
            content_type: QuickReplyType::Text,
            title: Some(title.into()),
            payload: Some(payload.into()),
            image_url: None,
        }
    }
}

/// `quick_replies[].content_type` (`location` was removed by Meta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuickReplyType {
    Text,
    UserPhoneNumber,
    UserEmail,
}

/// `200` body of a send: `message_id` is absent for sender actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    pub recipient_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl SendRequest {
    /// A text reply (`RESPONSE`).
    pub fn text(psid: impl Into<String>, text: impl Into<String>) -> Self {
        Self::message(
            psid,
            MessagingType::Response,
            OutgoingMessage {
                text: Some(text.into()),
                ..Default::default()
            },
        )
    }

    /// A message with the given `messaging_type`.
    pub fn message(
        psid: impl Into<String>,
        messaging_type: MessagingType,
        message: OutgoingMessage,
    ) -> Self {
        Self {
            recipient: Recipient { id: psid.into() },
            messaging_type: Some(messaging_type),
            tag: None,
            message: Some(message),
            sender_action: None,
            thread_control: None,
        }
    }

    /// A human-agent reply (`MESSAGE_TAG` + `HUMAN_AGENT`, allowed up to 7 days).
    pub fn human_agent(psid: impl Into<String>, message: OutgoingMessage) -> Self {
        Self {
            tag: Some(MessageTag::HumanAgent),
            ..Self::message(psid, MessagingType::MessageTag, message)
        }
    }

    /// A sender action (typing indicator / mark seen); no message, no messaging_type.
    pub fn action(psid: impl Into<String>, action: SenderAction) -> Self {
        Self {
            recipient: Recipient { id: psid.into() },
            messaging_type: None,
            tag: None,
            message: None,
            sender_action: Some(action),
            thread_control: None,
        }
    }

    /// Passes the thread to `app_id` in the same call (Conversation Routing).
    pub fn with_pass_to(mut self, app_id: impl Into<String>) -> Self {
        self.thread_control = Some(ThreadControl::pass(app_id));
        self
    }

    /// Sets `message.metadata` (no-op for sender actions).
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        if let Some(m) = self.message.as_mut() {
            m.metadata = Some(metadata.into());
        }
        self
    }
}

impl OutgoingMessage {
    /// A button template message.
    pub fn buttons(text: impl Into<String>, buttons: Vec<Button>) -> Self {
        Self {
            attachment: Some(OutgoingAttachment::Template(Template::Button {
                text: text.into(),
                buttons,
            })),
            ..Default::default()
        }
    }

    /// An image sent by URL.
    pub fn image(url: impl Into<String>) -> Self {
        Self {
            attachment: Some(OutgoingAttachment::Image(MediaPayload {
                url: url.into(),
                is_reusable: None,
            })),
            ..Default::default()
        }
    }
}
