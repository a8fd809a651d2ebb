//! The import's records: what a batch stores ([`NewBatch`]: its rows as [`StoredRow`], its
//! rejected fields as [`StoredError`]) and what [`super::plan`] decides about (a customer's
//! values to write, [`CustomerValues`]; an overwrite, [`CustomerUpdate`]; the values an
//! undo restores, [`CustomerSnapshot`]). Plain data owned by the domain: storage takes and
//! gives these (and the storage module re-exports them for its callers), but nothing here
//! knows about storage or SQL.

use serde::{Deserialize, Serialize};
use shared::api::{FieldError, Id};

/// One validated record of a batch, as kept until the queue applies it. Stored in the
/// compact form of [`StoredRow::stored_json`]; `Deserialize` reads that and the keyed
/// objects earlier versions stored (serde takes a struct from an array by position).
/// `Serialize` keeps the keyed form: split batches are hashed in it, so a split that a
/// newer server restarts still recognises the batches an older one stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRow {
    pub line: u64,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub email: String,
    pub email_key: String,
    pub note: String,
    pub accepts_marketing: Option<bool>,
    pub group: Option<String>,
}

impl StoredRow {
    /// Rows as stored: one JSON array per row, fields in declaration order. Half the size
    /// of keyed objects for typical customers, and as much less to write, read and parse.
    pub fn stored_json(rows: &[StoredRow]) -> serde_json::Result<String> {
        let arrays: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    &r.first_name,
                    &r.last_name,
                    &r.full_name,
                    &r.email,
                    &r.email_key,
                    &r.note,
                    r.accepts_marketing,
                    &r.group,
                )
            })
            .collect();
        serde_json::to_string(&arrays)
    }

    pub fn from_draft(d: shared::rules::CustomerDraft) -> Self {
        Self {
            line: d.line,
            first_name: d.first_name,
            last_name: d.last_name,
            full_name: d.full_name,
            email: d.email.as_str().to_owned(),
            email_key: d.email.key().to_owned(),
            note: d.note,
            accepts_marketing: d.accepts_marketing,
            group: d.group,
        }
    }
}

/// A rejected field, with the offending value for the error report.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredError {
    pub line: u64,
    pub value: String,
    pub error: FieldError,
}

/// A batch ready to be stored: validated rows, errors, and the answer to give on replays.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub seq: u32,
    pub body_hash: String,
    pub row_count: u64,
    pub rows: Vec<StoredRow>,
    pub errors: Vec<StoredError>,
    pub response_json: String,
}

/// The fields of a customer that an import may overwrite, kept so undo can restore them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSnapshot {
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub email: String,
    pub note: String,
    pub accepts_marketing: bool,
    pub group_id: Id,
    pub import_id: Option<Id>,
}

/// A stored customer to create or to overwrite, resolved to a group id.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerValues {
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub email: String,
    pub email_key: String,
    pub note: String,
    pub accepts_marketing: bool,
    pub group_id: Id,
}

impl CustomerValues {
    /// The lower-case text the `q` filter searches in, computed here so that both databases
    /// match case-insensitively in every script (SQLite's `lower` only knows ASCII).
    /// The full name is left out when it is just the first and last name (most rows): the
    /// text stays searchable the same and its trigram index (SQLite) a third smaller.
    pub fn search_text(&self) -> String {
        let names = format!("{} {}", self.first_name, self.last_name);
        if self.full_name.is_empty() || self.full_name == names.trim() {
            format!("{names} {}", self.email)
        } else {
            format!("{names} {} {}", self.full_name, self.email)
        }
        .to_lowercase()
    }
}

/// An overwrite of a stored customer: its new values and the import it then names
/// (`None` for a customer edited by hand or restored to having no import).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerUpdate {
    pub id: Id,
    pub values: CustomerValues,
    pub import_id: Option<Id>,
}

impl CustomerUpdate {
    /// Undo's overwrite: the customer's values and import as a snapshot kept them.
    pub fn restore(id: Id, s: CustomerSnapshot) -> Self {
        let values = CustomerValues {
            email_key: shared::rules::Email::parse(&s.email)
                .map(|e| e.key().to_owned())
                .unwrap_or_else(|_| s.email.to_lowercase()),
            first_name: s.first_name,
            last_name: s.last_name,
            full_name: s.full_name,
            email: s.email,
            note: s.note,
            accepts_marketing: s.accepts_marketing,
            group_id: s.group_id,
        };
        Self {
            id,
            values,
            import_id: s.import_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StoredRow;

    fn row(group: Option<&str>) -> StoredRow {
        StoredRow {
            line: 7,
            first_name: "Иван".into(),
            last_name: "\"Quoted\", name".into(),
            full_name: "Иван \"Quoted\", name".into(),
            email: "Ivan@Example.com".into(),
            email_key: "ivan@example.com".into(),
            note: "two\nlines".into(),
            accepts_marketing: None,
            group: group.map(str::to_owned),
        }
    }

    #[test]
    fn stored_rows_are_arrays_and_read_back_as_were_written() {
        let rows = vec![row(Some("VIP")), row(None)];
        let json = StoredRow::stored_json(&rows).unwrap();
        assert!(json.starts_with("[[7,\"Иван\","), "{json}");
        assert_eq!(serde_json::from_str::<Vec<StoredRow>>(&json).unwrap(), rows);
    }

    #[test]
    fn rows_stored_as_keyed_objects_by_earlier_versions_still_read() {
        let rows = vec![row(Some("VIP")), row(None)];
        let keyed = serde_json::to_string(&rows).unwrap();
        assert!(keyed.starts_with("[{\"line\":7,"), "{keyed}");
        assert_eq!(
            serde_json::from_str::<Vec<StoredRow>>(&keyed).unwrap(),
            rows
        );
    }
}
