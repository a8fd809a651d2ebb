//! Why a column got its suggestion, or none: typed reasons the browser shows on hover (in the
//! user's language) and `intake inspect` prints (in English, [`MatchReason::describe`]).
//!
//! Invariant: every column of a detection carries one [`MatchReason`]; an unmapped column also
//! carries an [`IgnoredReason`], the short code of `inspect --json`'s `ignored_reason`.

use serde::{Deserialize, Serialize};

use super::Target;

/// What a column's sampled values look like (the evidence of a match or a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Emails,
    /// yes/no, Y/N, true/false, 1/0, да/не.
    ConsentFlags,
    Dates,
    Numbers,
    /// Letters and digits in one word: `C0012`, `INV-2024-7`.
    Codes,
    Phones,
    /// One word of letters: a first or a last name.
    Names,
    /// Two or more words of letters.
    FullNames,
    /// Names ending in a company form: `Ltd`, `GmbH`, `ООД`...
    Companies,
    /// Sentences: more than four words or thirty characters.
    Texts,
}

impl ValueKind {
    /// English, plural: "92% of sampled values look like {emails}".
    pub fn en(self) -> &'static str {
        match self {
            ValueKind::Emails => "emails",
            ValueKind::ConsentFlags => "yes/no flags",
            ValueKind::Dates => "dates",
            ValueKind::Numbers => "numbers",
            ValueKind::Codes => "codes",
            ValueKind::Phones => "phone numbers",
            ValueKind::Names => "single names",
            ValueKind::FullNames => "full names",
            ValueKind::Companies => "company names",
            ValueKind::Texts => "longer texts",
        }
    }
}

/// The share of a column's sampled (non-empty) values that are of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueEvidence {
    pub values: ValueKind,
    /// 0..1, two decimals.
    pub share: f32,
}

impl ValueEvidence {
    pub fn new(values: ValueKind, share: f32) -> Self {
        ValueEvidence { values, share }
    }

    fn percent(&self) -> u32 {
        (self.share * 100.0).round() as u32
    }

    /// "92% of sampled values look like emails".
    pub fn describe(&self) -> String {
        format!(
            "{}% of sampled values look like {}",
            self.percent(),
            self.values.en()
        )
    }
}

/// Why a column got its target, or why it got none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "ReasonWire")]
pub enum MatchReason {
    /// The header is a known name of the field (compared after folding case, accents,
    /// separators and abbreviations such as `Fst`, `Cntct`): which one.
    Synonym { synonym: String },
    /// A word of the header names the field (`Billing Email` -> `email`).
    Keyword { word: String },
    /// The header is close to a known name (a typo): which one and how close (0..1).
    Fuzzy { synonym: String, score: f32 },
    /// Without a telling header: what the values look like.
    Values { values: ValueKind, share: f32 },
    /// The user chose this target (or chose not to import the column).
    Chosen,
    /// The header names something the importer cannot take (a phone, an address, an order).
    NotImportable,
    /// Neither the header nor the values say which field this is.
    Unknown,
    /// The header suggests `target`, but the values are of another kind.
    Contradicted {
        target: Target,
        values: ValueKind,
        share: f32,
    },
    /// The header loosely suggests `target`, but too few values fit it.
    Unsupported {
        target: Target,
        values: ValueKind,
        share: f32,
    },
    /// The column would fill `target`, but `column` (0-based) fills it, more surely.
    AnotherColumnChosen { target: Target, column: usize },
    /// A full name is not needed: columns `first` and `last` (0-based) hold its parts.
    NamePartsChosen { first: usize, last: usize },
}

/// The fields of every [`MatchReason`] side by side, what one is read from (the same JSON).
/// serde's derived reader of an internally tagged enum buffers the object in a generic tree
/// before choosing the variant; in the page's wasm that was 22 KB before compression, this
/// flat reader a fraction of it.
#[derive(Deserialize)]
struct ReasonWire {
    kind: ReasonKind,
    synonym: Option<String>,
    word: Option<String>,
    score: Option<f32>,
    values: Option<ValueKind>,
    share: Option<f32>,
    target: Option<Target>,
    column: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReasonKind {
    Synonym,
    Keyword,
    Fuzzy,
    Values,
    Chosen,
    NotImportable,
    Unknown,
    Contradicted,
    Unsupported,
    AnotherColumnChosen,
    NamePartsChosen,
}

impl TryFrom<ReasonWire> for MatchReason {
    type Error = String;

