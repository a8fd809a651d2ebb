//! The user's value mapping: what a consent value the vocabularies do not know (or that the
//! user reads otherwise) means, and which group a file's group value goes to. Part of
//! [`ReadSettings`](super::choices::ReadSettings) (`values`), so the browser, the raw
//! upload, the CLI and the stored settings carry one shape:
//! `{"accepts_marketing": {"VALUE": "yes"|"no"|"error"}, "customer_group": {"VALUE": "GROUP"}}`.
//!
//! Values are compared as the rules compare them: consent folded
//! ([`fold_consent`](crate::rules::fold_consent)), groups cleaned and case-insensitively.
//! Invariant: a mapping is applied once, where a row is validated: the shared reader for
//! consent, the server for groups (a posted row carries the file's group value).

use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use crate::api::{BatchRow, Consent, ErrorCode, Field, FieldError};
use crate::rules::CustomerDraft;
use crate::rules::{MAX_GROUP_CHARS, fold_consent};
use crate::text::{clean_line, ellipsis};

/// What a consent value is taken to mean. Read by hand (`ConsentChoice::parse` of a
/// string): a derived enum reader cost the parse worker's wasm a kilobyte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentChoice {
    Yes,
    No,
    /// The row is an `invalid_accepts_marketing` error, on purpose.
    Error,
}

impl ConsentChoice {
    /// `yes`, `no` or `error` (the CLI's spelling too).
    pub fn parse(s: &str) -> Option<ConsentChoice> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" => Some(ConsentChoice::Yes),
            "no" => Some(ConsentChoice::No),
            "error" => Some(ConsentChoice::Error),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for ConsentChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "yes" => Ok(ConsentChoice::Yes),
            "no" => Ok(ConsentChoice::No),
            "error" => Ok(ConsentChoice::Error),
            _ => Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&s),
                &"yes, no or error",
            )),
        }
    }
}

/// Values and what each maps to, in the order given; a JSON object. A list, not a map type:
/// the parse worker reads the settings in every message (see `NamedMapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairList<V>(pub Vec<(String, V)>);

impl<V> Default for PairList<V> {
    fn default() -> Self {
        PairList(Vec::new())
    }
}

impl<V: Serialize> Serialize for PairList<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for PairList<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Entries<V> {
            type Value = PairList<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object from a file's value to what it means")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut entries: A,
            ) -> Result<PairList<V>, A::Error> {
                let mut list: Vec<(String, V)> = Vec::new();
                while let Some((k, v)) = entries.next_entry::<String, V>()? {
                    // A key given twice: the later one counts, as in a map.
                    list.retain(|(key, _)| *key != k);
                    list.push((k, v));
                }
                Ok(PairList(list))
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// The user's value mapping (see the module docs). Read by hand, strictly (an unknown key
/// is an error): the derived reader cost the parse worker's wasm two kilobytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueMap {
    /// Consent values (compared trimmed, in any case, `_` and `-` as spaces) -> `yes`,
    /// `no` or `error`. Checked before the built-in vocabularies.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, ConsentChoice>))]
    pub accepts_marketing: PairList<ConsentChoice>,
    /// Group values (compared cleaned, in any case) -> the name of the group (existing or
    /// new, 1 to 100 characters) their customers go to.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub customer_group: PairList<String>,
}

impl<'de> Deserialize<'de> for ValueMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = ValueMap;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object with accepts_marketing and customer_group")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut fields: A,
            ) -> Result<ValueMap, A::Error> {
                let mut map = ValueMap::default();
                while let Some(key) = fields.next_key::<String>()? {
                    match key.as_str() {
                        "accepts_marketing" => map.accepts_marketing = fields.next_value()?,
                        "customer_group" => map.customer_group = fields.next_value()?,
                        _ => {
                            return Err(serde::de::Error::unknown_field(&key, &VALUE_MAP_KEYS));
                        }
                    }
                }
                Ok(map)
            }
        }
        d.deserialize_map(Fields)
    }
}

/// The keys a stored value mapping may have (checked by `ReadSettings::parse_stored`).
pub(crate) const VALUE_MAP_KEYS: [&str; 2] = ["accepts_marketing", "customer_group"];

/// Folds a group value for comparison: cleaned as the rules clean it, in lowercase.
pub fn fold_group(s: &str) -> String {
    clean_line(s).to_lowercase()
}

impl ValueMap {
    pub fn is_empty(&self) -> bool {
        self.accepts_marketing.0.is_empty() && self.customer_group.0.is_empty()
    }

