//! SQLite: WAL, a busy timeout, one writer connection (every write transaction starts with
//! `BEGIN IMMEDIATE`, so a read-then-write never fails with SQLITE_BUSY) and a read pool.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::api::{CustomerFilter, Id};
use shared::export::ExportRecord;
use sqlx::query::{Query, QueryAs};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Database, FromRow, Pool, QueryBuilder, Sqlite, SqlitePool};

use super::apply::{INSERT_CHUNK, ids_in_order};
use super::engine::{Engine, Store, Tx};
use super::rows::{EXISTING_CUSTOMERS_SQL, ExistingCustomer, ImportChange};
use super::{
    Applied, ClaimedJob, CustomerUpdate, CustomerValues, ExportRow, PendingBatch, Result,
    StorageError,
};

/// Intake's storage on SQLite (the WAL checkpointer and the search indexer stop once it is
/// dropped).
pub type SqliteStorage = Store<Sqlite>;

/// The write-ahead log size above which its frames are copied into the database.
const WAL_COPY_BYTES: u64 = 4 << 20;
/// The write-ahead log size above which it is also started over (truncated).
const WAL_LIMIT_BYTES: u64 = 128 << 20;
/// The writer connection's page cache, in KiB.
const WRITER_CACHE_KIB: u32 = 48 * 1024;
/// How often the write-ahead log's size is looked at.
const WAL_CHECK_EVERY: Duration = Duration::from_millis(100);

/// Checkpoints the write-ahead log on a connection of its own, beside the writer.
///
/// The writer does not checkpoint (`wal_autocheckpoint = 0`): SQLite would otherwise copy
/// the log into the database at the end of every large commit, while the writer waits. A
/// `PASSIVE` checkpoint here copies it at the same time as the writer goes on with its next
/// transaction, on the other core. The log starts over by itself once everything in it has
/// been copied and no reader still uses it; with reads always running (a busy admin panel)
/// that may not happen, so above [`WAL_LIMIT_BYTES`] a `TRUNCATE` checkpoint waits for the
/// readers of older snapshots (and holds the writer back meanwhile) and starts it over: a
/// long log makes every read slower.
fn spawn_wal_checkpointer(
    checkpointer: SqlitePool,
    wal: std::path::PathBuf,
    alive: std::sync::Weak<()>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WAL_CHECK_EVERY);
        while alive.strong_count() > 0 {
            tick.tick().await;
            let size = tokio::fs::metadata(&wal).await.map_or(0, |m| m.len());
            let mode = match size {
                s if s > WAL_LIMIT_BYTES => "TRUNCATE",
                s if s > WAL_COPY_BYTES => "PASSIVE",
                _ => continue,
            };
            if let Err(e) = sqlx::query(&format!("PRAGMA wal_checkpoint({mode})"))
                .execute(&checkpointer)
                .await
            {
                tracing::warn!(error = %e, "checkpointing the write-ahead log failed");
            }
        }
    });
}

impl SqliteStorage {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::open(url, true).await
    }

    /// Open (creating and migrating) the database; `search_indexer` starts the background
    /// search indexer (tests leave it off to drive [`Self::index_search`] themselves).
    pub async fn open(url: &str, search_indexer: bool) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        // The writer's page cache holds the index pages a large import transaction
        // changes (SQLite's default is 2 MB): with a small cache, pages are spilled to the
        // log and read back many times over within one transaction.
        let writer_options = options
            .clone()
            .pragma("cache_size", format!("-{}", WRITER_CACHE_KIB))
            // Statement journals (a multi-row insert keeps one, to undo just itself on a
            // constraint error) in memory rather than in temporary files.
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", "0");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // SQLite itself rolls a transaction back on some errors (SQLITE_FULL: disk full);
            // sqlx's own ROLLBACK then fails and the connection stays marked as inside a
            // transaction, refusing every later BEGIN. Such a connection is replaced.
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(writer_options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        let wal = {
            let mut name = options.get_filename().as_os_str().to_owned();
            name.push("-wal");
            std::path::PathBuf::from(name)
        };
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let alive = std::sync::Arc::new(());
        spawn_wal_checkpointer(checkpointer, wal, std::sync::Arc::downgrade(&alive));
        let searches = super::search_index::SearchDemand::new();
        if search_indexer {
            let alive = std::sync::Arc::downgrade(&alive);
            super::search_index::spawn(write.clone(), searches.clone(), alive);
        }
        Ok(Self::new(read, write, searches, Some(alive)))
    }

    /// Add up to `limit` customers not yet in the search index to it; returns how many.
    pub async fn index_search(&self, limit: i64) -> sqlx::Result<u64> {
        super::search_index::index_next(&self.write, limit).await
    }
}

