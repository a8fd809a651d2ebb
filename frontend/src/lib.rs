//! Intake's browser app: Leptos (client-side rendering) pages that talk to the backend only
//! through `shared::api` types over same-origin `/api`, and a Web Worker ([`worker`]) that
//! reads, parses, checks and uploads files with the shared import core, so the page never
//! freezes on a large file. A workbook is first turned into CSV text by a worker of its own
//! ([`workbook`]), loaded only when one is chosen.

pub mod api;
pub mod app;
pub mod decode;
pub mod i18n;
pub mod pages;
pub mod protocol;
pub mod session;
pub mod workbook;
pub mod worker;
pub mod worker_client;

// One thread per wasm instance (page and workers alike): talc's single-threaded allocator.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Mount the app on the page.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
