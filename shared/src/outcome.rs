//! The per-row outcome report of an import: what applying it did to each input row.
//! Re-exported by [`crate::api`] (it crosses HTTP).

use serde::{Deserialize, Serialize};

use crate::api::Id;

/// What an import did to one input row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new customer.
    Created,
    /// A stored customer overwritten with other values.
    Updated,
    /// A stored customer overwritten with the values it had (counted as updated in the
    /// import's counts).
    Unchanged,
    /// Left out: `on_duplicate` is `skip`, or a later row of the file has the same email
    /// (that row wins and its outcome says what happened).
    SkippedDuplicate,
    /// Refused by validation: the error code and message say why.
    Failed,
    /// Created or updated, then reversed by the import's undo.
    Undone,
}

impl RowOutcome {
    pub const ALL: [RowOutcome; 6] = [
        Self::Created,
        Self::Updated,
        Self::Unchanged,
        Self::SkippedDuplicate,
        Self::Failed,
        Self::Undone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::SkippedDuplicate => "skipped_duplicate",
            Self::Failed => "failed",
            Self::Undone => "undone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// One input row of the outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeLine {
    /// The row's line in the file (its first physical line).
    pub line: i64,
    /// The row's email as imported (normalised); for a failed row the email cell when that is what
    /// failed, else empty.
    pub email: String,
    pub outcome: RowOutcome,
    /// The customer the row created or updated (or, when skipped, the stored customer or
    /// the later row's customer with that email).
    pub customer_id: Option<Id>,
    /// A failed row's first error code.
    pub error_code: Option<String>,
    /// A failed row's error messages, joined by `; `.
    pub error_message: Option<String>,
}

/// A page of the outcome report, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomePage {
    pub items: Vec<OutcomeLine>,
    /// Rows of the batches applied so far.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A dry run's counts: what the import would do, row by row, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunCounts {
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped_duplicate: i64,
    pub failed: i64,
}

impl DryRunCounts {
    /// Count one row's outcome.
    pub fn add(&mut self, outcome: RowOutcome) {
        self.rows += 1;
        match outcome {
            RowOutcome::Created => self.created += 1,
            RowOutcome::Updated => self.updated += 1,
            RowOutcome::Unchanged => self.unchanged += 1,
            RowOutcome::SkippedDuplicate => self.skipped_duplicate += 1,
            RowOutcome::Failed => self.failed += 1,
            RowOutcome::Undone => {}
        }
    }
}

/// One field a dry run would change, with its value before and after (text; consent as
/// `true`/`false`, the group as its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A stored customer a dry run would update: the row, and each field that would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleUpdate {
    pub line: i64,
    pub email: String,
    pub customer_id: Id,
    pub changes: Vec<FieldChange>,
}

/// What an import would do, found by applying it in transactions that are rolled back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunReport {
    pub counts: DryRunCounts,
    /// Up to 100 of the updates, in file order.
    pub samples: Vec<SampleUpdate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_name_and_serialises_as_it() {
        for o in RowOutcome::ALL {
            assert_eq!(RowOutcome::parse(o.as_str()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.as_str())
            );
        }
        assert_eq!(RowOutcome::parse("skipped"), None);
    }
}
