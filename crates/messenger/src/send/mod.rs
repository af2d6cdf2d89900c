//! Send API request/response types (§4). They serialize to exactly the shapes Meta documents
//! (see the `send_*_request.json` fixtures) and deserialize too, so the sandbox reads them.

mod validate;

use serde::{Deserialize, Serialize};

pub use validate::{Violation, ViolationKind};

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

/// `tag` for `MESSAGE_TAG` sends. Baton only uses `HUMAN_AGENT` (7-day window).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageTag {
    HumanAgent,
    ConfirmedEventUpdate,
    PostPurchaseUpdate,
    AccountUpdate,
}

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
        }
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
