//! The whole-file check: one pass over the file with the borrowed-row path, split in two
//! parts read at once for a large file (the second by the [`helper`](super::helper)); the
//! merge gives the results of one pass.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Uint8Array;
use shared::api::FieldError;
use shared::import::{
    CheckCounts, DistinctValues, FileCheck, PartEmails, PartResult, estimate_rows,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File};

use super::file::{SliceReader, detect, read_slice};
use crate::decode::PlatformDecoders;
use crate::protocol::{Progress, ReadSettings};

/// At most this many problems are sent back from a whole-file check (the page shows a few
/// and offers all of them as a CSV download).
const MAX_ERRORS_SHOWN: usize = 100_000;
/// Files from this size on are checked in two parts at once, the second by a helper worker:
/// below it the helper's start and the merge cost more than they save.
pub const SPLIT_FROM: f64 = 8.0 * 1024.0 * 1024.0;
/// Bytes read where the file is split to find where the second part starts.
const SPLIT_WINDOW: f64 = 64.0 * 1024.0;

/// A check's problems as the JSON `Blob` of [`FromWorker::Problems`](crate::protocol::FromWorker::Problems) (`None` for none).
pub(super) fn problems_blob(errors: &[(u64, FieldError)]) -> Option<Blob> {
    if errors.is_empty() {
        return None;
    }
    let json = serde_json::to_vec(errors).ok()?;
    let parts = js_sys::Array::of1(&Uint8Array::from(json.as_slice()));
    Blob::new_with_u8_array_sequence(&parts).ok()
}

/// Read the whole file with the borrowed-row path (no per-row allocation) and count valid,
/// invalid and duplicate rows in one pass; `on_slice` gets the progress after each slice. The
/// worker's own check ([`ToWorker::Check`](crate::protocol::ToWorker::Check)) splits a large file in two parts read at once,
/// the second by a helper worker (see [`check_with`]).
/// What a check found: the counts, the first problems, and the distinct consent and group
/// values.
pub type CheckResult = (Progress, Vec<(u64, FieldError)>, DistinctValues);

pub async fn check(
    file: &File,
    settings: &ReadSettings,
    mut on_slice: impl FnMut(&Progress),
) -> Result<CheckResult, String> {
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
) -> Result<CheckResult, String> {
    let (detection, sample) = detect(file, settings)?;
    if let Some(problem) = &detection.problem {
        return Err(problem.message.clone());
    }
    let total = file.size();
    let mut check = FileCheck::new(&detection, &PlatformDecoders, MAX_ERRORS_SHOWN);
    check.set_values(&settings.values);
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
            if let Ok(mut part) = part_result(JsFuture::from(job.result).await) {
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
                    check.absorb_values(&mut part);
                    let values = check.values();
                    let (counts, errors) = check.merge(part, hits);
                    let p = to_progress(counts, total, total);
                    on_slice(&p);
                    return Ok((p, errors, values));
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
    let values = check.values();
    let (counts, errors) = check.into_result();
    Ok((to_progress(counts, total, total), errors, values))
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

pub(super) fn to_progress(c: CheckCounts, bytes_done: f64, bytes_total: f64) -> Progress {
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
/// a check request with a [`PART_START`](super::post::PART_START). `on_slice` gets the part's own progress (bytes from `start`).
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
    check.set_values(&settings.values);
    check.expect_rows(estimate_rows(&sample, (total - start) as u64));
    read_range(&mut check, file, (start, total), &mut |c, end| {
        on_slice(&to_progress(c.counts(), end - start, total - start))
    })
    .await?;
    check.finish();
    Ok(check.into_part())
}