    fn try_from(w: ReasonWire) -> Result<Self, String> {
        fn need<T>(value: Option<T>, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{field}`"))
        }
        Ok(match w.kind {
            ReasonKind::Synonym => MatchReason::Synonym {
                synonym: need(w.synonym, "synonym")?,
            },
            ReasonKind::Keyword => MatchReason::Keyword {
                word: need(w.word, "word")?,
            },
            ReasonKind::Fuzzy => MatchReason::Fuzzy {
                synonym: need(w.synonym, "synonym")?,
                score: need(w.score, "score")?,
            },
            ReasonKind::Values => MatchReason::Values {
                values: need(w.values, "values")?,
                share: need(w.share, "share")?,
            },
            ReasonKind::Chosen => MatchReason::Chosen,
            ReasonKind::NotImportable => MatchReason::NotImportable,
            ReasonKind::Unknown => MatchReason::Unknown,
            ReasonKind::Contradicted => MatchReason::Contradicted {
                target: need(w.target, "target")?,
                values: need(w.values, "values")?,
                share: need(w.share, "share")?,
            },
            ReasonKind::Unsupported => MatchReason::Unsupported {
                target: need(w.target, "target")?,
                values: need(w.values, "values")?,
                share: need(w.share, "share")?,
            },
            ReasonKind::AnotherColumnChosen => MatchReason::AnotherColumnChosen {
                target: need(w.target, "target")?,
                column: need(w.column, "column")?,
            },
            ReasonKind::NamePartsChosen => MatchReason::NamePartsChosen {
                first: need(w.first, "first")?,
                last: need(w.last, "last")?,
            },
        })
    }
}

impl MatchReason {
    /// [`MatchReason::Values`] of an evidence.
    pub fn values(e: ValueEvidence) -> Self {
        MatchReason::Values {
            values: e.values,
            share: e.share,
        }
    }

    /// A sentence in English (the CLI's table). `headers` names columns by index.
    pub fn describe(&self, header_of: &dyn Fn(usize) -> String) -> String {
        match self {
            MatchReason::Synonym { synonym } => format!("header matches \"{synonym}\""),
            MatchReason::Keyword { word } => format!("header has the word \"{word}\""),
            MatchReason::Fuzzy { synonym, score } => {
                format!("header resembles \"{synonym}\" ({score:.2})")
            }
            MatchReason::Values { values, share } => ValueEvidence::new(*values, *share).describe(),
            MatchReason::Chosen => "chosen".to_string(),
            MatchReason::NotImportable => {
                "cannot be imported (phones, addresses, orders...)".to_string()
            }
            MatchReason::Unknown => "not recognised".to_string(),
            MatchReason::Contradicted {
                target,
                values,
                share,
            } => format!(
                "header suggests {} but {}",
                target.as_str(),
                ValueEvidence::new(*values, *share).describe()
            ),
            MatchReason::Unsupported {
                target,
                values,
                share,
            } => format!(
                "header suggests {} but only {}",
                target.as_str(),
                ValueEvidence::new(*values, *share).describe()
            ),
            MatchReason::AnotherColumnChosen { target, column } => format!(
                "{} comes from column {}",
                target.as_str(),
                header_of(*column)
            ),
            MatchReason::NamePartsChosen { first, last } => format!(
                "first and last names come from columns {} and {}",
                header_of(*first),
                header_of(*last)
            ),
        }
    }
}

/// Why a column is not imported: the `ignored_reason` of `inspect --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredReason {
    /// Phones, addresses, orders, totals: the importer cannot take them.
    NotImportable,
    /// Neither the header nor the values say which field this is.
    Unknown,
    /// Another column fills the field this one would (formerly `duplicate_target`, still
    /// read).
    #[serde(alias = "duplicate_target")]
    AnotherColumnChosen,
}

impl IgnoredReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoredReason::NotImportable => "not_importable",
            IgnoredReason::Unknown => "unknown",
            IgnoredReason::AnotherColumnChosen => "another_column_chosen",
        }
    }
}

impl std::fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reasons_serialise_as_tagged_objects_and_the_old_code_is_read() {
        let r = MatchReason::Contradicted {
            target: Target::FirstName,
            values: ValueKind::Dates,
            share: 1.0,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"contradicted","target":"first_name","values":"dates","share":1.0}"#
        );
        let back: MatchReason = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        let old: IgnoredReason = serde_json::from_str(r#""duplicate_target""#).unwrap();
        assert_eq!(old, IgnoredReason::AnotherColumnChosen);
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#""another_column_chosen""#
        );
        let v = MatchReason::values(ValueEvidence::new(ValueKind::Emails, 0.92));
        assert_eq!(
            v.describe(&|i| i.to_string()),
            "92% of sampled values look like emails"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_reason_reads_back_what_it_writes_and_a_missing_field_is_refused() {
        let all = [
            MatchReason::Synonym {
                synonym: "email".into(),
            },
            MatchReason::Keyword {
                word: "mail".into(),
            },
            MatchReason::Fuzzy {
                synonym: "first name".into(),
                score: 0.75,
            },
            MatchReason::Values {
                values: ValueKind::Emails,
                share: 0.5,
            },
            MatchReason::Chosen,
            MatchReason::NotImportable,
            MatchReason::Unknown,
            MatchReason::Contradicted {
                target: Target::Email,
                values: ValueKind::Dates,
                share: 1.0,
            },
            MatchReason::Unsupported {
                target: Target::FullName,
                values: ValueKind::Names,
                share: 0.25,
            },
            MatchReason::AnotherColumnChosen {
                target: Target::Email,
                column: 3,
            },
            MatchReason::NamePartsChosen { first: 0, last: 1 },
        ];
        for r in all {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(
                serde_json::from_str::<MatchReason>(&json).unwrap(),
                r,
                "{json}"
            );
        }
        let err = serde_json::from_str::<MatchReason>(r#"{"kind":"fuzzy","synonym":"x"}"#);
        assert!(err.unwrap_err().to_string().contains("score"));
        assert!(serde_json::from_str::<MatchReason>(r#"{"kind":"guess"}"#).is_err());
    }
}
