//! The screen's state, shared by its parts (the user bar, the phone, the Page Inbox panel and
//! the test tools), and the two small helpers they all use.

use leptos::prelude::*;
use leptos::task::spawn_local;
use model::error::AppError;
use model::{SimOverview, SimView};

use crate::api::simulator::{load_simulator, test_user_view};

/// The screen's state, shared by its parts.
#[derive(Clone, Copy)]
pub(crate) struct Sim {
    pub(super) overview: RwSignal<Option<Result<SimOverview, AppError>>>,
    pub(super) selected: RwSignal<Option<String>>,
    pub(super) view: RwSignal<Option<SimView>>,
    /// A request is running (buttons show it and do not double-send).
    pub(super) busy: RwSignal<bool>,
    /// What the last action said, per area: (is_error, text).
    pub(super) phone_note: RwSignal<Option<(bool, String)>>,
    pub(super) inbox_note: RwSignal<Option<(bool, String)>>,
    pub(super) tools_note: RwSignal<Option<(bool, String)>>,
    /// Outside the user bar, which is rebuilt when the list of users changes.
    pub(super) users_note: RwSignal<Option<(bool, String)>>,
}

impl Sim {
    pub(super) fn new() -> Self {
        Self {
            overview: RwSignal::new(None),
            selected: RwSignal::new(None),
            view: RwSignal::new(None),
            busy: RwSignal::new(false),
            phone_note: RwSignal::new(None),
            inbox_note: RwSignal::new(None),
            tools_note: RwSignal::new(None),
            users_note: RwSignal::new(None),
        }
    }

    /// Reads the test users again; keeps the selection if that user still exists.
    pub(super) fn reload_users(self) {
        spawn_local(async move {
            let loaded = load_simulator().await;
            if let Ok(o) = &loaded {
                let keep = self
                    .selected
                    .get_untracked()
                    .filter(|p| o.users.iter().any(|u| &u.psid == p));
                if keep.is_none() {
                    self.select(o.users.first().map(|u| u.psid.clone()));
                }
            }
            self.overview.set(Some(loaded));
        });
    }

    pub(super) fn select(self, psid: Option<String>) {
        if self.selected.get_untracked() != psid {
            self.view.set(None);
            self.phone_note.set(None);
            self.inbox_note.set(None);
            self.selected.set(psid);
            self.refresh();
        }
    }

    /// Reads the open user's view again (a poll); a failed poll keeps what is shown.
    pub(super) fn refresh(self) {
        let Some(psid) = self.selected.get_untracked() else {
            return;
        };
        spawn_local(async move {
            if let Ok(v) = test_user_view(psid.clone()).await {
                if self.selected.get_untracked().as_deref() == Some(psid.as_str())
                    && self.view.with_untracked(|old| old.as_ref() != Some(&v))
                {
                    // A hand-over made elsewhere (Baton's Inbox) makes the Page Inbox
                    // panel's last note stale.
                    let owner = self
                        .view
                        .with_untracked(|o| o.as_ref().map(|o| o.user.owner));
                    if owner.is_some_and(|o| o != v.user.owner) {
                        self.inbox_note.set(None);
                    }
                    self.view.set(Some(v));
                }
            }
        });
    }

    /// Runs one action at a time (`busy` guards and shows it): on success `done` gets the
    /// answer and says what happened (or nothing); a failure is said in `note` as an error.
    pub(super) fn run<T, F>(
        self,
        note: RwSignal<Option<(bool, String)>>,
        call: F,
        done: impl FnOnce(T) -> Option<String> + 'static,
    ) where
        T: 'static,
        F: std::future::Future<Output = Result<T, AppError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        note.set(None);
        spawn_local(async move {
            match call.await {
                Ok(answer) => note.set(done(answer).map(|text| (false, text))),
                Err(e) => note.set(Some((true, e.to_string()))),
            }
            self.busy.set(false);
        });
    }

    /// Runs an action that answers with the user's new view; `done` is what to say after.
    pub(super) fn act<F>(
        self,
        note: RwSignal<Option<(bool, String)>>,
        done: Option<&'static str>,
        call: F,
    ) where
        F: std::future::Future<Output = Result<SimView, AppError>> + 'static,
    {
        self.run(note, call, move |v| {
            self.view.set(Some(v));
            done.map(str::to_owned)
        });
    }
}

/// A composer's submit: the typed text (then cleared), or `None` when there is nothing to send.
pub(super) fn take_typed(ev: leptos::ev::SubmitEvent, text: RwSignal<String>) -> Option<String> {
    ev.prevent_default();
    let typed = text.get_untracked();
    if typed.trim().is_empty() {
        return None;
    }
    text.set(String::new());
    Some(typed)
}

/// A note line under an area: the result of its last action.
pub(super) fn note_view(note: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    move || {
        note.get().map(|(bad, text)| {
            if bad {
                view! { <p class="error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p class="ok" role="status">{text}</p> }.into_any()
            }
        })
    }
}
