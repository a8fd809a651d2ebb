//! Email addresses: [`Email::parse`] is the only way to build one. Invariant: two addresses
//! are the same customer exactly when their [`Email::key`]s are equal.

use super::{MAX_EMAIL_OCTETS, MAX_LOCAL_OCTETS, err};
use crate::api::FieldError;
use crate::codes::{Detail, ErrorCode, ErrorParams};
use crate::field::Field;
use crate::text::{clean_line, ellipsis};

/// A valid, normalised email address.
///
/// - [`Email::as_str`] is the form to store and display: lowercase, the domain in its Unicode
///   (NFC, lowercase) form, e.g. `ivan@пример.бг`.
/// - [`Email::key`] is the dedupe key: lowercase local part and the domain in its ASCII
///   (punycode) form, e.g. `ivan@xn--e1afmkfd.xn--90ae`. Two emails are the same customer
///   exactly when their keys are equal.
///
/// The accepted shape is practical rather than full RFC 5322: a dot-atom local part of ASCII
/// `atext` characters (no quoted local parts, no leading, trailing or double dots), and a
/// domain of at least two labels that passes IDNA (UTS #46, STD3 rules, DNS lengths) with a
/// non-numeric top-level label. Surrounding whitespace, a `mailto:` prefix and enclosing
/// `<...>` are removed; inner whitespace is an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email {
    /// The display form when it differs from the key (IDN domains).
    pub(super) display: Option<String>,
    pub(super) key: String,
}

/// RFC 5322 `atext` (ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~``), as a table.
const ATEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric();
        c += 1;
    }
    let extra = b"!#$%&'*+-/=?^_`{|}~";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_atext(c: u8) -> bool {
    ATEXT[usize::from(c)]
}

/// Why an email is invalid, as the English message says it (the catalog in
/// [`crate::messages`] writes the same words).
pub(crate) fn invalid_email_why(why: Detail) -> &'static str {
    match why {
        Detail::HasSpaces => "it contains spaces",
        Detail::NoAt => "it has no @",
        Detail::NothingBeforeAt => "nothing before the @",
        Detail::NoDomain => "no domain after the @",
        Detail::MisplacedDot => "the part before the @ has a misplaced dot",
        Detail::SeveralAt => "it has more than one @",
        Detail::BadLocalCharacters => "the part before the @ has characters that are not allowed",
        Detail::DomainWithoutDot => "the domain has no dot (like example.com)",
        Detail::DomainEndsInNumber => "the domain ends in a number",
        _ => "the domain is not a valid domain name",
    }
}

/// What one pass over an ASCII domain found.
enum DomainCheck {
    /// Letters, digits and inner hyphens in labels of 1..=63, at least two labels, a
    /// non-numeric last label.
    Valid,
    /// A punycode (`xn--`) label: let IDNA validate it.
    Punycode,
    Invalid(Detail),
}

/// Bytes of an ASCII domain label: letters and hyphens (1), digits (2); the dot is 3.
const DOMAIN_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'-' {
            1
        } else if b.is_ascii_digit() {
            2
        } else if b == b'.' {
            3
        } else {
            0
        };
        c += 1;
    }
    t
};

fn check_ascii_domain(d: &[u8]) -> DomainCheck {
    const BAD: DomainCheck = DomainCheck::Invalid(Detail::BadDomain);
    let (mut labels, mut start, mut punycode) = (0usize, 0usize, false);
    let mut last_all_digits;
    let mut i = 0;
    loop {
        // One label: letters, digits and hyphens up to the next dot or the end.
        let mut all_digits = true;
        while i < d.len() {
            match DOMAIN_BYTE[usize::from(d[i])] {
                1 => all_digits = false,
                2 => {}
                3 => break,
                _ => return BAD,
            }
            i += 1;
        }
        let label = &d[start..i];
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
        {
            return BAD;
        }
        punycode |= label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--");
        labels += 1;
        last_all_digits = all_digits;
        if i == d.len() {
            break;
        }
        i += 1;
        start = i;
    }
    if labels < 2 {
        DomainCheck::Invalid(Detail::DomainWithoutDot)
    } else if last_all_digits {
        DomainCheck::Invalid(Detail::DomainEndsInNumber)
    } else if punycode {
        DomainCheck::Punycode
    } else {
        DomainCheck::Valid
    }
}

impl Email {
    /// Parses and normalises an email address (see the type's docs for the rules).
    /// Errors: `missing_email` (empty), `invalid_email`, `email_too_long`.
    pub fn parse(input: &str) -> Result<Email, FieldError> {
        Self::parse_cleaned(&clean_line(input))
    }

    /// [`Email::parse`] of a value already passed through [`clean_line`].
    pub(crate) fn parse_cleaned(cleaned: &str) -> Result<Email, FieldError> {
        let mut key = String::new();
        let display = Self::parse_into(cleaned, &mut key)?;
        Ok(Email { display, key })
    }

