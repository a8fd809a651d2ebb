//! Marketing consent cells: the yes/no words in English and Bulgarian. Invariant: a cell
//! that is not one of the words is an error, never a silent `false`.

use super::err;
use crate::api::FieldError;
use crate::codes::ErrorCode;
use crate::field::Field;
use crate::text::ellipsis;

/// The words accepted for marketing consent (compared case-insensitively after trimming).
pub const CONSENT_YES: &[&str] = &["yes", "y", "true", "1", "да", "д", "subscribed", "on", "x"];
/// See [`CONSENT_YES`].
pub const CONSENT_NO: &[&str] = &[
    "no",
    "n",
    "false",
    "0",
    "не",
    "н",
    "unsubscribed",
    "not subscribed",
    "not_subscribed",
    "off",
];

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
        14 => {
            return (is(b"not subscribed") || is(b"not_subscribed")).then_some(false);
        }
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

/// Parses a marketing-consent cell: yes/no, y/n, true/false, 1/0, да/не, д/н,
/// subscribed/unsubscribed/not subscribed, on/off, `x` (a ticked box) -> `Some(bool)`; empty
/// -> `None`. Anything else is an `invalid_accepts_marketing` error, never a silent `false`.
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
    // Lowercase into a small stack buffer: every accepted word fits, so a value that does
    // not is not one of them (and nothing is allocated).
    let mut buf = [0u8; 16];
    let mut n = 0;
    let mut fits = true;
    'chars: for c in t.chars() {
        for l in c.to_lowercase() {
            if n + l.len_utf8() > buf.len() {
                fits = false;
                break 'chars;
            }
            n += l.encode_utf8(&mut buf[n..]).len();
        }
    }
    if fits && let Ok(lower) = std::str::from_utf8(&buf[..n]) {
        if CONSENT_YES.contains(&lower) {
            return Ok(Some(true));
        }
        if CONSENT_NO.contains(&lower) {
            return Ok(Some(false));
        }
    }
    Err(err(
        Field::AcceptsMarketing,
        ErrorCode::InvalidAcceptsMarketing,
        format!(
            "Accepts marketing must be yes or no (or true/false, 1/0, да/не, subscribed/unsubscribed, or empty), not \"{}\".",
            ellipsis(t, 40)
        ),
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

    /// The `match` of the ASCII fast path holds exactly the ASCII words of the lists.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ascii_consent_matches_the_lists() {
        for (words, want) in [(CONSENT_YES, true), (CONSENT_NO, false)] {
            for w in words {
                let got = ascii_consent(w.as_bytes());
                if w.is_ascii() {
                    assert_eq!(got, Some(want), "{w}");
                    let upper = w.to_ascii_uppercase();
                    assert_eq!(ascii_consent(upper.as_bytes()), Some(want), "{w}");
                } else {
                    assert_eq!(got, None, "{w}");
                }
            }
        }
        for (words, want) in [(CONSENT_YES, true), (CONSENT_NO, false)] {
            for w in words.iter().filter(|w| !w.is_ascii()) {
                assert_eq!(cyrillic_consent(w), Some(want), "{w}");
                assert_eq!(cyrillic_consent(&w.to_uppercase()), Some(want), "{w}");
            }
        }
        // Every basic Cyrillic letter lowercases as `char::to_lowercase` does.
        for c in '\u{410}'..='\u{44F}' {
            for w in ["д", "н"] {
                for v in [format!("{w}{c}"), c.to_string()] {
                    let lower = v.to_lowercase();
                    let want = if CONSENT_YES.contains(&lower.as_str()) {
                        Some(true)
                    } else if CONSENT_NO.contains(&lower.as_str()) {
                        Some(false)
                    } else {
                        None
                    };
                    assert_eq!(cyrillic_consent(&v), want, "{v}");
                }
            }
        }
        assert_eq!(cyrillic_consent("дa"), None);
        let n = CONSENT_YES
            .iter()
            .chain(CONSENT_NO)
            .filter(|w| w.is_ascii())
            .count();
        let matched = [
            "yes",
            "y",
            "true",
            "1",
            "subscribed",
            "on",
            "x",
            "no",
            "n",
            "false",
            "0",
            "unsubscribed",
            "not subscribed",
            "not_subscribed",
            "off",
        ];
        assert_eq!(n, matched.len());
    }
}
