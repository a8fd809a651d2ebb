//! Validation of one customer record: the single set of rules that the browser, `intake
//! inspect` and the server (on every posted batch row) apply.
//!
//! "Parse, don't validate": an [`Email`] can only be built through [`Email::parse`], and a
//! [`CustomerDraft`] only through [`validate_row`]. Every problem is a
//! [`FieldError`](crate::api::FieldError) with a stable [`ErrorCode`] and a
//! human sentence naming the field.
//!
//! Invariant: every rule is here (or in a submodule: `email`, `consent`, `names`);
//! no caller validates a customer field by itself.

mod consent;
mod email;
mod names;
pub(crate) mod vocab;

use std::borrow::Cow;

use crate::api::{BatchRow, Consent, FieldError};
use crate::codes::ErrorCode;
use crate::codes::{Detail, ErrorParams};
use crate::customer::CustomerFields;
use crate::field::Field;
use crate::text::{clean_line, clean_note};

pub use consent::{
    CONSENT_NO, CONSENT_YES, consent_meaning, fold_consent, parse_consent, vocabulary_meaning,
};
pub use email::Email;
pub(crate) use email::invalid_email_why;
pub use names::{join_name, split_full_name};

/// Longest first or last name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest group name, in characters: the same bound as a group made through the API or
/// the CLI (an import's rows may name new groups).
pub const MAX_GROUP_CHARS: usize = 100;
/// Longest note, in bytes of UTF-8.
pub const MAX_NOTE_BYTES: usize = 65_535;
/// RFC 5321 limit of the local part, in octets.
pub const MAX_LOCAL_OCTETS: usize = 64;
/// RFC 5321 limit of a whole address (path minus the angle brackets), in octets.
pub const MAX_EMAIL_OCTETS: usize = 254;

fn err(field: Field, code: ErrorCode, message: String, params: Option<ErrorParams>) -> FieldError {
    FieldError {
        field,
        code,
        message,
        params,
    }
}

/// A validated customer, ready to store. Names are cleaned (trimmed, inner whitespace
/// collapsed, control characters removed, NFC); `full_name` is the first and last name
/// joined by a space; empty strings mean "not given". `fields.email` is the address's
/// display form and `email_key` its dedupe key, both from [`Email::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerDraft {
    pub line: u64,
    pub fields: CustomerFields<Option<bool>>,
    pub email_key: String,
    pub group: Option<String>,
}

/// The borrowed form of a draft, used on hot paths to avoid copying cells that are already
/// clean.
pub(crate) struct DraftRef<'a> {
    pub first_name: Cow<'a, str>,
    pub last_name: Cow<'a, str>,
    pub email: Email,
    pub note: Cow<'a, str>,
    pub accepts_marketing: Option<bool>,
    pub group: Option<Cow<'a, str>>,
}

#[inline]
fn check_chars(field: Field, label: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    // Fewer bytes than the limit: fewer characters too.
    if v.len() > max {
        check_char_count(field, label, v, max, errors);
    }
}

#[cold]
fn check_char_count(field: Field, label: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    let n = v.chars().count();
    if n > max {
        errors.push(err(
            field,
            ErrorCode::FieldTooLong,
            format!("{label} is too long: {n} characters, at most {max} are allowed."),
            Some(ErrorParams::length(max, n, Detail::Characters)),
        ));
    }
}

/// Whether the row's cells still need cleaning (a posted row) or were cleaned by the reader.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cells {
    Raw,
    Clean,
}

/// The cells of one row, borrowed: what [`validate_fields`] checks.
#[derive(Clone, Copy, Default)]
pub(crate) struct FieldsRef<'r> {
    pub first_name: Option<&'r str>,
    pub last_name: Option<&'r str>,
    pub email: Option<&'r str>,
    pub note: Option<&'r str>,
    pub accepts_marketing: Option<&'r Consent>,
    pub group: Option<&'r str>,
}

/// The checked, normalised cells (the email's key is in the caller's buffer).
pub(crate) struct Checked<'r> {
    pub first_name: Cow<'r, str>,
    pub last_name: Cow<'r, str>,
    /// The email's display form when it differs from its key.
    pub display: Option<String>,
    pub note: Cow<'r, str>,
    pub accepts_marketing: Option<bool>,
    pub group: Option<Cow<'r, str>>,
}

