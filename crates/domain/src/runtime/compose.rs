//! Turning a flow message into Graph API calls: each part in order (text with buttons as a
//! button template, images by URL, typing delays), quick replies on the last part, every send
//! as `RESPONSE` with Baton's metadata so echoes of our own sends are recognisable.

use flows::{Action, ButtonKind, Flow, Part};
use messenger::send::{
    Button, MessagingType, OutgoingMessage, QuickReply, SendRequest, SenderAction,
};

use crate::storage::repo::outbox::{Kind, NewRow};
use model::Speaker;

/// `message.metadata` on every send Baton makes: `baton:<message key>`.
pub fn metadata(key: &str) -> String {
    format!("baton:{key}")
}

/// The metadata a queued send carries on the wire: its own metadata and, after `#`, its
/// outbox row. Messenger echoes it back, which is how a send whose answer was lost (a crash,
/// a timeout) is recognised as delivered instead of being sent again.
pub fn tag_row(metadata: Option<&str>, row_id: i64) -> String {
    format!("{}#{row_id}", metadata.unwrap_or("baton:"))
}

/// The outbox row named by the metadata of one of Baton's own echoes.
pub fn row_of(metadata: &str) -> Option<i64> {
    metadata
        .strip_prefix("baton:")?
        .rsplit_once('#')?
        .1
        .parse()
        .ok()
}

/// The Messenger button for a flow button or menu item: a link opens its URL, every other
/// action comes back to Baton as a postback with `payload()`.
pub fn button(title: &str, action: &Action, payload: impl FnOnce() -> String) -> Button {
    match action {
        Action::Url { url } => Button::WebUrl {
            title: title.to_owned(),
            url: url.clone(),
        },
        Action::GoTo { .. } | Action::Handover { .. } | Action::ReturnToBot { .. } => {
            Button::Postback {
                title: title.to_owned(),
                payload: payload(),
            }
        }
    }
}

/// The outbox rows that send message `key` of `flow` to `psid`; empty for an unknown key.
pub fn message_rows(flow: &Flow, key: &str, psid: &str) -> Vec<NewRow> {
    let Some(message) = flow.message(key) else {
        return Vec::new();
    };
    let last = message.parts.len().saturating_sub(1);
    let mut rows = Vec::new();
    for (i, part) in message.parts.iter().enumerate() {
        let (mut outgoing, transcript) = match part {
            Part::Typing(t) => {
                let typing = SendRequest::action(psid, SenderAction::TypingOn);
                rows.push(NewRow {
                    kind: Kind::Typing,
                    body: typing_body(&typing, u64::from(t.seconds) * 1000),
                    transcript: None,
                    author: None,
                });
                continue;
            }
            Part::Text(t) if t.buttons.is_empty() => (
                OutgoingMessage {
                    text: Some(t.text.clone()),
                    ..Default::default()
                },
                t.text.clone(),
            ),
            Part::Text(t) => {
                let buttons: Vec<Button> = t
                    .buttons
                    .iter()
                    .enumerate()
                    .map(|(bi, b)| {
                        button(&b.title, &b.action, || {
                            flows::payload_for(key, i, ButtonKind::Button, bi)
                        })
                    })
                    .collect();
                let titles: Vec<&str> = t.buttons.iter().map(|b| b.title.as_str()).collect();
                (
                    OutgoingMessage::buttons(t.text.clone(), buttons),
                    format!("{} [{}]", t.text, titles.join(" | ")),
                )
            }
            Part::Image(img) => (
                OutgoingMessage::image(img.url.clone()),
                format!("(image) {}", img.url),
            ),
        };
        let mut transcript = transcript;
        if i == last {
            let replies = part.quick_replies();
            outgoing.quick_replies = replies
                .iter()
                .enumerate()
                .map(|(qi, q)| {
                    QuickReply::text(
                        q.title.clone(),
                        flows::payload_for(key, i, ButtonKind::QuickReply, qi),
                    )
                })
                .collect();
            if !replies.is_empty() {
                let titles: Vec<&str> = replies.iter().map(|q| q.title.as_str()).collect();
                transcript = format!("{transcript} (quick replies: {})", titles.join(" | "));
            }
        }
        let request = SendRequest::message(psid, MessagingType::Response, outgoing)
            .with_metadata(metadata(key));
        rows.push(NewRow {
            kind: Kind::Message,
            body: serde_json::to_string(&request).unwrap_or_default(),
            transcript: Some((Speaker::Bot, transcript)),
            author: None,
        });
    }
    rows
}

/// `message.metadata` of the bot disclosure ("you are talking to an automated assistant").
pub const DISCLOSURE_METADATA: &str = "baton:disclosure";
/// `message.metadata` of the text sent when a handover is refused for good.
pub const UNAVAILABLE_METADATA: &str = "baton:unavailable";
/// Body (metadata) of the pass that follows a handover message.
pub const HANDOVER_METADATA: &str = "baton:handover";
/// Body (metadata) of the pass made after a person replied from the Page Inbox.
pub const PERSON_REPLIED_METADATA: &str = "baton:person_replied";

/// A plain text from the bot (the disclosure, the "no one can take this" text).
pub fn text_row(psid: &str, text: &str, metadata: &str) -> NewRow {
    let request = SendRequest::text(psid, text).with_metadata(metadata);
    NewRow {
        kind: Kind::Message,
        body: serde_json::to_string(&request).unwrap_or_default(),
        transcript: Some((Speaker::Bot, text.to_owned())),
        author: None,
    }
}

