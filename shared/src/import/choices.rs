//! How to read a file: [`ReadSettings`], the one settings type of the browser worker's
//! protocol, the REST API's raw upload, the command line, the `imports.settings` column and
//! [`detect`](super::detect), with the one parser of each setting given as text
//! ([`HeaderChoice::parse`], [`parse_delimiter`]). Invariant: `None`/`Auto` means "detect".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::value_map::VALUE_MAP_KEYS;
use super::{Detection, Target, ValueMap};

/// Whether the file has a header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderChoice {
    /// Decide from the content.
    #[default]
    Auto,
    Yes,
    No,
}

impl HeaderChoice {
    /// The one parser of a header setting given as text (the API's `has_header`, the CLI's
    /// `--header`): exactly `auto`, `true`/`yes` or `false`/`no`; anything else is `None`.
    pub fn parse(s: &str) -> Option<HeaderChoice> {
        match s {
            "auto" => Some(HeaderChoice::Auto),
            "true" | "yes" => Some(HeaderChoice::Yes),
            "false" | "no" => Some(HeaderChoice::No),
            _ => None,
        }
    }

    /// From "does the file have a header line?": `None` means detect.
    pub fn from_has_header(has_header: Option<bool>) -> HeaderChoice {
        match has_header {
            None => HeaderChoice::Auto,
            Some(true) => HeaderChoice::Yes,
            Some(false) => HeaderChoice::No,
        }
    }

    /// The reverse of [`HeaderChoice::from_has_header`].
    pub fn has_header(self) -> Option<bool> {
        match self {
            HeaderChoice::Auto => None,
            HeaderChoice::Yes => Some(true),
            HeaderChoice::No => Some(false),
        }
    }
}

/// Parses a delimiter setting: `auto` (or empty) -> `Ok(None)`; `,` `comma`; `;`
/// `semicolon`; `\t` `tab` or a tab; `|` `pipe` -> `Ok(Some(byte))`. Anything else is an
/// error message.
pub fn parse_delimiter(s: &str) -> Result<Option<u8>, String> {
    let d = match s {
        "\t" | "\\t" => return Ok(Some(b'\t')),
        _ => s.trim(),
    };
    match d.to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(None),
        "," | "comma" => Ok(Some(b',')),
        ";" | "semicolon" => Ok(Some(b';')),
        "tab" | "\\t" => Ok(Some(b'\t')),
        "|" | "pipe" => Ok(Some(b'|')),
        _ => Err(format!(
            "Unknown delimiter \"{s}\": use auto, comma (,), semicolon (;), tab or pipe (|)."
        )),
    }
}

/// How to read a file. Serialised with every key (the stored shape):
/// `{"encoding","delimiter","has_header","mapping","mapping_by_name"}`, plus
/// `"line_per_record":true` for text converted from a workbook.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadSettings {
    /// A WHATWG encoding label (`utf-8`, `windows-1251`, ...).
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub delimiter: Option<u8>,
    /// Whether the file has a header line (the worker protocol's and the REST API's name).
    #[serde(default)]
    pub has_header: Option<bool>,
    /// The target of each column by index; `None` = use the suggestions.
    #[serde(default)]
    pub mapping: Option<Vec<Option<Target>>>,
    /// Targets by header name or column index, laid over the detected mapping once the file
    /// is read (the REST API's object form of `mapping`, resolved in the job).
    #[serde(default)]
    pub mapping_by_name: Option<NamedMapping>,
    /// The user's value mapping for consent and group values (left out of the JSON when
    /// empty, so settings stored before it read and write the same).
    #[serde(default, skip_serializing_if = "ValueMap::is_empty")]
    pub values: ValueMap,
    /// Line numbers count records, not physical lines: the text was converted from a
    /// workbook, and record n is the sheet's row n even when a cell holds line breaks.
    /// Stored only when set, so the stored shape of a CSV import is unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub line_per_record: bool,
}

/// Targets by header name or column index, in the order given; a JSON object. Kept as a
/// list rather than a `BTreeMap`: the parse worker reads `ReadSettings` in every message,
/// and a map type's code cost its wasm over a kilobyte for a field the page never sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedMapping(pub Vec<(String, Option<Target>)>);

impl From<BTreeMap<String, Option<Target>>> for NamedMapping {
    fn from(map: BTreeMap<String, Option<Target>>) -> Self {
        NamedMapping(map.into_iter().collect())
    }
}

