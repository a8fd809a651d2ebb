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
/// Serialised as its fields: [`crate::api::Customer`] and the server's undo snapshot embed
/// it with `#[serde(flatten)]`, so their JSON objects keep the fields' keys in place.
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::api::Customer;

    /// A customer's JSON is flat, its keys in the order they always had: the fields are
    /// flattened in place. Pinned byte for byte, and read back.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_customer_is_one_flat_json_object() {
        let t = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
        let customer = Customer {
            id: 4,
            fields: CustomerFields {
                first_name: "Ann".into(),
                last_name: "Lee".into(),
                full_name: "Ann Lee".into(),
                email: "ann@x.io".into(),
                note: "n".into(),
                accepts_marketing: true,
            },
            group_id: 2,
            group_name: "VIP".into(),
            import_id: None,
            created_at: t,
            updated_at: t,
        };
        let json = r#"{"id":4,"first_name":"Ann","last_name":"Lee","full_name":"Ann Lee","email":"ann@x.io","note":"n","accepts_marketing":true,"group_id":2,"group_name":"VIP","import_id":null,"created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T07:08:09Z"}"#;
        assert_eq!(serde_json::to_string(&customer).unwrap(), json);
        assert_eq!(serde_json::from_str::<Customer>(json).unwrap(), customer);
        // As before: a missing `import_id` reads as none.
        let without_import = json.replace(r#""import_id":null,"#, "");
        assert_eq!(
            serde_json::from_str::<Customer>(&without_import).unwrap(),
            customer
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_blank_consent_becomes_none_given() {
        let row = CustomerFields {
            first_name: "Ann".into(),
            accepts_marketing: None,
            ..CustomerFields::default()
        };
        let stored = row.clone().into_stored();
        assert!(!stored.accepts_marketing);
        assert_eq!(stored.first_name, "Ann");
        assert!(row.map_consent(|c| c.unwrap_or(true)).accepts_marketing);
    }
}
