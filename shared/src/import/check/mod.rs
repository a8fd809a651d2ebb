//! The whole-file check (count valid, invalid and duplicate rows, list the problems) as one
//! pass, or split in two parts read at the same time by two workers.
//!
//! Exists because the check of a large file is the browser's longest wait and a machine has
//! more than one core. A split is exact, never approximate:
//! - The second part starts at a line break chosen by [`split_point`], a guess of where a
//!   record starts. The first part's reader, once fed every byte before it, says whether it is
//!   really there ([`FileCheck::at_record_start`]); if not, the caller reads the rest itself.
//! - The second part counts lines from 1 and writes no line into a message; the merge shifts
//!   its lines and writes the messages that name a line.
//! - Duplicates: each part tracks its own; the second also lists the first row of each of its
//!   keys, and the merge looks those up among the first part's keys. The earlier row is the
//!   first part's last one with that key; within the second part the part decided already.
//! - Problems keep the order one pass gives (a duplicate's problem where its later row is
//!   read), as the second part notes where each of its first rows falls among its problems.

use crate::api::{ErrorCode, Field, FieldError};

use super::distinct::{DistinctValues, Tallies};
use super::dups::key_hash;
use super::{
    DecoderFactory, Detection, DuplicateTracker, Limits, RowReader, RowRef, ferr, unbalanced_quote,
};

mod part;

pub(crate) use part::ByteReader;
pub use part::PartResult;
use part::{FIRST_HEAD, First};

/// The counts of a check; `rows = valid + invalid + duplicates`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCounts {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
    /// Every problem found, listed or not: each invalid row's errors and one per duplicate.
    pub problems: u64,
}

impl CheckCounts {
    fn add(&mut self, o: &CheckCounts) {
        self.rows += o.rows;
        self.valid += o.valid;
        self.invalid += o.invalid;
        self.duplicates += o.duplicates;
        self.problems += o.problems;
    }
}

/// What a second part keeps for the merge.
#[derive(Debug, Default)]
struct PartLog {
    /// Per problem: the later row's line for a duplicate (whose message is written at the
    /// merge), else 0.
    later: Vec<u64>,
    /// The first row of each key: see [`PartResult`] for the layout.
    firsts: Vec<u8>,
    nfirsts: u64,
    /// The first rows' emails, asked for only for the keys the first part also had.
    emails: PartEmails,
}

/// The emails of a second part's first rows ([`FileCheck::into_part`]), kept by the part's
/// reader: the merge needs only the few whose key the first part also had
/// ([`Hits::wanted`]), so they do not travel with the [`PartResult`] (they were about half
/// of its bytes, and its trip between the workers is waited for).
#[derive(Debug, Default)]
pub struct PartEmails {
    bytes: Vec<u8>,
    /// Where each first row's email ends in `bytes`.
    ends: Vec<usize>,
}

impl PartEmails {
    fn push(&mut self, email: &str) {
        self.bytes.extend_from_slice(email.as_bytes());
        self.ends.push(self.bytes.len());
    }

    /// The emails of the first rows numbered `wanted`, as [`FileCheck::merge`] reads them
    /// (each a u32 length and the bytes; an unknown number gives an empty email).
    pub fn answer(&self, wanted: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &i in wanted {
            let i = i as usize;
            let start = i
                .checked_sub(1)
                .map_or(0, |p| self.ends.get(p).copied().unwrap_or(0));
            let email = self.ends.get(i).and_then(|&end| self.bytes.get(start..end));
            let email = email.unwrap_or_default();
            out.extend_from_slice(&(email.len() as u32).to_le_bytes());
            out.extend_from_slice(email);
        }
        out
    }
}

/// The second part's first rows whose key the first part had ([`FileCheck::hits`]): each is
/// a duplicate of a first-part row.
#[derive(Debug)]
pub struct Hits {
    /// (problems of the part listed before it, its line in the whole file, the earlier
    /// row's line, its number among the part's first rows).
    hits: Vec<(u32, u64, u64, u32)>,
}

impl Hits {
    /// The first rows whose emails the merge needs (for the duplicates' messages).
    pub fn wanted(&self) -> Vec<u32> {
        self.hits.iter().map(|h| h.3).collect()
    }

