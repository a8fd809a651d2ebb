//! UTF-8 bytes to CSV records with their physical line numbers: a push parser around
//! csv-core that never allocates per record, bounds memory, and recovers from an
//! unbalanced quote.
//!
//! Exists because csv-core alone gives no line of a record, no limits, and (like every CSV
//! parser) lets an unclosed quote swallow the rest of the file. This stage adds:
//!
//! - **Lines**: every consumed byte is counted (`\r\n`, `\n` and a lone `\r` each end one
//!   line), and a record's line is the line of its first byte. Blank lines are skipped but
//!   counted; so is a record whose cells are all empty or blank (Excel's `;;;;`).
//! - **Limits**: a field longer than `max_field_bytes` is cut (at a character boundary) and
//!   flagged; cells past `max_columns` are dropped and the record flagged. Memory is bounded by
//!   `max_columns * max_field_bytes` plus a small replay buffer.
//! - **Unbalanced quotes**: a record whose quoted field runs over a line break is watched.
//!   Once the record is complete it is judged *swallowing* when
//!   - a line inside the field looks like a customer row of its own (an `@` and at least
//!     `columns - 1` delimiters), or
//!   - the field is in a column that never holds row structure (a mapped name, email,
//!     consent or group column) and contains a delimiter (a lone line break there, Excel's
//!     Alt+Enter, is kept), or
//!   - the field spans over [`MAX_FIELD_LINES`] lines or [`REPLAY_CAP`] bytes, or
//!   - the quote is still open at the end of the file.
//!
//!   Such a record is emitted as an `unbalanced` record holding only its first line (split
//!   at the delimiters again), and the bytes after its first line are parsed again from a
//!   fresh state, so the rows it swallowed come back with their own line numbers.
//!   Quotes inside an unquoted field (`ab"c`) are literal (csv-core's "a parse over no parse").

mod fast;
mod raw;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder, Terminator};

pub(crate) use raw::{Hints, RawRecord};
pub use raw::{Limits, MAX_FIELD_LINES, REPLAY_CAP};

pub(crate) struct RecordStage {
    rdr: Reader,
    delimiter: u8,
    limits: Limits,
    hints: Hints,
    // The record being built.
    buf: Vec<u8>,
    len: usize,
    ends: Vec<usize>,
    nends: usize,
    skew: usize,
    too_long: Vec<usize>,
    too_many: bool,
    in_record: bool,
    rec_line: u64,
    // Line counting.
    line: u64,
    prev_cr: bool,
    // The multi-line tail of the current record (after its first inner line break).
    raw_active: bool,
    raw: Vec<u8>,
    raw_line: u64,
    raw_prev_cr: bool,
    inner_breaks: u32,
    // Bytes to parse again before any new input.
    replay: Vec<u8>,
    // The unquoted cells of a fast-path line with quotes.
    text: String,
    // Use the fast path (off only in tests, to compare with csv-core alone).
    fast: bool,
    finished: bool,
}

enum Step {
    /// All input consumed (or the end reached).
    Done,
    /// An unbalanced record was cut at `consumed`; `self.raw` holds the bytes to parse again.
    Reparse(usize),
}

fn new_reader(delimiter: u8) -> Reader {
    let mut rdr = ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(Terminator::CRLF)
        .double_quote(true)
        .build();
    // csv-core drops a UTF-8 BOM at the start of its first input. The decoder has dropped the
    // file's BOM already; without this, a record starting with U+FEFF would lose it only when
    // it happened to be csv-core's first (after the fast path, after an unbalanced-quote cut,
    // or at the start of a part of a split check). A blank line leaves it at a record start.
    let _ = rdr.read_record(b"\n", &mut [], &mut []);
    rdr
}

