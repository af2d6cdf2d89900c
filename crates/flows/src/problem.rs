//! `Problem`: one import or validation finding, with its JSON path (`messages[3].parts[0].text`).

use serde::{Deserialize, Serialize};

/// Path used for problems about the whole document (e.g. "not valid JSON").
pub const ROOT_PATH: &str = "$";

/// How bad a problem is. Errors block import and publish; warnings are advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks import and publish.
    Error,
    /// Shown to the editor, never blocks.
    Warning,
}

/// One problem found in a flow. Displays as `"{path}: {message}"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct Problem {
    /// JSON path: `messages[3].parts[0].buttons[1].title`, or `$` for the whole document.
    pub path: String,
    /// Plain-language description, e.g. `longer than 20 characters (24)`.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl Problem {
    /// An error at `path`. An empty path means the whole document (`$`).
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(path.into(), message.into(), Severity::Error)
    }

    /// A warning at `path`.
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(path.into(), message.into(), Severity::Warning)
    }

    fn new(path: String, message: String, severity: Severity) -> Self {
        let path = if path.is_empty() {
            ROOT_PATH.to_owned()
        } else {
            path
        };
        Problem {
            path,
            message,
            severity,
        }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True if any problem is an error (i.e. the flow must not be imported or published).
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(Problem::is_error)
}

/// `parent.name`, or just `name` at the root.
pub(crate) fn field(parent: &str, name: &str) -> String {
    if parent.is_empty() || parent == ROOT_PATH {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_path_colon_message() {
        let p = Problem::error("messages[3].parts[0].buttons[1].title", "longer than 20");
        assert_eq!(
            p.to_string(),
            "messages[3].parts[0].buttons[1].title: longer than 20"
        );
    }

    #[test]
    fn empty_path_means_root() {
        assert_eq!(Problem::error("", "bad").to_string(), "$: bad");
        assert_eq!(field("$", "version"), "version");
        assert_eq!(field("", "version"), "version");
        assert_eq!(index(&field("a", "b"), 2), "a.b[2]");
    }

    #[test]
    fn has_errors_ignores_warnings() {
        assert!(!has_errors(&[Problem::warning("x", "w")]));
        assert!(has_errors(&[
            Problem::warning("x", "w"),
            Problem::error("y", "e")
        ]));
    }
}
