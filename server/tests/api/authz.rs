//! Every server function with the access it needs, called as nobody and as each role.
//! A server function missing from `TABLE` fails `every_server_function_is_in_the_table`, so a
//! new function cannot ship without deciding (and testing) who may call it.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::support::{post_form, TestApp};
use app::error::AppError;
use app::model::{Permission, Role};

#[derive(Debug, Clone, Copy)]
enum Access {
    /// Open without a session (sign-in, session probe).
    Public,
    /// Open only while no user exists (first run); refused (403) afterwards.
    FirstRunOnly,
    /// Any signed-in user.
    SignedIn,
    Needs(Permission),
}

use Access::*;
use Permission::*;

/// (path, a valid request body, access).
const TABLE: &[(&str, &str, Access)] = &[
    ("/api/auth/session", "", Public),
    (
        "/api/auth/sign_in",
        "email=nobody%40example.com&password=wrong+password",
        Public,
    ),
    (
        "/api/auth/first_admin",
        "email=first%40example.com&password=0123456789ab",
        FirstRunOnly,
    ),
    ("/api/auth/sign_out", "", SignedIn),
    ("/api/settings/page_name", "", SignedIn),
    (
        "/api/settings/save_page_name",
        "name=Demo",
        Needs(ManageSettings),
    ),
    ("/api/settings/page_health", "", Needs(ManageSettings)),
    ("/api/settings/disconnect_page", "", Needs(ManageSettings)),
    (
        "/api/settings/rotate_page",
        "access_token=&app_secret=&new_verify=true",
        Needs(ManageSettings),
    ),
    ("/api/settings/bot_disclosure", "", Needs(ManageSettings)),
    (
        "/api/settings/save_bot_disclosure",
        "on=true&text=I+am+a+bot",
        Needs(ManageSettings),
    ),
    ("/api/setup/status", "", Needs(RunSetup)),
    ("/api/setup/open_step", "step=webhook", Needs(RunSetup)),
    ("/api/setup/check", "step=token", Needs(RunSetup)),
    ("/api/setup/check_token", "token=abc", Needs(RunSetup)),
    ("/api/setup/new_verify_token", "", Needs(RunSetup)),
    (
        "/api/setup/save_app",
        "app_id=1&app_secret=s&verify_token=v",
        Needs(RunSetup),
    ),
    ("/api/setup/subscribe", "", Needs(RunSetup)),
    ("/api/setup/sandbox_verify", "", Needs(RunSetup)),
    (
        "/api/setup/confirm",
        "item=response-method&done=true",
        Needs(RunSetup),
    ),
    ("/api/setup/push_profile", "", Needs(RunSetup)),
    ("/api/setup/recent_people", "", Needs(RunSetup)),
    ("/api/setup/send_test", "psid=1", Needs(RunSetup)),
    ("/api/setup/round_trip", "psid=1", Needs(RunSetup)),
    ("/api/setup/human_agent_test", "psid=1", Needs(RunSetup)),
    ("/api/setup/use_sandbox", "", Needs(RunSetup)),
    ("/api/users/list", "", Needs(ManageUsers)),
    (
        "/api/users/create",
        "email=new%40example.com&role=agent&password=0123456789ab",
        Needs(ManageUsers),
    ),
    (
        "/api/users/set_role",
        "id=999&role=agent",
        Needs(ManageUsers),
    ),
    (
        "/api/users/set_disabled",
        "id=999&disabled=true",
        Needs(ManageUsers),
    ),
    (
        "/api/users/reset_password",
        "id=999&password=0123456789ab",
        Needs(ManageUsers),
    ),
    ("/api/audit/list", "", Needs(ViewAudit)),
    ("/api/flows/get_draft", "", Needs(EditFlows)),
    (
        "/api/flows/save_draft",
        "flow=%7B%22version%22%3A1%2C%22messages%22%3A%5B%5D%7D",
        Needs(EditFlows),
    ),
    ("/api/flows/validate_draft", "", Needs(EditFlows)),
    ("/api/flows/publish", "", Needs(PublishFlows)),
    ("/api/flows/list_versions", "", Needs(EditFlows)),
    ("/api/flows/rollback", "number=1", Needs(PublishFlows)),
    ("/api/flows/load_editor", "", Needs(EditFlows)),
    (
        "/api/flows/save_edit",
        "flow=%7B%22version%22%3A1%2C%22messages%22%3A%5B%5D%7D&revision=0",
        Needs(EditFlows),
    ),
    (
        "/api/flows/import_file",
        "flow=%7B%22version%22%3A1%2C%22messages%22%3A%5B%5D%7D",
        Needs(EditFlows),
    ),
    ("/api/flows/push_changes", "revision=0", Needs(PublishFlows)),
    ("/api/flows/version_changes", "number=1", Needs(EditFlows)),
    (
        "/api/inbox/list",
        "list=inbox&search=ana&cursor=",
        Needs(WorkInbox),
    ),
    ("/api/inbox/get", "psid=unknown", Needs(WorkInbox)),
    (
        "/api/inbox/act",
        "psid=unknown&action=mark_as_done",
        Needs(WorkInbox),
    ),
    (
        "/api/inbox/reply",
        "psid=unknown&text=hello",
        Needs(WorkInbox),
    ),
    ("/api/simulator/overview", "", Needs(UseSimulator)),
    (
        "/api/simulator/page",
        "psid=1&conversation_routing=true&refuse=off&human_agent=true",
        Needs(UseSimulator),
    ),
    (
        "/api/simulator/create_user",
        "first_name=Ana&last_name=",
        Needs(UseSimulator),
    ),
    ("/api/simulator/remove_user", "psid=1", Needs(UseSimulator)),
    ("/api/simulator/view", "psid=1", Needs(UseSimulator)),
    (
        "/api/simulator/user",
        "psid=1&act=say&text=hi&mid=&index=0",
        Needs(UseSimulator),
    ),
    (
        "/api/simulator/page_inbox",
        "psid=1&act=done&text=",
        Needs(UseSimulator),
    ),
    ("/api/simulator/advance", "minutes=60", Needs(UseSimulator)),
    (
        "/api/simulator/try_draft",
        "psid=1&on=true",
        Needs(UseSimulator),
    ),
];

