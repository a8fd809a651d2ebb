//! Storage: the only module with SQL. One [`Storage`] interface, two implementations
//! (SQLite, the embedded default, and PostgreSQL) generated from one body by
//! [`impl_storage!`], with the few engine-specific pieces (how a write transaction starts,
//! how a job is claimed) supplied by each engine module.
//!
//! Queries are checked at run time (`sqlx::query`), because the compile-time macros can only
//! check against one database. `$N` placeholders work in both engines.

#[macro_use]
mod common;
pub mod model;
mod postgres;
mod search_index;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{
    Customer, CustomerFilter, CustomerSort, Group, Id, Import, ImportStatus, Job, Page, TokenInfo,
    User,
};

pub use model::*;

use crate::ingest::plan::Undo;
pub use postgres::{PgStorage, lane_of};
pub use search_index::CHUNK as SEARCH_INDEX_CHUNK;
pub use sqlite::SqliteStorage;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StorageError {
    /// A unique-index violation becomes this conflict: a concurrent writer got there
    /// between our check and our write (PostgreSQL's read committed lets that happen).
    fn unique_violation_as(self, conflict: impl FnOnce() -> String) -> Self {
        match &self {
            StorageError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StorageError::Conflict(conflict())
            }
            _ => self,
        }
    }
}

/// A stored enum parsed strictly: a value that is none of its variants is a
/// [`StorageError::Corrupt`] naming the table, row and column, and is logged (a silent
/// default would hide the damage and act on a guess).
fn parse_stored<T>(
    parse: impl FnOnce(&str) -> Option<T>,
    table: &'static str,
    id: Id,
    column: &'static str,
    value: &str,
) -> Result<T> {
    parse(value).ok_or_else(|| {
        tracing::error!(table, id, column, value, "a stored value is not valid");
        StorageError::Corrupt(format!("{table} row {id}: {column} {value:?} is not valid"))
    })
}

/// Which engine a database URL names.
pub async fn connect(database_url: &str) -> anyhow::Result<std::sync::Arc<dyn Storage>> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PgStorage::connect(database_url).await?))
    } else {
        Ok(std::sync::Arc::new(
            SqliteStorage::connect(database_url).await?,
        ))
    }
}