    /// The hits with their emails from `answer` ([`PartEmails::answer`] of
    /// [`Hits::wanted`]), for [`FileCheck::merge`]; `None` when `answer` is not that.
    pub fn with_emails(self, answer: &[u8]) -> Option<HitEmails<'_>> {
        let mut r = ByteReader(answer);
        let mut hits = Vec::with_capacity(self.hits.len());
        for (at, line, earlier, _) in self.hits {
            let len = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
            hits.push((at, line, earlier, std::str::from_utf8(r.take(len)?).ok()?));
        }
        r.0.is_empty().then_some(HitEmails(hits))
    }
}

/// [`Hits`] with their emails: what [`FileCheck::merge`] takes.
#[derive(Debug)]
pub struct HitEmails<'e>(Vec<(u32, u64, u64, &'e str)>);

/// One pass over a file, or over one part of it (see the module docs).
pub struct FileCheck {
    reader: RowReader,
    seen: Seen,
}

/// What a check has learnt from the rows its reader lent it.
struct Seen {
    counts: CheckCounts,
    dups: DuplicateTracker,
    problems: Vec<(u64, FieldError)>,
    max_problems: usize,
    part: Option<PartLog>,
    pending: PendingKeys,
    /// The distinct consent and group values.
    values: Tallies,
}

/// Valid rows whose email key is not looked up yet: see [`Seen::look_up_pending`].
#[derive(Default)]
struct PendingKeys {
    /// Per row: its key's hash, its line and where its email is in `emails` (empty when no
    /// message or part log can need it).
    rows: Vec<([u64; 2], u64, std::ops::Range<usize>)>,
    emails: String,
}

impl FileCheck {
    /// A check of the file `det` describes, from its first byte; lists at most
    /// `max_problems` problems (the counts count everything).
    pub fn new(det: &Detection, decoders: &dyn DecoderFactory, max_problems: usize) -> Self {
        FileCheck {
            reader: RowReader::with_decoders(det, Limits::default(), decoders),
            seen: Seen {
                counts: CheckCounts::default(),
                dups: DuplicateTracker::new(),
                problems: Vec::new(),
                max_problems,
                part: None,
                pending: PendingKeys::default(),
                values: Tallies::for_mapping(&det.mapping),
            },
        }
    }

    /// A check of the rest of the file from a record start ([`split_point`]); its
    /// [`PartResult`] goes to [`FileCheck::merge`] of the check that read the bytes before.
    pub fn second_part(
        det: &Detection,
        decoders: &dyn DecoderFactory,
        max_problems: usize,
    ) -> Self {
        let mut check = FileCheck::new(det, decoders, max_problems);
        check.reader = RowReader::continuing(det, Limits::default(), decoders);
        check.seen.part = Some(PartLog::default());
        check
    }

    /// Makes room for about `rows` more rows' keys at once (see [`estimate_rows`]): a table
    /// grown row by row is rebuilt at every doubling, each time into memory the page has not
    /// touched yet, and in the browser that first touch is a large part of the cost.
    pub fn expect_rows(&mut self, rows: u64) {
        let rows = usize::try_from(rows).unwrap_or(usize::MAX);
        self.seen.dups.reserve(rows);
        if let Some(log) = &mut self.seen.part {
            // Nearly every row is the first of its key; an email is about 24 bytes.
            log.firsts.reserve(rows.saturating_mul(FIRST_HEAD));
            log.emails.bytes.reserve(rows.saturating_mul(24));
            log.emails.ends.reserve(rows);
        }
    }

    /// Whether a file in this encoding can be split: UTF-8 only (another encoding's decoder
    /// may hold state across a line break).
    pub fn can_split(det: &Detection) -> bool {
        det.problem.is_none() && det.encoding == "utf-8"
    }

    pub fn push(&mut self, chunk: &[u8]) {
        let seen = &mut self.seen;
        self.reader.push_ref(chunk, &mut |row| seen.see(row));
        // Every chunk's counts and problems whole: progress is read between chunks.
        seen.look_up_pending();
    }

