//! Text cleaning shared by the reader, the mapping rules and validation.
//!
//! Exists so that every path (browser worker, `intake inspect`, the server re-validating a
//! batch) cleans a cell the same way: the same characters removed, the same whitespace rules,
//! the same Unicode normal form (NFC). Fast paths return the input borrowed when nothing
//! needs to change, which is the common case for ASCII data.

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use std::borrow::Cow;

/// Characters dropped everywhere: NUL and other control characters (except the whitespace
/// ones, handled per field kind), the byte-order mark and zero-width spaces.
fn is_dropped(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}'))
        || matches!(c, '\u{FEFF}' | '\u{200B}')
}

fn to_nfc(s: String) -> String {
    if s.chars().all(is_plain_char) {
        return s;
    }
    match ComposingNormalizerBorrowed::new_nfc().normalize(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(n) => n,
    }
}

/// A printable character that cannot change under NFC (quick-check "yes", combining class 0)
/// and is not whitespace: ASCII, Latin-1 to Latin Extended, Cyrillic (without its combining
/// marks). A string of such characters is NFC already: no table lookups needed.
#[inline]
fn is_plain_char(c: char) -> bool {
    matches!(c, '\u{21}'..='\u{7E}' | '\u{A1}'..='\u{2FF}' | '\u{400}'..='\u{482}' | '\u{48A}'..='\u{52F}')
}

/// [`is_plain_char`] of a two-byte UTF-8 sequence `lead`, `cont` (every plain character
/// above ASCII is below U+0800, so it takes two bytes; a longer sequence is never plain).
#[inline]
fn is_plain_pair(lead: u8, cont: u8) -> bool {
    // By lead byte: C2 A1.. is U+00A1.., C3-CB U+00C0-U+02FF, D0 D1 U+0400-U+047F,
    // D2 80-82 and 8A.. U+0480-U+0482 and U+048A-U+04BF, D3 U+04C0-U+04FF, D4 ..AF
    // U+0500-U+052F.
    match lead {
        0xC3..=0xCB | 0xD0 | 0xD1 | 0xD3 => true,
        0xC2 => cont >= 0xA1,
        0xD2 => cont <= 0x82 || cont >= 0x8A,
        0xD4 => cont <= 0xAF,
        _ => false,
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// True if all eight bytes at `b[i..]` are ASCII in `low..=0x7E` (`low` <= 0x7E); false when
/// fewer than eight bytes are left.
#[inline]
fn ascii_word(b: &[u8], i: usize, low: u8) -> bool {
    let Some(word) = b.get(i..i + 8) else {
        return false;
    };
    let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
    // High bit set: not ASCII; below `low`: borrows; 0x7F: becomes 0x80 when 1 is added.
    let bad = (w | (w.wrapping_sub(ONES * u64::from(low)) & !w) | w.wrapping_add(ONES)) & HIGH;
    bad == 0
}

/// True if the eight bytes at `b[i..]` are four Cyrillic letters of U+0400-U+047F (lead
/// byte D0 or D1, then a continuation byte), which are all plain; false when fewer than
/// eight bytes are left. `i` must be at a character boundary.
#[inline]
fn cyrillic_word(b: &[u8], i: usize) -> bool {
    let Some(word) = b.get(i..i + 8) else {
        return false;
    };
    let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
    // Little-endian: the lead bytes are the even ones.
    w & 0xC0FE_C0FE_C0FE_C0FE == 0x80D0_80D0_80D0_80D0
}

/// Byte classes of the clean checks (see [`CLASS`]).
const PRINTABLE: u8 = 0;
const SPACE: u8 = 1;
const TAB_OR_LF: u8 = 2;
/// The lead byte of a two-byte character that is always plain.
const PLAIN_LEAD: u8 = 3;
/// The lead byte of a two-byte character that is plain depending on the next byte.
const CHECK_LEAD: u8 = 4;
const OTHER: u8 = 5;

/// The class of each byte: printable ASCII but the space, the space, `\t` and `\n`, and the
/// lead bytes of [`is_plain_pair`].
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0x21;
    while c < 0x7F {
        t[c] = PRINTABLE;
        c += 1;
    }
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = TAB_OR_LF;
    t[b'\n' as usize] = TAB_OR_LF;
    let mut c = 0xC3;
    while c <= 0xCB {
        t[c] = PLAIN_LEAD;
        c += 1;
    }
    t[0xD0] = PLAIN_LEAD;
    t[0xD1] = PLAIN_LEAD;
    t[0xD3] = PLAIN_LEAD;
    t[0xC2] = CHECK_LEAD;
    t[0xD2] = CHECK_LEAD;
    t[0xD4] = CHECK_LEAD;
    t
};

/// Flags of [`QUICK`]: a byte that is never in a clean value (a control character, a lead
/// byte of a character that is never plain), a lead byte whose character may or may not be
/// plain ([`CHECK_LEAD`]), the space, and `\t` or `\n`.
const Q_BAD: u8 = 1;
const Q_MAYBE: u8 = 2;
const Q_SPACE: u8 = 4;
const Q_TAB_LF: u8 = 8;

/// Per byte, what the quick checks need to know (continuation bytes are fine: `s` is UTF-8,
/// so each follows a lead byte, which is judged).
const QUICK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match CLASS[c] {
            PRINTABLE | PLAIN_LEAD => 0,
            SPACE => Q_SPACE,
            TAB_OR_LF => Q_TAB_LF | Q_BAD,
            CHECK_LEAD => Q_MAYBE,
            _ if c >= 0x80 && c < 0xC0 => 0,
            _ => Q_BAD,
        };
        c += 1;
    }
    t
};

