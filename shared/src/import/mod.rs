//! The streaming import pipeline: bytes -> decode -> records (csv-core) ->
//! map -> normalise -> validate, one [`RowOutcome`] per record.
//!
//! Usage: [`detect`] on the first 64-256 KiB of the file (encoding, delimiter, header,
//! columns and mapping suggestions), let the user adjust `Detection::mapping`, then feed the
//! whole file to a [`RowReader`] built from the detection, in chunks of any size. The same
//! code runs in the browser worker, in `intake inspect` and in the server's CSV upload.
//!
//! Decisions (also in ARCHITECTURE.md terms, the *invariants*):
//! - Every record after the header ends as exactly one `RowOutcome`, valid or with errors;
//!   blank lines and all-blank records (`;;;;`) are skipped but counted in line numbers; the
//!   header line and preamble lines above it are consumed, not emitted.
//! - Too few cells is fine (missing cells are empty). Cells beyond the expected columns are a
//!   `ragged_row` error only when one of them holds data (a shifted row would otherwise import
//!   wrong values silently).
//! - A cell of the form `'` + formula (`'=...`, `'+...`, `'-...`, `'@...`) loses that one
//!   leading `'` on import: it undoes the export's formula neutralising, so export -> import
//!   gives back the same values.
//! - Duplicates by email key are decided by the consumer with [`DuplicateTracker`]: the later
//!   row wins; the earlier one is reported as `duplicate_email`.
//! - A file-level `Detection::problem` (binary file, unknown encoding label) means: do not
//!   import. A `RowReader` built from such a detection emits nothing.

mod check;
pub(crate) mod choices;
mod decode;
mod detect;
mod detection;
mod distinct;
mod dups;
mod inspect;
mod mapper;
mod mapping;
pub mod profile;
mod reader;
mod reason;
mod records;
mod row;
mod target;
mod value_map;

pub use check::{
    CheckCounts, FileCheck, HitEmails, Hits, PartEmails, PartResult, estimate_rows, split_point,
};
pub use choices::{HeaderChoice, parse_delimiter};
pub use decode::{
    BuiltinOnly, Decoder, DecoderFactory, MALFORMED_MARKER, MaybeSend, default_decoders,
    lookup_label,
};
#[cfg(feature = "encoding-rs")]
pub use decode::{EncodingRs, EncodingRsDecoder, encoding_name};
pub use detect::{SAMPLE_BYTES, detect, detect_with};
pub use detection::{ColumnInfo, Detection};
pub use distinct::{DistinctValue, DistinctValues, MAX_LISTED, MAX_TRACKED, Meaning, ValueCounts};
pub use dups::DuplicateTracker;
pub use inspect::{ErrorLine, InspectReport, RowCounts, inspect};
use mapper::unbalanced_quote;
pub use reader::RowReader;
pub use reason::{IgnoredReason, MatchReason, ValueEvidence, ValueKind};
pub use records::Limits;
use row::ferr;
pub use row::{RowOutcome, RowRef};
pub use target::Target;
pub use value_map::{ConsentChoice, GroupLookup, PairList, ValueMap, fold_group, mapped_to_error};
