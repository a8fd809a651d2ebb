//! The per-row outcome report as stored: each applied batch's row results (written by
//! `apply.rs` in the transaction that applied it) and its failed rows' errors, read a few
//! batches at a time (`crate::report` merges them in line order).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::Id;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::engine::{Engine, Store};
use super::{Result, StorageError};
use crate::ingest::outcome::{self, FailedCell, RowResult};

/// One applied batch's part of the report.
#[derive(Debug, Default)]
pub struct OutcomeBatch {
    pub seq: i64,
    /// Its accepted rows' results (every part's).
    pub results: Vec<RowResult>,
    /// Its failed rows' errors.
    pub errors: Vec<FailedCell>,
}

#[async_trait]
pub trait Outcomes: Send + Sync {
    /// The import's applied batches in order: (seq, rows). Their rows sum to the report's
    /// length.
    async fn applied_batches(&self, import_id: Id) -> Result<Vec<(i64, i64)>>;
    /// The report's records of the applied batches with `first <= seq <= last`, in order.
    async fn outcome_batches(
        &self,
        import_id: Id,
        first: i64,
        last: i64,
    ) -> Result<Vec<OutcomeBatch>>;
}

#[async_trait]
impl<E> Outcomes for Store<E>
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
    async fn applied_batches(&self, import_id: Id) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT seq, row_count FROM import_batches WHERE import_id = $1 AND processed = TRUE \
             ORDER BY seq",
        )
        .bind(import_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn outcome_batches(
        &self,
        import_id: Id,
        first: i64,
        last: i64,
    ) -> Result<Vec<OutcomeBatch>> {
        // One snapshot for the three reads (SQLite's read connections see one too within a
        // transaction): a batch applied meanwhile is either whole here or absent.
        let mut conn = self.read.begin().await?;
        let seqs: Vec<(i64,)> = sqlx::query_as(
            "SELECT seq FROM import_batches WHERE import_id = $1 AND processed = TRUE \
             AND seq BETWEEN $2 AND $3 ORDER BY seq",
        )
        .bind(import_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?;
        let mut batches: Vec<OutcomeBatch> = seqs
            .into_iter()
            .map(|(seq,)| OutcomeBatch {
                seq,
                ..OutcomeBatch::default()
            })
            .collect();
        let index = |seq: i64| batches.binary_search_by_key(&seq, |b| b.seq).ok();
        let stored: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, outcomes FROM import_outcomes WHERE import_id = $1 \
             AND seq BETWEEN $2 AND $3",
        )
        .bind(import_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?;
        let errors = sqlx::query(
            "SELECT seq, line, field, value, code, message FROM import_errors \
             WHERE import_id = $1 AND seq BETWEEN $2 AND $3",
        )
        .bind(import_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?;
        conn.commit().await?;
        let mut decoded = Vec::with_capacity(stored.len());
        for (seq, text) in stored {
            let results = crate::cpu::heavy(|| outcome::decode(&text)).map_err(|e| {
                StorageError::Corrupt(format!("import_outcomes {import_id}/{seq}: {e}"))
            })?;
            decoded.push((seq, results));
        }
        let mut placed: Vec<(usize, Vec<RowResult>)> = Vec::new();
        for (seq, results) in decoded {
            if let Some(i) = index(seq) {
                placed.push((i, results));
            }
        }
        let mut cells: Vec<(usize, FailedCell)> = Vec::new();
        for r in errors {
            if let Some(i) = index(r.get::<i64, _>("seq")) {
                cells.push((
                    i,
                    FailedCell {
                        line: r.get("line"),
                        field: r.get("field"),
                        value: r.get("value"),
                        code: r.get("code"),
                        message: r.get("message"),
                    },
                ));
            }
        }
        for (i, results) in placed {
            batches[i].results.extend(results);
        }
        for (i, cell) in cells {
            batches[i].errors.push(cell);
        }
        Ok(batches)
    }
}
