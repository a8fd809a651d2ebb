//! A spooled CSV file read with the shared rules (the browser's detection, mapping and
//! validation) and cut into batches of [`CSV_BATCH_ROWS`] rows for the queue to store.
//! Reading is deterministic, so a split started over after a crash cuts the same batches.

use std::path::Path;

use sha2::{Digest, Sha256};
use shared::api::{BatchResponse, RejectedRow};
use shared::import::{GroupLookup, RowOutcome, RowReader, SAMPLE_BYTES};
use shared::settings::{NamedMapping, ReadSettings};
use tokio::io::{AsyncReadExt, BufReader};

use super::batch::{reader_row, stored_errors};
use super::records::{NewBatch, StoredRow};

/// Rows per batch when the server splits an uploaded CSV.
pub const CSV_BATCH_ROWS: usize = 2000;
/// After the sample, the file is read in pieces of the sample's size.
const READ_CHUNK: usize = SAMPLE_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// The file cannot be imported as it is (it cannot be opened, has a file-level problem,
    /// or the mapping names a column it lacks): the import fails with this message.
    #[error("{0}")]
    Unreadable(String),
    /// Reading failed part way: worth another attempt.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("encoding a batch: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Reads one file batch by batch.
pub struct CsvSplitter {
    file: BufReader<tokio::fs::File>,
    rows: RowReader,
    /// The next piece of the file to parse (empty at its end); `None` when it is yet to be
    /// read.
    chunk: Option<Vec<u8>>,
    /// The buffer of the last piece, reused for the next.
    spare: Vec<u8>,
    /// Rows parsed but not yet handed out in a batch.
    ready: Vec<RowOutcome>,
    finished: bool,
    next_seq: u32,
    total: i64,
    /// The group part of the value mapping (the reader applies the consent part).
    groups: GroupLookup,
}

impl CsvSplitter {
    /// Opens the file and detects its encoding, delimiter, header and mapping from the start
    /// of it, as the browser does.
    /// Without a mapping in `settings`, the first of `profiles` (fingerprint, mapping) made
    /// for the file's headers maps it.
    pub async fn open(
        path: &Path,
        settings: &ReadSettings,
        profiles: &[(String, NamedMapping)],
    ) -> Result<CsvSplitter, SplitError> {
        let file = tokio::fs::File::open(path).await.map_err(|e| {
            SplitError::Unreadable(format!("the uploaded file cannot be read: {e}"))
        })?;
        let mut file = BufReader::with_capacity(1 << 20, file);
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        let mut piece = vec![0u8; 64 * 1024];
        while sample.len() < SAMPLE_BYTES {
            let n = file.read(&mut piece).await?;
            if n == 0 {
                break;
            }
            sample.extend_from_slice(&piece[..n]);
        }
        let mut detection = shared::import::detect(&sample, settings);
        if let Some(problem) = &detection.problem {
            return Err(SplitError::Unreadable(problem.message.clone()));
        }
        let profiled;
        let mut settings = settings;
        if settings.mapping.is_none()
            && settings.mapping_by_name.is_none()
            && let Some(saved) = shared::import::profile::matching_profile(&detection, profiles)
        {
            profiled = ReadSettings {
                mapping_by_name: Some(saved.clone()),
                ..settings.clone()
            };
            settings = &profiled;
        }
        settings
            .apply_named_mapping(&mut detection)
            .map_err(|e| SplitError::Unreadable(e.to_string()))?;
        let mut rows = RowReader::new(&detection);
        rows.set_values(&settings.values);
        Ok(CsvSplitter {
            file,
            rows,
            groups: GroupLookup::new(&settings.values),
            chunk: Some(sample),
            spare: Vec::new(),
            ready: Vec::new(),
            finished: false,
            next_seq: 0,
            total: 0,
        })
    }

    /// The next batch, numbered from 0; `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<NewBatch>, SplitError> {
        loop {
            if self.ready.len() >= CSV_BATCH_ROWS || (self.finished && !self.ready.is_empty()) {
                let n = self.ready.len().min(CSV_BATCH_ROWS);
                let outcomes: Vec<RowOutcome> = self.ready.drain(..n).collect();
                let seq = self.next_seq;
                self.next_seq += 1;
                let groups = &self.groups;
                return Ok(Some(crate::cpu::heavy(|| {
                    split_batch(seq, outcomes, groups)
                })?));
            }
            if self.finished {
                return Ok(None);
            }
            self.feed().await?;
        }
    }

    /// Records in the file (valid or not), once the last batch is out.
    pub fn total_rows(&self) -> i64 {
        self.total
    }

    /// Batches handed out so far.
    pub fn batch_count(&self) -> u32 {
        self.next_seq
    }

    /// Parses the piece read last, or (its rows handed out first) reads the next one.
    async fn feed(&mut self) -> Result<(), std::io::Error> {
        match self.chunk.take() {
            Some(buf) => {
                let mut outcomes = Vec::new();
                crate::cpu::heavy(|| {
                    if buf.is_empty() {
                        self.rows.finish(&mut |o| outcomes.push(o));
                    } else {
                        self.rows.push(&buf, &mut |o| outcomes.push(o));
                    }
                });
                self.total += outcomes.len() as i64;
                self.ready.extend(outcomes);
                self.finished = buf.is_empty();
                self.spare = buf;
            }
            None => {
                let mut buf = std::mem::take(&mut self.spare);
                buf.clear();
                buf.resize(READ_CHUNK, 0);
                let n = self.file.read(&mut buf).await?;
                buf.truncate(n);
                self.chunk = Some(buf);
            }
        }
        Ok(())
    }
}

