//! The durable import queue's workers. Each claims a job from the database under a lease,
//! applies its batches one transaction at a time (each transaction re-checks the lease and
//! marks its batch done), and heartbeats through those transactions. A worker killed at any
//! point leaves a job whose lease expires and which another worker (or the restarted server)
//! resumes at the first batch not yet applied: nothing lost, nothing applied twice.

use std::sync::Arc;
use std::time::Duration;

use shared::api::{BatchRow, ImportStatus};
use tokio::sync::Notify;

use crate::api::imports::{CsvSettings, validate_batch};
use crate::storage::{ClaimedJob, JobKind, Storage};

/// A job that failed this many times ends `failed`.
pub const MAX_ATTEMPTS: i64 = 5;
/// Rows per batch when the server splits an uploaded CSV.
pub const CSV_BATCH_ROWS: usize = 2000;
/// Changes reversed per undo transaction.
const UNDO_CHUNK: i64 = 1000;

#[derive(Clone)]
pub struct QueueConfig {
    pub workers: usize,
    pub lease_secs: i64,
    /// How long an idle worker waits before looking for jobs again (a queued job also wakes
    /// it at once).
    pub poll: Duration,
    /// After a failed attempt the job waits this long times the attempts so far.
    pub retry_delay: Duration,
    /// Batches are applied together in one transaction up to about this many rows: larger
    /// transactions write each changed index page less often (a million-row import on
    /// SQLite wrote 4.4 GB at 10,000 rows a transaction, 2.5 GB at 50,000), smaller ones keep
    /// a cancel and other writers waiting less (50,000 rows take one to two seconds).
    pub rows_per_transaction: i64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            lease_secs: 30,
            poll: Duration::from_millis(500),
            retry_delay: Duration::from_secs(2),
            rows_per_transaction: 50_000,
        }
    }
}

/// A worker's name in `jobs.lease_owner`: process, worker number, and a random part so that
/// a restarted process never inherits a dead one's leases.
pub fn worker_name(n: usize) -> String {
    format!(
        "{}-{}-{}",
        std::process::id(),
        n,
        crate::auth::random_token(6)
    )
}