    /// What the user chose for a consent cell, if anything.
    pub fn consent_choice(&self, cell: &str) -> Option<ConsentChoice> {
        if self.accepts_marketing.0.is_empty() {
            return None;
        }
        let (mut key, mut k) = (String::new(), String::new());
        fold_consent(cell, &mut key);
        self.accepts_marketing.0.iter().find_map(|(v, c)| {
            fold_consent(v, &mut k);
            (k == key).then_some(*c)
        })
    }

    /// Parses a consent cell as the import does: the user's choice first, then the
    /// vocabularies. A value mapped to `error` is an error naming the value.
    pub fn parse_consent(&self, cell: &str) -> Result<Option<bool>, FieldError> {
        match self.consent_choice(cell) {
            Some(ConsentChoice::Yes) => Ok(Some(true)),
            Some(ConsentChoice::No) => Ok(Some(false)),
            Some(ConsentChoice::Error) => Err(mapped_to_error(cell)),
            None => crate::rules::parse_consent(cell),
        }
    }

    /// The group a group cell's customers go to, when the user mapped its value.
    pub fn group_for(&self, cell: &str) -> Option<&str> {
        if self.customer_group.0.is_empty() {
            return None;
        }
        let key = fold_group(cell);
        self.customer_group
            .0
            .iter()
            .find(|(v, _)| fold_group(v) == key)
            .map(|(_, g)| g.as_str())
    }

    /// The mapping is usable: every group it names is a group name (not blank, at most
    /// [`MAX_GROUP_CHARS`] characters). The message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        for (value, group) in &self.customer_group.0 {
            let name = clean_line(group);
            if name.is_empty() {
                return Err(format!(
                    "The group value \"{}\" is mapped to a blank group name.",
                    ellipsis(value, 40)
                ));
            }
            if name.chars().count() > MAX_GROUP_CHARS {
                return Err(format!(
                    "The group value \"{}\" is mapped to a name over {MAX_GROUP_CHARS} characters.",
                    ellipsis(value, 40)
                ));
            }
        }
        Ok(())
    }
}

/// The group part of a [`ValueMap`], its values folded once, for many rows.
#[derive(Debug, Clone, Default)]
pub struct GroupLookup(Vec<(String, String)>);

impl GroupLookup {
    pub fn new(values: &ValueMap) -> GroupLookup {
        let mut list: Vec<(String, String)> = values
            .customer_group
            .0
            .iter()
            .map(|(v, g)| (fold_group(v), clean_line(g).into_owned()))
            .collect();
        // Values that compare equal: the first given counts, as in `ValueMap::group_for`.
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list.dedup_by(|later, earlier| later.0 == earlier.0);
        GroupLookup(list)
    }

    /// The group a group cell's customers go to, when the user mapped its value.
    pub fn get(&self, cell: &str) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        let key = fold_group(cell);
        let i = self
            .0
            .binary_search_by(|(k, _)| k.as_str().cmp(&key))
            .ok()?;
        Some(&self.0[i].1)
    }
}

impl ValueMap {
    /// [`crate::rules::validate_row`] of a posted row with this mapping applied: a text
    /// consent value the user mapped becomes yes or no (or the error they chose), and a
    /// group value they mapped becomes its group. The server's check of every posted row.
    pub fn validate_row(
        &self,
        row: &BatchRow,
        groups: &GroupLookup,
    ) -> Result<CustomerDraft, Vec<FieldError>> {
        let mut mapped = Cow::Borrowed(row);
        let mut chosen_error = None;
        if let Some(Consent::Text(t)) = &row.accepts_marketing
            && let Some(choice) = self.consent_choice(t)
        {
            mapped.to_mut().accepts_marketing = match choice {
                ConsentChoice::Yes => Some(Consent::Bool(true)),
                ConsentChoice::No => Some(Consent::Bool(false)),
                ConsentChoice::Error => {
                    chosen_error = Some(mapped_to_error(t));
                    None
                }
            };
        }
        if let Some(g) = &row.group
            && let Some(name) = groups.get(g)
        {
            mapped.to_mut().group = Some(name.to_owned());
        }
        let result = crate::rules::validate_row(&mapped);
        let Some(e) = chosen_error else {
            return result;
        };
        let mut errors = result.err().unwrap_or_default();
        // In the rules' order: the consent's problem before the group's.
        let at = errors
            .iter()
            .position(|x| x.field == Field::Group)
            .unwrap_or(errors.len());
        errors.insert(at, e);
        Err(errors)
    }
}

