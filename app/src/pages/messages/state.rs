//! The editor's state in the browser: the flow being edited, undo / redo, the problems of the
//! flow (the very `flows::validate` the server runs), the selected message, and autosave with
//! a visible saved / saving / not saved state that retries and never drops an edit.

use flows::{validate, Flow, Problem};
use leptos::prelude::*;
use model::error::AppError;
use model::{EditorState, History, LiveVersion};

/// Wait after the last keystroke before saving (milliseconds).
const SAVE_DELAY_MS: u64 = 600;
/// Longest wait between retries of a failed save (milliseconds).
const RETRY_MAX_MS: u64 = 30_000;

/// Where the draft stands against the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    /// Everything on screen is saved.
    Saved,
    /// Edits wait for the next save.
    Pending,
    Saving,
    /// The last save failed; it is retried by itself (the edits stay on screen).
    Failed(String),
    /// Someone else saved the draft meanwhile; the editor must choose whose version to keep.
    Conflict(String),
}

/// The editor's signals, shared by every part of the screen through context (`Copy`).
#[derive(Clone, Copy)]
pub struct Editor {
    pub flow: RwSignal<Flow>,
    history: StoredValue<History<Flow>>,
    /// Bumped by undo-history changes, so the Undo / Redo buttons update.
    history_tick: RwSignal<u32>,
    /// The draft revision the next save is based on.
    pub revision: RwSignal<i64>,
    pub save: RwSignal<SaveState>,
    /// Counts edits; `saved_edits` is the count the server has.
    edits: RwSignal<u64>,
    saved_edits: RwSignal<u64>,
    saving: StoredValue<bool>,
    failures: StoredValue<u32>,
    pub live: RwSignal<Option<LiveVersion>>,
    pub selected: RwSignal<Option<String>>,
    pub problems: Memo<Vec<Problem>>,
    pub can_publish: bool,
    /// Bumped after a push or rollback, so the versions list reloads.
    pub versions_tick: RwSignal<u32>,
}

impl Editor {
    /// A new editor for what the server sent, provided as context.
    pub fn provide(state: EditorState) -> Self {
        let flow = RwSignal::new(state.draft);
        let selected = flow.with_untracked(|f| f.messages.first().map(|m| m.key.clone()));
        let editor = Editor {
            flow,
            history: StoredValue::new(History::default()),
            history_tick: RwSignal::new(0),
            revision: RwSignal::new(state.revision),
            save: RwSignal::new(SaveState::Saved),
            edits: RwSignal::new(0),
            saved_edits: RwSignal::new(0),
            saving: StoredValue::new(false),
            failures: StoredValue::new(0),
            live: RwSignal::new(state.live),
            selected: RwSignal::new(selected),
            problems: Memo::new(move |_| flow.with(validate)),
            can_publish: state.can_publish,
            versions_tick: RwSignal::new(0),
        };
        provide_context(editor);
        editor
    }

    pub fn get() -> Self {
        expect_context::<Editor>()
    }

    /// Changes the flow as one undoable edit of `field` (keystrokes in the same field merge
    /// into one step), then saves it shortly.
    pub fn edit(self, field: &str, change: impl FnOnce(&mut Flow)) {
        let before = self.flow.get_untracked();
        let mut after = before.clone();
        change(&mut after);
        if after == before {
            return;
        }
        self.history
            .update_value(|h| h.record(before, field, now_ms()));
        self.flow.set(after);
        self.changed();
    }

    /// Replaces the whole flow (an upload, a rollback, loading someone else's draft) as one
    /// undoable step, already saved as `revision`.
    pub fn replace(self, flow: Flow, revision: i64) {
        let before = self.flow.get_untracked();
        if before != flow {
            self.history
                .update_value(|h| h.record(before, "(replace)", f64::NEG_INFINITY));
            self.history_tick.update(|n| *n += 1);
        }
        self.flow.set(flow);
        self.revision.set(revision);
        self.saved_edits.set(self.edits.get_untracked());
        self.save.set(SaveState::Saved);
        self.keep_selection();
    }

    pub fn undo(self) {
        let current = self.flow.get_untracked();
        if let Some(previous) = self.history.try_update_value(|h| h.undo(current)).flatten() {
            self.flow.set(previous);
            self.changed();
            self.keep_selection();
        }
    }

    pub fn redo(self) {
        let current = self.flow.get_untracked();
        if let Some(next) = self.history.try_update_value(|h| h.redo(current)).flatten() {
            self.flow.set(next);
            self.changed();
            self.keep_selection();
        }
    }

    pub fn can_undo(self) -> bool {
        self.history_tick.track();
        self.history.with_value(History::can_undo)
    }

    pub fn can_redo(self) -> bool {
        self.history_tick.track();
        self.history.with_value(History::can_redo)
    }

    /// Problems whose path is exactly `path` (the field they belong to).
    pub fn problems_at(self, path: &str) -> Vec<Problem> {
        self.problems
            .with(|all| all.iter().filter(|p| p.path == path).cloned().collect())
    }

    /// How many problems lie at or under `path` (a message, a part...).
    pub fn problem_count_under(self, path: &str) -> usize {
        self.problems.with(|all| {
            all.iter()
                .filter(|p| p.is_error() && under(&p.path, path))
                .count()
        })
    }

