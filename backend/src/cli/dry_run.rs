//! `intake import --dry-run`: the file split into the import's batches here, then the
//! queue's dry run (`storage::DryRuns::dry_run`: applied in a transaction that is rolled
//! back) run in this process, its report printed, and the import left cancelled.

use std::path::Path;

use shared::api::{DryRunReport, Import};

use super::*;
use crate::ingest::CsvSplitter;
use crate::storage::{ClaimedJob, JobKind, PutBatch};

pub(super) async fn dry_run(
    storage: &dyn Storage,
    import: &Import,
    path: &Path,
    settings: &ReadSettings,
) -> anyhow::Result<()> {
    let report = split_and_run(storage, import, path, settings).await;
    // Whatever happened, this import is not to be committed.
    storage.cancel_import(import.id).await?;
    print!("{}", render(import.id, &report?));
    Ok(())
}

async fn split_and_run(
    storage: &dyn Storage,
    import: &Import,
    path: &Path,
    settings: &ReadSettings,
) -> anyhow::Result<DryRunReport> {
    let profiles: Vec<_> = storage
        .list_profiles()
        .await?
        .into_iter()
        .map(|p| (p.fingerprint, p.mapping))
        .collect();
    let mut splitter = CsvSplitter::open(path, settings, &profiles).await?;
    while let Some(batch) = splitter.next_batch().await? {
        match storage
            .put_batch(import.id, &batch, ImportStatus::Receiving)
            .await?
        {
            PutBatch::Stored | PutBatch::Replayed(_) => {}
            other => anyhow::bail!("storing batch {}: {other:?}", batch.seq),
        }
    }
    let job = ClaimedJob {
        job_id: 0,
        kind: JobKind::DryRun,
        import_id: import.id,
        owner: "cli".into(),
        attempts: 1,
        last_error: None,
        group_id: import.group_id,
        on_duplicate: import.on_duplicate,
        source_path: None,
        settings: String::new(),
        batch_count: None,
    };
    Ok(storage.dry_run(&job).await?)
}

/// The report as the command prints it.
fn render(import_id: i64, report: &DryRunReport) -> String {
    let c = &report.counts;
    let mut out = format!(
        "dry run of import {import_id} (nothing was changed): {} rows: {} created, {} updated, \
         {} unchanged, {} skipped as duplicates, {} failed\n",
        c.rows, c.created, c.updated, c.unchanged, c.skipped_duplicate, c.failed
    );
    for s in &report.samples {
        for ch in &s.changes {
            out.push_str(&format!(
                "line {} {} (customer {}): {} {:?} -> {:?}\n",
                s.line, s.email, s.customer_id, ch.field, ch.before, ch.after
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use shared::api::{DryRunCounts, FieldChange, SampleUpdate};

    use super::render;

    #[test]
    fn the_report_prints_its_counts_and_each_change() {
        let report = shared::api::DryRunReport {
            counts: DryRunCounts {
                rows: 3,
                created: 1,
                updated: 1,
                unchanged: 0,
                skipped_duplicate: 0,
                failed: 1,
            },
            samples: vec![SampleUpdate {
                line: 3,
                email: "ann@example.com".into(),
                customer_id: 7,
                changes: vec![FieldChange {
                    field: "first_name".into(),
                    before: "Ann".into(),
                    after: "Anna".into(),
                }],
            }],
        };
        assert_eq!(
            render(4, &report),
            "dry run of import 4 (nothing was changed): 3 rows: 1 created, 1 updated, \
             0 unchanged, 0 skipped as duplicates, 1 failed\n\
             line 3 ann@example.com (customer 7): first_name \"Ann\" -> \"Anna\"\n"
        );
    }
}
