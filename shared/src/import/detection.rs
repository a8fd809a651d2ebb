//! What detection found about a file: [`Detection`] and its [`ColumnInfo`]s. Invariant: a
//! `Detection` with a `problem` imports nothing.

use serde::{Deserialize, Serialize};

use super::Target;
use super::reason::{IgnoredReason, MatchReason, ValueEvidence};
use crate::api::FieldError;

/// What [`detect`](super::detect) found; the input of [`RowReader::new`](super::RowReader::new).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Lowercase WHATWG name: `utf-8`, `utf-16le`, `utf-16be`, `windows-1251`, `windows-1252`...
    pub encoding: String,
    pub delimiter: u8,
    pub has_header: bool,
    /// 1-based line of the header; `None` without a header.
    pub header_line: Option<u64>,
    pub columns: Vec<ColumnInfo>,
    /// The effective target of each column (the user's mapping if given, else the suggestions).
    pub mapping: Vec<Option<Target>>,
    /// A file-level problem (`empty_file`, `binary_file`, `unknown_encoding`,
    /// `invalid_delimiter`): nothing can be imported.
    pub problem: Option<FieldError>,
    /// Records starting before this line (preamble, header) are not data.
    pub data_start_line: u64,
    /// Lines are records (see `ReadSettings::line_per_record`).
    #[serde(default)]
    pub line_per_record: bool,
}

impl Detection {
    /// The delimiter as shown in the inspect output: `,` `;` `\t` `|`.
    pub fn delimiter_str(&self) -> String {
        delimiter_str(self.delimiter)
    }

    /// Whether lines count records.
    pub fn lines_are_records(&self) -> bool {
        self.line_per_record
    }
}

pub(crate) fn delimiter_str(d: u8) -> String {
    match d {
        b'\t' => "\\t".to_string(),
        d => (d as char).to_string(),
    }
}

/// One column of the file, as shown to the user (and in `intake inspect --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub index: usize,
    pub header: Option<String>,
    pub target: Option<Target>,
    /// 0..1; 0 for ignored columns.
    pub confidence: f32,
    /// Up to 5 distinct non-empty values from the first records.
    pub samples: Vec<String>,
    /// Why `target` is null: `not_importable`, `unknown` or `another_column_chosen` (read
    /// from the former `duplicate_target` too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_reason: Option<IgnoredReason>,
    /// Why the column got its target, or none (shown on hover and by `intake inspect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<MatchReason>,
    /// Values that made the header's match less sure (its confidence is lowered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demoted: Option<ValueEvidence>,
}