impl Engine for Sqlite {
    /// No row locks: the single writer runs one write transaction at a time.
    const LOCK_ROW: &'static str = "";
    const NAME: &'static str = "sqlite";
    /// Whether the import's job should stop before its next round.
    const CANCEL_REQUESTED_SQL: &'static str = "SELECT cancel_requested FROM imports WHERE id = $1";
    /// The text filter through the trigram index (migrations 0003, 0005).
    const TEXT_INDEX: Option<super::engine::TextIndexSql> = Some(super::search_index::TEXT_INDEX);
    const CLAIM_SQL: &'static str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
        lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3) \
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                    OR (status = 'running' AND lease_expires_at < $3) ORDER BY id LIMIT 1) \
        RETURNING id, kind, import_id, attempts, error";

    /// Nothing: SQLite's indexes hold the rowid, so a list page never reads a table row
    /// to know whether it is visible.
    async fn after_bulk_change(_write: &Pool<Sqlite>) -> sqlx::Result<()> {
        Ok(())
    }

    fn rows_affected(done: &<Sqlite as Database>::QueryResult) -> u64 {
        done.rows_affected()
    }

    async fn begin_write(write: &Pool<Sqlite>) -> sqlx::Result<Tx<Sqlite>> {
        write.begin_with("BEGIN IMMEDIATE").await
    }

    fn built_as<'q, T>(
        qb: &'q mut QueryBuilder<'_, Sqlite>,
    ) -> QueryAs<'q, Sqlite, T, <Sqlite as Database>::Arguments<'q>>
    where
        T: for<'r> FromRow<'r, <Sqlite as Database>::Row>,
    {
        qb.build_query_as()
    }

    fn built<'q>(
        qb: &'q mut QueryBuilder<'_, Sqlite>,
    ) -> Query<'q, Sqlite, <Sqlite as Database>::Arguments<'q>> {
        qb.build()
    }

    /// An export page as one JSON array built by SQLite (see [`export_rows_from_json`]).
    async fn export_rows(
        store: &SqliteStorage,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> Result<Vec<ExportRow>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT json_group_array(json_array(id, first_name, last_name, email, note, \
             accepts_marketing, group_id, created_at)) FROM (",
        );
        SqliteStorage::push_export_page(&mut qb, filter, after_id, up_to, limit);
        qb.push(")");
        let (json,): (String,) = qb.build_query_as().fetch_one(&store.read).await?;
        crate::cpu::heavy(|| export_rows_from_json(&json))
    }

    /// A round of batches applied in one transaction (SQLite has one writer): the lease
    /// checked and extended, each pending batch written and marked applied, the import's
    /// counts added. The lease check and the writes share the transaction: a worker that
    /// lost its job writes nothing, so no batch is ever applied twice.
    async fn apply_round(
        store: &SqliteStorage,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> Result<Option<Applied>> {
        let mut tx = store.begin_write().await?;
        let now = Utc::now();
        if !SqliteStorage::renew_lease(&mut tx, job, owner, lease_secs, now).await? {
            return Ok(None);
        }
        let mut total = Applied::default();
        let mut groups = std::collections::HashMap::new();
        let (_reader, mut ahead) = store.read_ahead(job.import_id, batches);
        for batch in batches {
            let rows = ahead
                .recv()
                .await
                .ok_or_else(|| StorageError::Corrupt("the batch reader stopped".into()))??;
            // Only a batch still pending: the check shares the transaction.
            let done: Option<(bool,)> = sqlx::query_as(
                "SELECT processed FROM import_batches WHERE import_id = $1 AND seq = $2",
            )
            .bind(job.import_id)
            .bind(batch.seq)
            .fetch_optional(&mut *tx)
            .await?;
            if done != Some((false,)) {
                continue;
            }
            total += SqliteStorage::apply_batch_in(
                &mut tx,
                job,
                batch,
                0,
                &rows,
                None,
                &mut groups,
                now,
            )
            .await?;
            SqliteStorage::mark_batch_applied(&mut tx, job.import_id, batch.seq).await?;
            if store.writer_wanted() {
                // The rest of the round waits for the next one (see `writer_wanted`).
                break;
            }
        }
        SqliteStorage::add_counts(&mut tx, job.import_id, &total).await?;
        tx.commit().await?;
        Ok(Some(total))
    }

    /// Insert these customers with one multi-row `INSERT` per chunk, leaving out those whose
    /// email a customer already has; their ids in order (see [`ids_in_order`]). The ids
    /// are SQLite's to choose: only PostgreSQL's lanes give them (`ids`).
    async fn insert_customers(
        tx: &mut Tx<Sqlite>,
        rows: &[CustomerValues],
        ids: Option<&[Id]>,
        import_id: Option<Id>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Id>>> {
        if ids.is_some() {
            return Err(StorageError::Corrupt(
                "customer ids are given only by PostgreSQL's lanes".into(),
            ));
        }
        let mut new_ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO customers (first_name, last_name, full_name, email, email_key, \
                 note, accepts_marketing, group_id, import_id, search_text, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, v| {
                b.push_bind(v.fields.first_name.clone())
                    .push_bind(v.fields.last_name.clone())
                    .push_bind(v.fields.full_name.clone())
                    .push_bind(v.fields.email.clone())
                    .push_bind(v.email_key.clone())
                    .push_bind(v.fields.note.clone())
                    .push_bind(v.fields.accepts_marketing)
                    .push_bind(v.group_id)
                    .push_bind(import_id)
                    .push_bind(v.search_text())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key");
            let returned: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            new_ids.extend(ids_in_order(chunk, returned));
        }
        Ok(new_ids)
    }

    /// The customers these email keys name, with one `IN (...)` list per chunk.
    async fn existing_customers(
        tx: &mut Tx<Sqlite>,
        email_keys: &[&str],
    ) -> sqlx::Result<Vec<ExistingCustomer>> {
        let mut found = Vec::new();
        for chunk in email_keys.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(EXISTING_CUSTOMERS_SQL);
            qb.push(" WHERE email_key IN (");
            let mut sep = qb.separated(", ");
            for key in chunk {
                sep.push_bind(*key);
            }
            qb.push(")");
            found.extend(qb.build_query_as().fetch_all(&mut **tx).await?);
        }
        Ok(found)
    }

    /// Write these undo records with one multi-row `INSERT` per chunk.
    async fn insert_changes(
        tx: &mut Tx<Sqlite>,
        import_id: Id,
        changes: &[ImportChange],
    ) -> sqlx::Result<()> {
        for chunk in changes.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO import_changes (import_id, customer_id, last_customer_id, action, previous) ",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push_bind(import_id)
                    .push_bind(c.first_id)
                    .push_bind(c.last_id)
                    .push_bind(c.action)
                    .push_bind(c.previous.as_deref());
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Overwrite these customers with one `UPDATE ... FROM (VALUES ...)` per chunk.
    async fn update_customers(
        tx: &mut Tx<Sqlite>,
        rows: &[CustomerUpdate],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            // SQLite names the columns of a VALUES list column1, column2, ...
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "UPDATE customers SET first_name = v.column2, last_name = v.column3, \
                 full_name = v.column4, email = v.column5, email_key = v.column6, note = v.column7, \
                 accepts_marketing = v.column8, group_id = v.column9, search_text = v.column10, \
                 import_id = v.column11, updated_at = ",
            );
            qb.push_bind(now).push(" FROM (");
            qb.push_values(chunk, |mut b, u| {
                let v = &u.values;
                b.push_bind(u.id)
                    .push_bind(v.fields.first_name.clone())
                    .push_bind(v.fields.last_name.clone())
                    .push_bind(v.fields.full_name.clone())
                    .push_bind(v.fields.email.clone())
                    .push_bind(v.email_key.clone())
                    .push_bind(v.fields.note.clone())
                    .push_bind(v.fields.accepts_marketing)
                    .push_bind(v.group_id)
                    .push_bind(v.search_text())
                    .push_bind(u.import_id);
            });
            qb.push(") AS v WHERE customers.id = v.column1");
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

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
                    group_id,
                    record: ExportRecord {
                        first_name,
                        last_name,
                        email,
                        note,
                        accepts_marketing: accepts != 0,
                        created_at,
                    },
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    // The aggregate keeps its subquery's order in practice; the export's keyset relies on it.
    rows.sort_unstable_by_key(|r| r.id);
    Ok(rows)
}
