//! Webhook parsing tests: every fixture, standby, id normalisation, unknown kinds, dedupe keys.

use messenger::webhook::{self, Channel, Event, EventKind, ParseError};
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn single(name: &str) -> (String, Channel, Event) {
    let env = webhook::parse(&fixture(name)).unwrap();
    assert_eq!(env.object, "page");
    let mut events = env.into_events();
    assert_eq!(events.len(), 1, "{name}");
    events.remove(0)
}

#[test]
fn text_message() {
    let (page, channel, ev) = single("webhook_message_text.json");
    assert_eq!(page, "1234567890");
    assert_eq!(channel, Channel::Messaging);
    assert_eq!(ev.sender.as_deref(), Some("24000000000000001"));
    assert_eq!(ev.recipient.as_deref(), Some("1234567890"));
    assert_eq!(ev.timestamp, Some(1718000000000));
    let EventKind::Message(m) = &ev.kind else {
        panic!("{:?}", ev.kind)
    };
    assert_eq!(m.text.as_deref(), Some("Hi, do you ship to Porto?"));
    assert!(m.quick_reply.is_none());
    assert!(m.mid.starts_with("m_Xq1a"));
    assert_eq!(ev.dedupe_key(), format!("mid:{}", m.mid));
    assert_eq!(ev.raw["message"]["text"], "Hi, do you ship to Porto?");
}

#[test]
fn quick_reply_message() {
    let (_, _, ev) = single("webhook_message_quick_reply.json");
    let EventKind::Message(m) = &ev.kind else {
        panic!()
    };
    assert_eq!(m.text.as_deref(), Some("Talk to a human"));
    assert_eq!(m.quick_reply.as_ref().unwrap().payload, "BATON_HUMAN");
}

#[test]
fn postbacks() {
    let (_, _, ev) = single("webhook_postback_get_started.json");
    let EventKind::Postback(p) = &ev.kind else {
        panic!()
    };
    assert_eq!(p.title.as_deref(), Some("Get Started"));
    assert_eq!(p.payload.as_deref(), Some("GET_STARTED"));
    assert_eq!(ev.sender.as_deref(), Some("24000000000000002"));
    assert_eq!(
        ev.dedupe_key(),
        format!("mid:{}", p.mid.as_deref().unwrap())
    );

    let (_, _, ev) = single("webhook_postback_button.json");
    let EventKind::Postback(p) = &ev.kind else {
        panic!()
    };
    assert_eq!(p.payload.as_deref(), Some("BATON_NODE:order_status"));
    assert_eq!(p.title.as_deref(), Some("Track my order"));
}

#[test]
fn echo_with_numeric_app_id() {
    let (_, channel, ev) = single("webhook_echo.json");
    assert_eq!(channel, Channel::Messaging);
    let EventKind::Echo(e) = &ev.kind else {
        panic!("{:?}", ev.kind)
    };
    assert_eq!(e.app_id.as_deref(), Some("111111111111111"));
    assert_eq!(e.metadata.as_deref(), Some("baton:node=welcome;v=3"));
    assert_eq!(ev.sender.as_deref(), Some("1234567890"));
    assert_eq!(ev.dedupe_key(), format!("mid:{}", e.mid));
}

#[test]
fn handover_pass_and_take() {
    let (_, _, ev) = single("webhook_handover_done_in_page_inbox.json");
    let EventKind::PassThreadControl(p) = &ev.kind else {
        panic!()
    };
    assert_eq!(p.previous_owner_app_id.as_deref(), Some("263902037430900"));
    assert_eq!(p.new_owner_app_id.as_deref(), Some("111111111111111"));
    assert_eq!(p.metadata.as_deref(), Some("Marked as done in Page Inbox"));
    assert_eq!(
        ev.dedupe_key(),
        "pass_thread_control:24000000000000001|1234567890|1718003600000"
    );

    let (_, _, ev) = single("webhook_handover_take.json");
    let EventKind::TakeThreadControl(t) = &ev.kind else {
        panic!()
    };
    assert_eq!(t.previous_owner_app_id.as_deref(), Some("111111111111111"));
    assert_eq!(t.new_owner_app_id.as_deref(), Some("263902037430900"));
}

