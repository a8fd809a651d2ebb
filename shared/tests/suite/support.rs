//! Helpers shared by the test modules.

use shared::api::Consent;
use shared::import::{Detection, ImportSettings, InspectReport, RowOutcome, RowReader, detect};

/// Reads `bytes` with a `RowReader` fed in the given chunk sizes (cycled).
pub fn read_rows(bytes: &[u8], det: &Detection, chunks: &[usize]) -> Vec<RowOutcome> {
    let mut reader = RowReader::new(det);
    let mut out = Vec::new();
    let mut push = |o: RowOutcome| out.push(o);
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = chunks[i % chunks.len()].max(1).min(bytes.len() - pos);
        reader.push(&bytes[pos..pos + n], &mut push);
        pos += n;
        i += 1;
    }
    reader.finish(&mut push);
    out
}

pub fn detect_all(bytes: &[u8], settings: &ImportSettings) -> Detection {
    detect(
        &bytes[..bytes.len().min(shared::import::SAMPLE_BYTES)],
        settings,
    )
}

/// One line per row: line, ok/codes, then the non-empty fields.
pub fn render_rows(rows: &[RowOutcome]) -> String {
    let mut s = String::new();
    for o in rows {
        let r = &o.row;
        let status = if o.errors.is_empty() {
            "ok".to_string()
        } else {
            o.errors
                .iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect::<Vec<_>>()
                .join(",")
        };
        s.push_str(&format!("{} {}", o.line, status));
        let mut field = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                s.push_str(&format!(" {name}={v:?}"));
            }
        };
        field("first", &r.first_name);
        field("last", &r.last_name);
        field("email", &r.email);
        field("note", &r.note);
        field("group", &r.group);
        match &r.accepts_marketing {
            Some(Consent::Bool(b)) => s.push_str(&format!(" marketing={b}")),
            Some(Consent::Text(t)) => s.push_str(&format!(" marketing={t:?}")),
            None => {}
        }
        s.push('\n');
    }
    s
}

/// The accounting invariant of a report.
pub fn assert_counts_add_up(r: &InspectReport) {
    assert_eq!(
        r.rows.total,
        r.rows.valid + r.rows.invalid + r.rows.duplicates,
        "{:?}",
        r.rows
    );
}
