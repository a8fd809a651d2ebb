//! The import invariants the fuzz target checks on any input: no panic, chunking changes
//! nothing, counts add up, every record is a row or an error, lines only increase.

use crate::api::FieldError;
use crate::import::{
    Detection, DuplicateTracker, HeaderChoice, RowOutcome, RowReader, detect, inspect,
};
use crate::settings::ReadSettings;

/// What [`check_import`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckSummary {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
}

/// The settings a fuzz input chooses with its first byte; the rest is the file.
pub fn split_fuzz_input(data: &[u8]) -> (ReadSettings, Vec<usize>, &[u8]) {
    let Some((&b, rest)) = data.split_first() else {
        return (ReadSettings::default(), vec![usize::MAX], data);
    };
    let encoding = match b & 7 {
        0 => Some("windows-1251"),
        1 => Some("utf-8"),
        2 => Some("utf-16le"),
        _ => None,
    }
    .map(str::to_string);
    let delimiter = match (b >> 3) & 7 {
        0 => Some(b';'),
        1 => Some(b'\t'),
        2 => Some(b'|'),
        3 => Some(b','),
        _ => None,
    };
    let header = match (b >> 6) & 3 {
        0 => HeaderChoice::Yes,
        1 => HeaderChoice::No,
        _ => HeaderChoice::Auto,
    };
    // Chunk sizes from the length and the first byte: small, odd and whole.
    let chunks = vec![
        1 + (b as usize % 7),
        1 + rest.len() / 3,
        (b as usize * 31) % 97 + 1,
    ];
    (
        ReadSettings {
            encoding,
            delimiter,
            has_header: header.has_header(),
            mapping: None,
            mapping_by_name: None,
            ..ReadSettings::default()
        },
        chunks,
        rest,
    )
}

fn read_all(bytes: &[u8], det: &Detection, chunks: &[usize]) -> Vec<RowOutcome> {
    let mut reader = RowReader::new(det);
    let mut out = Vec::new();
    let mut push = |o: RowOutcome| out.push(o);
    let (mut pos, mut i) = (0, 0);
    while pos < bytes.len() {
        let n = chunks[i % chunks.len()].clamp(1, bytes.len() - pos);
        reader.push(&bytes[pos..pos + n], &mut push);
        pos += n;
        i += 1;
    }
    reader.finish(&mut push);
    out
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}:{}", e.field, e.code))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs the whole pipeline on a fuzz input ([`split_fuzz_input`]) and panics when an import
/// invariant breaks:
///
/// - `inspect`: `total = valid + invalid + duplicates`, errors sorted by line, each error's
///   line within the file, `errors.len() <= errors_total`;
/// - `detect` + `RowReader` fed in odd chunks gives the same rows as fed whole, and as many
///   as `inspect` counted; lines strictly increase, start at or after the data, end within
///   the file;
/// - every record is a row or an error: a valid row has an email and its key, an invalid
///   one has at least one error; a valid row passes the server's `validate_row` with the same
///   key (the browser and the server agree).
pub fn check_import(data: &[u8]) -> CheckSummary {
    let (settings, chunks, file) = split_fuzz_input(data);
    // Each line end is at least one 0x0A or 0x0D byte in every supported encoding.
    let max_line = 1 + file.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
    let report = inspect(file, &settings);
    let r = report.rows;
    assert_eq!(r.total, r.valid + r.invalid + r.duplicates, "counts: {r:?}");
    assert!(report.errors.len() as u64 <= report.errors_total);
    assert!(
        report.errors.windows(2).all(|w| w[0].line <= w[1].line),
        "errors not sorted by line"
    );
    for e in &report.errors {
        assert!(
            (1..=max_line).contains(&e.line),
            "error line {} outside 1..={max_line}: {e:?}",
            e.line
        );
    }
    let det = detect(
        &file[..file.len().min(crate::import::SAMPLE_BYTES)],
        &settings,
    );
    assert_eq!(det.problem, report.problem, "detect and inspect disagree");
    let whole = read_all(file, &det, &[usize::MAX]);
    let chunked = read_all(file, &det, &chunks);
    assert!(
        whole == chunked,
        "chunking {chunks:?} changed the rows:\nwhole   {:?}\nchunked {:?}",
        whole.iter().map(|o| o.line).collect::<Vec<_>>(),
        chunked.iter().map(|o| o.line).collect::<Vec<_>>()
    );
    if det.problem.is_some() {
        assert!(whole.is_empty(), "rows read from a file with a problem");
        assert_eq!(r.total, 0);
        return CheckSummary::default();
    }
    assert_eq!(whole.len() as u64, r.total, "reader and inspect disagree");
    let mut summary = CheckSummary {
        rows: r.total,
        ..CheckSummary::default()
    };
    let mut prev = 0;
    let mut tracker = DuplicateTracker::new();
    for o in &whole {
        assert_eq!(o.line, o.row.line);
        assert!(o.line > prev, "line {} after line {prev}", o.line);
        assert!(
            o.line >= det.data_start_line && o.line <= max_line,
            "line {} outside {}..={max_line}",
            o.line,
            det.data_start_line
        );
        prev = o.line;
        if o.errors.is_empty() {
            let key = o
                .email_key
                .as_deref()
                .expect("a valid row has an email key");
            let email = o.row.email.as_deref().expect("a valid row has an email");
            match crate::rules::validate_row(&o.row) {
                Ok(d) => {
                    assert_eq!(d.email_key, key, "line {}", o.line);
                    assert_eq!(d.fields.email, email, "line {}", o.line);
                }
                Err(e) => panic!(
                    "line {}: valid in the reader, invalid on the server: {} ({:?})",
                    o.line,
                    describe(&e),
                    o.row
                ),
            }
            if tracker.see(key, o.line).is_some() {
                summary.duplicates += 1;
            } else {
                summary.valid += 1;
            }
        } else {
            assert!(o.email_key.is_none(), "an invalid row has an email key");
            summary.invalid += 1;
        }
    }
    assert_eq!(
        (summary.valid, summary.invalid, summary.duplicates),
        (r.valid, r.invalid, r.duplicates),
        "the reader's rows and inspect's counts disagree"
    );
    summary
}