/// Everything Intake keeps. Implemented once per database engine.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn engine(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;

    // ---- users, sessions, tokens ----
    async fn count_users(&self) -> Result<i64>;
    async fn create_user(&self, username: &str, password_hash: &str) -> Result<User>;
    async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The session's user and CSRF token, if the session exists and has not expired.
    async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn create_token(&self, user_id: Id, name: &str, token_hash: &str) -> Result<TokenInfo>;
    async fn list_tokens(&self, user_id: Id) -> Result<Vec<TokenInfo>>;
    async fn delete_token(&self, user_id: Id, id: Id) -> Result<()>;
    async fn token_user(&self, token_hash: &str) -> Result<Option<User>>;

    // ---- groups ----
    async fn list_groups(&self) -> Result<Vec<Group>>;
    async fn get_group(&self, id: Id) -> Result<Group>;
    async fn create_group(&self, name: &str) -> Result<Group>;
    async fn rename_group(&self, id: Id, name: &str) -> Result<Group>;
    async fn delete_group(&self, id: Id, reassign_to: Option<Id>) -> Result<()>;
    async fn default_group_id(&self) -> Result<Id>;

    // ---- customers ----
    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        sort: CustomerSort,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Customer>>;
    /// The lowest and highest customer id and the number of customers (None without
    /// customers): the span the export's pages divide into id ranges.
    async fn customer_id_span(&self) -> Result<Option<(Id, Id, i64)>>;
    /// Up to `limit` matching customers with ids in `after_id + 1..=up_to`, in id order,
    /// with the export's columns: the export's pages (id ranges or keyset, so memory stays
    /// flat however many match).
    async fn export_page(
        &self,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> Result<Vec<ExportRow>>;
    async fn get_customer(&self, id: Id) -> Result<Customer>;
    async fn create_customer(&self, values: &CustomerValues) -> Result<Customer>;
    async fn update_customer(&self, id: Id, values: &CustomerValues) -> Result<Customer>;
    async fn delete_customer(&self, id: Id) -> Result<()>;

    // ---- imports ----
    async fn create_import(
        &self,
        file_name: &str,
        group_id: Id,
        on_duplicate: shared::api::OnDuplicate,
        settings: &str,
        source_path: Option<&str>,
        status: ImportStatus,
    ) -> Result<Import>;
    async fn get_import(&self, id: Id) -> Result<Import>;
    async fn list_imports(&self, page: i64, per_page: i64) -> Result<Page<Import>>;
    async fn put_batch(
        &self,
        import_id: Id,
        batch: &NewBatch,
        expected: ImportStatus,
    ) -> Result<PutBatch>;
    async fn commit_import(
        &self,
        import_id: Id,
        batch_count: i64,
        row_count: i64,
    ) -> Result<CommitOutcome>;
    /// Cancel: at once when not running, at the next batch boundary when running.
    async fn cancel_import(&self, import_id: Id) -> Result<Import>;
    /// Queue an undo job for a completed import.
    async fn request_undo(&self, import_id: Id) -> Result<Import>;
    async fn error_report(
        &self,
        import_id: Id,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ErrorReportRow)>>;

    // ---- the queue ----
    async fn list_jobs(
        &self,
        status: Option<ImportStatus>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Job>, i64)>;
    /// Expire every lease at start-up (SQLite: one server per database file).
    async fn release_all_leases(&self) -> Result<()>;
    async fn claim_job(&self, owner: &str, lease_secs: i64) -> Result<Option<ClaimedJob>>;
    /// Extend the lease; false when another worker has taken the job over.
    async fn heartbeat(&self, job_id: Id, owner: &str, lease_secs: i64) -> Result<bool>;
    /// The next batches not yet applied, in order: the first one, and the ones after it
    /// while their rows together stay within `max_rows`.
    async fn next_pending_batches(&self, import_id: Id, max_rows: i64)
    -> Result<Vec<PendingBatch>>;
    /// Apply these batches in one transaction: customers written, batches marked done,
    /// counts added, lease extended. One transaction for many rows is what makes a large
    /// import fast: each index page a transaction changes is written once per transaction.
    /// Returns None when the lease was lost (nothing written).
    async fn apply_batches(
        &self,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> Result<Option<Applied>>;
    /// Reverse up to `limit` changes of an import; returns how many were reversed.
    async fn undo_chunk(&self, job: &ClaimedJob, owner: &str, limit: i64) -> Result<i64>;
    async fn cancel_requested(&self, import_id: Id) -> Result<bool>;
    /// Record the received row count of a server-parsed CSV import.
    async fn set_received(&self, import_id: Id, received: i64, batch_count: i64) -> Result<()>;
    /// End a job (and its import). False, writing nothing, when the lease was lost.
    async fn finish_job(
        &self,
        job: &ClaimedJob,
        import_status: ImportStatus,
        error: Option<&str>,
    ) -> Result<bool>;
    /// A failed attempt: record its error and release the lease, so that the job is claimed
    /// again (and counted as another attempt) once `delay_secs` have passed.
    async fn retry_job(&self, job: &ClaimedJob, error: &str, delay_secs: f64) -> Result<bool>;
}

const CUSTOMER_COLUMNS: &str = "c.id, c.first_name, c.last_name, c.full_name, c.email, c.note, \
    c.accepts_marketing, c.group_id, g.name AS group_name, c.import_id, c.created_at, c.updated_at";

const IMPORT_COLUMNS: &str = "id, file_name, status, group_id, on_duplicate, received, processed, \
    created, updated, skipped, failed, created_at, started_at, finished_at, error";

/// `q` as a LIKE pattern over `search_text`: lower-cased, wildcards escaped.
fn like_pattern(q: &Option<String>) -> Option<String> {
    let q = q.as_deref()?.trim();
    if q.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for ch in q.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    Some(p)
}

fn order_by(sort: CustomerSort) -> &'static str {
    match sort {
        CustomerSort::CreatedAt => "c.created_at ASC, c.id ASC",
        CustomerSort::CreatedAtDesc => "c.created_at DESC, c.id DESC",
        CustomerSort::Email => "c.email_key ASC, c.id ASC",
        CustomerSort::LastName => "c.last_name ASC, c.first_name ASC, c.id ASC",
    }
}

