//! A dry run: an import's stored batches applied by the import's own code path
//! (`apply_batch_in`) inside one write transaction that is rolled back, so that it sees
//! exactly what the import would (a later batch meets what an earlier one wrote). Its
//! counts and sample updates are read inside that transaction, from the outcome records
//! and undo records the apply wrote, before the rollback. Nothing it wrote outlives it,
//! whatever happens: a killed process leaves an open transaction, which the database
//! rolls back. Only the report is kept, on the job.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{
    DryRunReport, FieldChange, Id, ImportStatus, Job, RowOutcome, SampleUpdate, WebhookEvent,
};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, QueryBuilder, Type};

use super::engine::{Engine, Store};
use super::rows::{EXISTING_CUSTOMERS_SQL, ExistingCustomer};
use super::{ClaimedJob, CustomerSnapshot, Jobs, PendingBatch, Result, StorageError};
use crate::ingest::outcome;

/// Sample updates a dry run reports at most.
pub const MAX_SAMPLES: usize = 100;

#[async_trait]
pub trait DryRuns: Send + Sync {
    /// Queue a dry run of an import that is still receiving its batches (the browser asks
    /// before it commits) over the batches stored so far. Conflict when the import takes
    /// no batches any more.
    async fn request_dry_run(&self, import_id: Id) -> Result<Job>;
    /// Apply the import's stored batches and roll back: what it would do.
    async fn dry_run(&self, job: &ClaimedJob) -> Result<DryRunReport>;
    /// Keep a dry run's report on its job; false when the lease was lost.
    async fn record_dry_run(&self, job: &ClaimedJob, report: &DryRunReport) -> Result<bool>;
}