/// True if `s` is already clean for a single-line field: plain characters (see
/// [`is_plain_char`]) separated by single spaces, with no outer spaces. Works on the bytes:
/// no character decoding, and no branch per byte (mixed Latin and Cyrillic text makes
/// per-byte branches mispredict): the byte flags are or-ed together; the rare lead bytes
/// that need their next byte looked at send the value to [`is_clean_line_exact`].
fn is_clean_line(s: &str) -> bool {
    let b = s.as_bytes();
    // Printable ASCII without spaces (an address, a Latin name), eight bytes at a time, the
    // last word overlapping the one before.
    if b.len() >= 8 {
        let mut i = 0;
        while i + 8 < b.len() && ascii_word(b, i, 0x21) {
            i += 8;
        }
        if i + 8 >= b.len() && ascii_word(b, b.len() - 8, 0x21) {
            return true;
        }
    }
    // A leading space counts as a double space.
    let (mut any, mut double, mut prev) = (0u8, 0u8, Q_SPACE);
    for &c in b {
        let q = QUICK[usize::from(c)];
        any |= q;
        double |= q & prev;
        prev = q;
    }
    if any & Q_BAD != 0 || double & Q_SPACE != 0 || prev & Q_SPACE != 0 && !b.is_empty() {
        return false;
    }
    any & Q_MAYBE == 0 || is_clean_line_exact(s)
}

/// True if a trimmed note needs no work: plain characters, spaces, `\n` and `\t` only.
/// Like [`is_clean_line`], without a branch per byte.
fn is_clean_note(s: &str) -> bool {
    let mut any = 0u8;
    for &c in s.as_bytes() {
        // `\t` and `\n` are fine in a note.
        let q = QUICK[usize::from(c)];
        any |= if q & Q_TAB_LF != 0 { 0 } else { q };
    }
    if any & Q_BAD != 0 {
        return false;
    }
    any & Q_MAYBE == 0 || is_clean_note_exact(s)
}

/// [`is_clean_line`] byte by byte (the exact check of the lead bytes in [`CHECK_LEAD`]); eight
/// bytes at a time through runs of printable ASCII or Cyrillic.
fn is_clean_line_exact(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut i = 0;
    while i < n {
        if ascii_word(b, i, 0x21) || cyrillic_word(b, i) {
            i += 8;
            continue;
        }
        let stop = (i + 8).min(n);
        while i < stop {
            let c = b[i];
            match CLASS[usize::from(c)] {
                PRINTABLE => i += 1,
                // Not the last byte (no outer spaces): a space follows or something else.
                SPACE if b[i + 1] != b' ' => i += 1,
                // `s` is UTF-8: a lead byte has its continuation byte.
                PLAIN_LEAD => i += 2,
                CHECK_LEAD if is_plain_pair(c, b[i + 1]) => i += 2,
                _ => return false,
            }
        }
    }
    true
}

/// [`is_clean_note`] byte by byte.
fn is_clean_note_exact(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        if ascii_word(b, i, 0x20) || cyrillic_word(b, i) {
            i += 8;
            continue;
        }
        let stop = (i + 8).min(n);
        while i < stop {
            let c = b[i];
            match CLASS[usize::from(c)] {
                PRINTABLE | SPACE | TAB_OR_LF => i += 1,
                PLAIN_LEAD => i += 2,
                CHECK_LEAD if is_plain_pair(c, b[i + 1]) => i += 2,
                _ => return false,
            }
        }
    }
    true
}

