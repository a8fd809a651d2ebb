//! Workbooks made here with rust_xlsxwriter, read with `shared::workbook` and then by the
//! import pipeline exactly as a CSV file is.

use std::io::Cursor;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Formula, Workbook as Writer};
use shared::import::{HeaderChoice, inspect};
use shared::settings::ReadSettings;
use shared::workbook::{Workbook, WorkbookError, WrittenSheet, text_settings};

use crate::support::{detect_all, read_rows, render_rows};

/// The CSV text of `sheet` (the first non-empty one without a name).
fn csv_of(bytes: &[u8], sheet: Option<&str>) -> Result<(WrittenSheet, String), WorkbookError> {
    let mut book = Workbook::open(Cursor::new(bytes))?;
    let mut text = Vec::new();
    let written = book.write_csv(sheet, &mut |piece| text.extend_from_slice(piece))?;
    Ok((written, String::from_utf8(text).unwrap()))
}

fn date_format() -> Format {
    Format::new().set_num_format("yyyy-mm-dd")
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn cells_become_the_text_excel_shows() {
    let mut w = Writer::new();
    let ws = w.add_worksheet();
    for (c, h) in [
        "Email",
        "Joined",
        "Last visit",
        "Phone",
        "Total",
        "VIP",
        "Ratio",
        "Check",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "ann@example.com").unwrap();
    let day = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    ws.write_datetime_with_format(1, 1, &day, &date_format())
        .unwrap();
    let at = ExcelDateTime::from_ymd(2024, 3, 15)
        .unwrap()
        .and_hms(9, 5, 0)
        .unwrap();
    ws.write_datetime_with_format(1, 2, &at, &Format::new().set_num_format("yyyy-mm-dd hh:mm"))
        .unwrap();
    // A phone typed as a number: Excel itself would show 3.59888E+12 in a narrow column.
    ws.write_number(1, 3, 3598881234567.0).unwrap();
    ws.write_formula(1, 4, Formula::new("=20+22").set_result("42"))
        .unwrap();
    ws.write_boolean(1, 5, true).unwrap();
    ws.write_number(1, 6, 0.1).unwrap();
    ws.write_formula(1, 7, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    let (written, text) = csv_of(&w.save_to_buffer().unwrap(), None).unwrap();
    assert_eq!(written.rows, 2);
    assert_eq!(
        text,
        "Email,Joined,Last visit,Phone,Total,VIP,Ratio,Check\n\
         ann@example.com,2024-03-15,2024-03-15 09:05,3598881234567,42,TRUE,0.1\n"
    );
}

/// The workbook of the line-number tests: a merged title over three columns on row 1, row 2
/// empty, the header on row 3, a note with line breaks on row 5, a bad email on row 7.
fn titled_workbook() -> Vec<u8> {
    let mut w = Writer::new();
    let ws = w.add_worksheet();
    ws.set_name("Customers").unwrap();
    ws.merge_range(
        0,
        0,
        0,
        2,
        "Customers, March",
        &Format::new().set_align(FormatAlign::Center),
    )
    .unwrap();
    for (c, h) in ["First name", "Email", "Note"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let rows = [
        ["Ann", "ann@example.com", ""],
        [
            "Bob",
            "bob@example.com",
            "line one\nline two, with a comma\r\nthree \"quoted\"",
        ],
        ["Cid", "cid@example.com", "plain"],
        ["Dee", "not an email", ""],
        ["Eve", "eve@example.com", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(3 + r as u32, c as u16, *v).unwrap();
            }
        }
    }
    w.save_to_buffer().unwrap()
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn lines_are_sheet_rows_past_a_title_and_a_cell_with_line_breaks() {
    let (_, text) = csv_of(&titled_workbook(), None).unwrap();
    let report = inspect(text.as_bytes(), &text_settings(&ReadSettings::default()));
    assert_eq!(report.problem, None);
    assert_eq!(
        report.header_line,
        Some(3),
        "the merged title is a preamble"
    );
    let headers: Vec<_> = report.columns.iter().map(|c| c.header.clone()).collect();
    assert_eq!(
        headers,
        [
            Some("First name".into()),
            Some("Email".into()),
            Some("Note".into())
        ]
    );
    assert_eq!(report.rows.total, 5);
    assert_eq!(report.rows.invalid, 1);
    // Row 7 as Excel numbers it, although Bob's note holds two line breaks.
    let lines: Vec<_> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [7]);
    // Read as a plain CSV, the same text would number the row 9: the setting is what counts.
    let plain = inspect(
        text.as_bytes(),
        &ReadSettings {
            line_per_record: false,
            ..text_settings(&ReadSettings::default())
        },
    );
    assert_eq!(plain.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [9]);
    // The note keeps its line breaks (a note's `\r\n` is `\n`, as from a CSV).
    let det = detect_all(text.as_bytes(), &text_settings(&ReadSettings::default()));
    let rows = read_rows(text.as_bytes(), &det, &[7]);
    let bob = rows.iter().find(|r| r.line == 5).unwrap();
    let note = bob.row.note.clone().unwrap();
    assert_eq!(note, "line one\nline two, with a comma\nthree \"quoted\"");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn several_sheets_the_first_non_empty_by_default_and_an_unknown_name_refused() {
    let mut w = Writer::new();
    w.add_worksheet().set_name("Cover").unwrap();
    let ws = w.add_worksheet();
    ws.set_name("Leads").unwrap();
    ws.write_string(0, 0, "email").unwrap();
    ws.write_string(1, 0, "lead@example.com").unwrap();
    let ws = w.add_worksheet();
    ws.set_name("Clients").unwrap();
    ws.write_string(0, 0, "email").unwrap();
    ws.write_string(1, 0, "client@example.com").unwrap();
    let bytes = w.save_to_buffer().unwrap();
    let book = Workbook::open(Cursor::new(&bytes[..])).unwrap();
    assert_eq!(book.sheet_names(), ["Cover", "Leads", "Clients"]);
    let (written, text) = csv_of(&bytes, None).unwrap();
    assert_eq!(written.name, "Leads");
    assert_eq!(text, "email\nlead@example.com\n");
    let (_, text) = csv_of(&bytes, Some("Clients")).unwrap();
    assert_eq!(text, "email\nclient@example.com\n");
    // An empty sheet chosen by name is empty text (the pipeline's `empty_file`).
    let (written, text) = csv_of(&bytes, Some("Cover")).unwrap();
    assert_eq!((written.rows, text.as_str()), (0, ""));
    let err = csv_of(&bytes, Some("Nope")).unwrap_err();
    assert_eq!(err.code(), "unknown_sheet");
    assert_eq!(
        err.to_string(),
        r#"The workbook has no sheet named "Nope"; its sheets are: "Cover", "Leads", "Clients"."#
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_corrupt_and_an_encrypted_workbook_are_told_apart() {
    let good = titled_workbook();
    let cut = &good[..good.len() / 2];
    for bad in [cut, b"PK\x03\x04 not really a zip", b"plain text"] {
        assert_eq!(
            Workbook::open(Cursor::new(bad)).err(),
            Some(WorkbookError::Unreadable),
            "{:?}",
            &bad[..8]
        );
    }
    // An OLE compound file: an .xls that is damaged, and the container Excel writes for a
    // password-protected .xlsx (a directory entry named EncryptedPackage, in UTF-16LE).
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(70_000, 0);
    assert_eq!(
        Workbook::open(Cursor::new(&ole[..])).err(),
        Some(WorkbookError::Unreadable)
    );
    // Past the first piece the scan reads, and across its boundary.
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    ole.splice(65_530..65_530 + name.len(), name);
    let err = Workbook::open(Cursor::new(&ole[..])).err().unwrap();
    assert_eq!(err, WorkbookError::Encrypted);
    assert_eq!(err.code(), "workbook_encrypted");
    assert_ne!(WorkbookError::Unreadable.to_string(), err.to_string());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_same_customers_come_out_as_from_the_equivalent_csv() {
    let rows = [
        [
            "first_name",
            "last_name",
            "email",
            "accepts_marketing",
            "note",
        ],
        ["Иван", "Петров", "ivan@example.bg", "yes", "3598881234567"],
        ["Ann", "Lee", "ANN@Example.com", "no", ""],
        ["", "", "broken", "maybe", "x"],
        ["Bob", "", "ann@example.com", "", "later row wins"],
    ];
    let mut w = Writer::new();
    let ws = w.add_worksheet();
    let mut csv = String::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // The long digits as a number, as a store owner's sheet has them.
            if let Ok(n) = v.parse::<f64>() {
                ws.write_number(r as u32, c as u16, n).unwrap();
            } else if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    let (_, text) = csv_of(&w.save_to_buffer().unwrap(), None).unwrap();
    for header in [HeaderChoice::Auto, HeaderChoice::Yes] {
        let settings = ReadSettings {
            has_header: header.has_header(),
            ..ReadSettings::default()
        };
        let from_csv = {
            let det = detect_all(csv.as_bytes(), &settings);
            render_rows(&read_rows(csv.as_bytes(), &det, &[usize::MAX]))
        };
        let det = detect_all(text.as_bytes(), &text_settings(&settings));
        let from_book = render_rows(&read_rows(text.as_bytes(), &det, &[3]));
        assert_eq!(from_book, from_csv);
        assert!(from_book.contains("3598881234567"), "{from_book}");
        assert_eq!(
            inspect(text.as_bytes(), &text_settings(&settings)).rows,
            inspect(csv.as_bytes(), &settings).rows
        );
    }
}

/// The head of a sheet (the preview's text) is the start of the whole sheet's text, on a
/// sheet whose first row holding a value is not the first; asked for more rows than there are,
/// it is the whole text.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_head_of_a_sheet_is_the_start_of_its_text() {
    let mut w = Writer::new();
    w.add_worksheet().set_name("Empty").unwrap();
    let ws = w.add_worksheet().set_name("Customers").unwrap();
    ws.write_string(1, 0, "Email").unwrap();
    ws.write_string(1, 1, "Name").unwrap();
    for r in 2..60u32 {
        ws.write_string(r, 0, format!("c{r}@example.com")).unwrap();
        ws.write_string(r, 1, format!("Name, {r}")).unwrap();
    }
    let bytes = w.save_to_buffer().unwrap();
    let (whole, text) = csv_of(&bytes, None).unwrap();
    assert_eq!(whole.rows, 60);

    let mut book = Workbook::open(Cursor::new(&bytes[..])).unwrap();
    let mut head = Vec::new();
    let written = book
        .write_csv_head(None, 10, &mut |piece| head.extend_from_slice(piece))
        .unwrap();
    assert_eq!(written.name, "Customers");
    assert_eq!(written.rows, 10);
    let head = String::from_utf8(head).unwrap();
    assert_eq!(head.lines().count(), 10);
    assert!(text.starts_with(&head), "{head:?}");

    let mut all = Vec::new();
    let written = book
        .write_csv_head(Some("Customers"), 1000, &mut |piece| {
            all.extend_from_slice(piece)
        })
        .unwrap();
    assert_eq!(written.rows, 60);
    assert_eq!(String::from_utf8(all).unwrap(), text);
}
