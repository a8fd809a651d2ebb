//! The queue: jobs claimed under a lease, their batches applied or their import undone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{Id, ImportStatus, Job, OnDuplicate, WebhookEvent};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::engine::{Engine, Store};
use super::{
    Applied, ClaimedJob, CustomerSnapshot, CustomerUpdate, JobKind, PendingBatch, Result,
    StorageError, parse_stored,
};

/// The progress of a job, from its import's counts.
fn progress(status: ImportStatus, received: i64, processed: i64) -> f64 {
    match status {
        ImportStatus::Completed | ImportStatus::Undone => 1.0,
        _ if received > 0 => (processed as f64 / received as f64).clamp(0.0, 1.0),
        _ => 0.0,
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
    file_name: String,
    started_by: Option<String>,
    result: Option<String>,
}

impl TryFrom<JobRow> for Job {
    type Error = StorageError;

    fn try_from(r: JobRow) -> Result<Self> {
        let status = parse_stored(ImportStatus::parse, "jobs", r.id, "status", &r.status)?;
        parse_stored(JobKind::parse, "jobs", r.id, "kind", &r.kind)?;
        let dry_run = r
            .result
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StorageError::Corrupt(format!("jobs row {}: result: {e}", r.id)))?;
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
            file_name: r.file_name,
            started_by: r.started_by,
            dry_run,
        })
    }
}

/// A job's columns with its import's, to which the caller adds its WHERE.
const JOB_SELECT: &str = "SELECT j.id, j.kind, j.import_id, j.status, j.attempts, j.created_at, \
    j.started_at, j.finished_at, j.error, i.received, i.processed, i.created, i.updated, \
    i.skipped, i.failed, i.file_name, i.started_by, j.result \
    FROM jobs j JOIN imports i ON i.id = j.import_id";

/// At most this many batches are read for one transaction.
const MAX_BATCHES_PER_TRANSACTION: i64 = 64;

/// The durable queue the workers take jobs from.
#[async_trait]
pub trait Jobs: Send + Sync {
    async fn list_jobs(
        &self,
        status: Option<ImportStatus>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Job>, i64)>;
    async fn get_job(&self, job_id: Id) -> Result<Job>;
    /// Expire every lease at start-up (SQLite: one server per database file).
    async fn release_all_leases(&self) -> Result<()>;
    /// Claim the next job (the lowest id queued, or running with its lease expired). A job
    /// whose stored values are corrupt (its kind, or its import's mode) cannot run: it is
    /// marked failed with the [`StorageError::Corrupt`] message, as is its import if that
    /// waits on it, and the claim moves on to the next job (claims take the lowest id, so
    /// one such row would otherwise stop every job behind it).
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

#[async_trait]
impl<E> Jobs for Store<E>
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
    async fn list_jobs(
        &self,
        status: Option<ImportStatus>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Job>, i64)> {
        let status = status.map(ImportStatus::as_str);
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE ($1 IS NULL OR status = $1)")
                .bind(status)
                .fetch_one(&self.read)
                .await?;
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{JOB_SELECT} WHERE ($1 IS NULL OR j.status = $1) ORDER BY j.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(status)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(&self.read)
        .await?;
        Ok((
            rows.into_iter().map(Job::try_from).collect::<Result<_>>()?,
            total,
        ))
    }

