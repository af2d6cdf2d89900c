//! The Simulator's operations on the built-in sandbox: test users, what a user does on their
//! phone (type, tap, Get Started, the persistent menu), what the emulated Page Inbox does
//! (reply, Done, Move to inbox; done through the sandbox as Meta's inbox does them, so Baton
//! receives the real webhooks), the clock, "Try draft" for one user, and the page's routing
//! (`routing`: Conversation Routing or the older settings, refused handovers, the Human Agent
//! permission). Everything here works only while the sandbox page is the connected page.

use flows::Flow;
use messenger::send::Button;
use messenger::PAGE_INBOX_APP_ID;
use sandbox::{
    NewUser, PageUpdate, Refusal, Sandbox, SandboxError, Speaker, ThreadView, TranscriptItem,
};

use crate::services::flows::{draft, published_flow, push};
use crate::services::Services;
use crate::storage::repo::conversations as conv;
use crate::storage::repo::{draft_trials, pages};
use model::AppError;
use model::{SimBaton, SimPage, SimRefusal};
use model::{
    SimButton, SimFrom, SimLedgerLine, SimLine, SimMenuItem, SimOverview, SimOwner, SimUser,
    SimView, MAX_SIM_TEXT,
};

/// What a test user does.
#[derive(Debug, Clone)]
pub enum UserAct {
    Say(String),
    /// A button or quick reply of one message (buttons first, then quick replies).
    Tap {
        mid: String,
        index: usize,
    },
    GetStarted,
    Menu(usize),
}

/// What the person in the emulated Page Inbox does.
#[derive(Debug, Clone)]
pub enum AgentAct {
    Say(String),
    Done,
    MoveToInbox,
}

/// Refuses unless the built-in sandbox page is connected.
pub async fn ensure_sandbox<'a>(
    pool: impl Into<crate::storage::backend::DbRef<'a>>,
) -> Result<(), AppError> {
    match pages::current(pool).await? {
        Some(page) if page.is_sandbox => Ok(()),
        Some(_) => Err(AppError::Invalid(
            "The Simulator works with the built-in sandbox page, and a real Facebook page is \
             connected. Try your flow on the real page from Messenger instead."
                .into(),
        )),
        None => Err(AppError::Invalid(
            "No page is connected. Connect the built-in sandbox page in Setup (\"Use the \
             sandbox page\") to use the Simulator."
                .into(),
        )),
    }
}

/// The test users, newest first.
pub async fn overview(state: &Services) -> Result<SimOverview, AppError> {
    ensure_sandbox(&state.pool).await?;
    let trials = draft_trials::all(&state.pool).await?;
    let sb = &state.sandbox;
    let mut users: Vec<SimUser> = sb
        .users()
        .into_iter()
        .filter_map(|u| sim_user(sb, &u.psid, &trials).ok())
        .collect();
    users.reverse();
    Ok(SimOverview {
        users,
        max_users: sb.limits().max_users,
        published: published_flow(&state.pool).await?.is_some(),
    })
}

/// Creates a test user (names default to "Test User N").
pub async fn create_user(
    state: &Services,
    first_name: &str,
    last_name: &str,
) -> Result<SimUser, AppError> {
    ensure_sandbox(&state.pool).await?;
    let name = |s: &str| s.trim().chars().take(40).collect::<String>();
    let (first, last) = (name(first_name), name(last_name));
    // No name at all: the sandbox's "Test User N". A first name alone: just that.
    let (first, last) = match (first.is_empty(), last.is_empty()) {
        (true, true) => (None, None),
        _ => (Some(first), Some(last)),
    };
    let user = state
        .sandbox
        .create_user(NewUser {
            first_name: first,
            last_name: last,
            ..Default::default()
        })
        .map_err(plain)?;
    sim_user(&state.sandbox, &user.psid, &[])
}

/// Removes a test user from the sandbox (Baton keeps its conversation with them).
pub async fn remove_user(state: &Services, psid: &str) -> Result<(), AppError> {
    ensure_sandbox(&state.pool).await?;
    state.sandbox.remove_user(psid).map_err(plain)?;
    draft_trials::set(&state.pool, psid, false, state.clock.now_ms()).await?;
    Ok(())
}

