//! The fast path of the record stage: a whole record in the input, split at its delimiters
//! eight bytes at a time (or unquoted into a reused buffer). Invariant: it gives exactly
//! what csv-core would, or declines (`None`) and leaves the record to csv-core.

use super::{MAX_FIELD_LINES, REPLAY_CAP, RawRecord, RecordStage, swallows};

impl RecordStage {
    /// The fast path for the common record: a whole record in `input`, within the limits,
    /// whose quotes (if any) close before its end. Without quotes its cells are the line split
    /// at the delimiters, borrowed from `input`; with quotes they are unquoted into
    /// `self.text` (valid UTF-8 input only), and a quoted field may then span lines as long as
    /// the record is not judged swallowing (see the module docs; such a record goes to
    /// csv-core, which cuts it). Either way exactly what csv-core would give. Returns the
    /// bytes consumed (the record and its terminator), or `None` to use csv-core. Called at
    /// the start of a record, where csv-core's state is "start of record".
    pub(super) fn fast_line(
        &mut self,
        input: &[u8],
        text: Option<&str>,
        emit: &mut dyn FnMut(&RawRecord<'_>),
    ) -> Option<usize> {
        // The delimiters up to the first line break or quote, in one pass.
        let first = self.split_line(input)?;
        if input[first] == b'"' {
            return self.fast_quoted(input, text?, emit);
        }
        let eol = first;
        let line = &input[..eol];
        if self.nends == self.limits.max_columns {
            return None;
        }
        self.push_end(eol);
        self.rec_line = self.line;
        self.line += 1;
        self.prev_cr = input[eol] == b'\r';
        self.too_long.clear();
        self.too_many = false;
        let rec = RawRecord {
            line: self.rec_line,
            buf: line,
            ends: &self.ends[..self.nends],
            sep: 1,
            text: text.and_then(|t| t.get(..eol)),
            too_long: &[],
            too_many_columns: false,
            unbalanced: false,
        };
        if !rec.is_blank() {
            emit(&rec);
        }
        Some(eol + 1)
    }

    /// Puts the positions of the delimiters at the start of `input` into `self.ends`, up to
    /// the first quote or line break, whose position it returns. `None` when there is none
    /// within `max_field_bytes` (a longer line is not for the fast path) or the line has more
    /// than `max_columns` cells. The delimiters are found eight bytes at a time: cells are
    /// short, and a search call per cell costs more than the cell.
    fn split_line(&mut self, input: &[u8]) -> Option<usize> {
        let b = &input[..input.len().min(self.limits.max_field_bytes + 1)];
        let d = self.delimiter;
        self.nends = 0;
        let mut i = 0;
        while let Some(word) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let stop = bytes_eq(w, b'"') | bytes_eq(w, b'\r') | bytes_eq(w, b'\n');
            let delims = bytes_eq(w, d);
            if stop != 0 {
                // Only the delimiters before the stop.
                self.push_delims(i, delims & ((stop & stop.wrapping_neg()) - 1))?;
                return Some(i + (stop.trailing_zeros() / 8) as usize);
            }
            self.push_delims(i, delims)?;
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if matches!(c, b'"' | b'\r' | b'\n') {
                return Some(i);
            }
            if c == d {
                self.push_delims(i, 0x80)?;
            }
            i += 1;
        }
        None
    }

    /// Pushes the ends `at + k` for each byte `k` whose high bit is set in `mask`; `None` when
    /// that makes more than `max_columns - 1` (the last cell is still to come).
    #[inline]
    fn push_delims(&mut self, at: usize, mut mask: u64) -> Option<()> {
        while mask != 0 {
            if self.nends == self.limits.max_columns {
                return None;
            }
            self.push_end(at + (mask.trailing_zeros() / 8) as usize);
            mask &= mask - 1;
        }
        Some(())
    }