    async fn get_job(&self, job_id: Id) -> Result<Job> {
        let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_SELECT} WHERE j.id = $1"))
            .bind(job_id)
            .fetch_optional(&self.read)
            .await?;
        Job::try_from(row.ok_or(StorageError::NotFound)?)
    }

    async fn release_all_leases(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE status = 'running'")
            .bind(Utc::now() - chrono::Duration::seconds(1))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_job(&self, owner: &str, lease_secs: i64) -> Result<Option<ClaimedJob>> {
        loop {
            let mut tx = self.begin_write().await?;
            let now = Utc::now();
            let claimed = sqlx::query(E::CLAIM_SQL)
                .bind(owner)
                .bind(now + chrono::Duration::seconds(lease_secs))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(job) = claimed else { return Ok(None) };
            let job_id: i64 = job.get("id");
            let import_id: i64 = job.get("import_id");
            let attempts: i64 = job.get("attempts");
            let last_error: Option<String> = job.get("error");
            let kind = job.get::<String, _>("kind");
            let ready: Result<ClaimedJob> = async {
                let kind = parse_stored(JobKind::parse, "jobs", job_id, "kind", &kind)?;
                let import = sqlx::query("SELECT group_id, on_duplicate, source_path, settings, batch_count FROM imports WHERE id = $1")
                    .bind(import_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let on_duplicate = parse_stored(
                    OnDuplicate::parse,
                    "imports",
                    import_id,
                    "on_duplicate",
                    import.get::<String, _>("on_duplicate").as_str(),
                )?;
                if kind == JobKind::Import {
                    sqlx::query("UPDATE imports SET status = 'running', started_at = COALESCE(started_at, $1) WHERE id = $2 AND status = 'queued'")
                        .bind(now)
                        .bind(import_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(ClaimedJob {
                    job_id,
                    kind,
                    import_id,
                    owner: owner.to_owned(),
                    attempts,
                    last_error,
                    group_id: import.get("group_id"),
                    on_duplicate,
                    source_path: import.get("source_path"),
                    settings: import.get("settings"),
                    batch_count: import.get("batch_count"),
                })
            }
            .await;
            match ready {
                Ok(claimed) => {
                    tx.commit().await?;
                    return Ok(Some(claimed));
                }
                Err(corrupt @ StorageError::Corrupt(_)) => {
                    // Failed in the claim's own transaction, which then commits: the next
                    // round of the loop claims the job behind it.
                    let error = corrupt.to_string();
                    tracing::error!(
                        job_id,
                        import_id,
                        error,
                        "a job with a corrupt stored value cannot run: marked failed"
                    );
                    sqlx::query(
                        "UPDATE jobs SET status = 'failed', finished_at = $1, error = $2, \
                         lease_owner = NULL WHERE id = $3",
                    )
                    .bind(now)
                    .bind(&error)
                    .bind(job_id)
                    .execute(&mut *tx)
                    .await?;
                    // The import ends too if it waits on this job (an undo job's import
                    // has ended already and keeps its status).
                    let failed = sqlx::query(
                        "UPDATE imports SET status = 'failed', finished_at = $1, error = $2 \
                         WHERE id = $3 AND status IN ('queued', 'running')",
                    )
                    .bind(now)
                    .bind(&error)
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
                    if E::rows_affected(&failed) == 1 {
                        Self::enqueue_webhooks(&mut tx, WebhookEvent::ImportFailed, import_id)
                            .await?;
                    }
                    tx.commit().await?;
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn heartbeat(&self, job_id: Id, owner: &str, lease_secs: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
            .bind(Utc::now() + chrono::Duration::seconds(lease_secs))
            .bind(job_id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(E::rows_affected(&done) == 1)
    }

    async fn next_pending_batches(
        &self,
        import_id: Id,
        max_rows: i64,
    ) -> Result<Vec<PendingBatch>> {
        // Which batches fit, from their row counts alone. The partial index on pending
        // batches (migration 0004) finds them without reading the applied ones (SQLite
        // would walk each applied batch's rows).
        let pending: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, row_count FROM import_batches WHERE import_id = $1 AND processed = FALSE \
             ORDER BY seq LIMIT $2",
        )
        .bind(import_id)
        .bind(max_rows.clamp(1, MAX_BATCHES_PER_TRANSACTION))
        .fetch_all(&self.write)
        .await?;
        let mut rows_taken = 0;
        Ok(pending
            .into_iter()
            .take_while(|(_, row_count)| {
                let fits = rows_taken == 0 || rows_taken + row_count <= max_rows;
                rows_taken += row_count;
                fits
            })
            .map(|(seq, row_count)| PendingBatch { seq, row_count })
            .collect())
    }

    async fn apply_batches(
        &self,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> Result<Option<Applied>> {
        // SQLite: one transaction (its single writer); PostgreSQL: in lanes.
        E::apply_round(self, job, owner, lease_secs, batches).await
    }

    async fn undo_chunk(&self, job: &ClaimedJob, owner: &str, limit: i64) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let held: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(job.job_id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            return Ok(0);
        }
        let records = sqlx::query(
            "SELECT customer_id, last_customer_id, action, previous FROM import_changes \
             WHERE import_id = $1 ORDER BY customer_id LIMIT $2",
        )
        .bind(job.import_id)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let now = Utc::now();
        // A "created" record covers a run of ids: take records until `limit` customers.
        let mut rows = Vec::new();
        let mut customers: i64 = 0;
        for r in records {
            if customers >= limit {
                break;
            }
            let first: i64 = r.get("customer_id");
            customers += r
                .get::<Option<i64>, _>("last_customer_id")
                .map_or(1, |last| last - first + 1);
            rows.push(r);
        }
        let mut created: Vec<(Id, Id)> = Vec::new();
        let mut restores: Vec<CustomerUpdate> = Vec::new();
        for r in &rows {
            let customer_id: i64 = r.get("customer_id");
            let action: String = r.get("action");
            if action == "created" {
                created.push((
                    customer_id,
                    r.get::<Option<i64>, _>("last_customer_id")
                        .unwrap_or(customer_id),
                ));
            } else if let Some(prev) = r.get::<Option<String>, _>("previous") {
                let s: CustomerSnapshot = serde_json::from_str(&prev)
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                restores.push(CustomerUpdate::restore(customer_id, s));
            }
        }
        for (first, last) in created {
            sqlx::query("DELETE FROM customers WHERE id BETWEEN $1 AND $2")
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?;
        }
        E::update_customers(&mut tx, &restores, now).await?;
        // The records taken above are the first by customer id: remove exactly those.
        if let Some(last) = rows.last() {
            sqlx::query("DELETE FROM import_changes WHERE import_id = $1 AND customer_id <= $2")
                .bind(job.import_id)
                .bind(last.get::<i64, _>("customer_id"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as i64)
    }

    async fn cancel_requested(&self, import_id: Id) -> Result<bool> {
        let (c,): (bool,) = sqlx::query_as(E::CANCEL_REQUESTED_SQL)
            .bind(import_id)
            .fetch_one(&self.read)
            .await?;
        Ok(c)
    }

    async fn set_received(&self, import_id: Id, received: i64, batch_count: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE imports SET received = $1, batch_count = $2 WHERE id = $3")
            .bind(received)
            .bind(batch_count)
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish_job(
        &self,
        job: &ClaimedJob,
        import_status: ImportStatus,
        error: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
        let job_status = match import_status {
            ImportStatus::Undone => ImportStatus::Completed,
            s => s,
        };
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, finished_at = $2, error = $3, lease_owner = NULL \
             WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
        )
        .bind(job_status.as_str())
        .bind(now)
        .bind(error)
        .bind(job.job_id)
        .bind(&job.owner)
        .execute(&mut *tx)
        .await?;
        if E::rows_affected(&done) != 1 {
            return Ok(false);
        }
        if import_status == ImportStatus::Undone {
            // The import's own job shows that its effect was undone.
            sqlx::query(
                "UPDATE jobs SET status = 'undone' WHERE import_id = $1 AND kind = 'import'",
            )
            .bind(job.import_id)
            .execute(&mut *tx)
            .await?;
        }
        if job.kind == JobKind::Import || import_status == ImportStatus::Undone {
            sqlx::query(
                "UPDATE imports SET status = $1, finished_at = $2, error = $3 WHERE id = $4",
            )
            .bind(import_status.as_str())
            .bind(now)
            .bind(error)
            .bind(job.import_id)
            .execute(&mut *tx)
            .await?;
            if let Some(event) = WebhookEvent::of_status(import_status) {
                Self::enqueue_webhooks(&mut tx, event, job.import_id).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn retry_job(&self, job: &ClaimedJob, error: &str, delay_secs: f64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let at = Utc::now() + chrono::Duration::milliseconds((delay_secs * 1000.0) as i64);
        let done = sqlx::query(
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = $1, error = $2 \
             WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
        )
        .bind(at)
        .bind(error)
        .bind(job.job_id)
        .bind(&job.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(E::rows_affected(&done) == 1)
    }
}