impl RecordStage {
    pub fn new(delimiter: u8, limits: Limits, hints: Hints) -> Self {
        let limits = Limits {
            max_field_bytes: limits.max_field_bytes.max(16),
            max_columns: limits.max_columns.max(1),
        };
        RecordStage {
            rdr: new_reader(delimiter),
            delimiter,
            limits,
            hints,
            buf: vec![0; 4096],
            len: 0,
            ends: vec![0; 64.min(limits.max_columns + 1)],
            nends: 0,
            skew: 0,
            too_long: Vec::new(),
            too_many: false,
            in_record: false,
            rec_line: 1,
            line: 1,
            prev_cr: false,
            raw_active: false,
            raw: Vec::new(),
            raw_line: 0,
            raw_prev_cr: false,
            inner_breaks: 0,
            replay: Vec::new(),
            text: String::new(),
            // Detection refuses these delimiters; the fast path assumes an ASCII delimiter
            // that is not a quote or a line break.
            fast: delimiter.is_ascii() && !matches!(delimiter, b'"' | b'\r' | b'\n'),
            finished: false,
        }
    }

    /// The line the next byte is on (after the end: one past the last line).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Between two records, with nothing held back: a fresh stage fed the bytes from here
    /// emits the same records (its lines counted from 1). See `RowReader::at_record_start`.
    pub fn at_record_start(&self) -> bool {
        // After a lone `\r` the next byte may be its `\n`: one line break, not two.
        !self.in_record && self.replay.is_empty() && !self.finished && !self.prev_cr
    }

    /// Feeds UTF-8 bytes; calls `emit` for every complete record.
    pub fn push(&mut self, input: &[u8], emit: &mut dyn FnMut(&RawRecord<'_>)) {
        // One validation of the whole piece: the fast path's records then borrow it as text.
        // A piece may start inside a character (the rest of one cut at the end of the last
        // piece, part of the record in progress): the text starts after those bytes.
        let skip = input
            .iter()
            .take(3)
            .take_while(|&&b| b & 0xC0 == 0x80)
            .count();
        let text = valid_prefix(&input[skip..]);
        let mut pos = 0;
        loop {
            self.drain_replay(emit);
            if pos >= input.len() {
                return;
            }
            // Starting inside a character: no valid prefix.
            let (rest, rest_at) = match pos.checked_sub(skip) {
                Some(p) => (text.get(p..).unwrap_or_default(), 0),
                None => (text, skip - pos),
            };
            match self.parse(&input[pos..], rest, rest_at, false, emit) {
                Step::Done => return,
                Step::Reparse(n) => {
                    pos += n;
                    self.replay = std::mem::take(&mut self.raw);
                }
            }
        }
    }

    /// Signals the end of input; emits the last record.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&RawRecord<'_>)) {
        if self.finished {
            return;
        }
        loop {
            self.drain_replay(emit);
            match self.parse(&[], "", 0, true, emit) {
                Step::Done => break,
                Step::Reparse(_) => self.replay = std::mem::take(&mut self.raw),
            }
        }
        self.finished = true;
    }

    fn drain_replay(&mut self, emit: &mut dyn FnMut(&RawRecord<'_>)) {
        while !self.replay.is_empty() {
            let replay = std::mem::take(&mut self.replay);
            match self.parse(&replay, valid_prefix(&replay), 0, false, emit) {
                Step::Done => {}
                Step::Reparse(n) => {
                    let mut next = std::mem::take(&mut self.raw);
                    next.extend_from_slice(&replay[n..]);
                    self.replay = next;
                }
            }
        }
    }

    fn count_lines(&mut self, bytes: &[u8]) {
        let mut cr_at: isize = if self.prev_cr { -1 } else { -2 };
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if bytes[i] == b'\r' {
                self.line += 1;
                cr_at = i as isize;
            } else if cr_at != i as isize - 1 {
                self.line += 1;
            }
        }
        if let Some(&last) = bytes.last() {
            self.prev_cr = last == b'\r';
        }
    }

    /// Accounts for bytes consumed by csv-core within the current record. `ended` is true if
    /// the last byte ended the record (its terminator).
    fn track(&mut self, bytes: &[u8], ended: bool) {
        if self.hints.records_numbered() {
            // Only the record's terminator ends a line.
            if !bytes.is_empty() {
                self.prev_cr = false;
            }
            if let (true, Some(&last)) = (ended, bytes.last()) {
                self.count_lines(&[last]);
            }
            return;
        }
        let body = if ended && !bytes.is_empty() {
            &bytes[..bytes.len() - 1]
        } else {
            bytes
        };
        if self.raw_active {
            self.inner_breaks += memchr::memchr2_iter(b'\r', b'\n', body).count() as u32;
            self.raw.extend_from_slice(bytes);
            self.count_lines(bytes);
        } else if let Some(p) = memchr::memchr2(b'\r', b'\n', body) {
            self.count_lines(&bytes[..=p]);
            self.raw_active = true;
            self.raw_line = self.line;
            self.raw_prev_cr = bytes[p] == b'\r';
            self.inner_breaks =
                1 + memchr::memchr2_iter(b'\r', b'\n', &body[p + 1..]).count() as u32;
            self.raw.clear();
            self.raw.extend_from_slice(&bytes[p + 1..]);
            self.count_lines(&bytes[p + 1..]);
        } else {
            self.count_lines(bytes);
        }
    }

