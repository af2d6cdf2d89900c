//! GraphError tests: envelope parsing and every row of the §10 mapping table.

use messenger::error::{ApiError, ErrorKind, GraphError};
use serde_json::json;

fn api(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
    let body = json!({"error":{"message":message,"type":"OAuthException","code":code,
        "error_subcode":subcode,"fbtrace_id":"T"}});
    GraphError::from_response(400, body.to_string().as_bytes())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn fixtures_parse() {
    let e = GraphError::from_response(400, &fixture("graph_error_outside_window.json"));
    let GraphError::Api { status, error } = &e else {
        panic!()
    };
    assert_eq!(*status, 400);
    assert_eq!((error.code, error.error_subcode), (10, Some(2018278)));
    assert_eq!(error.fbtrace_id.as_deref(), Some("AX1fakeTrace01"));
    assert_eq!(error.error_type.as_deref(), Some("OAuthException"));
    assert_eq!(e.kind(), ErrorKind::OutsideWindow);
    assert!(!e.is_retryable());
    assert_eq!(e.code(), Some((10, Some(2018278))));

    let e = GraphError::from_response(401, &fixture("graph_error_invalid_token.json"));
    assert_eq!(e.kind(), ErrorKind::TokenExpired);
    assert_eq!(
        e.plain_message(),
        "Facebook connection expired — reconnect the page"
    );
    assert!(!e.is_retryable());
}

/// code, subcode, message, expected kind, retryable, plain message.
type Row = (
    i64,
    Option<i64>,
    &'static str,
    ErrorKind,
    bool,
    &'static str,
);

#[test]
fn mapping_table() {
    use ErrorKind::*;
    let rows: &[Row] = &[
        (190, Some(458), "", TokenExpired, false, "Facebook connection expired — reconnect the page"),
        (190, Some(460), "", TokenExpired, false, "Facebook connection expired — reconnect the page"),
        (190, Some(463), "", TokenExpired, false, "Facebook connection expired — reconnect the page"),
        (190, Some(467), "", TokenExpired, false, "Facebook connection expired — reconnect the page"),
        (190, None, "", TokenExpired, false, "Facebook connection expired — reconnect the page"),
        (10, Some(2018278), "", OutsideWindow, false, "More than 24 h since the customer's last message; wait for them to write (or use human-agent reply)"),
        (10, Some(2018065), "", OutsideWindow, false, "More than 24 h since the customer's last message; wait for them to write (or use human-agent reply)"),
        (10, Some(2018108), "", PolicyBlocked, false, "Not allowed by messaging policy"),
        (10, None, "(#10) Requires pages_messaging permission", PermissionMissing, false, "Baton lacks permission on this page"),
        (200, None, "", PermissionMissing, false, "Baton lacks permission on this page"),
        (200, Some(2018028), "", NotApprovedForPublic, false, "App not approved for public messaging"),
        (200, Some(2018027), "", NotApprovedForPublic, false, "App not approved for public messaging"),
        (200, Some(2018021), "", NotApprovedForPublic, false, "App not approved for public messaging"),
        (200, Some(1545041), "", UserUnavailable, false, "This person can't receive messages right now"),
        (551, None, "", UserUnavailable, false, "This person can't receive messages right now"),
        (100, None, "(#100) Invalid parameter", InvalidParameter, false, "Message rejected: invalid content"),
        (100, Some(2018001), "", UnknownRecipient, false, "Unknown recipient"),
        (100, Some(2018109), "", AttachmentTooLarge, false, "Attachment too large"),
        (4, None, "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (4, Some(2018022), "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (17, None, "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (32, None, "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (613, None, "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (80006, None, "", RateLimited, true, "Facebook is rate-limiting; retrying"),
        (1, None, "", Transient, true, "Temporary Facebook error; retrying"),
        (2, None, "", Transient, true, "Temporary Facebook error; retrying"),
        (1200, None, "", Transient, true, "Temporary Facebook error; retrying"),
        (27, None, "(#27) Take thread control is not supported", RoutingPrevents, false, "Page routing settings prevent Baton from taking the conversation"),
        (10, None, "(#10) Only the thread owner can pass thread control", HandoverRefused, false, "Conversation is controlled by another app (check Page routing settings)"),
        (100, None, "(#100) Invalid target app for thread control", HandoverRefused, false, "Conversation is controlled by another app (check Page routing settings)"),
        (10, Some(2018300), "(#10) Message failed to send because another app is controlling this thread now.", NotThreadOwner, false, "The conversation is with a human agent"),
        (10, None, "(#10) Handover Protocol APIs disabled for this page", HandoverDisabled, false, "The page's routing settings refuse handovers (\"Handover Protocol APIs disabled\"): make Baton's app the default app for Messenger and keep Page Inbox connected"),
        (100, Some(2018300), "Handover protocol APIs are disabled", HandoverDisabled, false, "The page's routing settings refuse handovers (\"Handover Protocol APIs disabled\"): make Baton's app the default app for Messenger and keep Page Inbox connected"),
        (10, Some(1893063), "(#10) This Page is temporarily restricted", PageRestricted, false, "Facebook has temporarily restricted this page from sending messages"),
        (10, None, "(#10) This app may not use the HUMAN_AGENT tag", HumanAgentNotApproved, false, "This app does not have Meta's Human Agent permission, so replies more than 24 h after the customer's last message are refused (request it in App Review)"),
        (200, None, "(#200) Requires the human agent permission", HumanAgentNotApproved, false, "This app does not have Meta's Human Agent permission, so replies more than 24 h after the customer's last message are refused (request it in App Review)"),
        (100, None, "(#100) Param thread_control is not supported", ThreadControlUnsupported, false, "This page does not accept a handover inside a message; Baton hands over with a separate call"),
        (2018032, None, "", Other, false, "Facebook returned an unexpected error"),
        (999, Some(1), "", Other, false, "Facebook returned an unexpected error"),
    ];
    for &(code, sub, msg, kind, retry, plain) in rows {
        let e = api(code, sub, msg);
        assert_eq!(e.kind(), kind, "{code}/{sub:?}");
        assert_eq!(e.is_retryable(), retry, "{code}/{sub:?}");
        assert_eq!(e.plain_message(), plain, "{code}/{sub:?}");
    }
    // What counts as the page refusing a handover (as opposed to the message itself).
    let refusing: Vec<ErrorKind> = rows
        .iter()
        .map(|r| r.3)
        .filter(|k| k.refuses_handover())
        .collect();
    for kind in [
        HandoverDisabled,
        HandoverRefused,
        RoutingPrevents,
        PageRestricted,
        NotThreadOwner,
        PermissionMissing,
    ] {
        assert!(refusing.contains(&kind), "{kind:?}");
    }
    for kind in [
        OutsideWindow,
        InvalidParameter,
        RateLimited,
        ThreadControlUnsupported,
        HumanAgentNotApproved,
    ] {
        assert!(!kind.refuses_handover(), "{kind:?}");
    }
}

#[test]
fn is_transient_flag_only_for_unclassified_codes() {
    let body =
        |code: i64| json!({"error":{"message":"x","code":code,"is_transient":true}}).to_string();
    assert!(GraphError::from_response(400, body(999).as_bytes()).is_retryable());
    assert!(!GraphError::from_response(400, body(190).as_bytes()).is_retryable());
    assert!(!GraphError::from_response(400, body(100).as_bytes()).is_retryable());
}

#[test]
fn non_envelope_failures() {
    let e = GraphError::from_response(502, b"<html>Bad gateway</html>");
    assert!(matches!(e, GraphError::Status { status: 502, .. }));
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(e.is_retryable());
    let e = GraphError::from_response(429, b"");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.is_retryable());
    let e = GraphError::from_response(404, b"nope");
    assert!(!e.is_retryable());
    assert_eq!(e.kind(), ErrorKind::Other);
    assert!(GraphError::Timeout.is_retryable());
    assert!(GraphError::Network("refused".into()).is_retryable());
    assert!(!GraphError::Decode("bad".into()).is_retryable());
    assert!(!GraphError::NotSuccessful("x".into()).is_retryable());
    // An envelope with a 5xx status is classified by its code.
    let body = json!({"error":{"message":"x","code":2}}).to_string();
    assert!(GraphError::from_response(500, body.as_bytes()).is_retryable());
    assert_eq!(ApiError::from_body(b"{\"error\":\"string\"}"), None);
}
