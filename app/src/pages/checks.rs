//! A list of setup checks (the wizard's steps and Settings → Page share it): each line says
//! what was checked, OK / Problem / Waiting..., and the finding in plain words.

use leptos::prelude::*;
use model::{Check, CheckState};

fn state_class(state: CheckState) -> &'static str {
    match state {
        CheckState::Pass => "check pass",
        CheckState::Warn => "check warn",
        CheckState::Fail => "check fail",
        CheckState::Waiting => "check waiting",
        CheckState::Confirm => "check confirm",
    }
}

#[component]
pub fn CheckList(checks: Vec<Check>) -> impl IntoView {
    view! {
        <ul class="checks">
            {checks
                .into_iter()
                .map(|c| {
                    view! {
                        <li class=state_class(c.state) data-check=c.id.clone()>
                            <span class="check-state">{c.state.word()}</span>
                            <div>
                                <strong>{c.label}</strong>
                                <p>{c.detail}</p>
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
