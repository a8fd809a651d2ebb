//! The import's records: what a batch stores ([`NewBatch`]: its rows as [`StoredRow`], its
//! rejected fields as [`StoredError`]) and what [`super::plan`] decides about (a customer's
//! values to write, [`CustomerValues`]; an overwrite, [`CustomerUpdate`]; the values an
//! undo restores, [`CustomerSnapshot`]). Plain data owned by the domain: storage takes and
//! gives these (and the storage module re-exports them for its callers), but nothing here
//! knows about storage or SQL.

use serde::{Deserialize, Serialize};
use shared::api::{FieldError, Id};
use shared::customer::CustomerFields;

/// One validated record of a batch, as kept until the queue applies it: a validated row
/// ([`shared::rules::CustomerDraft`]) with the same parts. Stored in the compact form of
/// [`StoredRow::stored_json`]; `Deserialize` reads that and the keyed objects earlier
/// versions stored (serde takes a struct from an array by position). `Serialize` keeps the
/// keyed form: split batches are hashed in it, so a split that a newer server restarts
/// still recognises the batches an older one stored. Both forms are [`StoredLayout`]'s.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "StoredLayout<String>")]
pub struct StoredRow {
    pub line: u64,
    /// The consent is `None` when the cell was blank.
    pub fields: CustomerFields<Option<bool>>,
    pub email_key: String,
    pub group: Option<String>,
}

/// A stored row's layout: its keys (keyed form) and their order (positional form), which
/// must not change (stored batches and their hashes outlive a release). Borrowed
/// (`S = &str`) to write, owned to read: neither copies a cell.
#[derive(Serialize, Deserialize)]
struct StoredLayout<S> {
    line: u64,
    first_name: S,
    last_name: S,
    full_name: S,
    email: S,
    email_key: S,
    note: S,
    accepts_marketing: Option<bool>,
    group: Option<S>,
}

impl<'a> From<&'a StoredRow> for StoredLayout<&'a str> {
    #[inline]
    fn from(r: &'a StoredRow) -> Self {
        let f = &r.fields;
        StoredLayout {
            line: r.line,
            first_name: &f.first_name,
            last_name: &f.last_name,
            full_name: &f.full_name,
            email: &f.email,
            email_key: &r.email_key,
            note: &f.note,
            accepts_marketing: f.accepts_marketing,
            group: r.group.as_deref(),
        }
    }
}

impl From<StoredLayout<String>> for StoredRow {
    #[inline]
    fn from(l: StoredLayout<String>) -> Self {
        StoredRow {
            line: l.line,
            fields: CustomerFields {
                first_name: l.first_name,
                last_name: l.last_name,
                full_name: l.full_name,
                email: l.email,
                note: l.note,
                accepts_marketing: l.accepts_marketing,
            },
            email_key: l.email_key,
            group: l.group,
        }
    }
}

impl Serialize for StoredRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredLayout::from(self).serialize(s)
    }
}

impl StoredRow {
    /// Rows as stored: one JSON array per row, [`StoredLayout`]'s fields in order. Half
    /// the size of keyed objects for typical customers, and as much less to write, read
    /// and parse.
    pub fn stored_json(rows: &[StoredRow]) -> serde_json::Result<String> {
        let arrays: Vec<_> = rows
            .iter()
            .map(|r| {
                let l = StoredLayout::from(r);
                (
                    l.line,
                    l.first_name,
                    l.last_name,
                    l.full_name,
                    l.email,
                    l.email_key,
                    l.note,
                    l.accepts_marketing,
                    l.group,
                )
            })
            .collect();
        serde_json::to_string(&arrays)
    }

