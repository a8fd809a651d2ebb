//! One record to one row: pick the mapped cells, clean, split a full name, parse consent and
//! validate (the hot loop of every import). Invariant: cells that cleaning leaves unchanged
//! are borrowed, never copied.

use std::borrow::Cow;

use super::{RowRef, Target, ferr, records};
use crate::api::{Consent, Detail, ErrorCode, ErrorParams, Field, FieldError};
use crate::rules::{Cells, FieldsRef, parse_consent, split_full_name, validate_fields};
use crate::text::{clean_line, clean_note, unneutralise};

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
pub(super) struct Mapper {
    pub(super) data_start_line: u64,
    pub(super) columns: usize,
    /// Column of each target (first column mapped to it), by `Target::index`.
    pub(super) col_of: [Option<usize>; 7],
    pub(super) max_field_bytes: usize,
    pub(super) max_columns: usize,
    /// Reused per record: the row's errors and its email key.
    pub(super) errors: Vec<FieldError>,
    pub(super) key: String,
    /// The user's value mapping (its consent part is applied here).
    pub(super) values: super::ValueMap,
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
        if let Some(e) = errors.last_mut() {
            e.params = Some(ErrorParams {
                limit: Some(m.max_field_bytes as u64),
                detail: Some(Detail::Cut),
                ..ErrorParams::default()
            });
        }
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
    pub(super) fn map_ref<'a>(&'a mut self, rec: &records::RawRecord<'a>) -> Option<RowRef<'a>> {
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
            if let Some(e) = errors.last_mut() {
                e.params = Some(ErrorParams {
                    limit: Some(self.max_columns as u64),
                    ..ErrorParams::default()
                });
            }
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
            if let Some(e) = errors.last_mut() {
                e.params = Some(ErrorParams {
                    limit: Some(self.columns as u64),
                    actual: Some(rec.len() as u64),
                    ..ErrorParams::default()
                });
            }
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
        let consent_cell = cell(&cfg, rec, text, Target::AcceptsMarketing, errors);
        if let Some(c) = &consent_cell {
            let parsed = if self.values.accepts_marketing.0.is_empty() {
                parse_consent(c)
            } else {
                self.values.parse_consent(c)
            };
            match parsed {
                Ok(v) => accepts_marketing = v.map(Consent::Bool),
                Err(e) => {
                    errors.push(e);
                    accepts_marketing = Some(Consent::Text(clean_line(c).into_owned()));
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
            consent_cell,
            group,
            errors: &self.errors,
            email_key,
        })
    }
}

/// The problem of a record whose quote swallowed the lines after it (the one message that
/// names its own line, so a split check writes it again once the line is known).
pub(super) fn unbalanced_quote(line: u64) -> FieldError {
    let mut e = ferr(
        Field::Row,
        ErrorCode::UnbalancedQuote,
        format!(
            "Line {line} opens a quote (\") that is not closed where the row should end; the lines after it were read as rows of their own."
        ),
    );
    e.params = Some(ErrorParams {
        line: Some(line),
        ..ErrorParams::default()
    });
    e
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
