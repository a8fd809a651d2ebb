//! [`Field`]: what a [`FieldError`](crate::api::FieldError) is about, typed instead of a
//! string.
//!
//! Not [`Target`](crate::import::Target): a target is a mapping choice and serialises as
//! `customer_group`, while the field it fills is `group` (the `BatchRow` member); and an
//! error can be about the whole row or the whole file, which no column maps to.
//! [`Target::field`](crate::import::Target::field) converts. Serialised as the contract's
//! snake_case strings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    FirstName,
    LastName,
    FullName,
    Email,
    Note,
    AcceptsMarketing,
    /// The customer group (`BatchRow::group`; mapped from the `customer_group` target).
    Group,
    /// The record as a whole (ragged rows, unbalanced quotes, too many cells).
    Row,
    /// The file as a whole (empty, binary, unknown encoding, bad delimiter).
    File,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::FirstName,
        Field::LastName,
        Field::FullName,
        Field::Email,
        Field::Note,
        Field::AcceptsMarketing,
        Field::Group,
        Field::Row,
        Field::File,
    ];

    /// The field as the contract spells it (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::FullName => "full_name",
            Field::Email => "email",
            Field::Note => "note",
            Field::AcceptsMarketing => "accepts_marketing",
            Field::Group => "group",
            Field::Row => "row",
            Field::File => "file",
        }
    }

    /// The reverse of [`Field::as_str`].
    pub fn parse(s: &str) -> Option<Field> {
        crate::wire::parse(s)
    }
}

impl crate::wire::WireName for Field {
    const VARIANTS: &'static [Self] = &Field::ALL;
    const KIND: &'static str = "field";
    fn wire(self) -> &'static str {
        self.as_str()
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::deserialize(d)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    /// The strings of the contract, written out: a renamed variant must not change them.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_field_keeps_its_string() {
        let old = [
            (Field::FirstName, "first_name"),
            (Field::LastName, "last_name"),
            (Field::FullName, "full_name"),
            (Field::Email, "email"),
            (Field::Note, "note"),
            (Field::AcceptsMarketing, "accepts_marketing"),
            (Field::Group, "group"),
            (Field::Row, "row"),
            (Field::File, "file"),
        ];
        assert_eq!(old.len(), Field::ALL.len());
        for (field, s) in old {
            assert_eq!(serde_json::to_string(&field).unwrap(), format!("\"{s}\""));
            assert_eq!(field.as_str(), s);
            assert_eq!(field.to_string(), s);
            assert_eq!(Field::parse(s), Some(field));
        }
        assert_eq!(Field::parse("customer_group"), None);
    }
}
