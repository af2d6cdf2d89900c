//! The example flow file of docs/spec.md §3: import, canonical export, byte-identical round trip.

use flows::{example_flow, parse_flow, to_json, validate};

const FIXTURE: &str = include_str!("../fixtures/handover_kit.json");
const CANONICAL: &str = include_str!("../fixtures/handover_kit.canonical.json");

#[test]
fn fixture_imports_as_the_example_flow() {
    let flow = parse_flow(FIXTURE).expect("fixture is valid");
    assert_eq!(flow, example_flow());
    assert!(validate(&flow).is_empty(), "{:?}", validate(&flow));
}

#[test]
fn export_is_the_documented_canonical_form() {
    let flow = parse_flow(FIXTURE).unwrap();
    assert_eq!(to_json(&flow), CANONICAL);
}

#[test]
fn export_import_export_is_byte_identical() {
    let first = to_json(&parse_flow(FIXTURE).unwrap());
    let second = to_json(&parse_flow(&first).unwrap());
    assert_eq!(first, second);
    assert!(first.ends_with("}\n"));
    assert!(first.contains("\n  \"version\": 1,\n"), "2-space indent");
}

#[test]
fn export_keeps_key_order_and_omits_empty_lists() {
    let json = to_json(&example_flow());
    let pos = |needle: &str| {
        json.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    // top-level keys sit at two spaces of indentation
    let top = [
        "\n  \"version\": ",
        "\n  \"messages\": ",
        "\n  \"triggers\": ",
        "\n  \"handover\": ",
        "\n  \"persistent_menu\": ",
        "\n  \"greeting\": ",
    ];
    assert!(top.windows(2).all(|w| pos(w[0]) < pos(w[1])));
    // back_in_bot has quick replies but no buttons; talk_to_human the reverse
    assert_eq!(json.matches("\"buttons\"").count(), 3);
    assert_eq!(json.matches("\"quick_replies\"").count(), 1);
    assert!(json.find("\"type\": \"handover\"").unwrap() < json.find("\"target\"").unwrap());
}

#[test]
fn serde_derive_agrees_with_parse_flow() {
    // The derives let the app ship a Flow through server functions; they must read the
    // canonical export the same way parse_flow does.
    let via_serde: flows::Flow = serde_json::from_str(CANONICAL).unwrap();
    assert_eq!(via_serde, example_flow());
}