/// Starts or stops running the draft for one test user.
pub async fn set_trial(state: &Services, psid: &str, on: bool) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    state.sandbox.user(psid).map_err(plain)?;
    draft_trials::set(&state.pool, psid, on, state.clock.now_ms()).await?;
    view_now(state, psid).await
}

/// Moves the sandbox clock forward (the 24 h and 7 day windows follow it).
pub async fn advance(state: &Services, minutes: u32) -> Result<(), AppError> {
    ensure_sandbox(&state.pool).await?;
    if minutes == 0 || minutes > 30 * 24 * 60 {
        return Err(AppError::Invalid(
            "Move the clock forward by 1 minute to 30 days.".into(),
        ));
    }
    state
        .sandbox
        .advance(std::time::Duration::from_secs(u64::from(minutes) * 60));
    Ok(())
}

/// The user acts on their phone; returns the view right after (Baton answers a moment
/// later: the browser keeps polling).
pub async fn user_acts(state: &Services, psid: &str, act: UserAct) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    let sb = &state.sandbox;
    let trying = draft_trials::all(&state.pool)
        .await?
        .iter()
        .any(|p| p == psid);
    match act {
        UserAct::Say(text) => {
            let text = text.trim();
            check_text(text)?;
            sb.user_says(psid, text).map_err(plain)?;
        }
        UserAct::Tap { mid, index } => {
            sb.user_taps(psid, &sandbox::Tap::ByIndex { mid, index })
                .map_err(plain)?;
        }
        UserAct::GetStarted if trying => {
            sb.user_postback(psid, "Get Started", flows::GET_STARTED_PAYLOAD)
                .map_err(plain)?;
        }
        UserAct::GetStarted => {
            sb.user_get_started(psid).map_err(|e| match e {
                SandboxError::Invalid(_) => AppError::Invalid(
                    "The page has no Get Started button yet: push the bot's messages first \
                     (Messages → Push changes), or use Try draft."
                        .into(),
                ),
                other => plain(other),
            })?;
        }
        UserAct::Menu(index) if trying => {
            let draft = draft(&state.pool).await?;
            match push::menu(&draft).call_to_actions.get(index) {
                Some(Button::Postback { title, payload }) => {
                    sb.user_postback(psid, title, payload).map_err(plain)?;
                }
                Some(Button::WebUrl { title, url }) => {
                    return Err(AppError::Invalid(format!(
                        "\"{title}\" opens {url} in the browser; nothing is sent to the bot."
                    )))
                }
                None => return Err(AppError::Invalid("That menu item is gone.".into())),
            }
        }
        UserAct::Menu(index) => {
            sb.user_taps_menu(psid, index).map_err(plain)?;
        }
    }
    view_now(state, psid).await
}

/// The emulated Page Inbox acts; returns the view right after.
pub async fn agent_acts(state: &Services, psid: &str, act: AgentAct) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    let sb = &state.sandbox;
    match act {
        AgentAct::Say(text) => {
            let text = text.trim();
            check_text(text)?;
            sb.agent_says(psid, text).map_err(plain)?;
        }
        AgentAct::Done => sb.inbox_done(psid, None).map_err(|e| match e {
            SandboxError::Refused(_) => AppError::Invalid(
                "The Page Inbox does not have this conversation, so it cannot mark it done. \
                 (Messenger allows Done only to the app that has the thread.)"
                    .into(),
            ),
            other => plain(other),
        })?,
        AgentAct::MoveToInbox => sb.inbox_move_to_inbox(psid, None).map_err(plain)?,
    }
    view_now(state, psid).await
}

/// One user's chat, thread and ledger.
pub async fn view(state: &Services, psid: &str) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    view_now(state, psid).await
}

