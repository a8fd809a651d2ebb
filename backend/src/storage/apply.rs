//! Applying an import's stored batches: what both engines share of a round (the
//! decisions are [`plan`]'s; this runs its statements).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use shared::api::Id;
use sqlx::QueryBuilder;

use crate::ingest::{outcome, plan};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::engine::{Engine, Store, Tx};
use super::rows::{ExistingCustomer, ImportChange};
use super::{Applied, ClaimedJob, CustomerValues, PendingBatch, Result, StorageError, StoredRow};

/// How many rows go into one multi-row INSERT (12 parameters a row stays far below both
/// engines' parameter limits).
pub(super) const INSERT_CHUNK: usize = 400;

/// The ids `INSERT ... ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key` gave for
/// these rows, in the rows' order (the order of returned rows is not guaranteed), matched
/// back by email key: `None` for a row whose email a customer already had.
pub(super) fn ids_in_order(
    rows: &[CustomerValues],
    returned: Vec<(Id, String)>,
) -> Vec<Option<Id>> {
    let by_key: std::collections::HashMap<String, Id> =
        returned.into_iter().map(|(id, k)| (k, id)).collect();
    rows.iter()
        .map(|v| by_key.get(&v.email_key).copied())
        .collect()
}

/// How many batches' rows are read and decoded ahead of the transaction applying them.
const BATCHES_READ_AHEAD: usize = 2;

