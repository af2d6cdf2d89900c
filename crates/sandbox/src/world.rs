//! The emulated platform state: pages, test users, thread owners, transcripts, and the
//! webhook events each change produces (queued in `outbox` for delivery to Baton).

use std::collections::{BTreeMap, BTreeSet};

use messenger::graph::BATON_SUBSCRIBED_FIELDS;
use messenger::limits::{HUMAN_AGENT_WINDOW, STANDARD_WINDOW};
use messenger::webhook::Channel;
use messenger::PAGE_INBOX_APP_ID;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::config::{Limits, SandboxConfig, DEFAULT_SCOPES};
use crate::fail::{GraphFail, SandboxError};
use crate::transcript::{OwnerChange, ThreadView, TranscriptItem};

/// How a page refuses handovers (`refuse_handovers` in the page settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Handovers work.
    #[default]
    Off,
    /// The separate thread-control calls (pass, take, request, release) answer "(#10)
    /// Handover Protocol APIs disabled for this page"; a message's `thread_control` still works
    /// (reported for pages with a default app under Conversation Routing).
    SeparateCalls,
    /// Every pass is refused that way, the `thread_control` of a message too (the message is
    /// then not delivered).
    All,
    /// Facebook restricted the page: every send and handover fails with 10/1893063.
    Restricted,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Off => "off",
            Refusal::SeparateCalls => "separate_calls",
            Refusal::All => "all",
            Refusal::Restricted => "restricted",
        }
    }
}

pub(crate) fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn default_secondary_receivers() -> Vec<String> {
    vec![PAGE_INBOX_APP_ID.to_owned()]
}

/// A webhook event waiting to be delivered to Baton.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub page_id: String,
    pub channel: Channel,
    pub event: Value,
}

/// A page's settings, as the control API shows them (`GET /_sandbox/pages/{page_id}`) and a
/// test or the setup wizard changes them (`crate::settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSettings {
    pub id: String,
    pub name: String,
    /// Permissions of the page token (see [`crate::config::DEFAULT_SCOPES`]).
    pub scopes: Vec<String>,
    /// Every call with the page token fails with 190/463.
    pub token_expired: bool,
    /// App ids listed by `secondary_receivers` (Page Inbox by default); Baton may pass
    /// threads only to these.
    pub secondary_receivers: Vec<String>,
    /// Conversation Routing with Baton's app as the default app (reported as
    /// `messaging_feature_status.msgr_multi_app`): released threads go back to Baton, and a
    /// message may carry its own `thread_control` (`crate::routing`); off = the older
    /// Handover Protocol settings.
    pub conversation_routing: bool,
    /// How the page refuses handovers (`off` when they work).
    pub refuse_handovers: Refusal,
    /// The app has Meta's Human Agent permission (the `HUMAN_AGENT` tag works).
    pub human_agent: bool,
    /// Fields Baton is subscribed to; `None` = not subscribed (no webhooks).
    pub subscribed_fields: Option<Vec<String>>,
}

/// A page the sandbox hosts.
pub(crate) struct PageState {
    /// What the control API shows and changes.
    pub settings: PageSettings,
    /// The page access token Baton calls with.
    pub token: String,
    /// What Baton set with `POST /me/messenger_profile`.
    pub profile: Map<String, Value>,
}

impl PageState {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.settings.scopes.iter().any(|s| s == scope)
    }
}

/// A test user as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestUser {
    pub psid: String,
    pub page_id: String,
    pub first_name: String,
    pub last_name: String,
    pub profile_pic: String,
}

/// Input for creating a test user; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUser {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub profile_pic: Option<String>,
    /// Defaults to the first configured page.
    pub page_id: Option<String>,
    /// Defaults to the next free `2400000000000000N`.
    pub psid: Option<String>,
}

/// A test user with their thread (saved as is in a snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub user: TestUser,
    /// Owner app id; `None` = idle.
    pub owner: Option<String>,
    pub pending_request: Option<String>,
    pub last_user_msg: Option<i64>,
    pub transcript: Vec<TranscriptItem>,
    pub history: Vec<OwnerChange>,
    /// When the page last turned the typing indicator on (cleared by its next message or
    /// `typing_off`); Messenger hides it by itself after [`TYPING_SHOWN_MS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing_since: Option<i64>,
}

/// How long Messenger shows a typing indicator that is never turned off.
pub const TYPING_SHOWN_MS: i64 = 20_000;

impl UserState {
    /// Drops the oldest transcript lines and ownership changes beyond the caps.
    fn trim(&mut self, limits: &Limits) {
        let extra = self
            .transcript
            .len()
            .saturating_sub(limits.max_transcript_lines);
        self.transcript.drain(..extra);
        let extra = self.history.len().saturating_sub(limits.max_history);
        self.history.drain(..extra);
    }

