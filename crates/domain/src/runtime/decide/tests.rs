//! `decide` as a table (every event kind × every state, on the example flow) and as
//! properties over random sequences of events, with no database: the handover rules hold
//! for whatever order Messenger delivers things in.

use flows::Flow;
use flows::{payload_for, ButtonKind};
use messenger::webhook::Event;
use model::ConversationState::{self, Bot, Done, Inbox};
use model::ThreadOwner;
use proptest::prelude::*;
use serde_json::json;

use super::{decide, needs, Facts, Needs};
use crate::runtime::compose;
use crate::runtime::decision::{Decision, Effect};
use crate::runtime::scope::Scope;
use crate::storage::repo::conversations::ConversationRow;
use crate::storage::repo::outbox::Kind::{self, Message, Pass, Profile, Take};

const PAGE: &str = "page-1";
const APP: &str = "baton-app";
const USER: &str = "user-1";
const NOW: i64 = 1_800_000_000_000;

fn conversation(state: ConversationState, owner: ThreadOwner) -> ConversationRow {
    ConversationRow {
        page_id: PAGE.into(),
        psid: USER.into(),
        first_name: None,
        last_name: None,
        profile_pic: None,
        profile_fetched: true,
        state,
        thread_owner: owner,
        handover_message: (state == Inbox).then(|| "now_human".into()),
        back_to_bot_message: (state == Inbox).then(|| "back_in_bot".into()),
        last_user_message_ms: Some(NOW - 60_000),
        last_activity_ms: NOW - 60_000,
        last_text: None,
        disclosed_ms: Some(NOW - 3_600_000),
    }
}

fn scope(flow: &Flow) -> Scope<'_> {
    Scope {
        page_id: PAGE,
        app_id: APP,
        flow: Some(flow),
        now_ms: NOW,
        clock_ms: NOW,
        disclosure: None,
    }
}

fn from_user(body: serde_json::Value) -> Event {
    let mut raw = json!({"sender": {"id": USER}, "recipient": {"id": PAGE}, "timestamp": NOW});
    raw.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    Event::from_value(raw)
}

fn text(t: &str) -> Event {
    from_user(json!({"message": {"mid": format!("m-{t}"), "text": t}}))
}

fn tap(title: &str, message: &str, kind: ButtonKind) -> Event {
    let payload = payload_for(message, 0, kind, 0);
    match kind {
        ButtonKind::QuickReply => from_user(
            json!({"message": {"mid": "m-qr", "text": title, "quick_reply": {"payload": payload}}}),
        ),
        _ => from_user(json!({"postback": {"mid": "m-pb", "title": title, "payload": payload}})),
    }
}

/// Every kind of event Baton acts on, by name.
fn events() -> Vec<(&'static str, Event, &'static str)> {
    let person = Event::from_value(json!({
        "sender": {"id": PAGE}, "recipient": {"id": USER}, "timestamp": NOW,
        "message": {"is_echo": true, "app_id": 263902037430900u64, "mid": "m-echo", "text": "Hi, Ana here"}
    }));
    let own_echo = Event::from_value(json!({
        "sender": {"id": PAGE}, "recipient": {"id": USER}, "timestamp": NOW,
        "message": {"is_echo": true, "app_id": APP, "mid": "m-own",
                    "metadata": compose::tag_row(Some("baton:reply"), 42), "text": "How can we help?"}
    }));
    let control = |key: &str, body: serde_json::Value| from_user(json!({ key: body }));
    vec![
        ("text", text("hello there"), "messaging"),
        ("keyword", text("human"), "messaging"),
        (
            "talk to human",
            tap("Talk to human", "talk_to_human", ButtonKind::Button),
            "messaging",
        ),
        (
            "return to bot",
            tap("Return to bot", "now_human", ButtonKind::Button),
            "messaging",
        ),
        (
            "get started",
            from_user(
                json!({"postback": {"title": "Get Started", "payload": flows::GET_STARTED_PAYLOAD}}),
            ),
            "messaging",
        ),
        (
            "quick reply",
            tap("Main menu", "back_in_bot", ButtonKind::QuickReply),
            "messaging",
        ),
        ("person replied", person, "messaging"),
        ("own echo", own_echo, "messaging"),
        (
            "passed to baton",
            control("pass_thread_control", json!({"new_owner_app_id": APP})),
            "messaging",
        ),
        (
            "passed elsewhere",
            control("pass_thread_control", json!({"new_owner_app_id": "999"})),
            "messaging",
        ),
        (
            "taken",
            control("take_thread_control", json!({"previous_owner_app_id": APP})),
            "messaging",
        ),
        (
            "requested",
            control(
                "request_thread_control",
                json!({"requested_owner_app_id": "263902037430900"}),
            ),
            "messaging",
        ),
        (
            "referral",
            from_user(json!({"referral": {"ref": "ad-7", "source": "ADS"}})),
            "messaging",
        ),
        ("standby text", text("still there?"), "standby"),
        (
            "standby return",
            from_user(json!({"postback": {"title": "Return to bot"}})),
            "standby",
        ),
    ]
}

