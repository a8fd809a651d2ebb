//! The upload: reads the file again as the preview showed it, applies the user's corrections,
//! and sends every record to the import in batches (two at the server at once), then commits.
//! Pause and Stop come through the worker's state, looked at between batches.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use shared::api::{BatchRequest, BatchResponse, BatchRow};
use shared::import::RowOutcome;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use super::file::{SLICE, detect, read_slice, row_reader};
use super::post::post;
use crate::protocol::{FromWorker, Progress, ReadSettings};

/// Pause and Stop of the upload under way, set by the page's messages between batches.
#[derive(Default)]
pub(super) struct UploadControl {
    paused: Cell<bool>,
    stopped: Cell<bool>,
}

impl UploadControl {
    pub(super) fn pause(&self) {
        self.paused.set(true);
    }
    pub(super) fn resume(&self) {
        self.paused.set(false);
    }
    pub(super) fn stop(&self) {
        self.stopped.set(true);
    }
}

/// Send one batch, retrying transient failures with a growing pause.
async fn put_batch(
    import_id: i64,
    seq: u32,
    rows: Vec<BatchRow>,
    csrf: &str,
) -> Result<BatchResponse, String> {
    let body = BatchRequest { rows };
    let mut wait_ms = 500;
    for attempt in 1..=8 {
        match crate::api::put_batch(import_id, seq, &body, csrf).await {
            Ok(r) => return Ok(r),
            Err(e) if e.is_transient() && attempt < 8 => {
                crate::api::sleep_ms(wait_ms).await;
                wait_ms = (wait_ms * 2).min(10_000);
            }
            Err(e) => return Err(format!("Batch {seq} was refused: {}", e.message)),
        }
    }
    Err(format!("Batch {seq} could not be sent."))
}

/// What an upload needs besides the file and how to read it.
pub struct UploadJob {
    pub import_id: i64,
    pub csrf: String,
    pub batch_rows: usize,
    pub corrections: Vec<BatchRow>,
    pub skip_batches: u32,
}

/// Between batches: wait while paused; false if the upload should stop.
async fn may_continue(state: &UploadControl) -> bool {
    while state.paused.get() && !state.stopped.get() {
        crate::api::sleep_ms(200).await;
    }
    !state.stopped.get()
}

pub(super) async fn upload(
    state: &UploadControl,
    file: &File,
    settings: &ReadSettings,
    job: &UploadJob,
) -> Result<FromWorker, String> {
    state.paused.set(false);
    state.stopped.set(false);
    let (detection, _) = detect(file, settings)?;
    if let Some(problem) = &detection.problem {
        return Err(problem.message.clone());
    }
    let corrections: std::collections::HashMap<u64, &BatchRow> =
        job.corrections.iter().map(|r| (r.line, r)).collect();
    let mut reader = row_reader(&detection);
    // Consent values as the user mapped them; group values go as the file has them (the
    // server maps those, see `shared::import::ValueMap`).
    reader.set_values(&settings.values);
    let total = file.size();
    let mut progress = Progress {
        bytes_total: total,
        ..Progress::default()
    };
    let mut pending: Vec<BatchRow> = Vec::with_capacity(job.batch_rows);
    let mut seq: u32 = 0;
    let mut offset = 0.0;
    let mut finished = false;
    // The next batch is read and encoded while the one before is at the server.
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    while !finished {
        let mut rows: Vec<RowOutcome> = Vec::new();
        if offset < total {
            let end = (offset + SLICE).min(total);
            let bytes = read_slice(file, offset, end)?;
            reader.push(&bytes, &mut |o| rows.push(o));
            offset = end;
        } else {
            reader.finish(&mut |o| rows.push(o));
            finished = true;
        }
        for o in rows {
            progress.rows += 1;
            let row = match corrections.get(&o.line) {
                Some(fixed) => (*fixed).clone(),
                None => o.row,
            };
            // Every record goes to the server, invalid ones too: it validates again and
            // keeps the error report, so every line is accounted for there.
            pending.push(row);
            if pending.len() >= job.batch_rows {
                if in_flight.len() == BATCHES_IN_FLIGHT {
                    let oldest = in_flight.pop_front().expect("a batch in flight");
                    oldest.finish(&mut progress).await?;
                }
                send_batch(job, seq, &mut pending, &mut progress, &mut in_flight);
                seq += 1;
                if !may_continue(state).await {
                    // The batches already sent are acknowledged, so a resume skips them.
                    while let Some(sent) = in_flight.pop_front() {
                        sent.finish(&mut progress).await?;
                    }
                    return Ok(FromWorker::Stopped);
                }
            }
        }
        progress.bytes_done = offset;
        post(&FromWorker::Progress(progress));
    }
    if !pending.is_empty() {
        send_batch(job, seq, &mut pending, &mut progress, &mut in_flight);
        seq += 1;
    }
    while let Some(sent) = in_flight.pop_front() {
        sent.finish(&mut progress).await?;
    }
    // The page commits (after a dry run, when the user asks for one).
    Ok(FromWorker::Uploaded {
        progress,
        batches: seq,
    })
}

/// Batches at the server at once during an upload.
const BATCHES_IN_FLIGHT: usize = 2;

/// A batch sent and not yet answered. Its request runs on its own task, so the upload reads
/// and encodes the next batch meanwhile; answers are taken in order, so a batch is reported
/// sent (and skipped by a resume) only once every batch before it is.
struct InFlight {
    seq: u32,
    answered: js_sys::Promise,
    answer: Rc<RefCell<Option<Result<BatchResponse, String>>>>,
}

impl InFlight {
    fn start(job: &UploadJob, seq: u32, rows: Vec<BatchRow>) -> Self {
        let answer = Rc::new(RefCell::new(None));
        let mut resolve = None;
        let answered = js_sys::Promise::new(&mut |done, _| resolve = Some(done));
        let resolve = resolve.expect("a promise runs its executor at once");
        let (slot, import_id, csrf) = (answer.clone(), job.import_id, job.csrf.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = put_batch(import_id, seq, rows, &csrf).await;
            *slot.borrow_mut() = Some(result);
            let _ = resolve.call0(&JsValue::NULL);
        });
        Self {
            seq,
            answered,
            answer,
        }
    }

    /// Wait for the answer and report the batch sent.
    async fn finish(self, progress: &mut Progress) -> Result<(), String> {
        let _ = JsFuture::from(self.answered).await;
        let answer = self.answer.borrow_mut().take();
        let response =
            answer.unwrap_or_else(|| Err(format!("Batch {} got no answer.", self.seq)))?;
        progress.sent += u64::from(response.accepted) + response.rejected.len() as u64;
        post(&FromWorker::BatchSent {
            seq: self.seq,
            progress: *progress,
        });
        Ok(())
    }
}

/// Send one batch (reported when answered, see [`InFlight`]), or, when resuming, skip it
/// and report it at once (skipped batches come before any sent one).
fn send_batch(
    job: &UploadJob,
    seq: u32,
    pending: &mut Vec<BatchRow>,
    progress: &mut Progress,
    in_flight: &mut VecDeque<InFlight>,
) {
    let rows = std::mem::take(pending);
    if seq < job.skip_batches {
        progress.sent += rows.len() as u64;
        post(&FromWorker::BatchSent {
            seq,
            progress: *progress,
        });
    } else {
        in_flight.push_back(InFlight::start(job, seq, rows));
    }
}
