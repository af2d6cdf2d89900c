//! Thread ownership state machine between Baton and Page Inbox, seen through Baton's webhook.

use crate::common::*;
use messenger::graph::GraphApi;
use messenger::send::{Button, MessagingType, OutgoingMessage, SendRequest};
use messenger::webhook::{Channel, EventKind};
use messenger::ErrorKind;
use sandbox::{Speaker, Tap};

/// The app whose request for `psid`'s thread waits for the owner's answer, as the sandbox says.
fn pending_request(env: &Env, psid: &str) -> Option<String> {
    env.sandbox.thread(psid).unwrap().pending_request_from
}

#[tokio::test]
async fn full_handover_cycle() {
    let env = env().await;
    let psid = env.user();
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(BATON)
    );

    // User writes: Baton owns → messaging.
    let mid = env.sandbox.user_says(&psid, "hello").unwrap();
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].0, Channel::Messaging);
    assert!(
        matches!(&evs[0].1.kind, EventKind::Message(m) if m.mid == mid && m.text.as_deref() == Some("hello"))
    );
    assert_eq!(evs[0].1.sender.as_deref(), Some(psid.as_str()));

    // Baton sends buttons, then passes to Page Inbox (no webhook for Baton on pass).
    let msg = OutgoingMessage::buttons(
        "Pick",
        vec![Button::Postback {
            title: "Yes".into(),
            payload: "YES".into(),
        }],
    );
    let sent = env
        .client
        .send(&SendRequest::message(&psid, MessagingType::Response, msg).with_metadata("baton:1"))
        .await
        .unwrap();
    let bot_mid = sent.message_id.unwrap();
    env.client
        .pass_thread_control(&psid, INBOX, Some("to human"))
        .await
        .unwrap();
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(INBOX)
    );
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1, "only the echo: {evs:?}");
    let EventKind::Echo(echo) = &evs[0].1.kind else {
        panic!("{evs:?}")
    };
    assert_eq!(evs[0].0, Channel::Messaging);
    assert_eq!(echo.mid, bot_mid);
    assert_eq!(echo.app_id.as_deref(), Some(BATON));
    assert_eq!(echo.metadata.as_deref(), Some("baton:1"));

    // Page Inbox owns: user message and postback go to standby; postback has no payload.
    env.sandbox.user_says(&psid, "still there?").unwrap();
    env.sandbox
        .user_taps(
            &psid,
            &Tap::ByIndex {
                mid: bot_mid.clone(),
                index: 0,
            },
        )
        .unwrap();
    env.sandbox.agent_says(&psid, "Hi, I'm Rita").unwrap();
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 3);
    assert!(evs.iter().all(|(ch, _)| *ch == Channel::Standby));
    assert!(
        matches!(&evs[0].1.kind, EventKind::Message(m) if m.text.as_deref() == Some("still there?"))
    );
    let EventKind::Postback(p) = &evs[1].1.kind else {
        panic!()
    };
    assert_eq!(
        (p.title.as_deref(), p.payload.as_deref()),
        (Some("Yes"), None)
    );
    let EventKind::Echo(e) = &evs[2].1.kind else {
        panic!()
    };
    assert_eq!(e.app_id.as_deref(), Some(INBOX));
    assert_eq!(e.text.as_deref(), Some("Hi, I'm Rita"));

    // Baton may not send while Page Inbox owns the thread.
    let err = env
        .client
        .send(&SendRequest::text(&psid, "bot?"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotThreadOwner);
    assert_eq!(err.code(), Some((10, Some(2018300))));
    assert!(!err.is_retryable());
    // ... nor pass or release it.
    let err = env
        .client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverRefused);
    let err = env.client.release_thread_control(&psid).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverRefused);

    // Page Inbox "Done": pass_thread_control to Baton on messaging.
    env.sandbox
        .inbox_done(&psid, Some("Marked as done in Page Inbox"))
        .unwrap();
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].0, Channel::Messaging);
    let EventKind::PassThreadControl(h) = &evs[0].1.kind else {
        panic!("{evs:?}")
    };
    assert_eq!(h.previous_owner_app_id.as_deref(), Some(INBOX));
    assert_eq!(h.new_owner_app_id.as_deref(), Some(BATON));
    assert_eq!(h.metadata.as_deref(), Some("Marked as done in Page Inbox"));
    env.sandbox.user_says(&psid, "back").unwrap();
    assert_eq!(env.take_events().await[0].0, Channel::Messaging);

    let view = env.sandbox.thread(&psid).unwrap();
    assert_eq!(view.owner, "baton");
    let actions: Vec<_> = view.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["pass", "pass"]);
    let froms: Vec<_> = env
        .sandbox
        .transcript(&psid)
        .unwrap()
        .iter()
        .map(|t| t.from)
        .collect();
    use Speaker::*;
    assert_eq!(froms, [User, PageBot, User, User, PageAgent, User]);
}

