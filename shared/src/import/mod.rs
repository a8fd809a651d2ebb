//! The streaming import pipeline: bytes -> decode -> records (csv-core) ->
//! map -> normalise -> validate, one [`RowOutcome`] per record.
//!
//! Usage: [`detect`] on the first 64-256 KiB of the file (encoding, delimiter, header,
//! columns and mapping suggestions), let the user adjust `Detection::mapping`, then feed the
//! whole file to a [`RowReader`] built from the detection, in chunks of any size. The same
//! code runs in the browser worker, in `intake inspect` and in the server's CSV upload.
//!
//! Decisions (also in ARCHITECTURE.md terms, the *invariants*):
//! - Every record after the header ends as exactly one `RowOutcome`, valid or with errors;
//!   blank lines and all-blank records (`;;;;`) are skipped but counted in line numbers; the
//!   header line and preamble lines above it are consumed, not emitted.
//! - Too few cells is fine (missing cells are empty). Cells beyond the expected columns are a
//!   `ragged_row` error only when one of them holds data (a shifted row would otherwise import
//!   wrong values silently).
//! - A cell of the form `'` + formula (`'=...`, `'+...`, `'-...`, `'@...`) loses that one
//!   leading `'` on import: it undoes the export's formula neutralising, so export -> import
//!   gives back the same values.
//! - Duplicates by email key are decided by the consumer with [`DuplicateTracker`]: the later
//!   row wins; the earlier one is reported as `duplicate_email`.
//! - A file-level `Detection::problem` (binary file, unknown encoding label) means: do not
//!   import. A `RowReader` built from such a detection emits nothing.

mod check;
mod decode;
mod detect;
mod dups;
mod inspect;
mod mapping;
mod records;

use serde::{Deserialize, Serialize};

use crate::api::{BatchRow, Consent, ErrorCode, Field, FieldError};
use std::borrow::Cow;

use crate::rules::{Cells, FieldsRef, parse_consent, split_full_name, validate_fields};
use crate::text::{clean_line, clean_note, unneutralise};

pub use check::{
    CheckCounts, FileCheck, HitEmails, Hits, PartEmails, PartResult, estimate_rows, split_point,
};
pub use decode::{
    BuiltinOnly, Decoder, DecoderFactory, MALFORMED_MARKER, MaybeSend, default_decoders,
    lookup_label,
};
#[cfg(feature = "encoding-rs")]
pub use decode::{EncodingRs, EncodingRsDecoder, encoding_name};
pub use detect::{SAMPLE_BYTES, detect, detect_with};
pub use dups::DuplicateTracker;
pub use inspect::{ErrorLine, InspectReport, RowCounts, inspect};

pub use records::Limits;

/// Whether the file has a header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderChoice {
    /// Decide from the content.
    #[default]
    Auto,
    Yes,
    No,
}

impl HeaderChoice {
    /// The one parser of a header setting given as text (the API's `has_header`, the CLI's
    /// `--header`): exactly `auto`, `true`/`yes` or `false`/`no`; anything else is `None`.
    pub fn parse(s: &str) -> Option<HeaderChoice> {
        match s {
            "auto" => Some(HeaderChoice::Auto),
            "true" | "yes" => Some(HeaderChoice::Yes),
            "false" | "no" => Some(HeaderChoice::No),
            _ => None,
        }
    }

    /// From "does the file have a header line?": `None` means detect.
    pub fn from_has_header(has_header: Option<bool>) -> HeaderChoice {
        match has_header {
            None => HeaderChoice::Auto,
            Some(true) => HeaderChoice::Yes,
            Some(false) => HeaderChoice::No,
        }
    }

    /// The reverse of [`HeaderChoice::from_has_header`].
    pub fn has_header(self) -> Option<bool> {
        match self {
            HeaderChoice::Auto => None,
            HeaderChoice::Yes => Some(true),
            HeaderChoice::No => Some(false),
        }
    }
}