#[test]
fn standby_channel() {
    let (_, channel, ev) = single("webhook_standby_message.json");
    assert_eq!(channel, Channel::Standby);
    let EventKind::Message(m) = &ev.kind else {
        panic!()
    };
    assert_eq!(
        m.text.as_deref(),
        Some("Thanks, waiting for the tracking number")
    );
}

#[test]
fn batched_entries_in_order() {
    let env = webhook::parse(&fixture("webhook_batched_multi_entry.json")).unwrap();
    let evs: Vec<_> = env.events().collect();
    assert_eq!(evs.len(), 3);
    let names: Vec<_> = evs.iter().map(|(_, _, e)| e.kind.name()).collect();
    assert_eq!(names, ["message", "message", "postback"]);
    assert_eq!(evs[2].2.sender.as_deref(), Some("24000000000000003"));
    let keys: std::collections::HashSet<_> = evs.iter().map(|(_, _, e)| e.dedupe_key()).collect();
    assert_eq!(keys.len(), 3);
}

fn one_event(event: serde_json::Value) -> Event {
    let body =
        json!({"object":"page","entry":[{"id": 1234567890, "time": 1, "messaging":[event]}]});
    let env = webhook::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(env.entry[0].id, "1234567890", "numeric page id normalised");
    env.into_events().remove(0).2
}

#[test]
fn handover_ids_as_numbers_or_strings_and_optional() {
    let ev = one_event(json!({
        "sender":{"id":24000000000000001u64},"recipient":{"id":"1234567890"},"timestamp":5,
        "pass_thread_control":{"new_owner_app_id":111111111111111u64,"metadata":"m"}}));
    assert_eq!(ev.sender.as_deref(), Some("24000000000000001"));
    let EventKind::PassThreadControl(p) = ev.kind else {
        panic!()
    };
    assert_eq!(p.new_owner_app_id.as_deref(), Some("111111111111111"));
    assert_eq!(p.previous_owner_app_id, None);

    let ev = one_event(
        json!({"sender":{"id":"1"},"recipient":{"id":"2"},"timestamp":5,
        "take_thread_control":{"previous_owner_app_id":null}}),
    );
    assert!(matches!(ev.kind, EventKind::TakeThreadControl(ref t) if t == &Default::default()));

    let ev = one_event(
        json!({"sender":{"id":"1"},"recipient":{"id":"2"},"timestamp":5,
        "request_thread_control":{"requested_owner_app_id":263902037430900u64,"metadata":"x"}}),
    );
    let EventKind::RequestThreadControl(r) = ev.kind else {
        panic!()
    };
    assert_eq!(r.requested_owner_app_id.as_deref(), Some("263902037430900"));
    assert_eq!(r.metadata.as_deref(), Some("x"));
}

#[test]
fn other_known_kinds() {
    let ev = one_event(json!({"recipient":{"id":"1234567890"},"timestamp":7,
        "app_roles":{"111111111111111":["primary_receiver"]}}));
    let EventKind::AppRoles(r) = &ev.kind else {
        panic!()
    };
    assert_eq!(r["111111111111111"], ["primary_receiver"]);
    assert_eq!(ev.dedupe_key(), "app_roles:|1234567890|7");

    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "read":{"watermark":1718000000000u64}}),
    );
    assert!(matches!(ev.kind, EventKind::Read(ref r) if r.watermark == Some(1718000000000)));

    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "delivery":{"mids":["m_1"],"watermark":3}}),
    );
    assert!(matches!(ev.kind, EventKind::Delivery(ref d) if d.mids == ["m_1"]));

    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "reaction":{"mid":"m_1","action":"react","reaction":"love","emoji":"❤"}}),
    );
    assert!(matches!(ev.kind, EventKind::Reaction(ref r) if r.emoji.as_deref() == Some("❤")));

    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "referral":{"ref":"spring","source":"SHORTLINK","type":"OPEN_THREAD"}}),
    );
    let EventKind::Referral(r) = &ev.kind else {
        panic!()
    };
    assert_eq!(r.ref_param.as_deref(), Some("spring"));
    assert_eq!(ev.dedupe_key(), "referral:9|1|8");
}

