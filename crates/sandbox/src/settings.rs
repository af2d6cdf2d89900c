//! Per-page settings a test or the setup wizard changes to produce each setup failure: the
//! token's permissions, an expired token, the secondary receivers, Conversation Routing (and
//! how the page refuses handovers), the Human Agent permission, and the webhook subscription (`GET`/`PUT /_sandbox/pages/{page_id}`).
//! The settings themselves ([`PageSettings`]) are part of each page's state, in `world.rs`;
//! this file reads and changes them.

use messenger::PAGE_INBOX_APP_ID;
use serde::{Deserialize, Serialize};

use crate::fail::SandboxError;
use crate::handle::Sandbox;
use crate::world::{PageSettings, Refusal};

/// Most entries a scope or secondary-receiver list may have.
const MAX_LIST: usize = 50;
/// Longest scope name or app id accepted.
const MAX_ITEM_CHARS: usize = 100;

/// A change to a page's settings; every field optional (`None` / `false` = keep).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageUpdate {
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub token_expired: Option<bool>,
    #[serde(default)]
    pub secondary_receivers: Option<Vec<String>>,
    #[serde(default)]
    pub conversation_routing: Option<bool>,
    #[serde(default)]
    pub refuse_handovers: Option<Refusal>,
    #[serde(default)]
    pub human_agent: Option<bool>,
    /// Removes Baton's webhook subscription (as `DELETE /{page-id}/subscribed_apps` does).
    #[serde(default)]
    pub unsubscribe: bool,
}

/// The name `secondary_receivers` shows for an app id.
pub(crate) fn app_name(app_id: &str) -> String {
    if app_id == PAGE_INBOX_APP_ID {
        "Page Inbox".into()
    } else {
        format!("App {app_id}")
    }
}

/// Trims, drops duplicates (keeping the first), and refuses blank, over-long or too many items.
fn clean_list(what: &str, items: &[String]) -> Result<Vec<String>, SandboxError> {
    if items.len() > MAX_LIST {
        return Err(SandboxError::Invalid(format!(
            "at most {MAX_LIST} {what} are accepted; got {}",
            items.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim();
        if item.is_empty() || item.chars().count() > MAX_ITEM_CHARS {
            return Err(SandboxError::Invalid(format!(
                "each of the {what} must be 1-{MAX_ITEM_CHARS} characters long"
            )));
        }
        if !out.iter().any(|x| x == item) {
            out.push(item.to_owned());
        }
    }
    Ok(out)
}

impl Sandbox {
    /// The settings of a page, `None` for a page this sandbox does not host.
    pub fn page_settings(&self, page_id: &str) -> Option<PageSettings> {
        self.lock().pages.get(page_id).map(|p| p.settings.clone())
    }

    /// Changes a page's settings (all or nothing) and marks them for saving.
    pub fn update_page(
        &self,
        page_id: &str,
        update: PageUpdate,
    ) -> Result<PageSettings, SandboxError> {
        let scopes = update
            .scopes
            .as_deref()
            .map(|s| clean_list("scopes", s))
            .transpose()?;
        let receivers = update
            .secondary_receivers
            .as_deref()
            .map(|r| clean_list("secondary receivers", r))
            .transpose()?;
        let primary = self.app_id();
        if receivers.iter().flatten().any(|r| r == primary) {
            return Err(SandboxError::Invalid(format!(
                "app {primary} is Baton, the primary receiver; it cannot also be a secondary receiver"
            )));
        }
        let mut w = self.lock();
        let page = &mut w
            .pages
            .get_mut(page_id)
            .ok_or_else(|| SandboxError::UnknownPage(page_id.into()))?
            .settings;
        if let Some(scopes) = scopes {
            page.scopes = scopes;
        }
        if let Some(expired) = update.token_expired {
            page.token_expired = expired;
        }
        if let Some(receivers) = receivers {
            page.secondary_receivers = receivers;
        }
        if let Some(routing) = update.conversation_routing {
            page.conversation_routing = routing;
        }
        if let Some(refusal) = update.refuse_handovers {
            page.refuse_handovers = refusal;
        }
        if let Some(human_agent) = update.human_agent {
            page.human_agent = human_agent;
        }
        if update.unsubscribe {
            page.subscribed_fields = None;
        }
        let settings = page.clone();
        w.changed_header = true;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_SCOPES;
    use crate::{SandboxConfig, DEFAULT_PAGE_ID};

    fn sandbox() -> (tokio::runtime::Runtime, Sandbox) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sb = {
            let _guard = rt.enter();
            Sandbox::new(SandboxConfig::default())
        };
        (rt, sb)
    }

    #[test]
    fn defaults_and_partial_updates() {
        let (_rt, sb) = sandbox();
        let s = sb.page_settings(DEFAULT_PAGE_ID).unwrap();
        assert_eq!(s.scopes, DEFAULT_SCOPES);
        assert_eq!(s.secondary_receivers, [PAGE_INBOX_APP_ID]);
        assert!(!s.token_expired && s.conversation_routing && s.human_agent);
        assert_eq!(s.refuse_handovers, Refusal::Off);
        assert!(s.subscribed_fields.is_some());
        assert_eq!(sb.page_settings("42"), None);

        sb.take_changes();
        let s = sb
            .update_page(
                DEFAULT_PAGE_ID,
                PageUpdate {
                    scopes: Some(vec![" pages_messaging ".into(), "pages_messaging".into()]),
                    conversation_routing: Some(false),
                    refuse_handovers: Some(Refusal::SeparateCalls),
                    unsubscribe: true,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(s.scopes, ["pages_messaging"]);
        assert!(!s.conversation_routing);
        assert_eq!(s.refuse_handovers, Refusal::SeparateCalls);
        assert_eq!(s.subscribed_fields, None);
        assert_eq!(s.secondary_receivers, [PAGE_INBOX_APP_ID], "kept");
        assert!(sb.take_changes().header_changed);
        assert_eq!(sb.page_settings(DEFAULT_PAGE_ID), Some(s));
    }

    #[test]
    fn bad_updates_change_nothing() {
        let (_rt, sb) = sandbox();
        let before = sb.page_settings(DEFAULT_PAGE_ID).unwrap();
        let bad = [
            PageUpdate {
                scopes: Some(vec!["".into()]),
                token_expired: Some(true),
                ..Default::default()
            },
            PageUpdate {
                secondary_receivers: Some(vec![sb.app_id().into()]),
                ..Default::default()
            },
            PageUpdate {
                scopes: Some(vec!["x".into(); MAX_LIST + 1]),
                ..Default::default()
            },
        ];
        for update in bad {
            assert!(matches!(
                sb.update_page(DEFAULT_PAGE_ID, update),
                Err(SandboxError::Invalid(_))
            ));
        }
        assert_eq!(sb.page_settings(DEFAULT_PAGE_ID).unwrap(), before);
        assert_eq!(
            sb.update_page("42", PageUpdate::default()),
            Err(SandboxError::UnknownPage("42".into()))
        );
        let err = serde_json::from_str::<PageUpdate>(r#"{"tokenExpired": true}"#).unwrap_err();
        assert!(err.to_string().contains("tokenExpired"), "{err}");
    }
}