/// Parses a delimiter setting: `auto` (or empty) -> `Ok(None)`; `,` `comma`; `;`
/// `semicolon`; `\t` `tab` or a tab; `|` `pipe` -> `Ok(Some(byte))`. Anything else is an
/// error message.
pub fn parse_delimiter(s: &str) -> Result<Option<u8>, String> {
    let d = match s {
        "\t" | "\\t" => return Ok(Some(b'\t')),
        _ => s.trim(),
    };
    match d.to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(None),
        "," | "comma" => Ok(Some(b',')),
        ";" | "semicolon" => Ok(Some(b';')),
        "tab" | "\\t" => Ok(Some(b'\t')),
        "|" | "pipe" => Ok(Some(b'|')),
        _ => Err(format!(
            "Unknown delimiter \"{s}\": use auto, comma (,), semicolon (;), tab or pipe (|)."
        )),
    }
}

/// The user's choices; `None`/`Auto` means "detect".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSettings {
    /// A WHATWG encoding label (`utf-8`, `windows-1251`, `cp1251`, `latin1`...).
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub delimiter: Option<u8>,
    #[serde(default)]
    pub header: HeaderChoice,
    /// The target of each column by index; `None` = use the suggestions.
    #[serde(default)]
    pub mapping: Option<Vec<Option<Target>>>,
}

/// A customer field a column can be imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstName,
    LastName,
    FullName,
    Email,
    Note,
    AcceptsMarketing,
    CustomerGroup,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::FirstName,
        Target::LastName,
        Target::FullName,
        Target::Email,
        Target::Note,
        Target::AcceptsMarketing,
        Target::CustomerGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstName => "first_name",
            Target::LastName => "last_name",
            Target::FullName => "full_name",
            Target::Email => "email",
            Target::Note => "note",
            Target::AcceptsMarketing => "accepts_marketing",
            Target::CustomerGroup => "customer_group",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The `BatchRow`/`FieldError` field this target fills (`customer_group` -> `group`).
    pub fn field(self) -> Field {
        match self {
            Target::FirstName => Field::FirstName,
            Target::LastName => Field::LastName,
            Target::FullName => Field::FullName,
            Target::Email => Field::Email,
            Target::Note => Field::Note,
            Target::AcceptsMarketing => Field::AcceptsMarketing,
            Target::CustomerGroup => Field::Group,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What [`detect`] found; the input of [`RowReader::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Lowercase WHATWG name: `utf-8`, `utf-16le`, `utf-16be`, `windows-1251`, `windows-1252`...
    pub encoding: String,
    pub delimiter: u8,
    pub has_header: bool,
    /// 1-based line of the header; `None` without a header.
    pub header_line: Option<u64>,
    pub columns: Vec<ColumnInfo>,
    /// The effective target of each column (the user's mapping if given, else the suggestions).
    pub mapping: Vec<Option<Target>>,
    /// A file-level problem (`empty_file`, `binary_file`, `unknown_encoding`,
    /// `invalid_delimiter`): nothing can be imported.
    pub problem: Option<FieldError>,
    /// Records starting before this line (preamble, header) are not data.
    pub data_start_line: u64,
}

impl Detection {
    /// The delimiter as shown in the inspect output: `,` `;` `\t` `|`.
    pub fn delimiter_str(&self) -> String {
        delimiter_str(self.delimiter)
    }
}

pub(crate) fn delimiter_str(d: u8) -> String {
    match d {
        b'\t' => "\\t".to_string(),
        d => (d as char).to_string(),
    }
}

/// One column of the file, as shown to the user (and in `intake inspect --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub index: usize,
    pub header: Option<String>,
    pub target: Option<Target>,
    /// 0..1; 0 for ignored columns.
    pub confidence: f32,
    /// Up to 5 distinct non-empty values from the first records.
    pub samples: Vec<String>,
    /// Why `target` is null: `not_importable`, `unknown` or `duplicate_target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_reason: Option<String>,
}

/// One record of the file, mapped and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    /// 1-based physical line where the record starts (also in `row.line`).
    pub line: u64,
    /// The mapped, cleaned cells; `email` is the normalised address when it is valid;
    /// `accepts_marketing` is `Consent::Bool` when it parsed, `Consent::Text` when not.
    pub row: BatchRow,
    /// Empty = valid.
    pub errors: Vec<FieldError>,
    /// The dedupe key of a valid row's email (see [`crate::rules::Email::key`]).
    pub email_key: Option<String>,
}

impl RowOutcome {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

fn ferr(field: Field, code: ErrorCode, message: String) -> FieldError {
    FieldError {
        field,
        code,
        message,
    }
}

/// One record mapped, normalised and validated, borrowing from the reader: the allocation-free
/// form of [`RowOutcome`] (see [`RowReader::push_ref`]). Cells that cleaning left unchanged
/// are borrowed from the file's bytes; the errors and the email key from the reader's buffers.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRef<'a> {
    /// 1-based physical line where the record starts.
    pub line: u64,
    pub first_name: Option<Cow<'a, str>>,
    pub last_name: Option<Cow<'a, str>>,
    /// The normalised address when the row is valid, else the cleaned cell.
    pub email: Option<Cow<'a, str>>,
    pub note: Option<Cow<'a, str>>,
    /// `Consent::Bool` when it parsed, `Consent::Text` when not.
    pub accepts_marketing: Option<Consent>,
    pub group: Option<Cow<'a, str>>,
    /// Empty = valid.
    pub errors: &'a [FieldError],
    /// The dedupe key of a valid row's email.
    pub email_key: Option<&'a str>,
}

impl RowRef<'_> {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The owned [`RowOutcome`] (what [`RowReader::push`] hands out), keeping the cells
    /// that are already owned.
    pub fn into_outcome(self) -> RowOutcome {
        let own = |c: Option<Cow<'_, str>>| c.map(Cow::into_owned);
        RowOutcome {
            line: self.line,
            row: BatchRow {
                line: self.line,
                first_name: own(self.first_name),
                last_name: own(self.last_name),
                email: own(self.email),
                note: own(self.note),
                accepts_marketing: self.accepts_marketing,
                group: own(self.group),
            },
            errors: self.errors.to_vec(),
            email_key: self.email_key.map(str::to_owned),
        }
    }
}

