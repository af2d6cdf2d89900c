//! The flow server functions over HTTP, as the editor calls them: save, validate, publish,
//! versions and rollback, with errors as `AppError` JSON.

mod support;

use axum::http::StatusCode;

use app::error::AppError;
use app::model::{PublishReport, PushStatus, Role, VersionInfo};
use flows::{Flow, Problem};
use support::{post_form, TestApp};

const KIT: &str = include_str!("../../crates/flows/tests/fixtures/handover_kit.json");

fn form_flow(json: &str) -> String {
    format!(
        "flow={}",
        url::form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>()
    )
}

async fn call<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    cookie: &str,
    path: &str,
    body: &str,
) -> Result<T, (StatusCode, AppError)> {
    let (status, text) = app.send(post_form(path, body, Some(cookie))).await;
    if status == StatusCode::OK {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}")))
    } else {
        Err((status, serde_json::from_str(&text).unwrap()))
    }
}

#[tokio::test]
async fn an_editor_saves_validates_publishes_and_rolls_back() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Editor).await;

    let empty: Flow = call(&app, &cookie, "/api/flows/get_draft", "")
        .await
        .unwrap();
    assert_eq!(empty, Flow::default());

    let problems: Vec<Problem> = call(&app, &cookie, "/api/flows/save_draft", &form_flow(KIT))
        .await
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let draft: Flow = call(&app, &cookie, "/api/flows/get_draft", "")
        .await
        .unwrap();
    assert_eq!(draft, flows::example_flow());

    // Not a flow at all: 400, one problem per line, nothing saved.
    let err = call::<Vec<Problem>>(&app, &cookie, "/api/flows/save_draft", &form_flow("[1]"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        (
            StatusCode::BAD_REQUEST,
            AppError::Invalid("$: expected an object".into())
        )
    );

    let report: PublishReport = call(&app, &cookie, "/api/flows/publish", "").await.unwrap();
    assert_eq!(report.version.number, 1);
    assert_eq!(report.version.published_by, "editor@example.com");
    assert_eq!(report.version.push_status, PushStatus::Skipped);

    // A draft with a broken reference is saved and flagged, but not published.
    let mut broken = flows::example_flow();
    broken.triggers.fallback = Some("gone".into());
    let problems: Vec<Problem> = call(
        &app,
        &cookie,
        "/api/flows/save_draft",
        &form_flow(&flows::to_json(&broken)),
    )
    .await
    .unwrap();
    assert_eq!(
        problems[0].to_string(),
        "triggers.fallback: no message with key \"gone\""
    );
    let checked: Vec<Problem> = call(&app, &cookie, "/api/flows/validate_draft", "")
        .await
        .unwrap();
    assert_eq!(checked, problems);
    let err = call::<PublishReport>(&app, &cookie, "/api/flows/publish", "")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        (
            StatusCode::BAD_REQUEST,
            AppError::Invalid("triggers.fallback: no message with key \"gone\"".into())
        )
    );

    let report: PublishReport = call(&app, &cookie, "/api/flows/rollback", "number=1")
        .await
        .unwrap();
    assert_eq!(report.version.number, 2);
    assert_eq!(report.version.rolled_back_from, Some(1));
    let versions: Vec<VersionInfo> = call(&app, &cookie, "/api/flows/list_versions", "")
        .await
        .unwrap();
    assert_eq!(
        versions.iter().map(|v| v.number).collect::<Vec<_>>(),
        [2, 1]
    );
    let draft: Flow = call(&app, &cookie, "/api/flows/get_draft", "")
        .await
        .unwrap();
    assert_eq!(draft, flows::example_flow());

    let err = call::<PublishReport>(&app, &cookie, "/api/flows/rollback", "number=5")
        .await
        .unwrap_err();
    assert_eq!(err.0, StatusCode::BAD_REQUEST);
}