/// Lower-case key under which group names are unique.
pub fn group_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The progress of a job, from its import's counts.
fn progress(status: ImportStatus, received: i64, processed: i64) -> f64 {
    match status {
        ImportStatus::Completed | ImportStatus::Undone => 1.0,
        _ if received > 0 => (processed as f64 / received as f64).clamp(0.0, 1.0),
        _ => 0.0,
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    first_name: String,
    last_name: String,
    full_name: String,
    email: String,
    note: String,
    accepts_marketing: bool,
    group_id: i64,
    group_name: String,
    import_id: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            full_name: r.full_name,
            email: r.email,
            note: r.note,
            accepts_marketing: r.accepts_marketing,
            group_id: r.group_id,
            group_name: r.group_name,
            import_id: r.import_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: i64,
    file_name: String,
    status: String,
    group_id: i64,
    on_duplicate: String,
    received: i64,
    processed: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    failed: i64,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

impl ImportRow {
    fn into_import(self) -> Result<Import> {
        Ok(Import {
            id: self.id,
            status: parse_stored(
                ImportStatus::parse,
                "imports",
                self.id,
                "status",
                &self.status,
            )?,
            on_duplicate: parse_stored(
                shared::api::OnDuplicate::parse,
                "imports",
                self.id,
                "on_duplicate",
                &self.on_duplicate,
            )?,
            file_name: self.file_name,
            group_id: self.group_id,
            counts: shared::api::ImportCounts {
                received: self.received,
                processed: self.processed,
                created: self.created,
                updated: self.updated,
                skipped: self.skipped,
                failed: self.failed,
            },
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error,
        })
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    import_id: i64,
    status: String,
    attempts: i64,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
    received: i64,
    processed: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    failed: i64,
}

impl TryFrom<JobRow> for Job {
    type Error = StorageError;

    fn try_from(r: JobRow) -> Result<Self> {
        let status = parse_stored(ImportStatus::parse, "jobs", r.id, "status", &r.status)?;
        parse_stored(JobKind::parse, "jobs", r.id, "kind", &r.kind)?;
        Ok(Job {
            id: r.id,
            kind: r.kind,
            import_id: r.import_id,
            status,
            progress: progress(status, r.received, r.processed),
            counts: shared::api::ImportCounts {
                received: r.received,
                processed: r.processed,
                created: r.created,
                updated: r.updated,
                skipped: r.skipped,
                failed: r.failed,
            },
            attempts: r.attempts,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            error: r.error,
        })
    }
}

/// An undo record as `import_changes` keeps it: a run of consecutive customer ids an
/// import created (`"created"`, `first_id..=last_id`, no snapshot) or one customer it
/// updated (`"updated"`, its values before, as JSON).
struct ImportChange {
    first_id: Id,
    last_id: Option<Id>,
    action: &'static str,
    previous: Option<String>,
}

impl ImportChange {
    fn rows(undo: &[Undo]) -> Result<Vec<Self>> {
        undo.iter()
            .map(|u| {
                Ok(match u {
                    Undo::Created { first, last } => Self {
                        first_id: *first,
                        last_id: Some(*last),
                        action: "created",
                        previous: None,
                    },
                    Undo::Updated { id, before } => Self {
                        first_id: *id,
                        last_id: None,
                        action: "updated",
                        previous: Some(
                            serde_json::to_string(before)
                                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
                        ),
                    },
                })
            })
            .collect()
    }
}

/// A group with its customer count, from the counters kept by triggers (on PostgreSQL a
/// row per lane, summed); each caller adds its `WHERE` / `ORDER BY`.
const GROUP_COLUMNS_SQL: &str = "SELECT g.id, g.name, CAST(COALESCE(cc.n, 0) AS BIGINT) AS customer_count \
    FROM customer_groups g LEFT JOIN (SELECT group_id, SUM(n) AS n FROM customer_counts GROUP BY group_id) cc \
    ON cc.group_id = g.id";

/// The columns of [`ExistingCustomer`], to which each engine adds its `WHERE`.
const EXISTING_CUSTOMERS_SQL: &str = "SELECT id, email_key, first_name, last_name, full_name, \
    email, note, accepts_marketing, group_id, import_id FROM customers";

#[derive(sqlx::FromRow)]
struct ExistingCustomer {
    id: i64,
    email_key: String,
    #[sqlx(flatten)]
    values: CustomerSnapshot,
}

/// How many rows go into one multi-row INSERT (12 parameters a row stays far below both
/// engines' parameter limits).
const INSERT_CHUNK: usize = 400;

/// An export page from the JSON array the database built of it: `[id, first_name,
/// last_name, email, note, accepts_marketing (0/1), group_id, created_at (RFC 3339)]` per
/// customer (SQLite). One result row per page rather than one per customer: sqlx passes
/// SQLite's rows from its thread one at a time, which cost more than everything else the
/// export does. (On PostgreSQL building the JSON cost more than it saved.)
fn export_rows_from_json(json: &str) -> Result<Vec<ExportRow>> {
    type Cells = (Id, String, String, String, String, i64, Id, String);
    let cells: Vec<Cells> = serde_json::from_str(json)
        .map_err(|e| StorageError::Corrupt(format!("export page: {e}")))?;
    let mut rows = cells
        .into_iter()
        .map(
            |(id, first_name, last_name, email, note, accepts, group_id, created)| {
                let created_at = DateTime::parse_from_rfc3339(&created)
                    .map_err(|e| StorageError::Corrupt(format!("created_at {created}: {e}")))?
                    .with_timezone(&Utc);
                Ok(ExportRow {
                    id,
                    first_name,
                    last_name,
                    email,
                    note,
                    accepts_marketing: accepts != 0,
                    group_id,
                    created_at,
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    // The aggregate keeps its subquery's order in practice; the export's keyset relies on it.
    rows.sort_unstable_by_key(|r| r.id);
    Ok(rows)
}

/// The ids `INSERT ... ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key` gave for
/// these rows, in the rows' order (the order of returned rows is not guaranteed), matched
/// back by email key: `None` for a row whose email a customer already had.
fn ids_in_order(rows: &[CustomerValues], returned: Vec<(Id, String)>) -> Vec<Option<Id>> {
    let by_key: std::collections::HashMap<String, Id> =
        returned.into_iter().map(|(id, k)| (k, id)).collect();
    rows.iter()
        .map(|v| by_key.get(&v.email_key).copied())
        .collect()
}

/// How many batches' rows are read and decoded ahead of the transaction applying them.
const BATCHES_READ_AHEAD: usize = 2;
/// At most this many batches are read for one transaction.
const MAX_BATCHES_PER_TRANSACTION: i64 = 64;
