//! The per-row outcome report of an import: one line per input row of its applied batches,
//! in file order, as CSV (streamed a few batches at a time: memory stays flat whatever the
//! import's size) or as pages of JSON. Used by the API; no HTTP in it.

use std::sync::Arc;

use shared::api::{Id, ImportStatus, OutcomeLine, OutcomePage};

use crate::ingest::outcome::report_lines;
use crate::storage::{OutcomeBatch, Storage, StorageError};

/// Batches read per database round trip of the CSV (2,000 to 10,000 rows each).
const CSV_BATCHES_AT_ONCE: usize = 8;

/// The CSV's header line.
pub const CSV_HEADER: &str = "line,email,outcome,customer_id,error_code,error_message\r\n";

fn lines_of(batches: Vec<OutcomeBatch>, undone: bool) -> Vec<OutcomeLine> {
    batches
        .into_iter()
        .flat_map(|b| report_lines(b.results, b.errors, undone))
        .collect()
}

async fn undone(storage: &dyn Storage, import_id: Id) -> Result<bool, StorageError> {
    Ok(storage.get_import(import_id).await?.status == ImportStatus::Undone)
}

/// One page of the report (`page` from 1): the applied batches' rows from
/// `(page - 1) * per_page` on. Only the batches that page covers are read.
pub async fn report_page(
    storage: &dyn Storage,
    import_id: Id,
    page: i64,
    per_page: i64,
) -> Result<OutcomePage, StorageError> {
    let undone = undone(storage, import_id).await?;
    let batches = storage.applied_batches(import_id).await?;
    let total: i64 = batches.iter().map(|b| b.1).sum();
    let from = (page - 1) * per_page;
    let mut start = 0; // the first row of the batch looked at
    let mut covered: Option<(i64, i64, i64)> = None; // first seq, last seq, first seq's start
    for &(seq, rows) in &batches {
        let end = start + rows;
        if end > from && start < from + per_page {
            covered = Some(match covered {
                None => (seq, seq, start),
                Some((first, _, at)) => (first, seq, at),
            });
        }
        start = end;
    }
    let items = match covered {
        None => Vec::new(),
        Some((first, last, at)) => {
            let read = storage.outcome_batches(import_id, first, last).await?;
            lines_of(read, undone)
                .into_iter()
                .skip((from - at) as usize)
                .take(per_page as usize)
                .collect()
        }
    };
    Ok(OutcomePage {
        items,
        total,
        page,
        per_page,
    })
}

fn write_line(l: &OutcomeLine, out: &mut Vec<u8>) {
    let id = l.customer_id.map(|i| i.to_string()).unwrap_or_default();
    shared::export::write_csv_record(
        &[
            &l.line.to_string(),
            &l.email,
            l.outcome.as_str(),
            &id,
            l.error_code.as_deref().unwrap_or(""),
            l.error_message.as_deref().unwrap_or(""),
        ],
        b',',
        out,
    );
}

/// The report as CSV chunks: the header, then a chunk per few batches (formula cells
/// neutralised). Batches applied after it started are not in it.
pub fn report_csv(
    storage: Arc<dyn Storage>,
    import_id: Id,
) -> impl futures::Stream<Item = Result<Vec<u8>, StorageError>> + Send {
    let header = futures::stream::once(async { Ok(CSV_HEADER.as_bytes().to_vec()) });
    let body = futures::stream::try_unfold(
        (storage, None::<(Vec<i64>, bool)>),
        move |(storage, state)| async move {
            let (mut seqs, undone) = match state {
                Some(s) => s,
                None => {
                    let undone = undone(storage.as_ref(), import_id).await?;
                    let seqs: Vec<i64> = storage
                        .applied_batches(import_id)
                        .await?
                        .into_iter()
                        .rev()
                        .map(|b| b.0)
                        .collect();
                    (seqs, undone)
                }
            };
            // `seqs` holds the batches still to write, last first.
            let take = seqs.len().min(CSV_BATCHES_AT_ONCE);
            if take == 0 {
                return Ok(None);
            }
            let chunk: Vec<i64> = seqs.split_off(seqs.len() - take);
            let (first, last) = (chunk[take - 1], chunk[0]);
            let read = storage.outcome_batches(import_id, first, last).await?;
            let out = crate::cpu::heavy(|| {
                let lines = lines_of(read, undone);
                let mut out = Vec::with_capacity(lines.len() * 48);
                for l in &lines {
                    write_line(l, &mut out);
                }
                out
            });
            Ok(Some((out, (storage, Some((seqs, undone))))))
        },
    );
    futures::StreamExt::chain(header, body)
}
