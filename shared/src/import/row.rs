//! The rows the reader hands out: owned [`RowOutcome`]s and borrowed [`RowRef`]s. Invariant:
//! a row is valid exactly when its errors are empty, and only a valid row has an email key.

use std::borrow::Cow;

use crate::api::{BatchRow, Consent, ErrorCode, Field, FieldError};

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

pub(super) fn ferr(field: Field, code: ErrorCode, message: String) -> FieldError {
    FieldError {
        field,
        code,
        message,
        params: None,
    }
}

/// One record mapped, normalised and validated, borrowing from the reader: the allocation-free
/// form of [`RowOutcome`] (see [`RowReader::push_ref`](super::RowReader::push_ref)). Cells
/// that cleaning left unchanged are borrowed from the file's bytes; the errors and the email
/// key from the reader's buffers.
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
    /// The consent cell as the file has it (for the check's distinct values).
    pub consent_cell: Option<Cow<'a, str>>,
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

    /// The owned [`RowOutcome`] (what [`RowReader::push`](super::RowReader::push) hands out),
    /// keeping the cells that are already owned.
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
