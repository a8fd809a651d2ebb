//! Imports as the API sees them: created, given batches, committed, cancelled, undone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::WebhookEvent;
use shared::api::{Id, Import, ImportStatus, OnDuplicate, Page};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};
use sqlx::{QueryBuilder, Row};

use super::apply::INSERT_CHUNK;
use super::engine::{Engine, Store, Tx};
use super::{
    CommitOutcome, ErrorReportRow, GroupRefusal, NewBatch, PutBatch, Result, StorageError,
    StoredRow, parse_stored, split_stored_message, stored_message,
};

const IMPORT_COLUMNS: &str = "id, file_name, status, group_id, on_duplicate, received, processed, \
    created, updated, skipped, failed, created_at, started_at, finished_at, error";

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: i64,
    file_name: String,
    status: String,
    group_id: i64,
    on_duplicate: String,
    received: i64,
    processed: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    failed: i64,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

impl ImportRow {
    fn into_import(self) -> Result<Import> {
        Ok(Import {
            id: self.id,
            status: parse_stored(
                ImportStatus::parse,
                "imports",
                self.id,
                "status",
                &self.status,
            )?,
            on_duplicate: parse_stored(
                shared::api::OnDuplicate::parse,
                "imports",
                self.id,
                "on_duplicate",
                &self.on_duplicate,
            )?,
            file_name: self.file_name,
            group_id: self.group_id,
            counts: shared::api::ImportCounts {
                received: self.received,
                processed: self.processed,
                created: self.created,
                updated: self.updated,
                skipped: self.skipped,
                failed: self.failed,
            },
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error,
        })
    }
}

/// Imports and their batches, as the API receives them.
#[async_trait]
pub trait Imports: Send + Sync {
    async fn create_import(
        &self,
        file_name: &str,
        group_id: Id,
        on_duplicate: shared::api::OnDuplicate,
        settings: &str,
        source_path: Option<&str>,
        status: ImportStatus,
    ) -> Result<Import> {
        self.create_import_by(
            file_name,
            group_id,
            on_duplicate,
            settings,
            source_path,
            status,
            None,
        )
        .await
    }
    /// [`Imports::create_import`], recording who started it (Queue jobs shows it).
    #[allow(clippy::too_many_arguments)]
    async fn create_import_by(
        &self,
        file_name: &str,
        group_id: Id,
        on_duplicate: shared::api::OnDuplicate,
        settings: &str,
        source_path: Option<&str>,
        status: ImportStatus,
        started_by: Option<&str>,
    ) -> Result<Import>;
    async fn get_import(&self, id: Id) -> Result<Import>;
    /// The import's stored settings JSON (`ReadSettings`), as stored.
    async fn import_settings(&self, id: Id) -> Result<String>;
    async fn list_imports(&self, page: i64, per_page: i64) -> Result<Page<Import>>;
    async fn put_batch(
        &self,
        import_id: Id,
        batch: &NewBatch,
        expected: ImportStatus,
    ) -> Result<PutBatch>;
    async fn commit_import(
        &self,
        import_id: Id,
        batch_count: i64,
        row_count: i64,
    ) -> Result<CommitOutcome>;
    /// Cancel: at once when not running, at the next batch boundary when running.
    async fn cancel_import(&self, import_id: Id) -> Result<Import>;
    /// Queue an undo job for a completed import.
    async fn request_undo(&self, import_id: Id) -> Result<Import>;
    async fn error_report(
        &self,
        import_id: Id,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ErrorReportRow)>>;
    /// The uploaded files imports still have to split (queued or running, not split yet):
    /// every other file under the uploads directory is an orphan.
    async fn upload_paths_in_use(&self) -> Result<Vec<String>>;
}

