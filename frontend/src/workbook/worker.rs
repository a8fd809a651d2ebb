//! The workbook worker (feature `workbook`): reads the chosen `File` whole, opens it with
//! `shared::workbook`, and answers with the sheet's CSV text as a `Blob`: first its first
//! rows when it has many, then all of it (see the module docs of [`workbook`](super)). The workbook stays open between messages, so choosing another
//! sheet does not read the file again.

use std::cell::RefCell;
use std::io::Cursor;

use js_sys::{Array, Object, Reflect, Uint8Array};
use shared::workbook::{Workbook, WorkbookError};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent,
};

type Book = Workbook<Cursor<Vec<u8>>>;

thread_local! {
    /// The workbook last opened, with the `File` it came from.
    static OPEN: RefCell<Option<(File, Book)>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let Some(file) = Reflect::get(&data, &"file".into())
            .ok()
            .and_then(|f| f.dyn_into::<File>().ok())
        else {
            return;
        };
        let sheet = Reflect::get(&data, &"sheet".into())
            .ok()
            .and_then(|s| s.as_string());
        if let Err(e) = read(&file, sheet.as_deref(), &|o| {
            let _ = scope().post_message(o);
        }) {
            let o = Object::new();
            let _ = Reflect::set(&o, &"error".into(), &e.code().into());
            let _ = scope().post_message(&o);
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before this point were lost: the page waits for this one.
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope().post_message(&ready);
}

/// Rows of the first answer (the preview's text) when a sheet has more: the page shows its
/// preview while the rest is read (a 500,000-row sheet takes seconds).
const HEAD_ROWS: u32 = 1000;

/// Answers with the head of the sheet (`partial: true`) when it has more than [`HEAD_ROWS`]
/// rows, then with the whole sheet.
fn read(file: &File, sheet: Option<&str>, post: &dyn Fn(&Object)) -> Result<(), WorkbookError> {
    OPEN.with_borrow_mut(|open| {
        if !open.as_ref().is_some_and(|(f, _)| f == file) {
            *open = None;
            let reader = FileReaderSync::new().map_err(|_| WorkbookError::Unreadable)?;
            let buffer = reader
                .read_as_array_buffer(file)
                .map_err(|_| WorkbookError::Unreadable)?;
            let bytes = Uint8Array::new(&buffer).to_vec();
            *open = Some((file.clone(), Workbook::open(Cursor::new(bytes))?));
        }
        let Some((_, book)) = open.as_mut() else {
            return Err(WorkbookError::Unreadable);
        };
        let mut text = Vec::new();
        let head =
            book.write_csv_head(sheet, HEAD_ROWS, &mut |piece| text.extend_from_slice(piece))?;
        if u64::from(HEAD_ROWS) <= head.rows {
            post(&answer(book.sheet_names(), &head.name, &text, true)?);
            text.clear();
            // The sheet the head came from (without a name, the first holding a value).
            book.write_csv(Some(&head.name), &mut |piece| text.extend_from_slice(piece))?;
        }
        post(&answer(book.sheet_names(), &head.name, &text, false)?);
        Ok(())
    })
}

fn answer(
    sheets: &[String],
    sheet: &str,
    text: &[u8],
    partial: bool,
) -> Result<Object, WorkbookError> {
    let parts = Array::of1(&Uint8Array::from(text));
    let options = BlobPropertyBag::new();
    options.set_type("text/csv");
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| WorkbookError::Unreadable)?;
    let sheets: Array = sheets.iter().map(|s| JsValue::from_str(s)).collect();
    let o = Object::new();
    let _ = Reflect::set(&o, &"sheets".into(), &sheets);
    let _ = Reflect::set(&o, &"sheet".into(), &sheet.into());
    let _ = Reflect::set(&o, &"text".into(), &blob);
    let _ = Reflect::set(&o, &"partial".into(), &JsValue::from_bool(partial));
    Ok(o)
}