/// `s.trim()` (Unicode whitespace), without the character decoding when neither end can be
/// whitespace: printable ASCII, or a two-byte character with a lead byte from C3 (every
/// Unicode space above ASCII is U+0085, U+00A0 (lead byte C2) or at least three bytes long).
#[inline]
pub(crate) fn trim_fast(s: &str) -> &str {
    let b = s.as_bytes();
    let solid_start = |c: u8| c.wrapping_sub(0x21) < 0x5E || (0xC3..0xE0).contains(&c);
    let solid_end = match b {
        [.., lead, last] if *last >= 0x80 => (0xC3..0xE0).contains(lead),
        [.., last] => last.wrapping_sub(0x21) < 0x5E,
        [] => false,
    };
    match b.first() {
        Some(&c) if solid_start(c) && solid_end => s,
        _ => s.trim(),
    }
}

/// Cleans a single-line value (names, group, email): drops control characters, turns any
/// whitespace run (tabs, newlines, no-break spaces) into one space, trims, and applies NFC.
#[inline]
pub fn clean_line(s: &str) -> Cow<'_, str> {
    if is_clean_line(s) {
        Cow::Borrowed(s)
    } else {
        clean_line_slow(s)
    }
}

/// [`clean_line`] of a value that needs work.
#[inline(never)]
fn clean_line_slow(s: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if is_dropped(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    let out = to_nfc(out);
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// Cleans a note: keeps it as written except that control characters other than `\n` and
/// `\t` are removed (PostgreSQL rejects NUL), `\r\n` and a lone `\r` become `\n`, outer
/// whitespace is trimmed, and NFC is applied.
#[inline]
pub fn clean_note(s: &str) -> Cow<'_, str> {
    let trimmed = trim_fast(s);
    if is_clean_note(trimmed) {
        Cow::Borrowed(trimmed)
    } else {
        clean_note_slow(s, trimmed)
    }
}

/// [`clean_note`] of a value that needs work (`trimmed` is `s.trim()`).
#[inline(never)]
fn clean_note_slow<'s>(s: &'s str, trimmed: &str) -> Cow<'s, str> {
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
            continue;
        }
        if is_dropped(c) {
            continue;
        }
        out.push(c);
    }
    let out = to_nfc(out);
    let t = out.trim();
    if t == s {
        Cow::Borrowed(s)
    } else if t.len() == out.len() {
        Cow::Owned(out)
    } else {
        Cow::Owned(t.to_string())
    }
}

/// Whether a cell starting with `c` is taken as a formula by a spreadsheet: `=` `+` `-` `@`,
/// tab and carriage return, and the full-width and small forms of the four signs (U+FF1D
/// `＝`, U+FF0B `＋`, U+FF0D `－`, U+FF20 `＠`, U+FE66, U+FE62, U+FE63), which spreadsheets
/// with East Asian input or autocorrect turn into the ASCII ones.
pub fn is_formula_start(c: char) -> bool {
    matches!(
        c,
        '=' | '+'
            | '-'
            | '@'
            | '\t'
            | '\r'
            | '\u{FF1D}'
            | '\u{FF0B}'
            | '\u{FF0D}'
            | '\u{FF20}'
            | '\u{FE66}'
            | '\u{FE62}'
            | '\u{FE63}'
    )
}

/// True if the value must get a leading `'` on export: it starts with a formula trigger,
/// possibly after some `'` (so that the import's un-neutralising is an exact inverse).
pub fn needs_neutralising(s: &str) -> bool {
    s.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(is_formula_start)
}

/// Undoes the export's formula neutralising: a value of the form `'` + (a value that
/// [`needs_neutralising`]) loses its first `'`. Other values are unchanged.
pub fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_neutralising(rest) => rest,
        _ => s,
    }
}

