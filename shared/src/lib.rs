//! Intake's shared core: the API types that cross HTTP and the import rules (decode, parse,
//! detect, map, normalise, validate) that run identically in the browser worker, in
//! `intake inspect` and in the server.
//!
//! Invariant: no I/O, no async runtime, no web framework. It builds for native and wasm32.
//!
//! - [`api`]: the HTTP DTOs.
//! - [`rules`]: validation of one record (`validate_row`, `Email`, `parse_consent`).
//! - [`import`]: the streaming pipeline (`detect`, `RowReader`, `DuplicateTracker`, `inspect`).
//! - [`export`]: writing the customer export CSV.
//! - [`text`]: the cell-cleaning helpers they share.
//! - `testdata` (feature `testdata`): generated customer files and the import invariants, for
//!   benchmarks, `cargo xtask gen-data` and the fuzz target.

pub mod api;
pub mod export;
pub mod import;
pub mod rules;
pub mod settings;
#[cfg(feature = "testdata")]
pub mod testdata;
pub mod text;