impl Serialize for NamedMapping {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, target) in &self.0 {
            map.serialize_entry(key, target)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for NamedMapping {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = NamedMapping;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object from header or column index to target")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut entries: A,
            ) -> Result<NamedMapping, A::Error> {
                let mut list: Vec<(String, Option<Target>)> = Vec::new();
                while let Some((key, target)) = entries.next_entry()? {
                    // A key given twice: the later one counts, as in a map.
                    list.retain(|(k, _)| *k != key);
                    list.push((key, target));
                }
                Ok(NamedMapping(list))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// A named mapping names a column the file does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The mapping names the column {0:?}, which the file does not have.")]
pub struct UnknownColumn(pub String);

impl ReadSettings {
    /// Reads the stored JSON; anything but this type's shape is an error.
    pub fn parse_stored(json: &str) -> Result<ReadSettings, serde_json::Error> {
        // An object only: serde would also read a struct from a list of its fields.
        let value: serde_json::Value = serde_json::from_str(json)?;
        let Some(object) = value.as_object() else {
            return Err(serde::de::Error::custom(
                "the settings are not a JSON object",
            ));
        };
        // Unknown keys are refused here rather than by `deny_unknown_fields`, which would
        // put that check into the parse worker's wasm for every message.
        const KEYS: [&str; 7] = [
            "encoding",
            "delimiter",
            "has_header",
            "mapping",
            "mapping_by_name",
            "values",
            "line_per_record",
        ];
        if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(serde::de::Error::custom(format_args!(
                "unknown field `{key}` in the settings"
            )));
        }
        if let Some(values) = object.get("values") {
            let Some(values) = values.as_object() else {
                return Err(serde::de::Error::custom(
                    "the settings' values are not a JSON object",
                ));
            };
            if let Some(key) = values
                .keys()
                .find(|k| !VALUE_MAP_KEYS.contains(&k.as_str()))
            {
                return Err(serde::de::Error::custom(format_args!(
                    "unknown field `{key}` in the settings' values"
                )));
            }
        }
        serde_json::from_value(value)
    }

    /// The stored JSON.
    pub fn to_stored(&self) -> String {
        // Strings, small integers, booleans and enums: serialising cannot fail.
        serde_json::to_string(self).expect("settings serialise")
    }

    pub fn header(&self) -> HeaderChoice {
        HeaderChoice::from_has_header(self.has_header)
    }

    /// Lays [`ReadSettings::mapping_by_name`] over the detected columns: a key is a header
    /// (case and surrounding spaces ignored) or else a column index.
    pub fn apply_named_mapping(&self, detection: &mut Detection) -> Result<(), UnknownColumn> {
        let Some(named) = &self.mapping_by_name else {
            return Ok(());
        };
        let columns = detection.columns.len().max(detection.mapping.len());
        detection.mapping.resize(columns, None);
        for (key, target) in &named.0 {
            let by_header = detection.columns.iter().position(|c| {
                c.header
                    .as_deref()
                    .is_some_and(|h| h.trim().to_lowercase() == key.trim().to_lowercase())
            });
            let index = by_header
                .or_else(|| key.trim().parse::<usize>().ok().filter(|i| *i < columns))
                .ok_or_else(|| UnknownColumn(key.clone()))?;
            // A target chosen for one column leaves the column that had it automatically.
            if let Some(t) = target {
                for other in detection.mapping.iter_mut() {
                    if other.as_ref() == Some(t) {
                        *other = None;
                    }
                }
            }
            detection.mapping[index] = *target;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn settings_parsing() {
        assert_eq!(parse_delimiter("auto"), Ok(None));
        assert_eq!(parse_delimiter(","), Ok(Some(b',')));
        assert_eq!(parse_delimiter("semicolon"), Ok(Some(b';')));
        assert_eq!(parse_delimiter("tab"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("\t"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("\\t"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter("pipe"), Ok(Some(b'|')));
        assert!(parse_delimiter("x").is_err());
        assert_eq!(HeaderChoice::parse("true"), Some(HeaderChoice::Yes));
        for h in [None, Some(true), Some(false)] {
            assert_eq!(HeaderChoice::from_has_header(h).has_header(), h);
        }
        assert_eq!(HeaderChoice::parse("yes"), Some(HeaderChoice::Yes));
        assert_eq!(HeaderChoice::parse("no"), Some(HeaderChoice::No));
        assert_eq!(HeaderChoice::parse("false"), Some(HeaderChoice::No));
        assert_eq!(HeaderChoice::parse("auto"), Some(HeaderChoice::Auto));
        // Exactly the words the API has always accepted.
        for s in ["maybe", "", "1", "TRUE", " yes"] {
            assert_eq!(HeaderChoice::parse(s), None, "{s:?}");
        }
        assert_eq!(Target::parse("customer_group"), Some(Target::CustomerGroup));
        assert_eq!(
            serde_json::to_string(&Target::AcceptsMarketing).unwrap(),
            "\"accepts_marketing\""
        );
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;
    use crate::import::detect;

    #[test]
    fn the_stored_shape_has_every_key_and_reads_back() {
        let s = ReadSettings {
            encoding: Some("windows-1251".into()),
            delimiter: Some(b';'),
            has_header: Some(true),
            mapping: Some(vec![Some(Target::Email), None]),
            mapping_by_name: None,
            values: ValueMap::default(),
            line_per_record: false,
        };
        let json = s.to_stored();
        assert_eq!(
            json,
            r#"{"encoding":"windows-1251","delimiter":59,"has_header":true,"mapping":["email",null],"mapping_by_name":null}"#
        );
        assert_eq!(ReadSettings::parse_stored(&json).unwrap(), s);
    }

    #[test]
    fn line_per_record_is_stored_only_when_set() {
        let s = ReadSettings {
            line_per_record: true,
            ..ReadSettings::default()
        };
        let json = s.to_stored();
        assert!(json.ends_with(r#","line_per_record":true}"#), "{json}");
        assert_eq!(ReadSettings::parse_stored(&json).unwrap(), s);
        assert!(
            !ReadSettings::default()
                .to_stored()
                .contains("line_per_record")
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_named_mapping_keeps_its_order_and_a_repeated_key_counts_once() {
        let s: ReadSettings =
            serde_json::from_str(r#"{"mapping_by_name":{"b":"email","a":null,"b":"note"}}"#)
                .unwrap();
        let named = s.mapping_by_name.clone().unwrap();
        assert_eq!(
            named.0,
            [("a".to_owned(), None), ("b".to_owned(), Some(Target::Note))]
        );
        assert_eq!(
            serde_json::to_string(&named).unwrap(),
            r#"{"a":null,"b":"note"}"#
        );
    }

    #[test]
    fn a_bad_stored_value_is_an_error_not_a_default() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"has_header":"yes"}"#,
            r#"{"mapping":{"E-mail":"email"}}"#,
            r#"{"mapping":["no_such_target"]}"#,
            r#"{"delimiter":300}"#,
            r#"{"header":"auto"}"#,
        ] {
            assert!(ReadSettings::parse_stored(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_value_mapping_is_stored_and_read_back_strictly() {
        let s = ReadSettings {
            has_header: Some(true),
            values: serde_json::from_str(
                r#"{"accepts_marketing":{"?":"error","maybe":"yes"},"customer_group":{"Gold":"VIP"}}"#,
            )
            .unwrap(),
            ..ReadSettings::default()
        };
        let json = s.to_stored();
        assert_eq!(
            json,
            r#"{"encoding":null,"delimiter":null,"has_header":true,"mapping":null,"mapping_by_name":null,"values":{"accepts_marketing":{"?":"error","maybe":"yes"},"customer_group":{"Gold":"VIP"}}}"#
        );
        assert_eq!(ReadSettings::parse_stored(&json).unwrap(), s);
        // Settings stored before value mappings existed read as no mapping.
        let old = r#"{"encoding":"utf-8","delimiter":44,"has_header":null,"mapping":null,"mapping_by_name":{"E-mail":"email"}}"#;
        let read = ReadSettings::parse_stored(old).unwrap();
        assert!(read.values.is_empty());
        assert_eq!(read.to_stored(), old);
        for bad in [
            r#"{"values":{"groups":{"a":"b"}}}"#,
            r#"{"values":{"accepts_marketing":{"a":"maybe"}}}"#,
            r#"{"values":{"accepts_marketing":{"a":true}}}"#,
            r#"{"values":{"customer_group":["a"]}}"#,
            r#"{"values":[]}"#,
        ] {
            assert!(ReadSettings::parse_stored(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn the_worker_protocol_shape_without_a_named_mapping_still_reads() {
        let s = ReadSettings::parse_stored(
            r#"{"encoding":null,"delimiter":null,"has_header":false,"mapping":null}"#,
        )
        .unwrap();
        assert_eq!(s.header(), HeaderChoice::No);
        assert_eq!(s.mapping_by_name, None);
    }

    #[test]
    fn a_named_mapping_moves_a_target_to_the_named_column() {
        let file = b"Name,E-mail,Other\nAnn,ann@example.com,x@example.com\n";
        let mut det = detect(file, &ReadSettings::default());
        assert_eq!(det.mapping[1], Some(Target::Email));
        let s = ReadSettings {
            mapping_by_name: Some(
                BTreeMap::from([
                    ("other".to_owned(), Some(Target::Email)),
                    ("0".to_owned(), None),
                ])
                .into(),
            ),
            ..ReadSettings::default()
        };
        s.apply_named_mapping(&mut det).unwrap();
        assert_eq!(det.mapping, [None, None, Some(Target::Email)]);
        let missing = ReadSettings {
            mapping_by_name: Some(BTreeMap::from([("Phone".to_owned(), None)]).into()),
            ..ReadSettings::default()
        };
        assert_eq!(
            missing.apply_named_mapping(&mut det),
            Err(UnknownColumn("Phone".into()))
        );
    }
}