#[test]
fn every_server_function_is_in_the_table() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let listed: BTreeSet<String> = TABLE.iter().map(|(p, _, _)| (*p).to_owned()).collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "server functions without an access rule in TABLE: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "TABLE lists functions that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn anonymous_callers_get_401_except_on_public_functions() {
    let app = TestApp::new().await;
    app.user("someone@example.com", Role::Agent).await;
    for (path, body, access) in TABLE {
        let (status, text) = app.send(post_form(path, body, None)).await;
        match access {
            Public => assert!(
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                "{path}: public but got {status}: {text}"
            ),
            FirstRunOnly => assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {text}"),
            SignedIn | Needs(_) => {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {text}");
                assert_eq!(error_of(&text), AppError::Unauthorized, "{path}");
            }
        }
    }
}

#[tokio::test]
async fn each_role_gets_exactly_its_permissions() {
    let app = TestApp::new().await;
    for role in Role::ALL {
        let id = app.user(&format!("{role}@example.com"), role).await;
        for (path, body, access) in TABLE {
            // A fresh session per call: sign_out ends the one it is given.
            let cookie = app.session_cookie(id).await;
            let (status, text) = app.send(post_form(path, body, Some(&cookie))).await;
            let denied = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
            match access {
                FirstRunOnly => assert_eq!(status, StatusCode::FORBIDDEN, "{path}"),
                Public | SignedIn => assert!(!denied, "{role} {path}: got {status}: {text}"),
                Needs(p) if role.can(*p) => {
                    assert!(!denied, "{role} {path}: allowed but got {status}: {text}")
                }
                Needs(_) => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{role} {path}: {text}");
                    assert_eq!(error_of(&text), AppError::Forbidden, "{path}");
                }
            }
        }
    }
}

#[tokio::test]
async fn disabled_users_lose_their_sessions() {
    let app = TestApp::new().await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let agent = app.user("agent@example.com", Role::Agent).await;
    let admin_cookie = app.session_cookie(admin).await;
    let agent_cookie = app.session_cookie(agent).await;
    let (status, _) = app
        .send(post_form("/api/auth/session", "", Some(&agent_cookie)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .send(post_form(
            "/api/users/set_disabled",
            &format!("id={agent}&disabled=true"),
            Some(&admin_cookie),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app
        .send(post_form(
            "/api/settings/page_name",
            "",
            Some(&agent_cookie),
        ))
        .await;
    assert_eq!(error_of(&body), AppError::Unauthorized);
}

/// The error a server function sent (the browser decodes the same JSON).
fn error_of(body: &str) -> AppError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"))
}