    /// Whether the user sees the typing indicator at `now`.
    pub fn typing_at(&self, now: i64) -> bool {
        self.typing_since
            .is_some_and(|t| now >= t && now - t < TYPING_SHOWN_MS)
    }
}

pub(crate) struct World {
    pub primary: String,
    pub pages: BTreeMap<String, PageState>,
    pub first_page: String,
    pub users: BTreeMap<String, UserState>,
    pub inbox_takes_directly: bool,
    pub outbox: Vec<Outgoing>,
    pub next_user: u64,
    pub next_mid: u64,
    /// Random per emulator, so message ids never repeat across two sandboxes (or a restart),
    /// as Meta's never do: Baton drops a repeated `mid` as a duplicate delivery.
    pub mid_tag: String,
    pub limits: Limits,
    /// Users changed (or removed) since the host last took this set ([`World::take_changes`]).
    pub changed_users: BTreeSet<String>,
    /// Pages, settings or counters changed since the host last took the changes.
    pub changed_header: bool,
}

/// What changed since the last [`World::take_changes`].
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub header: bool,
    pub users: BTreeSet<String>,
}

impl World {
    pub fn new(config: &SandboxConfig) -> Self {
        let pages = config
            .pages
            .iter()
            .map(|p| {
                let state = PageState {
                    settings: PageSettings {
                        id: p.id.clone(),
                        name: p.name.clone(),
                        scopes: default_scopes(),
                        token_expired: false,
                        secondary_receivers: default_secondary_receivers(),
                        conversation_routing: true,
                        refuse_handovers: Refusal::Off,
                        human_agent: true,
                        subscribed_fields: Some(
                            BATON_SUBSCRIBED_FIELDS
                                .iter()
                                .map(|f| f.to_string())
                                .collect(),
                        ),
                    },
                    token: p.access_token.expose().to_owned(),
                    profile: Map::new(),
                };
                (p.id.clone(), state)
            })
            .collect();
        Self {
            primary: config.app.id.clone(),
            pages,
            first_page: config
                .pages
                .first()
                .map(|p| p.id.clone())
                .unwrap_or_default(),
            users: BTreeMap::new(),
            inbox_takes_directly: config.inbox_takes_directly,
            outbox: Vec::new(),
            next_user: 0,
            next_mid: 0,
            mid_tag: random_tag(),
            limits: config.limits.clone(),
            changed_users: BTreeSet::new(),
            changed_header: false,
        }
    }

    /// Applies the caps to the users changed since the host last took the changes (at most
    /// every user; a length check each).
    pub fn trim_changed(&mut self) {
        for psid in &self.changed_users {
            if let Some(u) = self.users.get_mut(psid) {
                u.trim(&self.limits);
            }
        }
    }

    pub(crate) fn take_changes(&mut self) -> Changes {
        Changes {
            header: std::mem::take(&mut self.changed_header),
            users: std::mem::take(&mut self.changed_users),
        }
    }

    /// Refuses a typed text over the cap (Messenger's own limit is far above what a test needs).
    pub fn check_text(&self, text: &str) -> Result<(), SandboxError> {
        let n = text.chars().count();
        if n > self.limits.max_text_chars {
            return Err(SandboxError::Invalid(format!(
                "the text is {n} characters long; the sandbox accepts at most {}",
                self.limits.max_text_chars
            )));
        }
        Ok(())
    }

    pub fn new_mid(&mut self) -> String {
        self.changed_header = true;
        self.next_mid += 1;
        format!("m_sandbox_{}_{:06}", self.mid_tag, self.next_mid)
    }

    pub fn page_by_token(&self, token: &str) -> Option<&PageState> {
        self.pages
            .values()
            .find(|p| !token.is_empty() && p.token == token)
    }

    pub fn create_user(&mut self, new: NewUser) -> Result<TestUser, SandboxError> {
        if self.users.len() >= self.limits.max_users {
            return Err(SandboxError::Invalid(format!(
                "the sandbox already has {} test users, its limit; remove one first",
                self.users.len()
            )));
        }
        let page_id = new.page_id.unwrap_or_else(|| self.first_page.clone());
        if !self.pages.contains_key(&page_id) {
            return Err(SandboxError::UnknownPage(page_id));
        }
        let psid = match new.psid {
            Some(p) if self.users.contains_key(&p) => {
                return Err(SandboxError::Invalid(format!("user {p} exists")))
            }
            Some(p) => p,
            None => loop {
                self.next_user += 1;
                let p = (24_000_000_000_000_000u64 + self.next_user).to_string();
                if !self.users.contains_key(&p) {
                    break p;
                }
            },
        };
        let n = self.users.len() + 1;
        let user = TestUser {
            psid: psid.clone(),
            page_id,
            first_name: new.first_name.unwrap_or_else(|| "Test".into()),
            last_name: new.last_name.unwrap_or_else(|| format!("User {n}")),
            profile_pic: new
                .profile_pic
                .unwrap_or_else(|| format!("https://sandbox.invalid/pic/{psid}.png")),
        };
        self.users.insert(
            psid,
            UserState {
                user: user.clone(),
                owner: Some(self.primary.clone()),
                pending_request: None,
                last_user_msg: None,
                transcript: Vec::new(),
                history: Vec::new(),
                typing_since: None,
            },
        );
        self.changed_users.insert(user.psid.clone());
        self.changed_header = true;
        Ok(user)
    }

