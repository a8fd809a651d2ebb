//! Property tests: chunking never changes the result; counts always add up; an export read
//! back gives the same customers.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use shared::api::{BatchRow, Consent, Customer};
use shared::export::{ExportOptions, write_export_header, write_export_row};
use shared::import::inspect;
use shared::rules::validate_row;
use shared::settings::ReadSettings;

use crate::support::{assert_counts_add_up, detect_all, read_rows};

/// Bytes that look a bit like CSV (delimiters, quotes, line ends, emails) mixed with anything.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"abcxyz".to_vec()),
        2 => prop::sample::select(b",;\t|".to_vec()),
        2 => prop::sample::select(b"\"\r\n".to_vec()),
        1 => prop::sample::select(b"@.".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..600)
}

fn csv_lines() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        Just("ivan@example.com".to_string()),
        Just("IVAN@example.com".to_string()),
        Just("yes".to_string()),
        Just("\"quoted, cell\"".to_string()),
        Just("\"open".to_string()),
        Just("Иван".to_string()),
        "[a-z ]{0,8}",
    ];
    let line = prop::collection::vec(cell, 1..5).prop_map(|c| c.join(","));
    prop::collection::vec(line, 0..30).prop_map(|l| {
        let mut s = String::from("email,first_name,accepts_marketing\n");
        s.push_str(&l.join("\n"));
        s.into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn chunking_never_changes_rows(bytes in prop_oneof![csvish(), csv_lines()], chunks in prop::collection::vec(1usize..40, 1..8)) {
        let det = detect_all(&bytes, &ReadSettings::default());
        let whole = read_rows(&bytes, &det, &[usize::MAX]);
        prop_assert_eq!(&read_rows(&bytes, &det, &chunks), &whole);
        prop_assert_eq!(&read_rows(&bytes, &det, &[1]), &whole);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn counts_add_up_on_any_bytes(bytes in prop_oneof![csvish(), csv_lines(), prop::collection::vec(any::<u8>(), 0..400)]) {
        let report = inspect(&bytes, &ReadSettings::default());
        assert_counts_add_up(&report);
        prop_assert!(report.errors.len() as u64 <= report.errors_total);
        if report.problem.is_none() {
            let det = detect_all(&bytes, &ReadSettings::default());
            prop_assert_eq!(read_rows(&bytes, &det, &[usize::MAX]).len() as u64, report.rows.total);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn export_then_import_gives_the_same_customers(
        people in prop::collection::vec(customer(), 1..12),
        delimiter in prop::sample::select(vec![b',', b';', b'\t']),
        bom in any::<bool>(),
    ) {
        let opts = ExportOptions { delimiter, bom };
        let mut file = Vec::new();
        write_export_header(&opts, &mut file);
        for c in &people {
            write_export_row(c, &opts, &mut file);
        }
        let det = detect_all(&file, &ReadSettings::default());
        prop_assert_eq!(det.delimiter, delimiter);
        prop_assert_eq!(det.header_line, Some(1));
        let rows = read_rows(&file, &det, &[usize::MAX]);
        prop_assert_eq!(rows.len(), people.len());
        for (o, c) in rows.iter().zip(&people) {
            prop_assert!(o.errors.is_empty(), "{:?}", o.errors);
            let d = validate_row(&o.row).unwrap();
            prop_assert_eq!(&d.fields.first_name, &c.fields.first_name);
            prop_assert_eq!(&d.fields.last_name, &c.fields.last_name);
            prop_assert_eq!(d.fields.email.as_str(), c.fields.email.as_str());
            prop_assert_eq!(&d.fields.note, &c.fields.note);
            prop_assert_eq!(d.fields.accepts_marketing, Some(c.fields.accepts_marketing));
            prop_assert_eq!(d.group.as_deref(), Some(c.group_name.as_str()));
        }
    }
}

/// A customer as the database would hold it: fields already normalised by `validate_row`.
fn customer() -> impl Strategy<Value = Customer> {
    let text = prop_oneof![
        "[A-Za-zА-Яа-я' -]{0,12}",
        Just("=HYPERLINK(\"http://x\")".to_string()),
        Just("+cmd|' /C calc'!A0".to_string()),
        Just("@SUM(1)".to_string()),
        Just("-5".to_string()),
        Just("'=already".to_string()),
        Just("Smith, \"Jr\"".to_string()),
        Just("a;b\tc|d".to_string()),
        any::<String>(),
    ];
    let note = prop_oneof![text.clone(), Just("line 1\nline, 2\n\"3\"".to_string())];
    let group = prop_oneof![
        Just("Default".to_string()),
        Just("VIP; gold".to_string()),
        "[a-zA-Z]{1,8}"
    ];
    (
        text.clone(),
        text,
        "[a-z]{1,8}",
        note,
        any::<bool>(),
        group,
        0i64..2_000_000_000,
    )
        .prop_filter_map(
            "must be a valid customer",
            |(first, last, local, note, marketing, group, secs)| {
                let row = BatchRow {
                    line: 1,
                    first_name: Some(first),
                    last_name: Some(last),
                    email: Some(format!("{local}@example.com")),
                    note: Some(note),
                    accepts_marketing: Some(Consent::Bool(marketing)),
                    group: Some(group),
                };
                let d = validate_row(&row).ok()?;
                let t = Utc.timestamp_opt(secs, 0).single()?;
                Some(Customer {
                    id: 1,
                    fields: d.fields.map_consent(|_| marketing),
                    group_id: 1,
                    group_name: d.group?,
                    import_id: None,
                    created_at: t,
                    updated_at: t,
                })
            },
        )
}
