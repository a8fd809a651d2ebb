//! The preview: detection and the first rows of the sample, mapped and checked.

use shared::import::RowOutcome;
use web_sys::File;

use super::file::{SAMPLE, detect, row_reader};
use crate::protocol::{Preview, PreviewColumn, PreviewRow, ReadSettings};

pub fn preview(file: &File, settings: &ReadSettings, max_rows: usize) -> Result<Preview, String> {
    let (detection, sample) = detect(file, settings)?;
    let mut rows = Vec::new();
    let mut reader = row_reader(&detection);
    reader.set_values(&settings.values);
    reader.push(&sample, &mut |o: RowOutcome| {
        if rows.len() < max_rows {
            rows.push(PreviewRow {
                line: o.line,
                row: o.row,
                errors: o.errors,
            });
        }
    });
    if file.size() <= SAMPLE {
        reader.finish(&mut |o: RowOutcome| {
            if rows.len() < max_rows {
                rows.push(PreviewRow {
                    line: o.line,
                    row: o.row,
                    errors: o.errors,
                });
            }
        });
    }
    Ok(Preview {
        encoding: detection.encoding.clone(),
        delimiter: detection.delimiter,
        has_header: detection.has_header,
        header_line: detection.header_line,
        columns: detection
            .columns
            .iter()
            .map(|c| PreviewColumn {
                index: c.index,
                header: c.header.clone(),
                target: detection.mapping.get(c.index).copied().flatten(),
                confidence: c.confidence,
                samples: c.samples.clone(),
                ignored_reason: c.ignored_reason,
                reason: c.reason.clone(),
                demoted: c.demoted,
            })
            .collect(),
        rows,
        problem: detection.problem.clone(),
        file_size: file.size(),
    })
}
