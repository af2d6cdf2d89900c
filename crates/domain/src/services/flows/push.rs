//! Pushing a flow's messenger profile (Get Started, persistent menu, greeting) to the page,
//! one Graph call per step, each step's outcome in plain words.

use crate::runtime::compose::button;
use flows::{payload_for, ButtonKind, Flow, GET_STARTED_PAYLOAD};
use messenger::graph::{GetStarted, Greeting, MenuLocale, MessengerProfile, ProfileField};
use messenger::{GraphApi, GraphError};

use model::PushStep;

/// Sets the profile fields the flow has and deletes those it does not have, in an order
/// Facebook accepts (Get Started before the persistent menu; the menu is removed together
/// with Get Started). Every step runs even when an earlier one failed.
pub async fn push_profile(graph: &dyn GraphApi, flow: &Flow) -> Vec<PushStep> {
    let mut steps = Vec::new();
    if flow.triggers.get_started.is_some() {
        let profile = MessengerProfile {
            get_started: Some(GetStarted {
                payload: GET_STARTED_PAYLOAD.into(),
            }),
            ..Default::default()
        };
        let result = graph.set_messenger_profile(&profile).await;
        steps.push(step("Get Started button", "set", result));
    }
    if !flow.persistent_menu.is_empty() {
        let profile = MessengerProfile {
            persistent_menu: vec![menu(flow)],
            ..Default::default()
        };
        let n = flow.persistent_menu.len();
        let done = format!("set ({n} item{})", if n == 1 { "" } else { "s" });
        let result = graph.set_messenger_profile(&profile).await;
        steps.push(step("persistent menu", &done, result));
    }
    if let Some(text) = &flow.greeting {
        let profile = MessengerProfile {
            greeting: vec![Greeting {
                locale: "default".into(),
                text: text.clone(),
            }],
            ..Default::default()
        };
        let result = graph.set_messenger_profile(&profile).await;
        steps.push(step("greeting", "set", result));
    }
    let mut unused = Vec::new();
    if flow.persistent_menu.is_empty() {
        unused.push((ProfileField::PersistentMenu, "persistent menu"));
    }
    if flow.triggers.get_started.is_none() {
        unused.push((ProfileField::GetStarted, "Get Started button"));
    }
    if flow.greeting.is_none() {
        unused.push((ProfileField::Greeting, "greeting"));
    }
    if !unused.is_empty() {
        let fields: Vec<ProfileField> = unused.iter().map(|(f, _)| *f).collect();
        let names: Vec<&str> = unused.iter().map(|(_, n)| *n).collect();
        let done = format!("removed from the page ({})", names.join(", "));
        let result = graph.delete_messenger_profile(&fields).await;
        steps.push(step("unused settings", &done, result));
    }
    steps
}

/// The flow's persistent menu as Messenger's default-locale menu.
pub fn menu(flow: &Flow) -> MenuLocale {
    let call_to_actions = flow
        .persistent_menu
        .iter()
        .enumerate()
        .map(|(i, item)| {
            button(&item.title, &item.action, || {
                payload_for("", 0, ButtonKind::Menu, i)
            })
        })
        .collect();
    MenuLocale {
        locale: "default".into(),
        composer_input_disabled: false,
        call_to_actions,
    }
}

fn step(what: &str, done: &str, result: Result<(), GraphError>) -> PushStep {
    match result {
        Ok(()) => PushStep {
            what: what.into(),
            ok: true,
            detail: done.into(),
        },
        Err(e) => {
            tracing::warn!(step = what, error = %e, "messenger profile push step failed");
            PushStep {
                what: what.into(),
                ok: false,
                detail: failure_text(&e),
            }
        }
    }
}

/// Why a step failed, in plain words, then Facebook's own message (never a token).
pub fn failure_text(e: &GraphError) -> String {
    let plain = if e.is_retryable() {
        "Facebook could not be reached or is busy"
    } else {
        e.plain_message()
    };
    format!("{plain} ({e})")
}