/// Applies a cleaning function to a cell, keeping it borrowed when it was.
#[inline]
fn clean_cow<'a, F>(c: Cow<'a, str>, f: F) -> Cow<'a, str>
where
    F: for<'s> Fn(&'s str) -> Cow<'s, str>,
{
    match c {
        Cow::Borrowed(s) => f(s),
        Cow::Owned(s) => match f(&s) {
            Cow::Borrowed(t) if t.len() == s.len() => Cow::Owned(s),
            t => Cow::Owned(t.into_owned()),
        },
    }
}

fn non_empty(c: Cow<'_, str>) -> Option<Cow<'_, str>> {
    (!c.is_empty()).then_some(c)
}

/// Maps records to rows.
struct Mapper {
    data_start_line: u64,
    columns: usize,
    /// Column of each target (first column mapped to it), by `Target::index`.
    col_of: [Option<usize>; 7],
    max_field_bytes: usize,
    max_columns: usize,
    /// Reused per record: the row's errors and its email key.
    errors: Vec<FieldError>,
    key: String,
}

/// A cell of a record, UTF-8 checked, its problems appended to `errors`.
#[inline]
fn cell<'a>(
    m: &MapperConfig,
    rec: &records::RawRecord<'a>,
    text: Option<&'a str>,
    t: Target,
    errors: &mut Vec<FieldError>,
) -> Option<Cow<'a, str>> {
    let col = m.col_of[t.index()]?;
    let (start, end) = rec.range(col)?;
    // The common case: text, not cut.
    if rec.too_long.is_empty()
        && let Some(s) = text.and_then(|t| t.get(start..end))
    {
        return Some(Cow::Borrowed(unneutralise(s)));
    }
    cell_checked(m, rec, text, t, col, (start, end), errors)
}

/// [`cell`] of a cell that was cut or is not known to be text.
#[inline(never)]
fn cell_checked<'a>(
    m: &MapperConfig,
    rec: &records::RawRecord<'a>,
    text: Option<&'a str>,
    t: Target,
    col: usize,
    (start, end): (usize, usize),
    errors: &mut Vec<FieldError>,
) -> Option<Cow<'a, str>> {
    let too_long = !rec.too_long.is_empty() && rec.too_long.contains(&col);
    // Cells end at ASCII delimiters, so slicing valid UTF-8 there cannot fail.
    let valid = match text.and_then(|t| t.get(start..end)) {
        Some(s) => Ok(s),
        None => std::str::from_utf8(&rec.bytes()[start..end]),
    };
    let text = match valid {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            if !too_long {
                errors.push(ferr(
                    t.field(),
                    ErrorCode::InvalidEncoding,
                    format!(
                        "{} has bytes that are not valid in the file's encoding (shown as �); check the encoding setting.",
                        label(t)
                    ),
                ));
            }
            Cow::Owned(String::from_utf8_lossy(&rec.bytes()[start..end]).into_owned())
        }
    };
    if too_long {
        errors.push(ferr(
            t.field(),
            ErrorCode::FieldTooLong,
            format!(
                "{} is too long: over {} bytes; it was cut.",
                label(t),
                m.max_field_bytes
            ),
        ));
    }
    Some(match text {
        Cow::Borrowed(s) => Cow::Borrowed(unneutralise(s)),
        Cow::Owned(s) => Cow::Owned(unneutralise(&s).to_string()),
    })
}

