//! What the engine knows while it handles one event or one agent's action: the page, Baton's
//! app, the flow in force and the time. Built by the events pipeline per event and by the agent
//! actions per click; read by the engine, the handover state machine and the bot.

use flows::Flow;

/// What the engine knows while handling one event.
pub struct Scope<'a> {
    pub page_id: &'a str,
    /// Baton's own app id: how its own echoes and thread-control events are recognised.
    pub app_id: &'a str,
    /// The published flow (`None` before the first publish: record, never answer).
    pub flow: Option<&'a Flow>,
    /// "Now" for window checks: the event's timestamp, or the clock for agents.
    pub now_ms: i64,
    /// Baton's clock when the work is done: when outbox rows are queued (an event's own
    /// timestamp may lie in the past or, from a platform whose clock runs ahead, the future).
    pub clock_ms: i64,
    /// The page's bot disclosure ("you are talking to an automated assistant"), if on.
    pub disclosure: Option<&'a str>,
}