    /// The end of the file.
    pub fn finish(&mut self) {
        let seen = &mut self.seen;
        self.reader.finish_ref(&mut |row| seen.see(row));
        seen.look_up_pending();
    }

    pub fn counts(&self) -> CheckCounts {
        self.seen.counts
    }

    /// Applies the user's value mapping (see [`RowReader::set_values`]).
    pub fn set_values(&mut self, values: &super::ValueMap) {
        self.reader.set_values(values);
    }

    /// The distinct values of the consent and group columns so far (with a second part's,
    /// once [`FileCheck::absorb_values`] took them).
    pub fn values(&self) -> DistinctValues {
        self.seen.values.report()
    }

    /// Takes the distinct values of a second part (starting where this check stopped),
    /// before [`FileCheck::merge`].
    pub fn absorb_values(&mut self, part: &mut PartResult) {
        self.seen.values.absorb(std::mem::take(&mut part.values));
    }

    /// See [`RowReader::at_record_start`]: true when a second part starting after the bytes
    /// pushed so far reads what this check would.
    pub fn at_record_start(&self) -> bool {
        self.seen.part.is_none() && self.reader.at_record_start()
    }

    /// The counts and the problems (line, problem) in the order they were found.
    pub fn into_result(self) -> (CheckCounts, Vec<(u64, FieldError)>) {
        (self.seen.counts, self.seen.problems)
    }

    /// What a second part hands to [`FileCheck::merge`] (after [`FileCheck::finish`]), and
    /// the emails it keeps until the merge asks for some ([`Hits::wanted`]).
    pub fn into_part(self) -> (PartResult, PartEmails) {
        let Seen {
            counts,
            problems,
            part,
            values,
            ..
        } = self.seen;
        let log = part.unwrap_or_default();
        let result = PartResult {
            counts,
            values,
            problems: problems
                .into_iter()
                .zip(log.later.into_iter().chain(std::iter::repeat(0)))
                .map(|((line, e), later)| (line, later, e))
                .collect(),
            firsts: log.firsts,
            nfirsts: log.nfirsts,
        };
        (result, log.emails)
    }

    /// The first rows of `part` whose key this check has (a second part starting where this
    /// check stopped, [`FileCheck::at_record_start`] holding there). Looked up in batches, so
    /// that their table reads overlap.
    pub fn hits(&self, part: &PartResult) -> Hits {
        let shift = self.reader.line() - 1;
        let mut hits = Vec::new();
        let mut batch: Vec<(First, u32)> = Vec::with_capacity(LOOKUP_BATCH);
        let mut found = Vec::with_capacity(LOOKUP_BATCH);
        // Each first row with its number among the part's first rows.
        let mut entries = part.firsts().zip(0u32..).peekable();
        while entries.peek().is_some() {
            batch.clear();
            batch.extend(entries.by_ref().take(LOOKUP_BATCH));
            self.seen
                .dups
                .find_many(batch.iter().map(|(f, _)| &f.hash), &mut found);
            for ((f, n), earlier) in batch.iter().zip(&found) {
                if let Some(earlier) = *earlier {
                    hits.push((f.at, f.line + shift, earlier, *n));
                }
            }
        }
        Hits { hits }
    }

    /// The result of one pass over the whole file, from this check, `part` (see
    /// [`FileCheck::hits`]) and its hits with their emails.
    pub fn merge(
        self,
        part: PartResult,
        hits: HitEmails<'_>,
    ) -> (CheckCounts, Vec<(u64, FieldError)>) {
        let shift = self.reader.line() - 1;
        self.seen.merge(part, shift, hits.0)
    }
}

