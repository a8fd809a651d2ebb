//! Inputs too large to keep as fixtures, generated here: 1,000+ columns, more columns than
//! the limit, a huge single field (quoted and unquoted), many rows with duplicates.

use shared::api::{ErrorCode, Field};
use shared::import::{Limits, RowReader, Target, inspect};
use shared::settings::ReadSettings;

use crate::support::{assert_counts_add_up, detect_all, read_rows};

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn fifteen_hundred_columns() {
    let n = 1500;
    let mut s = String::from("email,first_name,last_name");
    for i in 3..n {
        s.push_str(&format!(",extra {i}"));
    }
    s.push('\n');
    for r in 0..5 {
        s.push_str(&format!("u{r}@example.com,First{r},Last{r}"));
        for i in 3..n {
            s.push_str(&format!(",v{i}"));
        }
        s.push('\n');
    }
    let report = inspect(s.as_bytes(), &ReadSettings::default());
    assert_eq!(report.columns.len(), n);
    assert_eq!(report.columns[0].target, Some(Target::Email));
    assert_eq!(
        (report.rows.total, report.rows.valid),
        (5, 5),
        "{:?}",
        report.errors.first()
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn more_columns_than_the_limit_is_an_error_not_a_crash() {
    let n = 3000;
    let mut s = String::from("email,first_name\n");
    s.push_str("ivan@example.com,Ivan");
    for i in 2..n {
        s.push_str(&format!(",x{i}"));
    }
    s.push_str("\nmaria@example.com,Maria\n");
    let report = inspect(s.as_bytes(), &ReadSettings::default());
    assert_counts_add_up(&report);
    assert_eq!(
        (report.rows.total, report.rows.valid, report.rows.invalid),
        (2, 1, 1)
    );
    assert_eq!(report.errors[0].code, ErrorCode::TooManyColumns);
    assert_eq!(report.errors[0].line, 2);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn huge_fields_are_capped_and_reported() {
    // The quoted note is 50 MB (the size named in the quality guide), the email 8 MB.
    let big = 50 * 1024 * 1024;
    let mut s = Vec::with_capacity(2 * big + 200);
    s.extend_from_slice(b"email,first_name,note\n");
    // A huge quoted note with no line breaks.
    s.extend_from_slice(b"ivan@example.com,Ivan,\"");
    s.resize(s.len() + big, b'n');
    s.extend_from_slice(b"\"\n");
    // A huge unquoted email cell.
    s.resize(s.len() + 8 * 1024 * 1024, b'e');
    s.extend_from_slice(b",Maria,ok\npetar@example.com,Petar,fine\n");
    let det = detect_all(&s, &ReadSettings::default());
    assert_eq!(
        det.mapping,
        [
            Some(Target::Email),
            Some(Target::FirstName),
            Some(Target::Note)
        ]
    );
    let rows = read_rows(&s, &det, &[1 << 16, 12345]);
    let summary: Vec<(u64, Vec<&str>)> = rows
        .iter()
        .map(|o| (o.line, o.errors.iter().map(|e| e.code.as_str()).collect()))
        .collect();
    assert_eq!(
        summary,
        [
            (2, vec!["field_too_long"]),
            (3, vec!["field_too_long", "invalid_email"]),
            (4, vec![])
        ]
    );
    let note = rows[0].row.note.as_deref().unwrap();
    assert_eq!(note.len(), Limits::default().max_field_bytes);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_huge_field_with_line_breaks_is_an_unbalanced_quote() {
    // An opening quote that is never closed, followed by many lines of a big file.
    let mut s = String::from("email,first_name\n\"ivan@example.com,Ivan\n");
    for i in 0..20_000 {
        s.push_str(&format!("user{i}@example.com,Name{i}\n"));
    }
    let report = inspect(s.as_bytes(), &ReadSettings::default());
    assert_counts_add_up(&report);
    assert_eq!(report.rows.total, 20_001);
    assert_eq!(report.rows.valid, 20_000);
    assert_eq!(
        (report.errors[0].line, report.errors[0].code.as_str()),
        (2, "unbalanced_quote")
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn many_rows_with_duplicates() {
    let mut s = String::from("email,first_name\n");
    for i in 0..30_000 {
        s.push_str(&format!("USER{}@example.com,Name{i}\n", i % 10_000));
    }
    let report = inspect(s.as_bytes(), &ReadSettings::default());
    assert_counts_add_up(&report);
    assert_eq!(
        (report.rows.total, report.rows.valid, report.rows.duplicates),
        (30_000, 10_000, 20_000)
    );
    assert_eq!(report.errors.len(), 1000);
    assert_eq!(report.errors_total, 20_000);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn reader_with_small_limits() {
    let s = b"email,note\nivan@example.com,0123456789abcdef\n";
    let det = detect_all(s, &ReadSettings::default());
    let mut reader = RowReader::with_limits(
        &det,
        Limits {
            max_field_bytes: 16,
            max_columns: 4,
        },
    );
    let mut rows = Vec::new();
    reader.push(s, &mut |o| rows.push(o));
    reader.finish(&mut |o| rows.push(o));
    assert!(rows[0].errors.is_empty());
    let s = b"email,note\nivan@example.com,0123456789abcdefg\n";
    let mut reader = RowReader::with_limits(
        &det,
        Limits {
            max_field_bytes: 16,
            max_columns: 4,
        },
    );
    let mut rows = Vec::new();
    reader.push(s, &mut |o| rows.push(o));
    reader.finish(&mut |o| rows.push(o));
    assert_eq!(rows[0].errors[0].code, ErrorCode::FieldTooLong);
    assert_eq!(rows[0].errors[0].field, Field::Note);
}
