//! Excel and OpenDocument workbooks (.xlsx, .xls, .ods) as CSV text the import pipeline
//! reads like any CSV file.
//!
//! Always built: [`container`] (is this a workbook? by content, never by name) and
//! [`WorkbookError`]. The reader itself, [`Workbook`], is behind the `workbook` feature
//! (calamine): the parse worker's wasm goes without it, and the browser loads it in a
//! separate worker only when a workbook is chosen.
//!
//! Decisions:
//! - One sheet becomes one CSV text (comma-delimited, UTF-8, `\n` between records, a cell
//!   quoted only when it must be). Record n is the sheet's row n as Excel numbers it: empty
//!   rows above and between are written as blank lines, and the text is read with
//!   `ReadSettings::line_per_record`, so a line break inside a cell does not shift the rows
//!   after it.
//! - A cell becomes the text a person sees in Excel: dates `YYYY-MM-DD` (with ` HH:MM`, or
//!   ` HH:MM:SS` when there are seconds, only when there is a time of day), never serial
//!   numbers; whole numbers as their digits (never `1.0E+12`); other numbers in the
//!   shortest decimal that reads back as the same number; booleans `TRUE`/`FALSE`;
//!   formulas their cached value.
//! - An error cell (`#N/A`, `#DIV/0!`) is written empty: it holds no value of the customer,
//!   and `#N/A` imported as a name or note would be a wrong value stored silently; empty, a
//!   required field is reported missing on its row.

#[cfg(feature = "workbook")]
mod cell;
#[cfg(feature = "workbook")]
mod read;

#[cfg(feature = "workbook")]
pub use read::{Workbook, WrittenSheet};

use crate::settings::ReadSettings;

/// The settings to read a workbook's CSV text with: UTF-8, commas, records numbered as the
/// sheet's rows; the header choice and the mapping are the caller's.
pub fn text_settings(settings: &ReadSettings) -> ReadSettings {
    ReadSettings {
        encoding: Some("utf-8".to_owned()),
        delimiter: Some(b','),
        line_per_record: true,
        ..settings.clone()
    }
}

/// The kind of container a file's first bytes name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A zip archive: .xlsx, .xlsb or .ods (or another zip, which then fails to read).
    Zip,
    /// An OLE compound file: .xls, or an encrypted (password-protected) .xlsx.
    Ole,
}

/// Bytes a file must begin with to be read as a workbook: `PK\x03\x04` (zip) or the OLE
/// compound file signature. Text never starts with either.
pub const SNIFF_BYTES: usize = 8;

/// Whether `head` (the first [`SNIFF_BYTES`] or more bytes of a file) is a workbook's
/// container. By content only: a `.csv` name on a workbook, or an `.xlsx` name on a CSV,
/// changes nothing.
pub fn container(head: &[u8]) -> Option<Container> {
    if head.starts_with(b"PK\x03\x04") {
        Some(Container::Zip)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Container::Ole)
    } else {
        None
    }
}

/// Why a workbook cannot be read. Each case has a stable [`WorkbookError::code`] (the
/// API's error code; the browser shows it in English or Bulgarian).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkbookError {
    /// Damaged, truncated, or a zip/OLE file that is not a spreadsheet.
    #[error(
        "The workbook cannot be read: it is damaged or not an Excel (.xlsx, .xls) or \
         OpenDocument (.ods) spreadsheet. Open it in Excel and save it again, or save it as CSV."
    )]
    Unreadable,
    /// Password-protected (an encrypted OOXML package).
    #[error(
        "The workbook is password-protected. Open it in Excel, remove the password \
         (File > Info > Protect Workbook) and save it again, or save it as CSV."
    )]
    Encrypted,
    /// The sheet asked for is not in the workbook.
    #[error("The workbook has no sheet named {name:?}; its sheets are: {}.", list(.sheets))]
    UnknownSheet { name: String, sheets: Vec<String> },
}

fn list(sheets: &[String]) -> String {
    sheets
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl WorkbookError {
    /// The stable code: `workbook_unreadable`, `workbook_encrypted` or `unknown_sheet`.
    pub fn code(&self) -> &'static str {
        match self {
            WorkbookError::Unreadable => "workbook_unreadable",
            WorkbookError::Encrypted => "workbook_encrypted",
            WorkbookError::UnknownSheet { .. } => "unknown_sheet",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_workbook_is_known_by_its_first_bytes() {
        assert_eq!(container(b"PK\x03\x04rest"), Some(Container::Zip));
        assert_eq!(
            container(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Container::Ole)
        );
        for text in [
            &b"email,name\n"[..],
            b"PK,x\n",
            b"",
            b"\xEF\xBB\xBFPK\x03\x04",
        ] {
            assert_eq!(container(text), None, "{text:?}");
        }
    }
}