/// The fields of a customer that differ between two snapshots, as text.
pub fn changes(before: &CustomerSnapshot, after: &CustomerSnapshot) -> Vec<FieldChange> {
    let (b, a) = (&before.fields, &after.fields);
    let pairs = [
        ("first_name", b.first_name.clone(), a.first_name.clone()),
        ("last_name", b.last_name.clone(), a.last_name.clone()),
        ("full_name", b.full_name.clone(), a.full_name.clone()),
        ("email", b.email.clone(), a.email.clone()),
        ("note", b.note.clone(), a.note.clone()),
        (
            "accepts_marketing",
            b.accepts_marketing.to_string(),
            a.accepts_marketing.to_string(),
        ),
        (
            "group_id",
            before.group_id.to_string(),
            after.group_id.to_string(),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| FieldChange {
            field: field.to_owned(),
            before,
            after,
        })
        .collect()
}

#[async_trait]
impl<E> DryRuns for Store<E>
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
    async fn request_dry_run(&self, import_id: Id) -> Result<Job> {
        let mut tx = self.begin_write().await?;
        let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
            return Err(StorageError::NotFound);
        };
        if status != ImportStatus::Receiving {
            return Err(StorageError::Conflict(format!(
                "a dry run is for an import still receiving its batches; this one is {}",
                status.as_str()
            )));
        }
        let (job_id,): (i64,) = sqlx::query_as(
            "INSERT INTO jobs (kind, import_id, status, created_at) \
             VALUES ('dry_run', $1, 'queued', $2) RETURNING id",
        )
        .bind(import_id)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_job(job_id).await
    }

    async fn dry_run(&self, job: &ClaimedJob) -> Result<DryRunReport> {
        let batches: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, row_count FROM import_batches WHERE import_id = $1 ORDER BY seq",
        )
        .bind(job.import_id)
        .fetch_all(&self.read)
        .await?;
        let batches: Vec<PendingBatch> = batches
            .into_iter()
            .map(|(seq, row_count)| PendingBatch { seq, row_count })
            .collect();
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
        let mut groups = HashMap::new();
        let (_reader, mut ahead) = self.read_ahead(job.import_id, &batches);
        for batch in &batches {
            let rows = ahead
                .recv()
                .await
                .ok_or_else(|| StorageError::Corrupt("the batch reader stopped".into()))??;
            Self::apply_batch_in(&mut tx, job, batch, 0, &rows, None, &mut groups, now).await?;
        }
        // What it did, row by row, in file order (batch by batch).
        let stored: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, outcomes FROM import_outcomes WHERE import_id = $1 ORDER BY seq",
        )
        .bind(job.import_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut report = DryRunReport::default();
        let mut sampled: Vec<outcome::RowResult> = Vec::new();
        for (seq, text) in stored {
            let mut results = outcome::decode(&text)
                .map_err(|e| StorageError::Corrupt(format!("dry run outcomes {seq}: {e}")))?;
            results.sort_by_key(|r| r.line);
            for r in results {
                report.counts.add(r.outcome);
                if r.outcome == RowOutcome::Updated && sampled.len() < MAX_SAMPLES {
                    sampled.push(r);
                }
            }
        }
        let rows: i64 = batches.iter().map(|b| b.row_count).sum();
        report.counts.failed = rows - report.counts.rows;
        report.counts.rows = rows;
        // Each sample's values before (its undo record) and after (the customer now).
        let ids: Vec<Id> = sampled.iter().filter_map(|r| r.customer_id).collect();
        let mut before: HashMap<Id, CustomerSnapshot> = HashMap::new();
        let mut after: HashMap<Id, CustomerSnapshot> = HashMap::new();
        if !ids.is_empty() {
            let mut qb: QueryBuilder<E> = QueryBuilder::new(
                "SELECT customer_id, previous FROM import_changes WHERE action = 'updated' \
                 AND import_id = ",
            );
            qb.push_bind(job.import_id).push(" AND customer_id IN (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            for (id, previous) in E::built_as::<(i64, Option<String>)>(&mut qb)
                .fetch_all(&mut *tx)
                .await?
            {
                if let Some(p) = previous {
                    let s: CustomerSnapshot = serde_json::from_str(&p)
                        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    before.insert(id, s);
                }
            }
            let mut qb: QueryBuilder<E> = QueryBuilder::new(EXISTING_CUSTOMERS_SQL);
            qb.push(" WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            for c in E::built_as::<ExistingCustomer>(&mut qb)
                .fetch_all(&mut *tx)
                .await?
            {
                after.insert(c.id, c.snapshot());
            }
        }
        // Nothing of it stays.
        tx.rollback().await?;
        report.samples = sampled
            .into_iter()
            .filter_map(|r| {
                let id = r.customer_id?;
                Some(SampleUpdate {
                    line: r.line as i64,
                    email: r.email,
                    customer_id: id,
                    changes: changes(before.get(&id)?, after.get(&id)?),
                })
            })
            .collect();
        Ok(report)
    }

    async fn record_dry_run(&self, job: &ClaimedJob, report: &DryRunReport) -> Result<bool> {
        let text =
            serde_json::to_string(report).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET result = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
        )
        .bind(text)
        .bind(job.job_id)
        .bind(&job.owner)
        .execute(&mut *tx)
        .await?;
        let recorded = E::rows_affected(&done) == 1;
        if recorded {
            Self::enqueue_webhooks(&mut tx, WebhookEvent::DryRunFinished, job.import_id).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }
}

#[cfg(test)]
mod tests {
    use shared::customer::CustomerFields;

    use super::*;

    #[test]
    fn only_the_fields_that_differ_are_changes() {
        let before = CustomerSnapshot {
            fields: CustomerFields {
                first_name: "Ann".into(),
                last_name: "Old".into(),
                full_name: "Ann Old".into(),
                email: "ann@example.com".into(),
                note: "n".into(),
                accepts_marketing: false,
            },
            group_id: 1,
            import_id: None,
        };
        let mut after = before.clone();
        after.fields.last_name = "New".into();
        after.fields.accepts_marketing = true;
        after.import_id = Some(4);
        let got: Vec<(String, String, String)> = changes(&before, &after)
            .into_iter()
            .map(|c| (c.field, c.before, c.after))
            .collect();
        assert_eq!(
            got,
            [
                ("last_name".into(), "Old".into(), "New".into()),
                ("accepts_marketing".into(), "false".into(), "true".into()),
            ]
        );
    }
}
