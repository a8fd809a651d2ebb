//! Excel and OpenDocument workbooks in the browser. A workbook is read by a worker of its
//! own ([`worker`], the `workbook` bin, built with the `workbook` feature: calamine), started
//! only when the chosen file is a workbook, so the parse worker's wasm never carries the
//! reader. It answers with the sheet's CSV text as a `Blob`, which the page then hands to the
//! parse worker as a CSV file, whose records are numbered as the sheet's rows (empty rows
//! are blank lines; a cell holding line breaks does not shift the rows below), as the server
//! numbers a raw upload's workbook.
//!
//! This module is the page's side ([`WorkbookClient`]) and the messages, plain JS objects:
//! page -> worker `{file, sheet?}` (a `File`, and a sheet name or none for the first sheet
//! holding a value); worker -> page `{ready: true}` once, then `{sheets, sheet, text,
//! partial}` or `{error}` (a `shared::workbook::WorkbookError` code). A sheet of many rows is
//! answered twice: its first rows (`partial: true`, for the preview) and then all of it; the
//! page lets nothing be checked or imported before the second.

#[cfg(feature = "workbook")]
pub mod worker;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, MessageEvent, Worker};

use crate::worker_client::ReadyQueue;

/// Where Trunk puts the workbook worker's loader (its files are not hashed).
pub const WORKBOOK_WORKER_URL: &str = "/workbook_loader.js";

/// What the workbook worker answered.
pub enum WorkbookAnswer {
    /// The workbook's sheets, the one read, and its CSV text: its first rows only when
    /// `partial` (the whole text follows in a second answer).
    Text {
        sheets: Vec<String>,
        sheet: String,
        text: Blob,
        partial: bool,
    },
    /// The workbook cannot be read: the code of `shared::workbook::WorkbookError`.
    Failed(String),
}

/// Whether the file's first bytes are a workbook's (zip or OLE), read without a worker.
pub async fn is_workbook(file: &File) -> bool {
    let Ok(head) = file.slice_with_i32_and_i32(0, shared::workbook::SNIFF_BYTES as i32) else {
        return false;
    };
    let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(head.array_buffer()).await else {
        return false;
    };
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    shared::workbook::container(&bytes).is_some()
}

pub struct WorkbookClient {
    worker: Worker,
    queue: Rc<RefCell<ReadyQueue>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl WorkbookClient {
    pub fn spawn(on_answer: impl Fn(WorkbookAnswer) + 'static) -> Result<Self, String> {
        let worker = Worker::new(WORKBOOK_WORKER_URL)
            .map_err(|e| format!("The workbook reader did not start: {e:?}"))?;
        let queue = Rc::new(RefCell::new(ReadyQueue::default()));
        let on_message = {
            let queue = queue.clone();
            let worker = worker.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                if get(&data, "ready").is_some_and(|r| r.is_truthy()) {
                    queue.borrow_mut().set_ready(&worker);
                    return;
                }
                if let Some(code) = get(&data, "error").and_then(|e| e.as_string()) {
                    on_answer(WorkbookAnswer::Failed(code));
                    return;
                }
                let sheets = get(&data, "sheets")
                    .map(|s| {
                        js_sys::Array::from(&s)
                            .iter()
                            .filter_map(|n| n.as_string())
                            .collect()
                    })
                    .unwrap_or_default();
                let sheet = get(&data, "sheet")
                    .and_then(|s| s.as_string())
                    .unwrap_or_default();
                match get(&data, "text").and_then(|b| b.dyn_into::<Blob>().ok()) {
                    Some(text) => on_answer(WorkbookAnswer::Text {
                        sheets,
                        sheet,
                        text,
                        partial: get(&data, "partial").is_some_and(|p| p.is_truthy()),
                    }),
                    None => on_answer(WorkbookAnswer::Failed("workbook_unreadable".into())),
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(WorkbookClient {
            worker,
            queue,
            _on_message: on_message,
        })
    }

    /// Asks for the CSV text of `sheet` (none: the first sheet holding a value) of `file`.
    pub fn read(&self, file: &File, sheet: Option<&str>) {
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"file".into(), file);
        if let Some(sheet) = sheet {
            let _ = js_sys::Reflect::set(&message, &"sheet".into(), &JsValue::from_str(sheet));
        }
        self.queue.borrow_mut().send(&self.worker, message.into());
    }
}

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &key.into())
        .ok()
        .filter(|v| !v.is_undefined())
}

impl Drop for WorkbookClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
