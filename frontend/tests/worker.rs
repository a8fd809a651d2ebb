//! The parse worker's reading and preview, run inside a real dedicated worker in headless
//! Chromium (`FileReaderSync` exists only there).

use frontend::protocol::{FromWorker, ReadSettings, ToWorker};
use frontend::worker::preview;
use shared::import::Target;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn file(bytes: &[u8], name: &str) -> web_sys::File {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
}

#[wasm_bindgen_test]
fn a_utf8_file_with_a_header_previews_mapped_normalised_rows() {
    let f = file(b"first_name,last_name,email\nAda,Lovelace,ada@example.com\nGrace,Hopper,GRACE@Example.com\n", "a.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert_eq!(p.encoding, "utf-8");
    assert_eq!(p.delimiter, b',');
    assert!(p.has_header);
    let targets: Vec<_> = p.columns.iter().map(|c| c.target).collect();
    assert_eq!(
        targets,
        vec![
            Some(Target::FirstName),
            Some(Target::LastName),
            Some(Target::Email)
        ]
    );
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].line, 2);
    assert_eq!(p.rows[1].row.email.as_deref(), Some("grace@example.com"));
    assert!(p.rows.iter().all(|r| r.errors.is_empty()));
}

#[wasm_bindgen_test]
fn a_windows_1251_semicolon_file_without_header_is_detected() {
    let text = "Иван;Петров;ivan@example.com;да\r\nМария;Иванова;maria@example.com;не\r\nПетър;Георгиев;petar@example.com;да\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let f = file(&bytes, "bg.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert_eq!(p.encoding, "windows-1251");
    assert_eq!(p.delimiter, b';');
    assert!(!p.has_header);
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.rows[0].line, 1);
    assert_eq!(p.rows[1].row.first_name.as_deref(), Some("Мария"));
}

#[wasm_bindgen_test]
fn overriding_the_header_choice_re_reads_the_first_line_as_data() {
    let f = file(
        b"first_name,last_name,email\nAda,Lovelace,ada@example.com\n",
        "a.csv",
    );
    let settings = ReadSettings {
        has_header: Some(false),
        ..ReadSettings::default()
    };
    let p = preview(&f, &settings, 10).unwrap();
    assert!(!p.has_header);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].line, 1);
    assert!(
        !p.rows[0].errors.is_empty(),
        "the header line as data has no valid email"
    );
}

#[wasm_bindgen_test]
fn an_empty_file_is_reported_not_previewed() {
    let f = file(b"", "empty.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert!(p.problem.is_some());
    assert!(p.rows.is_empty());
}

#[wasm_bindgen_test]
fn protocol_messages_survive_the_json_round_trip() {
    let request = ToWorker::Upload {
        settings: ReadSettings {
            delimiter: Some(b';'),
            has_header: Some(true),
            ..ReadSettings::default()
        },
        import_id: 7,
        csrf: "t".into(),
        batch_rows: 1000,
        corrections: vec![shared::api::BatchRow {
            line: 3,
            email: Some("fixed@example.com".into()),
            ..Default::default()
        }],
        skip_batches: 2,
    };
    let back: ToWorker = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
    assert_eq!(back, request);
    let answer = FromWorker::Failed {
        message: "x".into(),
    };
    let back: FromWorker = serde_json::from_str(&serde_json::to_string(&answer).unwrap()).unwrap();
    assert_eq!(back, answer);
}
