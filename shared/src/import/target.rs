//! The customer fields a column can be imported into. Invariant: `Target::ALL` lists every
//! target once, in `Target::index` order.

use serde::{Deserialize, Serialize};

use crate::api::Field;

/// A customer field a column can be imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstName,
    LastName,
    FullName,
    Email,
    Note,
    AcceptsMarketing,
    CustomerGroup,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::FirstName,
        Target::LastName,
        Target::FullName,
        Target::Email,
        Target::Note,
        Target::AcceptsMarketing,
        Target::CustomerGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstName => "first_name",
            Target::LastName => "last_name",
            Target::FullName => "full_name",
            Target::Email => "email",
            Target::Note => "note",
            Target::AcceptsMarketing => "accepts_marketing",
            Target::CustomerGroup => "customer_group",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The `BatchRow`/`FieldError` field this target fills (`customer_group` -> `group`).
    pub fn field(self) -> Field {
        match self {
            Target::FirstName => Field::FirstName,
            Target::LastName => Field::LastName,
            Target::FullName => Field::FullName,
            Target::Email => Field::Email,
            Target::Note => Field::Note,
            Target::AcceptsMarketing => Field::AcceptsMarketing,
            Target::CustomerGroup => Field::Group,
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}
