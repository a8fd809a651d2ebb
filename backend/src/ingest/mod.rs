//! Ingest: the import's domain, with no HTTP in it. The REST API, the command line, the
//! queue and storage all call it; it never calls them.
//!
//! - [`batch`]: a posted batch validated again with the shared rules (the server never
//!   trusts the browser), and its identity for idempotent replays.
//! - [`file_name`]: the name an import is listed under, one rule for every way in.
//! - [`spool`]: a raw upload written to the data directory (the API's body, the CLI's file).
//! - [`workbook`]: a spooled workbook (.xlsx, .xls, .ods) turned into spooled CSV text.
//! - [`split`]: a spooled CSV read with the shared rules and cut into stored batches.
//! - [`records`]: the plain records of an import (a batch's rows and errors, a customer's
//!   values, an overwrite, an undo snapshot), which storage takes and gives.
//! - [`outcome`]: the per-row outcome report's records (stored with each applied batch).
//! - [`plan`]: what applying a batch decides (later row wins, `on_duplicate`, undo records),
//!   a pure function; storage executes the plan.
//!
//! Invariants:
//! - Nothing here imports from the `api` or the `storage` module: the dependency runs one way,
//!   storage -> ingest (storage stores the [`records`] and executes the [`plan`]).
//! - [`plan`] and [`records`] do no I/O; [`spool`] and [`split`] touch only the data
//!   directory's files.
//!
//! The settings a spooled file is read with are [`shared::settings::ReadSettings`].

pub mod batch;
pub mod file_name;
pub mod outcome;
pub mod plan;
pub mod records;
pub mod split;
pub mod spool;
pub mod workbook;

pub use batch::{
    MAX_BATCH_ROWS, field_value, prepare_batch, prepare_batch_with, validate_batch,
    validate_batch_with,
};
pub use file_name::{FileNameError, file_name};
pub use records::{
    CustomerSnapshot, CustomerUpdate, CustomerValues, NewBatch, StoredError, StoredRow,
};
pub use split::{CSV_BATCH_ROWS, CsvSplitter, SplitError};
pub use spool::{SpoolError, SpoolLimits, spool_upload};
pub use workbook::{ConvertError, Spooled, convert_spooled};
