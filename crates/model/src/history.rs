//! Undo / redo for the editors: a bounded stack of earlier states. Keystrokes in one field
//! within a short time make one step, so Ctrl+Z undoes a word or a sentence, not a letter.

/// Edits of the same field closer together than this (milliseconds) are one undo step.
pub const MERGE_MS: f64 = 1_500.0;
/// Oldest steps are forgotten beyond this many.
pub const MAX_STEPS: usize = 200;

/// Earlier and undone states of some value `T` (the value itself lives with the caller).
#[derive(Debug, Clone)]
pub struct History<T> {
    undo: Vec<T>,
    redo: Vec<T>,
    /// The field and time of the last recorded edit, for merging keystrokes.
    last: Option<(String, f64)>,
}

impl<T> Default for History<T> {
    fn default() -> Self {
        History {
            undo: Vec::new(),
            redo: Vec::new(),
            last: None,
        }
    }
}

impl<T> History<T> {
    /// Records `before`, the state an edit of `field` at `now_ms` is about to change. A
    /// further edit of the same field within [`MERGE_MS`] of the previous one joins its step.
    /// Any new edit forgets what was undone.
    pub fn record(&mut self, before: T, field: &str, now_ms: f64) {
        self.redo.clear();
        let merges = matches!(&self.last, Some((f, at)) if f == field && now_ms - at < MERGE_MS);
        self.last = Some((field.to_owned(), now_ms));
        if merges && !self.undo.is_empty() {
            return;
        }
        self.undo.push(before);
        if self.undo.len() > MAX_STEPS {
            self.undo.remove(0);
        }
    }

    /// The state before the last step, given the `current` one (kept for redo).
    pub fn undo(&mut self, current: T) -> Option<T> {
        let previous = self.undo.pop()?;
        self.redo.push(current);
        self.last = None;
        Some(previous)
    }

    /// The state the last undo left, given the `current` one (kept for undo).
    pub fn redo(&mut self, current: T) -> Option<T> {
        let next = self.redo.pop()?;
        self.undo.push(current);
        self.last = None;
        Some(next)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies an edit the way the editor does: record the old value, then change it.
    fn edit(h: &mut History<String>, value: &mut String, field: &str, at: f64, new: &str) {
        h.record(value.clone(), field, at);
        *value = new.to_owned();
    }

    #[test]
    fn keystrokes_in_one_field_are_one_step_other_fields_are_not() {
        let mut h = History::default();
        let mut v = String::new();
        edit(&mut h, &mut v, "text", 0.0, "H");
        edit(&mut h, &mut v, "text", 300.0, "Hi");
        edit(&mut h, &mut v, "text", 600.0, "Hi!");
        edit(&mut h, &mut v, "title", 700.0, "Hi! (title)");
        // A pause longer than MERGE_MS starts a new step in the same field.
        edit(&mut h, &mut v, "title", 700.0 + MERGE_MS + 1.0, "later");
        v = h.undo(v).unwrap();
        assert_eq!(v, "Hi! (title)");
        v = h.undo(v).unwrap();
        assert_eq!(v, "Hi!");
        v = h.undo(v).unwrap();
        assert_eq!(v, "");
        assert!(h.undo(v.clone()).is_none());
        v = h.redo(v).unwrap();
        assert_eq!(v, "Hi!");
        v = h.redo(v).unwrap();
        v = h.redo(v).unwrap();
        assert_eq!(v, "later");
        assert!(!h.can_redo());
    }

    #[test]
    fn a_new_edit_forgets_the_undone_steps_and_undo_breaks_merging() {
        let mut h = History::default();
        let mut v = "a".to_owned();
        edit(&mut h, &mut v, "text", 0.0, "ab");
        v = h.undo(v).unwrap();
        assert!(h.can_redo());
        // Right after an undo, typing in the same field is a step of its own.
        edit(&mut h, &mut v, "text", 100.0, "ax");
        assert!(!h.can_redo());
        v = h.undo(v).unwrap();
        assert_eq!(v, "a");
    }

    #[test]
    fn the_oldest_steps_are_forgotten() {
        let mut h = History::default();
        let mut v = String::new();
        for i in 0..(MAX_STEPS + 10) {
            edit(&mut h, &mut v, &format!("f{i}"), 0.0, &i.to_string());
        }
        let mut undone = 0;
        while let Some(prev) = h.undo(v.clone()) {
            v = prev;
            undone += 1;
        }
        assert_eq!(undone, MAX_STEPS);
        assert_eq!(v, "9");
    }
}
