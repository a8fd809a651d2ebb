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
    pub poll: Duration,
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
        let owner = format!(
            "{}-{}-{}",
            std::process::id(),
            n,
            crate::auth::random_token(6)
        );
        let storage = storage.clone();
        let config = config.clone();
        let wakeup = wakeup.clone();
        let mut shutdown = shutdown.clone();
        handles.push(tokio::spawn(async move {
            loop {
                if *shutdown.borrow() {
                    break;
                }
                let worked = match storage.claim_job(&owner, config.lease_secs).await {
                    Ok(Some(job)) => {
                        run_job(storage.as_ref(), &owner, &config, job).await;
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
                        _ = wakeup.notified() => {}
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

async fn run_job(storage: &dyn Storage, owner: &str, config: &QueueConfig, job: ClaimedJob) {
    tracing::info!(
        job = job.job_id,
        import = job.import_id,
        kind = job.kind.as_str(),
        attempt = job.attempts,
        "job claimed"
    );
    if job.attempts > MAX_ATTEMPTS {
        let msg = format!("gave up after {MAX_ATTEMPTS} attempts");
        if let Err(e) = storage
            .finish_job(&job, ImportStatus::Failed, Some(&msg))
            .await
        {
            tracing::error!(error = %e, "marking a job failed");
        }
        return;
    }
    let result = match job.kind {
        JobKind::Import => run_import(storage, owner, config, &job).await,
        JobKind::Undo => run_undo(storage, owner, &job).await,
    };
    match result {
        Ok(Some(status)) => {
            if let Err(e) = storage.finish_job(&job, status, None).await {
                tracing::error!(error = %e, "finishing a job");
            }
            tracing::info!(job = job.job_id, status = status.as_str(), "job finished");
        }
        // Lease lost: another worker owns the job now.
        Ok(None) => tracing::warn!(
            job = job.job_id,
            "lease lost; leaving the job to its new owner"
        ),
        // Left running: the lease expires and the job is retried, counting attempts.
        Err(e) => {
            tracing::error!(job = job.job_id, error = %format!("{e:#}"), "job attempt failed")
        }
    }
}

/// Some(final status), or None if the lease was lost.
async fn run_import(
    storage: &dyn Storage,
    owner: &str,
    config: &QueueConfig,
    job: &ClaimedJob,
) -> anyhow::Result<Option<ImportStatus>> {
    if job.source_path.is_some() && job.batch_count.is_none() {
        match split_csv(storage, job).await {
            Ok(()) => {}
            Err(SplitError::Storage(e)) => return Err(e),
            Err(SplitError::Unreadable(msg)) => {
                storage
                    .finish_job(job, ImportStatus::Failed, Some(&msg))
                    .await?;
                return Ok(None);
            }
        }
    }
    loop {
        if storage.cancel_requested(job.import_id).await? {
            return Ok(Some(ImportStatus::Cancelled));
        }
        let Some(batch) = storage.next_pending_batch(job.import_id).await? else {
            return Ok(Some(ImportStatus::Completed));
        };
        if storage
            .apply_batch(job, owner, config.lease_secs, &batch)
            .await?
            .is_none()
        {
            return Ok(None);
        }
    }
}

async fn run_undo(
    storage: &dyn Storage,
    owner: &str,
    job: &ClaimedJob,
) -> anyhow::Result<Option<ImportStatus>> {
    loop {
        let n = storage.undo_chunk(job, owner, UNDO_CHUNK).await?;
        if n == 0 {
            return Ok(Some(ImportStatus::Undone));
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
async fn split_csv(storage: &dyn Storage, job: &ClaimedJob) -> Result<(), SplitError> {
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
        let detection = shared::import::detect(&sample, &import_settings);
        if let Some(problem) = &detection.problem {
            return Err(SplitError::Unreadable(problem.message.clone()));
        }
        let mut row_reader = shared::import::RowReader::new(&detection);
        let mut pending: Vec<BatchRow> = Vec::with_capacity(CSV_BATCH_ROWS);
        let mut failed: Vec<(u64, Vec<shared::api::FieldError>, BatchRow)> = Vec::new();
        let mut seq: u32 = 0;
        let mut total: i64 = 0;
        let mut buf = sample;
        loop {
            let mut outcomes = Vec::new();
            if buf.is_empty() {
                row_reader.finish(&mut |o| outcomes.push(o));
            } else {
                row_reader.push(&buf, &mut |o| outcomes.push(o));
            }
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
    Ok(())
}

async fn store_split_batch(
    storage: &dyn Storage,
    job: &ClaimedJob,
    seq: u32,
    pending: &mut Vec<BatchRow>,
    failed: &mut Vec<(u64, Vec<shared::api::FieldError>, BatchRow)>,
) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let (mut batch, _) = validate_batch(seq, pending);
    for (line, errors, row) in failed.drain(..) {
        batch.row_count += 1;
        for e in errors {
            batch.errors.push(crate::storage::StoredError {
                line,
                value: crate::api::imports::field_value(&row, &e.field),
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
