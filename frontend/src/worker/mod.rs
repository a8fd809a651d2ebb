//! The parse worker: runs in a dedicated Web Worker, reads the chosen `File` in slices
//! (`FileReaderSync`, or the file's stream for the whole-file check; never whole into memory),
//! runs the shared import core over it, and answers the page with [`FromWorker`] messages.
//! Uploads also happen here, batch by batch, so a million-row file never passes through the
//! page. The whole-file check of a large file runs in two parts at once: this worker starts a
//! helper (the same code, in a worker of its own) for the second part and merges its answer
//! (see [`check_with`] and `shared::import::check`).
//!
//! This module only dispatches messages; each job has its module: [`file`] (reading),
//! [`preview`], [`check`] (the whole-file check), [`helper`] (the second part's worker, both
//! sides) and [`upload`]. What the worker keeps between messages is one [`WorkerState`]
//! (the jobs get the part of it they need; [`post`] is how they answer).

mod check;
mod file;
mod helper;
mod post;
mod preview;
mod upload;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent};

use crate::protocol::{FromWorker, PROBLEMS_LISTED, Progress, ReadSettings, ToWorker};

pub use check::{
    CheckResult, EmailsAsker, FIRST_SHARE, PartJob, PartRunner, SPLIT_FROM, Split, check,
    check_part, check_with,
};
pub use file::{SAMPLE, SliceReader, read_slice};
pub use preview::preview;
pub use upload::UploadJob;

pub use post::READY;

use post::{EMAILS_FOR, PART_START, post, post_with, scope};

/// Everything the worker keeps between messages. One value per worker, created by [`start`];
/// each job gets the part it needs. It lives as long as the worker, so jobs borrow it for
/// `'static` (no reference counting in the worker's wasm).
#[derive(Default)]
pub struct WorkerState {
    /// Pause and Stop of the upload under way.
    upload: upload::UploadControl,
    /// The split check's helper worker, and (in the helper) the part's emails.
    split: helper::SplitState,
}

pub fn start() {
    console_error_panic_hook::set_once();
    let state: &'static WorkerState = Box::leak(Box::default());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        if let Ok(wanted) = Reflect::get(&data, &EMAILS_FOR.into())
            && let Some(wanted) = wanted.dyn_ref::<js_sys::Uint32Array>()
        {
            helper::answer_emails(&state.split, &wanted.to_vec());
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
            (Some(Ok(ToWorker::Pause)), _) => state.upload.pause(),
            (Some(Ok(ToWorker::Resume)), _) => state.upload.resume(),
            (Some(Ok(ToWorker::Stop)), _) => state.upload.stop(),
            (Some(Ok(ToWorker::Validate { row })), _) => post(&FromWorker::Validated {
                line: row.line,
                errors: shared::rules::validate_row(&row).err().unwrap_or_default(),
            }),
            // A check with a start: the second part of another worker's split check.
            (Some(Ok(ToWorker::Check { settings })), Some(file))
                if let Some(start) = part_start.as_ref().and_then(JsValue::as_f64) =>
            {
                wasm_bindgen_futures::spawn_local(helper::answer_part(
                    &state.split,
                    file,
                    settings,
                    start,
                ))
            }
            (Some(Ok(request)), Some(file)) => {
                let json = msg.unwrap_or_default();
                wasm_bindgen_futures::spawn_local(handle(state, request, json, file))
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

/// Answers `request` (whose JSON is `json`) about `file`.
async fn handle(state: &'static WorkerState, request: ToWorker, json: String, file: File) {
    // A check of a large file will want the helper: start it once the preview is shown (its
    // start would slow the preview down), while the user looks at the mapping.
    let warm_helper = matches!(request, ToWorker::Preview { .. }) && file.size() >= SPLIT_FROM;
    if matches!(request, ToWorker::Check { .. }) && file.size() >= SPLIT_FROM {
        // No preview came first (or the helper was stopped): start it now; the check
        // splits the file once it is ready.
        helper::start_helper(&state.split);
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
                helper::helper_part(&state.split, &json, file, start, progress)
            };
            let ready = || helper::helper_ready(&state.split);
            let on_slice = &mut |p: &Progress| post(&FromWorker::Progress(*p));
            check_with(&file, &settings, split, &run_part, &ready, on_slice)
                .await
                .map(|(progress, errors, values)| {
                    problems = errors;
                    FromWorker::Checked {
                        progress,
                        errors: problems.iter().take(PROBLEMS_LISTED).cloned().collect(),
                        values,
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
            upload::upload(&state.upload, &file, &settings, &job).await
        }
        ToWorker::Pause | ToWorker::Resume | ToWorker::Stop | ToWorker::Validate { .. } => return,
    };
    post(&result.unwrap_or_else(|message| FromWorker::Failed { message }));
    if let Some(blob) = check::problems_blob(&problems) {
        post_with(&FromWorker::Problems, &blob);
    }
    if warm_helper {
        helper::start_helper(&state.split);
    }
}
