//! [`Workbook`]: a workbook opened from any `Read + Seek` (the caller's bytes or file), its
//! sheet names, and one sheet written as CSV text (see the module docs of
//! [`workbook`](super)).

use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, Ods, Reader, SheetType, Xls, XlsError, Xlsx};

use super::cell::{Value, write_value};
use super::{Container, WorkbookError, container};

/// An opened workbook. A .xlsx sheet is read as a stream of cells (memory: the shared
/// strings table and one row); .xls and .ods sheets are read whole by calamine.
pub struct Workbook<RS: Read + Seek> {
    book: Book<RS>,
    sheets: Vec<String>,
}

enum Book<RS: Read + Seek> {
    Xlsx(Xlsx<RS>),
    Xls(Xls<RS>),
    Ods(Ods<RS>),
}

/// What [`Workbook::write_csv`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSheet {
    /// The sheet that was written.
    pub name: String,
    /// Records written: the sheet's last row holding a value (0 for an empty sheet).
    pub rows: u64,
}

const ODS_MIMETYPE: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet";

impl<RS: Read + Seek> Workbook<RS> {
    /// Opens a workbook. A file whose first bytes are not a workbook's container, or that
    /// cannot be read as one, is [`WorkbookError::Unreadable`]; a password-protected one
    /// is [`WorkbookError::Encrypted`].
    pub fn open(mut rs: RS) -> Result<Workbook<RS>, WorkbookError> {
        let mut head = [0u8; 96];
        let n = read_up_to(&mut rs, &mut head).map_err(|_| WorkbookError::Unreadable)?;
        let head = &head[..n];
        rewind(&mut rs)?;
        let book = match container(head).ok_or(WorkbookError::Unreadable)? {
            Container::Ole => {
                // An encrypted .xlsx is an OLE file holding an `EncryptedPackage` stream;
                // an encrypted .xls says so in its own records (`XlsError::Password`).
                if holds_encrypted_package(&mut rs) {
                    return Err(WorkbookError::Encrypted);
                }
                rewind(&mut rs)?;
                match Xls::new(rs) {
                    Ok(x) => Book::Xls(x),
                    Err(XlsError::Password) => return Err(WorkbookError::Encrypted),
                    Err(_) => return Err(WorkbookError::Unreadable),
                }
            }
            // An .ods starts with its uncompressed `mimetype` entry.
            Container::Zip if head.get(30..30 + ODS_MIMETYPE.len()) == Some(ODS_MIMETYPE) => {
                Book::Ods(Ods::new(rs).map_err(|_| WorkbookError::Unreadable)?)
            }
            Container::Zip => Book::Xlsx(Xlsx::new(rs).map_err(|_| WorkbookError::Unreadable)?),
        };
        let meta = match &book {
            Book::Xlsx(b) => b.sheets_metadata(),
            Book::Xls(b) => b.sheets_metadata(),
            Book::Ods(b) => b.sheets_metadata(),
        };
        let sheets = meta
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .collect();
        Ok(Workbook { book, sheets })
    }

    /// The worksheets' names, in the workbook's order (chart and macro sheets left out).
    pub fn sheet_names(&self) -> &[String] {
        &self.sheets
    }

    /// Writes the sheet named `sheet` as CSV text to `out`, in pieces; without a name, the
    /// first sheet holding a value (an empty workbook writes nothing). Record n of the text
    /// is row n of the sheet: read it with `ReadSettings::line_per_record`.
    pub fn write_csv(
        &mut self,
        sheet: Option<&str>,
        out: &mut dyn FnMut(&[u8]),
    ) -> Result<WrittenSheet, WorkbookError> {
        self.write_csv_head(sheet, u32::MAX, out)
    }

    /// [`Workbook::write_csv`] of the sheet's first `limit` rows only: a preview of a large
    /// sheet without reading all of it (an .xlsx sheet stops being read there). `rows` in
    /// the answer below `limit` means the whole sheet was written.
    pub fn write_csv_head(
        &mut self,
        sheet: Option<&str>,
        limit: u32,
        out: &mut dyn FnMut(&[u8]),
    ) -> Result<WrittenSheet, WorkbookError> {
        if let Some(name) = sheet {
            if !self.sheets.iter().any(|s| s == name) {
                return Err(WorkbookError::UnknownSheet {
                    name: name.to_owned(),
                    sheets: self.sheets.clone(),
                });
            }
            let rows = self.write_sheet(name, limit, out)?;
            return Ok(WrittenSheet {
                name: name.to_owned(),
                rows,
            });
        }
        // An empty sheet writes nothing, so trying each in turn writes only the chosen one.
        for name in self.sheets.clone() {
            let rows = self.write_sheet(&name, limit, out)?;
            if rows > 0 {
                return Ok(WrittenSheet { name, rows });
            }
        }
        Ok(WrittenSheet {
            name: self.sheets.first().cloned().unwrap_or_default(),
            rows: 0,
        })
    }