#[test]
fn message_details_and_extra_fields() {
    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "message":{"mid":"m_s","seq":12,"sticker_id":369239263222822u64,"new_field":{"x":1},
            "reply_to":{"mid":"m_prev"},
            "attachments":[{"type":"image","payload":{"url":"https://x/y.png","sticker_id":1}},
                           {"type":"fallback","payload":null,"title":"Link","url":"https://l"}]}}),
    );
    let EventKind::Message(m) = &ev.kind else {
        panic!("{:?}", ev.kind)
    };
    assert_eq!(m.sticker_id.as_deref(), Some("369239263222822"));
    assert_eq!(m.reply_to.as_ref().unwrap().mid.as_deref(), Some("m_prev"));
    assert_eq!(m.attachments[0].url(), Some("https://x/y.png"));
    assert_eq!(m.attachments[1].kind, "fallback");
    assert_eq!(m.attachments[1].url(), Some("https://l"));
}

#[test]
fn standby_postback_without_payload_dedupes_by_sender_time_title() {
    let body = json!({"object":"page","entry":[{"id":"1","time":1,"standby":[
        {"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":42,"postback":{"title":"Yes"}}]}]});
    let env = webhook::parse(body.to_string().as_bytes()).unwrap();
    let (_, ch, ev) = env.events().next().unwrap();
    assert_eq!(ch, Channel::Standby);
    let EventKind::Postback(p) = &ev.kind else {
        panic!()
    };
    assert_eq!(p.payload, None);
    assert_eq!(ev.dedupe_key(), "postback:9|42|Yes");
}

#[test]
fn unknown_kinds_are_kept_not_errors() {
    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "optin":{"ref":"abc"}}),
    );
    assert_eq!(
        ev.kind,
        EventKind::Unknown {
            key: "optin".into(),
            raw: json!({"ref":"abc"})
        }
    );
    assert_eq!(ev.dedupe_key(), "optin:9|1|8");

    let ev = one_event(json!({"recipient":{"id":"1"},"timestamp":8,
        "policy_enforcement":{"action":"block","reason":"spam"}}));
    assert_eq!(ev.kind.name(), "policy_enforcement");

    // A known key with a shape we cannot read is kept as Unknown too.
    let ev = one_event(
        json!({"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":8,
        "message":"not an object"}),
    );
    assert_eq!(
        ev.kind,
        EventKind::Unknown {
            key: "message".into(),
            raw: json!("not an object")
        }
    );

    // No timestamp: key includes a hash of the raw event so distinct events stay distinct.
    let a = one_event(json!({"message_edit":{"mid":"a"}}));
    let b = one_event(json!({"message_edit":{"mid":"b"}}));
    assert_ne!(a.dedupe_key(), b.dedupe_key());
    assert_eq!(
        a.dedupe_key(),
        one_event(json!({"message_edit":{"mid":"a"}})).dedupe_key()
    );
}

#[test]
fn changes_are_accepted_and_surfaced_separately() {
    let body = json!({"object":"page","entry":[{"id":"1234567890","time":1,
        "changes":[{"field":"messages","value":{"sender":{"id":"9"},"message":{"mid":"m","text":"t"}}}]}]});
    let env = webhook::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(env.events().count(), 0);
    let changes: Vec<_> = env.changes().collect();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, "1234567890");
    assert_eq!(changes[0].1.field, "messages");
    assert_eq!(changes[0].1.value["message"]["text"], "t");
}

#[test]
fn odd_bodies() {
    assert!(matches!(
        webhook::parse(b"not json"),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(webhook::parse(b""), Err(ParseError::NotJson(_))));
    assert_eq!(webhook::parse(b"[1,2]"), Err(ParseError::NotObject));
    assert_eq!(webhook::parse(b"\"page\""), Err(ParseError::NotObject));
    let env =
        webhook::parse(br#"{"object":"page","entry":[{"id":"1","extra":true}],"x":1}"#).unwrap();
    assert_eq!(env.entry.len(), 1);
    assert_eq!(env.events().count(), 0);
    let env = webhook::parse(b"{}").unwrap();
    assert!(env.entry.is_empty());
}
