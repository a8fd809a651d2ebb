//! The stable error codes of a [`FieldError`](crate::api::FieldError): one enum instead of
//! string constants, so a typo is a compile error and a `match` names every case.
//!
//! Each code serialises as the snake_case string of the REST contract (docs/api.md);
//! [`ErrorCode::as_str`] gives the same string. Codes never change meaning; new ones may be
//! added.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The row has no email address (email is required).
    MissingEmail,
    /// The email address is not a valid address.
    InvalidEmail,
    /// The email's local part is over 64 octets or the address is over 254.
    EmailTooLong,
    /// The marketing-consent cell is not one of the accepted words.
    InvalidAcceptsMarketing,
    /// A cell is longer than the limit for its field.
    FieldTooLong,
    /// The record has more cells than the column limit.
    TooManyColumns,
    /// A quoted field was never closed (or swallowed following lines).
    UnbalancedQuote,
    /// Bytes that are invalid in the file's encoding.
    InvalidEncoding,
    /// An earlier row with the same email; the later row wins.
    DuplicateEmail,
    /// The record has cells with data beyond the header's columns.
    RaggedRow,
    /// File-level: nothing to import.
    EmptyFile,
    /// File-level: the file is not text (a binary file, a spreadsheet, an image...).
    BinaryFile,
    /// File-level: the encoding label given by the user is not a known WHATWG label.
    UnknownEncoding,
    /// File-level: the delimiter given by the user cannot be used.
    InvalidDelimiter,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::MissingEmail,
        ErrorCode::InvalidEmail,
        ErrorCode::EmailTooLong,
        ErrorCode::InvalidAcceptsMarketing,
        ErrorCode::FieldTooLong,
        ErrorCode::TooManyColumns,
        ErrorCode::UnbalancedQuote,
        ErrorCode::InvalidEncoding,
        ErrorCode::DuplicateEmail,
        ErrorCode::RaggedRow,
        ErrorCode::EmptyFile,
        ErrorCode::BinaryFile,
        ErrorCode::UnknownEncoding,
        ErrorCode::InvalidDelimiter,
    ];

    /// The code as the contract spells it (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingEmail => "missing_email",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::EmailTooLong => "email_too_long",
            ErrorCode::InvalidAcceptsMarketing => "invalid_accepts_marketing",
            ErrorCode::FieldTooLong => "field_too_long",
            ErrorCode::TooManyColumns => "too_many_columns",
            ErrorCode::UnbalancedQuote => "unbalanced_quote",
            ErrorCode::InvalidEncoding => "invalid_encoding",
            ErrorCode::DuplicateEmail => "duplicate_email",
            ErrorCode::RaggedRow => "ragged_row",
            ErrorCode::EmptyFile => "empty_file",
            ErrorCode::BinaryFile => "binary_file",
            ErrorCode::UnknownEncoding => "unknown_encoding",
            ErrorCode::InvalidDelimiter => "invalid_delimiter",
        }
    }

    /// The reverse of [`ErrorCode::as_str`].
    pub fn parse(s: &str) -> Option<ErrorCode> {
        crate::wire::parse(s)
    }
}

impl crate::wire::WireName for ErrorCode {
    const VARIANTS: &'static [Self] = &ErrorCode::ALL;
    const KIND: &'static str = "error code";
    fn wire(self) -> &'static str {
        self.as_str()
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::deserialize(d)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a [`FieldError`](crate::api::FieldError)'s sentence says beyond its code: the values
/// a message in any language is written from (see [`crate::messages`]). Serialised as the
/// contract's `params` object; members that do not apply are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorParams {
    /// The limit that was passed (characters, bytes or cells; `detail` says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// How many there were (characters, bytes or cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<u64>,
    /// The other line named: the later row of a `duplicate_email`, the line of an
    /// `unbalanced_quote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The value at fault, shortened with "…" (an email, a consent cell, an encoding label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Which case of the code it is (why an email is invalid, what a binary file looks like,
    /// the unit of a length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

impl ErrorParams {
    /// Limit and actual count of a length, in the unit `detail` names.
    pub fn length(limit: usize, actual: usize, detail: Detail) -> ErrorParams {
        ErrorParams {
            limit: Some(limit as u64),
            actual: Some(actual as u64),
            detail: Some(detail),
            ..ErrorParams::default()
        }
    }