/// The one implementation of the row rules. Appends every problem to `errors` (the email's
/// first) and returns the normalised cells when there is none; the email's key is written to
/// `key`. The reader calls it with buffers it reuses, so a clean row allocates nothing.
pub(crate) fn validate_fields<'r>(
    row: FieldsRef<'r>,
    cells: Cells,
    key: &mut String,
    errors: &mut Vec<FieldError>,
) -> Option<Checked<'r>> {
    // Closures, not fn pointers: the reader's (clean) case inlines to nothing.
    let line = |s: &'r str| match cells {
        Cells::Raw => clean_line(s),
        Cells::Clean => Cow::Borrowed(s),
    };
    let note_fn = |s: &'r str| match cells {
        Cells::Raw => clean_note(s),
        Cells::Clean => Cow::Borrowed(s),
    };
    let base = errors.len();
    let display = match row.email {
        None => Err(err(
            Field::Email,
            ErrorCode::MissingEmail,
            "Email is required, but this row has none.".into(),
            None,
        )),
        Some(e) if cells == Cells::Clean => Email::parse_into(e, key),
        Some(e) => Email::parse_into(&clean_line(e), key),
    };
    let display = display.map_err(|e| errors.push(e)).ok();
    let first_name = row.first_name.map(line).unwrap_or_default();
    let last_name = row.last_name.map(line).unwrap_or_default();
    check_chars(
        Field::FirstName,
        "First name",
        &first_name,
        MAX_NAME_CHARS,
        errors,
    );
    check_chars(
        Field::LastName,
        "Last name",
        &last_name,
        MAX_NAME_CHARS,
        errors,
    );
    let note = row.note.map(note_fn).unwrap_or_default();
    if note.len() > MAX_NOTE_BYTES {
        errors.push(err(
            Field::Note,
            ErrorCode::FieldTooLong,
            format!(
                "Note is too long: {} bytes, at most {MAX_NOTE_BYTES} are allowed.",
                note.len()
            ),
            Some(ErrorParams::length(
                MAX_NOTE_BYTES,
                note.len(),
                Detail::Bytes,
            )),
        ));
    }
    let consent = match row.accepts_marketing {
        None => None,
        Some(Consent::Bool(b)) => Some(*b),
        Some(Consent::Text(t)) => parse_consent(t).unwrap_or_else(|e| {
            errors.push(e);
            None
        }),
    };
    let group = row.group.map(line).filter(|g| !g.is_empty());
    if let Some(g) = &group {
        check_chars(Field::Group, "Group", g, MAX_GROUP_CHARS, errors);
    }
    if errors.len() > base {
        return None;
    }
    Some(Checked {
        first_name,
        last_name,
        display: display?,
        note,
        accepts_marketing: consent,
        group,
    })
}

pub(crate) fn validate_ref(row: &BatchRow, cells: Cells) -> Result<DraftRef<'_>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut key = String::new();
    let fields = FieldsRef {
        first_name: row.first_name.as_deref(),
        last_name: row.last_name.as_deref(),
        email: row.email.as_deref(),
        note: row.note.as_deref(),
        accepts_marketing: row.accepts_marketing.as_ref(),
        group: row.group.as_deref(),
    };
    match validate_fields(fields, cells, &mut key, &mut errors) {
        Some(c) => Ok(DraftRef {
            first_name: c.first_name,
            last_name: c.last_name,
            email: Email {
                display: c.display,
                key,
            },
            note: c.note,
            accepts_marketing: c.accepts_marketing,
            group: c.group,
        }),
        None => Err(errors),
    }
}

/// Validates and normalises one posted row into a [`CustomerDraft`], or returns every
/// problem found (each with its field, code and message).
pub fn validate_row(row: &BatchRow) -> Result<CustomerDraft, Vec<FieldError>> {
    let d = validate_ref(row, Cells::Raw)?;
    let full_name = join_name(&d.first_name, &d.last_name);
    let (email, email_key) = d.email.into_parts();
    Ok(CustomerDraft {
        line: row.line,
        fields: CustomerFields {
            first_name: d.first_name.into_owned(),
            last_name: d.last_name.into_owned(),
            full_name,
            email,
            note: d.note.into_owned(),
            accepts_marketing: d.accepts_marketing,
        },
        email_key,
        group: d.group.map(Cow::into_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn validate_row_normalises() {
        let row = BatchRow {
            line: 3,
            first_name: Some("  Ivan\u{0} ".into()),
            last_name: Some("Petrov".into()),
            email: Some(" IVAN@X.BG".into()),
            note: Some("a\r\nb\u{0}".into()),
            accepts_marketing: Some(Consent::Text("да".into())),
            group: Some("  VIP  ".into()),
        };
        let d = validate_row(&row).unwrap();
        assert_eq!(d.line, 3);
        assert_eq!(d.fields.first_name, "Ivan");
        assert_eq!(d.fields.full_name, "Ivan Petrov");
        assert_eq!(d.fields.email, "ivan@x.bg");
        assert_eq!(d.email_key, "ivan@x.bg");
        assert_eq!(d.fields.note, "a\nb");
        assert_eq!(d.fields.accepts_marketing, Some(true));
        assert_eq!(d.group.as_deref(), Some("VIP"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_group_named_by_a_row_has_the_api_bound() {
        let row = |group: String| BatchRow {
            line: 2,
            email: Some("a@b.bg".into()),
            group: Some(group),
            ..Default::default()
        };
        let fits = validate_row(&row("я".repeat(100))).unwrap();
        assert_eq!(fits.group.map(|g| g.chars().count()), Some(100));
        let errs = validate_row(&row("я".repeat(101))).unwrap_err();
        assert_eq!(
            errs.iter()
                .map(|e| (e.field.as_str(), e.code.as_str()))
                .collect::<Vec<_>>(),
            [("group", "field_too_long")]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn validate_row_reports_every_problem() {
        let row = BatchRow {
            line: 9,
            first_name: Some("x".repeat(300)),
            accepts_marketing: Some(Consent::Text("maybe".into())),
            ..Default::default()
        };
        let errs = validate_row(&row).unwrap_err();
        let codes: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("email", "missing_email"),
                ("first_name", "field_too_long"),
                ("accepts_marketing", "invalid_accepts_marketing")
            ]
        );
    }
}