/// Runs `config.workers` workers until `shutdown` resolves.
pub async fn run_workers(
    storage: Arc<dyn Storage>,
    config: QueueConfig,
    wakeup: Arc<Notify>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut handles = Vec::new();
    for n in 0..config.workers.max(1) {
        let owner = worker_name(n);
        let storage = storage.clone();
        let config = config.clone();
        let wakeup = wakeup.clone();
        let mut shutdown = shutdown.clone();
        handles.push(tokio::spawn(async move {
            loop {
                if *shutdown.borrow() {
                    break;
                }
                // Registered before claiming, so a job queued in between still wakes us.
                let notified = wakeup.notified();
                let worked = match storage.claim_job(&owner, config.lease_secs).await {
                    Ok(Some(job)) => {
                        run_job(storage.as_ref(), &config, job).await;
                        true
                    }
                    Ok(None) => false,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a job failed; retrying");
                        false
                    }
                };
                if !worked {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(config.poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
}

/// How an attempt at a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The job is over: its final status, and the error that ended it.
    Finished(ImportStatus, Option<String>),
    /// The attempt failed; the job is queued again after a delay.
    Retrying(String),
    /// Another worker took the job over; this one wrote nothing more.
    LeaseLost,
}

/// An error and its causes on one line, leaving out a cause whose words the text before it
/// already carries (sqlx's and the storage's errors repeat their source in their message).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

/// Run one claimed job to its end (or until the lease is lost). A failed attempt is
/// retried after a delay, up to [`MAX_ATTEMPTS`]; then the job fails with the last error.
pub async fn run_job(storage: &dyn Storage, config: &QueueConfig, job: ClaimedJob) -> Outcome {
    tracing::info!(
        job = job.job_id,
        import = job.import_id,
        kind = job.kind.as_str(),
        attempt = job.attempts,
        "job claimed"
    );
    let result = if job.attempts > MAX_ATTEMPTS {
        // Earlier attempts died without recording an end (a killed process, a lost lease).
        let last = job
            .last_error
            .clone()
            .unwrap_or_else(|| "the worker stopped before finishing".into());
        Ok(Outcome::Finished(
            ImportStatus::Failed,
            Some(format!("gave up after {MAX_ATTEMPTS} attempts: {last}")),
        ))
    } else {
        match job.kind {
            JobKind::Import => run_import(storage, config, &job).await,
            JobKind::Undo => run_undo(storage, config, &job).await,
        }
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) if job.attempts < MAX_ATTEMPTS => {
            let msg = error_text(&e);
            tracing::error!(job = job.job_id, attempt = job.attempts, error = %msg, "job attempt failed; will retry");
            let delay = config.retry_delay.as_secs_f64() * job.attempts as f64;
            return match storage.retry_job(&job, &msg, delay).await {
                Ok(false) => Outcome::LeaseLost,
                Ok(true) => Outcome::Retrying(msg),
                Err(e) => {
                    // Left running: the lease expires and the job is taken up again.
                    tracing::error!(error = %e, "recording a failed attempt");
                    Outcome::Retrying(msg)
                }
            };
        }
        Err(e) => {
            let msg = error_text(&e);
            tracing::error!(job = job.job_id, error = %msg, "job failed on its last attempt");
            Outcome::Finished(
                ImportStatus::Failed,
                Some(format!("failed {MAX_ATTEMPTS} times; last error: {msg}")),
            )
        }
    };
    if let Outcome::Finished(status, error) = &outcome {
        match storage.finish_job(&job, *status, error.as_deref()).await {
            Ok(true) => {
                tracing::info!(job = job.job_id, status = status.as_str(), "job finished")
            }
            Ok(false) => return Outcome::LeaseLost,
            // Left running: the lease expires and the job is taken up again.
            Err(e) => tracing::error!(error = %e, "finishing a job"),
        }
    } else {
        tracing::warn!(
            job = job.job_id,
            "lease lost; leaving the job to its new owner"
        );
    }
    outcome
}

async fn run_import(
    storage: &dyn Storage,
    config: &QueueConfig,
    job: &ClaimedJob,
) -> anyhow::Result<Outcome> {
    if job.source_path.is_some() && job.batch_count.is_none() {
        match split_csv(storage, config, job).await {
            Ok(true) => {}
            Ok(false) => return Ok(Outcome::LeaseLost),
            Err(SplitError::Storage(e)) => return Err(e),
            Err(SplitError::Unreadable(msg)) => {
                return Ok(Outcome::Finished(ImportStatus::Failed, Some(msg)));
            }
        }
    }
    loop {
        if storage.cancel_requested(job.import_id).await? {
            return Ok(Outcome::Finished(ImportStatus::Cancelled, None));
        }
        let batches = storage
            .next_pending_batches(job.import_id, config.rows_per_transaction)
            .await?;
        if batches.is_empty() {
            return Ok(Outcome::Finished(ImportStatus::Completed, None));
        }
        if storage
            .apply_batches(job, &job.owner, config.lease_secs, &batches)
            .await?
            .is_none()
        {
            return Ok(Outcome::LeaseLost);
        }
    }
}

async fn run_undo(
    storage: &dyn Storage,
    config: &QueueConfig,
    job: &ClaimedJob,
) -> anyhow::Result<Outcome> {
    loop {
        if !storage
            .heartbeat(job.job_id, &job.owner, config.lease_secs)
            .await?
        {
            return Ok(Outcome::LeaseLost);
        }
        let n = storage.undo_chunk(job, &job.owner, UNDO_CHUNK).await?;
        if n == 0 {
            return Ok(Outcome::Finished(ImportStatus::Undone, None));
        }
    }
}

enum SplitError {
    Storage(anyhow::Error),
    Unreadable(String),
}

impl<E: Into<anyhow::Error>> From<E> for SplitError {
    fn from(e: E) -> Self {
        SplitError::Storage(e.into())
    }
}

/// Parse an uploaded CSV with the shared rules into stored batches. Parsing is
/// deterministic, so after a crash the split starts over and batches already stored are
/// recognised by their seq and body.
/// Ok(false) when the lease was lost while splitting.
async fn split_csv(
    storage: &dyn Storage,
    config: &QueueConfig,
    job: &ClaimedJob,
) -> Result<bool, SplitError> {
    let path = job.source_path.clone().unwrap_or_default();
    let settings: CsvSettings = serde_json::from_str(&job.settings).unwrap_or_default();
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| SplitError::Unreadable(format!("the uploaded file cannot be read: {e}")))?;
    let mut reader = tokio::io::BufReader::with_capacity(1 << 20, file);
    let mut sample = Vec::with_capacity(crate::api::imports::DETECT_SAMPLE);
    {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 64 * 1024];
        while sample.len() < crate::api::imports::DETECT_SAMPLE {
            let n = reader.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            sample.extend_from_slice(&chunk[..n]);
        }
        let import_settings = settings.import_settings();
        let mut detection = shared::import::detect(&sample, &import_settings);
        if let Some(problem) = &detection.problem {
            return Err(SplitError::Unreadable(problem.message.clone()));
        }
        settings
            .apply_named_mapping(&mut detection)
            .map_err(SplitError::Unreadable)?;
        let mut row_reader = shared::import::RowReader::new(&detection);
        let mut pending: Vec<BatchRow> = Vec::with_capacity(CSV_BATCH_ROWS);
        let mut failed: Vec<(u64, Vec<shared::api::FieldError>, BatchRow)> = Vec::new();
        let mut seq: u32 = 0;
        let mut total: i64 = 0;
        let mut buf = sample;
        loop {
            let mut outcomes = Vec::new();
            crate::cpu::heavy(|| {
                if buf.is_empty() {
                    row_reader.finish(&mut |o| outcomes.push(o));
                } else {
                    row_reader.push(&buf, &mut |o| outcomes.push(o));
                }
            });
            for o in outcomes {
                total += 1;
                if o.errors.is_empty() {
                    pending.push(o.row);
                } else {
                    failed.push((o.line, o.errors, o.row));
                }
                if pending.len() + failed.len() >= CSV_BATCH_ROWS {
                    store_split_batch(storage, job, seq, &mut pending, &mut failed).await?;
                    seq += 1;
                    // Splitting a big file takes a while: keep the lease.
                    if !storage
                        .heartbeat(job.job_id, &job.owner, config.lease_secs)
                        .await?
                    {
                        return Ok(false);
                    }
                }
            }
            if buf.is_empty() {
                break;
            }
            buf.clear();
            buf.resize(256 * 1024, 0);
            let n = reader.read(&mut buf).await?;
            buf.truncate(n);
        }
        if !pending.is_empty() || !failed.is_empty() {
            store_split_batch(storage, job, seq, &mut pending, &mut failed).await?;
            seq += 1;
        }
        storage
            .set_received(job.import_id, total, i64::from(seq))
            .await?;
    }
    Ok(true)
}

async fn store_split_batch(
    storage: &dyn Storage,
    job: &ClaimedJob,
    seq: u32,
    pending: &mut Vec<BatchRow>,
    failed: &mut Vec<(u64, Vec<shared::api::FieldError>, BatchRow)>,
) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let (mut batch, _) = crate::cpu::heavy(|| validate_batch(seq, pending));
    for (line, errors, row) in failed.drain(..) {
        batch.row_count += 1;
        for e in errors {
            batch.errors.push(crate::storage::StoredError {
                line,
                value: crate::api::imports::field_value(&row, e.field.as_str()),
                error: e,
            });
        }
    }
    batch.body_hash = hex::encode(Sha256::digest(serde_json::to_vec(&batch.rows)?));
    pending.clear();
    match storage
        .put_batch(job.import_id, &batch, ImportStatus::Running)
        .await?
    {
        crate::storage::PutBatch::Stored | crate::storage::PutBatch::Replayed(_) => Ok(()),
        other => anyhow::bail!("storing split batch {seq}: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn an_error_text_names_each_cause_once() {
        let inner = std::io::Error::other("database or disk is full");
        let e = anyhow::Error::new(crate::storage::StorageError::Database(sqlx::Error::Io(
            inner,
        )))
        .context("applying batch 3");
        assert_eq!(
            error_text(&e),
            "applying batch 3: database error: error communicating with database: database or disk is full"
        );
    }
}
