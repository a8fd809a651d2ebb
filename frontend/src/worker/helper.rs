//! The helper worker of a split check, both sides: the first worker starts it ([`Helper`])
//! and asks it for the second part ([`helper_part`]) and then for a few of that part's emails;
//! the helper reads the part ([`answer_part`]) and answers ([`answer_emails`]). Between them,
//! not JSON: progress as numbers, results as transferred bytes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use shared::import::PartEmails;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent, Worker};

use super::check::{PartJob, check_part};
use super::post::{EMAILS_FOR, PART_START, READY, post, scope};
use crate::protocol::{FromWorker, Progress, ReadSettings};
use crate::worker_client::ReadyQueue;

/// What a split check keeps between messages: in the first worker its helper, in the
/// helper the emails of the part it read last.
#[derive(Default)]
pub(super) struct SplitState {
    /// The worker that reads the second part of a split check (started on the first preview
    /// or check of a large file, kept for the next).
    helper: RefCell<Option<Helper>>,
    /// In the helper: the emails of the part it read last, until the first worker asks for
    /// the few it needs.
    part_emails: RefCell<Option<PartEmails>>,
}

/// The helper's side of a part: progress, then the part's bytes, handed over
/// (transferred, not copied).
pub(super) async fn answer_part(
    state: &SplitState,
    file: File,
    settings: ReadSettings,
    start: f64,
) {
    let on_slice = |p: &Progress| {
        let numbers = js_sys::Float64Array::from(&progress_numbers(p)[..]);
        let _ = scope().post_message(&numbers);
    };
    match check_part(&file, &settings, start, &mut { on_slice }).await {
        Ok((part, emails)) => {
            *state.part_emails.borrow_mut() = Some(emails);
            post_bytes(&part.into_bytes());
        }
        Err(message) => post(&FromWorker::Failed { message }),
    }
}

/// The helper's answer to [`EMAILS_FOR`]: the emails asked for (then forgotten), or a failure
/// when it has no part's emails; none to a request for none.
pub(super) fn answer_emails(state: &SplitState, wanted: &[u32]) {
    match state.part_emails.borrow_mut().take() {
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

/// A helper worker (the same worker code, started from this one) and the part it is reading.
struct Helper {
    worker: Worker,
    state: Rc<RefCell<HelperState>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

#[derive(Default)]
struct HelperState {
    /// Requests sent before the helper said it was ready (messages sent earlier are lost).
    queue: ReadyQueue,
    /// It failed to start or stopped: it takes no part.
    broken: bool,
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
                    s.queue.set_ready(&worker);
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
        self.state.borrow_mut().queue.send(&self.worker, message);
        result
    }
}

/// Starts the helper worker if it is not running (and can run here).
pub(super) fn start_helper(state: &SplitState) {
    with_helper(state, |_| ());
}

/// Runs `f` with the helper worker, starting it if need be; `None` if none can run here.
fn with_helper<T>(state: &SplitState, f: impl FnOnce(&Helper) -> T) -> Option<T> {
    let mut h = state.helper.borrow_mut();
    if h.is_none() {
        *h = Helper::spawn();
    }
    h.as_ref().map(f)
}

/// Whether the helper worker is ready to read a part (never when none could start).
pub(super) fn helper_ready(state: &SplitState) -> bool {
    state
        .helper
        .borrow()
        .as_ref()
        .is_some_and(|h| h.state.borrow().queue.is_ready())
}

/// The real [`PartRunner`] for the check `json` asks for: the helper worker reads the part.
pub(super) fn helper_part(
    state: &'static SplitState,
    json: &str,
    file: &File,
    start: f64,
    progress: Rc<Cell<Progress>>,
) -> Option<PartJob> {
    let result = with_helper(state, |h| h.start_part(json, file, start, progress))??;
    Some(PartJob {
        result,
        // The helper that read the part (never a new one: it would have no emails).
        emails: Box::new(move |wanted| {
            let helper = state.helper.borrow();
            helper.as_ref().and_then(|h| h.ask_emails(wanted))
        }),
        // Stop its work: a new helper starts for the next check.
        cancel: Box::new(move || {
            let helper = state.helper.borrow_mut().take();
            if let Some(h) = helper {
                h.worker.terminate();
            }
        }),
    })
}