/// The steps of a round shared by both engines (each engine's `apply_round` drives them).
impl<E> Store<E>
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
    /// A stored batch's rows, decoded.
    pub(super) async fn stored_rows(
        read: &sqlx::Pool<E>,
        import_id: Id,
        seq: i64,
    ) -> Result<Vec<StoredRow>> {
        let (rows,): (String,) =
            sqlx::query_as("SELECT rows FROM import_batches WHERE import_id = $1 AND seq = $2")
                .bind(import_id)
                .bind(seq)
                .fetch_one(read)
                .await?;
        if rows.is_empty() {
            // Applied meanwhile (its rows are cleared then): the caller skips it.
            return Ok(Vec::new());
        }
        crate::cpu::heavy(|| serde_json::from_str(&rows))
            .map_err(|e| StorageError::Corrupt(format!("batch rows: {e}")))
    }

    /// One batch's customers (or one lane's share of them) written, inside the
    /// caller's transaction (which has checked the lease and that the batch is
    /// pending, and marks it applied), as [`plan`] decides. `groups`: the ids of
    /// group names found so far. `ids`: with lanes (PostgreSQL), the id each row gets
    /// if it is new, reserved and recorded for undo by the caller; otherwise the
    /// database picks the ids and the runs of new ids are recorded here. Each row's
    /// outcome is stored for the report as the batch's `part` (a lane's share: its lane).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn apply_batch_in(
        tx: &mut Tx<E>,
        job: &ClaimedJob,
        batch: &PendingBatch,
        part: i64,
        rows: &[StoredRow],
        ids: Option<&[Id]>,
        groups: &mut HashMap<String, Id>,
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let latest = plan::latest_rows(rows);
        let mut applied = Applied {
            processed: batch.row_count,
            failed: batch.row_count - rows.len() as i64,
            skipped: (rows.len() - latest.len()) as i64,
            ..Applied::default()
        };

        // Resolve group names once per transaction (a file names the same few groups
        // in every batch: one query per name and batch was 7,000 round trips a million).
        for &i in &latest {
            if let Some(name) = rows[i].group.as_deref().filter(|n| !n.trim().is_empty())
                && !groups.contains_key(name)
            {
                let id = Self::group_id_for_name(tx, name).await?;
                groups.insert(name.to_owned(), id);
            }
        }

        // Every row first goes in as a new customer (the plan's choice for an email
        // no customer has); an email that a customer already has is left out by the
        // insert itself (the unique index finds it anyway), so only those rows are
        // looked up and planned against what is stored, not every row of the batch.
        let full: Vec<CustomerValues> = latest
            .iter()
            .map(|&i| plan::values_of(&rows[i], groups, job.group_id))
            .collect();
        let latest_ids: Option<Vec<Id>> = ids.map(|ids| latest.iter().map(|&i| ids[i]).collect());
        let new_ids =
            E::insert_customers(tx, &full, latest_ids.as_deref(), Some(job.import_id), now).await?;
        let mut created: Vec<Id> = new_ids.iter().flatten().copied().collect();
        // The rows that created a customer (row index, id), for the report.
        let mut created_rows: Vec<(usize, Id)> = latest
            .iter()
            .zip(&new_ids)
            .filter_map(|(&i, id)| id.map(|id| (i, id)))
            .collect();
        let taken: Vec<(usize, CustomerValues)> = latest
            .into_iter()
            .zip(full)
            .zip(&new_ids)
            .filter(|(_, id)| id.is_none())
            .map(|(pair, _)| pair)
            .collect();

        // The customers those emails name, and which of them this import wrote.
        let keys: Vec<&str> = taken
            .iter()
            .map(|(i, _)| rows[*i].email_key.as_str())
            .collect();
        let mut existing: HashMap<String, ExistingCustomer> = E::existing_customers(tx, &keys)
            .await?
            .into_iter()
            .map(|c| (c.email_key.clone(), c))
            .collect();
        let mut touched: HashSet<Id> = HashSet::new();
        if !existing.is_empty() {
            let ids: Vec<Id> = existing.values().map(|c| c.id).collect();
            for chunk in ids.chunks(INSERT_CHUNK) {
                // A customer is this import's if the record starting at or before its
                // id (records of "created" cover runs of ids) reaches it.
                let mut qb: QueryBuilder<E> = QueryBuilder::new("WITH v(id) AS (VALUES ");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push("(")
                        .push_bind_unseparated(*id)
                        .push_unseparated(")");
                }
                qb.push(
                    ") SELECT v.id FROM v WHERE (SELECT COALESCE(c.last_customer_id, c.customer_id) \
                     FROM import_changes c WHERE c.import_id = ",
                );
                qb.push_bind(job.import_id);
                qb.push(" AND c.customer_id <= v.id ORDER BY c.customer_id DESC LIMIT 1) >= v.id");
                for (id,) in E::built_as::<(i64,)>(&mut qb).fetch_all(&mut **tx).await? {
                    touched.insert(id);
                }
            }
        }
        let decided = plan::resolve(
            rows,
            taken,
            |key| {
                existing.remove(key).map(|c| plan::Stored {
                    id: c.id,
                    written_by_import: touched.contains(&c.id),
                    values: c.snapshot(),
                })
            },
            job.on_duplicate,
            job.import_id,
        );
        applied.skipped += decided.skipped;
        applied.updated += decided.updated;
        E::update_customers(tx, &decided.update, now).await?;
        // Left to insert: emails whose customer was deleted (by hand) in between.
        let (gone_rows, gone): (Vec<usize>, Vec<CustomerValues>) =
            decided.insert.into_iter().unzip();
        let gone_ids: Option<Vec<Id>> = ids.map(|ids| gone_rows.iter().map(|&i| ids[i]).collect());
        let gone_new =
            E::insert_customers(tx, &gone, gone_ids.as_deref(), Some(job.import_id), now).await?;
        for (&row, id) in gone_rows.iter().zip(gone_new) {
            // Taken again at once: this attempt fails and the job's retry applies it.
            let id = id.ok_or_else(|| {
                StorageError::Conflict(
                    "an email was taken by another writer during the import".into(),
                )
            })?;
            created.push(id);
            created_rows.push((row, id));
        }
        applied.created += created.len() as i64;
        let results = outcome::row_results(rows, &created_rows, &decided.decided);
        Self::store_outcomes(tx, job.import_id, batch.seq, part, &results).await?;
        let mut undo = decided.undo;
        if ids.is_none() {
            undo.extend(plan::created_runs(created));
        }
        E::insert_changes(tx, job.import_id, &ImportChange::rows(&undo)?).await?;
        Ok(applied)
    }

    /// A batch's (or lane share's) row outcomes, stored in the transaction that applied it.
    async fn store_outcomes(
        tx: &mut Tx<E>,
        import_id: Id,
        seq: i64,
        part: i64,
        results: &[outcome::RowResult],
    ) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        let text = outcome::encode(results).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO import_outcomes (import_id, seq, part, outcomes) VALUES ($1, $2, $3, $4)",
        )
        .bind(import_id)
        .bind(seq)
        .bind(part)
        .bind(text)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Extend the job's lease inside `tx`; false (nothing changed) when another
    /// worker holds it now.
    pub(super) async fn renew_lease(
        tx: &mut Tx<E>,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let held = sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
            .bind(now + chrono::Duration::seconds(lease_secs))
            .bind(job.job_id)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        Ok(E::rows_affected(&held) == 1)
    }

    /// The batches' stored rows, read and decoded on a connection of the read pool
    /// while the caller writes the ones before (a batch is written once and never
    /// changed): at most BATCHES_READ_AHEAD batches' rows in memory. Reading stops
    /// when the returned guard is dropped.
    pub(super) fn read_ahead(
        &self,
        import_id: Id,
        batches: &[PendingBatch],
    ) -> (
        crate::task::AbortOnDrop,
        tokio::sync::mpsc::Receiver<Result<Vec<StoredRow>>>,
    ) {
        let (sender, ahead) = tokio::sync::mpsc::channel(BATCHES_READ_AHEAD);
        let read = self.read.clone();
        let seqs: Vec<i64> = batches.iter().map(|b| b.seq).collect();
        let reader = crate::task::AbortOnDrop(tokio::spawn(async move {
            for seq in seqs {
                if sender
                    .send(Self::stored_rows(&read, import_id, seq).await)
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }));
        (reader, ahead)
    }

    /// Mark a batch applied. Its rows are not read again (a replay gets the stored
    /// answer, undo reads import_changes): their space goes back to customers.
    pub(super) async fn mark_batch_applied(tx: &mut Tx<E>, import_id: Id, seq: i64) -> Result<()> {
        sqlx::query("UPDATE import_batches SET processed = TRUE, rows = '' WHERE import_id = $1 AND seq = $2")
            .bind(import_id)
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Add what applied batches did to their import's counts.
    pub(super) async fn add_counts(tx: &mut Tx<E>, import_id: Id, applied: &Applied) -> Result<()> {
        sqlx::query(
            "UPDATE imports SET processed = processed + $1, created = created + $2, updated = updated + $3, \
             skipped = skipped + $4, failed = failed + $5 WHERE id = $6",
        )
        .bind(applied.processed)
        .bind(applied.created)
        .bind(applied.updated)
        .bind(applied.skipped)
        .bind(applied.failed)
        .bind(import_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
