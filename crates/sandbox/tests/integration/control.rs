//! The JSON control API (`/_sandbox/...`) driven in-process with tower's `oneshot`.

use axum::http::StatusCode;
use sandbox::{Sandbox, SandboxConfig, DEFAULT_PAGE_TOKEN};
use serde_json::{json, Value};

use crate::common::call_json as call;

fn send_uri() -> String {
    format!("/v21.0/me/messages?access_token={DEFAULT_PAGE_TOKEN}")
}

#[tokio::test]
async fn users_taps_transcript_and_thread() {
    let sb = Sandbox::new(SandboxConfig::default());
    let app = sb.router();
    let (s, user) = call(
        &app,
        "POST",
        "/_sandbox/users",
        Some(json!({"first_name": "Ana", "last_name": "Silva"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let psid = user["psid"].as_str().unwrap().to_owned();
    assert_eq!(psid, "24000000000000001");
    assert_eq!(user["page_id"], "1234567890");
    let (_, list) = call(&app, "GET", "/_sandbox/users", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (s, said) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/say"),
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(said["mid"].as_str().unwrap().starts_with("m_"));

    // Baton replies with quick replies and a button template via the Graph routes.
    let (s, _) = call(
        &app,
        "POST",
        &send_uri(),
        Some(
            json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE",
        "message": {"text": "Pick a topic:", "quick_replies": [
            {"content_type": "text", "title": "Shipping", "payload": "SHIP"}]}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, sent) = call(&app, "POST", &send_uri(), Some(json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "template", "payload": {"template_type": "button", "text": "Or",
            "buttons": [{"type": "web_url", "title": "Shop", "url": "https://shop.example.com/"},
                        {"type": "postback", "title": "Track", "payload": "TRACK"}]}}}}))).await;
    let tmpl_mid = sent["message_id"].as_str().unwrap().to_owned();

    // Tap quick reply by title → message with quick_reply.payload and text = title.
    let (s, _) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/tap"),
        Some(json!({"title": "Shipping"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Tap by message id + index → postback.
    let (s, _) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/tap"),
        Some(json!({"mid": tmpl_mid, "index": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // web_url buttons and unknown titles are refused.
    let (s, err) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/tap"),
        Some(json!({"title": "Shop"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, _) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/tap"),
        Some(json!({"title": "Nope"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // No callback configured: webhooks wait in the queue; their bodies are inspectable.
    let (_, deliveries) = call(&app, "GET", "/_sandbox/deliveries", None).await;
    let bodies: Vec<Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str(d["body"].as_str().unwrap()).unwrap())
        .collect();
    let events: Vec<&Value> = bodies
        .iter()
        .map(|b| &b["entry"][0]["messaging"][0])
        .collect();
    assert_eq!(events.len(), 5, "message, 2 echoes, quick reply, postback");
    assert_eq!(events[3]["message"]["text"], "Shipping");
    assert_eq!(events[3]["message"]["quick_reply"]["payload"], "SHIP");
    assert_eq!(
        events[4]["postback"],
        json!({"mid": events[4]["postback"]["mid"], "title": "Track", "payload": "TRACK"})
    );
    assert_eq!(
        events[2]["message"]["attachments"][0]["payload"]["template_type"],
        "button"
    );

    let (_, transcript) = call(
        &app,
        "GET",
        &format!("/_sandbox/users/{psid}/transcript"),
        None,
    )
    .await;
    let froms: Vec<&str> = transcript
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["from"].as_str().unwrap())
        .collect();
    assert_eq!(froms, ["user", "page_bot", "page_bot", "user", "user"]);
    assert_eq!(transcript[1]["quick_replies"][0]["title"], "Shipping");
    assert_eq!(transcript[2]["buttons"][1]["payload"], "TRACK");
    assert_eq!(transcript[3]["payload"], "SHIP");

    let (_, thread) = call(&app, "GET", &format!("/_sandbox/users/{psid}/thread"), None).await;
    assert_eq!(thread["owner"], "baton");
    assert_eq!(thread["owner_app_id"], "111111111111111");
    assert_eq!(thread["window_open"], true);
    let (s, _) = call(&app, "GET", "/_sandbox/users/999/thread", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn agent_clock_settings_and_callback() {
    let sb = Sandbox::new(SandboxConfig::default());
    let app = sb.router();
    let (_, user) = call(&app, "POST", "/_sandbox/users", None).await;
    let psid = user["psid"].as_str().unwrap().to_owned();
    call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/say"),
        Some(json!({"text": "help"})),
    )
    .await;

    let (s, _) = call(
        &app,
        "PUT",
        "/_sandbox/settings",
        Some(json!({"inbox_takes_directly": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, thread) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/agent/move_to_inbox"),
        Some(json!({"metadata": "m"})),
    )
    .await;
    assert_eq!(thread["owner"], "page_inbox");
    let (s, said) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/agent/say"),
        Some(json!({"text": "Rita here"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{said}");
    let (_, thread) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/agent/done"),
        None,
    )
    .await;
    assert_eq!(thread["owner"], "baton");
    let (s, err) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/agent/done"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(err["graph_error"]["code"], 10);

    let (_, adv) = call(
        &app,
        "POST",
        "/_sandbox/clock/advance",
        Some(json!({"hours": 25})),
    )
    .await;
    assert_eq!(adv["offset_ms"], 25 * 3600 * 1000);
    let (_, thread) = call(&app, "GET", &format!("/_sandbox/users/{psid}"), None).await;
    assert_eq!(thread["thread"]["window_open"], false);
    assert_eq!(thread["user"]["psid"], psid.as_str());

    let (_, cb) = call(
        &app,
        "PUT",
        "/_sandbox/callback",
        Some(json!({"url": "http://127.0.0.1:1/webhook"})),
    )
    .await;
    assert_eq!(cb["callback_url"], "http://127.0.0.1:1/webhook");
    call(
        &app,
        "PUT",
        "/_sandbox/callback",
        Some(json!({"url": null})),
    )
    .await;
    let (_, state) = call(&app, "GET", "/_sandbox/state", None).await;
    assert_eq!(state["callback_url"], Value::Null);
    assert_eq!(state["inbox_takes_directly"], true);
    assert_eq!(state["pages"][0]["id"], "1234567890");
    let (s, settled) = call(&app, "POST", "/_sandbox/settle", None).await;
    assert_eq!((s, settled), (StatusCode::OK, json!({"settled": true})));
    let (s, _) = call(
        &app,
        "POST",
        &format!("/_sandbox/users/{psid}/get_started"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no Get Started in the profile");
}

#[tokio::test]
async fn two_sandboxes_never_hand_out_the_same_message_id() {
    let (a, b) = (
        Sandbox::new(SandboxConfig::default()),
        Sandbox::new(SandboxConfig::default()),
    );
    let ua = a.create_user(Default::default()).unwrap();
    let ub = b.create_user(Default::default()).unwrap();
    assert_eq!(ua.psid, ub.psid, "both number their users alike");
    let (ma, mb) = (
        a.user_says(&ua.psid, "hi").unwrap(),
        b.user_says(&ub.psid, "hi").unwrap(),
    );
    assert_ne!(
        ma, mb,
        "a repeated mid would be dropped as a duplicate delivery"
    );
}
