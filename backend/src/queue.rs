//! The durable import queue's workers. Each claims a job from the database under a lease,
//! applies its batches one transaction at a time (each transaction re-checks the lease and
//! marks its batch done), and heartbeats through those transactions. A worker killed at any
//! point leaves a job whose lease expires and which another worker (or the restarted server)
//! resumes at the first batch not yet applied: nothing lost, nothing applied twice.

use std::sync::Arc;
use std::time::Duration;

use shared::api::ImportStatus;
use shared::settings::{NamedMapping, ReadSettings};
use tokio::sync::Notify;

use crate::ingest::{CSV_BATCH_ROWS, CsvSplitter, SplitError};
use crate::storage::{ClaimedJob, JobKind, PutBatch, Storage};

/// A job that failed this many times ends `failed`.
pub const MAX_ATTEMPTS: i64 = 5;
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
            JobKind::DryRun => run_dry_run(storage, config, &job).await,
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
                tracing::info!(job = job.job_id, status = status.as_str(), "job finished");
                if matches!(status, ImportStatus::Completed | ImportStatus::Undone)
                    && job.kind != JobKind::DryRun
                    && let Err(e) = storage.after_bulk_change().await
                {
                    tracing::warn!(error = %e, "tidying up after the job failed");
                }
                // Cancelled or failed before its split ended: the upload goes now.
                if let Some(path) = job
                    .source_path
                    .as_ref()
                    .filter(|_| job.kind != JobKind::DryRun)
                {
                    crate::ingest::spool::discard(path.as_ref()).await;
                }
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
    if let Some(path) = &job.source_path
        && job.batch_count.is_none()
    {
        // Strict: a stored value this version cannot read fails the import, never a default.
        let settings = match ReadSettings::parse_stored(&job.settings) {
            Ok(settings) => settings,
            Err(e) => {
                let msg = format!(
                    "import {}: its stored settings cannot be read: {e}",
                    job.import_id
                );
                tracing::error!(import = job.import_id, settings = %job.settings, error = %e, "corrupt import settings");
                return Ok(Outcome::Finished(ImportStatus::Failed, Some(msg)));
            }
        };
        match split_csv(storage, config, job, path.as_ref(), &settings).await? {
            SplitEnd::Stored => {}
            SplitEnd::LeaseLost => return Ok(Outcome::LeaseLost),
            SplitEnd::Unreadable(msg) => {
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

/// A dry run: the import applied in one transaction that is rolled back (see
/// `storage::DryRuns`), its lease kept meanwhile; the report is kept on the job.
async fn run_dry_run(
    storage: &dyn Storage,
    config: &QueueConfig,
    job: &ClaimedJob,
) -> anyhow::Result<Outcome> {
    let beat = async {
        loop {
            tokio::time::sleep(Duration::from_secs((config.lease_secs / 3).max(1) as u64)).await;
            match storage
                .heartbeat(job.job_id, &job.owner, config.lease_secs)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "keeping a dry run's lease"),
            }
        }
    };
    let report = tokio::select! {
        report = storage.dry_run(job) => report?,
        () = beat => return Ok(Outcome::LeaseLost),
    };
    if !storage.record_dry_run(job, &report).await? {
        return Ok(Outcome::LeaseLost);
    }
    Ok(Outcome::Finished(ImportStatus::Completed, None))
}

/// How splitting an uploaded file ended.
enum SplitEnd {
    /// Every batch is stored and the import knows its counts.
    Stored,
    LeaseLost,
    /// The file cannot be imported: the import fails with this message.
    Unreadable(String),
}

/// Cut an uploaded CSV into stored batches (see [`CsvSplitter`]). After a crash the split
/// starts over and batches already stored are recognised by their seq and body. An error is
/// worth another attempt.
async fn split_csv(
    storage: &dyn Storage,
    config: &QueueConfig,
    job: &ClaimedJob,
    path: &std::path::Path,
    settings: &ReadSettings,
) -> anyhow::Result<SplitEnd> {
    let unreadable = |e: SplitError| match e {
        SplitError::Unreadable(msg) => Ok(SplitEnd::Unreadable(msg)),
        SplitError::Io(e) => Err(anyhow::Error::from(e)),
        other => Err(anyhow::Error::from(other)),
    };
    // Saved mapping profiles, for a file that comes without a mapping.
    let profiles: Vec<(String, NamedMapping)> = storage
        .list_profiles()
        .await?
        .into_iter()
        .map(|p| (p.fingerprint, p.mapping))
        .collect();
    let mut splitter = match CsvSplitter::open(path, settings, &profiles).await {
        Ok(splitter) => splitter,
        Err(e) => return unreadable(e),
    };
    loop {
        let batch = match splitter.next_batch().await {
            Ok(Some(batch)) => batch,
            Ok(None) => break,
            Err(e) => return unreadable(e),
        };
        match storage
            .put_batch(job.import_id, &batch, ImportStatus::Running)
            .await?
        {
            PutBatch::Stored | PutBatch::Replayed(_) => {}
            other => anyhow::bail!("storing split batch {}: {other:?}", batch.seq),
        }
        // Splitting a big file takes a while: keep the lease.
        if batch.row_count as usize >= CSV_BATCH_ROWS
            && !storage
                .heartbeat(job.job_id, &job.owner, config.lease_secs)
                .await?
        {
            return Ok(SplitEnd::LeaseLost);
        }
    }
    storage
        .set_received(
            job.import_id,
            splitter.total_rows(),
            i64::from(splitter.batch_count()),
        )
        .await?;
    // Every row is in the database now: the customer data leaves the disk.
    crate::ingest::spool::discard(path).await;
    Ok(SplitEnd::Stored)
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
