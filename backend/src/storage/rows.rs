//! The database's row shapes that the engine hooks and the shared apply steps both pass
//! around: an undo record as `import_changes` keeps it, and a stored customer an import row
//! names. Kept apart from `engine.rs` (the hooks) and `apply.rs` (the steps) so that each of
//! those imports these and neither imports the other's types.

use shared::api::Id;
use shared::customer::CustomerFields;

use super::{CustomerSnapshot, Result, StorageError};
use crate::ingest::plan::Undo;

/// An undo record as `import_changes` keeps it: a run of consecutive customer ids an
/// import created (`"created"`, `first_id..=last_id`, no snapshot) or one customer it
/// updated (`"updated"`, its values before, as JSON).
pub struct ImportChange {
    pub(super) first_id: Id,
    pub(super) last_id: Option<Id>,
    pub(super) action: &'static str,
    pub(super) previous: Option<String>,
}

impl ImportChange {
    pub(super) fn rows(undo: &[Undo]) -> Result<Vec<Self>> {
        undo.iter()
            .map(|u| {
                Ok(match u {
                    Undo::Created { first, last } => Self {
                        first_id: *first,
                        last_id: Some(*last),
                        action: "created",
                        previous: None,
                    },
                    Undo::Updated { id, before } => Self {
                        first_id: *id,
                        last_id: None,
                        action: "updated",
                        previous: Some(
                            serde_json::to_string(before)
                                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
                        ),
                    },
                })
            })
            .collect()
    }
}

/// The columns of [`ExistingCustomer`], to which each engine adds its `WHERE`.
pub(super) const EXISTING_CUSTOMERS_SQL: &str = "SELECT id, email_key, first_name, last_name, full_name, \
    email, note, accepts_marketing, group_id, import_id FROM customers";

/// A stored customer that an import row's email names, as read for the plan. Its columns
/// are the SQL's own list (see [`EXISTING_CUSTOMERS_SQL`]); [`Self::snapshot`] is the one
/// conversion to the domain's values.
#[derive(sqlx::FromRow)]
pub struct ExistingCustomer {
    pub(super) id: i64,
    pub(super) email_key: String,
    first_name: String,
    last_name: String,
    full_name: String,
    email: String,
    note: String,
    accepts_marketing: bool,
    group_id: Id,
    import_id: Option<Id>,
}

impl ExistingCustomer {
    /// Its values now, as the plan sees them (and undo would restore them).
    pub(super) fn snapshot(self) -> CustomerSnapshot {
        CustomerSnapshot {
            fields: CustomerFields {
                first_name: self.first_name,
                last_name: self.last_name,
                full_name: self.full_name,
                email: self.email,
                note: self.note,
                accepts_marketing: self.accepts_marketing,
            },
            group_id: self.group_id,
            import_id: self.import_id,
        }
    }
}
