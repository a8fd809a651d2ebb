//! Helpers shared by the test modules.

pub use shared::snapshot::render_rows;

use shared::import::{Detection, InspectReport, RowOutcome, RowReader, detect};
use shared::settings::ReadSettings;

/// Reads `bytes` with a `RowReader` fed in the given chunk sizes (cycled).
pub fn read_rows(bytes: &[u8], det: &Detection, chunks: &[usize]) -> Vec<RowOutcome> {
    let mut reader = RowReader::new(det);
    let mut out = Vec::new();
    let mut push = |o: RowOutcome| out.push(o);
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = chunks[i % chunks.len()].max(1).min(bytes.len() - pos);
        reader.push(&bytes[pos..pos + n], &mut push);
        pos += n;
        i += 1;
    }
    reader.finish(&mut push);
    out
}

pub fn detect_all(bytes: &[u8], settings: &ReadSettings) -> Detection {
    detect(
        &bytes[..bytes.len().min(shared::import::SAMPLE_BYTES)],
        settings,
    )
}

/// The accounting invariant of a report.
pub fn assert_counts_add_up(r: &InspectReport) {
    assert_eq!(
        r.rows.total,
        r.rows.valid + r.rows.invalid + r.rows.duplicates,
        "{:?}",
        r.rows
    );
}
