//! Send API types: fixture round-trips and every limit rule of `validate()`.

use messenger::limits::*;
use messenger::send::*;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let bytes = std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn round_trip(name: &str, built: SendRequest) {
    let fx = fixture(name);
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        fx,
        "{name}: built value"
    );
    let parsed: SendRequest = serde_json::from_value(fx.clone()).unwrap();
    assert_eq!(parsed, built);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), fx);
    assert_eq!(built.validate(), Ok(()));
}

#[test]
fn text_fixture() {
    round_trip(
        "send_text_request.json",
        SendRequest::text(
            "24000000000000001",
            "Yes! We ship to all of Portugal. Anything else?",
        )
        .with_metadata("baton:node=welcome;v=3"),
    );
}

#[test]
fn button_template_fixture() {
    let msg = OutgoingMessage::buttons(
        "What would you like to do?",
        vec![
            Button::Postback {
                title: "Track my order".into(),
                payload: "BATON_NODE:order_status".into(),
            },
            Button::WebUrl {
                title: "Visit the shop".into(),
                url: "https://shop.example.com/".into(),
            },
            Button::Postback {
                title: "Talk to a human".into(),
                payload: "BATON_HUMAN".into(),
            },
        ],
    );
    round_trip(
        "send_button_template_request.json",
        SendRequest::message("24000000000000001", MessagingType::Response, msg),
    );
}

#[test]
fn quick_replies_fixture() {
    let mut returns = QuickReply::text("Returns", "BATON_NODE:returns");
    returns.image_url = Some("https://shop.example.com/img/returns.png".into());
    let msg = OutgoingMessage {
        text: Some("Pick a topic:".into()),
        quick_replies: vec![
            QuickReply::text("Shipping", "BATON_NODE:shipping"),
            returns,
            QuickReply::text("Talk to a human", "BATON_HUMAN"),
        ],
        ..Default::default()
    };
    round_trip(
        "send_quick_replies_request.json",
        SendRequest::message("24000000000000001", MessagingType::Response, msg),
    );
}

#[test]
fn other_shapes() {
    let r = SendRequest::action("24000000000000001", SenderAction::TypingOn);
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"recipient":{"id":"24000000000000001"},"sender_action":"typing_on"})
    );
    assert_eq!(r.validate(), Ok(()));
    let r = SendRequest::human_agent(
        "1",
        OutgoingMessage {
            text: Some("hi".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"recipient":{"id":"1"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"hi"}})
    );
    let r = SendRequest::message(
        "1",
        MessagingType::Update,
        OutgoingMessage::image("https://x/a.png"),
    );
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"recipient":{"id":"1"},"messaging_type":"UPDATE","message":{"attachment":{"type":"image","payload":{"url":"https://x/a.png"}}}})
    );
    let resp: SendResponse = serde_json::from_value(fixture("send_response.json")).unwrap();
    assert_eq!(resp.recipient_id, "24000000000000001");
    assert!(resp.message_id.unwrap().starts_with("m_"));
    let resp: SendResponse = serde_json::from_value(json!({"recipient_id":"1"})).unwrap();
    assert_eq!(resp.message_id, None);
    assert_eq!(messenger::PAGE_INBOX_APP_ID, "263902037430900");
}

fn violations(r: &SendRequest) -> Vec<(String, ViolationKind)> {
    r.validate()
        .unwrap_err()
        .into_iter()
        .map(|v| (v.path, v.kind))
        .collect()
}

fn text(s: String) -> SendRequest {
    SendRequest::text("1", s)
}

#[test]
fn text_limit_counts_chars() {
    assert_eq!(text("é".repeat(MAX_TEXT_CHARS)).validate(), Ok(()));
    assert_eq!(
        violations(&text("😀".repeat(MAX_TEXT_CHARS + 1))),
        [(
            "message.text".into(),
            ViolationKind::TooLong {
                max: 2000,
                actual: 2001
            }
        )]
    );
    assert_eq!(
        violations(&text(String::new())),
        [("message.text".into(), ViolationKind::Missing)]
    );
}

fn buttons(text: String, buttons: Vec<Button>) -> SendRequest {
    SendRequest::message(
        "1",
        MessagingType::Response,
        OutgoingMessage::buttons(text, buttons),
    )
}

fn pb(title: &str, payload: &str) -> Button {
    Button::Postback {
        title: title.into(),
        payload: payload.into(),
    }
}

