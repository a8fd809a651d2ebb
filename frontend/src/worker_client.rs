//! The page's side of the parse worker: starts it, holds messages until it says it is
//! ready ([`ReadyQueue`], which the worker also uses for its helper), and hands each answer
//! (with the `Blob` sent beside it, if any) to a callback.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, MessageEvent, Worker};

use crate::protocol::{ATTACHMENT, FromWorker, ToWorker};

/// Where Trunk puts the worker's loader (its files are not hashed).
pub const WORKER_URL: &str = "/worker_loader.js";

pub struct WorkerClient {
    worker: Worker,
    queue: Rc<RefCell<ReadyQueue>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Messages for a worker that has not said it is ready yet: a message posted before its wasm
/// has set its handler is lost, so they wait here and go out in order once it is.
#[derive(Default)]
pub struct ReadyQueue {
    ready: bool,
    waiting: Vec<JsValue>,
}

impl ReadyQueue {
    /// Posts `message` to `worker` now if it is ready, else once it is.
    pub fn send(&mut self, worker: &Worker, message: JsValue) {
        if self.ready {
            let _ = worker.post_message(&message);
        } else {
            self.waiting.push(message);
        }
    }

    /// The worker said it is ready: posts what waited.
    pub fn set_ready(&mut self, worker: &Worker) {
        self.ready = true;
        for m in std::mem::take(&mut self.waiting) {
            let _ = worker.post_message(&m);
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready
    }
}

impl WorkerClient {
    pub fn spawn(
        url: &str,
        on_answer: impl Fn(FromWorker, Option<Blob>) + 'static,
    ) -> Result<Self, String> {
        let worker =
            Worker::new(url).map_err(|e| format!("The parse worker did not start: {e:?}"))?;
        let queue = Rc::new(RefCell::new(ReadyQueue::default()));
        let on_message = {
            let queue = queue.clone();
            let worker = worker.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // A JSON string, or `{msg, attachment}` with a Blob beside it.
                let data = event.data();
                let (json, attachment) = match data.as_string() {
                    Some(json) => (json, None),
                    None => (
                        get(&data, "msg")
                            .and_then(|m| m.as_string())
                            .unwrap_or_default(),
                        get(&data, ATTACHMENT).and_then(|b| b.dyn_into::<Blob>().ok()),
                    ),
                };
                let answer = match serde_json::from_str::<FromWorker>(&json) {
                    Ok(a) => a,
                    Err(e) => FromWorker::Failed {
                        message: format!("The parse worker sent an unreadable answer: {e}"),
                    },
                };
                if answer == FromWorker::Ready {
                    queue.borrow_mut().set_ready(&worker);
                    return;
                }
                on_answer(answer, attachment);
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            queue,
            _on_message: on_message,
        })
    }

    pub fn send(&self, request: &ToWorker, file: &File) {
        let message = js_sys::Object::new();
        let json = serde_json::to_string(request).unwrap_or_default();
        let _ = js_sys::Reflect::set(&message, &"msg".into(), &JsValue::from_str(&json));
        let _ = js_sys::Reflect::set(&message, &"file".into(), file);
        self.queue.borrow_mut().send(&self.worker, message.into());
    }
}

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &key.into()).ok()
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
