//! The open step's card: what to do, the inputs or action of that step, its last checks and
//! "Check again".

use leptos::prelude::*;
use leptos::task::spawn_local;
use model::error::AppError;
use model::{format_time, SetupStep, SetupView};

use super::routing::{human_agent_step, routing_step, PersonPicker, Window};
use super::state::Wizard;
use crate::api::setup::{
    check_page_token, check_setup_step, new_verify_token, push_page_profile, sandbox_verify,
    save_app, send_test_message, subscribe_page,
};
use crate::pages::checks::CheckList;

#[component]
pub fn StepCard(wiz: Wizard, view: SetupView) -> impl IntoView {
    let view = StoredValue::new(view);
    move || {
        let step = wiz.open.get();
        let v = view.get_value();
        let report = v.report(step).cloned();
        let body = match step {
            SetupStep::Token => token_step(wiz, &v).into_any(),
            SetupStep::App => app_step(wiz, &v).into_any(),
            SetupStep::Webhook => webhook_step(wiz, &v).into_any(),
            SetupStep::Routing => routing_step(wiz, &v).into_any(),
            SetupStep::HumanAgent => human_agent_step(wiz, &v).into_any(),
            SetupStep::Profile => profile_step(wiz).into_any(),
            SetupStep::Test => test_step(wiz).into_any(),
        };
        let can_check = step != SetupStep::Test
            && (v.page.is_some() || (step == SetupStep::Token && v.pending.is_some()));
        let complete = report.as_ref().is_some_and(|r| r.complete());
        let checked = report.as_ref().map(|r| format_time(r.checked_at));
        let checks = report.map(|r| r.checks).unwrap_or_default();
        view! {
            <article class="setup-step" data-step=step.slug() aria-labelledby="step-title">
                <h2 id="step-title">
                    <span class="notice">{format!("Step {} of {} · ", step.number(), SetupStep::ALL.len())}</span>
                    {step.title()}
                </h2>
                {body}
                <div class="setup-result" aria-live="polite">
                    {move || wiz.busy.get().then(|| view! { <p class="notice" role="status">"Checking with Facebook…"</p> })}
                    {move || wiz.note.get().map(|(bad, text)| if bad {
                        view! { <p class="error" role="alert">{text}</p> }.into_any()
                    } else {
                        view! { <p class="ok" role="status">{text}</p> }.into_any()
                    })}
                    {(!checks.is_empty()).then(|| view! { <CheckList checks=checks.clone()/> })}
                    {checked.map(|t| view! { <p class="notice small">{format!("Last checked {t}.")}</p> })}
                </div>
                <div class="setup-nav">
                    {can_check.then(|| view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || wiz.busy.get()
                            on:click=move |_| wiz.act(None, false, check_setup_step(step.slug().to_owned()))
                        >
                            "Check again"
                        </button>
                    })}
                    {step.next().map(|n| view! {
                        <button
                            type="button"
                            class=if complete { "" } else { "secondary" }
                            on:click=move |_| wiz.go(n)
                        >
                            {if complete { format!("Next: {}", n.title()) } else { format!("Skip to {}", n.title()) }}
                        </button>
                    })}
                </div>
            </article>
        }
    }
}

fn token_step(wiz: Wizard, v: &SetupView) -> impl IntoView {
    let token = wiz.form.token;
    let status = match (&v.pending, &v.page) {
        (Some(p), _) => Some(format!(
            "Facebook confirmed the page {} ({}). Continue with step 2 to connect it.",
            p.name, p.page_id
        )),
        (None, Some(p)) if !p.is_sandbox => Some(format!(
            "Connected: {} ({}). Paste a new token only to replace it.",
            p.name, p.page_id
        )),
        _ => None,
    };
    view! {
        <p>
            "Baton talks to Facebook with your page's access token. In Meta's App Dashboard \
             open Messenger → Settings → Access Tokens, click " <strong>"Generate token"</strong>
            " next to your page and paste it here. It is stored on this server only and never \
             shown again."
        </p>
        {status.map(|s| view! { <p class="ok" data-testid="token-status">{s}</p> })}
        <form class="form" on:submit=move |ev| {
            ev.prevent_default();
            let t = token.get_untracked();
            token.set(String::new());
            wiz.act(None, true, check_page_token(t));
        }>
            <label for="page-token">"Page access token"</label>
            <FormInput id="page-token" kind="password" value=token
                attr:spellcheck="false" attr:required=true attr:maxlength="1000"/>
            <button type="submit" disabled=move || wiz.busy.get()>"Check token"</button>
        </form>
    }
}