/// One batch of parsed rows: the valid ones as stored, the rejected ones kept with their
/// errors. Its identity is the hash of the stored rows.
fn split_batch(
    seq: u32,
    outcomes: Vec<RowOutcome>,
    groups: &GroupLookup,
) -> Result<NewBatch, serde_json::Error> {
    let row_count = outcomes.len() as u64;
    let mut rows = Vec::with_capacity(outcomes.len());
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    for mut o in outcomes {
        if !o.errors.is_empty() {
            errors.extend(stored_errors(&o.row, &o.errors));
            continue;
        }
        // A group value the user mapped goes to its group (checked when the mapping was).
        if let Some(g) = o.row.group.as_deref()
            && let Some(name) = groups.get(g)
        {
            o.row.group = Some(name.to_owned());
        }
        if let (Some(key), Some(_)) = (&o.email_key, &o.row.email) {
            let key = key.clone();
            rows.push(reader_row(o.row, key));
            continue;
        }
        // A valid row without an email, which the reader never emits: the rules decide.
        match shared::rules::validate_row(&o.row) {
            Ok(draft) => rows.push(StoredRow::from_draft(draft)),
            Err(field_errors) => {
                errors.extend(stored_errors(&o.row, &field_errors));
                rejected.push(RejectedRow {
                    line: o.row.line,
                    errors: field_errors,
                });
            }
        }
    }
    let response = BatchResponse {
        seq,
        accepted: rows.len() as u32,
        rejected,
    };
    Ok(NewBatch {
        seq,
        body_hash: hex::encode(Sha256::digest(serde_json::to_vec(&rows)?)),
        row_count,
        rows,
        errors,
        response_json: serde_json::to_string(&response)?,
    })
}

#[cfg(test)]
mod tests {
    use shared::import::{RowReader, detect};
    use shared::rules::validate_row;

    use super::*;

    /// Every valid row of `file`, stored as the split stores it and as the rules would.
    fn check_one_path(name: &str, file: &[u8]) -> usize {
        let det = detect(
            &file[..file.len().min(SAMPLE_BYTES)],
            &ReadSettings::default(),
        );
        let mut outcomes = Vec::new();
        let mut reader = RowReader::new(&det);
        reader.push(file, &mut |o| outcomes.push(o));
        reader.finish(&mut |o| outcomes.push(o));
        let mut valid = 0;
        for o in outcomes.into_iter().filter(|o| o.errors.is_empty()) {
            let by_rules = StoredRow::from_draft(
                validate_row(&o.row).unwrap_or_else(|e| panic!("{name} line {}: {e:?}", o.line)),
            );
            let key = o.email_key.clone().expect("a valid row has a key");
            assert!(o.row.email.is_some(), "{name} line {}", o.line);
            assert_eq!(reader_row(o.row, key), by_rules, "{name}");
            valid += 1;
        }
        valid
    }

    #[test]
    fn a_row_the_reader_found_valid_is_stored_as_the_rules_store_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
        let mut valid = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.display().to_string();
            valid += check_one_path(&name, &std::fs::read(&path).unwrap());
        }
        let tricky = "first_name,last_name,full_name,email,note,accepts_marketing,customer_group\n\
            \u{20}Ann\u{a0} ,  van  der Berg ,,ANN@Example.COM , a  note\u{7}\r\n  two lines ,yes, Wholesale \n\
            ,,\"Petrov, Ivan\",ivan@example.com,,0,\n\
            ,,Jo\u{301}se\u{200b} Mari\u{301}a  Lopez,\"  jose@EXAMPLE.com\",'=1+1,,  \n\
            \u{feff}Zoë,O'Brien,,zoe+tag@xn--bcher-kva.example,\"\"\"quoted\"\"\",TRUE,'@group\n\
            ,,,only@example.com,,,\n\
            Émile,\t,,emile@exämple.com,\u{1F600},n,Default\n";
        valid += check_one_path("tricky", tricky.as_bytes());
        assert!(valid >= 10, "only {valid} valid rows checked");
    }
}
