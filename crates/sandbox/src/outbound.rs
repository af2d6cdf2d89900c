//! Page → user sends (Baton via the Send API, or a Page Inbox agent): Meta's checks, the
//! transcript line and the echo webhook.

use messenger::limits::{HUMAN_AGENT_WINDOW, STANDARD_WINDOW};
use messenger::send::{
    MessageTag, MessagingType, OutgoingAttachment, SendRequest, SendResponse, SenderAction,
    Template,
};
use messenger::PAGE_INBOX_APP_ID;
use serde_json::{json, Value};

use crate::fail::GraphFail;
use crate::transcript::{Speaker, TranscriptItem};
use crate::world::World;

impl World {
    /// Performs a send by `app_id` on `page_id`. Baton (the primary) must own the thread (or
    /// it is idle); Page Inbox agents may always type. Window: 24 h for RESPONSE/UPDATE, 7 days
    /// for MESSAGE_TAG + HUMAN_AGENT and for Page Inbox agents.
    pub fn send(
        &mut self,
        app_id: &str,
        page_id: &str,
        req: &SendRequest,
        now: i64,
    ) -> Result<SendResponse, GraphFail> {
        let psid = req.recipient.id.clone();
        let u = self.recipient_mut(page_id, &psid)?;
        if let Err(violations) = req.validate() {
            return Err(GraphFail::invalid_param(&violations[0]));
        }
        let is_agent = app_id == PAGE_INBOX_APP_ID;
        if !is_agent {
            if let Some(owner) = &u.owner {
                if *owner != app_id {
                    return Err(GraphFail::not_owner_send());
                }
            }
        }
        let window = match (req.messaging_type, req.tag) {
            _ if is_agent => Some(HUMAN_AGENT_WINDOW),
            (Some(MessagingType::MessageTag), Some(MessageTag::HumanAgent)) => {
                Some(HUMAN_AGENT_WINDOW)
            }
            // Other tags are not window-bound (Baton does not use them).
            (Some(MessagingType::MessageTag), _) => None,
            _ => Some(STANDARD_WINDOW),
        };
        if let Some(w) = window {
            let inside = u
                .last_user_msg
                .is_some_and(|t| now - t <= w.as_millis() as i64);
            if !inside {
                return Err(GraphFail::outside_window());
            }
        }
        let Some(message) = &req.message else {
            // Sender action: no message id, no echo; the user sees the typing indicator.
            match req.sender_action {
                Some(SenderAction::TypingOn) => u.typing_since = Some(now),
                Some(SenderAction::TypingOff) => u.typing_since = None,
                _ => {}
            }
            return Ok(SendResponse {
                recipient_id: psid,
                message_id: None,
            });
        };
        let owner = u.owner.clone();
        let mid = self.new_mid();
        let mut item = TranscriptItem {
            mid: mid.clone(),
            from: if is_agent {
                Speaker::PageAgent
            } else {
                Speaker::PageBot
            },
            timestamp: now,
            text: message.text.clone(),
            buttons: Vec::new(),
            quick_replies: message.quick_replies.clone(),
            image_url: None,
            payload: None,
            metadata: message.metadata.clone(),
            app_id: Some(app_id.into()),
        };
        let mut echo = json!({"is_echo": true, "app_id": app_id_json(app_id), "mid": mid});
        if let Some(text) = &message.text {
            echo["text"] = json!(text);
        }
        if let Some(meta) = &message.metadata {
            echo["metadata"] = json!(meta);
        }
        if !message.quick_replies.is_empty() {
            echo["quick_replies"] = json!(message.quick_replies);
        }
        match &message.attachment {
            Some(OutgoingAttachment::Template(Template::Button { text, buttons })) => {
                item.text = Some(text.clone());
                item.buttons = buttons.clone();
            }
            Some(OutgoingAttachment::Image(media)) => item.image_url = Some(media.url.clone()),
            None => {}
        }
        if let Some(att) = &message.attachment {
            echo["attachments"] = json!([serde_json::to_value(att).unwrap_or(Value::Null)]);
        }
        let u = self.recipient_mut(page_id, &psid)?;
        u.transcript.push(item);
        u.typing_since = None;
        let channel = self.baton_channel(owner.as_deref());
        let event = json!({
            "sender": {"id": page_id}, "recipient": {"id": psid}, "timestamp": now,
            "message": echo,
        });
        self.emit(page_id, channel, event);
        Ok(SendResponse {
            recipient_id: psid,
            message_id: Some(mid),
        })
    }
}

/// App ids go out as numbers in echoes (as in Meta's payloads and our fixture).
pub(crate) fn app_id_json(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(id))
}
