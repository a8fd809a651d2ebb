//! The whole-file report behind `intake inspect`: detection, then the whole-file check
//! ([`FileCheck`], the browser's) in one pass, counted so that `total = valid + invalid +
//! duplicates` always holds.
//!
//! Exists as the one place that turns the streaming pieces into the `intake inspect --json`
//! contract (see the guide's api.md) and a readable table; the tests snapshot it.

use serde::Serialize;

use super::choices::ReadSettings;
use super::{
    ColumnInfo, Detection, DistinctValues, FileCheck, ValueCounts, default_decoders, detect,
    estimate_rows,
};
use crate::api::{ErrorCode, Field, FieldError};

/// Most errors listed in a report (`rows` still counts everything).
pub const MAX_ERRORS: usize = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub total: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorLine {
    pub line: u64,
    pub field: Field,
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<crate::codes::ErrorParams>,
}

/// The `intake inspect --json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectReport {
    pub encoding: String,
    /// The character itself: `,` `;` a tab (JSON `"\t"`) or `|`.
    pub delimiter: String,
    pub has_header: bool,
    pub header_line: Option<u64>,
    pub columns: Vec<ColumnInfo>,
    pub rows: RowCounts,
    /// At most [`MAX_ERRORS`], ordered by line.
    pub errors: Vec<ErrorLine>,
    /// How many errors there were in all (more than `errors.len()` when cut).
    pub errors_total: u64,
    /// A file-level problem: nothing can be imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<FieldError>,
    /// The distinct values of the columns mapped to accepts_marketing and customer_group,
    /// with their counts (left out when neither is mapped).
    #[serde(skip_serializing_if = "DistinctValues::is_empty")]
    pub values: DistinctValues,
}

impl InspectReport {
    fn new(det: &Detection) -> Self {
        InspectReport {
            encoding: det.encoding.clone(),
            delimiter: char::from(det.delimiter).to_string(),
            has_header: det.has_header,
            header_line: det.header_line,
            columns: det.columns.clone(),
            rows: RowCounts::default(),
            errors: Vec::new(),
            errors_total: 0,
            problem: det.problem.clone(),
            values: DistinctValues::default(),
        }
    }