    /// The work of [`Email::parse_cleaned`], writing the key into a buffer the caller reuses
    /// (the reader's hot path allocates nothing here). Returns the display form when it
    /// differs from the key.
    pub(crate) fn parse_into(
        cleaned: &str,
        key: &mut String,
    ) -> Result<Option<String>, FieldError> {
        if Self::parse_plain(cleaned, key) {
            return Ok(None);
        }
        Self::parse_general(cleaned, key)
    }

    /// The common case in one pass: a plain ASCII address (`local@domain.tld`, no prefix,
    /// brackets, spaces, IDN or punycode) that is valid. Writes its key and returns true;
    /// returns false, with `key` in any state, for everything else, which
    /// [`Email::parse_general`] then decides (so the result is always the general one).
    #[inline]
    fn parse_plain(s: &str, key: &mut String) -> bool {
        let b = s.as_bytes();
        if b.len() > MAX_EMAIL_OCTETS {
            return false;
        }
        // The local part: atext and single inner dots up to the first `@` (`mailto:`, `<`, a
        // space or a second `@` are not atext, nor allowed in the domain: general path).
        let mut i = 0;
        let mut prev_dot = true;
        while let Some(&c) = b.get(i) {
            if c == b'.' {
                if prev_dot {
                    return false;
                }
                prev_dot = true;
            } else if is_atext(c) {
                prev_dot = false;
            } else {
                break;
            }
            i += 1;
        }
        if prev_dot || i > MAX_LOCAL_OCTETS || b.get(i) != Some(&b'@') {
            return false;
        }
        if !matches!(check_ascii_domain(&b[i + 1..]), DomainCheck::Valid) {
            return false;
        }
        key.clear();
        key.push_str(s);
        key.make_ascii_lowercase();
        true
    }

