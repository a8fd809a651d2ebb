//! Detection from the start of a file: encoding, delimiter, preamble and header line,
//! columns with samples, and the suggested mapping.
//!
//! Exists so that the browser can show a preview and a ready mapping within milliseconds of
//! the user choosing a file, from its first 64-256 KiB only, and so that the server and the
//! CLI decide exactly the same way.
//!
//! - Delimiter: each of `,` `;` tab `|` parses the sample (quote-aware, with the same record
//!   stage as the import); the winner has the most records sharing one field count (>= 2),
//!   weighted by how "clean" its cells look (no other candidate delimiter inside them, no
//!   outer spaces). No candidate with 2+ fields: a single column, `,`.
//! - Preamble: up to 10 leading records without an email that have at most one filled cell or
//!   fewer cells than the table (a title like `Customers export;;;;`).
//! - Header: the first table record is a header when none of its cells is an email, all its
//!   cells look like labels (not numbers, dates, phones, yes/no), and either one of them is a
//!   known header or a column's values clearly differ in kind from it (emails under `Contact`).
//! - The sample may end in the middle of a record or character: the record cut by the end of
//!   a large sample is ignored.

use super::choices::ReadSettings;
use super::decode::{DecoderFactory, StreamDecoder, default_decoders, sniff};
use super::mapping::{
    Guess, Suggestion, ValueStats, guess_header_strict, is_date, is_number, is_phone, suggest,
    value_stats,
};
use super::reason::{IgnoredReason, MatchReason};
use super::records::{Hints, Limits, RawRecord, RecordStage};
use super::{ColumnInfo, Detection, HeaderChoice};
use crate::api::{ErrorCode, Field, FieldError};
use crate::rules::{Email, parse_consent};
use crate::text::{clean_line, ellipsis, unneutralise};

/// How much of the start of a file [`detect`] looks at (callers may pass less or more).
pub const SAMPLE_BYTES: usize = 256 * 1024;
/// Records of the sample used for detection.
const MAX_RECORDS: usize = 400;
/// Samples kept per column.
const SAMPLES: usize = 5;

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

struct SampleRecord {
    line: u64,
    cells: Vec<String>,
}

impl SampleRecord {
    fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.trim().is_empty()).count()
    }

    fn has_email(&self) -> bool {
        self.cells.iter().any(|c| looks_email(c))
    }
}

fn looks_email(s: &str) -> bool {
    s.contains('@') && Email::parse(s).is_ok()
}

fn read_records(
    text: &[u8],
    delimiter: u8,
    drop_last: bool,
    max: usize,
    line_per_record: bool,
) -> Vec<SampleRecord> {
    let limits = Limits {
        max_field_bytes: 4096,
        max_columns: Limits::default().max_columns,
    };
    let hints = Hints {
        line_per_record,
        ..Hints::default()
    };
    let mut stage = RecordStage::new(delimiter, limits, hints);
    let mut out = Vec::new();
    let mut emit = |r: &RawRecord<'_>| {
        // A record cut at an unbalanced quote says nothing reliable about the table.
        if out.len() <= max && !r.unbalanced {
            out.push(SampleRecord {
                line: r.line,
                cells: r
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect(),
            });
        }
    };
    stage.push(text, &mut emit);
    stage.finish(&mut emit);
    if drop_last && out.len() > 1 {
        out.pop();
    }
    out.truncate(max);
    out
}

