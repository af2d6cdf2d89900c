//! Push changes (what changed since the live version, then each publish step as it went),
//! the versions list with a readable diff of each version and Roll back, and the flow file
//! download / upload.

use flows::{describe_changes, summarize_changes, Flow};
use leptos::prelude::*;
use model::error::AppError;
use model::{format_time, LiveVersion, PublishReport, PushStatus};

use super::state::{Editor, SaveState};
use crate::api::flows::{list_versions, load_editor, push_changes, rollback, version_changes};

/// What the last push or rollback did, shown until the next one.
#[derive(Debug, Clone)]
enum Outcome {
    Working(&'static str),
    Done(PublishReport),
    Failed(String),
}

/// The Push changes panel: the change summary, the problems that block a push, the Push
/// button, and each step's result with a retry.
#[component]
pub fn PushPanel(open: RwSignal<bool>) -> impl IntoView {
    let ed = Editor::get();
    let outcome = RwSignal::new(None::<Outcome>);
    let changes = Memo::new(move |_| {
        let empty = Flow::default();
        ed.live.with(|live| {
            let live = live.as_ref().map_or(&empty, |l| &l.flow);
            ed.flow.with(|draft| {
                (
                    summarize_changes(live, draft),
                    describe_changes(live, draft),
                )
            })
        })
    });
    // Pushing again with nothing changed re-sends the Messenger settings (e.g. after a fix).
    let unchanged = Memo::new(move |_| {
        ed.live.with(Option::is_some) && changes.with(|(_, lines)| lines.is_empty())
    });
    let errors = Memo::new(move |_| {
        ed.problems.with(|p| {
            p.iter()
                .filter(|x| x.is_error())
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let push = move || {
        outcome.set(Some(Outcome::Working("Saving the draft…")));
        leptos::task::spawn_local(async move {
            if let Err(e) = ed.save_now().await {
                outcome.set(Some(Outcome::Failed(format!(
                    "The draft could not be saved, so nothing was pushed: {e}"
                ))));
                return;
            }
            outcome.set(Some(Outcome::Working("Publishing and updating Messenger…")));
            let pushed = ed.flow.get_untracked();
            match push_changes(ed.revision.get_untracked()).await {
                Ok(report) => {
                    ed.live.set(Some(LiveVersion {
                        number: report.version.number,
                        flow: pushed,
                    }));
                    ed.versions_tick.update(|n| *n += 1);
                    outcome.set(Some(Outcome::Done(report)));
                }
                Err(e) => outcome.set(Some(Outcome::Failed(e.to_string()))),
            }
        });
    };
    let live_words = move || match ed.live.get().map(|l| l.number) {
        Some(n) => format!("Changes since the live version {n}"),
        None => "Nothing is live yet: this will be version 1".to_owned(),
    };
    view! {
        <section class="panel push" aria-label="Push changes">
            <div class="choice-head">
                <h2>"Push changes"</h2>
                <button type="button" class="icon" aria-label="Close" on:click=move |_| open.set(false)>"✕"</button>
            </div>
            {move || if unchanged.get() {
                let n = ed.live.with(|l| l.as_ref().map_or(0, |l| l.number));
                view! {
                    <p>{format!("Nothing changed since the live version {n}. Pushing again re-sends the Messenger settings.")}</p>
                }.into_any()
            } else {
                view! { <p><strong>{live_words}</strong>": " {move || changes.get().0}</p> }.into_any()
            }}
            <ul class="changes">
                {move || changes.get().1.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            {move || {
                let errors = errors.get();
                (!errors.is_empty()).then(|| view! {
                    <div class="blocked" role="alert">
                        <p class="error">{format!("Fix {} problem{} before pushing:", errors.len(), if errors.len() == 1 { "" } else { "s" })}</p>
                        <ul>{errors.into_iter().take(20).map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || ed.can_publish.then(|| {
                let working = move || matches!(outcome.get(), Some(Outcome::Working(_)));
                let label = move || match outcome.get() {
                    Some(Outcome::Failed(_)) => "Try again",
                    Some(Outcome::Done(r)) if r.push_failed() => "Push again",
                    _ if unchanged.get() => "Push again",
                    _ => "Push changes now",
                };
                view! {
                    <button type="button" class="push-now" on:click=move |_| push()
                        disabled=move || working() || !errors.with(Vec::is_empty)>{label}</button>
                }
            })}
            {(!ed.can_publish).then(|| view! { <p class="notice">"Your role can edit but not push changes."</p> })}
            {move || outcome.get().map(steps)}
        </section>
    }
}

/// A push's steps, each with its result in plain words.
fn steps(outcome: Outcome) -> impl IntoView {
    match outcome {
        Outcome::Working(what) => view! { <p role="status" class="working">{what}</p> }.into_any(),
        Outcome::Failed(why) => view! {
            <ol class="steps" role="status"><li class="bad">{why}</li></ol>
        }
        .into_any(),
        Outcome::Done(report) => {
            let v = report.version.clone();
            let pushed = match (&report.page, v.push_status) {
                (None, _) => vec![(
                    "skip",
                    "Messenger: no page is connected, so nothing was pushed.".to_owned(),
                )],
                (Some(page), _) => report
                    .steps
                    .iter()
                    .map(|s| {
                        if s.ok {
                            ("ok", format!("{page}: {} {}.", s.what, s.detail))
                        } else {
                            (
                                "bad",
                                format!("{page}: {} not updated. {}", s.what, s.detail),
                            )
                        }
                    })
                    .collect(),
            };
            let failed = v.push_status == PushStatus::Failed;
            view! {
                <ol class="steps" role="status">
                    <li class="ok">"Checked the draft: no errors."</li>
                    <li class="ok">{format!("Wrote version {}: {}. It is live for the bot now.", v.number, v.summary)}</li>
                    {pushed.into_iter().map(|(class, text)| view! { <li class=class>{text}</li> }).collect_view()}
                </ol>
                {failed.then(|| view! {
                    <p class="error">"Some Messenger settings were not updated (see above). Fix the cause, then push again."</p>
                })}
            }
            .into_any()
        }
    }
}

/// Published versions, newest first: who, when, summary, what changed, Roll back.
#[component]
pub fn VersionsPanel() -> impl IntoView {
    let ed = Editor::get();
    let versions = LocalResource::new(move || {
        ed.versions_tick.track();
        list_versions()
    });
    // A roll back's result, kept here (by version number) because the list reloads after it.
    let rolled = RwSignal::new(None::<(i64, Outcome)>);
    view! {
        <section class="panel versions" aria-label="Versions">
            <h2>"Published versions"</h2>
            <Suspense fallback=|| view! { <p>"Loading versions…"</p> }>
                {move || Suspend::new(async move {
                    match versions.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="notice">"Nothing is published yet. Edit your messages, then use Push changes to make them live."</p>
                        }.into_any(),
                        Ok(list) => {
                            let latest = list.first().map(|v| v.number);
                            view! {
                                <ol class="version-list">
                                    {list.into_iter().map(|v| view! { <VersionRow v latest rolled/> }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn VersionRow(
    v: model::VersionInfo,
    latest: Option<i64>,
    rolled: RwSignal<Option<(i64, Outcome)>>,
) -> impl IntoView {
    let ed = Editor::get();
    let number = v.number;
    let diff = RwSignal::new(None::<Result<Vec<String>, AppError>>);
    let confirming = RwSignal::new(false);
    let outcome = move |o: Outcome| rolled.set(Some((number, o)));
    let show = move |_| {
        if diff.get_untracked().is_some() {
            diff.set(None);
            return;
        }
        leptos::task::spawn_local(async move { diff.set(Some(version_changes(number).await)) });
    };
    let roll_back = move |_| {
        confirming.set(false);
        outcome(Outcome::Working("Rolling back…"));
        leptos::task::spawn_local(async move {
            match rollback(number).await {
                Ok(report) => {
                    if let Ok(state) = load_editor().await {
                        ed.live.set(state.live);
                        ed.replace(state.draft, state.revision);
                    }
                    outcome(Outcome::Done(report));
                    ed.versions_tick.update(|n| *n += 1);
                }
                Err(e) => outcome(Outcome::Failed(e.to_string())),
            }
        });
    };
    let status = match v.push_status {
        PushStatus::Pushed => "sent to Messenger",
        PushStatus::Failed => "Messenger update failed",
        PushStatus::Skipped => "no page connected",
        PushStatus::Pending => "Messenger update pending",
    };
    let rolled_from = v
        .rolled_back_from
        .map(|n| format!(" (roll back to version {n})"));
    let is_live = Some(number) == latest;
    view! {
        <li class="version" data-version=number>
            <div class="version-head">
                <strong>{format!("Version {number}")}</strong>
                {is_live.then(|| view! { <span class="badge ok">"live"</span> })}
                <span class="muted">{format!("{} UTC · {}", format_time(v.published_at), v.published_by)}</span>
            </div>
            <p>{v.summary}{rolled_from}" · "<span class="muted">{status}</span></p>
            <div class="row-tools">
                <button type="button" class="secondary small" on:click=show
                    aria-expanded=move || diff.with(Option::is_some).to_string()>"What changed"</button>
                {(ed.can_publish && !is_live).then(|| view! {
                    <button type="button" class="secondary small" on:click=move |_| confirming.set(true)>"Roll back to this"</button>
                })}
            </div>
            {move || confirming.get().then(|| view! {
                <div class="dialog" role="alertdialog" aria-label="Roll back">
                    <p>{format!("Publish version {number} again as a new version? Your draft becomes that version too (Ctrl+Z brings your draft back).")}</p>
                    <div class="row-tools">
                        <button type="button" on:click=roll_back>"Roll back"</button>
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                </div>
            })}
            {move || diff.get().map(|d| match d {
                Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                Ok(lines) if lines.is_empty() => view! { <p class="notice">"No changes against the version before."</p> }.into_any(),
                Ok(lines) => view! {
                    <ul class="changes">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                }.into_any(),
            })}
            {move || rolled.get().and_then(|(n, o)| (n == number).then(|| steps(o)))}
        </li>
    }
}

/// Download the draft as a flow file; upload one (checked by the server with the rules of
/// `baton flows import`: a bad file lists every problem and changes nothing).
#[component]
pub fn FileTools() -> impl IntoView {
    let ed = Editor::get();
    let problems = RwSignal::new(None::<Result<String, Vec<String>>>);
    let download = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let json = ed.flow.with_untracked(flows::to_json);
            let href = format!(
                "data:application/json;charset=utf-8,{}",
                js_sys::encode_uri_component(&json)
            );
            if let Some(a) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlAnchorElement>().ok())
            {
                a.set_href(&href);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, ed, problems);
    };
    let upload = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|list| list.get(0)) else {
                return;
            };
            input.set_value("");
            let name = file.name();
            problems.set(Some(Ok(format!("Reading {name}…"))));
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let Some(text) = text.ok().and_then(|t| t.as_string()) else {
                    problems.set(Some(Err(vec![format!(
                        "{name} could not be read as text."
                    )])));
                    return;
                };
                match crate::api::flows::import_file(text).await {
                    Ok(state) => {
                        ed.live.set(state.live);
                        ed.replace(state.draft, state.revision);
                        problems.set(Some(Ok(format!(
                            "Loaded {name} into the draft (Ctrl+Z undoes it)."
                        ))));
                    }
                    Err(AppError::Invalid(lines)) => {
                        problems.set(Some(Err(lines.lines().map(str::to_owned).collect())));
                    }
                    Err(e) => problems.set(Some(Err(vec![e.to_string()]))),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, ed, problems);
    };
    view! {
        <div class="file-tools">
            <a class="button secondary" href="#" download="baton-flow.json" on:click=download>"Download flow file"</a>
            <label class="button secondary">
                "Upload flow file"
                <input type="file" class="visually-hidden" accept=".json,application/json" on:change=upload/>
            </label>
        </div>
        {move || problems.get().map(|p| match p {
            Ok(text) => view! { <p class="ok small" role="status">{text}</p> }.into_any(),
            Err(lines) => view! {
                <div class="blocked" role="alert">
                    <p class="error">"The file was not loaded; nothing changed. Problems:"</p>
                    <ul class="problems">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    <button type="button" class="secondary small" on:click=move |_| problems.set(None)>"Dismiss"</button>
                </div>
            }.into_any(),
        })}
    }
}

/// The save state in words, for the header.
pub fn save_words(state: &SaveState) -> &'static str {
    match state {
        SaveState::Saved => "All changes saved",
        SaveState::Pending => "Not saved yet…",
        SaveState::Saving => "Saving…",
        SaveState::Failed(_) => "Not saved",
        SaveState::Conflict(_) => "Not saved: someone else changed the draft",
    }
}
