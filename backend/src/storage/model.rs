//! The values storage takes and gives besides `shared::api`'s types and the import's own
//! records (those are the domain's: `crate::ingest::records`, re-exported by `storage`):
//! what storing or committing did, a claimed job, a pending batch, what applying did, a row
//! of the error report and of an export. The API and the queue build and read them; none
//! crosses HTTP (the API answers with `shared::api` types). The database's own row shapes
//! stay private to the storage modules.

use shared::api::{ErrorCode, ErrorParams, Field, FieldError, Id, ImportStatus, OnDuplicate};
use shared::export::ExportRecord;
use shared::messages::Lang;

/// What storing a batch did.
#[derive(Debug, Clone, PartialEq)]
pub enum PutBatch {
    /// Newly stored.
    Stored,
    /// The same body was stored before: here is the answer given then.
    Replayed(String),
    /// This seq was stored with another body.
    BodyMismatch,
    /// The import no longer receives batches.
    NotReceiving(ImportStatus),
    NotFound,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommitOutcome {
    /// Queued; the import as the commit left it.
    Committed(Box<shared::api::Import>),
    /// Batches missing or rows not matching what the client says it sent.
    Incomplete {
        stored_batches: i64,
        stored_rows: i64,
    },
    NotReceiving(ImportStatus),
    NotFound,
}

/// Why a change to a group was refused (`StorageError::Group`).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRefusal {
    /// Another group has this name (compared case-insensitively).
    NameTaken(String),
    /// `Default` is where customers without a group go: it keeps its name and stays.
    IsDefault,
    /// Deleting without `reassign_to` a group that has customers.
    HasCustomers(i64),
    /// Deleting a group that an import not finished yet (receiving, queued or running)
    /// puts its customers into.
    ImportOpen { import_id: Id, status: ImportStatus },
    /// The group named (`reassign_to`, an import's or a customer's group) does not exist,
    /// or is the group being deleted.
    Unknown(Id),
}

impl std::fmt::Display for GroupRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NameTaken(name) => write!(f, "a group named {name} already exists"),
            Self::IsDefault => {
                f.write_str("the Default group keeps its name and cannot be deleted")
            }
            Self::HasCustomers(n) => write!(f, "the group has {n} customers"),
            Self::ImportOpen { import_id, status } => {
                write!(
                    f,
                    "import {import_id} ({}) targets the group",
                    status.as_str()
                )
            }
            Self::Unknown(id) => write!(f, "there is no group {id}"),
        }
    }
}

/// A queue job claimed by one worker, with the import settings it needs.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job_id: Id,
    pub kind: JobKind,
    pub import_id: Id,
    /// The worker holding the lease.
    pub owner: String,
    /// Counting this one.
    pub attempts: i64,
    /// What the previous attempt failed with, if it recorded anything.
    pub last_error: Option<String>,
    pub group_id: Id,
    pub on_duplicate: OnDuplicate,
    pub source_path: Option<String>,
    pub settings: String,
    /// Set once every batch is stored (server-parsed CSV: once the file is split).
    pub batch_count: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Import,
    Undo,
    /// The import applied and rolled back: its report, nothing else.
    DryRun,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::Undo => "undo",
            Self::DryRun => "dry_run",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "import" => Some(Self::Import),
            "undo" => Some(Self::Undo),
            "dry_run" => Some(Self::DryRun),
            _ => None,
        }
    }
}

/// One batch waiting to be applied (its rows are read when it is applied, one batch at a
/// time, so that a large transaction does not hold all of its rows in memory).
#[derive(Debug, Clone, Copy)]
pub struct PendingBatch {
    pub seq: i64,
    pub row_count: i64,
}

/// What applying a batch (or undoing a chunk) did; added to the import's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Applied) {
        self.processed += other.processed;
        self.created += other.created;
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// A row of an import's error report.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReportRow {
    pub line: i64,
    pub field: String,
    pub value: String,
    pub code: String,
    /// The English message.
    pub message: String,
    /// What the message says beyond the code (none for rows stored before params existed).
    pub params: Option<ErrorParams>,
}

impl ErrorReportRow {
    /// The message in `lang`; the English message as stored when the field or code is not
    /// one this build knows.
    pub fn message_in(&self, lang: Lang) -> String {
        match (Field::parse(&self.field), ErrorCode::parse(&self.code)) {
            (Some(field), Some(code)) => shared::messages::render(
                &FieldError {
                    field,
                    code,
                    message: self.message.clone(),
                    params: self.params.clone(),
                },
                lang,
            ),
            _ => self.message.clone(),
        }
    }
}

/// Parts the `message` column of `import_errors` holds: the English message, then (when the
/// error has params) this separator and the params as JSON. The report is written in the
/// reader's language from them, without a column of its own.
const PARAMS_SEPARATOR: char = '\u{1e}';

/// The `message` column for `e` (see [`PARAMS_SEPARATOR`]).
pub fn stored_message(e: &FieldError) -> String {
    let mut s = e.message.replace(PARAMS_SEPARATOR, "");
    if let Some(json) = e
        .params
        .as_ref()
        .and_then(|p| serde_json::to_string(p).ok())
    {
        s.push(PARAMS_SEPARATOR);
        s.push_str(&json);
    }
    s
}

/// The reverse of [`stored_message`]: the English message and the params, if any (params
/// that do not parse are dropped: the message alone still reads).
pub fn split_stored_message(column: &str) -> (String, Option<ErrorParams>) {
    match column.split_once(PARAMS_SEPARATOR) {
        Some((message, json)) => (message.to_owned(), serde_json::from_str(json).ok()),
        None => (column.to_owned(), None),
    }
}

/// A customer as the export writes it: its id (the export pages by id), its cells, and
/// its group as an id (the export names it from a map of the groups).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub id: Id,
    pub group_id: Id,
    pub record: ExportRecord,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_column_keeps_the_params() {
        let e = shared::import::DuplicateTracker::duplicate_error("ivan@x.bg", 7);
        let column = stored_message(&e);
        assert_eq!(
            split_stored_message(&column),
            (e.message.clone(), e.params.clone())
        );
        let bare = FieldError { params: None, ..e };
        assert_eq!(stored_message(&bare), bare.message);
        assert_eq!(
            split_stored_message(&bare.message),
            (bare.message.clone(), None)
        );
    }
}
