//! The user's reading choices and their one parser each: [`HeaderChoice`], the delimiter
//! ([`parse_delimiter`]) and [`ImportSettings`]. Invariant: `None`/`Auto` means "detect".

use serde::{Deserialize, Serialize};

use super::Target;

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

/// The user's choices; `None`/`Auto` means "detect".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSettings {
    /// A WHATWG encoding label (`utf-8`, `windows-1251`, `cp1251`, `latin1`...).
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub delimiter: Option<u8>,
    #[serde(default)]
    pub header: HeaderChoice,
    /// The target of each column by index; `None` = use the suggestions.
    #[serde(default)]
    pub mapping: Option<Vec<Option<Target>>>,
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