/// What the table checks of a decision: where it moves the conversation, the calls it
/// queues, and the owner it records.
type Outcome = (Option<ConversationState>, Vec<Kind>, Option<ThreadOwner>);

fn outcome(d: &Decision) -> Outcome {
    let owner = d.effects.iter().find_map(|e| match e {
        Effect::Owner(o) => Some(*o),
        _ => None,
    });
    (d.moves_to(), d.send_kinds(), owner)
}

fn decided(event: &Event, channel: &str, c: &ConversationRow, flow: &Flow) -> Decision {
    let scope = scope(flow);
    let facts = match needs(event, &scope) {
        Needs::Nothing => None,
        _ => Some(Facts {
            c: c.clone(),
            created: false,
            last_move_ms: None,
        }),
    };
    decide(event, channel, facts.as_ref(), &scope)
}

#[test]
fn every_event_kind_in_every_state() {
    let flow = flows::example_flow();
    let bot = conversation(Bot, ThreadOwner::Baton);
    let inbox = conversation(Inbox, ThreadOwner::PageInbox);
    let done = conversation(Done, ThreadOwner::Baton);
    let none: Vec<Kind> = vec![];
    let answer = vec![Message];
    // (event, with the bot, with a person in the Page Inbox, handed back)
    #[rustfmt::skip]
    let table: Vec<(&str, Outcome, Outcome, Outcome)> = vec![
        ("text",             (None, answer.clone(), None),          (None, none.clone(), None),        (None, answer.clone(), None)),
        ("keyword",          (None, answer.clone(), None),          (None, none.clone(), None),        (None, answer.clone(), None)),
        // The confirmation carries the pass: one call.
        ("talk to human",    (Some(Inbox), answer.clone(), None),   (None, none.clone(), None),        (Some(Inbox), answer.clone(), None)),
        // From the inbox: take the thread back, then confirm.
        ("return to bot",    (Some(Done), answer.clone(), None),    (Some(Done), vec![Take, Message], None), (None, none.clone(), None)),
        ("get started",      (None, answer.clone(), None),          (None, none.clone(), None),        (None, answer.clone(), None)),
        ("quick reply",      (None, answer.clone(), None),          (None, none.clone(), None),        (None, answer.clone(), None)),
        // A person answered from the Page Inbox: the bot stops, the thread follows.
        ("person replied",   (Some(Inbox), vec![Pass], None),       (None, none.clone(), None),        (Some(Inbox), vec![Pass], None)),
        ("own echo",         (None, none.clone(), None),            (None, none.clone(), None),        (None, none.clone(), None)),
        // Done in the Page Inbox: Messenger already gave the thread back, so no take.
        ("passed to baton",  (Some(Done), answer.clone(), Some(ThreadOwner::Baton)), (Some(Done), answer.clone(), Some(ThreadOwner::Baton)), (None, none.clone(), Some(ThreadOwner::Baton))),
        ("passed elsewhere", (None, none.clone(), Some(ThreadOwner::Other)), (None, none.clone(), Some(ThreadOwner::Other)), (None, none.clone(), Some(ThreadOwner::Other))),
        ("taken",            (Some(Inbox), none.clone(), None),     (None, none.clone(), None),        (Some(Inbox), none.clone(), None)),
        ("requested",        (Some(Inbox), answer.clone(), None),   (None, none.clone(), None),        (Some(Inbox), answer.clone(), None)),
        ("referral",         (None, none.clone(), None),            (None, none.clone(), None),        (None, none.clone(), None)),
        ("standby text",     (None, none.clone(), None),            (None, none.clone(), None),        (None, none.clone(), None)),
        // A standby postback is matched by its title against the handover message's buttons.
        ("standby return",   (None, none.clone(), None),            (Some(Done), vec![Take, Message], None), (None, none.clone(), None)),
    ];
    let events = events();
    assert_eq!(table.len(), events.len(), "every event kind has a row");
    for ((name, event, channel), (row, with_bot, with_inbox, with_done)) in
        events.iter().zip(&table)
    {
        assert_eq!(name, row);
        for (state, c, want) in [
            ("bot", &bot, with_bot),
            ("inbox", &inbox, with_inbox),
            ("done", &done, with_done),
        ] {
            let got = outcome(&decided(event, channel, c, &flow));
            assert_eq!(&got, want, "{name} in {state}");
        }
    }
}

