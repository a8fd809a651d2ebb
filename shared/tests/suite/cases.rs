//! Table-driven tests over the fixture corpus in `tests/corpus/`: every file is inspected and
//! read row by row, whole and in 1-byte and odd-sized chunks (which must agree), and the
//! result is compared with its snapshot `<file>.snap` (the `intake inspect --json` document
//! followed by every row).

#[cfg(not(target_arch = "wasm32"))]
use std::path::PathBuf;

#[cfg(not(target_arch = "wasm32"))]
use expect_test::ExpectFile;
use expect_test::expect;
use shared::api::ErrorCode;
use shared::import::{HeaderChoice, Target, inspect};
use shared::settings::ReadSettings;

#[cfg(not(target_arch = "wasm32"))]
use crate::support::assert_counts_add_up;
use crate::support::{detect_all, read_rows, render_rows};

#[cfg(not(target_arch = "wasm32"))]
fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn settings(encoding: Option<&str>, delimiter: Option<u8>, header: HeaderChoice) -> ReadSettings {
    ReadSettings {
        encoding: encoding.map(str::to_string),
        delimiter,
        has_header: header.has_header(),
        mapping: None,
        mapping_by_name: None,
        line_per_record: false,
    }
}

/// Every fixture with the settings it is read with.
#[cfg(not(target_arch = "wasm32"))]
fn cases() -> Vec<(&'static str, ReadSettings)> {
    let auto = ReadSettings::default;
    vec![
        ("utf8_bom.csv", auto()),
        ("utf8_no_bom_bulgarian.csv", auto()),
        ("utf16le_bom_tab.csv", auto()),
        ("utf16be_bom.csv", auto()),
        ("win1251_semicolon_no_header.csv", auto()),
        ("win1252_western.csv", auto()),
        (
            "utf8_forced_on_win1251.csv",
            settings(Some("utf-8"), None, HeaderChoice::Auto),
        ),
        (
            "utf8_forced_on_win1251_ascii_header.csv",
            settings(Some("utf-8"), None, HeaderChoice::Auto),
        ),
        ("utf8_with_invalid_bytes.csv", auto()),
        ("binary_png.csv", auto()),
        ("binary_xlsx.csv", auto()),
        ("binary_random.csv", auto()),
        ("comma_lf.csv", auto()),
        ("semicolon_crlf.csv", auto()),
        ("tab.csv", auto()),
        ("pipe.csv", auto()),
        ("lone_cr.csv", auto()),
        ("no_trailing_newline.csv", auto()),
        ("semicolon_decimal_commas.csv", auto()),
        ("no_header.csv", auto()),
        ("preamble.csv", auto()),
        ("blank_lines.csv", auto()),
        ("header_only.csv", auto()),
        ("header_only_no_newline.csv", auto()),
        ("empty.csv", auto()),
        ("whitespace_only.csv", auto()),
        ("single_column_emails.csv", auto()),
        ("single_column_with_header.csv", auto()),
        ("quotes_embedded.csv", auto()),
        ("newlines_in_quotes.csv", auto()),
        ("unbalanced_quote.csv", auto()),
        ("unbalanced_quote_closed_later.csv", auto()),
        ("stray_quote.csv", auto()),
        ("ragged_rows.csv", auto()),
        ("nul_control.csv", auto()),
        ("emails.csv", auto()),
        ("consent.csv", auto()),
        ("hostile.csv", auto()),
        ("full_name_only.csv", auto()),
        ("shopify.csv", auto()),
        ("woocommerce.csv", auto()),
        ("mailchimp.csv", auto()),
        ("hubspot.csv", auto()),
        ("outlook.csv", auto()),
        ("cloudcart_bg.csv", auto()),
        ("google_contacts.csv", auto()),
        ("export_reimport.csv", auto()),
        ("duplicates.csv", auto()),
        ("missing_email_column.csv", auto()),
    ]
}

#[cfg(not(target_arch = "wasm32"))] // reads the file system
#[test]
fn every_fixture_is_in_the_table() {
    let listed: Vec<&str> = cases().iter().map(|(f, _)| *f).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".csv") && !listed.contains(&name.as_str()) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "fixtures without a case: {missing:?}");
}