    /// True once every edit on screen is saved.
    pub fn all_saved(self) -> bool {
        self.edits.get() == self.saved_edits.get() && self.save.get() == SaveState::Saved
    }

    /// A selected message that an undo removed is unselected.
    fn keep_selection(self) {
        let gone = self.selected.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|k| self.flow.with_untracked(|f| f.message(k).is_none()))
        });
        if gone {
            let first = self
                .flow
                .with_untracked(|f| f.messages.first().map(|m| m.key.clone()));
            self.selected.set(first);
        }
    }

    fn changed(self) {
        self.history_tick.update(|n| *n += 1);
        self.edits.update(|n| *n += 1);
        if !matches!(self.save.get_untracked(), SaveState::Conflict(_)) {
            self.save.set(SaveState::Pending);
            self.save_later(SAVE_DELAY_MS);
        }
    }

    /// Saves after `delay_ms`, unless more edits come first (they schedule their own save).
    fn save_later(self, delay_ms: u64) {
        let edits = self.edits.get_untracked();
        let later = move || {
            if self.edits.get_untracked() == edits || delay_ms > SAVE_DELAY_MS {
                leptos::task::spawn_local(async move {
                    let _ = self.save_now().await;
                });
            }
        };
        #[cfg(feature = "hydrate")]
        set_timeout(later, std::time::Duration::from_millis(delay_ms));
        #[cfg(not(feature = "hydrate"))]
        let _ = later;
    }

    /// Saves what is on screen now, unless it is saved already or a save is under way (that
    /// one saves again when it ends). A failed save is retried with growing waits.
    pub async fn save_now(self) -> Result<(), AppError> {
        if self.saving.get_value() || matches!(self.save.get_untracked(), SaveState::Conflict(_)) {
            return Ok(());
        }
        let edits = self.edits.get_untracked();
        if edits == self.saved_edits.get_untracked() {
            self.save.set(SaveState::Saved);
            return Ok(());
        }
        self.saving.set_value(true);
        self.save.set(SaveState::Saving);
        let json = self.flow.with_untracked(flows::to_json);
        let result = crate::api::flows::save_edit(json, self.revision.get_untracked()).await;
        self.saving.set_value(false);
        match result {
            Ok(saved) => {
                self.failures.set_value(0);
                self.revision.set(saved.revision);
                self.saved_edits.set(edits);
                if self.edits.get_untracked() == edits {
                    self.save.set(SaveState::Saved);
                } else {
                    self.save.set(SaveState::Pending);
                    self.save_later(SAVE_DELAY_MS);
                }
                Ok(())
            }
            Err(AppError::Conflict(text)) => {
                self.save.set(SaveState::Conflict(text.clone()));
                Err(AppError::Conflict(text))
            }
            Err(e) => {
                let tries = self.failures.get_value() + 1;
                self.failures.set_value(tries);
                let wait = (1_000u64 << tries.min(5)).min(RETRY_MAX_MS);
                self.save.set(SaveState::Failed(format!(
                    "{e} Your edits are kept here; trying again in {} s.",
                    wait / 1000
                )));
                self.save_later(wait.max(SAVE_DELAY_MS + 1));
                Err(e)
            }
        }
    }

    /// After a conflict: load the newer draft (Ctrl+Z brings this editor's version back).
    pub async fn load_theirs(self) -> Result<(), AppError> {
        let state = crate::api::flows::load_editor().await?;
        self.live.set(state.live);
        self.replace(state.draft, state.revision);
        Ok(())
    }

    /// After a conflict: save this editor's version over the newer one.
    pub async fn keep_mine(self) -> Result<(), AppError> {
        let state = crate::api::flows::load_editor().await?;
        self.revision.set(state.revision);
        self.live.set(state.live);
        self.save.set(SaveState::Pending);
        self.edits.update(|n| *n += 1);
        self.save_now().await
    }
}

/// Sorts `items` by name, ignoring case; equal names keep their order. Every list on the screen
/// sorts through here: each `sort_by_key` on another type would add its own copy of Rust's
/// sort to the wasm.
pub fn sort_by_name<T>(items: &mut Vec<T>, name: impl Fn(&T) -> &str) {
    let mut order: Vec<(String, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (flows::lowercase(name(t)), i))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(order.into_iter().filter_map(|(_, i)| slots[i].take()));
}

/// True if `path` is `parent` or lies under it (`parent.x`, `parent[3]`).
fn under(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_by_name, under};

    #[test]
    fn sorts_by_name_ignoring_case_and_keeps_ties_in_order() {
        let mut v = vec![("b", 1), ("A", 2), ("a", 3), ("Ä", 4), ("c", 5)];
        sort_by_name(&mut v, |(n, _)| n);
        assert_eq!(v, [("A", 2), ("a", 3), ("b", 1), ("c", 5), ("Ä", 4)]);
    }

    #[test]
    fn paths_under_a_parent() {
        assert!(under("messages[1].parts[0].text", "messages[1]"));
        assert!(under("messages[1]", "messages[1]"));
        assert!(!under("messages[10].name", "messages[1]"));
        assert!(under("triggers.keywords[0]", "triggers"));
    }
}