fn app_step(wiz: Wizard, v: &SetupView) -> impl IntoView {
    let saved = v.page.as_ref().filter(|p| !p.is_sandbox);
    let (app_id, secret, verify, generated) = (
        wiz.form.app_id,
        wiz.form.app_secret,
        wiz.form.verify,
        wiz.form.generated,
    );
    let keep = saved.is_some() && v.pending.is_none();
    let ready = v.pending.is_some() || saved.is_some();
    let generate = move |_| {
        spawn_local(async move {
            if let Ok(t) = new_verify_token().await {
                verify.set(t);
                generated.set(true);
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (a, s, t) = (
            app_id.get_untracked(),
            secret.get_untracked(),
            verify.get_untracked(),
        );
        // The secrets stay in the fields until Facebook accepted them.
        let call = async move {
            let v = save_app(a, s, t).await?;
            // The verify token stays (in this browser tab only): step 3 shows it to paste.
            if v.step_complete(SetupStep::App) {
                secret.set(String::new());
            }
            Ok(v)
        };
        wiz.act(None, true, call);
    };
    let placeholder = if keep {
        "Saved (hidden). Leave empty to keep it."
    } else {
        ""
    };
    view! {
        <p>
            "Baton checks every webhook with your app's secret, and Facebook checks Baton's \
             webhook with a verify token you choose. Both are stored on this server and never \
             shown again."
        </p>
        {(!ready).then(|| view! {
            <p class="notice" role="note">"First check a page access token in step 1."</p>
        })}
        <form class="form stacked" on:submit=submit>
            <label for="app-id">"App ID"</label>
            <span class="hint">"The number at the top of Meta's App Dashboard."</span>
            <FormInput id="app-id" kind="text" value=app_id
                attr:inputmode="numeric" attr:required=true attr:maxlength="32"/>
            <label for="app-secret">"App secret"</label>
            <span class="hint">"App Dashboard → App settings → Basic → App secret → Show."</span>
            <FormInput id="app-secret" kind="password" value=secret
                attr:placeholder=placeholder attr:required=!keep attr:maxlength="1000"/>
            <label for="verify-token">"Verify token"</label>
            <span class="hint">"Any text you choose; you paste the same text into the App Dashboard in step 3."</span>
            <div class="inline">
                // A token typed by hand is no longer the generated one.
                <FormInput id="verify-token" kind="text" value=verify
                    attr:spellcheck="false" attr:placeholder=placeholder attr:required=!keep
                    attr:maxlength="1000" on:input=move |_| generated.set(false)/>
                <button type="button" class="secondary" on:click=generate>"Generate one"</button>
            </div>
            {move || generated.get().then(|| view! {
                <p class="notice" role="status">
                    "Copy this verify token now: you will paste it into the App Dashboard in step \
                     3, and Baton will not show it again once saved."
                </p>
            })}
            <button type="submit" disabled=move || wiz.busy.get() || !ready>"Save and check"</button>
        </form>
    }
}

/// A field of steps 1 and 2, bound to its signal in the wizard's `Form` (so a check that
/// re-draws the card keeps what was typed); the browser does not fill it in. The field's own
/// attributes are given as `attr:name=value`.
#[component]
fn FormInput(id: &'static str, kind: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <input
            id=id
            type=kind
            autocomplete="off"
            prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}

/// A button that runs one wizard action, `call` (a server function), and says `done` when it
/// worked. It waits while another action runs, and while `blocked`.
#[component]
fn ActionButton<F, Fut>(
    wiz: Wizard,
    label: &'static str,
    done: &'static str,
    call: F,
    #[prop(optional)] blocked: bool,
) -> impl IntoView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<SetupView, AppError>> + 'static,
{
    view! {
        <button
            type="button"
            disabled=move || wiz.busy.get() || blocked
            on:click=move |_| wiz.act(Some(done), false, call())
        >
            {label}
        </button>
    }
}

fn webhook_step(wiz: Wizard, v: &SetupView) -> impl IntoView {
    let sandbox = v.page.as_ref().is_some_and(|p| p.is_sandbox);
    let url = v.callback_url.clone();
    let verified = v.webhook_verified_at;
    let light = match verified {
        Some(t) => view! {
            <p class="light on" data-testid="webhook-light" role="status">
                <span class="dot" aria-hidden="true"></span>
                {format!("Facebook verified the webhook ({})", format_time(t))}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="light waiting" data-testid="webhook-light" role="status">
                <span class="dot" aria-hidden="true"></span>
                "Waiting for Facebook's verification…"
            </p>
        }
        .into_any(),
    };
    let no_page = v.page.is_none();
    view! {
        {if sandbox {
            view! {
                <p>
                    "The sandbox page delivers its webhooks to this Baton. Verify it the way \
                     Facebook's App Dashboard does, then subscribe the page."
                </p>
            }
            .into_any()
        } else {
            view! {
                <p>
                    "In Meta's App Dashboard open Messenger → Settings → Webhooks → "
                    <strong>"Add callback URL"</strong>
                    ". Paste the callback URL below and the verify token from step 2, then click "
                    <strong>"Verify and save"</strong> ". The light below turns green when \
                     Facebook's call arrives."
                </p>
            }
            .into_any()
        }}
        {match url {
            Some(url) => view! {
                <label for="callback-url" class="field-label">"Callback URL"</label>
                <input
                    id="callback-url"
                    class="copy-field"
                    type="text"
                    readonly
                    prop:value=url
                    on:focus=|ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            {
                                input.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                />
            }
            .into_any(),
            None => view! {
                <p class="error" role="alert">
                    "Baton does not know its public address, so there is no callback URL to \
                     show. Start Baton with BATON_PUBLIC_URL set to its https address (for \
                     example BATON_PUBLIC_URL=https://baton.example.com)."
                </p>
            }
            .into_any(),
        }}
        {move || {
            let typed = wiz.form.verify.get();
            (!typed.is_empty() && !sandbox).then(|| view! {
                <label for="verify-again" class="field-label">"Verify token (as typed in step 2)"</label>
                <input id="verify-again" class="copy-field" type="text" readonly prop:value=typed/>
            })
        }}
        {light}
        <div class="actions">
            {(sandbox && verified.is_none()).then(|| view! {
                <ActionButton wiz label="Verify now" done="The sandbox verified the webhook."
                    call=sandbox_verify/>
            })}
            <ActionButton wiz label="Subscribe the page"
                done="Subscribe request sent; see the checks below." call=subscribe_page
                blocked=no_page/>
        </div>
    }
}

fn profile_step(wiz: Wizard) -> impl IntoView {
    view! {
        <p>
            "The Get Started button, the persistent menu and the greeting come from the flow you \
             published in Messages. Push them to the page, and see what the page shows now."
        </p>
        <div class="actions">
            <ActionButton wiz label="Push to the page" done="Pushed to the page."
                call=push_page_profile/>
        </div>
    }
}

fn test_step(wiz: Wizard) -> impl IntoView {
    view! {
        <p>
            "Send a test message to someone who wrote to the page recently (Messenger lets a \
             page answer only within 24 hours of their last message)."
        </p>
        <PersonPicker wiz id="test-person" label="Send to"
            button="Send test message" window=Window::Day send=send_test_message/>
    }
}
