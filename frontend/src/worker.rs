//! The parse worker: runs in a dedicated Web Worker, reads the chosen `File` in slices
//! (`FileReaderSync`, or the file's stream for the whole-file check; never whole into memory),
//! runs the shared import core over it, and answers the page with [`FromWorker`] messages.
//! Uploads also happen here, batch by batch, so a million-row file never passes through the
//! page. The whole-file check of a large file runs in two parts at once: this worker starts a
//! helper (the same code, in a worker of its own) for the second half and merges its answer
//! (see [`check_with`] and `shared::import::check`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use shared::api::{BatchRequest, BatchResponse, BatchRow, CommitRequest, FieldError};
use shared::import::{
    CheckCounts, Detection, FileCheck, Limits, PartEmails, PartResult, RowOutcome, RowReader,
    estimate_rows,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent,
    ReadableStreamDefaultReader, Worker,
};

use crate::decode::PlatformDecoders;
use crate::protocol::{
    ATTACHMENT, FromWorker, PROBLEMS_LISTED, Preview, PreviewColumn, PreviewRow, Progress,
    ReadSettings, ToWorker,
};

/// Bytes read per slice.
const SLICE: f64 = 1024.0 * 1024.0;
/// Bytes used to detect encoding, delimiter, header and mapping.
pub const SAMPLE: f64 = 256.0 * 1024.0;
/// At most this many problems are sent back from a whole-file check (the page shows a few
/// and offers all of them as a CSV download).
const MAX_ERRORS_SHOWN: usize = 100_000;
/// Files from this size on are checked in two parts at once, the second by a helper worker:
/// below it the helper's start and the merge cost more than they save.
pub const SPLIT_FROM: f64 = 8.0 * 1024.0 * 1024.0;
/// Bytes read where the file is split to find where the second part starts.
const SPLIT_WINDOW: f64 = 64.0 * 1024.0;

