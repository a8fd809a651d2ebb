//! The check step's value mapping as data: what the user's choices make of the import's
//! settings, and how many unknown consent values are left.

use frontend::pages::import::values::{group_of, set_consent, set_group, unknown_left};
use shared::import::{
    ConsentChoice, DistinctValue, DistinctValues, Meaning, ValueCounts, ValueMap,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn checked() -> DistinctValues {
    let v = |value: &str, count, meaning| DistinctValue {
        value: value.into(),
        count,
        meaning,
    };
    DistinctValues {
        accepts_marketing: Some(ValueCounts {
            values: vec![
                v("SUBSCRIBED", 10, Some(Meaning::Yes)),
                v("maybe", 3, Some(Meaning::Unknown)),
                v("later", 2, Some(Meaning::Unknown)),
            ],
            more_distinct: 0,
            more_rows: 0,
        }),
        customer_group: Some(ValueCounts {
            values: vec![v("Gold", 4, None)],
            more_distinct: 0,
            more_rows: 0,
        }),
    }
}

#[wasm_bindgen_test]
fn choices_change_the_mapping_and_the_unknown_count() {
    let values = checked();
    let mut map = ValueMap::default();
    assert_eq!(unknown_left(&values, &map), 2);
    set_consent(&mut map, "maybe", Some(ConsentChoice::Yes));
    assert_eq!(unknown_left(&values, &map), 1);
    // A choice replaces the one before; an error is a choice too.
    set_consent(&mut map, "maybe", Some(ConsentChoice::No));
    set_consent(&mut map, "later", Some(ConsentChoice::Error));
    assert_eq!(unknown_left(&values, &map), 0);
    assert_eq!(map.consent_choice("MAYBE"), Some(ConsentChoice::No));
    // Back to the built-in meaning: unknown again.
    set_consent(&mut map, "later", None);
    assert_eq!(unknown_left(&values, &map), 1);
    // A known value may be read otherwise, and that does not count as unknown.
    set_consent(&mut map, "SUBSCRIBED", Some(ConsentChoice::No));
    assert_eq!(unknown_left(&values, &map), 1);

    set_group(&mut map, "Gold", "  VIP ");
    assert_eq!(group_of(&map, "Gold"), "VIP");
    set_group(&mut map, "Gold", " ");
    assert_eq!(group_of(&map, "Gold"), "");
    set_group(&mut map, "Gold", "Wholesale");
    assert_eq!(
        serde_json::to_string(&map).unwrap(),
        r#"{"accepts_marketing":{"maybe":"no","SUBSCRIBED":"no"},"customer_group":{"Gold":"Wholesale"}}"#
    );
    assert_eq!(unknown_left(&DistinctValues::default(), &map), 0);
}
