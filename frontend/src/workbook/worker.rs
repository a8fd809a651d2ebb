//! The workbook worker (feature `workbook`): reads the chosen `File` whole, opens it with
//! `shared::workbook`, and answers with the sheet's CSV text as a `Blob` (see the module docs
//! of [`workbook`](super)). The workbook stays open between messages, so choosing another
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
        let answer = match read(&file, sheet.as_deref()) {
            Ok(answer) => answer,
            Err(e) => {
                let o = Object::new();
                let _ = Reflect::set(&o, &"error".into(), &e.code().into());
                o
            }
        };
        let _ = scope().post_message(&answer);
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before this point were lost: the page waits for this one.
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope().post_message(&ready);
}

fn read(file: &File, sheet: Option<&str>) -> Result<Object, WorkbookError> {
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
        let written = book.write_csv(sheet, &mut |piece| text.extend_from_slice(piece))?;
        let parts = Array::of1(&Uint8Array::from(&text[..]));
        let options = BlobPropertyBag::new();
        options.set_type("text/csv");
        let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            .map_err(|_| WorkbookError::Unreadable)?;
        let sheets: Array = book
            .sheet_names()
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect();
        let o = Object::new();
        let _ = Reflect::set(&o, &"sheets".into(), &sheets);
        let _ = Reflect::set(&o, &"sheet".into(), &written.name.into());
        let _ = Reflect::set(&o, &"text".into(), &blob);
        Ok(o)
    })
}
