//! What the import page remembers in localStorage: the mapping per set of headers, and the
//! upload in progress per file (so a closed tab can resume it).

use shared::api::Id;
use shared::import::Target;
use web_sys::File;

use crate::protocol::{Preview, ReadSettings};

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Mappings are remembered per set of headers, so the next export from the same system maps
/// itself.
fn mapping_key(p: &Preview) -> Option<String> {
    p.has_header.then(|| {
        let headers: Vec<String> = p
            .columns
            .iter()
            .map(|c| c.header.clone().unwrap_or_default().to_lowercase())
            .collect();
        format!("intake.mapping.{}", headers.join("\u{1f}"))
    })
}

/// The mapping remembered for files with `p`'s headers, if it fits `p`'s columns.
pub fn saved_mapping(p: &Preview) -> Option<Vec<Option<Target>>> {
    mapping_key(p)
        .and_then(|k| local_storage()?.get_item(&k).ok().flatten())
        .and_then(|json| serde_json::from_str::<Vec<Option<Target>>>(&json).ok())
        .filter(|m| m.len() == p.columns.len())
}

/// Remembers `mapping` for files with `p`'s headers.
pub fn save_mapping(p: &Preview, mapping: &Option<Vec<Option<Target>>>) {
    if let (Some(key), Some(storage)) = (mapping_key(p), local_storage())
        && let Ok(json) = serde_json::to_string(mapping)
    {
        let _ = storage.set_item(&key, &json);
    }
}

/// An upload in progress is remembered per file, so a closed tab can resume it.
fn upload_key(f: &File) -> String {
    format!(
        "intake.upload.{}.{}.{}",
        f.name(),
        f.size(),
        f.last_modified()
    )
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingUpload {
    pub import_id: Id,
    pub acked_batches: u32,
    pub settings: ReadSettings,
}

/// The upload of `f` a closed tab left, if any.
pub fn pending_upload(f: &File) -> Option<PendingUpload> {
    local_storage()
        .and_then(|s| s.get_item(&upload_key(f)).ok().flatten())
        .and_then(|json| serde_json::from_str::<PendingUpload>(&json).ok())
}

pub fn save_upload(f: &File, pending: &PendingUpload) {
    if let Some(storage) = local_storage()
        && let Ok(json) = serde_json::to_string(pending)
    {
        let _ = storage.set_item(&upload_key(f), &json);
    }
}

pub fn forget_upload(f: &File) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(&upload_key(f));
    }
}
