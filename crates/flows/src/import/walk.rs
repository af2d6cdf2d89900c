//! The JSON walker's plumbing: typed field access on `serde_json::Value` that records a
//! [`Problem`] (with its path) instead of failing, and remembers which paths are broken.

use serde_json::{Map, Value};

use crate::problem::{field, Problem};

/// Collects structural problems and the paths they make unreliable.
#[derive(Default)]
pub(crate) struct Walker {
    pub(crate) problems: Vec<Problem>,
    /// Paths whose value was replaced by a placeholder; validation problems at or under
    /// them are dropped (they would only repeat the structural problem).
    pub(crate) broken: Vec<String>,
}

pub(crate) type Obj = Map<String, Value>;

impl Walker {
    /// Records an error at `path` and marks `broken` as unreliable.
    pub(crate) fn fail(&mut self, path: &str, broken: &str, message: impl Into<String>) {
        self.problems.push(Problem::error(path, message));
        self.broken.push(broken.to_owned());
    }

    /// `v` as an object whose keys are all in `allowed`; unknown keys are reported.
    pub(crate) fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'v Obj> {
        let Value::Object(map) = v else {
            self.fail(path, path, "expected an object");
            return None;
        };
        for k in map.keys() {
            if !allowed.contains(&k.as_str()) {
                let p = field(path, k);
                self.fail(&p, &p, "unknown field");
            }
        }
        Some(map)
    }

    /// `v` as an object whose `"type"` tag decides the allowed keys: call [`Self::tag`]
    /// then [`Self::unknown_fields`].
    pub(crate) fn tagged_object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Obj> {
        if let Value::Object(map) = v {
            Some(map)
        } else {
            self.fail(path, path, "expected an object");
            None
        }
    }

    /// Required string field; `""` placeholder when missing or mistyped.
    pub(crate) fn req_str(&mut self, map: &Obj, path: &str, name: &str) -> String {
        let p = field(path, name);
        match map.get(name) {
            Some(Value::String(s)) => s.clone(),
            None => {
                self.fail(&p, &p, "missing");
                String::new()
            }
            Some(_) => {
                self.fail(&p, &p, "expected a string");
                String::new()
            }
        }
    }

    /// Optional string field (`null` counts as absent). A mistyped value becomes the
    /// placeholder `Some("")`: present, so rules that depend on presence stay quiet.
    pub(crate) fn opt_str(&mut self, map: &Obj, path: &str, name: &str) -> Option<String> {
        match map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                let p = field(path, name);
                self.fail(&p, &p, "expected a string");
                Some(String::new())
            }
        }
    }

    /// Required whole-number field (fits `u32`); `placeholder` when missing or mistyped.
    pub(crate) fn req_u32(&mut self, map: &Obj, path: &str, name: &str, placeholder: u32) -> u32 {
        let p = field(path, name);
        match map.get(name) {
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => n,
                None => {
                    self.fail(&p, &p, "expected a whole number");
                    placeholder
                }
            },
            None => {
                self.fail(&p, &p, "missing");
                placeholder
            }
        }
    }

    /// Array field: the elements, or an empty slice when absent (reported if `required`)
    /// or mistyped. `null` counts as absent.
    pub(crate) fn array<'v>(
        &mut self,
        map: &'v Obj,
        path: &str,
        name: &str,
        required: bool,
    ) -> &'v [Value] {
        let p = field(path, name);
        match map.get(name) {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => {
                if required {
                    self.fail(&p, &p, "missing");
                }
                &[]
            }
            Some(_) => {
                self.fail(&p, &p, "expected an array");
                &[]
            }
        }
    }

    /// The `"type"` tag of a tagged object, if it is a string; reports missing / mistyped.
    /// The whole object (`path`) is marked broken when the tag is unusable.
    pub(crate) fn tag<'v>(&mut self, map: &'v Obj, path: &str) -> Option<&'v str> {
        let p = field(path, "type");
        match map.get("type") {
            Some(Value::String(s)) => Some(s),
            None => {
                self.fail(&p, path, "missing");
                None
            }
            Some(_) => {
                self.fail(&p, path, "expected a string");
                None
            }
        }
    }

    /// Reports keys of `map` outside `allowed` (for tagged objects, once the tag is known).
    pub(crate) fn unknown_fields(&mut self, map: &Obj, path: &str, allowed: &[&str]) {
        for k in map.keys() {
            if k != "type" && !allowed.contains(&k.as_str()) {
                let p = field(path, k);
                self.fail(&p, &p, "unknown field");
            }
        }
    }

    /// True if `path` is a broken path or lies under one.
    pub(crate) fn is_broken(&self, path: &str) -> bool {
        self.broken.iter().any(|b| {
            b == path
                || b == crate::problem::ROOT_PATH
                || (path.starts_with(b.as_str())
                    && matches!(path.as_bytes().get(b.len()), Some(b'.' | b'[')))
        })
    }
}
