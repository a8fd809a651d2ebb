//! Marketing consent cells: the words of the vocabularies ([`super::vocab`]). Invariant: a cell
//! that is not one of the words is an error, never a silent `false`.

use super::err;
use crate::api::FieldError;
use crate::codes::{ErrorCode, ErrorParams};
use crate::field::Field;
use crate::text::ellipsis;

pub use super::vocab::{CONSENT_NO, CONSENT_YES, fold_consent, vocabulary_meaning};

/// Longest folded word of the vocabularies fits in this many bytes: a longer cell is none.
const FOLD_BYTES: usize = 48;

/// [`fold_consent`] into a stack buffer (the row loop allocates nothing): `None` when the
/// folded cell is longer than any word of the vocabularies.
fn fold_small<'b>(s: &str, buf: &'b mut [u8; FOLD_BYTES]) -> Option<&'b str> {
    let mut n = 0;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '_' || c == '-' {
            space = n > 0;
            continue;
        }
        if space {
            *buf.get_mut(n)? = b' ';
            n += 1;
            space = false;
        }
        for l in c.to_lowercase() {
            let len = l.len_utf8();
            l.encode_utf8(buf.get_mut(n..n + len)?);
            n += len;
        }
    }
    std::str::from_utf8(&buf[..n]).ok()
}

/// What the vocabularies say a cell means (any case, spacing, `_` or `-`): `None` when
/// the cell is blank or in none of them.
pub fn consent_meaning(s: &str) -> Option<bool> {
    let mut buf = [0u8; FOLD_BYTES];
    fold_small(s, &mut buf).and_then(vocabulary_meaning)
}

/// The ASCII words of [`CONSENT_YES`] and [`CONSENT_NO`] in any case: by length, then one
/// case-insensitive comparison (no list walk, no lowercased copy).
fn ascii_consent(t: &[u8]) -> Option<bool> {
    let is = |w: &[u8]| t.eq_ignore_ascii_case(w);
    let (yes, no): (&[u8], &[u8]) = match t.len() {
        1 => {
            return match t[0].to_ascii_lowercase() {
                b'y' | b'1' | b'x' => Some(true),
                b'n' | b'0' => Some(false),
                _ => None,
            };
        }
        2 => (b"on", b"no"),
        3 => (b"yes", b"off"),
        4 => (b"true", b""),
        5 => (b"", b"false"),
        10 => (b"subscribed", b""),
        12 => (b"", b"unsubscribed"),
        // The other words go the general way (folded, then looked up).
        _ => return None,
    };
    if is(yes) {
        Some(true)
    } else if is(no) {
        Some(false)
    } else {
        None
    }
}

/// The Cyrillic words of [`CONSENT_YES`] and [`CONSENT_NO`] in any case, without character
/// decoding: `None` unless `t` is one of them written in the basic Cyrillic letters
/// (U+0410-U+044F, whose lowercase is a fixed offset away); other values go the general way.
fn cyrillic_consent(t: &str) -> Option<bool> {
    let b = t.as_bytes();
    if b.len() > 4 || !b.len().is_multiple_of(2) {
        return None;
    }
    let mut lower = [0u8; 4];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let (lead, cont) = (pair[0], pair[1]);
        let (l, c) = match (lead, cont) {
            // А-П -> а-п, Р-Я -> р-я.
            (0xD0, 0x90..=0x9F) => (0xD0, cont + 0x20),
            (0xD0, 0xA0..=0xAF) => (0xD1, cont - 0x20),
            (0xD0, 0xB0..=0xBF) | (0xD1, 0x80..=0x8F) => (lead, cont),
            _ => return None,
        };
        lower[2 * i] = l;
        lower[2 * i + 1] = c;
    }
    match &lower[..b.len()] {
        // да, д
        [0xD0, 0xB4, 0xD0, 0xB0] | [0xD0, 0xB4] => Some(true),
        // не, н
        [0xD0, 0xBD, 0xD0, 0xB5] | [0xD0, 0xBD] => Some(false),
        _ => None,
    }
}