#[tokio::test]
async fn move_to_inbox_request_then_pass() {
    let env = env().await;
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    env.take_events().await;
    env.sandbox
        .inbox_move_to_inbox(&psid, Some("agent wants it"))
        .unwrap();
    let evs = env.take_events().await;
    let EventKind::RequestThreadControl(r) = &evs[0].1.kind else {
        panic!("{evs:?}")
    };
    assert_eq!(r.requested_owner_app_id.as_deref(), Some(INBOX));
    assert_eq!(r.metadata.as_deref(), Some("agent wants it"));
    assert_eq!(pending_request(&env, &psid).as_deref(), Some(INBOX));
    // Ownership unchanged until Baton answers with a pass.
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(BATON)
    );
    env.client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap();
    let view = env.sandbox.thread(&psid).unwrap();
    assert_eq!(view.owner, "page_inbox");
    assert_eq!(view.pending_request_from, None);
    // Asking for a thread you own is refused.
    let err = env.sandbox.inbox_move_to_inbox(&psid, None).unwrap_err();
    assert!(matches!(err, sandbox::SandboxError::Refused(f) if f.code == 10));
}

#[tokio::test]
async fn move_to_inbox_take_variant_and_baton_takes_back() {
    let env = env().await;
    let psid = env.user();
    env.sandbox.set_inbox_takes_directly(true);
    env.sandbox
        .inbox_move_to_inbox(&psid, Some("Agent took the conversation"))
        .unwrap();
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1);
    let EventKind::TakeThreadControl(t) = &evs[0].1.kind else {
        panic!("{evs:?}")
    };
    assert_eq!(t.previous_owner_app_id.as_deref(), Some(BATON));
    assert_eq!(t.new_owner_app_id.as_deref(), Some(INBOX));
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(INBOX)
    );

    // Baton (primary) takes it back: no event to Baton (the take goes to Page Inbox).
    env.client
        .take_thread_control(&psid, Some("return to bot"))
        .await
        .unwrap();
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(BATON)
    );
    assert!(env.take_events().await.is_empty());
    // Page Inbox cannot take without the switch.
    env.sandbox.set_inbox_takes_directly(false);
    env.client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap();
    env.client.take_thread_control(&psid, None).await.unwrap();
    env.sandbox.set_inbox_takes_directly(false);
    env.sandbox.inbox_move_to_inbox(&psid, None).unwrap();
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(BATON)
    );
}

#[tokio::test]
async fn release_makes_thread_idle_until_next_user_message() {
    let env = env().await;
    // The older Handover Protocol settings: a released thread is idle (under Conversation
    // Routing it goes back to the default app, see routing.rs beside this file).
    env.sandbox
        .update_page(
            PAGE,
            sandbox::PageUpdate {
                conversation_routing: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    env.client.release_thread_control(&psid).await.unwrap();
    assert_eq!(env.client.thread_owner(&psid).await.unwrap(), None);
    assert_eq!(env.sandbox.thread(&psid).unwrap().owner, "idle");
    // Idle: Baton may still reply; a user message gives the thread to the primary.
    env.client
        .send(&SendRequest::text(&psid, "ok"))
        .await
        .unwrap();
    env.sandbox.user_says(&psid, "again").unwrap();
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(BATON)
    );
    let evs = env.take_events().await;
    assert!(evs.iter().all(|(ch, _)| *ch == Channel::Messaging));
    assert_eq!(evs.len(), 3);
    // Request by Baton while it owns: refused; pass to self / unknown app: invalid param.
    let err = env
        .client
        .request_thread_control(&psid, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverRefused);
    let err = env
        .client
        .pass_thread_control(&psid, BATON, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((100, None)));
    let err = env
        .client
        .pass_thread_control(&psid, "999", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverRefused);
    // Baton requests while Page Inbox owns: accepted (nothing delivered to Baton).
    env.client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap();
    env.client
        .request_thread_control(&psid, Some("please"))
        .await
        .unwrap();
    assert_eq!(pending_request(&env, &psid).as_deref(), Some(BATON));
    assert!(env.take_events().await.is_empty());
}
