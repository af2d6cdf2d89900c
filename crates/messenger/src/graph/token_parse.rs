//! Reading the token endpoints' JSON (`/me`, `/debug_token`, `messaging_feature_status`)
//! into the types of [`super::token`]; used by the reqwest client only.

use serde_json::Value;

use super::token::{FeatureStatus, TokenDebug, TokenDebugError, TokenKind, TokenOwner};
use crate::error::GraphError;

impl TokenKind {
    /// Case-insensitive: `"page"` / `"user"`; anything else is kept as given.
    pub(crate) fn from_type(t: &str) -> Self {
        if t.eq_ignore_ascii_case("page") {
            TokenKind::Page
        } else if t.eq_ignore_ascii_case("user") {
            TokenKind::User
        } else {
            TokenKind::Other(t.to_owned())
        }
    }
}

/// An id given as a JSON string or number.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

pub(crate) fn parse_token_owner(v: &Value) -> Result<TokenOwner, GraphError> {
    let id =
        id_text(v.get("id")).ok_or_else(|| GraphError::Decode("token_owner: missing id".into()))?;
    let kind = v
        .get("metadata")
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str)
        .map_or_else(|| TokenKind::Other("unknown".into()), TokenKind::from_type);
    Ok(TokenOwner {
        id,
        name: text(v.get("name")).unwrap_or_default(),
        kind,
    })
}

pub(crate) fn parse_token_debug(v: &Value) -> Result<TokenDebug, GraphError> {
    let data = v
        .get("data")
        .filter(|d| d.is_object())
        .ok_or_else(|| GraphError::Decode("debug_token: missing data object".into()))?;
    let error = data
        .get("error")
        .filter(|e| e.is_object())
        .map(|e| TokenDebugError {
            code: e.get("code").and_then(Value::as_i64).unwrap_or_default(),
            subcode: e.get("subcode").and_then(Value::as_i64),
            message: text(e.get("message")).unwrap_or_default(),
        });
    Ok(TokenDebug {
        app_id: id_text(data.get("app_id")),
        kind: text(data.get("type")),
        is_valid: data.get("is_valid").and_then(Value::as_bool) == Some(true),
        expires_at: data.get("expires_at").and_then(Value::as_i64),
        scopes: data
            .get("scopes")
            .and_then(Value::as_array)
            .map(|s| s.iter().filter_map(|x| text(Some(x))).collect())
            .unwrap_or_default(),
        profile_id: id_text(data.get("profile_id")),
        error,
    })
}

pub(crate) fn parse_feature_status(v: &Value) -> FeatureStatus {
    let status = v.get("messaging_feature_status");
    let flag = |name: &str| status.and_then(|s| s.get(name)).and_then(Value::as_bool);
    FeatureStatus {
        hop_v2: flag("hop_v2"),
        msgr_multi_app: flag("msgr_multi_app"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn owner_kind_is_case_insensitive_and_defaults_to_unknown() {
        let page = json!({"id": "1", "name": "P", "metadata": {"type": "PAGE"}});
        assert_eq!(parse_token_owner(&page).unwrap().kind, TokenKind::Page);
        let user = json!({"id": 5, "metadata": {"type": "user", "fields": []}});
        let user = parse_token_owner(&user).unwrap();
        assert_eq!((user.id.as_str(), user.name.as_str()), ("5", ""));
        assert_eq!(user.kind, TokenKind::User);
        let group = json!({"id": "2", "metadata": {"type": "group"}});
        assert_eq!(
            parse_token_owner(&group).unwrap().kind,
            TokenKind::Other("group".into())
        );
        let bare = json!({"id": "3", "name": "N"});
        assert_eq!(
            parse_token_owner(&bare).unwrap().kind,
            TokenKind::Other("unknown".into())
        );
        assert!(matches!(
            parse_token_owner(&json!({"name": "no id"})),
            Err(GraphError::Decode(_))
        ));
    }

    #[test]
    fn debug_token_reads_data_and_error() {
        let ok = json!({"data": {"app_id": 111, "type": "PAGE", "application": "Baton",
            "is_valid": true, "expires_at": 0, "scopes": ["pages_messaging"],
            "profile_id": "1234567890"}});
        assert_eq!(
            parse_token_debug(&ok).unwrap(),
            TokenDebug {
                app_id: Some("111".into()),
                kind: Some("PAGE".into()),
                is_valid: true,
                expires_at: Some(0),
                scopes: vec!["pages_messaging".into()],
                profile_id: Some("1234567890".into()),
                error: None,
            }
        );
        let bad = json!({"data": {"is_valid": false, "scopes": [],
            "error": {"code": 190, "message": "Invalid OAuth access token."}}});
        let bad = parse_token_debug(&bad).unwrap();
        assert!(!bad.is_valid);
        assert_eq!(
            bad.error,
            Some(TokenDebugError {
                code: 190,
                subcode: None,
                message: "Invalid OAuth access token.".into()
            })
        );
        assert!(parse_token_debug(&json!({"is_valid": true})).is_err());
    }

    #[test]
    fn feature_status_fields_are_optional() {
        let v = json!({"messaging_feature_status": {"hop_v2": true, "ig_multi_app": false,
            "msgr_multi_app": false}, "id": "1"});
        assert_eq!(
            parse_feature_status(&v),
            FeatureStatus {
                hop_v2: Some(true),
                msgr_multi_app: Some(false)
            }
        );
        let partial = json!({"messaging_feature_status": {"msgr_multi_app": true}});
        assert_eq!(
            parse_feature_status(&partial),
            FeatureStatus {
                hop_v2: None,
                msgr_multi_app: Some(true)
            }
        );
        assert_eq!(
            parse_feature_status(&json!({"id": "1"})),
            FeatureStatus::default()
        );
    }
}
