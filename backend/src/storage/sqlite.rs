//! SQLite: WAL, a busy timeout, one writer connection (every write transaction starts with
//! `BEGIN IMMEDIATE`, so a read-then-write never fails with SQLITE_BUSY) and a read pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqlitePool};

pub struct SqliteStorage {
    read: SqlitePool,
    write: SqlitePool,
    /// Held while the storage lives; the WAL checkpointer stops when it is gone.
    _alive: std::sync::Arc<()>,
}

/// The write-ahead log size above which it is checkpointed and truncated.
const WAL_LIMIT_BYTES: u64 = 32 << 20;
/// How often the write-ahead log's size is looked at.
const WAL_CHECK_EVERY: Duration = Duration::from_millis(500);

/// Keeps the write-ahead log short. SQLite's automatic checkpoints copy the log into the
/// database but can only start the log over when no reader is using it; with reads always
/// running (a busy admin panel) during a long import the log grows by hundreds of MB, and
/// every read gets slower as it searches a longer log. A `TRUNCATE` checkpoint waits for
/// the readers of older snapshots to finish (new readers go on) and then starts it over.
fn spawn_wal_checkpointer(write: SqlitePool, wal: std::path::PathBuf, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WAL_CHECK_EVERY);
        while alive.strong_count() > 0 {
            tick.tick().await;
            let size = tokio::fs::metadata(&wal).await.map_or(0, |m| m.len());
            if size > WAL_LIMIT_BYTES
                && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&write)
                    .await
            {
                tracing::warn!(error = %e, "checkpointing the write-ahead log failed");
            }
        }
    });
}

impl SqliteStorage {
    /// Appended to the read of an import row that a write transaction then changes.
    const LOCK_ROW: &'static str = "";
    /// Run first in each batch transaction: batches are applied one at a time across all
    /// workers and servers, so two imports inserting the same new email never collide
    /// (SQLite's single writer already does this).
    const BATCH_LOCK_SQL: &'static str = "";
    const ENGINE: &'static str = "sqlite";
    /// The text filter through the trigram index (migration 0003), closed by `)`.
    const TEXT_INDEX_SQL: Option<&'static str> =
        Some("c.id IN (SELECT rowid FROM customers_search WHERE search_text LIKE ");
    const CLAIM_SQL: &'static str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
        lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3) \
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                    OR (status = 'running' AND lease_expires_at < $3) ORDER BY id LIMIT 1) \
        RETURNING id, kind, import_id, attempts, error";

    pub async fn connect(url: &str) -> anyhow::Result<Self> {
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // SQLite itself rolls a transaction back on some errors (SQLITE_FULL: disk full);
            // sqlx's own ROLLBACK then fails and the connection stays marked as inside a
            // transaction, refusing every later BEGIN. Such a connection is replaced.
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        let wal = {
            let mut name = options.get_filename().as_os_str().to_owned();
            name.push("-wal");
            std::path::PathBuf::from(name)
        };
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        let alive = std::sync::Arc::new(());
        spawn_wal_checkpointer(write.clone(), wal, std::sync::Arc::downgrade(&alive));
        Ok(Self {
            read,
            write,
            _alive: alive,
        })
    }

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Sqlite>> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    /// Overwrite these customers with one `UPDATE ... FROM (VALUES ...)` per chunk.
    async fn update_customers(
        tx: &mut sqlx::Transaction<'static, Sqlite>,
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
                    .push_bind(v.first_name.clone())
                    .push_bind(v.last_name.clone())
                    .push_bind(v.full_name.clone())
                    .push_bind(v.email.clone())
                    .push_bind(v.email_key.clone())
                    .push_bind(v.note.clone())
                    .push_bind(v.accepts_marketing)
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

impl_storage!(SqliteStorage, Sqlite);