impl Seen {
    /// [`FileCheck::merge`] of the part, whose line 1 is this check's line `shift + 1`, and its
    /// hits with their emails.
    fn merge(
        mut self,
        part: PartResult,
        shift: u64,
        hits: Vec<(u32, u64, u64, &str)>,
    ) -> (CheckCounts, Vec<(u64, FieldError)>) {
        self.counts.add(&part.counts);
        let duplicates = hits.len() as u64;
        self.counts.valid -= duplicates;
        self.counts.duplicates += duplicates;
        self.counts.problems += duplicates;
        // The problems in one pass's order: a hit's before the part's problems listed after it.
        let mut hits = hits.into_iter().peekable();
        for (i, (line, later, e)) in part.problems.into_iter().enumerate() {
            while let Some(hit) = hits.next_if(|h| h.0 as usize <= i) {
                self.duplicate_of_first_part(hit);
            }
            if self.problems.len() < self.max_problems {
                let problem = if later > 0 {
                    DuplicateTracker::duplicate_error(&e.message, later + shift)
                } else if e.code == ErrorCode::UnbalancedQuote {
                    unbalanced_quote(line + shift)
                } else {
                    e
                };
                self.problems.push((line + shift, problem));
            }
        }
        for hit in hits {
            self.duplicate_of_first_part(hit);
        }
        (self.counts, self.problems)
    }

    /// The problem of a first part's row superseded by a row of the second part.
    fn duplicate_of_first_part(&mut self, (_, line, earlier, email): (u32, u64, u64, &str)) {
        if self.problems.len() < self.max_problems {
            self.problems
                .push((earlier, DuplicateTracker::duplicate_error(email, line)));
        }
    }
}

/// Keys looked up at once by [`FileCheck::merge`].
const LOOKUP_BATCH: usize = 64;

impl Seen {
    fn see(&mut self, row: &RowRef<'_>) {
        self.counts.rows += 1;
        self.values.consent.see(row.consent_cell.as_deref());
        self.values.group.see(row.group.as_deref());
        if !row.is_valid() {
            self.counts.invalid += 1;
            self.counts.problems += row.errors.len() as u64;
            if self.problems.len() < self.max_problems && !row.errors.is_empty() {
                // The problems stay in one pass's order.
                self.look_up_pending();
                for e in row.errors {
                    if self.problems.len() < self.max_problems {
                        self.problems.push((row.line, e.clone()));
                        if let Some(log) = self.part.as_mut() {
                            log.later.push(0);
                        }
                    }
                }
            }
            return;
        }
        self.counts.valid += 1;
        let Some(key) = row.email_key else {
            return;
        };
        let pending = &mut self.pending;
        let from = pending.emails.len();
        if self.part.is_some() || self.problems.len() < self.max_problems {
            pending
                .emails
                .push_str(row.email.as_deref().unwrap_or_default());
        }
        let email = from..pending.emails.len();
        pending.rows.push((key_hash(key), row.line, email));
        if pending.rows.len() == LOOKUP_BATCH {
            self.look_up_pending();
        }
    }

    /// Looks up the keys of the rows seen since the last time, in their order. Done for
    /// [`LOOKUP_BATCH`] rows at once because the table is far larger than the cache: their
    /// first reads are made together ([`DuplicateTracker::warm`]), so their misses overlap.
    /// Counts and problems come out as if each row had been looked up when it was read.
    fn look_up_pending(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        self.dups.reserve(pending.rows.len());
        self.dups.warm(pending.rows.iter().map(|(hash, _, _)| hash));
        for (hash, line, email) in pending.rows.drain(..) {
            self.see_key(hash, line, &pending.emails[email]);
        }
        pending.emails.clear();
        self.pending = pending;
    }