#[cfg(not(target_arch = "wasm32"))] // reads the file system
#[test]
fn corpus_snapshots() {
    let mut failures = Vec::new();
    for (file, settings) in cases() {
        let bytes = std::fs::read(corpus_dir().join(file)).unwrap();
        let report = inspect(&bytes, &settings);
        assert_counts_add_up(&report);
        let det = detect_all(&bytes, &settings);
        let whole = read_rows(&bytes, &det, &[usize::MAX]);
        for chunks in [&[1usize][..], &[7, 3, 64, 1, 2]] {
            let chunked = read_rows(&bytes, &det, chunks);
            assert_eq!(chunked, whole, "{file}: chunks {chunks:?} changed the rows");
        }
        let lines = 1
            + bytes.iter().filter(|&&b| b == b'\n').count() as u64
            + bytes
                .windows(2)
                .filter(|w| w[0] == b'\r' && w[1] != b'\n')
                .count() as u64;
        for o in &whole {
            assert!(
                o.line >= 1 && o.line <= lines.max(1) * 2,
                "{file}: line {} out of range",
                o.line
            );
            assert_eq!(o.line, o.row.line);
        }
        assert_eq!(
            whole.len() as u64,
            report.rows.total,
            "{file}: inspect and RowReader disagree"
        );
        let snap = format!(
            "{}\n--- rows ---\n{}",
            serde_json::to_string_pretty(&report).unwrap(),
            render_rows(&whole)
        );
        let path = corpus_dir().join(format!("{file}.snap"));
        // Collect mismatches so one run shows all of them.
        let res = std::panic::catch_unwind(|| {
            ExpectFile {
                path,
                position: file!(),
            }
            .assert_eq(&snap)
        });
        if res.is_err() {
            failures.push(file);
        }
    }
    assert!(failures.is_empty(), "snapshot mismatches: {failures:?}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn user_mapping_overrides_suggestions() {
    let bytes: &[u8] = include_bytes!("../corpus/no_header.csv");
    let settings = ReadSettings {
        mapping: Some(vec![Some(Target::Email), Some(Target::Note), None]),
        ..ReadSettings::default()
    };
    let det = detect_all(bytes, &settings);
    assert_eq!(det.mapping, [Some(Target::Email), Some(Target::Note), None]);
    let rows = read_rows(bytes, &det, &[usize::MAX]);
    expect![[r#"
        1 ok email="ivan@example.com" note="Ivan Petrov"
        2 ok email="maria@example.com" note="Maria Ivanova"
        3 ok email="petar@example.com" note="Petar Dimitrov"
    "#]]
    .assert_eq(&render_rows(&rows));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn header_and_delimiter_overrides() {
    let bytes =
        b"email;name\nivan@example.com;Ivan\nmaria@example.com;Maria\npetar@example.com;Petar\n";
    let det = detect_all(bytes, &settings(None, Some(b','), HeaderChoice::No));
    assert_eq!(
        (
            det.delimiter,
            det.has_header,
            det.header_line,
            det.columns.len()
        ),
        (b',', false, None, 1)
    );
    let report = inspect(bytes, &settings(None, None, HeaderChoice::Yes));
    assert_eq!(report.header_line, Some(1));
    let report = inspect(bytes, &settings(None, None, HeaderChoice::No));
    assert_eq!((report.rows.total, report.rows.invalid), (4, 1));
    let report = inspect(bytes, &settings(Some("klingon"), None, HeaderChoice::Auto));
    assert_eq!(report.problem.unwrap().code, ErrorCode::UnknownEncoding);
    let report = inspect(bytes, &settings(None, Some(b'"'), HeaderChoice::Auto));
    assert_eq!(report.problem.unwrap().code, ErrorCode::InvalidDelimiter);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn windows_1251_forced_label_and_auto_agree() {
    let bytes: &[u8] = include_bytes!("../corpus/cloudcart_bg.csv");
    let auto = inspect(bytes, &ReadSettings::default());
    let forced = inspect(bytes, &settings(Some("cp1251"), None, HeaderChoice::Auto));
    assert_eq!(auto, forced);
    assert_eq!(auto.encoding, "windows-1251");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn render_table_is_readable() {
    let bytes: &[u8] = include_bytes!("../corpus/cloudcart_bg.csv");
    let report = inspect(bytes, &ReadSettings::default());
    expect![[r#"
        Encoding: windows-1251   Delimiter: ;   Header: line 1

        #   Header            Target              Conf  Samples
        0   Име               first_name          0.97  Иван, Мария
        1   Фамилия           last_name           0.98  Петров, Иванова
        2   Цяло име          full_name           0.98  Иван Петров, Мария Иванова
        3   Имейл адрес       email               0.99  ivan@abv.bg, maria@abv.bg
        4   Забележка         note                0.98  Редовен клиент
        5   Приема маркетинг  accepts_marketing   1.00  да, не
        6   Клиентска група   customer_group      1.00  VIP
        7   Телефон           - (not_importable)        0888123456
        8   Адрес             - (not_importable)        ул. Витоша 1
        9   Град              - (not_importable)        София, Пловдив
        10  Поръчки           - (not_importable)        5, 0

        Rows: 2 total, 2 valid, 0 invalid, 0 duplicates
    "#]]
    .assert_eq(&report.render_table());
}
