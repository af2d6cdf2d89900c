//! The setup wizard (admins): connect a Facebook Page in seven steps, each checked with
//! Facebook and explained in plain words: page token → app → webhook → routing settings
//! (Conversation Routing first) → Human Agent permission → messenger profile → test message. Or one click on "Use the sandbox page" to try everything offline.
//! The server stores the step and every step's last checks, so leaving and coming back resumes
//! where the admin was. Loaded in the browser only (the server renders the loading line).

mod routing;
mod state;
mod steps;

use leptos::prelude::*;
use leptos_meta::Title;
use model::{SetupStep, SetupView};

use crate::api::setup::use_sandbox_page;
use state::Wizard;
use steps::StepCard;

/// While step 3 waits for Facebook's handshake, the stored state is read this often.
#[cfg(feature = "hydrate")]
const WAIT_POLL_MS: u64 = 3_000;

#[component]
pub fn SetupPage() -> impl IntoView {
    let wiz = Wizard::new();
    Effect::new(move |_| {
        wiz.load(true);
        #[cfg(feature = "hydrate")]
        {
            // Only step 3's handshake light changes without the admin doing anything.
            let step = std::time::Duration::from_millis(WAIT_POLL_MS);
            let tick = move || {
                if wiz.open.get_untracked() == SetupStep::Webhook
                    && !wiz.busy.get_untracked()
                    && !document().hidden()
                {
                    wiz.load(false);
                }
            };
            if let Ok(handle) = set_interval_with_handle(tick, step) {
                on_cleanup(move || handle.clear());
            }
        }
    });

    view! {
        <Title text="Setup"/>
        <section class="page setup">
            <h1>"Setup"</h1>
            <p class="lead">
                "Connect your Facebook Page in seven steps. Each step checks your settings with \
                 Facebook and says exactly what to fix."
            </p>
            {move || match wiz.view.get() {
                None => view! { <p class="notice" role="status">"Loading the setup…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="error" role="alert">{e.to_string()}</p>
                    <button type="button" on:click=move |_| wiz.load(true)>"Try again"</button>
                }
                .into_any(),
                Some(Ok(v)) => view! {
                    <SandboxBox wiz view=v.clone()/>
                    <Progress wiz view=v.clone()/>
                    <StepCard wiz view=v/>
                }
                .into_any(),
            }}
        </section>
    }
}

/// "Use the sandbox page instead": one click to try everything offline.
#[component]
fn SandboxBox(wiz: Wizard, view: SetupView) -> impl IntoView {
    let on_sandbox = view.page.as_ref().is_some_and(|p| p.is_sandbox);
    // A real page connected: switching replaces it, so ask first.
    let real = view
        .page
        .as_ref()
        .filter(|p| !p.is_sandbox)
        .map(|p| p.name.clone());
    let asking = RwSignal::new(false);
    let use_it = move || {
        asking.set(false);
        wiz.act(
            Some("The sandbox page is connected. Open the Simulator to talk to your bot."),
            false,
            use_sandbox_page(),
        )
    };
    let click = {
        let real = real.clone();
        move |_| {
            if real.is_some() {
                asking.set(true);
            } else {
                use_it();
            }
        }
    };
    if on_sandbox {
        view! {
            <div class="start-here sandbox-on" data-testid="sandbox-on">
                <p>
                    "The built-in " <strong>"sandbox page"</strong> " is connected: everything \
                     works offline and you can try your bot in the "
                    <a href="/simulator">"Simulator"</a>
                    ". To connect your real Facebook Page, start at step 1."
                </p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="start-here">
                <p>
                    "Just trying Baton? Use the built-in sandbox page instead: no Facebook \
                     account needed, everything works offline."
                </p>
                <button type="button" class="secondary" disabled=move || wiz.busy.get() on:click=click>
                    "Use the sandbox page"
                </button>
                {move || asking.get().then(|| view! {
                    <p role="alert">
                        {format!(
                            "This disconnects {} from Baton: its messages stop reaching the bot until you connect it again. Use the sandbox page instead?",
                            real.clone().unwrap_or_default()
                        )}
                    </p>
                    <button type="button" class="secondary danger" on:click=move |_| use_it()>"Yes, use the sandbox page"</button>
                    " "
                    <button type="button" class="secondary" on:click=move |_| asking.set(false)>"Cancel"</button>
                })}
            </div>
        }
        .into_any()
    }
}

/// How far the setup is, and the steps to jump between.
#[component]
fn Progress(wiz: Wizard, view: SetupView) -> impl IntoView {
    let done = view.completed();
    let total = SetupStep::ALL.len();
    view! {
        <div class="setup-progress">
            <p id="setup-progress-label">
                <strong>{format!("{done} of {total} steps done")}</strong>
            </p>
            <progress max=total value=done aria-labelledby="setup-progress-label"></progress>
            {(done == total).then(|| view! {
                <p class="ok" data-testid="setup-complete">
                    "All seven steps are done: the page is connected. "
                    <a href="/settings">"Settings"</a>
                    " shows its health from now on."
                </p>
            })}
            <ol class="setup-steps">
                {SetupStep::ALL
                    .into_iter()
                    .map(|step| {
                        let (mark, class) = match view.report(step) {
                            Some(r) if r.complete() => ("✓", "done"),
                            Some(_) => ("!", "problem"),
                            None => ("", "todo"),
                        };
                        let status = match class {
                            "done" => "done",
                            "problem" => "needs attention",
                            _ => "not checked yet",
                        };
                        view! {
                            <li class=class>
                                <button
                                    type="button"
                                    class="step-link"
                                    aria-current=move || (wiz.open.get() == step).then_some("step")
                                    aria-label=format!("Step {}: {} ({status})", step.number(), step.title())
                                    on:click=move |_| wiz.go(step)
                                >
                                    <span class="step-mark" aria-hidden="true">
                                        {if mark.is_empty() { step.number().to_string() } else { mark.to_owned() }}
                                    </span>
                                    <span>{step.title()}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </div>
    }
}
