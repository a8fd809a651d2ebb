//! Where SQLite and PostgreSQL differ, as one sealed trait of hooks ([`Engine`], implemented
//! by `sqlx::Sqlite` in `sqlite.rs` and `sqlx::Postgres` in `postgres.rs`), and the storage
//! that is generic over it ([`Store`]). Everything both engines share is written once in the
//! area modules (`accounts`, `groups`, `customers`, `imports`, `jobs`, `apply`) as
//! `impl<E> ... for Store<E>`; each of those blocks repeats the same `where` list of what
//! sqlx must provide for `E` (Rust does not carry such bounds over from a trait).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use shared::api::{CustomerFilter, Id};
use sqlx::query::{Query, QueryAs};
use sqlx::{Database, FromRow, Pool, QueryBuilder, Transaction};

use super::rows::{ExistingCustomer, ImportChange};
use super::search_index::SearchDemand;
use super::{Applied, ClaimedJob, CustomerUpdate, CustomerValues, ExportRow, PendingBatch, Result};

/// A write transaction of engine `E`.
pub type Tx<E> = Transaction<'static, E>;

/// Intake's storage on engine `E`: a read pool and a write pool (SQLite: one writer
/// connection; PostgreSQL: the same pool).
pub struct Store<E: Engine> {
    pub(super) read: Pool<E>,
    pub(super) write: Pool<E>,
    /// Write transactions waiting for a connection of `write` (see [`Store::writer_wanted`]).
    pub(super) write_waiting: AtomicUsize,
    /// When a text filter last ran (the search indexer's pace depends on it).
    pub(super) searches: Arc<SearchDemand>,
    /// Held while the storage lives: its background tasks (the search indexer; on SQLite
    /// also the checkpointer) stop once it is gone.
    pub(super) _alive: Option<Arc<()>>,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

/// What differs between the engines: the SQL fragments, how a write transaction starts, the
/// bulk statements of an import (multi-row `VALUES` on SQLite, one array per column on
/// PostgreSQL), how an export page is read and how a round of batches is applied.
pub trait Engine: Database + sealed::Sealed {
    /// `"sqlite"` or `"postgres"`.
    const NAME: &'static str;
    /// Appended to the read of an import row that a write transaction then changes.
    const LOCK_ROW: &'static str;
    /// Whether the import's job should stop before its next round.
    const CANCEL_REQUESTED_SQL: &'static str;
    /// The text filter through an index, when the engine has one.
    const TEXT_INDEX: Option<TextIndexSql>;
    /// Claims the next job: binds owner, lease end, now; returns the job's columns.
    const CLAIM_SQL: &'static str;

    /// After many customers were written or deleted at once (an import, an undo).
    fn after_bulk_change(write: &Pool<Self>) -> impl Future<Output = sqlx::Result<()>> + Send;

    /// How many rows a statement changed.
    fn rows_affected(done: &<Self as Database>::QueryResult) -> u64;

    fn begin_write(write: &Pool<Self>) -> impl Future<Output = sqlx::Result<Tx<Self>>> + Send;

    /// `qb.build_query_as()`: written per engine, where the concrete argument type lets
    /// the builder's borrow end with the query.
    fn built_as<'q, T>(
        qb: &'q mut QueryBuilder<'_, Self>,
    ) -> QueryAs<'q, Self, T, <Self as Database>::Arguments<'q>>
    where
        T: for<'r> FromRow<'r, <Self as Database>::Row>;

    /// `qb.build()`, as [`Engine::built_as`].
    fn built<'q>(
        qb: &'q mut QueryBuilder<'_, Self>,
    ) -> Query<'q, Self, <Self as Database>::Arguments<'q>>;

    /// Insert these customers, leaving out those whose email a customer already has; their
    /// ids in order (None for those left out). `ids`: the ids to give them (PostgreSQL's
    /// lanes), else the database's next ones.
    fn insert_customers(
        tx: &mut Tx<Self>,
        rows: &[CustomerValues],
        ids: Option<&[Id]>,
        import_id: Option<Id>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Option<Id>>>> + Send;

    /// The customers these email keys name.
    fn existing_customers(
        tx: &mut Tx<Self>,
        email_keys: &[&str],
    ) -> impl Future<Output = sqlx::Result<Vec<ExistingCustomer>>> + Send;

    /// Write these undo records.
    fn insert_changes(
        tx: &mut Tx<Self>,
        import_id: Id,
        changes: &[ImportChange],
    ) -> impl Future<Output = sqlx::Result<()>> + Send;

    /// Overwrite these customers.
    fn update_customers(
        tx: &mut Tx<Self>,
        rows: &[CustomerUpdate],
        now: DateTime<Utc>,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;

    /// An export page (see `Customers::export_page`).
    fn export_rows(
        store: &Store<Self>,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ExportRow>>> + Send;

    /// Apply a round of batches (see `Jobs::apply_batches`): one transaction on SQLite,
    /// lanes on PostgreSQL. None when the lease was lost.
    fn apply_round(
        store: &Store<Self>,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> impl Future<Output = Result<Option<Applied>>> + Send;
}

impl<E: Engine> Store<E> {
    pub(super) fn new(
        read: Pool<E>,
        write: Pool<E>,
        searches: Arc<SearchDemand>,
        alive: Option<Arc<()>>,
    ) -> Self {
        Self {
            read,
            write,
            write_waiting: AtomicUsize::new(0),
            searches,
            _alive: alive,
        }
    }

    pub(super) async fn begin_write(&self) -> sqlx::Result<Tx<E>> {
        self.write_waiting.fetch_add(1, Ordering::Relaxed);
        let _waited = Waiting(&self.write_waiting);
        E::begin_write(&self.write).await
    }

    /// Whether another write transaction waits for the writer. SQLite has one: a round of
    /// an import (up to `--rows-per-transaction` rows, a second or more) then ends at its
    /// next batch, so that a batch upload or an edit waits for one batch, not the round.
    pub(super) fn writer_wanted(&self) -> bool {
        self.write_waiting.load(Ordering::Relaxed) > 0
    }
}

/// Counts a wait for the writer until dropped (also when the wait is cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A text filter through an index, as `c.id IN (<index> [range on index_id AND] search_text
/// LIKE p <tail> [range on id AND] <tail_condition> AND search_text LIKE p)`: the id range, when a statement
/// has one (an export page), goes inside both parts, so that each page reads only its own
/// part of the index and of the unindexed customers (a filtered export of a million
/// customers is 500 pages; without it each page read every match and the whole tail).
pub struct TextIndexSql {
    /// The index's select, up to its WHERE (which the range and the pattern follow).
    pub index: &'static str,
    /// The index's name for the customer id.
    pub index_id: &'static str,
    /// The rest: customers not yet in the index, up to its WHERE ...
    pub tail: &'static str,
    /// ... its name for the customer id ...
    pub tail_id: &'static str,
    /// ... and its condition. The range goes before it: SQLite's planner takes the first
    /// lower bound on the id for its range scan (after it, each page of a filtered
    /// export scanned the whole unindexed tail: 0.85 s instead of 0.06 s for 110 pages).
    pub tail_condition: &'static str,
}
