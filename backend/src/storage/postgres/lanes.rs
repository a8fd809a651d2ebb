//! A round of an import's batches applied by several transactions at once, one per lane.
//!
//! On one connection PostgreSQL applies a round with one backend, which is the import's
//! speed (the rest of the machine waits for it). Here each row goes to the lane its email's
//! hash names, so the same email always takes the same lane (a later row of the file still
//! wins over an earlier one, and two lanes never insert the same email), and the lanes write
//! at once, each in its own transaction:
//!
//! - The dispatcher (this task) reads the stored batches, creates the group names they bring
//!   and reserves every row's customer id from the identity's sequence in file order, and
//!   records the reserved ids as "created" for undo, in short transactions of its own:
//!   customers keep the file's order, a lane needs no undo record of its new customers, and
//!   the lanes find earlier rows of this import by those records.
//! - Each lane checks the lease without locking the lanes out (`FOR SHARE`), counts its
//!   customers in its own counter rows (`intake.lane`, migration 0009), holds its advisory
//!   lock (lane `n` of every import queues behind lane `n` of any other; a round takes all
//!   its lanes' locks in lane order before any work), and records what it did to each batch
//!   in `import_batch_lanes`, in the transaction that wrote it.
//! - The round's last transaction marks the batches that every lane has applied, adds their
//!   counts to the import and extends the lease. After a crash, a lane that already applied
//!   a batch skips it and the next round's last transaction completes it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures::future::join_all;
use shared::api::Id;
use sqlx::Postgres;
use tokio::sync::mpsc;

use super::PgStorage;
use crate::storage::engine::{Engine, Tx};
use crate::storage::rows::ImportChange;
use crate::storage::{Applied, ClaimedJob, PendingBatch, Result, StorageError, StoredRow};

/// Transactions applying a round at once. Every server sharing a database must use the same
/// number: an email's lane decides which lock guards it.
pub(super) const LANES: usize = 2;
/// The first key of the lanes' advisory locks (the second is the lane).
const LOCK_KEY: i32 = 7461;

/// The lane of an email key: FNV-1a, the same in every process and version.
pub fn lane_of(email_key: &str) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in email_key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % LANES as u64) as usize
}

/// One lane's share of one batch.
struct LaneWork {
    batch: PendingBatch,
    rows: Vec<StoredRow>,
    /// The id each row gets if it is new (reserved and recorded by the dispatcher).
    ids: Vec<Id>,
    /// Group names created or found since the previous batch.
    groups: Vec<(String, Id)>,
    /// The batch's processed and failed rows, counted by the first lane only.
    processed: i64,
    failed: i64,
}

