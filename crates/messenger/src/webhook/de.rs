//! Lenient serde helpers: ids that arrive as JSON strings or numbers, and ms timestamps.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Turns a JSON string or number into a `String`; anything else becomes `None`.
pub(crate) fn id_from_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Deserializes an optional id given as a JSON string or number (null/absent -> `None`).
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(id_from_value))
}

/// Deserializes a list of ids given as strings or numbers (null/absent -> empty).
pub(crate) fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .iter()
        .filter_map(id_from_value)
        .collect())
}

/// Reads an integer given as a number or a numeric string.
pub(crate) fn int_from_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Deserializes an optional integer (number or numeric string); other shapes -> `None`.
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(int_from_value))
}

/// Reads `obj[key].id` as a string id.
pub(crate) fn nested_id(obj: &Value, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(|p| p.get("id"))
        .and_then(id_from_value)
}
