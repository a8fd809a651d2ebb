//! The values storage takes and gives besides `shared::api`'s types and the import's own
//! records (those are the domain's: `crate::ingest::records`, re-exported by `storage`):
//! what storing or committing did, a claimed job, a pending batch, what applying did, a row
//! of the error report and of an export. The API and the queue build and read them; none
//! crosses HTTP (the API answers with `shared::api` types). The database's own row shapes
//! stay private to the storage modules.

use shared::api::{Id, ImportStatus, OnDuplicate};
use shared::export::ExportRecord;

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
    pub message: String,
}

/// A customer as the export writes it: its id (the export pages by id), its cells, and
/// its group as an id (the export names it from a map of the groups).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub id: Id,
    pub group_id: Id,
    pub record: ExportRecord,
}