    fn start_record(&mut self) {
        self.in_record = true;
        self.rec_line = self.line;
        self.len = 0;
        self.nends = 0;
        self.skew = 0;
        self.too_long.clear();
        self.too_many = false;
        self.raw_active = false;
        self.inner_breaks = 0;
    }

    /// Parses `input` until it is consumed or an unbalanced record forces a re-parse. `text`
    /// is the longest valid UTF-8 prefix of `input[text_at..]`.
    fn parse(
        &mut self,
        input: &[u8],
        text: &str,
        text_at: usize,
        eof: bool,
        emit: &mut dyn FnMut(&RawRecord<'_>),
    ) -> Step {
        let mut pos = 0;
        loop {
            if !self.in_record {
                // Skip (and count) blank lines before the record.
                let start = pos;
                while pos < input.len() && matches!(input[pos], b'\r' | b'\n') {
                    pos += 1;
                }
                self.count_lines(&input[start..pos]);
                if pos == input.len() {
                    return Step::Done;
                }
                if self.fast
                    && let Some(n) = self.fast_line(
                        &input[pos..],
                        pos.checked_sub(text_at).and_then(|p| text.get(p..)),
                        emit,
                    )
                {
                    pos += n;
                    continue;
                }
                self.start_record();
            }
            let inp = &input[pos..];
            if self.len + 1024 > self.buf.len() {
                let grow = self.buf.len().max(4096);
                self.buf.resize(self.buf.len() + grow, 0);
            }
            if self.nends == self.ends.len() {
                let cap = self.limits.max_columns + 1;
                if self.ends.len() < cap {
                    let n = (self.ends.len() * 2).min(cap);
                    self.ends.resize(n, 0);
                }
            }
            let old_len = self.len;
            let (res, nin, nout, nend) =
                self.rdr
                    .read_record(inp, &mut self.buf[self.len..], &mut self.ends[self.nends..]);
            let ended = matches!(res, ReadRecordResult::Record) && nin > 0;
            self.track(&inp[..nin], ended);
            pos += nin;
            self.len += nout;
            for e in &mut self.ends[self.nends..self.nends + nend] {
                *e -= self.skew;
            }
            let first = self.nends;
            self.nends += nend;
            self.enforce_limits(first, old_len);
            match res {
                ReadRecordResult::InputEmpty => {
                    if self.raw_active
                        && (self.raw.len() > REPLAY_CAP || self.inner_breaks > MAX_FIELD_LINES)
                    {
                        return self.cut_unbalanced(pos, emit);
                    }
                    if !eof {
                        return Step::Done;
                    }
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    if self.raw_active
                        && (self.raw.len() > REPLAY_CAP || self.inner_breaks > MAX_FIELD_LINES)
                    {
                        return self.cut_unbalanced(pos, emit);
                    }
                }
                ReadRecordResult::Record => {
                    self.in_record = false;
                    if self.raw_active && self.is_swallowing(eof) {
                        return self.cut_unbalanced(pos, emit);
                    }
                    self.emit(emit, false);
                }
                ReadRecordResult::End => {
                    self.in_record = false;
                    return Step::Done;
                }
            }
        }
    }

    /// Applies the field and column limits to what csv-core just wrote. `first` is the index
    /// of the field that was open before the call.
    fn enforce_limits(&mut self, first: usize, old_len: usize) {
        let max_cols = self.limits.max_columns;
        if !self.too_many {
            // Cut every field over the limit (the completed ones and the open one), moving
            // the bytes after it down.
            let max = self.limits.max_field_bytes;
            let mut read = if first == 0 { 0 } else { self.ends[first - 1] };
            let mut write = read;
            for i in first..=self.nends {
                let end = if i < self.nends {
                    self.ends[i]
                } else {
                    self.len
                };
                let flen = end - read;
                let mut keep = flen;
                if i == first && self.too_long.last() == Some(&i) {
                    // Cut before: what was kept then ends at a character boundary, and the
                    // new bytes continue the part that was dropped.
                    keep = old_len - read;
                } else if flen > max {
                    keep = max;
                    while keep > 0 && (self.buf[read + keep] & 0xC0) == 0x80 {
                        keep -= 1;
                    }
                    if self.too_long.last() != Some(&i) {
                        self.too_long.push(i);
                    }
                }
                if write != read {
                    self.buf.copy_within(read..read + keep, write);
                }
                write += keep;
                read = end;
                if i < self.nends {
                    self.ends[i] = write;
                }
            }
            self.skew += self.len - write;
            self.len = write;
        }
        // Too many columns: keep the first max_columns cells, drop the rest.
        if self.nends > max_cols || (self.too_many && self.len > self.ends[max_cols - 1]) {
            self.too_many = true;
            let keep = self.ends[max_cols - 1];
            self.skew += self.len - keep;
            self.len = keep;
            self.nends = max_cols;
            self.too_long.retain(|&f| f < max_cols);
        }
    }

    /// Judges a complete record with a multi-line field (see the module docs).
    fn is_swallowing(&self, eof: bool) -> bool {
        if self.raw.len() > REPLAY_CAP || self.inner_breaks > MAX_FIELD_LINES {
            return true;
        }
        if eof
            && quote_open_at_end(&self.raw, self.delimiter)
            && !self.raw.iter().all(|b| b.is_ascii_whitespace())
        {
            return true;
        }
        swallows(
            &self.buf,
            &self.ends[..self.nends],
            self.delimiter,
            &self.hints,
        )
    }

    /// Emits the current record as unbalanced (its first line only), resets the parser and
    /// prepares the replay from the record's second line.
    fn cut_unbalanced(&mut self, consumed: usize, emit: &mut dyn FnMut(&RawRecord<'_>)) -> Step {
        // Keep the cells of the first line: cut the field holding the first line break.
        if let Some(p) = memchr::memchr2(b'\r', b'\n', &self.buf[..self.len]) {
            let i = self.ends[..self.nends]
                .iter()
                .position(|&e| e > p)
                .unwrap_or(self.nends);
            self.nends = i;
            self.len = p;
            // The quoted field's first line is the rest of the line as written: split it at
            // the delimiters again, so the row shows the cells the writer meant.
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            let mut w = start;
            for r in start..p {
                let b = self.buf[r];
                if b == self.delimiter {
                    self.push_end(w);
                } else {
                    self.buf[w] = b;
                    w += 1;
                }
            }
            self.push_end(w);
            self.len = w;
            if self.nends > self.limits.max_columns {
                self.nends = self.limits.max_columns;
                self.len = self.ends[self.nends - 1];
                self.too_many = true;
            }
        } else if !self.too_many {
            // The break was in a part that was cut away: close the open field as it is.
            if self.nends == self.ends.len() {
                self.ends.push(0);
            }
            self.ends[self.nends] = self.len;
            self.nends += 1;
        }
        self.too_long.retain(|&f| f < self.nends);
        self.emit(emit, true);
        self.in_record = false;
        self.rdr = new_reader(self.delimiter);
        self.line = self.raw_line;
        self.prev_cr = self.raw_prev_cr;
        self.raw_active = false;
        Step::Reparse(consumed)
    }

    fn push_end(&mut self, end: usize) {
        if self.nends == self.ends.len() {
            self.ends.push(0);
        }
        self.ends[self.nends] = end;
        self.nends += 1;
    }

    fn emit(&mut self, emit: &mut dyn FnMut(&RawRecord<'_>), unbalanced: bool) {
        let rec = RawRecord {
            line: self.rec_line,
            buf: &self.buf[..self.len],
            ends: &self.ends[..self.nends],
            sep: 0,
            text: None,
            too_long: &self.too_long,
            too_many_columns: self.too_many,
            unbalanced,
        };
        if unbalanced || !rec.is_blank() {
            emit(&rec);
        }
    }
}

/// The part of the judgement of a complete multi-line record that looks at its cells
/// (`buf` split at `ends`, csv-core's layout): does a field with a line break hold rows it
/// swallowed (see the module docs)?
fn swallows(buf: &[u8], ends: &[usize], delimiter: u8, hints: &Hints) -> bool {
    let need_delims = hints.columns.saturating_sub(1).max(1);
    for (i, &end) in ends.iter().enumerate() {
        let s = if i == 0 { 0 } else { ends[i - 1] };
        let field = &buf[s..end];
        let Some(first_break) = memchr::memchr2(b'\r', b'\n', field) else {
            continue;
        };
        // A name or email cell never holds row structure: a multi-line one with a
        // delimiter anywhere swallowed rows. A note may hold anything but a line that
        // looks like a customer row.
        let single_line = hints.single_line.get(i).copied().unwrap_or(false);
        if single_line && memchr::memchr(delimiter, field).is_some() {
            return true;
        }
        let tail = &field[first_break + 1..];
        // A line that looks like a customer row has an `@`.
        if memchr::memchr(b'@', tail).is_none() {
            continue;
        }
        for line in tail.split(|&b| b == b'\n' || b == b'\r') {
            let delims = memchr::memchr_iter(delimiter, line).count();
            if delims >= need_delims && memchr::memchr(b'@', line).is_some() {
                return true;
            }
        }
    }
    false
}

/// The longest prefix of `bytes` that is valid UTF-8.
pub(crate) fn valid_prefix(bytes: &[u8]) -> &str {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(s) => s,
        // Cannot fail: the bytes up to `valid_up_to` are valid.
        Err(e) => simdutf8::basic::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// Replays the quote state over the tail of a record that starts inside a quoted field:
/// is the quote still open at the end?
fn quote_open_at_end(tail: &[u8], delimiter: u8) -> bool {
    #[derive(PartialEq)]
    enum S {
        Quoted,
        AfterQuote,
        Start,
        Unquoted,
    }
    let mut s = S::Quoted;
    for &b in tail {
        s = match s {
            S::Quoted if b == b'"' => S::AfterQuote,
            S::Quoted => S::Quoted,
            S::AfterQuote if b == b'"' => S::Quoted,
            S::AfterQuote | S::Unquoted | S::Start if b == delimiter => S::Start,
            S::AfterQuote | S::Unquoted | S::Start if b == b'\n' || b == b'\r' => S::Start,
            S::Start if b == b'"' => S::Quoted,
            _ => S::Unquoted,
        };
    }
    s == S::Quoted
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses `input` in chunks of `chunk` bytes into (line, cells, flags) strings.
    pub(crate) fn parse_with(
        input: &[u8],
        delim: u8,
        chunk: usize,
        limits: Limits,
        hints: Hints,
    ) -> Vec<String> {
        parse_opt(input, delim, chunk, limits, hints, true)
    }

    fn parse_opt(
        input: &[u8],
        delim: u8,
        chunk: usize,
        limits: Limits,
        hints: Hints,
        fast: bool,
    ) -> Vec<String> {
        let mut st = RecordStage::new(delim, limits, hints);
        st.fast = fast;
        let mut out = Vec::new();
        let mut emit = |r: &RawRecord<'_>| {
            let cells: Vec<String> = r
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let mut s = format!("{}: {:?}", r.line, cells);
            if !r.too_long.is_empty() {
                s.push_str(&format!(" too_long={:?}", r.too_long));
            }
            if r.too_many_columns {
                s.push_str(" too_many");
            }
            if r.unbalanced {
                s.push_str(" UNBALANCED");
            }
            out.push(s);
        };
        for c in input.chunks(chunk.max(1)) {
            st.push(c, &mut emit);
        }
        st.finish(&mut emit);
        out
    }

    fn parse(input: &str) -> Vec<String> {
        let all = parse_with(
            input.as_bytes(),
            b',',
            usize::MAX,
            Limits::default(),
            Hints::default(),
        );
        for chunk in [1, 2, 3, 5, 7, 16] {
            assert_eq!(
                parse_with(
                    input.as_bytes(),
                    b',',
                    chunk,
                    Limits::default(),
                    Hints::default()
                ),
                all,
                "chunk {chunk}"
            );
        }
        all
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn lines_and_terminators() {
        assert_eq!(
            parse("a,b\nc,d"),
            ["1: [\"a\", \"b\"]", "2: [\"c\", \"d\"]"]
        );
        assert_eq!(
            parse("a,b\r\n\r\nc,d\r\n"),
            ["1: [\"a\", \"b\"]", "3: [\"c\", \"d\"]"]
        );
        assert_eq!(
            parse("a\rb\r\rc"),
            ["1: [\"a\"]", "2: [\"b\"]", "4: [\"c\"]"]
        );
        assert_eq!(
            parse("\n\n a \n,,\n;;\nx"),
            ["3: [\" a \"]", "5: [\";;\"]", "6: [\"x\"]"]
        );
        assert_eq!(parse(""), Vec::<String>::new());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn quotes() {
        assert_eq!(
            parse("\"a \"\"b\"\"\",c\nd,e"),
            ["1: [\"a \\\"b\\\"\", \"c\"]", "2: [\"d\", \"e\"]"]
        );
        assert_eq!(
            parse("\"multi\r\nline\",x\ny,z"),
            ["1: [\"multi\\r\\nline\", \"x\"]", "3: [\"y\", \"z\"]"]
        );
        assert_eq!(parse("ab\"c,d\n"), ["1: [\"ab\\\"c\", \"d\"]"]);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unbalanced_quote_is_cut_and_reparsed() {
        let input = "name,email\n\"Ivan,ivan@x.bg\nMaria,maria@x.bg\nPetar,petar@x.bg\n";
        assert_eq!(
            parse(input),
            [
                "1: [\"name\", \"email\"]",
                "2: [\"Ivan\", \"ivan@x.bg\"] UNBALANCED",
                "3: [\"Maria\", \"maria@x.bg\"]",
                "4: [\"Petar\", \"petar@x.bg\"]"
            ]
        );
        // Closed much later by a stray quote.
        let input = "n,e,x\n\"Ivan,ivan@x.bg,1\nMaria,maria@x.bg,2\nPetar,petar@x.bg,\"ok\"\n";
        assert_eq!(
            parse(input),
            [
                "1: [\"n\", \"e\", \"x\"]",
                "2: [\"Ivan\", \"ivan@x.bg\", \"1\"] UNBALANCED",
                "3: [\"Maria\", \"maria@x.bg\", \"2\"]",
                "4: [\"Petar\", \"petar@x.bg\", \"ok\"]"
            ]
        );
        // Every line opens a quote: no stack growth, every line comes back.
        let mut s = String::new();
        for i in 0..2000 {
            s.push_str(&format!("\"a{i}@x.bg,b\n"));
        }
        let hints = Hints {
            columns: 2,
            single_line: vec![true, true],
            ..Hints::default()
        };
        let out = parse_with(s.as_bytes(), b',', 4096, Limits::default(), hints);
        assert_eq!(out.len(), 2000);
        assert!(out[1999].starts_with("2000: "), "{}", out[1999]);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn line_per_record_numbers_records_not_physical_lines() {
        // Rows 1-4 of a sheet: a blank row, a header, a cell with two line breaks (and a
        // row-like line that would be judged a swallowed row in a CSV), then a plain row.
        let input = "\na,b\n\"x\r\ny@x.bg,z\nw\",q\nlast@x.bg,\"r\"\n";
        let hints = Hints {
            columns: 2,
            single_line: vec![true, true],
            line_per_record: true,
        };
        for fast in [true, false] {
            for chunk in [1, 3, 4096] {
                let out = parse_opt(
                    input.as_bytes(),
                    b',',
                    chunk,
                    Limits::default(),
                    hints.clone(),
                    fast,
                );
                assert_eq!(
                    out,
                    [
                        "2: [\"a\", \"b\"]",
                        "3: [\"x\\r\\ny@x.bg,z\\nw\", \"q\"]",
                        "4: [\"last@x.bg\", \"r\"]"
                    ],
                    "fast {fast}, chunk {chunk}"
                );
            }
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn multi_line_note_is_kept() {
        let input = "e,note\nivan@x.bg,\"line one, more\nline two\"\n";
        assert_eq!(
            parse(input),
            [
                "1: [\"e\", \"note\"]",
                "2: [\"ivan@x.bg\", \"line one, more\\nline two\"]"
            ]
        );
        // ... but not in a single-line column.
        let hints = Hints {
            columns: 2,
            single_line: vec![false, true],
            ..Hints::default()
        };
        // A line break inside a name is kept (Alt+Enter in Excel)...
        let out = parse_with(
            b"ivan@x.bg,\"a\nb\"\nc@x.bg,d\n",
            b',',
            3,
            Limits::default(),
            hints.clone(),
        );
        assert_eq!(
            out,
            ["1: [\"ivan@x.bg\", \"a\\nb\"]", "3: [\"c@x.bg\", \"d\"]"]
        );
        // ... but row structure inside a name is a swallowing quote.
        let out = parse_with(
            b"ivan@x.bg,\"a\nb,c\"\nc@x.bg,d\n",
            b',',
            3,
            Limits::default(),
            hints,
        );
        assert_eq!(
            out,
            [
                "1: [\"ivan@x.bg\", \"a\"] UNBALANCED",
                "2: [\"b\", \"c\\\"\"]",
                "3: [\"c@x.bg\", \"d\"]"
            ]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unclosed_quote_at_end_of_file() {
        assert_eq!(
            parse("a,\"b\nc,d"),
            ["1: [\"a\", \"b\"] UNBALANCED", "2: [\"c\", \"d\"]"]
        );
        assert_eq!(parse("a,\"b\n"), ["1: [\"a\", \"b\\n\"]"]);
        assert_eq!(
            parse("x\na,\"b,c\nd@e,f"),
            [
                "1: [\"x\"]",
                "2: [\"a\", \"b\", \"c\"] UNBALANCED",
                "3: [\"d@e\", \"f\"]"
            ]
        );
        assert_eq!(parse("a,\"b"), ["1: [\"a\", \"b\"]"]);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn limits() {
        let limits = Limits {
            max_field_bytes: 16,
            max_columns: 3,
        };
        let long = format!("{},b\nc,d,e,f,g\nh\n", "x".repeat(100));
        for chunk in [1, 7, 1000] {
            let out = parse_with(long.as_bytes(), b',', chunk, limits, Hints::default());
            assert_eq!(
                out,
                [
                    format!("1: [\"{}\", \"b\"] too_long=[0]", "x".repeat(16)),
                    "2: [\"c\", \"d\", \"e\"] too_many".into(),
                    "3: [\"h\"]".into()
                ]
            );
        }
        // Cut at a character boundary.
        let out = parse_with(
            "ааааааааааааааа".as_bytes(),
            b',',
            5,
            limits,
            Hints::default(),
        );
        assert_eq!(out, ["1: [\"аааааааа\"] too_long=[0]"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// The fast path gives exactly what csv-core alone gives, whatever the chunking.
        #[test]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn fast_path_matches_csv_core(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => proptest::sample::select(vec!["a", "b", " ", "и"]),
                    8 => proptest::sample::select(vec![",", ";", "\"", "\"\"", "\r", "\n", "\r\n"]),
                    1 => proptest::sample::select(vec!["@", "\u{0}", "\u{FF}"]),
                ],
                0..120,
            ),
            invalid in proptest::option::of(0usize..400),
            delim in proptest::sample::select(vec![b',', b';']),
            chunk in 1usize..64,
            small in proptest::bool::ANY,
        ) {
            let limits = if small {
                Limits { max_field_bytes: 16, max_columns: 3 }
            } else {
                Limits::default()
            };
            let hints = Hints { columns: 3, single_line: vec![true, false, true], ..Hints::default() };
            let mut bytes: Vec<u8> = tokens.concat().into_bytes();
            // Sometimes a byte that is not UTF-8 (the fast path with quotes needs text).
            if let Some(at) = invalid.filter(|&at| at < bytes.len()) {
                bytes[at] = 0xFF;
            }
            let slow = parse_opt(&bytes, delim, usize::MAX, limits, hints.clone(), false);
            proptest::prop_assert_eq!(
                &parse_opt(&bytes, delim, usize::MAX, limits, hints.clone(), true),
                &slow
            );
            proptest::prop_assert_eq!(&parse_opt(&bytes, delim, chunk, limits, hints, true), &slow);
        }
    }
}