/// Parses a marketing-consent cell: a word of the vocabularies (yes/no, y/n, true/false,
/// 1/0, да/не, on/off, `x` for a ticked box, and the words of Klaviyo, Mailchimp, HubSpot,
/// Shopify, MailPoet and Bulgarian exports: see [`super::vocab`]) -> `Some(bool)`; empty ->
/// `None`. Anything else is an `invalid_accepts_marketing` error, never a silent `false`.
pub fn parse_consent(s: &str) -> Result<Option<bool>, FieldError> {
    let t = if s.is_ascii() {
        // The common case: no character decoding. For ASCII, `str::trim`'s whitespace is
        // exactly this set and `char::to_lowercase` is `to_ascii_lowercase`.
        let ws = |c: &u8| matches!(c, b'\t'..=b'\r' | b' ');
        let b = s.as_bytes();
        let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
        let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
        let t = &s[start..end];
        if t.is_empty() {
            return Ok(None);
        }
        if let Some(v) = ascii_consent(t.as_bytes()) {
            return Ok(Some(v));
        }
        t
    } else {
        let t = crate::text::trim_fast(s);
        if let Some(v) = cyrillic_consent(t) {
            return Ok(Some(v));
        }
        t
    };
    if t.is_empty() {
        return Ok(None);
    }
    // Folded into a small stack buffer: every word of the vocabularies fits, so a value
    // that does not is not one of them (and nothing is allocated).
    if let Some(v) = consent_meaning(t) {
        return Ok(Some(v));
    }
    let shown = ellipsis(t, 40);
    Err(err(
        Field::AcceptsMarketing,
        ErrorCode::InvalidAcceptsMarketing,
        format!(
            "Accepts marketing must be yes or no (or true/false, 1/0, да/не, subscribed/unsubscribed, or empty), not \"{shown}\"."
        ),
        Some(ErrorParams::value(shown.into_owned())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn consent() {
        for (s, want) in [
            ("yes", Some(true)),
            ("YES", Some(true)),
            (" y ", Some(true)),
            ("True", Some(true)),
            ("1", Some(true)),
            ("Да", Some(true)),
            ("subscribed", Some(true)),
            ("no", Some(false)),
            ("N", Some(false)),
            ("false", Some(false)),
            ("0", Some(false)),
            ("НЕ", Some(false)),
            ("Unsubscribed", Some(false)),
            ("", None),
            ("  ", None),
        ] {
            assert_eq!(parse_consent(s).unwrap(), want, "{s:?}");
        }
        for s in ["maybe", "2", "yess", "nope", "-"] {
            assert_eq!(
                parse_consent(s).unwrap_err().code.as_str(),
                "invalid_accepts_marketing",
                "{s:?}"
            );
        }
    }

    /// Every word of every platform's export, as that platform writes it: the decision
    /// table of [`super::super::vocab`].
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_vocabulary_value() {
        let table: &[(&str, &[&str], &[&str])] = &[
            (
                "generic",
                &["yes", "Y", "TRUE", "1", "x", "On"],
                &["no", "N", "False", "0", "off"],
            ),
            (
                "klaviyo",
                &["SUBSCRIBED"],
                &["NEVER_SUBSCRIBED", "UNSUBSCRIBED", "never subscribed"],
            ),
            (
                "mailchimp",
                &["subscribed"],
                &[
                    "unsubscribed",
                    "cleaned",
                    "pending",
                    "transactional",
                    "archived",
                ],
            ),
            (
                "hubspot",
                &["Marketing contact", "Opted in", "opt-in", "OPT_IN", "optin"],
                &[
                    "Non-marketing contact",
                    "NON_MARKETING_CONTACT",
                    "Opted out",
                    "opt-out",
                    "optout",
                ],
            ),
            (
                "shopify",
                &["yes", "SUBSCRIBED"],
                &[
                    "no",
                    "NOT_SUBSCRIBED",
                    "not subscribed",
                    "UNSUBSCRIBED",
                    "PENDING",
                    "REDACTED",
                    "INVALID",
                ],
            ),
            (
                "mailpoet",
                &["subscribed"],
                &["unconfirmed", "unsubscribed", "bounced", "inactive"],
            ),
            (
                "bulgarian",
                &[
                    "да",
                    "Д",
                    "ДА",
                    "Абониран",
                    "абонирана",
                    "Съгласен",
                    "съгласна",
                ],
                &[
                    "не",
                    "Н",
                    "неабониран",
                    "Неабонирана",
                    "не е абониран",
                    "Не е  абонирана",
                    "отписан",
                    "Отписана",
                    "несъгласен",
                    "несъгласна",
                ],
            ),
        ];
        for (source, yes, no) in table {
            for (words, want) in [(*yes, true), (*no, false)] {
                for w in words {
                    assert_eq!(parse_consent(w).unwrap(), Some(want), "{source}: {w:?}");
                    let padded = format!("  {w}\t");
                    assert_eq!(parse_consent(&padded).unwrap(), Some(want), "{source}");
                }
            }
        }
        // Every word of the lists is reached, in any case.
        for (words, want) in [(CONSENT_YES, true), (CONSENT_NO, false)] {
            for w in words {
                assert_eq!(parse_consent(w).unwrap(), Some(want), "{w}");
                assert_eq!(parse_consent(&w.to_uppercase()).unwrap(), Some(want), "{w}");
            }
        }
        // Unknown values stay errors, with the value in the message.
        for s in ["SPAM_COMPLAINT", "unknown", "n/a", "subscribe", "?", "абон"] {
            let e = parse_consent(s).unwrap_err();
            assert_eq!(e.code.as_str(), "invalid_accepts_marketing", "{s:?}");
            assert!(e.message.contains(s), "{s:?}: {}", e.message);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn folding() {
        let mut out = String::new();
        for (s, want) in [
            ("  NEVER_SUBSCRIBED ", "never subscribed"),
            ("Non-Marketing   contact", "non marketing contact"),
            ("Не Е абониран", "не е абониран"),
            ("-", ""),
            ("", ""),
        ] {
            fold_consent(s, &mut out);
            assert_eq!(out, want, "{s:?}");
            let mut buf = [0u8; FOLD_BYTES];
            assert_eq!(fold_small(s, &mut buf), Some(want), "{s:?}");
        }
        let mut buf = [0u8; FOLD_BYTES];
        assert_eq!(fold_small(&"x".repeat(FOLD_BYTES + 1), &mut buf), None);
        // Every word of the lists is written folded and fits the stack buffer.
        for w in CONSENT_YES.iter().chain(CONSENT_NO) {
            fold_consent(w, &mut out);
            assert_eq!(&out, w);
            assert!(w.len() <= FOLD_BYTES, "{w}");
        }
        assert!(CONSENT_YES.iter().all(|w| !CONSENT_NO.contains(w)));
    }

    /// The fast paths (ASCII words by length, Cyrillic да/не) agree with the lists.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fast_paths_agree_with_the_lists() {
        for (words, want) in [(CONSENT_YES, true), (CONSENT_NO, false)] {
            for w in words {
                for v in [w.to_string(), w.to_uppercase()] {
                    if let Some(got) = ascii_consent(v.as_bytes()) {
                        assert_eq!(got, want, "{v}");
                    }
                    if let Some(got) = cyrillic_consent(&v) {
                        assert_eq!(got, want, "{v}");
                    }
                }
            }
        }
        // Every basic Cyrillic letter lowercases as `char::to_lowercase` does.
        for c in '\u{410}'..='\u{44F}' {
            for w in ["д", "н"] {
                for v in [format!("{w}{c}"), c.to_string()] {
                    if let Some(got) = cyrillic_consent(&v) {
                        assert_eq!(Some(got), vocabulary_meaning(&v.to_lowercase()), "{v}");
                    }
                }
            }
        }
        for w in ["да", "д", "не", "н"] {
            assert!(cyrillic_consent(w).is_some(), "{w}");
        }
        assert_eq!(cyrillic_consent("дa"), None);
        for w in [
            "yes",
            "no",
            "true",
            "false",
            "on",
            "off",
            "subscribed",
            "unsubscribed",
        ] {
            assert!(ascii_consent(w.as_bytes()).is_some(), "{w}");
        }
    }
}