/// Makes the last message of `rows` hand the thread to the Page Inbox in the same call (the
/// Send API's `thread_control`), so the confirmation and the handover succeed or fail
/// together; whatever came after it (a trailing typing indicator) is dropped, since Baton can
/// no longer message the user then. False when `rows` has no message to carry it.
pub fn pass_with_last_message(rows: &mut Vec<NewRow>) -> bool {
    let Some(last) = rows.iter().rposition(|r| r.kind == Kind::Message) else {
        return false;
    };
    let Ok(request) = serde_json::from_str::<SendRequest>(&rows[last].body) else {
        return false;
    };
    let request = request.with_pass_to(messenger::PAGE_INBOX_APP_ID);
    rows[last].body = serde_json::to_string(&request).unwrap_or_default();
    rows.truncate(last + 1);
    true
}

/// Whether a queued message's body hands the thread over with it (cheap: no parse).
pub fn carries_pass(body: &str) -> bool {
    body.contains("\"thread_control\"")
}

/// A typing row's body: the sender action and how long to hold the next row.
fn typing_body(request: &SendRequest, hold_ms: u64) -> String {
    serde_json::json!({ "request": request, "hold_ms": hold_ms }).to_string()
}

/// Reads a typing row's body back.
pub fn parse_typing(body: &str) -> Option<(SendRequest, u64)> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let request = serde_json::from_value(v.get("request")?.clone()).ok()?;
    Some((request, v.get("hold_ms")?.as_u64()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kit() -> Flow {
        flows::example_flow()
    }

    #[test]
    fn buttons_become_a_button_template_with_stable_payloads() {
        let rows = message_rows(&kit(), "talk_to_human", "24000000000000001");
        assert_eq!(rows.len(), 1);
        let req: SendRequest = serde_json::from_str(&rows[0].body).unwrap();
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["messaging_type"], "RESPONSE");
        assert_eq!(json["message"]["metadata"], "baton:talk_to_human");
        let payload = &json["message"]["attachment"]["payload"];
        assert_eq!(payload["template_type"], "button");
        assert_eq!(payload["buttons"][0]["title"], "Talk to human");
        let p = payload["buttons"][0]["payload"].as_str().unwrap();
        let flow = kit();
        let resolved = flows::resolve_payload(&flow, p).unwrap();
        assert!(matches!(resolved.action, Action::Handover { .. }));
        assert!(req.validate().is_ok());
    }

    #[test]
    fn a_sends_row_travels_in_its_metadata_and_comes_back_from_the_echo() {
        assert_eq!(tag_row(Some("baton:main_menu"), 42), "baton:main_menu#42");
        assert_eq!(tag_row(None, 7), "baton:#7");
        assert_eq!(row_of("baton:main_menu#42"), Some(42));
        assert_eq!(row_of("baton:#7"), Some(7));
        // Untagged, foreign or mangled metadata names no row.
        assert_eq!(row_of("baton:main_menu"), None);
        assert_eq!(row_of("other:app#42"), None);
        assert_eq!(row_of("baton:x#4x"), None);
    }

    #[test]
    fn quick_replies_go_on_the_last_part_and_urls_stay_urls() {
        let rows = message_rows(&kit(), "back_in_bot", "1");
        let json: serde_json::Value = serde_json::from_str(&rows[0].body).unwrap();
        assert_eq!(json["message"]["quick_replies"][0]["title"], "Main menu");
        let rows = message_rows(&kit(), "main_menu", "1");
        let json: serde_json::Value = serde_json::from_str(&rows[0].body).unwrap();
        let buttons = &json["message"]["attachment"]["payload"]["buttons"];
        assert_eq!(buttons[0]["type"], "web_url");
        assert_eq!(buttons[1]["type"], "postback");
    }

    #[test]
    fn the_handover_travels_on_the_last_message_and_nothing_follows_it() {
        let mut flow = kit();
        let key = flow.messages[1].key.clone();
        flow.messages[1]
            .parts
            .push(Part::Typing(flows::TypingPart { seconds: 1 }));
        let mut rows = message_rows(&flow, &key, "1");
        assert_eq!(rows.len(), 2);
        assert!(pass_with_last_message(&mut rows));
        assert_eq!(rows.len(), 1, "the trailing typing row is gone");
        assert!(carries_pass(&rows[0].body));
        let json: serde_json::Value = serde_json::from_str(&rows[0].body).unwrap();
        assert_eq!(json["thread_control"]["control_type"], "pass");
        assert_eq!(
            json["thread_control"]["app_id"].to_string(),
            messenger::PAGE_INBOX_APP_ID
        );
        let mut only_typing = vec![rows_typing()];
        assert!(!pass_with_last_message(&mut only_typing));
        assert!(!carries_pass(
            &text_row("1", "hi", DISCLOSURE_METADATA).body
        ));
    }

    fn rows_typing() -> NewRow {
        NewRow {
            kind: Kind::Typing,
            body: typing_body(&SendRequest::action("1", SenderAction::TypingOn), 1000),
            transcript: None,
            author: None,
        }
    }

    #[test]
    fn typing_parts_hold_the_next_row_and_unknown_keys_send_nothing() {
        let mut flow = kit();
        flow.messages[0]
            .parts
            .insert(0, Part::Typing(flows::TypingPart { seconds: 2 }));
        let rows = message_rows(&flow, &flow.messages[0].key.clone(), "1");
        assert_eq!(rows[0].kind, Kind::Typing);
        let (req, hold) = parse_typing(&rows[0].body).unwrap();
        assert_eq!(hold, 2000);
        assert_eq!(req.sender_action, Some(SenderAction::TypingOn));
        assert!(message_rows(&flow, "nope", "1").is_empty());
    }
}
