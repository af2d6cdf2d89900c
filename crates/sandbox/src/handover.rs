//! Thread control (§5): pass / take / request / release between Baton (primary receiver)
//! and Page Inbox, with the `messaging_handovers` events Baton receives.

use messenger::webhook::Channel;
use messenger::PAGE_INBOX_APP_ID;
use serde_json::{json, Value};

use crate::fail::GraphFail;
use crate::transcript::OwnerChange;
use crate::world::World;

impl World {
    /// The primary, or one of the page's secondary receivers (`crate::settings`).
    pub(crate) fn may_receive(&self, page_id: &str, app: &str) -> bool {
        app == self.primary
            || self
                .pages
                .get(page_id)
                .is_some_and(|p| p.settings.secondary_receivers.iter().any(|r| r == app))
    }

    fn record(&mut self, page_id: &str, psid: &str, change: OwnerChange) -> Result<(), GraphFail> {
        let u = self.recipient_mut(page_id, psid)?;
        u.owner = change.to.clone();
        u.history.push(change);
        Ok(())
    }

    /// Emits a handover event to Baton (only Baton has a webhook).
    fn notify_baton(&mut self, page_id: &str, psid: &str, now: i64, key: &str, body: Value) {
        let event = json!({
            "sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now, key: body,
        });
        self.emit(page_id, Channel::Messaging, event);
    }

    /// A pass or a take: records `change` (the thread goes to `change.to`), which also answers
    /// any pending request; with `tell_baton`, Baton gets the `{action}_thread_control` event
    /// naming the previous and the new owner.
    fn give_thread(
        &mut self,
        page_id: &str,
        psid: &str,
        change: OwnerChange,
        tell_baton: bool,
    ) -> Result<(), GraphFail> {
        let event = format!("{}_thread_control", change.action);
        let body = json!({
            "previous_owner_app_id": change.from,
            "new_owner_app_id": change.to,
            "metadata": change.metadata,
        });
        let now = change.timestamp;
        self.record(page_id, psid, change)?;
        self.recipient_mut(page_id, psid)?.pending_request = None;
        if tell_baton {
            self.notify_baton(page_id, psid, now, &event, body);
        }
        Ok(())
    }

    /// `pass_thread_control` by `app` (must own the thread, or it is idle) to the primary or
    /// a secondary receiver of the page.
    pub fn pass(
        &mut self,
        app: &str,
        page_id: &str,
        psid: &str,
        target: &str,
        metadata: Option<String>,
        now: i64,
    ) -> Result<(), GraphFail> {
        let owner = self.recipient_mut(page_id, psid)?.owner.clone();
        if owner.as_deref().is_some_and(|o| o != app) {
            return Err(GraphFail::handover(
                "Only the thread owner can pass thread control",
            ));
        }
        if target == app {
            return Err(GraphFail::invalid_param(format!(
                "Invalid target app for thread control: {target}"
            )));
        }
        if !self.may_receive(page_id, target) {
            return Err(GraphFail::handover(
                "The target app is not a secondary receiver of this page",
            ));
        }
        let tell_baton = target == self.primary;
        self.give_thread(
            page_id,
            psid,
            OwnerChange {
                timestamp: now,
                action: "pass".into(),
                by_app_id: app.into(),
                from: owner,
                to: Some(target.into()),
                metadata,
            },
            tell_baton,
        )
    }

    /// `take_thread_control` by `app`: the primary may always take; Page Inbox only when
    /// the sandbox is in "inbox takes directly" mode. The previous owner is notified.
    pub fn take(
        &mut self,
        app: &str,
        page_id: &str,
        psid: &str,
        metadata: Option<String>,
        now: i64,
    ) -> Result<(), GraphFail> {
        let owner = self.recipient_mut(page_id, psid)?.owner.clone();
        let allowed =
            app == self.primary || (app == PAGE_INBOX_APP_ID && self.inbox_takes_directly);
        if !allowed {
            return Err(GraphFail::handover(
                "Only the primary receiver can take thread control",
            ));
        }
        if owner.as_deref() == Some(app) {
            return Ok(());
        }
        let tell_baton = owner.as_deref() == Some(self.primary.as_str());
        self.give_thread(
            page_id,
            psid,
            OwnerChange {
                timestamp: now,
                action: "take".into(),
                by_app_id: app.into(),
                from: owner,
                to: Some(app.into()),
                metadata,
            },
            tell_baton,
        )
    }

    /// `request_thread_control` by a non-owner: the owner is notified.
    pub fn request(
        &mut self,
        app: &str,
        page_id: &str,
        psid: &str,
        metadata: Option<String>,
        now: i64,
    ) -> Result<(), GraphFail> {
        let u = self.recipient_mut(page_id, psid)?;
        let owner = u.owner.clone();
        if owner.as_deref() == Some(app) {
            return Err(GraphFail::handover(
                "Cannot request thread control: this app is already the thread owner",
            ));
        }
        u.pending_request = Some(app.into());
        u.history.push(OwnerChange {
            timestamp: now,
            action: "request".into(),
            by_app_id: app.into(),
            from: owner.clone(),
            to: owner.clone(),
            metadata: metadata.clone(),
        });
        if owner.as_deref() == Some(self.primary.as_str()) {
            self.notify_baton(
                page_id,
                psid,
                now,
                "request_thread_control",
                json!({"requested_owner_app_id": app, "metadata": metadata}),
            );
        }
        Ok(())
    }

    /// `release_thread_control` by the owner: the thread goes back to the page's default app
    /// under Conversation Routing, else it becomes idle (the primary gets the next user
    /// message on `messaging`).
    pub fn release(
        &mut self,
        app: &str,
        page_id: &str,
        psid: &str,
        now: i64,
    ) -> Result<(), GraphFail> {
        let owner = self.recipient_mut(page_id, psid)?.owner.clone();
        if owner.as_deref() != Some(app) {
            return Err(GraphFail::handover(
                "Only the thread owner can release thread control",
            ));
        }
        let to = self.released_to(page_id);
        self.record(
            page_id,
            psid,
            OwnerChange {
                timestamp: now,
                action: "release".into(),
                by_app_id: app.into(),
                from: owner,
                to,
                metadata: None,
            },
        )
    }
}
