//! A spooled workbook (.xlsx, .xls, .ods: recognised by its first bytes, never by its name)
//! turned into a spooled CSV text at upload time, for the API's raw upload and `intake
//! import`. After this the import is an ordinary raw upload: the queue splits the text with
//! [`shared::workbook::text_settings`] (record n is the sheet's row n), and the spool is
//! deleted once split and swept at start-up like any other.
//!
//! Cost: a .xlsx sheet is read as a stream of cells, so memory is calamine's shared strings
//! table (every distinct text of the workbook) plus one row; .xls and .ods sheets are read
//! whole by calamine. The text is written to disk as it is made.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use shared::settings::ReadSettings;
use shared::workbook::{Workbook, WorkbookError, container, text_settings};

/// Why a spooled workbook could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The workbook itself: unreadable, encrypted, or the sheet asked for is not in it.
    #[error(transparent)]
    Workbook(#[from] WorkbookError),
    /// Reading the spool or writing the text failed.
    #[error("converting the workbook: {0}")]
    Io(#[from] std::io::Error),
}

/// What a spooled upload is after [`convert_spooled`].
#[derive(Debug)]
pub struct Spooled {
    /// The file the queue splits.
    pub path: PathBuf,
    /// The settings to store with the import.
    pub settings: ReadSettings,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
}

/// If the spooled file at `path` is a workbook, writes the chosen sheet (`sheet`, or the
/// first one holding a value) as CSV text to a new spool file, deletes the workbook, and
/// returns the text's path with the settings to read it. A CSV file is returned as it is
/// (and `sheet` ignored). On an error the workbook is deleted and no text is left behind.
pub async fn convert_spooled(
    path: PathBuf,
    settings: ReadSettings,
    sheet: Option<String>,
) -> Result<Spooled, ConvertError> {
    let workbook = tokio::task::spawn_blocking(move || -> Result<_, ConvertError> {
        let mut head = [0u8; shared::workbook::SNIFF_BYTES];
        let mut file = std::fs::File::open(&path)?;
        let n = read_up_to(&mut file, &mut head)?;
        if container(&head[..n]).is_none() {
            return Ok(Spooled {
                path,
                settings,
                sheet: None,
            });
        }
        let text = path.with_file_name(format!("{}.csv", crate::auth::random_token(16)));
        let written = write_text(&path, &text, sheet.as_deref());
        let _ = std::fs::remove_file(&path);
        match written {
            Ok(name) => Ok(Spooled {
                path: text,
                settings: text_settings(&settings),
                sheet: Some(name),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&text);
                Err(e)
            }
        }
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??;
    Ok(workbook)
}

fn write_text(book: &Path, text: &Path, sheet: Option<&str>) -> Result<String, ConvertError> {
    let source = BufReader::with_capacity(1 << 16, std::fs::File::open(book)?);
    let mut workbook = Workbook::open(source)?;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(text)?);
    let mut failed: Option<std::io::Error> = None;
    let written = workbook.write_csv(sheet, &mut |piece| {
        if failed.is_none()
            && let Err(e) = out.write_all(piece)
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    // Durable before the import is queued, as a CSV spool is.
    file.sync_all()?;
    Ok(written.name)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A workbook held in memory (`intake inspect`) as its sheets' names, the sheet read and
/// its CSV text; `None` when `bytes` are not a workbook.
pub fn text_of(bytes: &[u8], sheet: Option<&str>) -> Result<Option<WorkbookText>, WorkbookError> {
    if container(bytes).is_none() {
        return Ok(None);
    }
    let mut workbook = Workbook::open(std::io::Cursor::new(bytes))?;
    let mut text = Vec::new();
    let written = workbook.write_csv(sheet, &mut |piece| text.extend_from_slice(piece))?;
    Ok(Some(WorkbookText {
        sheets: workbook.sheet_names().to_vec(),
        sheet: written.name,
        text,
    }))
}

/// What [`text_of`] read.
#[derive(Debug)]
pub struct WorkbookText {
    pub sheets: Vec<String>,
    pub sheet: String,
    pub text: Vec<u8>,
}