#[test]
fn the_own_echo_confirms_its_row_and_a_person_is_written_down() {
    let flow = flows::example_flow();
    let events = events();
    let bot = conversation(Bot, ThreadOwner::Baton);
    let own = decided(&events[7].1, "messaging", &bot, &flow);
    assert_eq!(own.effects, vec![Effect::Echoed { row: 42 }]);
    let person = decided(&events[6].1, "messaging", &bot, &flow);
    assert!(matches!(
        &person.effects[0],
        Effect::Transcript { who: model::Speaker::PageInbox, text, .. } if text == "Hi, Ana here"
    ));
}

#[test]
fn first_contact_fetches_the_profile_before_anything_is_said() {
    let flow = flows::example_flow();
    let scope = scope(&flow);
    let facts = Facts {
        c: conversation(Bot, ThreadOwner::Baton),
        created: true,
        last_move_ms: None,
    };
    let d = decide(&text("hello"), "messaging", Some(&facts), &scope);
    assert_eq!(d.send_kinds(), vec![Profile, Message]);
}

#[test]
fn the_disclosure_goes_first_once_and_again_after_a_person() {
    let flow = flows::example_flow();
    let scope = Scope {
        disclosure: Some("You are talking to an automated assistant."),
        ..scope(&flow)
    };
    let facts = |c: ConversationRow| Facts {
        c,
        created: false,
        last_move_ms: None,
    };
    let fresh = ConversationRow {
        disclosed_ms: None,
        ..conversation(Bot, ThreadOwner::Baton)
    };
    let first = decide(&text("hello"), "messaging", Some(&facts(fresh)), &scope);
    assert_eq!(first.send_kinds(), vec![Message, Message]);
    assert!(first.effects.contains(&Effect::Disclosed));
    let told = decide(
        &text("hello"),
        "messaging",
        Some(&facts(conversation(Bot, ThreadOwner::Baton))),
        &scope,
    );
    assert_eq!(told.send_kinds(), vec![Message], "said once");
    let back = decide(
        &tap("Return to bot", "now_human", ButtonKind::Button),
        "messaging",
        Some(&facts(conversation(Inbox, ThreadOwner::PageInbox))),
        &scope,
    );
    assert_eq!(
        back.send_kinds(),
        vec![Take, Message, Message],
        "take, disclosure, confirmation"
    );
}

#[test]
fn with_the_window_closed_the_handover_still_happens_without_its_confirmation() {
    let flow = flows::example_flow();
    let quiet = ConversationRow {
        last_user_message_ms: Some(NOW - 2 * messenger::limits::STANDARD_WINDOW_MS),
        ..conversation(Bot, ThreadOwner::Baton)
    };
    let requested = from_user(json!({"request_thread_control": {"requested_owner_app_id": "1"}}));
    let d = decided(&requested, "messaging", &quiet, &flow);
    assert_eq!((d.moves_to(), d.send_kinds()), (Some(Inbox), vec![Pass]));
}

#[test]
fn before_the_first_publish_events_are_written_down_and_not_answered() {
    let bot = conversation(Bot, ThreadOwner::Baton);
    let empty = Flow::default();
    let no_flow = Scope {
        flow: None,
        ..scope(&empty)
    };
    for (name, event, channel) in events() {
        let facts = match needs(&event, &no_flow) {
            Needs::Nothing => None,
            _ => Some(Facts {
                c: bot.clone(),
                created: false,
                last_move_ms: None,
            }),
        };
        let d = decide(&event, channel, facts.as_ref(), &no_flow);
        let spoken = d.send_kinds().into_iter().filter(|k| *k == Message).count();
        assert_eq!(spoken, 0, "{name}");
    }
}