    pub fn from_draft(d: shared::rules::CustomerDraft) -> Self {
        Self {
            line: d.line,
            fields: d.fields,
            email_key: d.email_key,
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
/// Stored as JSON in `import_changes.previous`: the fields' keys, then `group_id` and
/// `import_id` (a test pins it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSnapshot {
    #[serde(flatten)]
    pub fields: CustomerFields,
    pub group_id: Id,
    pub import_id: Option<Id>,
}

/// A stored customer to create or to overwrite, resolved to a group id.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerValues {
    pub fields: CustomerFields,
    pub email_key: String,
    pub group_id: Id,
}

impl CustomerValues {
    /// The lower-case text the `q` filter searches in, computed here so that both databases
    /// match case-insensitively in every script (SQLite's `lower` only knows ASCII).
    /// The full name is left out when it is just the first and last name (most rows): the
    /// text stays searchable the same and its trigram index (SQLite) a third smaller.
    pub fn search_text(&self) -> String {
        let f = &self.fields;
        let names = format!("{} {}", f.first_name, f.last_name);
        if f.full_name.is_empty() || f.full_name == names.trim() {
            format!("{names} {}", f.email)
        } else {
            format!("{names} {} {}", f.full_name, f.email)
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
            email_key: shared::rules::Email::parse(&s.fields.email)
                .map(|e| e.key().to_owned())
                .unwrap_or_else(|_| s.fields.email.to_lowercase()),
            fields: s.fields,
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
    use super::*;

    fn row(group: Option<&str>) -> StoredRow {
        StoredRow {
            line: 7,
            fields: CustomerFields {
                first_name: "Иван".into(),
                last_name: "\"Quoted\", name".into(),
                full_name: "Иван \"Quoted\", name".into(),
                email: "Ivan@Example.com".into(),
                note: "two\nlines".into(),
                accepts_marketing: None,
            },
            email_key: "ivan@example.com".into(),
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

    /// The stored layouts, byte for byte: stored batches, their hashes and the undo
    /// snapshots outlive a release, so a change to the structs must not change these.
    #[test]
    fn the_stored_json_shapes_are_pinned() {
        let mut consenting = row(None);
        consenting.fields.accepts_marketing = Some(true);
        let rows = vec![row(Some("VIP")), consenting];
        assert_eq!(
            StoredRow::stored_json(&rows).unwrap(),
            r#"[[7,"Иван","\"Quoted\", name","Иван \"Quoted\", name","Ivan@Example.com","ivan@example.com","two\nlines",null,"VIP"],[7,"Иван","\"Quoted\", name","Иван \"Quoted\", name","Ivan@Example.com","ivan@example.com","two\nlines",true,null]]"#
        );
        assert_eq!(
            serde_json::to_string(&rows[0]).unwrap(),
            r#"{"line":7,"first_name":"Иван","last_name":"\"Quoted\", name","full_name":"Иван \"Quoted\", name","email":"Ivan@Example.com","email_key":"ivan@example.com","note":"two\nlines","accepts_marketing":null,"group":"VIP"}"#
        );
        let keyed = r#"{"line":7,"first_name":"Иван","last_name":"\"Quoted\", name","full_name":"Иван \"Quoted\", name","email":"Ivan@Example.com","email_key":"ivan@example.com","note":"two\nlines","accepts_marketing":true,"group":null}"#;
        assert_eq!(serde_json::from_str::<StoredRow>(keyed).unwrap(), rows[1]);

        let snapshot = CustomerSnapshot {
            fields: CustomerFields {
                first_name: "Ann".into(),
                last_name: "Lee".into(),
                full_name: "Ann Lee".into(),
                email: "Ann@X.io".into(),
                note: "n".into(),
                accepts_marketing: true,
            },
            group_id: 3,
            import_id: None,
        };
        let json = r#"{"first_name":"Ann","last_name":"Lee","full_name":"Ann Lee","email":"Ann@X.io","note":"n","accepts_marketing":true,"group_id":3,"import_id":null}"#;
        assert_eq!(serde_json::to_string(&snapshot).unwrap(), json);
        assert_eq!(
            serde_json::from_str::<CustomerSnapshot>(json).unwrap(),
            snapshot
        );
        let with_import = r#"{"first_name":"Ann","last_name":"Lee","full_name":"Ann Lee","email":"Ann@X.io","note":"n","accepts_marketing":true,"group_id":3,"import_id":8}"#;
        let read: CustomerSnapshot = serde_json::from_str(with_import).unwrap();
        assert_eq!(read.import_id, Some(8));
        assert_eq!(serde_json::to_string(&read).unwrap(), with_import);
    }
}
