//! How to read a CSV file: the one settings type of the browser worker's protocol, the REST
//! API's raw upload, the command line and the `imports.settings` column. `None` means
//! "detect". Its JSON is the stored shape; [`ReadSettings::parse_stored`] reads it back
//! strictly (an unknown key or a wrong type is an error, never a default).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::import::{Detection, HeaderChoice, ImportSettings, Target};

/// How to read a file. Serialised with every key (the stored shape):
/// `{"encoding","delimiter","has_header","mapping","mapping_by_name"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub mapping_by_name: Option<BTreeMap<String, Option<Target>>>,
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
        if !value.is_object() {
            return Err(serde::de::Error::custom(
                "the settings are not a JSON object",
            ));
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

    /// What [`crate::import::detect`] takes.
    pub fn to_import_settings(&self) -> ImportSettings {
        ImportSettings {
            encoding: self.encoding.clone(),
            delimiter: self.delimiter,
            header: self.header(),
            mapping: self.mapping.clone(),
        }
    }

    /// Lays [`ReadSettings::mapping_by_name`] over the detected columns: a key is a header
    /// (case and surrounding spaces ignored) or else a column index.
    pub fn apply_named_mapping(&self, detection: &mut Detection) -> Result<(), UnknownColumn> {
        let Some(named) = &self.mapping_by_name else {
            return Ok(());
        };
        let columns = detection.columns.len().max(detection.mapping.len());
        detection.mapping.resize(columns, None);
        for (key, target) in named {
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
    use crate::import::detect;

    #[test]
    fn the_stored_shape_has_every_key_and_reads_back() {
        let s = ReadSettings {
            encoding: Some("windows-1251".into()),
            delimiter: Some(b';'),
            has_header: Some(true),
            mapping: Some(vec![Some(Target::Email), None]),
            mapping_by_name: None,
        };
        let json = s.to_stored();
        assert_eq!(
            json,
            r#"{"encoding":"windows-1251","delimiter":59,"has_header":true,"mapping":["email",null],"mapping_by_name":null}"#
        );
        assert_eq!(ReadSettings::parse_stored(&json).unwrap(), s);
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
        let mut det = detect(file, &ImportSettings::default());
        assert_eq!(det.mapping[1], Some(Target::Email));
        let s = ReadSettings {
            mapping_by_name: Some(BTreeMap::from([
                ("other".to_owned(), Some(Target::Email)),
                ("0".to_owned(), None),
            ])),
            ..ReadSettings::default()
        };
        s.apply_named_mapping(&mut det).unwrap();
        assert_eq!(det.mapping, [None, None, Some(Target::Email)]);
        let missing = ReadSettings {
            mapping_by_name: Some(BTreeMap::from([("Phone".to_owned(), None)])),
            ..ReadSettings::default()
        };
        assert_eq!(
            missing.apply_named_mapping(&mut det),
            Err(UnknownColumn("Phone".into()))
        );
    }
}