/// The conversation as the database would hold it after `d` (what `engine::write` does):
/// a move that finds the conversation already there ends the decision.
fn apply(c: &mut ConversationRow, d: &Decision) -> Vec<Kind> {
    let mut sent = Vec::new();
    for effect in &d.effects {
        match effect {
            Effect::Move { state, owner, .. } => {
                if c.state == *state {
                    break;
                }
                c.state = *state;
                c.thread_owner = *owner;
            }
            Effect::Owner(owner) => c.thread_owner = *owner,
            Effect::HandoverMessages { confirmation, back } => {
                c.handover_message = confirmation.clone();
                c.back_to_bot_message = back.clone();
            }
            Effect::Disclosed => c.disclosed_ms = Some(NOW),
            Effect::Send { rows, .. } => sent.extend(rows.iter().map(|r| r.kind)),
            _ => {}
        }
    }
    sent
}

/// Checks the handover rules on one decision applied to `before`.
fn rules_hold(name: &str, before: &ConversationRow, d: &Decision) {
    let rows: Vec<_> = d.sends().map(|(r, _)| r).collect();
    let kinds: Vec<Kind> = rows.iter().map(|r| r.kind).collect();
    let messages: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == Message).collect();
    // No message while the Page Inbox holds the thread, unless the decision takes it back
    // first (or Messenger just gave it back: the Page Inbox's Done). (With another app
    // holding it, Baton would get the user's events on standby, which it never answers.)
    let given_back = d.effects.contains(&Effect::Owner(ThreadOwner::Baton));
    if before.thread_owner == ThreadOwner::PageInbox && !given_back {
        if let Some(&first) = messages.first() {
            assert!(
                kinds[..first].contains(&Take),
                "{name}: a message while the Page Inbox holds the thread: {kinds:?}"
            );
        }
    }
    // While a person has the conversation the bot says nothing, unless it moves back.
    if before.state == Inbox && d.moves_to() != Some(Done) {
        assert!(
            messages.is_empty(),
            "{name}: the bot spoke over a person: {kinds:?}"
        );
    }
    // A confirmation comes before the pass (or carries it); a take before any message.
    if let Some(pass) = kinds.iter().position(|k| *k == Pass) {
        assert!(messages.iter().all(|&m| m < pass), "{name}: {kinds:?}");
    }
    if let Some(take) = kinds.iter().position(|k| *k == Take) {
        assert!(messages.iter().all(|&m| m > take), "{name}: {kinds:?}");
    }
    // Moving to the inbox hands the thread over (a pass, alone or on the last message),
    // unless the Page Inbox took the thread itself.
    if d.moves_to() == Some(Inbox) && before.thread_owner == ThreadOwner::Baton && name != "taken" {
        let carried = rows.last().is_some_and(|r| compose::carries_pass(&r.body));
        assert!(
            kinds.contains(&Pass) || carried,
            "{name}: moved without a pass: {kinds:?}"
        );
    }
}

/// Any sequence of up to `longest` events from [`events`], as indices into it (proptest
/// shrinks a failing sequence to the shortest that still breaks a rule).
fn any_order(longest: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..events().len(), 0..=longest)
}

/// The event names of the handover buttons and Messenger's handover events.
const HANDOVERS: [&str; 7] = [
    "talk to human",
    "return to bot",
    "passed to baton",
    "taken",
    "requested",
    "person replied",
    "standby return",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn handover_rules_hold_for_any_order_of_events(order in any_order(12)) {
        let flow = flows::example_flow();
        let events = events();
        let mut c = conversation(Bot, ThreadOwner::Baton);
        for i in order {
            let (name, event, channel) = &events[i];
            let d = decided(event, channel, &c, &flow);
            rules_hold(name, &c, &d);
            apply(&mut c, &d);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_repeated_handover_event_changes_nothing_the_second_time(before in any_order(8)) {
        let flow = flows::example_flow();
        let events = events();
        let mut c = conversation(Bot, ThreadOwner::Baton);
        for i in before {
            let (_, event, channel) = &events[i];
            let d = decided(event, channel, &c, &flow);
            apply(&mut c, &d);
        }
        for (name, event, channel) in events.iter().filter(|(n, ..)| HANDOVERS.contains(n)) {
            let mut once = c.clone();
            let first = decided(event, channel, &c, &flow);
            apply(&mut once, &first);
            let mut twice = once.clone();
            let again = decided(event, channel, &once, &flow);
            let sent = apply(&mut twice, &again);
            prop_assert_eq!(&twice, &once, "{}: the second time moved the conversation", name);
            prop_assert!(sent.is_empty(), "{}: the second time sent {:?}", name, sent);
        }
    }
}
