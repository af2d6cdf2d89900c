//! How a sandbox page routes conversations (docs/messenger-platform.md, "Conversation
//! Routing"): the page's default app gets threads back when another app releases them, a
//! message may carry its own handover (`thread_control`), and a page can refuse handovers the
//! ways real pages do, so every case Baton must survive can be played offline.

use messenger::send::ControlType;

use crate::fail::GraphFail;
pub use crate::world::Refusal;
use crate::world::{PageState, World};

impl GraphFail {
    /// "(#10) Handover Protocol APIs disabled for this page" (the wording pages report; the
    /// code is not documented).
    pub fn handover_disabled() -> Self {
        Self::handover("Handover Protocol APIs disabled for this page")
    }

    /// 10/1893063: the page may not message for now.
    pub fn page_restricted() -> Self {
        Self::new(
            400,
            10,
            Some(1893063),
            "(#10) This Page is temporarily restricted from sending messages.",
        )
    }

    /// A `thread_control` field on a page with the older Handover Protocol settings (the
    /// sandbox's wording: Meta's own answer is not documented).
    pub fn thread_control_unsupported() -> Self {
        Self::invalid_param(
            "Param thread_control is only supported on pages that use Conversation Routing",
        )
    }

    /// A `HUMAN_AGENT` send from an app without Meta's Human Agent permission (the sandbox's
    /// wording).
    pub fn human_agent_not_approved() -> Self {
        Self::handover(
            "This app may not use the HUMAN_AGENT tag: it needs the Human Agent permission, granted through App Review",
        )
    }

    /// A message tag Meta removed on April 27, 2026.
    pub fn removed_tag(tag: &str) -> Self {
        Self::invalid_param(format!(
            "The message tag {tag} is no longer supported; HUMAN_AGENT is the only tag left"
        ))
    }
}

impl PageState {
    /// The refusal a separate thread-control call meets on this page, if any.
    pub fn refuses_call(&self) -> Option<GraphFail> {
        match self.settings.refuse_handovers {
            Refusal::Off => None,
            Refusal::SeparateCalls | Refusal::All => Some(GraphFail::handover_disabled()),
            Refusal::Restricted => Some(GraphFail::page_restricted()),
        }
    }

    /// The refusal a message meets on this page before it is delivered: a restricted page
    /// sends nothing; a `thread_control` is refused on a classic page or when every handover
    /// is refused.
    pub fn refuses_send(&self, control: Option<ControlType>) -> Option<GraphFail> {
        if self.settings.refuse_handovers == Refusal::Restricted {
            return Some(GraphFail::page_restricted());
        }
        control?;
        if !self.settings.conversation_routing {
            return Some(GraphFail::thread_control_unsupported());
        }
        (self.settings.refuse_handovers == Refusal::All).then(GraphFail::handover_disabled)
    }
}

impl World {
    /// Who gets a thread that its owner released: the page's default app under Conversation
    /// Routing (Baton), nobody (idle) on a classic page.
    pub fn released_to(&self, page_id: &str) -> Option<String> {
        self.pages
            .get(page_id)
            .is_some_and(|p| p.settings.conversation_routing)
            .then(|| self.primary.clone())
    }

    /// The page's refusal of a separate thread-control call.
    pub fn refuses_call(&self, page_id: &str) -> Result<(), GraphFail> {
        match self.pages.get(page_id).and_then(PageState::refuses_call) {
            Some(fail) => Err(fail),
            None => Ok(()),
        }
    }
}
