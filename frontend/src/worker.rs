//! The parse worker: runs in a dedicated Web Worker, reads the chosen `File` in slices
//! (`FileReaderSync`, or the file's stream for the whole-file check; never whole into memory),
//! runs the shared import core over it, and answers the page with [`FromWorker`] messages.
//! Uploads also happen here, batch by batch, so a million-row file never passes through the
//! page.

use std::cell::Cell;

use js_sys::{Reflect, Uint8Array};
use shared::api::{BatchRequest, BatchResponse, BatchRow, CommitRequest, FieldError};
use shared::import::{Detection, DuplicateTracker, Limits, RowOutcome, RowReader};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent, ReadableStreamDefaultReader,
};

use crate::decode::PlatformDecoders;
use crate::protocol::{
    FromWorker, Preview, PreviewColumn, PreviewRow, Progress, ReadSettings, ToWorker,
};

/// Bytes read per slice.
const SLICE: f64 = 1024.0 * 1024.0;
/// Bytes used to detect encoding, delimiter, header and mapping.
pub const SAMPLE: f64 = 256.0 * 1024.0;
/// At most this many problems are sent back from a whole-file check (the page shows a few
/// and offers all of them as a CSV download).
const MAX_ERRORS_SHOWN: usize = 100_000;

thread_local! {
    /// Set by Pause/Resume/Stop; the upload looks at them between batches.
    static PAUSED: Cell<bool> = const { Cell::new(false) };
    static STOPPED: Cell<bool> = const { Cell::new(false) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    if let Ok(json) = serde_json::to_string(msg) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        let msg = Reflect::get(&data, &"msg".into())
            .ok()
            .and_then(|v| v.as_string());
        let file = Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|v| v.dyn_into::<File>().ok());
        let request = msg.as_deref().map(serde_json::from_str::<ToWorker>);
        match (request, file) {
            (Some(Ok(ToWorker::Pause)), _) => PAUSED.with(|p| p.set(true)),
            (Some(Ok(ToWorker::Resume)), _) => PAUSED.with(|p| p.set(false)),
            (Some(Ok(ToWorker::Stop)), _) => STOPPED.with(|s| s.set(true)),
            (Some(Ok(ToWorker::Validate { row })), _) => post(&FromWorker::Validated {
                line: row.line,
                errors: shared::rules::validate_row(&row).err().unwrap_or_default(),
            }),
            (Some(Ok(request)), Some(file)) => {
                wasm_bindgen_futures::spawn_local(handle(request, file))
            }
            (Some(Err(e)), _) => post(&FromWorker::Failed {
                message: format!("The worker got a malformed request: {e}"),
            }),
            _ => post(&FromWorker::Failed {
                message: "The worker got a message it does not understand.".into(),
            }),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages sent before the wasm is ready are lost: say when we are.
    post(&FromWorker::Ready);
}

async fn handle(request: ToWorker, file: File) {
    let result = match request {
        ToWorker::Preview { settings, rows } => {
            preview(&file, &settings, rows).map(FromWorker::Preview)
        }
        ToWorker::Check { settings } => check(&file, &settings, |p| {
            post(&FromWorker::Progress(*p));
        })
        .await
        .map(|(progress, errors)| FromWorker::Checked { progress, errors }),
        ToWorker::Upload {
            settings,
            import_id,
            csrf,
            batch_rows,
            corrections,
            skip_batches,
        } => {
            let job = UploadJob {
                import_id,
                csrf,
                batch_rows,
                corrections,
                skip_batches,
            };
            upload(&file, &settings, &job).await
        }
        ToWorker::Pause | ToWorker::Resume | ToWorker::Stop | ToWorker::Validate { .. } => return,
    };
    post(&result.unwrap_or_else(|message| FromWorker::Failed { message }));
}

/// Read `[start, end)` of the file.
pub fn read_slice(file: &File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|e| format!("{e:?}"))?;
    let blob = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|e| format!("{e:?}"))?;
    let buffer = reader
        .read_as_array_buffer(&blob)
        .map_err(|e| format!("The file could not be read: {e:?}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn detect(file: &File, settings: &ReadSettings) -> Result<(Detection, Vec<u8>), String> {
    let sample = read_slice(file, 0.0, SAMPLE.min(file.size()))?;
    let detection =
        shared::import::detect_with(&sample, &settings.to_import_settings(), &PlatformDecoders);
    Ok((detection, sample))
}

/// A reader for the file `detection` describes, decoding as [`detect`] did.
fn row_reader(detection: &Detection) -> RowReader {
    RowReader::with_decoders(detection, Limits::default(), &PlatformDecoders)
}

pub fn preview(file: &File, settings: &ReadSettings, max_rows: usize) -> Result<Preview, String> {
    let (detection, sample) = detect(file, settings)?;
    let mut rows = Vec::new();
    let mut reader = row_reader(&detection);
    reader.push(&sample, &mut |o: RowOutcome| {
        if rows.len() < max_rows {
            rows.push(PreviewRow {
                line: o.line,
                row: o.row,
                errors: o.errors,
            });
        }
    });
    if file.size() <= SAMPLE {
        reader.finish(&mut |o: RowOutcome| {
            if rows.len() < max_rows {
                rows.push(PreviewRow {
                    line: o.line,
                    row: o.row,
                    errors: o.errors,
                });
            }
        });
    }
    Ok(Preview {
        encoding: detection.encoding.clone(),
        delimiter: detection.delimiter,
        has_header: detection.has_header,
        header_line: detection.header_line,
        columns: detection
            .columns
            .iter()
            .map(|c| PreviewColumn {
                index: c.index,
                header: c.header.clone(),
                target: detection.mapping.get(c.index).copied().flatten(),
                confidence: c.confidence,
                samples: c.samples.clone(),
                ignored_reason: c.ignored_reason.clone(),
            })
            .collect(),
        rows,
        problem: detection.problem.clone(),
        file_size: file.size(),
    })
}

/// Reads a file from start to end in slices of [`SLICE`] bytes, through the `File`'s
/// stream, into one reused buffer. The stream hands over large chunks: reading the whole
/// 113 MB benchmark file this way took about 260 ms in headless Chromium, against 670-910 ms
/// with one `FileReaderSync` round trip per 1 MB slice (then copied into a fresh `Vec`).
pub struct SliceReader {
    reader: ReadableStreamDefaultReader,
    /// The part of the last chunk not handed out yet.
    rest: Option<Uint8Array>,
    done: bool,
    /// Bytes handed out so far.
    offset: f64,
    buf: Vec<u8>,
}

impl SliceReader {
    pub fn new(file: &File) -> Self {
        SliceReader {
            reader: file.stream().get_reader().unchecked_into(),
            rest: None,
            done: false,
            offset: 0.0,
            buf: Vec::with_capacity(SLICE as usize),
        }
    }

    /// The next slice (shorter only at the end of the file) and the file offset it ends at;
    /// `None` after the last.
    pub async fn next_slice(&mut self) -> Result<Option<(&[u8], f64)>, String> {
        let slice = SLICE as usize;
        self.buf.clear();
        while self.buf.len() < slice {
            let chunk = match self.rest.take() {
                Some(rest) => rest,
                None if self.done => break,
                None => match self.next_chunk().await? {
                    Some(chunk) => chunk,
                    None => {
                        self.done = true;
                        break;
                    }
                },
            };
            let len = chunk.length();
            let take = len.min((slice - self.buf.len()) as u32);
            let at = self.buf.len();
            self.buf.resize(at + take as usize, 0);
            chunk.subarray(0, take).copy_to(&mut self.buf[at..]);
            if take < len {
                self.rest = Some(chunk.subarray(take, len));
            }
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        self.offset += self.buf.len() as f64;
        Ok(Some((&self.buf, self.offset)))
    }

    async fn next_chunk(&mut self) -> Result<Option<Uint8Array>, String> {
        let failed = |e: JsValue| format!("The file could not be read: {e:?}");
        let result = JsFuture::from(self.reader.read()).await.map_err(failed)?;
        if Reflect::get(&result, &"done".into())
            .map_err(failed)?
            .is_truthy()
        {
            return Ok(None);
        }
        Reflect::get(&result, &"value".into())
            .map_err(failed)?
            .dyn_into::<Uint8Array>()
            .map(Some)
            .map_err(failed)
    }
}

/// Read the whole file with the borrowed-row path (no per-row allocation) and count valid,
/// invalid and duplicate rows; `on_slice` gets the progress after each slice.
pub async fn check(
    file: &File,
    settings: &ReadSettings,
    mut on_slice: impl FnMut(&Progress),
) -> Result<(Progress, Vec<(u64, FieldError)>), String> {
    let (detection, _) = detect(file, settings)?;
    if let Some(problem) = &detection.problem {
        return Err(problem.message.clone());
    }
    let mut reader = row_reader(&detection);
    let total = file.size();
    let mut p = Progress {
        bytes_total: total,
        ..Progress::default()
    };
    let mut duplicates = DuplicateTracker::new();
    let mut errors: Vec<(u64, FieldError)> = Vec::new();
    let mut each = |row: &shared::import::RowRef<'_>, p: &mut Progress| {
        p.rows += 1;
        if !row.is_valid() {
            p.invalid += 1;
            for e in row.errors {
                if errors.len() < MAX_ERRORS_SHOWN {
                    errors.push((row.line, e.clone()));
                }
            }
            return;
        }
        p.valid += 1;
        if let Some(earlier) = row.email_key.and_then(|key| duplicates.see(key, row.line)) {
            // The earlier row is superseded: it moves from valid to duplicate.
            p.valid -= 1;
            p.duplicates += 1;
            if errors.len() < MAX_ERRORS_SHOWN {
                let email = row.email.as_deref().unwrap_or_default();
                errors.push((earlier, DuplicateTracker::duplicate_error(email, row.line)));
            }
        }
    };
    let mut slices = SliceReader::new(file);
    while let Some((bytes, end)) = slices.next_slice().await? {
        reader.push_ref(bytes, &mut |r| each(r, &mut p));
        p.bytes_done = end;
        on_slice(&p);
    }
    reader.finish_ref(&mut |r| each(r, &mut p));
    Ok((p, errors))
}

/// Send one batch, retrying transient failures with a growing pause.
async fn put_batch(
    import_id: i64,
    seq: u32,
    rows: Vec<BatchRow>,
    csrf: &str,
) -> Result<BatchResponse, String> {
    let body = BatchRequest { rows };
    let path = format!("/api/imports/{import_id}/batches/{seq}");
    let mut wait_ms = 500;
    for attempt in 1..=8 {
        match crate::api::send::<_, BatchResponse>("PUT", &path, &body, csrf).await {
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
async fn may_continue() -> bool {
    while PAUSED.with(Cell::get) && !STOPPED.with(Cell::get) {
        crate::api::sleep_ms(200).await;
    }
    !STOPPED.with(Cell::get)
}

async fn upload(
    file: &File,
    settings: &ReadSettings,
    job: &UploadJob,
) -> Result<FromWorker, String> {
    PAUSED.with(|p| p.set(false));
    STOPPED.with(|s| s.set(false));
    let (detection, _) = detect(file, settings)?;
    if let Some(problem) = &detection.problem {
        return Err(problem.message.clone());
    }
    let corrections: std::collections::HashMap<u64, &BatchRow> =
        job.corrections.iter().map(|r| (r.line, r)).collect();
    let mut reader = row_reader(&detection);
    let total = file.size();
    let mut progress = Progress {
        bytes_total: total,
        ..Progress::default()
    };
    let mut pending: Vec<BatchRow> = Vec::with_capacity(job.batch_rows);
    let mut seq: u32 = 0;
    let mut offset = 0.0;
    let mut finished = false;
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
                send_batch(job, seq, &mut pending, &mut progress).await?;
                seq += 1;
                if !may_continue().await {
                    return Ok(FromWorker::Stopped);
                }
            }
        }
        progress.bytes_done = offset;
        post(&FromWorker::Progress(progress));
    }
    if !pending.is_empty() {
        send_batch(job, seq, &mut pending, &mut progress).await?;
        seq += 1;
    }
    let commit = CommitRequest {
        batch_count: seq,
        row_count: progress.rows,
    };
    let path = format!("/api/imports/{}/commit", job.import_id);
    // The answer is not needed here (the page follows the import itself).
    crate::api::send::<_, serde::de::IgnoredAny>("POST", &path, &commit, &job.csrf)
        .await
        .map_err(|e| format!("The import could not be committed: {}", e.message))?;
    Ok(FromWorker::Uploaded {
        progress,
        batches: seq,
    })
}

/// Send (or, when resuming, skip) one batch and report it.
async fn send_batch(
    job: &UploadJob,
    seq: u32,
    pending: &mut Vec<BatchRow>,
    progress: &mut Progress,
) -> Result<(), String> {
    let rows = std::mem::take(pending);
    let count = rows.len() as u64;
    if seq < job.skip_batches {
        progress.sent += count;
    } else {
        let response = put_batch(job.import_id, seq, rows, &job.csrf).await?;
        progress.sent += u64::from(response.accepted) + response.rejected.len() as u64;
    }
    post(&FromWorker::BatchSent {
        seq,
        progress: *progress,
    });
    Ok(())
}
