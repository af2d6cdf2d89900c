//! Property tests: import and validation never panic, whatever the input.

use flows::{parse_flow, to_json, validate};
use proptest::prelude::*;
use serde_json::{Map, Value};

const FIXTURE: &str = include_str!("../fixtures/handover_kit.json");

/// Arbitrary JSON trees, biased towards the words a flow file uses.
fn any_json() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        Just("type".to_string()),
        Just("text".to_string()),
        Just("go_to".to_string()),
        Just("handover".to_string()),
        Just("page_inbox".to_string()),
        Just("main_menu".to_string()),
        Just("https://example.com".to_string()),
        "\\PC{0,30}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (0u64..30).prop_map(Value::from),
        word.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        let key = prop_oneof![
            Just("version".to_string()),
            Just("messages".to_string()),
            Just("key".to_string()),
            Just("parts".to_string()),
            Just("buttons".to_string()),
            Just("quick_replies".to_string()),
            Just("action".to_string()),
            Just("triggers".to_string()),
            word.clone(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every node path of a JSON tree, as pointer segments.
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| pointers(x, format!("{here}/{i}"), out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            pointers(
                x,
                format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        _ => {}
    }
}

fn check(json: &str) -> Result<(), TestCaseError> {
    match parse_flow(json) {
        Ok(flow) => {
            // whatever imports exports canonically and re-imports to the same flow
            let out = to_json(&flow);
            let again = parse_flow(&out);
            prop_assert_eq!(again.as_ref(), Ok(&flow));
            prop_assert!(validate(&flow).iter().all(|p| !p.is_error()));
        }
        Err(problems) => {
            prop_assert!(!problems.is_empty());
            prop_assert!(problems.iter().all(|p| !p.path.is_empty() && p.is_error()));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings(s in "\\PC{0,200}") {
        check(&s)?;
    }

    #[test]
    fn arbitrary_json_values(v in any_json()) {
        check(&v.to_string())?;
        let mut flow_shaped: Value = serde_json::from_str(FIXTURE).unwrap();
        flow_shaped["messages"] = v;
        check(&flow_shaped.to_string())?;
    }

    /// The fixture with one node replaced by a random value.
    #[test]
    fn mutated_fixture(pick in any::<prop::sample::Index>(), replacement in any_json()) {
        let mut doc: Value = serde_json::from_str(FIXTURE).unwrap();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let target = pick.get(&all).clone();
        if let Some(node) = doc.pointer_mut(&target) {
            *node = replacement;
        }
        check(&doc.to_string())?;
    }

    /// The fixture with one object key removed or one bogus key added.
    #[test]
    fn fixture_with_key_changes(pick in any::<prop::sample::Index>(), add in any::<bool>(), key in "[a-z_]{1,12}") {
        let mut doc: Value = serde_json::from_str(FIXTURE).unwrap();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let target = pick.get(&all).clone();
        if let Some(Value::Object(o)) = doc.pointer_mut(&target) {
            if add {
                o.insert(key, Value::Bool(true));
            } else if let Some(k) = o.keys().nth(key.len() % o.len().max(1)).cloned() {
                o.remove(&k);
            }
        }
        check(&doc.to_string())?;
    }

    #[test]
    fn validate_never_panics_on_serde_built_flows(v in any_json()) {
        if let Ok(flow) = serde_json::from_value::<flows::Flow>(v) {
            let _ = validate(&flow);
            let _ = to_json(&flow);
        }
    }
}