/// [`view`] for the operations above, which checked the sandbox page already.
pub(crate) async fn view_now(state: &Services, psid: &str) -> Result<SimView, AppError> {
    let sb = &state.sandbox;
    let trials = draft_trials::all(&state.pool).await?;
    let user = sim_user(sb, psid, &trials)?;
    let thread = sb.thread(psid).map_err(plain)?;
    let lines = sb
        .transcript(psid)
        .map_err(plain)?
        .into_iter()
        .map(sim_line)
        .collect();
    let (menu, get_started, draft_problems) = if user.trying_draft {
        let draft = draft(&state.pool).await?;
        let problems = flows::validate(&draft).len();
        (
            draft_menu(&draft),
            draft.triggers.get_started.is_some(),
            problems,
        )
    } else {
        let profile = sb
            .messenger_profile(&thread.page_id)
            .unwrap_or(serde_json::Value::Null);
        (page_menu(&profile), profile.get("get_started").is_some(), 0)
    };
    Ok(SimView {
        lines,
        typing: sb.is_typing(psid).map_err(plain)?,
        pending_request: thread.pending_request_from.is_some(),
        window_open: thread.window_open,
        human_agent_window_open: thread.human_agent_window_open,
        last_user_message_ms: thread.last_user_message_at,
        ledger: ledger(sb, &thread),
        menu,
        get_started,
        now_ms: sb.clock().now_ms(),
        clock_offset_ms: sb.clock().offset_ms(),
        draft_problems,
        page: page(sb, &thread.page_id),
        baton: baton_side(state, &thread.page_id, psid).await?,
        user,
    })
}

fn check_text(text: &str) -> Result<(), AppError> {
    let n = text.chars().count();
    if n == 0 {
        return Err(AppError::Invalid("Type a message first.".into()));
    }
    if n > MAX_SIM_TEXT {
        return Err(AppError::Invalid(format!(
            "The message is {n} characters long; the Simulator sends at most {MAX_SIM_TEXT}."
        )));
    }
    Ok(())
}

fn sim_user(sb: &Sandbox, psid: &str, trials: &[String]) -> Result<SimUser, AppError> {
    let user = sb.user(psid).map_err(plain)?;
    let thread = sb.thread(psid).map_err(plain)?;
    Ok(SimUser {
        name: format!("{} {}", user.first_name, user.last_name)
            .trim()
            .to_owned(),
        owner: SimOwner::parse(thread.owner),
        trying_draft: trials.iter().any(|p| p == psid),
        psid: user.psid,
    })
}

fn sim_line(item: TranscriptItem) -> SimLine {
    SimLine {
        from: match item.from {
            Speaker::User => SimFrom::User,
            Speaker::PageBot => SimFrom::Bot,
            Speaker::PageAgent => SimFrom::Agent,
        },
        at_ms: item.timestamp,
        text: item.text,
        image_url: item.image_url,
        buttons: item
            .buttons
            .into_iter()
            .map(|b| match b {
                Button::Postback { title, .. } => SimButton { title, url: None },
                Button::WebUrl { title, url } => SimButton {
                    title,
                    url: Some(url),
                },
            })
            .collect(),
        quick_replies: item
            .quick_replies
            .into_iter()
            .map(|q| q.title.unwrap_or_default())
            .collect(),
        mid: item.mid,
    }
}

fn draft_menu(flow: &Flow) -> Vec<SimMenuItem> {
    push::menu(flow)
        .call_to_actions
        .into_iter()
        .map(menu_item)
        .collect()
}

