//! PostgreSQL: one pool shared by reads and writes; several `intake serve` processes can
//! share the database and its queue (jobs are claimed with `FOR UPDATE SKIP LOCKED`).

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

pub struct PgStorage {
    read: PgPool,
    write: PgPool,
}

impl PgStorage {
    /// Appended to the read of an import row that a write transaction then changes.
    const LOCK_ROW: &'static str = " FOR UPDATE";
    /// Run first in each batch transaction: batches are applied one at a time across all
    /// workers and servers, so two imports inserting the same new email never collide
    /// (SQLite's single writer already does this).
    const BATCH_LOCK_SQL: &'static str = "SELECT pg_advisory_xact_lock(7461)";
    const ENGINE: &'static str = "postgres";
    const CLAIM_SQL: &'static str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
        lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3) \
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                    OR (status = 'running' AND lease_expires_at < $3) ORDER BY id LIMIT 1 \
                    FOR UPDATE SKIP LOCKED) \
        RETURNING id, kind, import_id, attempts, error";

    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A database that is away gets a clear 503 soon rather than a 30 s hang.
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            read: pool.clone(),
            write: pool,
        })
    }

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Postgres>> {
        self.write.begin().await
    }
}

impl_storage!(PgStorage, Postgres);
