//! The flow server functions over HTTP, as the editor calls them: save, validate, publish,
//! versions and rollback, with errors as `AppError` JSON.

use axum::http::StatusCode;

use crate::support::{post_form, TestApp};
use app::error::AppError;
use app::model::{EditorState, PublishReport, PushStatus, Role, SavedDraft, VersionInfo};
use flows::{Flow, Problem};

const KIT: &str = include_str!("../../../crates/flows/tests/fixtures/handover_kit.json");

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

fn save_edit_form(flow: &Flow, revision: i64) -> String {
    format!("{}&revision={revision}", form_flow(&flows::to_json(flow)))
}

/// Two editors open the same draft; the second one to save is refused with who saved, and
/// nothing of theirs is written until they load the newer draft.
#[tokio::test]
async fn two_editors_cannot_overwrite_each_other() {
    let app = TestApp::new().await;
    let ana = app.signed_in(Role::Editor).await;
    let bea_id = app.user("bea@example.com", Role::Admin).await;
    let bea = app.session_cookie(bea_id).await;

    let opened: EditorState = call(&app, &ana, "/api/flows/load_editor", "")
        .await
        .unwrap();
    assert_eq!(opened.revision, 0);
    assert_eq!(opened.draft, Flow::default());
    assert!(opened.live.is_none());
    assert!(opened.can_publish, "editors may publish");

    let mut flow = flows::example_flow();
    let saved: SavedDraft = call(
        &app,
        &ana,
        "/api/flows/save_edit",
        &save_edit_form(&flow, 0),
    )
    .await
    .unwrap();
    assert_eq!(saved.revision, 1);
    // Bea opened the editor before Ana's save: her save from revision 0 is refused.
    let mut theirs = flow.clone();
    theirs.greeting = Some("Bea's greeting".into());
    let err = call::<SavedDraft>(
        &app,
        &bea,
        "/api/flows/save_edit",
        &save_edit_form(&theirs, 0),
    )
    .await
    .unwrap_err();
    assert_eq!(err.0, StatusCode::CONFLICT);
    let AppError::Conflict(text) = &err.1 else {
        panic!("{err:?}")
    };
    assert!(
        text.starts_with("editor@example.com saved the draft at "),
        "{text}"
    );

    // Ana goes on from her own revision; Bea loads the newer draft and saves from it.
    flow.greeting = Some("Ana's greeting".into());
    let saved: SavedDraft = call(
        &app,
        &ana,
        "/api/flows/save_edit",
        &save_edit_form(&flow, 1),
    )
    .await
    .unwrap();
    assert_eq!(saved.revision, 2);
    let reopened: EditorState = call(&app, &bea, "/api/flows/load_editor", "")
        .await
        .unwrap();
    assert_eq!(reopened.revision, 2);
    assert_eq!(reopened.draft.greeting.as_deref(), Some("Ana's greeting"));
    assert_eq!(reopened.saved_by.as_deref(), Some("editor@example.com"));

    // Push changes publishes only the revision the editor showed.
    let err = call::<PublishReport>(&app, &bea, "/api/flows/push_changes", "revision=1")
        .await
        .unwrap_err();
    assert_eq!(err.0, StatusCode::CONFLICT);
    let report: PublishReport = call(&app, &bea, "/api/flows/push_changes", "revision=2")
        .await
        .unwrap();
    assert_eq!(report.version.number, 1);
    assert_eq!(report.version.published_by, "bea@example.com");
    let state: EditorState = call(&app, &bea, "/api/flows/load_editor", "")
        .await
        .unwrap();
    assert_eq!(state.live.map(|l| (l.number, l.flow)), Some((1, flow)));
}

/// Upload a flow file: a bad one lists every problem with its path and changes nothing; a
/// good one becomes the draft (a new revision). Versions show readable changes.
#[tokio::test]
async fn flow_files_upload_and_versions_show_their_changes() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Editor).await;

    let mut bad = flows::example_flow();
    bad.messages[0].parts[0] = flows::Part::Text(flows::TextPart {
        text: "x".repeat(2001),
        ..Default::default()
    });
    bad.triggers.fallback = Some("gone".into());
    let err = call::<EditorState>(
        &app,
        &cookie,
        "/api/flows/import_file",
        &form_flow(&flows::to_json(&bad)),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        (
            StatusCode::BAD_REQUEST,
            AppError::Invalid(
                "messages[0].parts[0].text: longer than 2000 characters (2001)\n\
                 triggers.fallback: no message with key \"gone\""
                    .into()
            )
        )
    );
    let state: EditorState = call(&app, &cookie, "/api/flows/load_editor", "")
        .await
        .unwrap();
    assert_eq!((state.revision, state.draft), (0, Flow::default()));

    let state: EditorState = call(&app, &cookie, "/api/flows/import_file", &form_flow(KIT))
        .await
        .unwrap();
    assert_eq!((state.revision, &state.draft), (1, &flows::example_flow()));
    call::<PublishReport>(&app, &cookie, "/api/flows/push_changes", "revision=1")
        .await
        .unwrap();

    let mut edited = flows::example_flow();
    edited.greeting = Some("Hello there".into());
    edited.messages[3].name = "Start".into();
    call::<SavedDraft>(
        &app,
        &cookie,
        "/api/flows/save_edit",
        &save_edit_form(&edited, 1),
    )
    .await
    .unwrap();
    call::<PublishReport>(&app, &cookie, "/api/flows/push_changes", "revision=2")
        .await
        .unwrap();

    let first: Vec<String> = call(&app, &cookie, "/api/flows/version_changes", "number=1")
        .await
        .unwrap();
    assert!(
        first.contains(&"Added message \u{201c}Talk to a human\u{201d}".to_owned()),
        "{first:?}"
    );
    let second: Vec<String> = call(&app, &cookie, "/api/flows/version_changes", "number=2")
        .await
        .unwrap();
    assert_eq!(second.len(), 2, "{second:?}");
    assert!(second[0].contains("renamed"), "{second:?}");
    assert!(second[1].starts_with("Greeting"), "{second:?}");
    let err = call::<Vec<String>>(&app, &cookie, "/api/flows/version_changes", "number=9")
        .await
        .unwrap_err();
    assert_eq!(err.0, StatusCode::NOT_FOUND);
}