fn page_menu(profile: &serde_json::Value) -> Vec<SimMenuItem> {
    profile
        .get("persistent_menu")
        .and_then(|m| m.get(0))
        .and_then(|m| m.get("call_to_actions"))
        .and_then(|items| serde_json::from_value::<Vec<Button>>(items.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .map(menu_item)
        .collect()
}

fn menu_item(b: Button) -> SimMenuItem {
    match b {
        Button::Postback { title, .. } => SimMenuItem { title, url: None },
        Button::WebUrl { title, url } => SimMenuItem {
            title,
            url: Some(url),
        },
    }
}

/// The thread-control changes, oldest first, in words.
fn ledger(sb: &Sandbox, thread: &ThreadView) -> Vec<SimLedgerLine> {
    let app = |id: Option<&str>| match id {
        Some(id) if id == sb.app_id() => "Baton".to_owned(),
        Some(PAGE_INBOX_APP_ID) => "the Page Inbox".to_owned(),
        Some(other) => format!("app {other}"),
        None => "nobody".to_owned(),
    };
    thread
        .history
        .iter()
        .map(|c| {
            let by = app(Some(&c.by_app_id));
            let text = match c.action.as_str() {
                "pass" => format!("{by} passed the conversation to {}", app(c.to.as_deref())),
                "take" => format!("{by} took the conversation from {}", app(c.from.as_deref())),
                "request" => format!("{by} asked {} for the conversation", app(c.from.as_deref())),
                "release" => format!("{by} released the conversation"),
                "user_message" => format!("The user wrote to an idle thread: {by} has it"),
                other => format!("{by}: {other}"),
            };
            SimLedgerLine {
                at_ms: c.timestamp,
                text: capitalize(&text),
            }
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The sandbox's own errors in plain words.
pub(crate) fn plain(e: SandboxError) -> AppError {
    match e {
        SandboxError::UnknownUser(_) => AppError::Invalid(
            "This test user no longer exists. Pick another one or create a new one.".into(),
        ),
        SandboxError::UnknownPage(_) => {
            AppError::Invalid("The sandbox page is not there. Restart Baton.".into())
        }
        SandboxError::NoSuchButton(_) => {
            AppError::Invalid("That button is no longer in the conversation.".into())
        }
        SandboxError::Invalid(why) | SandboxError::Fixed(why) => {
            AppError::Invalid(format!("{}.", capitalize(why.trim_end_matches('.'))))
        }
        SandboxError::Refused(fail) => AppError::Invalid(format!(
            "Messenger refused this: {}",
            fail.message
                .trim_start_matches(|c: char| c == '(' || c == '#' || c.is_ascii_digit())
                .trim_start_matches(')')
                .trim()
        )),
    }
}

// ---------------------------------------------------------------- the sandbox page's routing

// The sandbox page's routing as the Simulator's test tools set it (Conversation Routing or
// the older receivers, how handovers are refused, the Human Agent permission), and Baton's
// side of a test user's conversation, so the Simulator shows each case of the handover on
// today's Messenger: a person replying without a handover and the bot staying silent, a
// refused handover answered in plain words.

/// The sandbox page's settings in the Simulator's terms.
pub(super) fn page(sb: &Sandbox, page_id: &str) -> SimPage {
    let Some(settings) = sb.page_settings(page_id) else {
        return SimPage {
            conversation_routing: true,
            refuse_handovers: SimRefusal::Off,
            human_agent: true,
        };
    };
    SimPage {
        conversation_routing: settings.conversation_routing,
        refuse_handovers: match settings.refuse_handovers {
            Refusal::Off => SimRefusal::Off,
            Refusal::SeparateCalls => SimRefusal::SeparateCalls,
            Refusal::All => SimRefusal::All,
            Refusal::Restricted => SimRefusal::Restricted,
        },
        human_agent: settings.human_agent,
    }
}

/// Baton's list for the conversation and the ledger's last reason.
pub(super) async fn baton_side(
    state: &Services,
    page_id: &str,
    psid: &str,
) -> Result<Option<SimBaton>, AppError> {
    let Some(c) = conv::get(&state.pool, page_id, psid).await? else {
        return Ok(None);
    };
    let why = conv::ledger(&state.pool, page_id, psid)
        .await?
        .pop()
        .and_then(|l| l.detail);
    Ok(Some(SimBaton {
        state: c.state,
        why,
    }))
}

/// Changes the sandbox page's routing; returns `psid`'s view.
pub async fn set_page(state: &Services, psid: &str, page: SimPage) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    let sb = &state.sandbox;
    let page_id = sb.user(psid).map_err(plain)?.page_id;
    let refusal = match page.refuse_handovers {
        SimRefusal::Off => Refusal::Off,
        SimRefusal::SeparateCalls => Refusal::SeparateCalls,
        SimRefusal::All => Refusal::All,
        SimRefusal::Restricted => Refusal::Restricted,
    };
    sb.update_page(
        &page_id,
        PageUpdate {
            conversation_routing: Some(page.conversation_routing),
            refuse_handovers: Some(refusal),
            human_agent: Some(page.human_agent),
            ..Default::default()
        },
    )
    .map_err(plain)?;
    view_now(state, psid).await
}