/// The read-only part of a [`Mapper`].
struct MapperConfig {
    col_of: [Option<usize>; 7],
    max_field_bytes: usize,
}

impl Mapper {
    fn map_ref<'a>(&'a mut self, rec: &records::RawRecord<'a>) -> Option<RowRef<'a>> {
        if rec.line < self.data_start_line {
            return None;
        }
        let cfg = MapperConfig {
            col_of: self.col_of,
            max_field_bytes: self.max_field_bytes,
        };
        let errors = &mut self.errors;
        let key = &mut self.key;
        errors.clear();
        // One UTF-8 check for the whole record (per cell only when it fails), unless the
        // record stage knows already.
        let text = rec
            .text
            .or_else(|| simdutf8::basic::from_utf8(rec.bytes()).ok());
        if rec.unbalanced {
            errors.push(unbalanced_quote(rec.line));
        }
        if rec.too_many_columns {
            errors.push(ferr(
                Field::Row,
                ErrorCode::TooManyColumns,
                format!(
                    "The row has more than {} cells; the extra cells were dropped.",
                    self.max_columns
                ),
            ));
        } else if !rec.unbalanced
            && rec.len() > self.columns
            && rec
                .iter()
                .skip(self.columns)
                .any(|c| !c.iter().all(u8::is_ascii_whitespace))
        {
            errors.push(ferr(
                Field::Row,
                ErrorCode::RaggedRow,
                format!(
                    "The row has {} cells but the file has {} columns; the extra cells hold data, so the row may be shifted (an unquoted delimiter?).",
                    rec.len(),
                    self.columns
                ),
            ));
        }
        // A cleaned cell; empty = absent (one closure per cleaning, so each inlines it).
        let clean = |t: Target, errors: &mut Vec<FieldError>| {
            cell(&cfg, rec, text, t, errors).and_then(|c| non_empty(clean_cow(c, clean_line)))
        };
        let clean_n = |t: Target, errors: &mut Vec<FieldError>| {
            cell(&cfg, rec, text, t, errors).and_then(|c| non_empty(clean_cow(c, clean_note)))
        };
        let mut first_name = clean(Target::FirstName, errors);
        let mut last_name = clean(Target::LastName, errors);
        let full = clean(Target::FullName, errors);
        if let Some(full) = full
            && first_name.is_none()
            && last_name.is_none()
        {
            let part = |p: &str| (!p.is_empty()).then(|| p.to_string());
            match full {
                Cow::Borrowed(full) => {
                    let (f, l) = split_full_name(full);
                    first_name = (!f.is_empty()).then_some(Cow::Borrowed(f));
                    last_name = (!l.is_empty()).then_some(Cow::Borrowed(l));
                }
                Cow::Owned(full) => {
                    let (f, l) = split_full_name(&full);
                    first_name = part(f).map(Cow::Owned);
                    last_name = part(l).map(Cow::Owned);
                }
            }
        }
        let mut email = clean(Target::Email, errors);
        let note = clean_n(Target::Note, errors);
        let mut accepts_marketing = None;
        if let Some(c) = cell(&cfg, rec, text, Target::AcceptsMarketing, errors) {
            match parse_consent(&c) {
                Ok(v) => accepts_marketing = v.map(Consent::Bool),
                Err(e) => {
                    errors.push(e);
                    accepts_marketing = Some(Consent::Text(clean_line(&c).into_owned()));
                }
            }
        }
        let group = clean(Target::CustomerGroup, errors);
        // A valid row: its email's display form when it differs from the key.
        let mut valid: Option<Option<String>> = None;
        if rec.unbalanced {
            // Only the first line of the record is here: its other problems are noise.
        } else {
            let base = errors.len();
            let fields = FieldsRef {
                first_name: first_name.as_deref(),
                last_name: last_name.as_deref(),
                email: email.as_deref(),
                note: note.as_deref(),
                accepts_marketing: accepts_marketing.as_ref(),
                group: group.as_deref(),
            };
            match validate_fields(fields, Cells::Clean, key, errors) {
                Some(checked) => {
                    if base == 0 {
                        valid = Some(checked.display);
                    }
                }
                None => {
                    // Problems the reader reported already are not repeated.
                    let mut i = base;
                    while i < errors.len() {
                        let e = &errors[i];
                        if errors[..base]
                            .iter()
                            .any(|x| x.field == e.field && x.code == e.code)
                        {
                            errors.remove(i);
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
        let key: &'a str = &self.key;
        let email_key = valid.is_some().then_some(key);
        if let Some(display) = valid {
            email = Some(display.map_or(Cow::Borrowed(key), Cow::Owned));
        }
        Some(RowRef {
            line: rec.line,
            first_name,
            last_name,
            email,
            note,
            accepts_marketing,
            group,
            errors: &self.errors,
            email_key,
        })
    }
}

/// The problem of a record whose quote swallowed the lines after it (the one message that
/// names its own line, so a split check writes it again once the line is known).
fn unbalanced_quote(line: u64) -> FieldError {
    ferr(
        Field::Row,
        ErrorCode::UnbalancedQuote,
        format!(
            "Line {line} opens a quote (\") that is not closed where the row should end; the lines after it were read as rows of their own."
        ),
    )
}

fn label(t: Target) -> &'static str {
    match t {
        Target::FirstName => "First name",
        Target::LastName => "Last name",
        Target::FullName => "Full name",
        Target::Email => "Email",
        Target::Note => "Note",
        Target::AcceptsMarketing => "Accepts marketing",
        Target::CustomerGroup => "Group",
    }
}

/// Reads a whole file, pushed in chunks of any size, into [`RowOutcome`]s.
pub struct RowReader {
    decoder: decode::StreamDecoder,
    stage: records::RecordStage,
    mapper: Mapper,
    disabled: bool,
}

impl RowReader {
    /// A reader with the default [`Limits`].
    pub fn new(det: &Detection) -> RowReader {
        RowReader::with_limits(det, Limits::default())
    }

    pub fn with_limits(det: &Detection, limits: Limits) -> RowReader {
        RowReader::with_decoders(det, limits, default_decoders())
    }

    /// A reader whose encodings beyond the built-in five come from `decoders` (pass the
    /// factory given to [`detect_with`]).
    pub fn with_decoders(
        det: &Detection,
        limits: Limits,
        decoders: &dyn DecoderFactory,
    ) -> RowReader {
        let mut col_of = [None; 7];
        for (i, t) in det.mapping.iter().enumerate() {
            if let Some(t) = t {
                col_of[t.index()].get_or_insert(i);
            }
        }
        let columns = det.columns.len().max(det.mapping.len());
        let hints = records::Hints {
            columns,
            single_line: det
                .mapping
                .iter()
                .map(|t| matches!(t, Some(t) if *t != Target::Note))
                .collect(),
        };
        RowReader {
            decoder: decode::StreamDecoder::new(&det.encoding, decoders),
            stage: records::RecordStage::new(det.delimiter, limits, hints),
            mapper: Mapper {
                data_start_line: det.data_start_line,
                columns: columns.max(1),
                col_of,
                max_field_bytes: limits.max_field_bytes,
                max_columns: limits.max_columns,
                errors: Vec::new(),
                key: String::new(),
            },
            disabled: det.problem.is_some(),
        }
    }

    /// A reader for the rest of a file from a byte offset where [`RowReader::at_record_start`]
    /// holds for a reader of the whole file: no header there, no BOM, lines counted from 1
    /// (add the whole-file reader's `line() - 1`). Only for UTF-8 (see
    /// [`RowReader::at_record_start`]).
    pub fn continuing(det: &Detection, limits: Limits, decoders: &dyn DecoderFactory) -> RowReader {
        let mut reader = RowReader::with_decoders(det, limits, decoders);
        reader.decoder = decode::StreamDecoder::utf8_started();
        reader.mapper.data_start_line = 0;
        reader
    }

    /// True when the bytes pushed so far end between two records with nothing held back, so
    /// that a [`RowReader::continuing`] reader fed the rest of the file emits exactly the rows
    /// this one would (lines shifted by `line() - 1`). Always false for a file read from
    /// another encoding than UTF-8 (a decoder may hold state across pieces), for a disabled
    /// reader and before the data starts.
    pub fn at_record_start(&self) -> bool {
        !self.disabled
            && self.decoder.is_utf8_started()
            && self.stage.at_record_start()
            && self.stage.line() >= self.mapper.data_start_line
    }

    /// Feeds the next chunk of the file; calls `out` for every complete record.
    pub fn push(&mut self, chunk: &[u8], out: &mut impl FnMut(RowOutcome)) {
        self.push_rows(chunk, &mut |r: RowRef<'_>| out(r.into_outcome()));
    }

    /// Signals the end of the file; emits the last record.
    pub fn finish(&mut self, out: &mut impl FnMut(RowOutcome)) {
        self.finish_rows(&mut |r: RowRef<'_>| out(r.into_outcome()));
    }

    /// [`RowReader::push`] without allocating per record: each row is lent to `out` as a
    /// [`RowRef`] (for passes that only count, check or keep a few rows).
    pub fn push_ref(&mut self, chunk: &[u8], out: &mut impl FnMut(&RowRef<'_>)) {
        self.push_rows(chunk, &mut |r: RowRef<'_>| out(&r));
    }

    /// [`RowReader::finish`] for [`RowReader::push_ref`].
    pub fn finish_ref(&mut self, out: &mut impl FnMut(&RowRef<'_>)) {
        self.finish_rows(&mut |r: RowRef<'_>| out(&r));
    }

    /// Both of the above: rows handed over by value, so that [`RowReader::push`] can keep
    /// the cells cleaning already copied instead of copying them again.
    fn push_rows(&mut self, chunk: &[u8], out: &mut impl FnMut(RowRef<'_>)) {
        if self.disabled {
            return;
        }
        let RowReader {
            decoder,
            stage,
            mapper,
            ..
        } = self;
        decoder.push(chunk, false, &mut |piece| {
            stage.push(piece, &mut |rec| {
                if let Some(r) = mapper.map_ref(rec) {
                    out(r)
                }
            })
        });
    }

    fn finish_rows(&mut self, out: &mut impl FnMut(RowRef<'_>)) {
        if self.disabled {
            return;
        }
        let RowReader {
            decoder,
            stage,
            mapper,
            ..
        } = self;
        let mut emit = |rec: &records::RawRecord<'_>| {
            if let Some(r) = mapper.map_ref(rec) {
                out(r)
            }
        };
        decoder.push(&[], true, &mut |piece| stage.push(piece, &mut emit));
        stage.finish(&mut emit);
    }

    /// The line the reader has reached (for progress).
    pub fn line(&self) -> u64 {
        self.stage.line()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn settings_parsing() {
        assert_eq!(parse_delimiter("auto"), Ok(None));
        assert_eq!(parse_delimiter(","), Ok(Some(b',')));
        assert_eq!(parse_delimiter("semicolon"), Ok(Some(b';')));
        assert_eq!(parse_delimiter("tab"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("\t"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("\\t"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("pipe"), Ok(Some(b'|')));
        assert!(parse_delimiter("x").is_err());
        assert_eq!(HeaderChoice::parse("true"), Some(HeaderChoice::Yes));
        for h in [None, Some(true), Some(false)] {
            assert_eq!(HeaderChoice::from_has_header(h).has_header(), h);
        }
        assert_eq!(HeaderChoice::parse("yes"), Some(HeaderChoice::Yes));
        assert_eq!(HeaderChoice::parse("no"), Some(HeaderChoice::No));
        assert_eq!(HeaderChoice::parse("false"), Some(HeaderChoice::No));
        assert_eq!(HeaderChoice::parse("auto"), Some(HeaderChoice::Auto));
        // Exactly the words the API has always accepted.
        for s in ["maybe", "", "1", "TRUE", " yes"] {
            assert_eq!(HeaderChoice::parse(s), None, "{s:?}");
        }
        assert_eq!(Target::parse("customer_group"), Some(Target::CustomerGroup));
        assert_eq!(
            serde_json::to_string(&Target::AcceptsMarketing).unwrap(),
            "\"accepts_marketing\""
        );
    }
}