    /// Just the value at fault.
    pub fn value(value: String) -> ErrorParams {
        ErrorParams {
            value: Some(value),
            ..ErrorParams::default()
        }
    }
}

/// The case of an [`ErrorCode`] ([`ErrorParams::detail`]), spelled in snake_case in the
/// contract. New cases may be added; a reader that does not know one falls back to the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    // Why an email is invalid.
    HasSpaces,
    NoAt,
    NothingBeforeAt,
    NoDomain,
    MisplacedDot,
    SeveralAt,
    BadLocalCharacters,
    BadDomain,
    DomainWithoutDot,
    DomainEndsInNumber,
    /// `email_too_long`: the part before the @ is over its limit (else the whole address).
    LocalPart,
    /// `invalid_accepts_marketing`: the value mapping marks the value as an error.
    MappedToError,
    // The unit of `field_too_long`'s limit and count; `cut`: over `limit` bytes, cut there.
    Characters,
    Bytes,
    Cut,
    // What a `binary_file` looks like.
    Xlsx,
    Xls,
    Pdf,
    Png,
    Jpeg,
    Gif,
    Gzip,
    Sqlite,
    BinaryData,
}

impl Detail {
    pub const ALL: [Detail; 24] = [
        Detail::HasSpaces,
        Detail::NoAt,
        Detail::NothingBeforeAt,
        Detail::NoDomain,
        Detail::MisplacedDot,
        Detail::SeveralAt,
        Detail::BadLocalCharacters,
        Detail::BadDomain,
        Detail::DomainWithoutDot,
        Detail::DomainEndsInNumber,
        Detail::LocalPart,
        Detail::MappedToError,
        Detail::Characters,
        Detail::Bytes,
        Detail::Cut,
        Detail::Xlsx,
        Detail::Xls,
        Detail::Pdf,
        Detail::Png,
        Detail::Jpeg,
        Detail::Gif,
        Detail::Gzip,
        Detail::Sqlite,
        Detail::BinaryData,
    ];

    /// The case as the contract spells it (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::HasSpaces => "has_spaces",
            Detail::NoAt => "no_at",
            Detail::NothingBeforeAt => "nothing_before_at",
            Detail::NoDomain => "no_domain",
            Detail::MisplacedDot => "misplaced_dot",
            Detail::SeveralAt => "several_at",
            Detail::BadLocalCharacters => "bad_local_characters",
            Detail::BadDomain => "bad_domain",
            Detail::DomainWithoutDot => "domain_without_dot",
            Detail::DomainEndsInNumber => "domain_ends_in_number",
            Detail::LocalPart => "local_part",
            Detail::MappedToError => "mapped_to_error",
            Detail::Characters => "characters",
            Detail::Bytes => "bytes",
            Detail::Cut => "cut",
            Detail::Xlsx => "xlsx",
            Detail::Xls => "xls",
            Detail::Pdf => "pdf",
            Detail::Png => "png",
            Detail::Jpeg => "jpeg",
            Detail::Gif => "gif",
            Detail::Gzip => "gzip",
            Detail::Sqlite => "sqlite",
            Detail::BinaryData => "binary_data",
        }
    }
}

impl crate::wire::WireName for Detail {
    const VARIANTS: &'static [Self] = &Detail::ALL;
    const KIND: &'static str = "error detail";
    fn wire(self) -> &'static str {
        self.as_str()
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The strings of the contract, written out: a renamed variant must not change them.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_code_keeps_its_string() {
        let old = [
            (ErrorCode::MissingEmail, "missing_email"),
            (ErrorCode::InvalidEmail, "invalid_email"),
            (ErrorCode::EmailTooLong, "email_too_long"),
            (
                ErrorCode::InvalidAcceptsMarketing,
                "invalid_accepts_marketing",
            ),
            (ErrorCode::FieldTooLong, "field_too_long"),
            (ErrorCode::TooManyColumns, "too_many_columns"),
            (ErrorCode::UnbalancedQuote, "unbalanced_quote"),
            (ErrorCode::InvalidEncoding, "invalid_encoding"),
            (ErrorCode::DuplicateEmail, "duplicate_email"),
            (ErrorCode::RaggedRow, "ragged_row"),
            (ErrorCode::EmptyFile, "empty_file"),
            (ErrorCode::BinaryFile, "binary_file"),
            (ErrorCode::UnknownEncoding, "unknown_encoding"),
            (ErrorCode::InvalidDelimiter, "invalid_delimiter"),
        ];
        assert_eq!(old.len(), ErrorCode::ALL.len());
        for (code, s) in old {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{s}\""));
            assert_eq!(code.as_str(), s);
            assert_eq!(code.to_string(), s);
            assert_eq!(ErrorCode::parse(s), Some(code));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&format!("\"{s}\"")).unwrap(),
                code
            );
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }
}
