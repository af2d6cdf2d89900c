//! Page → user sends (Baton via the Send API, or a Page Inbox agent): Meta's checks, the
//! transcript line and the echo webhook.

use messenger::limits::{HUMAN_AGENT_WINDOW, STANDARD_WINDOW};
use messenger::send::{
    ControlType, MessageTag, MessagingType, OutgoingAttachment, SendRequest, SendResponse,
    SenderAction, Template,
};
use messenger::PAGE_INBOX_APP_ID;
use serde_json::{json, Value};

use crate::fail::GraphFail;
use crate::transcript::{Speaker, TranscriptItem};
use crate::world::World;

impl World {
    /// Performs a send by `app_id` on `page_id`. Baton (the primary) must own the thread (or
    /// it is idle); Page Inbox agents may always type. Window: 24 h for RESPONSE/UPDATE, 7 days
    /// for MESSAGE_TAG + HUMAN_AGENT (with the Human Agent permission) and for Page Inbox
    /// agents. A `thread_control` hands the thread over once the message is delivered; when
    /// the page refuses it, nothing is delivered (`crate::routing`).
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
        let human_agent_tag = req.messaging_type == Some(MessagingType::MessageTag)
            && req.tag == Some(MessageTag::HumanAgent);
        // HUMAN_AGENT is the only tag that reaches past 24 hours (the other tags are gone).
        let window = if is_agent || human_agent_tag {
            HUMAN_AGENT_WINDOW
        } else {
            STANDARD_WINDOW
        };
        let inside = u
            .last_user_msg
            .is_some_and(|t| now - t <= window.as_millis() as i64);
        if !inside {
            return Err(GraphFail::outside_window());
        }
        let owner = u.owner.clone();
        let page = &self.pages[page_id];
        if !is_agent {
            let control = req.thread_control.as_ref().map(|c| c.control_type);
            if let Some(fail) = page.refuses_send(control) {
                return Err(fail);
            }
            if human_agent_tag && !page.settings.human_agent {
                return Err(GraphFail::human_agent_not_approved());
            }
        }
        if let Some(tc) = &req.thread_control {
            // Checked before anything is delivered: the message and the handover go together.
            if let (ControlType::Pass, Some(target)) = (tc.control_type, tc.app_id.as_deref()) {
                if target == app_id || !self.may_receive(page_id, target) {
                    return Err(GraphFail::handover(
                        "The target app is not a secondary receiver of this page",
                    ));
                }
            }
        }
        let Some(message) = &req.message else {
            // Sender action: no message id, no echo; the user sees the typing indicator.
            let u = self.recipient_mut(page_id, &psid)?;
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
        if let Some(tc) = &req.thread_control {
            let metadata = message.metadata.clone();
            match (tc.control_type, tc.app_id.as_deref()) {
                (ControlType::Pass, Some(target)) => {
                    self.pass(app_id, page_id, &psid, target, metadata, now)?
                }
                _ => self.release(app_id, page_id, &psid, now)?,
            }
        }
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