    /// [`RecordStage::fast_line`] for a record holding quotes: `text` is the valid UTF-8
    /// prefix of `input`.
    fn fast_quoted(
        &mut self,
        input: &[u8],
        text: &str,
        emit: &mut dyn FnMut(&RawRecord<'_>),
    ) -> Option<usize> {
        let end = self.unquote_record(text)?;
        if end > self.limits.max_field_bytes {
            return None;
        }
        let body = &input[..end];
        let multi_line = memchr::memchr2(b'\r', b'\n', body);
        let multi_line = multi_line.filter(|_| !self.hints.records_numbered());
        if let Some(p) = multi_line {
            // What the csv-core path keeps for the judgement: the bytes after the first inner
            // line break (with the terminator), and the number of inner line breaks.
            let raw_len = end - p;
            let inner_breaks = memchr::memchr2_iter(b'\r', b'\n', body).count();
            if raw_len > REPLAY_CAP
                || inner_breaks > MAX_FIELD_LINES as usize
                || swallows(
                    self.text.as_bytes(),
                    &self.ends[..self.nends],
                    self.delimiter,
                    &self.hints,
                )
            {
                return None;
            }
        }
        self.rec_line = self.line;
        if multi_line.is_some() {
            self.count_lines(&input[..=end]);
        } else {
            self.line += 1;
            self.prev_cr = input[end] == b'\r';
        }
        self.too_long.clear();
        self.too_many = false;
        let rec = RawRecord {
            line: self.rec_line,
            buf: self.text.as_bytes(),
            ends: &self.ends[..self.nends],
            sep: 0,
            text: Some(&self.text),
            too_long: &[],
            too_many_columns: false,
            unbalanced: false,
        };
        if !rec.is_blank() {
            emit(&rec);
        }
        Some(end + 1)
    }

    /// Splits the record at the start of `t` into `self.text` and `self.ends` as csv-core
    /// would (a field starting with `"` runs to the next lone `"`, line breaks included, `""`
    /// inside it is one `"`, and what follows the closing quote up to the delimiter is kept as
    /// written; a `"` inside an unquoted field is literal). Returns the position of the
    /// record's terminator (the line break after its last field); `None` when `t` ends first
    /// (the record goes on: csv-core's job) or there are too many cells.
    fn unquote_record(&mut self, t: &str) -> Option<usize> {
        // A longer record is not for the fast path: search no further (an unclosed quote
        // would otherwise have every record scan the rest of the input). Cells end at the
        // ASCII bytes found in `b`, so slicing `t` there stays on character boundaries.
        let b = &t.as_bytes()[..t.len().min(self.limits.max_field_bytes + 1)];
        let d = self.delimiter;
        self.text.clear();
        self.nends = 0;
        let mut i = 0;
        loop {
            if b.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let q = memchr::memchr(b'"', &b[i..])?;
                    self.text.push_str(&t[i..i + q]);
                    i += q + 1;
                    // Whether a quote follows must be known: the end of `t` is not the end.
                    match b.get(i) {
                        Some(b'"') => {
                            self.text.push('"');
                            i += 1;
                        }
                        Some(_) => break,
                        None => return None,
                    }
                }
            }
            let end = find_cell_end(b, i, d)?;
            self.text.push_str(&t[i..end]);
            if self.nends == self.limits.max_columns {
                return None;
            }
            self.push_end(self.text.len());
            if b[end] != d {
                return Some(end);
            }
            i = end + 1;
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of each byte of `w` that equals `t` (exact: no false positives).
#[inline]
fn bytes_eq(w: u64, t: u8) -> u64 {
    let x = w ^ (ONES * u64::from(t));
    // A byte's high bit ends up set when any bit of it is: zero bytes are the clear ones.
    !((((x & LOW7) + LOW7) | x) | LOW7)
}

/// The position of the first delimiter or line break in `b` from `i` (the end of an
/// unquoted cell), eight bytes at a time.
#[inline]
fn find_cell_end(b: &[u8], mut i: usize, d: u8) -> Option<usize> {
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let hit = bytes_eq(w, d) | bytes_eq(w, b'\r') | bytes_eq(w, b'\n');
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == d || c == b'\r' || c == b'\n')
        .map(|p| i + p)
}