    /// A valid row's key: a duplicate of an earlier row, or (in a second part) logged as the
    /// first row of its key.
    fn see_key(&mut self, hash: [u64; 2], line: u64, email: &str) {
        let Seen {
            counts,
            dups,
            problems,
            max_problems,
            part,
            ..
        } = self;
        match dups.see_hash(hash, line) {
            Some(earlier) => {
                // The earlier row is superseded: it moves from valid to duplicate.
                counts.valid -= 1;
                counts.duplicates += 1;
                counts.problems += 1;
                if problems.len() < *max_problems {
                    match part {
                        None => {
                            problems.push((earlier, DuplicateTracker::duplicate_error(email, line)))
                        }
                        Some(log) => {
                            // The message names the later line: written at the merge.
                            problems.push((
                                earlier,
                                ferr(Field::Email, ErrorCode::DuplicateEmail, email.to_string()),
                            ));
                            log.later.push(line);
                        }
                    }
                }
            }
            None => {
                if let Some(log) = part {
                    let f = &mut log.firsts;
                    f.extend_from_slice(&hash[0].to_le_bytes());
                    f.extend_from_slice(&hash[1].to_le_bytes());
                    f.extend_from_slice(&line.to_le_bytes());
                    f.extend_from_slice(&(problems.len() as u32).to_le_bytes());
                    log.emails.push(email);
                    log.nfirsts += 1;
                }
            }
        }
    }
}
/// About how many records `bytes` bytes hold, going by the line breaks of `sample` (the
/// file's first bytes); 0 when the sample has none. Multi-line cells make it an
/// overestimate, never by more than the sample shows; it is capped at one row per 16 bytes
/// so that a sample of short lines cannot ask for a table larger than any real file needs.
pub fn estimate_rows(sample: &[u8], bytes: u64) -> u64 {
    let lines = memchr::memchr_iter(b'\n', sample).count() as u64;
    if lines == 0 {
        return 0;
    }
    let per_line = (sample.len() as u64 / lines).max(16);
    bytes / per_line
}

