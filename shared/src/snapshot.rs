//! Rows as the corpus snapshots show them (`tests/corpus/*.snap`): one line per row, its
//! line number, `ok` or its `field:code` problems, then the non-empty cells.
//!
//! One rendering for the two suites that compare against those snapshots: shared's corpus
//! tests (rows of a native `RowReader`) and the frontend's worker tests (rows the browser's
//! decode path produced). Feature `snapshots`; never needed by the application.

use crate::api::{BatchRow, Consent, FieldError};
use crate::import::RowOutcome;

/// Appends one row (its line, then `ok` or its problems, then the non-empty cells) to `out`.
pub fn render_row(out: &mut String, line: u64, row: &BatchRow, errors: &[FieldError]) {
    let status = if errors.is_empty() {
        "ok".to_string()
    } else {
        errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&format!("{line} {status}"));
    let mut cell = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            out.push_str(&format!(" {name}={v:?}"));
        }
    };
    cell("first", &row.first_name);
    cell("last", &row.last_name);
    cell("email", &row.email);
    cell("note", &row.note);
    cell("group", &row.group);
    match &row.accepts_marketing {
        Some(Consent::Bool(b)) => out.push_str(&format!(" marketing={b}")),
        Some(Consent::Text(t)) => out.push_str(&format!(" marketing={t:?}")),
        None => {}
    }
    out.push('\n');
}

/// [`render_row`] of every row a reader emitted.
pub fn render_rows(rows: &[RowOutcome]) -> String {
    let mut out = String::new();
    for o in rows {
        render_row(&mut out, o.line, &o.row, &o.errors);
    }
    out
}
