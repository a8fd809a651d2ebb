//! Storage: the only module with SQL. One [`Storage`] interface made of one trait per area
//! ([`Accounts`], [`Groups`], [`Customers`], [`Imports`], [`Jobs`], [`Outcomes`], [`DryRuns`]), each written once in
//! its module for both engines as `impl<E> ... for Store<E>`; where SQLite and PostgreSQL
//! differ (how a write transaction starts, how a job is claimed, the bulk statements of an
//! import, a round of batches) the sealed [`engine::Engine`] trait has a hook, implemented
//! in `sqlite.rs` and `postgres.rs`. Applying a batch runs what [`crate::ingest::plan`]
//! decides (`apply.rs`).
//!
//! Storage depends on `ingest` and never the other way: the import's plain records
//! (`StoredRow`, `NewBatch`, `CustomerValues`, ...) live in `crate::ingest::records` and are
//! re-exported here for storage's callers; the database's own row shapes (`rows.rs`) stay
//! private to this module.
//!
//! Queries are checked at run time (`sqlx::query`), because the compile-time macros can only
//! check against one database. `$N` placeholders work in both engines.

mod accounts;
mod apply;
mod customers;
mod dry_run;
mod engine;
mod groups;
mod imports;
mod jobs;
pub mod model;
mod outcomes;
mod postgres;
mod profiles;
mod rows;
mod search_index;
mod sqlite;
mod url;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::Id;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

/// The import's records are the domain's; storage takes and gives them.
pub use crate::ingest::records::{
    CustomerSnapshot, CustomerUpdate, CustomerValues, NewBatch, StoredError, StoredRow,
};
pub use accounts::{Accounts, TokenUser};
pub use customers::Customers;
pub use dry_run::{DryRuns, MAX_SAMPLES};
pub use engine::Store;
pub use groups::{Groups, group_key};
pub use imports::Imports;
pub use jobs::Jobs;
pub use model::*;
pub use outcomes::{OutcomeBatch, Outcomes};
pub use postgres::{PgStorage, lane_of};
pub use profiles::{ProfileMapping, Profiles};
pub use search_index::CHUNK as SEARCH_INDEX_CHUNK;
pub use sqlite::SqliteStorage;
pub use url::{DatabaseUrl, DatabaseUrlError};
pub use webhooks::{AttemptRecord, DueDelivery, Webhooks};

use engine::Engine;

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
    #[error("{0}")]
    Group(GroupRefusal),
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

/// Open the database a URL names, on its engine ([`DatabaseUrl`]); a URL of another
/// scheme is an error before anything is created.
pub async fn connect(database_url: &str) -> anyhow::Result<std::sync::Arc<dyn Storage>> {
    Ok(match DatabaseUrl::parse(database_url)? {
        DatabaseUrl::Postgres(url) => std::sync::Arc::new(PgStorage::connect(&url).await?),
        DatabaseUrl::Sqlite(url) => std::sync::Arc::new(SqliteStorage::connect(&url).await?),
    })
}

/// Everything Intake keeps: the union of the areas. Implemented once, for both engines.
#[async_trait]
pub trait Storage:
    Accounts
    + Groups
    + Customers
    + Imports
    + Jobs
    + Profiles
    + Webhooks
    + Outcomes
    + DryRuns
    + Send
    + Sync
    + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn engine(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// After an import or undo has changed many customers: let the engine catch up on
    /// what it would otherwise do later (see `Engine::after_bulk_change`).
    async fn after_bulk_change(&self) -> Result<()>;
}

#[async_trait]
impl<E> Storage for Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    fn engine(&self) -> &'static str {
        <E as Engine>::NAME
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn after_bulk_change(&self) -> Result<()> {
        Ok(E::after_bulk_change(&self.write).await?)
    }
}