/// The field count shared by most records, and the share of records having it.
fn modal_count(recs: &[SampleRecord]) -> (usize, f32) {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for r in recs {
        let n = r.cells.len();
        match counts.iter_mut().find(|(k, _)| *k == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    // Most frequent; ties go to the larger count.
    let best = counts
        .iter()
        .max_by_key(|(k, c)| (*c, *k))
        .copied()
        .unwrap_or((0, 0));
    (
        best.0,
        if recs.is_empty() {
            0.0
        } else {
            best.1 as f32 / recs.len() as f32
        },
    )
}

fn delimiter_score(recs: &[SampleRecord], delimiter: u8) -> f32 {
    let (m, share) = modal_count(recs);
    if m < 2 {
        return 0.0;
    }
    let others: Vec<u8> = CANDIDATES
        .iter()
        .copied()
        .filter(|&c| c != delimiter)
        .collect();
    let (mut cells, mut clean) = (0usize, 0usize);
    for r in recs.iter().filter(|r| r.cells.len() == m) {
        for c in &r.cells {
            cells += 1;
            let b = c.as_bytes();
            let outer_space =
                b.first().is_some_and(|&x| x == b' ') || b.last().is_some_and(|&x| x == b' ');
            // A comma in a number (a decimal comma) does not count against `;`.
            let foreign = b.iter().any(|x| others.contains(x)) && !is_number(c);
            if !outer_space && !foreign {
                clean += 1;
            }
        }
    }
    let clean_share = if cells == 0 {
        0.0
    } else {
        clean as f32 / cells as f32
    };
    share * (0.5 + 0.5 * clean_share) + 0.001 * (m.min(50) as f32)
}

/// Excel's `sep=;` first line names the delimiter (the line itself is then a preamble line).
fn excel_sep_hint(text: &[u8]) -> Option<u8> {
    let rest = text.strip_prefix(b"sep=")?;
    match rest {
        [d, b'\r' | b'\n', ..] | [d] if CANDIDATES.contains(d) => Some(*d),
        _ => None,
    }
}

fn choose_delimiter(text: &[u8], drop_last: bool) -> u8 {
    let mut best = (0.0f32, b',');
    for d in CANDIDATES {
        if memchr::memchr(d, text).is_none() {
            continue;
        }
        let recs = read_records(text, d, drop_last, 100, false);
        let s = delimiter_score(&recs, d);
        if s > best.0 {
            best = (s, d);
        }
    }
    best.1
}

/// Is this cell a label (a header), as opposed to a value?
fn label_like(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.chars().count() <= 64
        // U+FFFD: a header in another encoding than the one chosen is still a header.
        && t.chars().any(|c| c.is_alphabetic() || c == '\u{FFFD}')
        && !looks_email(t)
        && !is_number(t)
        && !is_date(t)
        && !is_phone(t)
        && !is_flag_cell(t)
}

/// A consent cell that is a bare flag (`Y`, `no`, `да`...), not a word that also names
/// columns (see [`crate::rules::vocab::is_flag_word`]).
fn is_flag_cell(t: &str) -> bool {
    let mut folded = String::new();
    crate::rules::vocab::fold_consent(t, &mut folded);
    crate::rules::vocab::is_flag_word(&folded) && matches!(parse_consent(t), Ok(Some(_)))
}

fn kind_of(st: &ValueStats) -> Option<&'static str> {
    let n = st.n.max(1) as f32;
    let r = |k: usize| k as f32 / n;
    if st.n == 0 {
        None
    } else if r(st.emails) >= 0.6 {
        Some("email")
    } else if r(st.consents) >= 0.8 {
        Some("consent")
    } else if r(st.numbers + st.dates + st.phones) >= 0.8 {
        Some("number")
    } else {
        None
    }
}

fn looks_like_header(h: &SampleRecord, data: &[SampleRecord]) -> bool {
    if h.has_email() || h.filled() == 0 {
        return false;
    }
    let filled: Vec<&String> = h.cells.iter().filter(|c| !c.trim().is_empty()).collect();
    if !filled.iter().all(|c| label_like(c)) {
        return false;
    }
    let known = filled
        .iter()
        .filter(|c| guess_header_strict(c).0 != Guess::Unknown)
        .count();
    if known >= 1 {
        return true;
    }
    // Contrast: a column whose values are of a clear kind under a label.
    (0..h.cells.len()).any(|j| {
        let st = value_stats(
            data.iter()
                .filter_map(|r| r.cells.get(j))
                .map(String::as_str),
        );
        kind_of(&st).is_some() && label_like(&h.cells[j])
    })
}

fn problem(code: ErrorCode, message: &str) -> Option<FieldError> {
    Some(FieldError {
        field: Field::File,
        code,
        message: message.into(),
        params: None,
    })
}

/// Detects how to read the file whose first bytes are `sample`, applying the user's
/// `settings` (each `None`/`Auto` is detected). `mapping_by_name` is not read here: lay it
/// over the result with [`ReadSettings::apply_named_mapping`].
pub fn detect(sample: &[u8], settings: &ReadSettings) -> Detection {
    detect_with(sample, settings, default_decoders())
}

/// [`detect`] with the encodings beyond the built-in five looked up in `decoders` (the
/// browser worker passes its `TextDecoder` factory; give the same one to the `RowReader`).
pub fn detect_with(
    sample: &[u8],
    settings: &ReadSettings,
    decoders: &dyn DecoderFactory,
) -> Detection {
    let sniffed = sniff(sample, settings.encoding.as_deref(), decoders);
    let mut det = Detection {
        encoding: sniffed.encoding.clone(),
        delimiter: settings.delimiter.unwrap_or(b','),
        has_header: false,
        header_line: None,
        columns: Vec::new(),
        mapping: Vec::new(),
        problem: sniffed.problem,
        data_start_line: 1,
        line_per_record: settings.line_per_record,
    };
    if det.problem.is_some() {
        return det;
    }
    if let Some(d) = settings.delimiter
        && (matches!(d, b'"' | b'\r' | b'\n') || !d.is_ascii() || d.is_ascii_alphanumeric())
    {
        det.problem = problem(
            ErrorCode::InvalidDelimiter,
            "The delimiter must be a punctuation character or tab, such as , ; | or tab.",
        );
        return det;
    }
    let mut text = Vec::with_capacity(sample.len());
    StreamDecoder::new(&sniffed.encoding, decoders)
        .push(sample, false, &mut |p| text.extend_from_slice(p));
    if text.iter().all(u8::is_ascii_whitespace) {
        det.problem = problem(
            ErrorCode::EmptyFile,
            "The file is empty: it has no rows to import.",
        );
        return det;
    }
    // A large sample is probably cut: its last record may be incomplete.
    let drop_last = sample.len() >= 16 * 1024 && !matches!(text.last(), Some(b'\n' | b'\r'));
    let delimiter = settings
        .delimiter
        .or_else(|| excel_sep_hint(&text))
        .unwrap_or_else(|| choose_delimiter(&text, drop_last));
    det.delimiter = delimiter;
    let recs = read_records(
        &text,
        delimiter,
        drop_last,
        MAX_RECORDS,
        det.lines_are_records(),
    );
    if recs.is_empty() {
        det.problem = problem(
            ErrorCode::EmptyFile,
            "The file is empty: it has no rows to import.",
        );
        return det;
    }
    let (m, _) = modal_count(&recs);
    // Preamble.
    let mut start = 0;
    while start < recs.len().min(10) && start + 1 < recs.len() {
        let r = &recs[start];
        let preamble = m >= 2 && !r.has_email() && (r.filled() <= 1 || r.cells.len() < m);
        if !preamble {
            break;
        }
        start += 1;
    }
    let has_header = match settings.header() {
        HeaderChoice::Yes => true,
        HeaderChoice::No => false,
        HeaderChoice::Auto => looks_like_header(&recs[start], &recs[start + 1..]),
    };
    let table_line = recs[start].line;
    let (header, data): (Option<&SampleRecord>, &[SampleRecord]) = if has_header {
        (Some(&recs[start]), &recs[start + 1..])
    } else {
        (None, &recs[start..])
    };
    det.has_header = has_header;
    det.header_line = has_header.then_some(table_line);
    det.data_start_line = if has_header {
        table_line + 1
    } else {
        table_line
    };

    let (data_m, data_share) = modal_count(data);
    let ncols = match header {
        // More columns than the header only when most records have them.
        Some(h) if data_share >= 0.6 => h.cells.len().max(data_m),
        Some(h) => h.cells.len(),
        None => data_m.max(1),
    };
    let stats: Vec<ValueStats> = (0..ncols)
        .map(|j| {
            value_stats(
                data.iter()
                    .take(200)
                    .filter_map(|r| r.cells.get(j))
                    .map(|c| unneutralise(c)),
            )
        })
        .collect();
    let header_cells: Option<Vec<&str>> = header.map(|h| {
        (0..ncols)
            .map(|j| h.cells.get(j).map_or("", String::as_str))
            .collect()
    });
    let suggestions = suggest(header_cells.as_deref(), &stats);
    let user = settings.mapping.as_ref();
    for (j, s) in suggestions.into_iter().enumerate() {
        let Suggestion {
            mut target,
            mut confidence,
            mut reason,
            mut demoted,
            mut ignored,
        } = s;
        if let Some(user) = user {
            let chosen = user.get(j).copied().flatten();
            if chosen != target {
                confidence = if chosen.is_some() { 1.0 } else { 0.0 };
                ignored = match (chosen, ignored) {
                    (Some(_), _) => None,
                    (None, Some(IgnoredReason::NotImportable)) => {
                        Some(IgnoredReason::NotImportable)
                    }
                    (None, _) => Some(IgnoredReason::Unknown),
                };
                reason = MatchReason::Chosen;
                demoted = None;
                target = chosen;
            }
        }
        let mut samples: Vec<String> = Vec::new();
        for r in data {
            if samples.len() >= SAMPLES {
                break;
            }
            if let Some(c) = r.cells.get(j) {
                let v = clean_line(unneutralise(c));
                if !v.is_empty() && !samples.iter().any(|s| *s == v) {
                    samples.push(ellipsis(&v, 100).into_owned());
                }
            }
        }
        det.columns.push(ColumnInfo {
            index: j,
            header: header
                .and_then(|h| h.cells.get(j))
                .map(|c| clean_line(c).into_owned())
                .filter(|c| !c.is_empty()),
            target,
            confidence,
            samples,
            ignored_reason: ignored,
            reason: Some(reason),
            demoted,
        });
        det.mapping.push(target);
    }
    det
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(input: &str, want: Expect) {
        let det = detect(input.as_bytes(), &ReadSettings::default());
        let mut s = format!(
            "{} {:?} header={:?} data_from={}",
            det.encoding, det.delimiter as char, det.header_line, det.data_start_line
        );
        if let Some(p) = &det.problem {
            s.push_str(&format!(" problem={}", p.code));
        }
        for c in &det.columns {
            let t = match (c.target, &c.ignored_reason) {
                (Some(t), _) => format!("{}({})", t.as_str(), c.confidence),
                (None, r) => format!("-({})", r.map_or("", |r| r.as_str())),
            };
            s.push_str(&format!(
                "\n{} {:?} {t}",
                c.index,
                c.header.as_deref().unwrap_or("")
            ));
        }
        want.assert_eq(&s);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn quoted_delimiters_do_not_fool_detection() {
        check(
            "email,note\n\"a@x.bg\",\"x; y; z\"\nb@x.bg,\"p; q\"\n",
            expect![[r#"
                utf-8 ',' header=Some(1) data_from=2
                0 "email" email(1)
                1 "note" note(1)"#]],
        );
        check(
            "Имейл;Име\nivan@x.bg;\"Петров, Иван\"\nmaria@x.bg;\"Иванова, Мария\"\n",
            expect![[r#"
                utf-8 ';' header=Some(1) data_from=2
                0 "Имейл" email(1)
                1 "Име" full_name(0.97)"#]],
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn excel_sep_line_and_title_preamble() {
        check(
            "sep=;\r\nemail;name\r\nivan@x.bg;Ivan Petrov\r\n",
            expect![[r#"
                utf-8 ';' header=Some(2) data_from=3
                0 "email" email(1)
                1 "name" full_name(0.9)"#]],
        );
        check(
            "Exported customers\n\nemail,first_name\nivan@x.bg,Ivan\n",
            expect![[r#"
                utf-8 ',' header=Some(3) data_from=4
                0 "email" email(1)
                1 "first_name" first_name(1)"#]],
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn data_first_line_is_not_a_header() {
        check(
            "Иван;Петров;ivan@x.bg\nМария;Иванова;maria@x.bg\n",
            expect![[r#"
                utf-8 ';' header=None data_from=1
                0 "" first_name(0.7)
                1 "" last_name(0.7)
                2 "" email(0.95)"#]],
        );
        // Labels nobody knows, over values of a clear kind.
        check(
            "Contact|Who\nivan@x.bg|Ivan\nmaria@x.bg|Maria\n",
            expect![[r#"
                utf-8 '|' header=Some(1) data_from=2
                0 "Contact" email(0.76)
                1 "Who" -(unknown)"#]],
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_cut_sample_ignores_its_last_record() {
        let mut s = String::from("email,note\n");
        while s.len() < 20_000 {
            s.push_str("ivan@x.bg,\"a note; with a semicolon\"\n");
        }
        s.push_str("maria@x.bg,\"cut in the mid");
        check(
            &s,
            expect![[r#"
                utf-8 ',' header=Some(1) data_from=2
                0 "email" email(1)
                1 "note" note(1)"#]],
        );
    }
}
