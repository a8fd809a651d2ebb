//! A batch of rows validated again on the server, and what is stored for it.

use sha2::{Digest, Sha256};
use shared::api::{BatchRequest, BatchResponse, BatchRow, Consent, Field, FieldError, RejectedRow};
use shared::customer::CustomerFields;
use shared::import::{GroupLookup, ValueMap};

use super::records::{NewBatch, StoredError, StoredRow};

/// Rows one batch may carry.
pub const MAX_BATCH_ROWS: usize = 10_000;

/// The highest line number a row may name: lines are stored as a signed 64-bit number
/// (`u64::MAX` came back as -1 in `errors.csv`).
pub const MAX_LINE: u64 = i64::MAX as u64;

/// The first line number of a posted batch that is out of range, if any.
pub fn line_out_of_range(rows: &[BatchRow]) -> Option<u64> {
    rows.iter().map(|r| r.line).find(|&line| line > MAX_LINE)
}

/// The raw value of a field of a posted row, for the error report.
pub fn field_value(row: &BatchRow, field: Field) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match field {
        Field::FirstName => text(&row.first_name),
        Field::LastName => text(&row.last_name),
        Field::Email => text(&row.email),
        Field::Note => text(&row.note),
        Field::Group => text(&row.group),
        Field::AcceptsMarketing => match &row.accepts_marketing {
            Some(Consent::Bool(b)) => b.to_string(),
            Some(Consent::Text(t)) => t.clone(),
            None => String::new(),
        },
        Field::FullName | Field::Row | Field::File => String::new(),
    }
}

/// The stored errors of one rejected row, each with the value it was about.
pub fn stored_errors<'a>(
    row: &'a BatchRow,
    errors: &'a [FieldError],
) -> impl Iterator<Item = StoredError> + 'a {
    errors.iter().map(|e| StoredError {
        line: row.line,
        value: field_value(row, e.field),
        error: e.clone(),
    })
}

/// A row the shared reader found valid, with the key of its (normalised) email, as stored.
/// The reader ran the row rules on these cells already, on the server (`RowReader` and
/// `validate_row` share one implementation of them), so the row is not validated a second
/// time: its cleaned cells are what `validate_row` would give back (a unit test in `split`
/// checks it).
pub fn reader_row(row: BatchRow, email_key: String) -> StoredRow {
    let first_name = row.first_name.unwrap_or_default();
    let last_name = row.last_name.unwrap_or_default();
    StoredRow {
        line: row.line,
        fields: CustomerFields {
            full_name: shared::rules::join_name(&first_name, &last_name),
            first_name,
            last_name,
            email: row.email.unwrap_or_default(),
            note: row.note.unwrap_or_default(),
            accepts_marketing: match row.accepts_marketing {
                Some(Consent::Bool(b)) => Some(b),
                _ => None,
            },
        },
        email_key,
        group: row.group.filter(|g| !g.is_empty()),
    }
}

/// Validate every row again with the shared rules: the server never trusts the browser.
pub fn validate_batch(seq: u32, rows: &[BatchRow]) -> (NewBatch, BatchResponse) {
    validate_batch_with(seq, rows, &ValueMap::default())
}

/// [`validate_batch`] with the import's value mapping applied to each row.
pub fn validate_batch_with(
    seq: u32,
    rows: &[BatchRow],
    values: &ValueMap,
) -> (NewBatch, BatchResponse) {
    let mut stored = Vec::with_capacity(rows.len());
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    let groups = GroupLookup::new(values);
    for row in rows {
        let checked = if values.is_empty() {
            shared::rules::validate_row(row)
        } else {
            values.validate_row(row, &groups)
        };
        match checked {
            Ok(draft) => stored.push(StoredRow::from_draft(draft)),
            Err(field_errors) => {
                errors.extend(stored_errors(row, &field_errors));
                rejected.push(RejectedRow {
                    line: row.line,
                    errors: field_errors,
                });
            }
        }
    }
    let response = BatchResponse {
        seq,
        accepted: stored.len() as u32,
        rejected,
    };
    let batch = NewBatch {
        seq,
        body_hash: String::new(),
        row_count: rows.len() as u64,
        rows: stored,
        errors,
        response_json: serde_json::to_string(&response).unwrap_or_default(),
    };
    (batch, response)
}

/// A posted batch as it is stored: every row validated again, and the body's identity, a
/// hash of its parsed content (so formatting differences are the same body).
pub fn prepare_batch(
    seq: u32,
    req: &BatchRequest,
) -> serde_json::Result<(NewBatch, BatchResponse)> {
    prepare_batch_with(seq, req, &ValueMap::default())
}

/// [`prepare_batch`] with the import's value mapping (see [`validate_batch_with`]).
pub fn prepare_batch_with(
    seq: u32,
    req: &BatchRequest,
    values: &ValueMap,
) -> serde_json::Result<(NewBatch, BatchResponse)> {
    // Serialised straight into the hash (through a buffer: serde writes small pieces).
    let mut hasher = std::io::BufWriter::with_capacity(64 << 10, Sha256::new());
    serde_json::to_writer(&mut hasher, req)?;
    let hasher = hasher
        .into_inner()
        .map_err(|e| serde_json::Error::io(e.into_error()))?;
    let (mut batch, response) = validate_batch_with(seq, &req.rows, values);
    batch.body_hash = hex::encode(hasher.finalize());
    Ok((batch, response))
}
