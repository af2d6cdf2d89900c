//! Conversation Routing as the sandbox plays it: a message that carries its own handover
//! (`thread_control`), released threads going back to the default app, pages that refuse
//! handovers, the Human Agent permission and the message tags Meta removed.

use crate::common::*;
use messenger::graph::GraphApi;
use messenger::send::{OutgoingMessage, SendRequest};
use messenger::webhook::EventKind;
use messenger::ErrorKind;
use sandbox::{PageUpdate, Refusal, Speaker};

fn set(env: &Env, update: PageUpdate) {
    env.sandbox.update_page(PAGE, update).unwrap();
}

fn refuse(env: &Env, refusal: Refusal) {
    set(
        env,
        PageUpdate {
            refuse_handovers: Some(refusal),
            ..Default::default()
        },
    );
}

/// A user who just wrote (the 24-hour window is open) and whose events were taken.
async fn talking_user(env: &Env) -> String {
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    env.take_events().await;
    psid
}

fn handover_message(psid: &str) -> SendRequest {
    SendRequest::text(psid, "You're now chatting to a real person")
        .with_metadata("baton:now_human")
        .with_pass_to(INBOX)
}

fn page_lines(env: &Env, psid: &str) -> usize {
    let transcript = env.sandbox.transcript(psid).unwrap();
    transcript
        .iter()
        .filter(|t| t.from != Speaker::User)
        .count()
}

#[tokio::test]
async fn a_message_with_thread_control_delivers_and_hands_over_in_one_call() {
    let env = env().await;
    let psid = talking_user(&env).await;
    env.client.send(&handover_message(&psid)).await.unwrap();
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(INBOX)
    );
    let history = env.sandbox.thread(&psid).unwrap().history;
    let last = history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.to.as_deref()),
        ("pass", Some(INBOX))
    );
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert!(matches!(&evs[0].1.kind, EventKind::Echo(e) if e.app_id.as_deref() == Some(BATON)));
    assert_eq!(page_lines(&env, &psid), 1);
}

#[tokio::test]
async fn a_classic_page_refuses_thread_control_and_delivers_nothing() {
    let env = env().await;
    set(
        &env,
        PageUpdate {
            conversation_routing: Some(false),
            ..Default::default()
        },
    );
    let psid = talking_user(&env).await;
    let err = env.client.send(&handover_message(&psid)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ThreadControlUnsupported);
    assert!(!err.is_retryable());
    assert_eq!(page_lines(&env, &psid), 0);
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(BATON)
    );
    // The separate call still works there.
    env.client
        .send(&SendRequest::text(&psid, "Connecting you"))
        .await
        .unwrap();
    env.client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_page_that_disables_the_separate_calls_still_takes_thread_control() {
    let env = env().await;
    refuse(&env, Refusal::SeparateCalls);
    let psid = talking_user(&env).await;
    for err in [
        env.client
            .pass_thread_control(&psid, INBOX, None)
            .await
            .unwrap_err(),
        env.client
            .take_thread_control(&psid, None)
            .await
            .unwrap_err(),
        env.client.release_thread_control(&psid).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::HandoverDisabled, "{err}");
        assert!(!err.is_retryable());
    }
    env.client.send(&handover_message(&psid)).await.unwrap();
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(INBOX)
    );
}

#[tokio::test]
async fn a_page_that_refuses_every_handover_sends_nothing_of_the_handover_message() {
    let env = env().await;
    refuse(&env, Refusal::All);
    let psid = talking_user(&env).await;
    let err = env.client.send(&handover_message(&psid)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverDisabled);
    assert_eq!(page_lines(&env, &psid), 0, "the user saw nothing");
    assert!(env.take_events().await.is_empty());
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(BATON)
    );
    // An ordinary message still goes out.
    env.client
        .send(&SendRequest::text(&psid, "No one can take this now"))
        .await
        .unwrap();
    assert_eq!(page_lines(&env, &psid), 1);
}

#[tokio::test]
async fn a_restricted_page_sends_nothing_and_hands_nothing_over() {
    let env = env().await;
    refuse(&env, Refusal::Restricted);
    let psid = talking_user(&env).await;
    let send = env
        .client
        .send(&SendRequest::text(&psid, "hello"))
        .await
        .unwrap_err();
    let pass = env
        .client
        .pass_thread_control(&psid, INBOX, None)
        .await
        .unwrap_err();
    for err in [send, pass] {
        assert_eq!(err.kind(), ErrorKind::PageRestricted, "{err}");
        assert_eq!(err.code(), Some((10, Some(1893063))));
    }
    // The Page Inbox's own people are not Baton's calls: they still answer.
    env.sandbox.agent_says(&psid, "Rita here").unwrap();
}

#[tokio::test]
async fn under_conversation_routing_a_released_thread_goes_back_to_the_default_app() {
    let env = env().await;
    let psid = talking_user(&env).await;
    env.client.release_thread_control(&psid).await.unwrap();
    assert_eq!(
        env.client.thread_owner(&psid).await.unwrap().as_deref(),
        Some(BATON)
    );
    set(
        &env,
        PageUpdate {
            conversation_routing: Some(false),
            ..Default::default()
        },
    );
    env.client.release_thread_control(&psid).await.unwrap();
    assert_eq!(env.client.thread_owner(&psid).await.unwrap(), None);
}

#[tokio::test]
async fn a_person_in_the_page_inbox_can_answer_without_a_handover() {
    let env = env().await;
    let psid = talking_user(&env).await;
    let mid = env.sandbox.agent_says(&psid, "Hi, Rita here").unwrap();
    assert_eq!(
        env.sandbox.thread_owner(&psid).unwrap().as_deref(),
        Some(BATON),
        "no handover happened"
    );
    let evs = env.take_events().await;
    let [(channel, event)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(*channel, messenger::webhook::Channel::Messaging);
    let EventKind::Echo(echo) = &event.kind else {
        panic!("{event:?}")
    };
    assert_eq!(
        (echo.mid.as_str(), echo.app_id.as_deref()),
        (mid.as_str(), Some(INBOX))
    );
}

#[tokio::test]
async fn human_agent_needs_the_permission_and_the_removed_tags_fail_with_100() {
    let env = env().await;
    let psid = talking_user(&env).await;
    let reply = || {
        SendRequest::human_agent(
            &psid,
            OutgoingMessage {
                text: Some("A person writing".into()),
                ..Default::default()
            },
        )
    };
    env.client.send(&reply()).await.unwrap();
    set(
        &env,
        PageUpdate {
            human_agent: Some(false),
            ..Default::default()
        },
    );
    let err = env.client.send(&reply()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HumanAgentNotApproved, "{err}");

    for tag in messenger::send::REMOVED_TAGS {
        let body = serde_json::json!({
            "recipient": {"id": psid}, "messaging_type": "MESSAGE_TAG", "tag": tag,
            "message": {"text": "Your order shipped"},
        });
        let res = reqwest::Client::new()
            .post(format!("{}/v21.0/me/messages", env.base))
            .query(&[("access_token", sandbox::DEFAULT_PAGE_TOKEN)])
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], 100, "{err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(tag),
            "{err}"
        );
    }
}
