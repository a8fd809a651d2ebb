//! A customer's own values, listed once: [`CustomerFields`]. Every other shape of a customer
//! embeds it (a validated row, a stored batch row, the values an import writes, an undo
//! snapshot) or is converted from it in one place, so that a new customer field is added
//! here and then only where a format truly differs (SQL columns, the stored JSON layouts,
//! the CSV header, the REST contract).

use serde::{Deserialize, Serialize};

/// The values a person gives for a customer: names, email (its display form), note and
/// marketing consent. Not its identity (id, email key), its group or its history.
///
/// `M` is the consent: `bool` for a stored customer; `Option<bool>` for an imported row,
/// whose blank cell means "not given" (a new customer then has no consent, an update with
/// `update_non_blank` keeps the stored one).
///
/// Serialised as its fields (the undo snapshot embeds it with `#[serde(flatten)]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFields<M = bool> {
    pub first_name: String,
    pub last_name: String,
    /// The first and last name joined by a space when it came from them.
    pub full_name: String,
    pub email: String,
    pub note: String,
    pub accepts_marketing: M,
}

impl<M> CustomerFields<M> {
    /// The same values with the consent turned into another form (moves, no copy).
    #[inline]
    pub fn map_consent<N>(self, f: impl FnOnce(M) -> N) -> CustomerFields<N> {
        CustomerFields {
            first_name: self.first_name,
            last_name: self.last_name,
            full_name: self.full_name,
            email: self.email,
            note: self.note,
            accepts_marketing: f(self.accepts_marketing),
        }
    }
}

impl CustomerFields<Option<bool>> {
    /// A row's values as a customer's: no consent when the cell was blank.
    #[inline]
    pub fn into_stored(self) -> CustomerFields {
        self.map_consent(|c| c.unwrap_or(false))
    }
}
