//! CSV writing for the customer export, shared so that the server's streamed export and any
//! client-side export write the same bytes, and so that the round trip export -> import is
//! tested in one place.
//!
//! Format: header `first_name,last_name,email,note,accepts_marketing,group,created_at`;
//! `accepts_marketing` is `yes`/`no`; `created_at` is RFC 3339 UTC with seconds (`Z`);
//! records end with `\r\n` (what spreadsheets expect); cells are quoted only when needed
//! (csv-core's writer). Cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or CR, possibly after some `'`) get a leading `'`; the importer removes
//! exactly that one `'` again (see [`crate::text::unneutralise`]), so re-importing an export
//! gives back the same customers.

use chrono::{DateTime, SecondsFormat, Utc};
use csv_core::{Terminator, WriteResult, Writer, WriterBuilder};

use crate::api::Customer;
use crate::text::needs_neutralising;

/// The export's column names, in order.
pub const EXPORT_HEADER: [&str; 7] = [
    "first_name",
    "last_name",
    "email",
    "note",
    "accepts_marketing",
    "group",
    "created_at",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// `,` `;` or tab.
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte-order mark (helps Excel pick UTF-8).
    pub bom: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            delimiter: b',',
            bom: false,
        }
    }
}

fn writer(opts: &ExportOptions) -> Writer {
    WriterBuilder::new()
        .delimiter(opts.delimiter)
        .terminator(Terminator::CRLF)
        .build()
}

fn write_field(w: &mut Writer, value: &[u8], out: &mut Vec<u8>) {
    // The worst case of quoting is 2 + 2 * len (every byte a quote).
    let start = out.len();
    out.resize(start + 2 + 2 * value.len(), 0);
    let (res, nin, nout) = w.field(value, &mut out[start..]);
    debug_assert_eq!(res, WriteResult::InputEmpty);
    debug_assert_eq!(nin, value.len());
    out.truncate(start + nout);
}

fn write_cell(w: &mut Writer, value: &str, first: bool, out: &mut Vec<u8>) {
    if !first {
        delimiter(w, out);
    }
    if needs_neutralising(value) {
        let mut v = String::with_capacity(value.len() + 1);
        v.push('\'');
        v.push_str(value);
        write_field(w, v.as_bytes(), out);
    } else {
        write_field(w, value.as_bytes(), out);
    }
}

fn delimiter(w: &mut Writer, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4];
    let (_, n) = w.delimiter(&mut buf);
    out.extend_from_slice(&buf[..n]);
}

fn terminator(w: &mut Writer, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4];
    let (_, n) = w.terminator(&mut buf);
    out.extend_from_slice(&buf[..n]);
}

/// Writes the BOM (if asked) and the header record.
pub fn write_export_header(opts: &ExportOptions, out: &mut Vec<u8>) {
    if opts.bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut w = writer(opts);
    for (i, name) in EXPORT_HEADER.iter().enumerate() {
        write_cell(&mut w, name, i == 0, out);
    }
    terminator(&mut w, out);
}

/// One exported customer's cells besides its group (which the caller names), in
/// [`EXPORT_HEADER`]'s order: the customer's fields less the full name, and when it was
/// created. Owned (`String`) in a page read from storage, borrowed (`&str`) from a
/// [`Customer`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRecord<S = String> {
    pub first_name: S,
    pub last_name: S,
    pub email: S,
    pub note: S,
    pub accepts_marketing: bool,
    pub created_at: DateTime<Utc>,
}

impl<'a> From<&'a Customer> for ExportRecord<&'a str> {
    fn from(c: &'a Customer) -> Self {
        let f = &c.fields;
        ExportRecord {
            first_name: &f.first_name,
            last_name: &f.last_name,
            email: &f.email,
            note: &f.note,
            accepts_marketing: f.accepts_marketing,
            created_at: c.created_at,
        }
    }
}

/// Writes one customer as a record.
pub fn write_export_row(c: &Customer, opts: &ExportOptions, out: &mut Vec<u8>) {
    write_export_record(&ExportRecord::from(c), &c.group_name, opts, out);
}

/// Writes one record of the export (the columns of [`EXPORT_HEADER`]), its group named
/// `group_name`.
pub fn write_export_record<S: AsRef<str>>(
    r: &ExportRecord<S>,
    group_name: &str,
    opts: &ExportOptions,
    out: &mut Vec<u8>,
) {
    let mut w = writer(opts);
    let created = r.created_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let cells: [&str; 7] = [
        r.first_name.as_ref(),
        r.last_name.as_ref(),
        r.email.as_ref(),
        r.note.as_ref(),
        if r.accepts_marketing { "yes" } else { "no" },
        group_name,
        &created,
    ];
    for (i, cell) in cells.iter().enumerate() {
        write_cell(&mut w, cell, i == 0, out);
    }
    terminator(&mut w, out);
}

/// Writes one record of any cells (formula-neutralised, quoted as needed, CRLF-terminated):
/// used for reports such as an import's error list.
pub fn write_csv_record(cells: &[&str], delimiter: u8, out: &mut Vec<u8>) {
    let mut w = writer(&ExportOptions {
        delimiter,
        bom: false,
    });
    for (i, cell) in cells.iter().enumerate() {
        write_cell(&mut w, cell, i == 0, out);
    }
    terminator(&mut w, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerFields;
    use chrono::{TimeZone, Utc};

    pub(crate) fn customer(first: &str, note: &str) -> Customer {
        let t = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
        Customer {
            id: 1,
            fields: CustomerFields {
                first_name: first.into(),
                last_name: "Petrov".into(),
                full_name: format!("{first} Petrov"),
                email: "ivan@x.bg".into(),
                note: note.into(),
                accepts_marketing: true,
            },
            group_id: 1,
            group_name: "Default".into(),
            import_id: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn writes_header_and_rows() {
        let opts = ExportOptions {
            delimiter: b',',
            bom: true,
        };
        let mut out = Vec::new();
        write_export_header(&opts, &mut out);
        write_export_row(
            &customer("=HYPERLINK(\"x\")", "line 1\nline, 2"),
            &opts,
            &mut out,
        );
        write_export_row(&customer("Ivan", "-5"), &opts, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "\u{feff}first_name,last_name,email,note,accepts_marketing,group,created_at\r\n\
             \"'=HYPERLINK(\"\"x\"\")\",Petrov,ivan@x.bg,\"line 1\nline, 2\",yes,Default,2024-05-06T07:08:09Z\r\n\
             Ivan,Petrov,ivan@x.bg,'-5,yes,Default,2024-05-06T07:08:09Z\r\n"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn semicolon_delimiter() {
        let opts = ExportOptions {
            delimiter: b';',
            bom: false,
        };
        let mut out = Vec::new();
        write_export_row(&customer("A;B", ""), &opts, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"A;B\";Petrov;ivan@x.bg;;yes;Default;2024-05-06T07:08:09Z\r\n"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn full_width_formula_signs_are_neutralised_in_exports() {
        let mut out = Vec::new();
        write_export_row(
            &customer("\u{FF1D}HYPERLINK(\"http://x\")", "\u{FF20}SUM(A1)"),
            &ExportOptions::default(),
            &mut out,
        );
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with(
                "\"'\u{FF1D}HYPERLINK(\"\"http://x\"\")\",Petrov,ivan@x.bg,'\u{FF20}SUM(A1),"
            ),
            "{line}"
        );
    }
}
