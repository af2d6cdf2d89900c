//! The wizard's state, shared by its parts: what the server last said, the open step, the
//! running request and its note, and what the admin typed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use model::error::AppError;
use model::{SetupStep, SetupView};

use crate::api::setup::{open_setup_step, setup_status};

/// The screen's state, shared by its parts.
#[derive(Clone, Copy)]
pub(crate) struct Wizard {
    pub view: RwSignal<Option<Result<SetupView, AppError>>>,
    /// The step shown.
    pub open: RwSignal<SetupStep>,
    /// A request is running (buttons show it and do not double-send).
    pub busy: RwSignal<bool>,
    /// What the last action said: (is_error, text).
    pub note: RwSignal<Option<(bool, String)>>,
    /// What the admin typed into steps 1 and 2: kept here, outside the step card, so a check
    /// that re-draws the card keeps the fields.
    pub form: Form,
}

#[derive(Clone, Copy)]
pub(crate) struct Form {
    pub token: RwSignal<String>,
    pub app_id: RwSignal<String>,
    pub app_secret: RwSignal<String>,
    pub verify: RwSignal<String>,
    /// The verify token was generated here (say to copy it).
    pub generated: RwSignal<bool>,
}

impl Wizard {
    pub(super) fn new() -> Self {
        Self {
            view: RwSignal::new(None),
            open: RwSignal::new(SetupStep::Token),
            busy: RwSignal::new(false),
            note: RwSignal::new(None),
            form: Form {
                token: RwSignal::new(String::new()),
                app_id: RwSignal::new(String::new()),
                app_secret: RwSignal::new(String::new()),
                verify: RwSignal::new(String::new()),
                generated: RwSignal::new(false),
            },
        }
    }

    /// Reads the wizard from the server; `follow_current` also opens the step it is at.
    pub(super) fn load(self, follow_current: bool) {
        spawn_local(async move {
            let loaded = setup_status().await;
            if let (true, Ok(v)) = (follow_current, &loaded) {
                self.open.set(v.current);
                if let Some(page) = v.page.as_ref().filter(|p| !p.is_sandbox) {
                    self.form.app_id.set(page.app_id.clone());
                }
            }
            if self
                .view
                .with_untracked(|old| old.as_ref() != Some(&loaded))
            {
                self.view.set(Some(loaded));
            }
        });
    }

    /// Opens `step` (remembered on the server for the next visit).
    pub fn go(self, step: SetupStep) {
        self.open.set(step);
        self.note.set(None);
        spawn_local(async move {
            let _ = open_setup_step(step.slug().to_owned()).await;
        });
    }

    /// Runs one action at a time; its new wizard view replaces the shown one, and `done`
    /// (if any) is said on success, the error otherwise. `next` opens the next step when the
    /// action's step came out complete.
    pub fn act<F>(self, done: Option<&'static str>, next: bool, call: F)
    where
        F: std::future::Future<Output = Result<SetupView, AppError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.note.set(None);
        let step = self.open.get_untracked();
        spawn_local(async move {
            match call.await {
                Ok(v) => {
                    let complete = v.step_complete(step);
                    self.view.set(Some(Ok(v)));
                    self.note.set(done.map(|d| (false, d.to_owned())));
                    if next && complete {
                        if let Some(n) = step.next() {
                            self.go(n);
                        }
                    }
                }
                Err(e) => self.note.set(Some((true, e.to_string()))),
            }
            self.busy.set(false);
        });
    }
}