    pub fn user(&self, psid: &str) -> Result<&UserState, SandboxError> {
        self.users
            .get(psid)
            .ok_or_else(|| SandboxError::UnknownUser(psid.into()))
    }

    pub fn user_mut(&mut self, psid: &str) -> Result<&mut UserState, SandboxError> {
        if self.users.contains_key(psid) {
            self.changed_users.insert(psid.to_owned());
        }
        self.users
            .get_mut(psid)
            .ok_or_else(|| SandboxError::UnknownUser(psid.into()))
    }

    /// The user of `psid` on `page_id`, or Meta's unknown-recipient error.
    pub fn recipient_mut(
        &mut self,
        page_id: &str,
        psid: &str,
    ) -> Result<&mut UserState, GraphFail> {
        match self.users.get_mut(psid) {
            Some(u) if u.user.page_id == page_id => {
                self.changed_users.insert(psid.to_owned());
                Ok(u)
            }
            _ => Err(GraphFail::unknown_recipient()),
        }
    }

    /// Channel Baton receives this user's events on: messaging when it owns (or idle).
    pub fn baton_channel(&self, owner: Option<&str>) -> Channel {
        match owner {
            Some(o) if o != self.primary => Channel::Standby,
            _ => Channel::Messaging,
        }
    }

    /// Queues a webhook event for Baton if the page is subscribed to its field.
    pub fn emit(&mut self, page_id: &str, channel: Channel, event: Value) {
        let field = if channel == Channel::Standby {
            "standby"
        } else if event
            .get("message")
            .and_then(|m| m.get("is_echo"))
            .is_some()
        {
            "message_echoes"
        } else if event.get("message").is_some() {
            "messages"
        } else if event.get("postback").is_some() {
            "messaging_postbacks"
        } else {
            "messaging_handovers"
        };
        let subscribed = self
            .pages
            .get(page_id)
            .and_then(|p| p.settings.subscribed_fields.as_ref())
            .is_some_and(|f| f.iter().any(|x| x == field));
        if subscribed {
            self.outbox.push(Outgoing {
                page_id: page_id.into(),
                channel,
                event,
            });
        }
    }

    /// Records a user message / postback: claims an idle thread for the primary, opens the
    /// window, appends the transcript line and emits `body_key: body` to Baton.
    pub fn user_event(
        &mut self,
        psid: &str,
        now: i64,
        item: TranscriptItem,
        body_key: &str,
        mut body: Value,
    ) -> Result<String, SandboxError> {
        let primary = self.primary.clone();
        let u = self.user_mut(psid)?;
        if u.owner.is_none() {
            u.owner = Some(primary.clone());
            u.history.push(OwnerChange {
                timestamp: now,
                action: "user_message".into(),
                by_app_id: primary,
                from: None,
                to: u.owner.clone(),
                metadata: None,
            });
        }
        u.last_user_msg = Some(now);
        let mid = item.mid.clone();
        u.transcript.push(item);
        let page_id = u.user.page_id.clone();
        let owner = u.owner.clone();
        let channel = self.baton_channel(owner.as_deref());
        if channel == Channel::Standby && body_key == "postback" {
            // Standby postbacks carry no payload (Meta's standby reference).
            if let Some(o) = body.as_object_mut() {
                o.remove("payload");
            }
        }
        let event = json!({
            "sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now,
            body_key: body,
        });
        self.emit(&page_id, channel, event);
        Ok(mid)
    }

    /// Thread state for the Simulator and tests.
    pub fn thread_view(&self, psid: &str, now: i64) -> Result<ThreadView, SandboxError> {
        let u = self.user(psid)?;
        let open = |w: std::time::Duration| {
            u.last_user_msg
                .is_some_and(|t| now - t <= w.as_millis() as i64)
        };
        Ok(ThreadView {
            psid: psid.into(),
            page_id: u.user.page_id.clone(),
            owner_app_id: u.owner.clone(),
            owner: match u.owner.as_deref() {
                None => "idle",
                Some(o) if o == self.primary => "baton",
                Some(PAGE_INBOX_APP_ID) => "page_inbox",
                Some(_) => "other",
            },
            pending_request_from: u.pending_request.clone(),
            last_user_message_at: u.last_user_msg,
            window_open: open(STANDARD_WINDOW),
            human_agent_window_open: open(HUMAN_AGENT_WINDOW),
            history: u.history.clone(),
        })
    }
}

/// Eight hex digits from the standard library's per-process random hash keys.
fn random_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    format!("{:08x}", h.finish() as u32)
}