/// Where in `window` (bytes from the middle of a UTF-8 file) a second part had best start:
/// just after a line break, between two lines that hold no quote (a quoted field spanning the
/// break is the one way to be wrong, and it needs a quote nearby) and have as many
/// delimiters as each other, the second not starting with another line break or a BOM.
/// `None` when the window has no such place. Only a guess: the first part checks it.
pub fn split_point(window: &[u8], delimiter: u8) -> Option<usize> {
    let lines: Vec<usize> = memchr::memchr_iter(b'\n', window).collect();
    // Line i runs from lines[i - 1] + 1 to lines[i]; a candidate is the start of line i + 1,
    // with line i before it (whole: not the window's first piece).
    lines.windows(3).find_map(|w| {
        let before = &window[w[0] + 1..w[1]];
        let after = &window[w[1] + 1..w[2]];
        let plain = |l: &[u8]| !l.is_empty() && memchr::memchr(b'"', l).is_none();
        let delims = |l: &[u8]| memchr::memchr_iter(delimiter, l).count();
        let clean_start = !matches!(after.first(), Some(b'\r' | b'\n' | 0xEF));
        (plain(before)
            && plain(after)
            && clean_start
            && delims(before) == delims(after)
            && delims(after) > 0)
            .then_some(w[1] + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::part::TRAILER;
    use super::*;
    use crate::import::{default_decoders, detect};
    use crate::settings::ReadSettings;

    fn whole(bytes: &[u8], max: usize) -> (Detection, (CheckCounts, Vec<(u64, FieldError)>)) {
        let det = detect(
            &bytes[..bytes.len().min(crate::import::SAMPLE_BYTES)],
            &ReadSettings::default(),
        );
        let mut c = FileCheck::new(&det, default_decoders(), max);
        for chunk in bytes.chunks(7001) {
            c.push(chunk);
        }
        c.finish();
        (det, c.into_result())
    }

    /// The check split at `at`: `None` when the first part is not at a record start there.
    fn split(
        det: &Detection,
        bytes: &[u8],
        at: usize,
        max: usize,
    ) -> Option<(CheckCounts, Vec<(u64, FieldError)>)> {
        let mut first = FileCheck::new(det, default_decoders(), max);
        for chunk in bytes[..at].chunks(5003) {
            first.push(chunk);
        }
        let mut second = FileCheck::second_part(det, default_decoders(), max);
        for chunk in bytes[at..].chunks(6007) {
            second.push(chunk);
        }
        second.finish();
        let (part, emails) = second.into_part();
        let sent = PartResult::from_bytes(part.clone().into_bytes()).expect("round trip");
        assert_eq!(sent, part);
        first.at_record_start().then(|| {
            let hits = first.hits(&sent);
            let answer = emails.answer(&hits.wanted());
            let hits = hits.with_emails(&answer).expect("the emails asked for");
            first.merge(sent, hits)
        })
    }

    fn customers(rows: usize) -> Vec<u8> {
        let mut s = String::from("first_name,last_name,email,note,accepts_marketing\n");
        for i in 0..rows {
            let row = match i % 11 {
                0 => format!("Иван,Петров,ivan{i}@example.com,\"Звъни, после\nпиши\",да\n"),
                1 => format!("Ada,Lovelace,ADA{}@example.com,,yes\r\n", i % 37),
                2 => format!("Bad,Row,not-an-email-{i},,no\n"),
                3 => format!("Odd,Consent,odd{i}@example.com,,perhaps\n"),
                4 => format!("Open,Quote,\"open{i}@example.com,,no\n"),
                5 => format!(
                    "Мария,Иванова,maria{}@example.bg,\"a \"\"quoted\"\" note\",не\n",
                    i % 53
                ),
                6 => "\u{FEFF}Bom,Start,bom@example.com,,no\n".to_string(),
                _ => format!("Grace,Hopper,grace{i}@example.com,Note {i},1\n"),
            };
            s.push_str(&row);
        }
        s.into_bytes()
    }

    /// The check row by row, as the obvious code over a `HashMap` does it: the check looks
    /// keys up in batches ([`Seen::look_up_pending`]) and must still give exactly this.
    fn row_by_row(
        det: &Detection,
        bytes: &[u8],
        max: usize,
    ) -> (CheckCounts, Vec<(u64, FieldError)>) {
        let mut counts = CheckCounts::default();
        let mut problems = Vec::new();
        let mut last_line = std::collections::HashMap::new();
        let mut see = |row: &RowRef<'_>| {
            counts.rows += 1;
            if !row.is_valid() {
                counts.invalid += 1;
                counts.problems += row.errors.len() as u64;
                for e in row.errors {
                    if problems.len() < max {
                        problems.push((row.line, e.clone()));
                    }
                }
                return;
            }
            counts.valid += 1;
            let Some(key) = row.email_key else { return };
            if let Some(earlier) = last_line.insert(key.to_string(), row.line) {
                counts.valid -= 1;
                counts.duplicates += 1;
                counts.problems += 1;
                if problems.len() < max {
                    let email = row.email.as_deref().unwrap_or_default();
                    problems.push((earlier, DuplicateTracker::duplicate_error(email, row.line)));
                }
            }
        };
        let mut reader = RowReader::with_decoders(det, Limits::default(), default_decoders());
        for chunk in bytes.chunks(7001) {
            reader.push_ref(chunk, &mut see);
        }
        reader.finish_ref(&mut see);
        (counts, problems)
    }

    /// The distinct consent and group values of a generated file: counted as the rules
    /// compare them, capped, and the same from a split check at every record start.
    #[test]
    fn distinct_values_over_the_whole_file_and_its_parts() {
        let mut s = String::from("email,Email Marketing Consent,Segment\n");
        let consent = [
            "SUBSCRIBED",
            "NEVER_SUBSCRIBED",
            "never subscribed",
            "maybe",
            "",
        ];
        let rows = 1500;
        for i in 0..rows {
            s.push_str(&format!(
                "p{i}@example.com,{},Seg {}\n",
                consent[i % consent.len()],
                i % 1200
            ));
        }
        let bytes = s.into_bytes();
        let det = detect(&bytes, &ReadSettings::default());
        assert_eq!(
            det.mapping[1],
            Some(crate::import::Target::AcceptsMarketing)
        );
        assert_eq!(det.mapping[2], Some(crate::import::Target::CustomerGroup));
        let mut c = FileCheck::new(&det, default_decoders(), 10);
        c.push(&bytes);
        c.finish();
        let values = c.values();
        let m = values.accepts_marketing.clone().unwrap();
        let got: Vec<_> = m
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.count, v.meaning))
            .collect();
        use crate::import::Meaning;
        assert_eq!(
            got,
            [
                ("SUBSCRIBED", 300, Some(Meaning::Yes)),
                ("NEVER_SUBSCRIBED", 600, Some(Meaning::No)),
                ("maybe", 300, Some(Meaning::Unknown)),
            ]
        );
        assert_eq!((m.more_distinct, m.more_rows), (0, 0));
        let g = values.customer_group.clone().unwrap();
        assert_eq!(g.values.len(), crate::import::MAX_LISTED);
        assert_eq!(g.values[0].value, "Seg 0");
        assert_eq!(g.values[0].count, 2);
        assert_eq!((g.more_distinct, g.more_rows), (200, 200));
        // The unknown value is every fifth row's error.
        assert_eq!(c.counts().invalid, 300);
        // Split at every record start: the same values.
        let mut starts = vec![];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' && i + 1 < bytes.len() && i > 40 {
                starts.push(i + 1);
            }
        }
        for at in starts.into_iter().step_by(41) {
            let mut first = FileCheck::new(&det, default_decoders(), 10);
            first.push(&bytes[..at]);
            let mut second = FileCheck::second_part(&det, default_decoders(), 10);
            second.push(&bytes[at..]);
            second.finish();
            let (part, _) = second.into_part();
            let mut sent = PartResult::from_bytes(part.clone().into_bytes()).expect("round trip");
            assert_eq!(sent, part);
            assert!(first.at_record_start());
            first.absorb_values(&mut sent);
            assert_eq!(first.values(), values, "split at {at}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rows_are_estimated_from_the_line_breaks_of_the_sample() {
        let sample = "a,b,c@example.com\n".repeat(10);
        assert_eq!(sample.len(), 180);
        assert_eq!(estimate_rows(sample.as_bytes(), 18_000), 1000);
        // Short lines: at most one row per 16 bytes.
        assert_eq!(estimate_rows(&b"a\n".repeat(100), 1600), 100);
        assert_eq!(estimate_rows(b"no line break", 1 << 30), 0);
        // The check makes room for that many keys and still reads every row.
        let bytes = customers(300);
        let (det, expected) = whole(&bytes, usize::MAX);
        let mut c = FileCheck::new(&det, default_decoders(), usize::MAX);
        c.expect_rows(estimate_rows(&bytes[..1000], bytes.len() as u64));
        c.push(&bytes);
        c.finish();
        assert_eq!(c.into_result(), expected);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_check_gives_what_a_row_by_row_lookup_gives() {
        // Enough rows for many lookup batches, duplicates and problems in between.
        let bytes = customers(3000);
        for max in [usize::MAX, 40, 1000] {
            let (det, checked) = whole(&bytes, max);
            assert!(checked.0.duplicates > 100, "{:?}", checked.0);
            assert_eq!(
                checked,
                row_by_row(&det, &bytes, max),
                "at most {max} problems"
            );
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_split_check_equals_one_pass_wherever_it_is_at_a_record_start() {
        let bytes = customers(400);
        for max in [usize::MAX, 40] {
            let (det, expected) = whole(&bytes, max);
            assert!(
                expected.0.duplicates > 20 && expected.0.invalid > 20,
                "{:?}",
                expected.0
            );
            assert!(
                expected
                    .1
                    .iter()
                    .any(|(_, e)| e.code == ErrorCode::UnbalancedQuote),
                "the file has unbalanced quotes"
            );
            let mut splits = 0;
            for at in 1..bytes.len() {
                if bytes[at - 1] != b'\n' {
                    continue;
                }
                if let Some(merged) = split(&det, &bytes, at, max) {
                    assert_eq!(merged, expected, "split at {at}");
                    splits += 1;
                }
            }
            assert!(splits > 300, "{splits} record starts");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn inside_a_quoted_field_or_the_header_is_not_a_record_start() {
        let bytes = customers(20);
        let (det, _) = whole(&bytes, usize::MAX);
        // After the header's line break the data starts: a record start.
        let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert!(split(&det, &bytes, header_end, usize::MAX).is_some());
        // Inside the header, and inside the first row's quoted two-line note.
        let note_break = header_end
            + bytes[header_end..]
                .iter()
                .position(|&b| b == b'\n')
                .unwrap()
            + 1;
        assert!(split(&det, &bytes, 4, usize::MAX).is_none());
        assert!(split(&det, &bytes, note_break, usize::MAX).is_none());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_split_point_is_a_line_start_between_quote_free_lines() {
        let w = b"tail of a line\nwith \"quote\",x\nplain,row\nplain,row\n";
        let at = split_point(w, b',').unwrap();
        assert_eq!(&w[at..], b"plain,row\n");
        assert_eq!(split_point(b"a,b\n\"q\",x\nc,d\n", b','), None);
        assert_eq!(
            split_point(b"a\nb,c\nd\n", b','),
            None,
            "different delimiters"
        );
    }

    /// The merge asks the second part for the emails of its hits only, and refuses an answer
    /// that is not the one it asked for.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_merge_takes_only_the_emails_it_asked_for() {
        let bytes = customers(3000);
        let (det, expected) = whole(&bytes, usize::MAX);
        let at = bytes.len() / 2;
        let at = at + bytes[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let read = |emails_of: &dyn Fn(&PartEmails, &[u32]) -> Vec<u8>| {
            let mut first = FileCheck::new(&det, default_decoders(), usize::MAX);
            first.push(&bytes[..at]);
            let mut second = FileCheck::second_part(&det, default_decoders(), usize::MAX);
            second.push(&bytes[at..]);
            second.finish();
            let (part, emails) = second.into_part();
            assert!(first.at_record_start());
            let hits = first.hits(&part);
            let wanted = hits.wanted();
            // Fewer than the part's first rows: the keys the first part also had.
            assert!(wanted.len() > 20 && (wanted.len() as u64) < part.nfirsts / 4);
            let answer = emails_of(&emails, &wanted);
            let hits = hits.with_emails(&answer)?;
            Some(first.merge(part, hits))
        };
        assert_eq!(read(&|e, w| e.answer(w)), Some(expected));
        assert_eq!(read(&|e, w| e.answer(&w[1..])), None, "one email short");
        assert_eq!(
            read(&|e, w| [e.answer(w), vec![0]].concat()),
            None,
            "a byte too many"
        );
        // An email of another row gives another message: the numbers are kept in order.
        let swapped = read(&|e, w| {
            let mut w = w.to_vec();
            w.swap(0, 1);
            e.answer(&w)
        });
        assert_ne!(swapped.map(|r| r.1), Some(whole(&bytes, usize::MAX).1.1));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bytes_it_did_not_write_are_refused() {
        let bytes = customers(50);
        let (det, _) = whole(&bytes, usize::MAX);
        let mut second = FileCheck::second_part(&det, default_decoders(), usize::MAX);
        second.push(&bytes[100..]);
        second.finish();
        let sent = second.into_part().0.into_bytes();
        assert!(PartResult::from_bytes(sent.clone()).is_some());
        for cut in [1, 8, TRAILER, sent.len() - 1] {
            assert!(
                PartResult::from_bytes(sent[cut..].to_vec()).is_none(),
                "{cut}"
            );
            assert!(
                PartResult::from_bytes(sent[..sent.len() - cut].to_vec()).is_none(),
                "{cut}"
            );
        }
        assert!(PartResult::from_bytes(Vec::new()).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Small files of rows, quotes, line breaks and duplicates: every split at a record
        /// start gives one pass's result.
        #[test]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn any_split_at_a_record_start_equals_one_pass(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => proptest::sample::select(vec![
                        "a@x.io", "A@X.io", "b@x.io", "c@y.bg", "bad", "ann", "да", "no",
                    ]),
                    6 => proptest::sample::select(vec![",", ",", "\"", "\"\"", "\r", "\n", "\r\n", "\n"]),
                    1 => proptest::sample::select(vec!["\u{FEFF}", " ", "\u{0}"]),
                ],
                0..160,
            ),
        ) {
            let mut bytes = b"name,email,note,accepts_marketing\n".to_vec();
            bytes.extend_from_slice(tokens.concat().as_bytes());
            let (det, expected) = whole(&bytes, usize::MAX);
            for at in 1..bytes.len() {
                if matches!(bytes[at - 1], b'\n' | b'\r')
                    && let Some(merged) = split(&det, &bytes, at, usize::MAX)
                {
                    proptest::prop_assert_eq!(&merged, &expected, "split at {}", at);
                }
            }
        }
    }
}
