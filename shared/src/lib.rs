//! Intake's shared core: the API types that cross HTTP and the import rules (decode, parse,
//! detect, map, normalise, validate) that run identically in the browser worker, in
//! `intake inspect` and in the server.
//!
//! Invariant: no I/O, no async runtime, no web framework. It builds for native and wasm32.
//!
//! - [`api`]: the HTTP DTOs.
//! - [`customer`]: a customer's own values (`CustomerFields`), which every other shape of a
//!   customer embeds or converts from.
//! - [`codes`] and [`field`]: what a `FieldError` names, as enums serialised as the
//!   contract's strings.
//! - [`rules`]: validation of one record (`validate_row`, `Email`, `parse_consent`).
//! - [`import`]: the streaming pipeline (`detect`, `RowReader`, `DuplicateTracker`, `inspect`).
//! - [`export`]: writing the customer export CSV.
//! - [`text`]: the cell-cleaning helpers they share.
//! - [`workbook`]: .xlsx/.xls/.ods recognised by content and (feature `workbook`) read into
//!   CSV text whose record n is the sheet's row n.
//! - `testdata` (feature `testdata`): generated customer files and the import invariants, for
//!   benchmarks, `cargo xtask gen-data` and the fuzz target.
//! - `snapshot` (feature `snapshots`): rows as the corpus snapshots show them, for the
//!   shared suite and the frontend's worker tests.

pub mod api;
pub mod codes;
pub mod customer;
pub mod export;
pub mod field;
pub mod import;
pub mod messages;
pub mod outcome;
pub mod rules;
pub mod settings;
#[cfg(feature = "snapshots")]
pub mod snapshot;
#[cfg(feature = "testdata")]
pub mod testdata;
pub mod text;
pub mod whole;
pub mod wire;
pub mod workbook;

// The unit tests run natively and, with `--target wasm32-unknown-unknown`, in headless
// Chromium: this is the code the browser runs (README.md, "Wasm tests").
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