thread_local! {
    /// Set by Pause/Resume/Stop; the upload looks at them between batches.
    static PAUSED: Cell<bool> = const { Cell::new(false) };
    static STOPPED: Cell<bool> = const { Cell::new(false) };
    /// The worker that reads the second part of a split check (started on the first preview
    /// or check of a large file, kept for the next).
    static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
    /// In the helper: the emails of the part it read last, until the first worker asks for
    /// the few it needs.
    static PART_EMAILS: RefCell<Option<PartEmails>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    if let Ok(json) = serde_json::to_string(msg) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

/// [`post`] with `blob` beside the message: `{msg, attachment}`.
fn post_with(msg: &FromWorker, blob: &Blob) {
    let message = js_sys::Object::new();
    if let Ok(json) = serde_json::to_string(msg) {
        let _ = Reflect::set(&message, &"msg".into(), &JsValue::from_str(&json));
        let _ = Reflect::set(&message, &ATTACHMENT.into(), blob);
        let _ = scope().post_message(&message);
    }
}

pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        if let Ok(wanted) = Reflect::get(&data, &EMAILS_FOR.into())
            && let Some(wanted) = wanted.dyn_ref::<js_sys::Uint32Array>()
        {
            answer_emails(&wanted.to_vec());
            return;
        }
        let msg = Reflect::get(&data, &"msg".into())
            .ok()
            .and_then(|v| v.as_string());
        let file = Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|v| v.dyn_into::<File>().ok());
        let part_start = Reflect::get(&data, &PART_START.into()).ok();
        let request = msg.as_deref().map(serde_json::from_str::<ToWorker>);
        match (request, file) {
            (Some(Ok(ToWorker::Pause)), _) => PAUSED.with(|p| p.set(true)),
            (Some(Ok(ToWorker::Resume)), _) => PAUSED.with(|p| p.set(false)),
            (Some(Ok(ToWorker::Stop)), _) => STOPPED.with(|s| s.set(true)),
            (Some(Ok(ToWorker::Validate { row })), _) => post(&FromWorker::Validated {
                line: row.line,
                errors: shared::rules::validate_row(&row).err().unwrap_or_default(),
            }),
            // A check with a start: the second part of another worker's split check.
            (Some(Ok(ToWorker::Check { settings })), Some(file))
                if let Some(start) = part_start.as_ref().and_then(JsValue::as_f64) =>
            {
                wasm_bindgen_futures::spawn_local(answer_part(file, settings, start))
            }
            (Some(Ok(request)), Some(file)) => {
                let json = msg.unwrap_or_default();
                wasm_bindgen_futures::spawn_local(handle(request, json, file))
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

/// The property of the first worker's request for the emails of some of the part's first rows
/// ([`shared::import::Hits::wanted`]).
const EMAILS_FOR: &str = "emails_for";

/// The property of a check request that makes it the second part of a split check (where it
/// starts); the helper gets the page's own request beside it (no second JSON form to build).
const PART_START: &str = "part_start";

/// Answers `request` (whose JSON is `json`) about `file`.
async fn handle(request: ToWorker, json: String, file: File) {
    // A check of a large file will want the helper: start it once the preview is shown (its
    // start would slow the preview down), while the user looks at the mapping.
    let warm_helper = matches!(request, ToWorker::Preview { .. }) && file.size() >= SPLIT_FROM;
    if matches!(request, ToWorker::Check { .. }) && file.size() >= SPLIT_FROM {
        // No preview came first (or the helper was stopped): start it now; the check
        // splits the file once it is ready.
        with_helper(|_| ());
    }
    // A check's problems, all of them, sent after its answer.
    let mut problems = Vec::new();
    let result = match request {
        ToWorker::Preview { settings, rows } => {
            preview(&file, &settings, rows).map(FromWorker::Preview)
        }
        ToWorker::Check { settings } => {
            let split = Split {
                from_size: SPLIT_FROM,
                at: None,
                share: FIRST_SHARE,
            };
            let run_part = |file: &File, _: &ReadSettings, start, progress| {
                helper_part(&json, file, start, progress)
            };
            let on_slice = &mut |p: &Progress| post(&FromWorker::Progress(*p));
            check_with(&file, &settings, split, &run_part, &helper_ready, on_slice)
                .await
                .map(|(progress, errors)| {
                    problems = errors;
                    FromWorker::Checked {
                        progress,
                        errors: problems.iter().take(PROBLEMS_LISTED).cloned().collect(),
                    }
                })
        }
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
    if let Some(blob) = problems_blob(&problems) {
        post_with(&FromWorker::Problems, &blob);
    }
    if warm_helper {
        with_helper(|_| ());
    }
}

/// A check's problems as the JSON `Blob` of [`FromWorker::Problems`] (`None` for none).
fn problems_blob(errors: &[(u64, FieldError)]) -> Option<Blob> {
    if errors.is_empty() {
        return None;
    }
    let json = serde_json::to_vec(errors).ok()?;
    let parts = js_sys::Array::of1(&Uint8Array::from(json.as_slice()));
    Blob::new_with_u8_array_sequence(&parts).ok()
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
    /// The file offset reached (bytes handed out so far, from the start of the file).
    offset: f64,
    /// Where to stop (see [`SliceReader::stop_at`]).
    end: f64,
    buf: Vec<u8>,
}

impl SliceReader {
    pub fn new(file: &File) -> Self {
        Self::of(file, 0.0)
    }

    /// The bytes of `file` from `start` to `end`.
    pub fn range(file: &File, start: f64, end: f64) -> Result<Self, String> {
        let blob = file
            .slice_with_f64_and_f64(start, end)
            .map_err(|e| format!("The file could not be read: {e:?}"))?;
        Ok(Self::of(&blob, start))
    }

    /// `blob`'s bytes, which start at `offset` of the file.
    fn of(blob: &Blob, offset: f64) -> Self {
        SliceReader {
            reader: blob.stream().get_reader().unchecked_into(),
            rest: None,
            done: false,
            offset,
            end: f64::INFINITY,
            buf: Vec::with_capacity(SLICE as usize),
        }
    }

    /// Hands out nothing from file offset `end` on (not before the bytes handed out).
    pub fn stop_at(&mut self, end: f64) {
        self.end = end.max(self.offset);
    }

    /// The next slice (shorter only at the end of the file) and the file offset it ends at;
    /// `None` after the last.
    pub async fn next_slice(&mut self) -> Result<Option<(&[u8], f64)>, String> {
        let slice = SLICE.min(self.end - self.offset) as usize;
        self.buf.clear();
        if slice == 0 && !self.done {
            // Stopped early: the stream is not read further.
            self.done = true;
            self.rest = None;
            let _ = self.reader.cancel();
        }
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
/// invalid and duplicate rows in one pass; `on_slice` gets the progress after each slice. The
/// worker's own check ([`ToWorker::Check`]) splits a large file in two parts read at once,
/// the second by a helper worker (see [`check_with`]).
pub async fn check(
    file: &File,
    settings: &ReadSettings,
    mut on_slice: impl FnMut(&Progress),
) -> Result<(Progress, Vec<(u64, FieldError)>), String> {
    let split = Split {
        from_size: f64::INFINITY,
        at: None,
        share: 0.5,
    };
    check_with(
        file,
        settings,
        split,
        &|_, _, _, _| None,
        &|| false,
        &mut on_slice,
    )
    .await
}

/// When [`check_with`] splits a file.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    /// Files this large or larger are split, while at least half of it is left to read.
    pub from_size: f64,
    /// Where the second part starts; `None` = once `ready` says the part can start, after
    /// about `share` of the bytes not read yet, where [`shared::import::split_point`] finds
    /// a likely record start.
    pub at: Option<f64>,
    /// See `at`; the real check's is [`FIRST_SHARE`].
    pub share: f64,
}

/// The share of the bytes left when the helper can start that the first worker reads itself
/// (the helper reads the rest). A little over half: the helper still has to start its part
/// (its message, its own detection) after the split is chosen, and its answer is then ready
/// when the first part ends (eighth session: 0.5, 0.54 and 0.57 measured side by side, 0.54
/// and 0.57 level and about 4% faster than 0.5).
pub const FIRST_SHARE: f64 = 0.54;

/// The second part of a split check, under way elsewhere: `result` resolves to the part's
/// bytes ([`PartResult::into_bytes`] in a `Uint8Array`) or to a message why it failed.
pub struct PartJob {
    pub result: js_sys::Promise,
    /// Asks for the emails of the part's first rows numbered so; resolves to their
    /// [`PartEmails::answer`] in a `Uint8Array`, or to a message why it cannot. `None` when
    /// it cannot be asked.
    pub emails: Box<EmailsAsker>,
    /// Called when the part is not needed after all (the first part did not end at a
    /// record start).
    pub cancel: Box<dyn FnOnce()>,
}

/// See [`PartJob::emails`].
pub type EmailsAsker = dyn Fn(&[u32]) -> Option<js_sys::Promise>;

/// Starts the second part from `start` (the file, its settings, where, and a cell its progress
/// goes to); `None` when it cannot run now.
pub type PartRunner<'a> =
    dyn Fn(&File, &ReadSettings, f64, Rc<Cell<Progress>>) -> Option<PartJob> + 'a;

/// [`check`] with the split and the runner of the second part given (tests run it in this
/// worker); `ready` says whether the runner can start a part now (asked before each slice
/// until it can). Results are those of one pass: the first part's reader checks that it
/// ends at a record start where the second begins, and otherwise reads the rest itself.
pub async fn check_with(
    file: &File,
    settings: &ReadSettings,
    split: Split,
    run_part: &PartRunner<'_>,
    ready: &dyn Fn() -> bool,
    on_slice: &mut dyn FnMut(&Progress),
) -> Result<(Progress, Vec<(u64, FieldError)>), String> {
    let (detection, sample) = detect(file, settings)?;
    if let Some(problem) = &detection.problem {
        return Err(problem.message.clone());
    }
    let total = file.size();
    let mut check = FileCheck::new(&detection, &PlatformDecoders, MAX_ERRORS_SHOWN);
    let part_progress = Rc::new(Cell::new(Progress::default()));
    let mut part: Option<(f64, PartJob)> = None;
    // Whether a split is still to be tried (once: when the helper is ready).
    let mut may_split = total >= split.from_size && FileCheck::can_split(&detection);
    let share = if may_split { split.share } else { 1.0 };
    check.expect_rows(estimate_rows(&sample, (total * share) as u64));
    let progress = |check: &FileCheck, bytes_done: f64, part: &Progress| {
        let mut p = to_progress(check.counts(), bytes_done + part.bytes_done, total);
        p.rows += part.rows;
        p.valid += part.valid;
        p.invalid += part.invalid;
        p.duplicates += part.duplicates;
        p
    };
    // Reads of a stream whose chunks are buffered already resolve without the event loop
    // running: the helper's messages (ready, progress) would wait for the end of this part.
    let events = may_split
        .then(|| web_sys::MessageChannel::new().ok())
        .flatten();
    let mut slices = SliceReader::range(file, 0.0, total)?;
    let mut reached = 0.0;
    let mut slices_read = 0u32;
    loop {
        // The split is chosen once the helper can start: the rest of the file is shared
        // between the two, so a helper that starts late gets less.
        if may_split && (split.at.is_some() || ready()) {
            may_split = false;
            let at = match split.at {
                Some(at) => Some(at).filter(|&at| at > reached),
                None if total - reached >= split.from_size / 2.0 => {
                    let from = reached + (total - reached) * split.share;
                    split_near(file, detection.delimiter, from)?
                }
                None => None,
            };
            part = at.and_then(|at| {
                run_part(file, settings, at, part_progress.clone()).map(|job| (at, job))
            });
            if let Some((at, _)) = &part {
                slices.stop_at(*at);
            }
        }
        let Some((bytes, end)) = slices.next_slice().await? else {
            break;
        };
        check.push(bytes);
        reached = end;
        slices_read += 1;
        on_slice(&progress(&check, reached, &part_progress.get()));
        // Every slice until the split (the helper's "ready" must get in), then only now and
        // then for its progress: each round trip costs this worker time.
        if let Some(channel) = &events
            && (may_split || slices_read.is_multiple_of(EVENTS_AFTER_SPLIT))
        {
            let_events_in(channel).await;
        }
    }
    if let Some((at, job)) = part {
        if check.at_record_start() {
            // Any failure of the helper: this worker reads the rest itself.
            if let Ok(part) = part_result(JsFuture::from(job.result).await) {
                let hits = check.hits(&part);
                let wanted = hits.wanted();
                // Asked even when none is needed (not waited for then): the helper then
                // forgets the part's emails.
                let asked = (job.emails)(&wanted);
                let answer = if wanted.is_empty() {
                    Some(Vec::new())
                } else if let Some(asked) = asked {
                    bytes_of(JsFuture::from(asked).await)
                } else {
                    None
                };
                if let Some(hits) = answer.as_deref().and_then(|a| hits.with_emails(a)) {
                    let (counts, errors) = check.merge(part, hits);
                    let p = to_progress(counts, total, total);
                    on_slice(&p);
                    return Ok((p, errors));
                }
            }
        } else {
            (job.cancel)();
        }
        read_range(&mut check, file, (at, total), &mut |c, end| {
            on_slice(&progress(c, end, &Progress::default()))
        })
        .await?;
    }
    check.finish();
    let (counts, errors) = check.into_result();
    Ok((to_progress(counts, total, total), errors))
}

/// Feeds `check` the bytes of `file` in `range`, slice by slice; `after` gets the check and the
/// file offset reached after each slice.
async fn read_range(
    check: &mut FileCheck,
    file: &File,
    (start, end): (f64, f64),
    after: &mut dyn FnMut(&FileCheck, f64),
) -> Result<(), String> {
    let mut slices = SliceReader::range(file, start, end)?;
    while let Some((bytes, reached)) = slices.next_slice().await? {
        check.push(bytes);
        after(check, reached);
    }
    Ok(())
}

/// After the split, the first worker lets the helper's progress in once per this many slices.
const EVENTS_AFTER_SPLIT: u32 = 8;

/// Lets the event loop run once (a message through `channel`: no timer's minimum delay).
async fn let_events_in(channel: &web_sys::MessageChannel) {
    let wake = js_sys::Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
    });
    let _ = channel.port2().post_message(&JsValue::NULL);
    let _ = JsFuture::from(wake).await;
}

fn to_progress(c: CheckCounts, bytes_done: f64, bytes_total: f64) -> Progress {
    Progress {
        bytes_done,
        bytes_total,
        rows: c.rows,
        valid: c.valid,
        invalid: c.invalid,
        duplicates: c.duplicates,
        sent: 0,
    }
}

/// Where the second part of a split check starts: a likely record start just after file
/// offset `from`, or `None`.
fn split_near(file: &File, delimiter: u8, from: f64) -> Result<Option<f64>, String> {
    let from = from.floor();
    let window = read_slice(file, from, (from + SPLIT_WINDOW).min(file.size()))?;
    Ok(shared::import::split_point(&window, delimiter).map(|p| from + p as f64))
}

/// The answer of a [`PartJob`].
fn part_result(answer: Result<JsValue, JsValue>) -> Result<PartResult, String> {
    let bytes = bytes_of(answer).ok_or_else(|| "The helper failed.".to_string())?;
    PartResult::from_bytes(bytes).ok_or_else(|| "The helper's answer could not be read.".into())
}

/// The bytes a [`PartJob`]'s promise resolved to; `None` for a failure.
fn bytes_of(answer: Result<JsValue, JsValue>) -> Option<Vec<u8>> {
    Some(answer.ok()?.dyn_into::<Uint8Array>().ok()?.to_vec())
}

/// The second part of a split check, read here: what the helper worker runs for
/// a check request with a [`PART_START`]. `on_slice` gets the part's own progress (bytes from `start`).
pub async fn check_part(
    file: &File,
    settings: &ReadSettings,
    start: f64,
    on_slice: &mut dyn FnMut(&Progress),
) -> Result<(PartResult, PartEmails), String> {
    // The same detection as the first part's: the same function of the same bytes.
    let (detection, sample) = detect(file, settings)?;
    if !FileCheck::can_split(&detection) {
        return Err("This file cannot be checked in parts.".into());
    }
    let total = file.size();
    let mut check = FileCheck::second_part(&detection, &PlatformDecoders, MAX_ERRORS_SHOWN);
    check.expect_rows(estimate_rows(&sample, (total - start) as u64));
    read_range(&mut check, file, (start, total), &mut |c, end| {
        on_slice(&to_progress(c.counts(), end - start, total - start))
    })
    .await?;
    check.finish();
    Ok(check.into_part())
}

/// The helper's side of a part: progress, then the part's bytes, handed over
/// (transferred, not copied).
async fn answer_part(file: File, settings: ReadSettings, start: f64) {
    let on_slice = |p: &Progress| {
        let numbers = js_sys::Float64Array::from(&progress_numbers(p)[..]);
        let _ = scope().post_message(&numbers);
    };
    match check_part(&file, &settings, start, &mut { on_slice }).await {
        Ok((part, emails)) => {
            PART_EMAILS.with(|e| *e.borrow_mut() = Some(emails));
            post_bytes(&part.into_bytes());
        }
        Err(message) => post(&FromWorker::Failed { message }),
    }
}

/// The helper's answer to [`EMAILS_FOR`]: the emails asked for (then forgotten), or a failure
/// when it has no part's emails; none to a request for none.
fn answer_emails(wanted: &[u32]) {
    match PART_EMAILS.with(|e| e.borrow_mut().take()) {
        _ if wanted.is_empty() => {}
        Some(emails) => post_bytes(&emails.answer(wanted)),
        None => post(&FromWorker::Failed {
            message: "The helper has no part's emails.".into(),
        }),
    }
}

/// Posts `bytes` to the worker that started this one, handing the buffer over (not copied).
fn post_bytes(bytes: &[u8]) {
    let bytes = Uint8Array::from(bytes);
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let _ = scope().post_message_with_transfer(&bytes, &transfer);
}

/// A part's progress as the helper posts it.
fn progress_numbers(p: &Progress) -> [f64; 5] {
    let n = |v: u64| v as f64;
    [
        p.bytes_done,
        n(p.rows),
        n(p.valid),
        n(p.invalid),
        n(p.duplicates),
    ]
}

fn progress_from_numbers(v: &[f64]) -> Progress {
    let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
    Progress {
        bytes_done: at(0),
        rows: at(1) as u64,
        valid: at(2) as u64,
        invalid: at(3) as u64,
        duplicates: at(4) as u64,
        ..Progress::default()
    }
}

/// [`FromWorker::Ready`] as [`post`] sends it (a test holds them equal).
pub const READY: &str = r#"{"type":"ready"}"#;

/// A helper worker (the same worker code, started from this one) and the part it is reading.
struct Helper {
    worker: Worker,
    state: Rc<RefCell<HelperState>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

#[derive(Default)]
struct HelperState {
    ready: bool,
    /// It failed to start or stopped: it takes no part.
    broken: bool,
    /// A request sent before the helper was ready (messages sent earlier are lost).
    waiting: Option<JsValue>,
    /// The part under way: its promise's `resolve` and where its progress goes.
    job: Option<(js_sys::Function, Rc<Cell<Progress>>)>,
}

impl HelperState {
    fn answer(&mut self, value: &JsValue) {
        if let Some((resolve, _)) = self.job.take() {
            let _ = resolve.call1(&JsValue::NULL, value);
        }
    }
}

impl Helper {
    fn spawn() -> Option<Helper> {
        let worker = Worker::new(crate::worker_client::WORKER_URL).ok()?;
        let state = Rc::new(RefCell::new(HelperState::default()));
        let on_message = {
            let state = state.clone();
            let worker = worker.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // Not JSON (whose decoding of `FromWorker` would add 20 KB to this wasm): the
                // helper's strings are `ready` or a failure, its progress numbers, its result
                // bytes.
                let data = event.data();
                let mut s = state.borrow_mut();
                if let Some(numbers) = data.dyn_ref::<js_sys::Float64Array>() {
                    if let Some((_, progress)) = &s.job {
                        progress.set(progress_from_numbers(&numbers.to_vec()));
                    }
                } else if data.as_string().as_deref() == Some(READY) {
                    s.ready = true;
                    if let Some(m) = s.waiting.take() {
                        let _ = worker.post_message(&m);
                    }
                } else {
                    s.answer(&data);
                }
            })
        };
        let on_error = {
            let state = state.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let mut s = state.borrow_mut();
                s.broken = true;
                s.answer(&"The helper stopped.".into());
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Helper {
            worker,
            state,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Asks for the part from `start` of the check `json` asks for; `None` while another
    /// part is under way.
    fn start_part(
        &self,
        json: &str,
        file: &File,
        start: f64,
        progress: Rc<Cell<Progress>>,
    ) -> Option<js_sys::Promise> {
        if self.state.borrow().job.is_some() || self.state.borrow().broken {
            return None;
        }
        let message = js_sys::Object::new();
        Reflect::set(&message, &"msg".into(), &JsValue::from_str(json)).ok()?;
        Reflect::set(&message, &"file".into(), file).ok()?;
        Reflect::set(&message, &PART_START.into(), &JsValue::from_f64(start)).ok()?;
        Some(self.ask(message.into(), progress))
    }

    /// Asks the helper for the emails of the first rows numbered `wanted` of the part it read
    /// last; `None` while a part is under way, and for none (then it only forgets them, and
    /// does not answer).
    fn ask_emails(&self, wanted: &[u32]) -> Option<js_sys::Promise> {
        if self.state.borrow().job.is_some() || self.state.borrow().broken {
            return None;
        }
        let message = js_sys::Object::new();
        let numbers = js_sys::Uint32Array::from(wanted);
        Reflect::set(&message, &EMAILS_FOR.into(), &numbers).ok()?;
        if wanted.is_empty() {
            let _ = self.worker.post_message(&message);
            return None;
        }
        Some(self.ask(message.into(), Rc::default()))
    }

    /// Sends `message` (once the helper is ready); the promise resolves to its answer.
    fn ask(&self, message: JsValue, progress: Rc<Cell<Progress>>) -> js_sys::Promise {
        let state = self.state.clone();
        let result = js_sys::Promise::new(&mut |resolve, _reject| {
            state.borrow_mut().job = Some((resolve, progress.clone()));
        });
        let mut s = self.state.borrow_mut();
        if s.ready {
            let _ = self.worker.post_message(&message);
        } else {
            s.waiting = Some(message);
        }
        result
    }
}

/// Runs `f` with the helper worker, starting it if need be; `None` if none can run here.
fn with_helper<T>(f: impl FnOnce(&Helper) -> T) -> Option<T> {
    HELPER.with(|h| {
        let mut h = h.borrow_mut();
        if h.is_none() {
            *h = Helper::spawn();
        }
        h.as_ref().map(f)
    })
}

/// Whether the helper worker is ready to read a part (never when none could start).
fn helper_ready() -> bool {
    HELPER.with(|h| h.borrow().as_ref().is_some_and(|h| h.state.borrow().ready))
}

/// The real [`PartRunner`] for the check `json` asks for: the helper worker reads the part.
fn helper_part(
    json: &str,
    file: &File,
    start: f64,
    progress: Rc<Cell<Progress>>,
) -> Option<PartJob> {
    let result = with_helper(|h| h.start_part(json, file, start, progress))??;
    Some(PartJob {
        result,
        // The helper that read the part (never a new one: it would have no emails).
        emails: Box::new(|wanted| {
            HELPER.with(|h| h.borrow().as_ref().and_then(|h| h.ask_emails(wanted)))
        }),
        // Stop its work: a new helper starts for the next check.
        cancel: Box::new(|| {
            if let Some(h) = HELPER.with(|h| h.borrow_mut().take()) {
                h.worker.terminate();
            }
        }),
    })
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
                if !may_continue().await {
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
