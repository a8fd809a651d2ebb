//! Native throughput of the server's batch path, on generated rows:
//! - `batch_decode`: a posted batch body parsed, validated again and hashed
//!   (`api::prepare_batch`, what `PUT /api/imports/{id}/batches/{seq}` does before storing
//!   it), and a batch's stored rows written in their stored form and read back (what the
//!   queue decodes before applying a batch);
//! - `store_insert`: stored batches applied to SQLite in one queue transaction
//!   (`Storage::apply_batches`): new customers, their undo records, the counters.
//!
//! `cargo bench -p backend --bench batches`; figures are rows/s.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use intake::storage::StoredRow;
use shared::api::{BatchRequest, BatchRow, Consent, ImportStatus, OnDuplicate};

/// Rows per batch, as the browser posts them.
const BATCH_ROWS: usize = 1000;
/// Batches applied per `store_insert` iteration (one queue transaction).
const STORE_BATCHES: usize = 20;

/// A batch of rows like the ones the browser posts: Latin and Cyrillic names, notes with a
/// comma or a line break, consent in words, a group name on some, one bad email in 200.
fn batch(seq: usize) -> BatchRequest {
    let rows = (0..BATCH_ROWS)
        .map(|i| {
            let n = seq * BATCH_ROWS + i;
            let (first, last) = if n.is_multiple_of(3) {
                ("Мария".to_owned(), format!("Иванова{n}"))
            } else {
                ("Maria".to_owned(), format!("Smith{n}"))
            };
            BatchRow {
                line: n as u64 + 2,
                first_name: Some(first),
                last_name: Some(last),
                email: Some(if n % 200 == 199 {
                    format!("broken-{n}")
                } else {
                    format!("customer.{n}@example.com")
                }),
                note: n
                    .is_multiple_of(4)
                    .then(|| format!("Called on {n}, asked\nfor a catalogue")),
                accepts_marketing: Some(Consent::Text(
                    if n.is_multiple_of(2) { "yes" } else { "no" }.into(),
                )),
                group: n.is_multiple_of(10).then(|| "Wholesale".to_owned()),
            }
        })
        .collect();
    BatchRequest { rows }
}

fn batch_decode(c: &mut Criterion) {
    let body = serde_json::to_vec(&batch(0)).unwrap();
    let mut g = c.benchmark_group("batch_decode");
    g.throughput(Throughput::Elements(BATCH_ROWS as u64));
    g.bench_function("posted_body", |b| {
        b.iter(|| {
            let req: BatchRequest = serde_json::from_slice(black_box(&body)).unwrap();
            let (stored, _) = intake::ingest::prepare_batch(0, &req).unwrap();
            black_box(stored.rows.len())
        })
    });
    let (stored, _) = intake::ingest::prepare_batch(0, &batch(0)).unwrap();
    g.bench_function("stored_rows_written_and_read", |b| {
        b.iter(|| {
            let json = StoredRow::stored_json(black_box(&stored.rows)).unwrap();
            let rows: Vec<StoredRow> = serde_json::from_str(&json).unwrap();
            black_box(rows.len())
        })
    });
    g.finish();
}

/// One queue transaction of `STORE_BATCHES` stored batches into a new SQLite database;
/// only the apply is timed.
async fn apply_once(dir: &std::path::Path, run: u32) -> Duration {
    let url = format!("sqlite://{}", dir.join(format!("bench-{run}.db")).display());
    let storage = intake::storage::connect(&url).await.unwrap();
    let import = storage
        .create_import(
            "bench.csv",
            1,
            OnDuplicate::Skip,
            "{}",
            None,
            ImportStatus::Receiving,
        )
        .await
        .unwrap();
    for seq in 0..STORE_BATCHES {
        let (stored, _) = intake::ingest::prepare_batch(seq as u32, &batch(seq)).unwrap();
        storage
            .put_batch(import.id, &stored, ImportStatus::Receiving)
            .await
            .unwrap();
    }
    let rows = (STORE_BATCHES * BATCH_ROWS) as i64;
    storage
        .commit_import(import.id, STORE_BATCHES as i64, rows)
        .await
        .unwrap();
    let job = storage.claim_job("bench", 600).await.unwrap().unwrap();
    let pending = storage.next_pending_batches(import.id, rows).await.unwrap();
    assert_eq!(pending.len(), STORE_BATCHES);
    let start = Instant::now();
    let applied = storage
        .apply_batches(&job, "bench", 600, &pending)
        .await
        .unwrap()
        .unwrap();
    let took = start.elapsed();
    assert_eq!(applied.processed, rows);
    took
}

fn store_insert(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("store_insert");
    g.sample_size(10);
    g.throughput(Throughput::Elements((STORE_BATCHES * BATCH_ROWS) as u64));
    let mut run = 0;
    g.bench_function("sqlite_one_transaction", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                run += 1;
                total += runtime.block_on(apply_once(dir.path(), run));
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, batch_decode, store_insert);
criterion_main!(benches);
