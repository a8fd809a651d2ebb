//! What the record stage hands out and how it is bounded: [`RawRecord`] (cells as byte
//! ranges of one buffer, never copied per record), [`Limits`] and the column [`Hints`].

/// A record handed to the consumer. Fields are UTF-8 bytes as read (validated only when
/// `text` is set).
pub(crate) struct RawRecord<'a> {
    /// 1-based physical line where the record starts.
    pub line: u64,
    pub(super) buf: &'a [u8],
    pub(super) ends: &'a [usize],
    /// Bytes between two cells in `buf`: 0 when the cells were copied one after the other
    /// (csv-core's output), 1 when `buf` is the line as written (the fast path: no quotes, so
    /// the cells are the line split at the delimiters).
    pub(super) sep: usize,
    /// `buf` as text, when it is known to be valid UTF-8 (the fast path over validated input).
    pub text: Option<&'a str>,
    /// Indexes of fields that were cut at the field limit.
    pub too_long: &'a [usize],
    /// The record had more cells than the column limit (the extra ones are dropped).
    pub too_many_columns: bool,
    /// The record opened a quote that swallowed following lines; only its first line is
    /// kept here, and the following lines were parsed again.
    pub unbalanced: bool,
}

impl<'a> RawRecord<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let (start, end) = self.range(i)?;
        Some(&self.buf[start..end])
    }

    /// The byte range of cell `i` in [`RawRecord::bytes`].
    pub fn range(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.sep
        };
        Some((start, end))
    }

    /// The bytes holding all cells (see [`RawRecord::range`]).
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// True if every cell is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        if self.sep == 0 {
            self.buf.iter().all(|b| b.is_ascii_whitespace())
        } else {
            self.iter()
                .all(|c| c.iter().all(|b| b.is_ascii_whitespace()))
        }
    }
}

/// Limits of the record stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest kept field, in bytes (longer ones are cut and reported).
    pub max_field_bytes: usize,
    /// Most cells kept per record (more are dropped and reported).
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 64 * 1024,
            max_columns: 2048,
        }
    }
}

/// A quoted field spanning more lines than this is taken for an unbalanced quote.
pub const MAX_FIELD_LINES: u32 = 100;
/// Bytes kept after the first line break inside a record, for re-parsing; a record running
/// longer than this past its first line is taken for an unbalanced quote.
pub const REPLAY_CAP: usize = 256 * 1024;

/// What the stage knows about the columns, to judge multi-line fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    /// Expected number of columns (0 = unknown).
    pub columns: usize,
    /// Per column: is it a single-line field (a mapped name, email, consent or group column,
    /// never a note or an unmapped column)? Columns past the end are not.
    pub single_line: Vec<bool>,
    /// Number records, not physical lines: a line break inside a quoted field does not
    /// count, and no multi-line field is judged unbalanced (text written by the workbook
    /// reader, whose quotes always balance and whose record n is the sheet's row n).
    pub line_per_record: bool,
}

impl Hints {
    /// Whether records are numbered (see [`Hints::line_per_record`]).
    #[inline]
    pub fn records_numbered(&self) -> bool {
        self.line_per_record
    }
}
