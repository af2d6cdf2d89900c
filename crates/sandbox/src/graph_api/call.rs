//! One parsed Graph call ([`Call`]), what a route answers ([`GraphResult`]), and how a node
//! read's query is read (`fields=`, `metadata=1`): shared by every route of `graph_api`.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::Value;

use crate::fail::GraphFail;

/// One parsed Graph call.
pub(crate) struct Call {
    pub method: Method,
    pub page_id: String,
    pub query: HashMap<String, String>,
    pub body: Value,
}

/// What a Graph route answers: the JSON body, or Meta's error.
pub(crate) type GraphResult = Result<Value, GraphFail>;

/// The `fields=` list of a node read (default `id,name`); `id` is always answered anyway.
pub(crate) fn fields(query: &HashMap<String, String>) -> impl Iterator<Item = &str> {
    query
        .get("fields")
        .map_or("id,name", String::as_str)
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
}

/// `metadata=1` asks a node read to add `"metadata": {"type": ...}`.
pub(crate) fn wants_metadata(query: &HashMap<String, String>) -> bool {
    query
        .get("metadata")
        .is_some_and(|m| m == "1" || m.eq_ignore_ascii_case("true"))
}
