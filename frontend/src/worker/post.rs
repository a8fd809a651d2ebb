//! How every job answers the page (or the first worker): a leaf module the dispatcher and the
//! jobs all use.

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope};

use crate::protocol::{ATTACHMENT, FromWorker};

pub(super) fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub(super) fn post(msg: &FromWorker) {
    if let Ok(json) = serde_json::to_string(msg) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

/// [`post`] with `blob` beside the message: `{msg, attachment}`.
pub(super) fn post_with(msg: &FromWorker, blob: &Blob) {
    let message = js_sys::Object::new();
    if let Ok(json) = serde_json::to_string(msg) {
        let _ = Reflect::set(&message, &"msg".into(), &JsValue::from_str(&json));
        let _ = Reflect::set(&message, &ATTACHMENT.into(), blob);
        let _ = scope().post_message(&message);
    }
}

/// [`FromWorker::Ready`] as [`post`] sends it (a test holds them equal).
pub const READY: &str = r#""ready""#;

/// The property of the first worker's request for the emails of some of the part's first rows
/// ([`shared::import::Hits::wanted`]).
pub(super) const EMAILS_FOR: &str = "emails_for";

/// The property of a check request that makes it the second part of a split check (where it
/// starts); the helper gets the page's own request beside it (no second JSON form to build).
pub(super) const PART_START: &str = "part_start";