impl PgStorage {
    /// Apply a round of batches in [`LANES`] transactions at once, then mark the batches
    /// every lane has applied. None when the lease was lost.
    pub(super) async fn apply_in_lanes(
        &self,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> Result<Option<Applied>> {
        let now = Utc::now();
        let mut tx = self.write.begin().await?;
        let held = Self::renew_lease(&mut tx, job, owner, lease_secs, now).await?;
        tx.commit().await?;
        if !held {
            return Ok(None);
        }
        // Every lane's lock first, in lane order, before any work is handed out: a round
        // holding lane 0 and waiting for lane 1 while another round holds lane 1 and waits
        // for lane 0's share of its own work would wait for ever (the dispatcher blocks on
        // the lane that cannot start). In order, a round waits only for rounds ahead of it.
        let mut opened = Vec::with_capacity(LANES);
        for lane in 0..LANES {
            match self.open_lane(lane, job, owner).await? {
                Some(tx) => opened.push(tx),
                None => return Ok(None),
            }
        }
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..LANES).map(|_| mpsc::channel(2)).unzip();
        let lanes = opened
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(lane, (tx, work))| self.run_lane(lane, tx, job, work, now));
        let (dispatched, lanes) =
            tokio::join!(self.dispatch(job, batches, senders), join_all(lanes));
        for lane in lanes {
            lane?;
        }
        dispatched?;
        self.finish_round(job, owner, lease_secs).await
    }

    /// Read the round's batches and hand each lane its share of every batch (an empty share
    /// too: a lane records every batch it has seen to). Stops early when a lane has stopped.
    async fn dispatch(
        &self,
        job: &ClaimedJob,
        batches: &[PendingBatch],
        lanes: Vec<mpsc::Sender<LaneWork>>,
    ) -> Result<()> {
        let (_reader, mut ahead) = self.read_ahead(job.import_id, batches);
        let mut known: HashSet<String> = HashSet::new();
        for batch in batches {
            let rows = ahead
                .recv()
                .await
                .ok_or_else(|| StorageError::Corrupt("the batch reader stopped".into()))??;
            let failed = batch.row_count - rows.len() as i64;
            let groups = self.resolve_groups(&rows, &mut known).await?;
            let ids = self.reserve_ids(job.import_id, rows.len()).await?;
            let mut shares: Vec<LaneWork> = (0..LANES)
                .map(|lane| LaneWork {
                    batch: *batch,
                    rows: Vec::new(),
                    ids: Vec::new(),
                    groups: groups.clone(),
                    processed: if lane == 0 { batch.row_count } else { 0 },
                    failed: if lane == 0 { failed } else { 0 },
                })
                .collect();
            for (row, id) in rows.into_iter().zip(ids) {
                let share = &mut shares[lane_of(&row.email_key)];
                share.rows.push(row);
                share.ids.push(id);
            }
            for (lane, share) in lanes.iter().zip(shares) {
                if lane.send(share).await.is_err() {
                    // That lane stopped with an error: it says which.
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The ids of the group names these rows bring that earlier batches did not, created if
    /// new, in a transaction of their own: two lanes creating one group would wait for each
    /// other's whole transaction.
    async fn resolve_groups(
        &self,
        rows: &[StoredRow],
        known: &mut HashSet<String>,
    ) -> Result<Vec<(String, Id)>> {
        let mut found = Vec::new();
        let mut tx: Option<Tx<Postgres>> = None;
        for name in rows.iter().filter_map(|r| r.group.as_deref()) {
            if name.trim().is_empty() || known.contains(name) {
                continue;
            }
            let tx = match &mut tx {
                Some(tx) => tx,
                None => tx.insert(self.write.begin().await?),
            };
            found.push((name.to_owned(), Self::group_id_for_name(tx, name).await?));
            known.insert(name.to_owned());
        }
        if let Some(tx) = tx {
            tx.commit().await?;
        }
        Ok(found)
    }

    /// `n` customer ids from the identity's sequence, ascending, recorded as created by this
    /// import before any lane uses them: an id the sequence gave is never given again, so a
    /// customer with one of them is this import's, and an id left unused (its email was
    /// taken) names no one.
    async fn reserve_ids(&self, import_id: Id, n: usize) -> Result<Vec<Id>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await?;
        let mut ids: Vec<Id> =
            sqlx::query_scalar("SELECT nextval('customers_id_seq') FROM generate_series(1, $1)")
                .bind(n as i64)
                .fetch_all(&mut *tx)
                .await?;
        ids.sort_unstable();
        let created = crate::ingest::plan::created_runs(ids.clone());
        Postgres::insert_changes(&mut tx, import_id, &ImportChange::rows(&created)?).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// A lane's transaction, holding its lock and the lease (checked `FOR SHARE`). None
    /// when the lease was lost.
    async fn open_lane(
        &self,
        lane: usize,
        job: &ClaimedJob,
        owner: &str,
    ) -> Result<Option<Tx<Postgres>>> {
        let mut tx = self.write.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2), set_config('intake.lane', $3, true)")
            .bind(LOCK_KEY)
            .bind(lane as i32)
            .bind(lane.to_string())
            .execute(&mut *tx)
            .await?;
        // The lease is checked in the transaction that writes: a worker that lost its job
        // writes nothing. A shared lock: the lanes hold it together, and a worker taking
        // the job over waits for them.
        let held: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR SHARE",
        )
        .bind(job.job_id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        Ok(held.map(|_| tx))
    }

    /// One lane's share of every batch of the round, written in its transaction.
    async fn run_lane(
        &self,
        lane: usize,
        mut tx: Tx<Postgres>,
        job: &ClaimedJob,
        mut work: mpsc::Receiver<LaneWork>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut groups: HashMap<String, Id> = HashMap::new();
        while let Some(share) = work.recv().await {
            groups.extend(share.groups);
            let pending: Option<(bool, bool)> = sqlx::query_as(
                "SELECT b.processed, EXISTS (SELECT 1 FROM import_batch_lanes l \
                 WHERE l.import_id = b.import_id AND l.seq = b.seq AND l.lane = $3) \
                 FROM import_batches b WHERE b.import_id = $1 AND b.seq = $2",
            )
            .bind(job.import_id)
            .bind(share.batch.seq)
            .bind(lane as i16)
            .fetch_optional(&mut *tx)
            .await?;
            if pending != Some((false, false)) {
                continue;
            }
            let mut applied = if share.rows.is_empty() {
                Applied::default()
            } else {
                let ids = Some(share.ids.as_slice());
                Self::apply_batch_in(
                    &mut tx,
                    job,
                    &share.batch,
                    lane as i64,
                    &share.rows,
                    ids,
                    &mut groups,
                    now,
                )
                .await?
            };
            applied.processed = share.processed;
            applied.failed = share.failed;
            sqlx::query(
                "INSERT INTO import_batch_lanes \
                 (import_id, seq, lane, processed, created, updated, skipped, failed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(job.import_id)
            .bind(share.batch.seq)
            .bind(lane as i16)
            .bind(applied.processed)
            .bind(applied.created)
            .bind(applied.updated)
            .bind(applied.skipped)
            .bind(applied.failed)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Mark applied every batch of the import that all lanes have applied (this round's,
    /// and any an earlier attempt left), add what the lanes did to the import's counts, and
    /// extend the lease. None when the lease was lost.
    async fn finish_round(
        &self,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
    ) -> Result<Option<Applied>> {
        let mut tx = self.write.begin().await?;
        if !Self::renew_lease(&mut tx, job, owner, lease_secs, Utc::now()).await? {
            return Ok(None);
        }
        type Done = (i64, i64, i64, i64, i64, i64);
        let done: Vec<Done> = sqlx::query_as(
            "SELECT seq, CAST(SUM(processed) AS BIGINT), CAST(SUM(created) AS BIGINT), \
             CAST(SUM(updated) AS BIGINT), CAST(SUM(skipped) AS BIGINT), CAST(SUM(failed) AS BIGINT) \
             FROM import_batch_lanes WHERE import_id = $1 GROUP BY seq HAVING COUNT(*) = $2",
        )
        .bind(job.import_id)
        .bind(LANES as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut total = Applied::default();
        for &(seq, processed, created, updated, skipped, failed) in &done {
            Self::mark_batch_applied(&mut tx, job.import_id, seq).await?;
            total += Applied {
                processed,
                created,
                updated,
                skipped,
                failed,
            };
        }
        let seqs: Vec<i64> = done.iter().map(|d| d.0).collect();
        sqlx::query("DELETE FROM import_batch_lanes WHERE import_id = $1 AND seq = ANY($2)")
            .bind(job.import_id)
            .bind(&seqs)
            .execute(&mut *tx)
            .await?;
        Self::add_counts(&mut tx, job.import_id, &total).await?;
        tx.commit().await?;
        Ok(Some(total))
    }
}

#[cfg(test)]
mod tests {
    use super::{LANES, lane_of};

    #[test]
    fn an_email_key_always_takes_the_same_lane_and_both_lanes_get_rows() {
        // Fixed values: servers of different versions sharing a database must agree.
        let lanes: Vec<usize> = ["ann@example.com", "bob@example.com", "zoe@example.bg", "a"]
            .into_iter()
            .map(lane_of)
            .collect();
        assert_eq!(lanes, [1, 1, 0, 0]);
        let mut per_lane = [0usize; LANES];
        for i in 0..10_000 {
            per_lane[lane_of(&format!("user{i}@example.com"))] += 1;
        }
        for n in per_lane {
            assert!((4_500..=5_500).contains(&n), "{per_lane:?}");
        }
    }
}