    fn add_error(&mut self, line: u64, e: FieldError) {
        self.errors_total += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ErrorLine {
                line,
                field: e.field,
                code: e.code,
                message: e.message,
                params: e.params,
            });
        }
    }

    /// Every message of the report (the file's problem, the rows' errors) written in `lang`.
    pub fn translate(&mut self, lang: crate::messages::Lang) {
        if let Some(p) = &mut self.problem {
            p.message = crate::messages::render(p, lang);
        }
        for e in &mut self.errors {
            let fe = FieldError {
                field: e.field,
                code: e.code,
                message: std::mem::take(&mut e.message),
                params: e.params.take(),
            };
            e.message = crate::messages::render(&fe, lang);
            e.params = fe.params;
        }
    }

    /// A readable table for the terminal.
    pub fn render_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let header = match self.header_line {
            Some(l) => format!("line {l}"),
            None => "none".to_string(),
        };
        let _ = writeln!(
            s,
            "Encoding: {}   Delimiter: {}   Header: {}",
            self.encoding,
            // A tab shows as `\t` in the terminal.
            self.delimiter.escape_debug(),
            header
        );
        if let Some(p) = &self.problem {
            let _ = writeln!(s, "Problem: {} ({})", p.message, p.code);
        }
        if !self.columns.is_empty() {
            let header_of = |i: usize| match self.columns.get(i).and_then(|c| c.header.clone()) {
                Some(h) => format!("\"{h}\""),
                None => format!("#{i}"),
            };
            let rows: Vec<[String; 6]> = self
                .columns
                .iter()
                .map(|c| {
                    let mut why = c
                        .reason
                        .as_ref()
                        .map(|r| r.describe(&header_of))
                        .unwrap_or_default();
                    if let Some(d) = &c.demoted {
                        why.push_str(&format!("; less sure: {}", d.describe()));
                    }
                    [
                        c.index.to_string(),
                        c.header.clone().unwrap_or_default(),
                        match (c.target, c.ignored_reason) {
                            (Some(t), _) => t.as_str().to_string(),
                            (None, Some(r)) => format!("- ({r})"),
                            (None, None) => "-".to_string(),
                        },
                        if c.target.is_some() {
                            format!("{:.2}", c.confidence)
                        } else {
                            String::new()
                        },
                        c.samples.join(", "),
                        why,
                    ]
                })
                .collect();
            let titles = ["#", "Header", "Target", "Conf", "Samples", "Why"];
            let mut widths = titles.map(|t| t.chars().count());
            for r in &rows {
                for (w, cell) in widths.iter_mut().zip(r) {
                    *w = (*w).max(cell.chars().count().min(40));
                }
            }
            let line = |cells: &[String]| {
                let mut l = String::new();
                for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                    let cut: String = if cell.chars().count() > 40 && i < 4 {
                        cell.chars().take(39).chain(['…']).collect()
                    } else {
                        cell.clone()
                    };
                    let pad = w.saturating_sub(cut.chars().count());
                    l.push_str(&cut);
                    if i + 1 < cells.len() {
                        l.extend(std::iter::repeat_n(' ', pad + 2));
                    }
                }
                l.trim_end().to_string()
            };
            let _ = writeln!(s);
            let _ = writeln!(s, "{}", line(&titles.map(String::from)));
            for r in &rows {
                let _ = writeln!(s, "{}", line(r));
            }
        }
        let r = self.rows;
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Rows: {} total, {} valid, {} invalid, {} duplicates",
            r.total, r.valid, r.invalid, r.duplicates
        );
        for (field, counts) in [
            ("accepts_marketing", &self.values.accepts_marketing),
            ("customer_group", &self.values.customer_group),
        ] {
            if let Some(counts) = counts {
                render_values(&mut s, field, counts);
            }
        }
        if !self.errors.is_empty() {
            let shown = self.errors.len().min(50);
            let _ = writeln!(s);
            let _ = writeln!(s, "Errors (showing {shown} of {}):", self.errors_total);
            for e in &self.errors[..shown] {
                let _ = writeln!(
                    s,
                    "  line {:<6} {:<18} {:<26} {}",
                    e.line, e.field, e.code, e.message
                );
            }
        }
        s
    }
}

/// The distinct values of one column, for the table: at most 50 shown.
fn render_values(s: &mut String, field: &str, counts: &ValueCounts) {
    use std::fmt::Write;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Values of {field} ({} distinct listed):",
        counts.values.len()
    );
    for v in counts.values.iter().take(50) {
        let meaning = match v.meaning {
            Some(m) => format!("  -> {}", m.as_str()),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "  {:>8}  {}{meaning}",
            v.count,
            crate::text::ellipsis(&v.value, 60)
        );
    }
    let hidden = counts.values.len().saturating_sub(50) as u64 + counts.more_distinct;
    if hidden > 0 {
        let _ = writeln!(s, "  ... and {hidden} more distinct values");
    }
}

/// Detects, reads and validates a whole file in memory: what the importer would do with it.
pub fn inspect(bytes: &[u8], settings: &ReadSettings) -> InspectReport {
    let sample = &bytes[..bytes.len().min(super::SAMPLE_BYTES)];
    let det = detect(sample, settings);
    let mut report = InspectReport::new(&det);
    if let Some(p) = &det.problem {
        report.add_error(1, p.clone());
        return report;
    }
    // The browser's whole-file check, in one pass: the same counts and the first problems.
    let mut check = FileCheck::new(&det, default_decoders(), MAX_ERRORS);
    check.set_values(&settings.values);
    check.expect_rows(estimate_rows(sample, bytes.len() as u64));
    // Chunks bound the decoder's buffers whatever the file size.
    for chunk in bytes.chunks(1 << 20) {
        check.push(chunk);
    }
    check.finish();
    report.values = check.values();
    let (counts, problems) = check.into_result();
    report.rows = RowCounts {
        total: counts.rows,
        valid: counts.valid,
        invalid: counts.invalid,
        duplicates: counts.duplicates,
    };
    report.errors_total = counts.problems;
    report.errors = problems
        .into_iter()
        .map(|(line, e)| ErrorLine {
            line,
            field: e.field,
            code: e.code,
            message: e.message,
            params: e.params,
        })
        .collect();
    report.errors.sort_by_key(|e| e.line);
    report
}