#[test]
fn button_template_limits() {
    let p = "message.attachment.payload";
    assert_eq!(
        buttons("a".repeat(640), vec![pb("x", "y")]).validate(),
        Ok(())
    );
    assert_eq!(
        violations(&buttons("a".repeat(641), vec![pb("x", "y")])),
        [(
            format!("{p}.text"),
            ViolationKind::TooLong {
                max: 640,
                actual: 641
            }
        )]
    );
    assert_eq!(
        violations(&buttons("t".into(), vec![])),
        [(
            format!("{p}.buttons"),
            ViolationKind::TooFew { min: 1, actual: 0 }
        )]
    );
    assert_eq!(
        violations(&buttons("t".into(), vec![pb("a", "b"); 4])),
        [(
            format!("{p}.buttons"),
            ViolationKind::TooMany { max: 3, actual: 4 }
        )]
    );
    assert_eq!(
        buttons("t".into(), vec![pb(&"ü".repeat(20), &"p".repeat(1000))]).validate(),
        Ok(())
    );
    // Every violation is reported, not only the first.
    let long = buttons(
        "t".into(),
        vec![
            pb(&"a".repeat(21), &"p".repeat(1001)),
            Button::WebUrl {
                title: "ok".into(),
                url: String::new(),
            },
        ],
    );
    assert_eq!(
        violations(&long),
        [
            (
                format!("{p}.buttons[0].title"),
                ViolationKind::TooLong {
                    max: 20,
                    actual: 21
                }
            ),
            (
                format!("{p}.buttons[0].payload"),
                ViolationKind::TooLong {
                    max: 1000,
                    actual: 1001
                }
            ),
            (format!("{p}.buttons[1].url"), ViolationKind::Missing),
        ]
    );
}

#[test]
fn quick_reply_limits() {
    let mk = |n: usize, title: &str, payload: &str| SendRequest {
        message: Some(OutgoingMessage {
            text: Some("t".into()),
            quick_replies: vec![QuickReply::text(title, payload); n],
            ..Default::default()
        }),
        ..text("t".into())
    };
    assert_eq!(
        mk(13, &"q".repeat(20), &"p".repeat(1000)).validate(),
        Ok(())
    );
    assert_eq!(
        violations(&mk(14, "a", "b")),
        [(
            "message.quick_replies".into(),
            ViolationKind::TooMany {
                max: 13,
                actual: 14
            }
        )]
    );
    assert_eq!(
        violations(&mk(1, &"q".repeat(21), &"p".repeat(1001))),
        [
            (
                "message.quick_replies[0].title".into(),
                ViolationKind::TooLong {
                    max: 20,
                    actual: 21
                }
            ),
            (
                "message.quick_replies[0].payload".into(),
                ViolationKind::TooLong {
                    max: 1000,
                    actual: 1001
                }
            ),
        ]
    );
    let v = mk(1, "", "p").validate().unwrap_err();
    assert_eq!(
        v[0].to_string(),
        "message.quick_replies[0].title is required"
    );
}

#[test]
fn metadata_and_structure() {
    assert_eq!(
        text("t".into()).with_metadata("m".repeat(1000)).validate(),
        Ok(())
    );
    assert_eq!(
        violations(&text("t".into()).with_metadata("m".repeat(1001))),
        [(
            "message.metadata".into(),
            ViolationKind::TooLong {
                max: 1000,
                actual: 1001
            }
        )]
    );
    let mut r = text("t".into());
    r.messaging_type = Some(MessagingType::MessageTag);
    r.sender_action = Some(SenderAction::MarkSeen);
    r.recipient.id.clear();
    let paths: Vec<_> = violations(&r).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["recipient.id", "sender_action", "tag"]);
    let mut r = text("t".into());
    r.message.as_mut().unwrap().attachment = Some(OutgoingAttachment::Image(MediaPayload {
        url: "u".into(),
        is_reusable: None,
    }));
    assert!(matches!(violations(&r)[0].1, ViolationKind::Conflict(_)));
}

#[test]
fn a_message_can_carry_its_handover_and_reads_back_from_any_id_form() {
    let req = SendRequest::text("24000000000000001", "You're now chatting to a real person")
        .with_pass_to("263902037430900");
    let json = serde_json::to_value(&req).unwrap();
    assert_eq!(
        json["thread_control"],
        serde_json::json!({"control_type": "pass", "app_id": 263902037430900u64})
    );
    assert_eq!(req.validate(), Ok(()));
    for id in [
        serde_json::json!("263902037430900"),
        serde_json::json!(263902037430900u64),
    ] {
        let mut wire = json.clone();
        wire["thread_control"]["app_id"] = id;
        let back: SendRequest = serde_json::from_value(wire).unwrap();
        assert_eq!(back, req);
    }
    // A pass names its app, and travels only with a message.
    let mut bad = req.clone();
    bad.thread_control.as_mut().unwrap().app_id = None;
    assert!(bad.validate().is_err());
    let mut bad = SendRequest::action("1", messenger::send::SenderAction::TypingOn);
    bad.thread_control = req.thread_control.clone();
    assert!(bad.validate().is_err());
    // Without one, the field is left out.
    let plain = serde_json::to_value(SendRequest::text("1", "hi")).unwrap();
    assert!(plain.get("thread_control").is_none());
}