/// The error of a consent value the user mapped to `error`.
pub fn mapped_to_error(cell: &str) -> FieldError {
    let shown = ellipsis(crate::text::trim_fast(cell), 40);
    FieldError {
        field: Field::AcceptsMarketing,
        code: ErrorCode::InvalidAcceptsMarketing,
        message: format!(
            "Accepts marketing \"{shown}\" is marked as an error in the value mapping."
        ),
        params: Some(crate::codes::ErrorParams {
            detail: Some(crate::codes::Detail::MappedToError),
            ..crate::codes::ErrorParams::value(shown.into_owned())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ValueMap {
        serde_json::from_str(
            r#"{"accepts_marketing":{"Maybe":"yes","NEVER_SUBSCRIBED":"yes","later":"error","x?":"no"},
                "customer_group":{" Gold  Tier ":"VIP","silver":"Regular"}}"#,
        )
        .unwrap()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn consent_choices_come_before_the_vocabularies() {
        let m = map();
        assert_eq!(m.parse_consent(" MAYBE ").unwrap(), Some(true));
        // The user reads a vocabulary word otherwise.
        assert_eq!(m.parse_consent("never subscribed").unwrap(), Some(true));
        assert_eq!(m.parse_consent("x?").unwrap(), Some(false));
        let e = m.parse_consent("Later").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAcceptsMarketing);
        assert!(e.message.contains("Later"), "{}", e.message);
        // Unmapped: the vocabularies, and unknown values stay errors.
        assert_eq!(m.parse_consent("UNSUBSCRIBED").unwrap(), Some(false));
        assert_eq!(m.parse_consent("").unwrap(), None);
        assert!(m.parse_consent("perhaps").is_err());
        assert!(ValueMap::default().parse_consent("maybe").is_err());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn group_values_compare_cleaned_and_in_any_case() {
        let m = map();
        assert_eq!(m.group_for("gold tier"), Some("VIP"));
        assert_eq!(m.group_for("SILVER"), Some("Regular"));
        assert_eq!(m.group_for("bronze"), None);
        assert!(m.check().is_ok());
        let blank: ValueMap = serde_json::from_str(r#"{"customer_group":{"a":"  "}}"#).unwrap();
        assert!(blank.check().is_err());
        let long = ValueMap {
            customer_group: PairList(vec![("a".into(), "я".repeat(101))]),
            ..ValueMap::default()
        };
        assert!(long.check().is_err());
    }

    #[test]
    fn a_posted_row_is_validated_with_the_mapping() {
        let m = map();
        let groups = GroupLookup::new(&m);
        assert_eq!(groups.get("GOLD TIER"), Some("VIP"));
        assert_eq!(groups.get("bronze"), None);
        let row = |consent: &str, group: Option<&str>| BatchRow {
            line: 4,
            email: Some("a@b.bg".into()),
            accepts_marketing: Some(Consent::Text(consent.into())),
            group: group.map(str::to_owned),
            ..BatchRow::default()
        };
        let d = m
            .validate_row(&row("maybe", Some("gold tier")), &groups)
            .unwrap();
        assert_eq!(d.fields.accepts_marketing, Some(true));
        assert_eq!(d.group.as_deref(), Some("VIP"));
        let d = m
            .validate_row(&row("NEVER_SUBSCRIBED", Some("Other")), &groups)
            .unwrap();
        assert_eq!(d.fields.accepts_marketing, Some(true));
        assert_eq!(d.group.as_deref(), Some("Other"));
        let errs = m.validate_row(&row("later", None), &groups).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("later"));
        let errs = m.validate_row(&row("perhaps", None), &groups).unwrap_err();
        assert_eq!(errs[0].code, ErrorCode::InvalidAcceptsMarketing);
        // A boolean the browser sent is taken as it is.
        let mut b = row("", None);
        b.accepts_marketing = Some(Consent::Bool(false));
        assert_eq!(
            m.validate_row(&b, &groups)
                .unwrap()
                .fields
                .accepts_marketing,
            Some(false)
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_round_trip_keeps_the_order() {
        let m = map();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"accepts_marketing":{"Maybe":"yes","NEVER_SUBSCRIBED":"yes","later":"error","x?":"no"},"customer_group":{" Gold  Tier ":"VIP","silver":"Regular"}}"#
        );
        assert_eq!(serde_json::from_str::<ValueMap>(&json).unwrap(), m);
        for bad in [
            r#"{"accepts_marketing":{"a":"maybe"}}"#,
            r#"{"accepts_marketing":["a"]}"#,
            r#"{"customer_group":{"a":1}}"#,
        ] {
            assert!(serde_json::from_str::<ValueMap>(bad).is_err(), "{bad}");
        }
        assert_eq!(ConsentChoice::parse("Error"), Some(ConsentChoice::Error));
        assert_eq!(ConsentChoice::parse("maybe"), None);
    }
}
