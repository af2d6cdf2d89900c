//! Saving and restoring the emulated platform's state (test users, thread owners,
//! transcripts, page settings, the clock's offset), so a host that restarts, like Baton
//! serving the sandbox page, keeps its test users and their conversations.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::handle::Sandbox;
use crate::world::{default_scopes, default_secondary_receivers};
use crate::world::{UserState, World};

/// The format written by this version; a snapshot of another version is refused.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Everything [`Sandbox::restore`] needs, as plain JSON-able data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// How far the clock was fast-forwarded.
    pub clock_offset_ms: i64,
    pub inbox_takes_directly: bool,
    pub next_user: u64,
    pub next_mid: u64,
    pub pages: Vec<PageSnapshot>,
    pub users: Vec<UserState>,
}

/// What Baton set on a page (its messenger profile and webhook subscription) and the page's
/// settings (`PageSettings`). Snapshots written before the settings existed load
/// with the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSnapshot {
    pub id: String,
    pub profile: Map<String, Value>,
    pub subscribed_fields: Option<Vec<String>>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub token_expired: bool,
    #[serde(default = "default_secondary_receivers")]
    pub secondary_receivers: Vec<String>,
    /// Snapshots from before the sandbox played Conversation Routing load as classic pages.
    #[serde(default)]
    pub conversation_routing: bool,
    #[serde(default)]
    pub refuse_handovers: crate::world::Refusal,
    #[serde(default = "yes")]
    pub human_agent: bool,
}

fn yes() -> bool {
    true
}

/// What changed since the previous [`Sandbox::take_changes`]: the small part of the state
/// (pages, counters, clock; `users` left empty) and each changed user, `None` when removed.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotChanges {
    pub header: Snapshot,
    /// Pages, counters or settings changed (the clock is compared by the caller).
    pub header_changed: bool,
    pub users: Vec<(String, Option<UserState>)>,
}

impl Sandbox {
    /// Takes the set of changes made since the last call, so a host saves only those users.
    /// If saving fails, hand the psids back with [`Sandbox::mark_changed`].
    pub fn take_changes(&self) -> SnapshotChanges {
        let offset = self.clock().offset_ms();
        let mut w = self.lock();
        let changes = w.take_changes();
        let users = changes
            .users
            .into_iter()
            .map(|psid| {
                let state = w.users.get(&psid).cloned();
                (psid, state)
            })
            .collect();
        SnapshotChanges {
            header: header(&w, offset),
            header_changed: changes.header,
            users,
        }
    }

    /// Marks users (and the header) as changed again, after a failed save.
    pub fn mark_changed(&self, psids: impl IntoIterator<Item = String>) {
        let mut w = self.lock();
        w.changed_header = true;
        w.changed_users.extend(psids);
    }

    /// The current state. Webhooks still waiting for delivery are not part of it.
    pub fn snapshot(&self) -> Snapshot {
        let offset = self.clock().offset_ms();
        let w = self.lock();
        Snapshot {
            users: w.users.values().cloned().collect(),
            ..header(&w, offset)
        }
    }

    /// Replaces the state with `snapshot`. Pages that this sandbox is not configured with,
    /// and their users, are skipped. Returns how many users were restored.
    pub fn restore(&self, snapshot: Snapshot) -> Result<usize, String> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(format!(
                "sandbox snapshot version {} is not supported (expected {SNAPSHOT_VERSION})",
                snapshot.version
            ));
        }
        self.clock().set_offset_ms(snapshot.clock_offset_ms);
        let mut w = self.lock();
        w.inbox_takes_directly = snapshot.inbox_takes_directly;
        w.next_user = w.next_user.max(snapshot.next_user);
        w.next_mid = w.next_mid.max(snapshot.next_mid);
        for p in snapshot.pages {
            if let Some(page) = w.pages.get_mut(&p.id) {
                page.profile = p.profile;
                page.settings.subscribed_fields = p.subscribed_fields;
                page.settings.scopes = p.scopes;
                page.settings.token_expired = p.token_expired;
                page.settings.secondary_receivers = p.secondary_receivers;
                page.settings.conversation_routing = p.conversation_routing;
                page.settings.refuse_handovers = p.refuse_handovers;
                page.settings.human_agent = p.human_agent;
            }
        }
        w.users.clear();
        for u in snapshot.users {
            if w.pages.contains_key(&u.user.page_id) {
                w.users.insert(u.user.psid.clone(), u);
            }
        }
        // What was just restored is saved already.
        w.take_changes();
        Ok(w.users.len())
    }
}

/// The state without its users.
fn header(w: &World, clock_offset_ms: i64) -> Snapshot {
    Snapshot {
        version: SNAPSHOT_VERSION,
        clock_offset_ms,
        inbox_takes_directly: w.inbox_takes_directly,
        next_user: w.next_user,
        next_mid: w.next_mid,
        pages: w
            .pages
            .values()
            .map(|p| PageSnapshot {
                id: p.settings.id.clone(),
                profile: p.profile.clone(),
                subscribed_fields: p.settings.subscribed_fields.clone(),
                scopes: p.settings.scopes.clone(),
                token_expired: p.settings.token_expired,
                secondary_receivers: p.settings.secondary_receivers.clone(),
                conversation_routing: p.settings.conversation_routing,
                refuse_handovers: p.settings.refuse_handovers,
                human_agent: p.settings.human_agent,
            })
            .collect(),
        users: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{NewUser, SandboxConfig, Speaker};

    #[tokio::test]
    async fn a_restored_sandbox_has_the_same_users_threads_and_clock() {
        let before = Sandbox::new(SandboxConfig::default());
        let ana = before
            .create_user(NewUser {
                first_name: Some("Ana".into()),
                ..Default::default()
            })
            .unwrap();
        before.user_says(&ana.psid, "hello").unwrap();
        before.inbox_move_to_inbox(&ana.psid, None).unwrap();
        before.advance(Duration::from_secs(3600));
        let saved = serde_json::to_string(&before.snapshot()).unwrap();

        let after = Sandbox::new(SandboxConfig::default());
        let restored = after
            .restore(serde_json::from_str(&saved).unwrap())
            .unwrap();
        assert_eq!(restored, 1);
        assert_eq!(after.snapshot(), before.snapshot());
        assert_eq!(after.users(), before.users());
        let lines = after.transcript(&ana.psid).unwrap();
        assert_eq!(lines[0].from, Speaker::User);
        assert_eq!(lines[0].text.as_deref(), Some("hello"));
        assert_eq!(after.clock().offset(), Duration::from_secs(3600));
        // New users and messages continue the numbering instead of reusing ids.
        let bo = after.create_user(NewUser::default()).unwrap();
        assert_ne!(bo.psid, ana.psid);
        let mid = after.user_says(&bo.psid, "hi").unwrap();
        assert!(lines.iter().all(|l| l.mid != mid));
    }

    #[test]
    fn another_version_is_refused() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let _guard = rt.enter();
        let sb = Sandbox::new(SandboxConfig::default());
        let mut snapshot = sb.snapshot();
        snapshot.version = 99;
        assert!(sb.restore(snapshot).unwrap_err().contains("version 99"));
    }
}
