//! Messages between the page and the parse worker. They cross `postMessage` as JSON strings
//! (one string per message, never one JS object per row); the file itself travels beside the
//! message as a `File`, which the worker reads in slices.
//!
//! Both enums use serde's default (external) tagging: `{"check":{...}}`, `"ready"`. An
//! internally tagged enum (`{"type":"check",...}`) buffers every message before reading it,
//! and that generic code cost the wasm files about 14 KB (worker) and 20 KB (page) before
//! compression (BENCHMARKS.md, wasm sizes).

use serde::{Deserialize, Serialize};
use shared::api::{BatchRow, FieldError, Id};
use shared::import::{DistinctValues, IgnoredReason, MatchReason, Target, ValueEvidence};

/// How to read the file; `None` means detect (the type the server stores too).
pub use shared::settings::ReadSettings;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    /// Detect and show the first rows.
    Preview { settings: ReadSettings, rows: usize },
    /// Read the whole file and count valid, invalid and duplicate rows.
    Check { settings: ReadSettings },
    /// Read the whole file and send it to an import in batches, then commit.
    Upload {
        settings: ReadSettings,
        import_id: Id,
        csrf: String,
        batch_rows: usize,
        /// Rows the user corrected in the preview, replacing the file's rows at those lines.
        #[serde(default)]
        corrections: Vec<BatchRow>,
        /// Batches the server already acknowledged (resuming): not sent again.
        #[serde(default)]
        skip_batches: u32,
    },
    /// Validate one row the user corrected in the preview.
    Validate { row: BatchRow },
    /// Hold the upload after the batch in flight.
    Pause,
    /// Go on with a held upload.
    Resume,
    /// Abandon the upload after the batch in flight.
    Stop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewColumn {
    pub index: usize,
    pub header: Option<String>,
    pub target: Option<Target>,
    pub confidence: f32,
    pub samples: Vec<String>,
    pub ignored_reason: Option<IgnoredReason>,
    /// Why the column got its target, or none (shown on hover).
    #[serde(default)]
    pub reason: Option<MatchReason>,
    /// Values that made the match less sure.
    #[serde(default)]
    pub demoted: Option<ValueEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u64,
    pub row: BatchRow,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub encoding: String,
    pub delimiter: u8,
    pub has_header: bool,
    pub header_line: Option<u64>,
    pub columns: Vec<PreviewColumn>,
    pub rows: Vec<PreviewRow>,
    /// The file cannot be read at all (empty, binary...).
    pub problem: Option<FieldError>,
    pub file_size: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub bytes_done: f64,
    pub bytes_total: f64,
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
    /// Rows the server has accepted (uploads only).
    pub sent: u64,
}

/// The property of a worker's message object that holds a `Blob` sent beside the JSON (in
/// `msg`): a check's problems ([`FromWorker::Problems`]).
pub const ATTACHMENT: &str = "attachment";

/// How many problems a whole-file check sends in its answer, for display. All of them follow
/// in [`FromWorker::Problems`]: a million-row file can have a hundred thousand, and the
/// answer waited for their encoding, its copy to the page and its decoding there (15,000
/// took 35 ms of a 700 ms check).
pub const PROBLEMS_LISTED: usize = 50;

/// The problems of a check as the CSV the page offers: line, field, code, message (in the
/// UI's language).
pub fn problems_csv(errors: &[(u64, FieldError)], lang: shared::messages::Lang) -> Vec<u8> {
    let mut out = Vec::new();
    shared::export::write_csv_record(&["line", "field", "code", "message"], b',', &mut out);
    for (line, e) in errors {
        shared::export::write_csv_record(
            &[
                &line.to_string(),
                e.field.as_str(),
                e.code.as_str(),
                &shared::messages::render(e, lang),
            ],
            b',',
            &mut out,
        );
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker {
    Ready,
    Preview(Preview),
    Progress(Progress),
    /// A whole-file check finished.
    Checked {
        progress: Progress,
        /// The first [`PROBLEMS_LISTED`] problems, for display.
        errors: Vec<(u64, FieldError)>,
        /// The distinct consent and group values, for the value mapping.
        #[serde(default)]
        values: DistinctValues,
    },
    /// Right after [`FromWorker::Checked`] when there were problems: all of them (the first
    /// 100,000), as a JSON `Blob` of `[line, FieldError]` pairs beside this message
    /// ([`ATTACHMENT`]). The page turns them into [`problems_csv`] for download.
    Problems,
    /// The server acknowledged batches up to this one (for resuming later).
    BatchSent {
        seq: u32,
        progress: Progress,
    },
    /// The upload was abandoned on request.
    Stopped,
    /// The problems left in a corrected row (empty: valid).
    Validated {
        line: u64,
        errors: Vec<FieldError>,
    },
    /// Every batch is stored (the page commits the import).
    Uploaded {
        progress: Progress,
        batches: u32,
    },
    Failed {
        message: String,
    },
}