    /// [`Email::parse_into`] for every address.
    fn parse_general(cleaned: &str, key: &mut String) -> Result<Option<String>, FieldError> {
        let mut s: &str = cleaned;
        if s.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            s = &s[7..];
        }
        if let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            s = inner.trim();
        }
        let shown = || ellipsis(s, 80);
        let invalid = |why: Detail| {
            let shown = shown();
            err(
                Field::Email,
                ErrorCode::InvalidEmail,
                format!(
                    "Email \"{shown}\" is not a valid address: {}.",
                    invalid_email_why(why)
                ),
                Some(ErrorParams {
                    value: Some(shown.into_owned()),
                    detail: Some(why),
                    ..ErrorParams::default()
                }),
            )
        };
        if s.is_empty() {
            return Err(err(
                Field::Email,
                ErrorCode::MissingEmail,
                "Email is required, but this row has none.".into(),
                None,
            ));
        }
        // Cleaning turned every whitespace run into one space. One pass for the space and
        // the last `@` (addresses are short: a byte loop beats two searches).
        let mut last_at = None;
        for (i, &c) in s.as_bytes().iter().enumerate() {
            if c == b' ' {
                return Err(invalid(Detail::HasSpaces));
            }
            if c == b'@' {
                last_at = Some(i);
            }
        }
        let Some(at) = last_at else {
            return Err(invalid(Detail::NoAt));
        };
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() {
            return Err(invalid(Detail::NothingBeforeAt));
        }
        if domain.is_empty() {
            return Err(invalid(Detail::NoDomain));
        }
        if local.len() > MAX_LOCAL_OCTETS {
            return Err(err(
                Field::Email,
                ErrorCode::EmailTooLong,
                format!(
                    "Email \"{}\" is too long: the part before the @ has {} characters, at most {MAX_LOCAL_OCTETS} are allowed.",
                    shown(),
                    local.len()
                ),
                Some(ErrorParams {
                    value: Some(shown().into_owned()),
                    ..ErrorParams::length(MAX_LOCAL_OCTETS, local.len(), Detail::LocalPart)
                }),
            ));
        }
        let mut prev_dot = true; // a leading dot is misplaced
        for &c in local.as_bytes() {
            if c == b'.' {
                if prev_dot {
                    return Err(invalid(Detail::MisplacedDot));
                }
                prev_dot = true;
            } else if is_atext(c) {
                prev_dot = false;
            } else {
                return Err(invalid(if c == b'@' {
                    Detail::SeveralAt
                } else {
                    Detail::BadLocalCharacters
                }));
            }
        }
        if prev_dot {
            return Err(invalid(Detail::MisplacedDot));
        }
        // Domain: one pass for ASCII, IDNA otherwise (and for punycode labels, to validate
        // them).
        let needs_idna = !domain.is_ascii()
            || match check_ascii_domain(domain.as_bytes()) {
                DomainCheck::Valid => false,
                DomainCheck::Punycode => true,
                DomainCheck::Invalid(why) => return Err(invalid(why)),
            };
        // The ASCII form (borrowed: lowercased while building the key) and, for IDNs, the
        // Unicode form.
        let (ascii, unicode): (std::borrow::Cow<'_, str>, Option<String>) = if needs_idna {
            let ascii =
                idna::domain_to_ascii_strict(domain).map_err(|_| invalid(Detail::BadDomain))?;
            let (unicode, res) = idna::domain_to_unicode(&ascii);
            if res.is_err() {
                return Err(invalid(Detail::BadDomain));
            }
            let unicode = (unicode != ascii).then_some(unicode);
            (ascii.into(), unicode)
        } else {
            (domain.into(), None)
        };
        if needs_idna && let DomainCheck::Invalid(why) = check_ascii_domain(ascii.as_bytes()) {
            return Err(invalid(why));
        }
        let total = local.len() + 1 + ascii.len();
        if total > MAX_EMAIL_OCTETS {
            return Err(err(
                Field::Email,
                ErrorCode::EmailTooLong,
                format!(
                    "Email \"{}\" is too long: {total} characters, at most {MAX_EMAIL_OCTETS} are allowed.",
                    shown()
                ),
                Some(ErrorParams {
                    value: Some(shown().into_owned()),
                    ..ErrorParams::length(MAX_EMAIL_OCTETS, total, Detail::Characters)
                }),
            ));
        }
        key.clear();
        key.reserve(total);
        key.push_str(local);
        key.push('@');
        key.push_str(&ascii);
        key.make_ascii_lowercase();
        Ok(unicode.map(|u| format!("{}@{u}", &key[..local.len()])))
    }

    /// The normalised address to store and display.
    pub fn as_str(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.key)
    }

    /// The dedupe key (lowercase, punycode domain).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The display form and the key, owned (one copy of the key when they are the same).
    pub fn into_parts(self) -> (String, String) {
        let display = self.display.unwrap_or_else(|| self.key.clone());
        (display, self.key)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Email, FieldError>) -> String {
        match r {
            Ok(e) => format!("ok {} {}", e.as_str(), e.key()),
            Err(e) => e.code.to_string(),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn emails() {
        let cases = [
            ("ivan@example.com", "ok ivan@example.com ivan@example.com"),
            (
                "  IVAN@Example.COM ",
                "ok ivan@example.com ivan@example.com",
            ),
            ("<ivan@x.bg>", "ok ivan@x.bg ivan@x.bg"),
            ("mailto:ivan@x.bg", "ok ivan@x.bg ivan@x.bg"),
            ("иван@x.bg", "invalid_email"),
            (
                "ivan@пример.бг",
                "ok ivan@пример.бг ivan@xn--e1afmkfd.xn--90ae",
            ),
            (
                "Ivan@ПРИМЕР.БГ",
                "ok ivan@пример.бг ivan@xn--e1afmkfd.xn--90ae",
            ),
            (
                "ivan@xn--e1afmkfd.xn--90ae",
                "ok ivan@пример.бг ivan@xn--e1afmkfd.xn--90ae",
            ),
            (
                "ivan@münchen.de",
                "ok ivan@münchen.de ivan@xn--mnchen-3ya.de",
            ),
            ("", "missing_email"),
            ("   ", "missing_email"),
            ("ivan", "invalid_email"),
            ("ivan@", "invalid_email"),
            ("@x.bg", "invalid_email"),
            ("iv an@x.bg", "invalid_email"),
            ("ivan@@x.bg", "invalid_email"),
            ("a@b@x.bg", "invalid_email"),
            ("ivan@localhost", "invalid_email"),
            ("ivan@1.2.3.4", "invalid_email"),
            (".ivan@x.bg", "invalid_email"),
            ("iv..an@x.bg", "invalid_email"),
            ("ivan@-x.bg", "invalid_email"),
            ("ivan@x_y.bg", "invalid_email"),
            ("ivan+tag@x.bg", "ok ivan+tag@x.bg ivan+tag@x.bg"),
            ("o'brien@x.ie", "ok o'brien@x.ie o'brien@x.ie"),
        ];
        for (input, want) in cases {
            assert_eq!(code(Email::parse(input)), want, "{input:?}");
        }
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@x.bg")).is_ok());
        assert_eq!(
            code(Email::parse(&format!("a{local64}@x.bg"))),
            "email_too_long"
        );
        let long_domain = format!(
            "{}.{}.{}.bg",
            "d".repeat(63),
            "e".repeat(63),
            "f".repeat(60)
        );
        let e = format!("{local64}@{long_domain}");
        assert!(e.len() > 254);
        assert_eq!(code(Email::parse(&e)), "email_too_long");
    }

    proptest::proptest! {
        /// The one-pass path for plain addresses gives what the general path gives.
        #[test]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn plain_email_path_matches_the_general_one(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "Z", "9", "-", ".", "@", "_", "+", " ", "<", ">", "xn--", "mailto:",
                    "ü", "п", "com", "bg", "1", "'", ":", "..",
                ]),
                0..24,
            ),
            long in 0usize..3,
        ) {
            let mut s = parts.concat();
            if long == 1 {
                s.insert_str(0, &"a".repeat(60));
            } else if long == 2 {
                s.push_str(&".abcdefghij".repeat(24));
            }
            let mut key = String::new();
            if Email::parse_plain(&s, &mut key) {
                let mut general = String::new();
                proptest::prop_assert_eq!(Email::parse_general(&s, &mut general), Ok(None));
                proptest::prop_assert_eq!(key, general);
            }
        }
    }
}