    /// Writes the sheet's rows above row `limit` (0-based: rows 0..limit).
    fn write_sheet(
        &mut self,
        name: &str,
        limit: u32,
        out: &mut dyn FnMut(&[u8]),
    ) -> Result<u64, WorkbookError> {
        let mut csv = CsvRows::new(out);
        match &mut self.book {
            Book::Xlsx(b) => {
                let mut cells = b
                    .worksheet_cells_reader(name)
                    .map_err(|_| WorkbookError::Unreadable)?;
                while let Some(cell) = cells.next_cell().map_err(|_| WorkbookError::Unreadable)? {
                    let (row, col) = cell.get_position();
                    if row >= limit {
                        break;
                    }
                    csv.cell(row, col, &Value::from(cell.get_value()));
                }
            }
            Book::Xls(b) => {
                let range = b
                    .worksheet_range(name)
                    .map_err(|_| WorkbookError::Unreadable)?;
                write_range(&range, limit, &mut csv);
            }
            Book::Ods(b) => {
                let range = b
                    .worksheet_range(name)
                    .map_err(|_| WorkbookError::Unreadable)?;
                write_range(&range, limit, &mut csv);
            }
        }
        Ok(csv.finish())
    }
}

fn write_range(range: &calamine::Range<Data>, limit: u32, csv: &mut CsvRows<'_>) {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        let row = row0 + r as u32;
        if row >= limit {
            break;
        }
        csv.cell(row, col0 + c as u32, &Value::from(v));
    }
}

/// Cells in row order to CSV records, one per sheet row from row 1: a cell's column is its
/// position (column A first), missing cells are empty, rows without a value are blank lines.
struct CsvRows<'o> {
    out: &'o mut dyn FnMut(&[u8]),
    /// Records written so far (the next one is row `written + 1`).
    written: u64,
    row: u32,
    /// The current row's record, and the number of its cells.
    line: String,
    cells: u32,
    value: String,
}

impl<'o> CsvRows<'o> {
    fn new(out: &'o mut dyn FnMut(&[u8])) -> Self {
        CsvRows {
            out,
            written: 0,
            row: 0,
            line: String::new(),
            cells: 0,
            value: String::new(),
        }
    }

    fn cell(&mut self, row: u32, col: u32, v: &Value<'_>) {
        if row != self.row {
            self.end_row();
            self.row = row;
        }
        self.value.clear();
        write_value(v, &mut self.value);
        if self.value.is_empty() {
            return;
        }
        // Cells come in column order; one out of order joins the end of its row.
        let col = col.max(self.cells);
        let commas = if self.cells == 0 {
            col
        } else {
            col + 1 - self.cells
        };
        self.line.extend(std::iter::repeat_n(',', commas as usize));
        if self.value.contains([',', '"', '\n', '\r']) {
            self.line.push('"');
            self.line.push_str(&self.value.replace('"', "\"\""));
            self.line.push('"');
        } else {
            self.line.push_str(&self.value);
        }
        self.cells = col + 1;
    }

    fn end_row(&mut self) {
        if self.cells == 0 {
            return;
        }
        // Blank lines for the rows above without a value: record n is row n.
        let row = u64::from(self.row);
        while self.written < row {
            let blanks = (row - self.written).min(64) as usize;
            (self.out)(&b"\n".repeat(blanks));
            self.written += blanks as u64;
        }
        self.line.push('\n');
        (self.out)(self.line.as_bytes());
        self.written += 1;
        self.line.clear();
        self.cells = 0;
    }

    fn finish(mut self) -> u64 {
        self.end_row();
        self.written
    }
}

fn rewind<RS: Seek>(rs: &mut RS) -> Result<(), WorkbookError> {
    rs.seek(SeekFrom::Start(0))
        .map(|_| ())
        .map_err(|_| WorkbookError::Unreadable)
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Whether an OLE file names an `EncryptedPackage` stream (its directory entry's name,
/// UTF-16LE): the container of a password-protected .xlsx. Read in pieces, so that a large
/// .xls costs one pass and no memory.
fn holds_encrypted_package<R: Read>(r: &mut R) -> bool {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut buf = vec![0u8; 64 * 1024 + needle.len()];
    let mut kept = 0;
    loop {
        let n = match r.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let have = kept + n;
        if memchr::memmem::find(&buf[..have], &needle).is_some() {
            return true;
        }
        kept = needle.len().min(have);
        buf.copy_within(have - kept..have, 0);
    }
}
