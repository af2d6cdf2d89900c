//! Postback payloads: every tappable item of the fixture round-trips; junk resolves to None.

use flows::{
    all_postbacks, find_button_by_title, parse_flow, payload_for, resolve_payload, Action,
    ButtonKind, GET_STARTED_PAYLOAD,
};
use proptest::prelude::*;

const FIXTURE: &str = include_str!("../fixtures/handover_kit.json");

fn flow() -> flows::Flow {
    parse_flow(FIXTURE).unwrap()
}

#[test]
fn every_postback_item_resolves_to_itself() {
    let flow = flow();
    let items = all_postbacks(&flow);
    // 3 postback buttons (the Website url button has none), 1 quick reply, 2 menu items
    assert_eq!(items.len(), 6);
    let mut payloads = std::collections::HashSet::new();
    for item in &items {
        let payload = item.payload();
        assert!(
            payloads.insert(payload.clone()),
            "payload {payload} not unique"
        );
        let back = resolve_payload(&flow, &payload).expect("resolves");
        assert_eq!(&back, item);
        assert!(std::ptr::eq(back.action, item.action));
        assert!(payload.chars().count() <= 1000);
    }
}

#[test]
fn known_payloads() {
    let flow = flow();
    let r = resolve_payload(&flow, "b1:main_menu:0:b:1").unwrap();
    assert_eq!(r.kind, ButtonKind::Button);
    assert_eq!(r.title, "Talk to human");
    assert_eq!(r.message.unwrap().key, "main_menu");
    assert_eq!(
        r.action,
        &Action::GoTo {
            message: "talk_to_human".into()
        }
    );

    let r = resolve_payload(
        &flow,
        &payload_for("back_in_bot", 0, ButtonKind::QuickReply, 0),
    )
    .unwrap();
    assert_eq!((r.kind, r.title), (ButtonKind::QuickReply, "Main menu"));

    let r = resolve_payload(&flow, "b1:menu:1").unwrap();
    assert_eq!(
        (r.kind, r.title, r.message),
        (ButtonKind::Menu, "Talk to human", None)
    );

    // the url button still resolves by position (a payload could only be forged for it)
    assert!(resolve_payload(&flow, "b1:main_menu:0:b:0").is_some());
    assert!(resolve_payload(&flow, GET_STARTED_PAYLOAD).is_none());
    // a quick reply index is not a button index
    assert!(resolve_payload(&flow, "b1:back_in_bot:0:b:0").is_none());
}

#[test]
fn find_button_by_exact_title() {
    let flow = flow();
    let r = find_button_by_title(&flow, "now_human", "Return to bot").unwrap();
    assert_eq!(
        r.action,
        &Action::ReturnToBot {
            confirmation: "back_in_bot".into()
        }
    );
    assert_eq!(r.payload(), "b1:now_human:0:b:0");
    assert!(find_button_by_title(&flow, "now_human", "return to bot").is_none());
    assert!(find_button_by_title(&flow, "talk_to_human", "Return to bot").is_none());
    assert!(find_button_by_title(&flow, "missing", "Return to bot").is_none());
    // quick replies are not buttons
    assert!(find_button_by_title(&flow, "back_in_bot", "Main menu").is_none());
}

proptest! {
    #[test]
    fn random_strings_resolve_to_none(s in "\\PC{0,64}") {
        let flow = flow();
        if let Some(r) = resolve_payload(&flow, &s) {
            // only a canonical payload of a real item may resolve
            prop_assert_eq!(r.payload(), s);
        }
    }

    #[test]
    fn payload_shaped_strings_never_panic(
        key in "[a-z_:]{0,12}", part in "[0-9+-]{0,4}", kind in "[bqmx]?", index in "[0-9]{0,25}"
    ) {
        let flow = flow();
        for s in [
            format!("b1:{key}:{part}:{kind}:{index}"),
            format!("b1:menu:{index}"),
            format!("b1:{key}:{index}"),
        ] {
            if let Some(r) = resolve_payload(&flow, &s) {
                prop_assert_eq!(r.payload(), s);
            }
        }
    }
}