/// Normalises a column header or keyword for matching: lowercase, no diacritics (Cyrillic
/// letters like `й` keep their base letter), punctuation and underscores as spaces, spaces
/// collapsed.
pub fn fold_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in DecomposingNormalizerBorrowed::new_nfd().normalize_iter(s.chars()) {
        if is_combining_mark(c) || is_dropped(c) {
            continue;
        }
        let mapped = if c.is_alphanumeric() {
            Some(c)
        } else if c == '\'' || c == '\u{2019}' {
            // "Manager's Name" -> "managers name"
            continue;
        } else {
            None
        };
        match mapped {
            Some(c) => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                for l in c.to_lowercase() {
                    out.push(l);
                }
            }
            None => pending_space = !out.is_empty(),
        }
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Cuts `s` to at most `max` characters for use in messages, adding `…` when cut.
pub fn ellipsis(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn clean_line_collapses_and_trims() {
        assert_eq!(clean_line("  Ivan \t  Petrov\n"), "Ivan Petrov");
        assert_eq!(clean_line("A\u{0}B"), "AB");
        assert_eq!(clean_line("\u{FEFF}Име"), "Име");
        assert_eq!(clean_line("Jose\u{301}"), "Jos\u{e9}");
        assert!(matches!(clean_line("plain text"), Cow::Borrowed(_)));
        assert_eq!(clean_line("a\u{a0}\u{a0}b"), "a b");
    }

    /// The byte-level checks agree with the character-level definition.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fast_checks_match_the_definition() {
        fn slow_line(s: &str) -> bool {
            !s.starts_with(' ')
                && !s.ends_with(' ')
                && !s.contains("  ")
                && s.chars().all(|c| c == ' ' || is_plain_char(c))
        }
        fn slow_note(s: &str) -> bool {
            s.chars()
                .all(|c| is_plain_char(c) || c == ' ' || c == '\n' || c == '\t')
        }
        let mut samples: Vec<String> = [
            "",
            " ",
            "a",
            "a b",
            "a  b",
            " a",
            "a ",
            "Иван Петров",
            "Müller",
            "Jos\u{e9}",
            "a\u{a0}b",
            "ѝ",
            "\u{483}",
            "\u{48a}",
            "\u{52f}",
            "\u{530}",
            "\u{2ff}",
            "\u{300}",
            "\u{a0}",
            "\u{a1}",
            "€",
            "😀",
            "a\tb",
            "a\nb",
            "\u{7f}",
            "x\u{0}y",
            "\u{3ff}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for cp in (0x20..0x800u32).chain([0xFEFF, 0x200B, 0x10000]) {
            if let Some(c) = char::from_u32(cp) {
                samples.push(format!("a{c}b"));
                samples.push(c.to_string());
            }
        }
        // Long ASCII runs go through the word-at-a-time path.
        for c in (0u8..0x80).map(char::from).chain(['\u{a0}', 'я', '€']) {
            for pos in 0..20 {
                let mut v = "abcdefghijklmnopqrstuvwxyz".to_string();
                v.insert(pos, c);
                samples.push(v);
            }
        }
        // Long Cyrillic runs go through the four-letters-at-a-time path.
        for c in [
            ' ', 'a', '\u{483}', '\u{48a}', 'ѐ', 'я', 'ӿ', '\u{a0}', '€', '\t', '\u{0}',
        ] {
            for pos in 0..20 {
                let mut v: String = "абвгдежзийклмнопрстуфхцчшщъьюя".to_string();
                let at = v.char_indices().nth(pos).map_or(v.len(), |(i, _)| i);
                v.insert(at, c);
                samples.push(v.clone());
                v.insert(0, 'x');
                samples.push(v);
            }
        }
        for ws in [
            '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2028}', '\u{3000}', ' ', '\t',
        ] {
            for core in ["x", "я", "xя", "яx", "€", "ѝ"] {
                samples.push(format!("{ws}{core}"));
                samples.push(format!("{core}{ws}"));
            }
        }
        for s in &samples {
            assert_eq!(trim_fast(s), s.trim(), "{s:?}");
            assert_eq!(is_clean_line_exact(s), slow_line(s), "{s:?}");
            assert_eq!(is_clean_note_exact(s), slow_note(s), "{s:?}");
            assert_eq!(is_clean_line(s), slow_line(s), "{s:?}");
            assert_eq!(is_clean_note(s), slow_note(s), "{s:?}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn clean_note_keeps_lines() {
        assert_eq!(
            clean_note("  line 1\r\nline\t2\rline 3\u{0}  "),
            "line 1\nline\t2\nline 3"
        );
        assert_eq!(clean_note("x\u{7}y"), "xy");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn full_width_and_small_formula_signs_are_neutralised() {
        for v in [
            "\u{FF1D}HYPERLINK(\"x\")",
            "\u{FF0B}1",
            "\u{FF0D}1",
            "\u{FF20}SUM(A1)",
        ] {
            assert!(needs_neutralising(v), "{v}");
        }
        for v in ["\u{FF21}", "\u{3000}=x", "a=b", ""] {
            assert!(!needs_neutralising(v), "{v}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn neutralising_round_trips() {
        for v in [
            "=1+2",
            "+cmd|x",
            "-5",
            "@SUM(A1)",
            "'=x",
            "''-x",
            "plain",
            "'plain",
            "'",
            "\u{FF1D}1+2",
            "'\u{FF20}x",
            "\u{FE63}5",
            "\u{FF0B}x",
        ] {
            let exported = if needs_neutralising(v) {
                format!("'{v}")
            } else {
                v.to_string()
            };
            assert_eq!(unneutralise(&exported), v, "{v}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fold_header_normalises() {
        assert_eq!(fold_header("  E-mail_Address  "), "e mail address");
        assert_eq!(fold_header("Manager's Name"), "managers name");
        assert_eq!(fold_header("Е-поща"), "е поща");
        assert_eq!(fold_header("Café"), "cafe");
        assert_eq!(fold_header("Клиентска група"), "клиентска група");
    }
}