#[async_trait]
impl<E> Imports for Store<E>
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
    async fn create_import_by(
        &self,
        file_name: &str,
        group_id: Id,
        on_duplicate: OnDuplicate,
        settings: &str,
        source_path: Option<&str>,
        status: ImportStatus,
        started_by: Option<&str>,
    ) -> Result<Import> {
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
        let row: ImportRow = sqlx::query_as(&format!(
            "INSERT INTO imports (file_name, status, group_id, on_duplicate, settings, source_path, created_at, started_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {IMPORT_COLUMNS}"
        ))
        .bind(file_name)
        .bind(status.as_str())
        .bind(group_id)
        .bind(on_duplicate.as_str())
        .bind(settings)
        .bind(source_path)
        .bind(now)
        .bind(started_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e {
            // The group was deleted since the caller looked it up: the foreign key's check
            // waits for a deleting transaction, so this is where that race ends.
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StorageError::Group(GroupRefusal::Unknown(group_id))
            }
            other => other.into(),
        })?;
        if status == ImportStatus::Queued {
            sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('import', $1, 'queued', $2)")
                .bind(row.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        row.into_import()
    }

    async fn get_import(&self, id: Id) -> Result<Import> {
        self.import_row(id).await?.into_import()
    }

    async fn import_settings(&self, id: Id) -> Result<String> {
        let row = sqlx::query("SELECT settings FROM imports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok(row.get::<String, _>(0))
    }

    async fn list_imports(&self, page: i64, per_page: i64) -> Result<Page<Import>> {
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM imports")
            .fetch_one(&self.read)
            .await?;
        let rows: Vec<ImportRow> = sqlx::query_as(&format!(
            "SELECT {IMPORT_COLUMNS} FROM imports ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(&self.read)
        .await?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(ImportRow::into_import)
                .collect::<Result<_>>()?,
            total,
            page,
            per_page,
        })
    }

    async fn put_batch(
        &self,
        import_id: Id,
        batch: &NewBatch,
        expected: ImportStatus,
    ) -> Result<PutBatch> {
        // Encoded before the transaction: it holds the import's row (PostgreSQL) or
        // the single writer (SQLite), which the import's other batches wait for.
        let rows_json = crate::cpu::heavy(|| StoredRow::stored_json(&batch.rows))
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
            return Ok(PutBatch::NotFound);
        };
        let seq = i64::from(batch.seq);
        let stored: Option<(String, String)> = sqlx::query_as(
            "SELECT body_hash, response FROM import_batches WHERE import_id = $1 AND seq = $2",
        )
        .bind(import_id)
        .bind(seq)
        .fetch_optional(&mut *tx)
        .await?;
        // A replay of the same body answers as the first time did, whatever the status:
        // a client retrying after a lost response must get its answer.
        match stored {
            Some((hash, response)) if hash == batch.body_hash => {
                return Ok(PutBatch::Replayed(response));
            }
            _ if status != expected => return Ok(PutBatch::NotReceiving(status)),
            Some(_) => return Ok(PutBatch::BodyMismatch),
            None => {}
        }
        sqlx::query(
            "INSERT INTO import_batches (import_id, seq, body_hash, row_count, rows, response) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(import_id)
        .bind(seq)
        .bind(&batch.body_hash)
        .bind(batch.row_count as i64)
        .bind(rows_json)
        .bind(&batch.response_json)
        .execute(&mut *tx)
        .await?;
        for chunk in batch.errors.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<E> = QueryBuilder::new(
                "INSERT INTO import_errors (import_id, seq, line, field, value, code, message) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(import_id)
                    .push_bind(seq)
                    .push_bind(e.line as i64)
                    .push_bind(e.error.field.as_str())
                    .push_bind(without_nul(&e.value))
                    .push_bind(e.error.code.as_str())
                    .push_bind(without_nul(&stored_message(&e.error)));
            });
            E::built(&mut qb).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE imports SET received = received + $1 WHERE id = $2")
            .bind(batch.row_count as i64)
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PutBatch::Stored)
    }

    async fn commit_import(
        &self,
        import_id: Id,
        batch_count: i64,
        row_count: i64,
    ) -> Result<CommitOutcome> {
        let mut tx = self.begin_write().await?;
        let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
            return Ok(CommitOutcome::NotFound);
        };
        if status != ImportStatus::Receiving {
            return Ok(CommitOutcome::NotReceiving(status));
        }
        let (stored_batches, stored_rows): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(row_count), 0) AS BIGINT) FROM import_batches WHERE import_id = $1",
        )
        .bind(import_id)
        .fetch_one(&mut *tx)
        .await?;
        if stored_batches != batch_count || stored_rows != row_count {
            return Ok(CommitOutcome::Incomplete {
                stored_batches,
                stored_rows,
            });
        }
        let now = Utc::now();
        sqlx::query("UPDATE imports SET status = 'queued', batch_count = $1 WHERE id = $2")
            .bind(batch_count)
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('import', $1, 'queued', $2)")
            .bind(import_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let row: ImportRow = sqlx::query_as(&format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"
        ))
        .bind(import_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CommitOutcome::Committed(Box::new(row.into_import()?)))
    }

    async fn cancel_import(&self, import_id: Id) -> Result<Import> {
        let mut tx = self.begin_write().await?;
        let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
            return Err(StorageError::NotFound);
        };
        let now = Utc::now();
        match status {
            ImportStatus::Receiving | ImportStatus::Queued => {
                sqlx::query(
                    "UPDATE imports SET status = 'cancelled', finished_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(import_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE jobs SET status = 'cancelled', finished_at = $1 WHERE import_id = $2 AND status = 'queued'",
                )
                .bind(now)
                .bind(import_id)
                .execute(&mut *tx)
                .await?;
                Self::enqueue_webhooks(&mut tx, WebhookEvent::ImportCancelled, import_id).await?;
            }
            ImportStatus::Running => {
                sqlx::query("UPDATE imports SET cancel_requested = TRUE WHERE id = $1")
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
            }
            other => {
                return Err(StorageError::Conflict(format!(
                    "an import that is {} cannot be cancelled",
                    other.as_str()
                )));
            }
        }
        tx.commit().await?;
        self.get_import(import_id).await
    }

    async fn request_undo(&self, import_id: Id) -> Result<Import> {
        let mut tx = self.begin_write().await?;
        let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
            return Err(StorageError::NotFound);
        };
        if !matches!(
            status,
            ImportStatus::Completed | ImportStatus::Cancelled | ImportStatus::Failed
        ) {
            return Err(StorageError::Conflict(format!(
                "an import that is {} cannot be undone",
                status.as_str()
            )));
        }
        let pending: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM jobs WHERE import_id = $1 AND kind = 'undo' AND status IN ('queued', 'running')",
        )
        .bind(import_id)
        .fetch_optional(&mut *tx)
        .await?;
        if pending.is_none() {
            sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('undo', $1, 'queued', $2)")
                .bind(import_id)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.get_import(import_id).await
    }

    async fn upload_paths_in_use(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT source_path FROM imports WHERE source_path IS NOT NULL \
             AND batch_count IS NULL AND status IN ('queued', 'running')",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    async fn error_report(
        &self,
        import_id: Id,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ErrorReportRow)>> {
        // Ordered by line, then insertion order; `after` is an offset for paging.
        let rows = sqlx::query(
            "SELECT line, field, value, code, message FROM import_errors WHERE import_id = $1 \
             ORDER BY line, seq LIMIT $2 OFFSET $3",
        )
        .bind(import_id)
        .bind(limit)
        .bind(after)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let (message, params) = split_stored_message(&r.get::<String, _>("message"));
                (
                    after + i as i64 + 1,
                    ErrorReportRow {
                        line: r.get("line"),
                        field: r.get("field"),
                        value: r.get("value"),
                        code: r.get("code"),
                        message,
                        params,
                    },
                )
            })
            .collect())
    }
}

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
    pub(super) async fn import_status_in(
        tx: &mut Tx<E>,
        import_id: Id,
    ) -> Result<Option<(ImportStatus, bool)>> {
        // Locked (PostgreSQL) so concurrent requests on one import run one at a time.
        let row: Option<(String, bool)> = sqlx::query_as(&format!(
            "SELECT status, cancel_requested FROM imports WHERE id = $1{}",
            E::LOCK_ROW
        ))
        .bind(import_id)
        .fetch_optional(&mut **tx)
        .await?;
        row.map(|(s, c)| {
            Ok((
                parse_stored(ImportStatus::parse, "imports", import_id, "status", &s)?,
                c,
            ))
        })
        .transpose()
    }

    async fn import_row(&self, import_id: Id) -> Result<ImportRow> {
        sqlx::query_as::<_, ImportRow>(&format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"
        ))
        .bind(import_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StorageError::NotFound)
    }
}

/// A reported value or message as stored: a rejected cell is kept as sent, but PostgreSQL
/// refuses NUL in text (a batch holding one answered 500), so both engines drop it.
fn without_nul(s: &str) -> String {
    s.replace('\0', "")
}
