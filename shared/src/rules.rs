//! Validation of one customer record: the single set of rules that the browser, `intake
//! inspect` and the server (on every posted batch row) apply.
//!
//! "Parse, don't validate": an [`Email`] can only be built through [`Email::parse`], and a
//! [`CustomerDraft`] only through [`validate_row`]. Every problem is a
//! [`FieldError`](crate::api::FieldError) with a stable [`ErrorCode`] and a
//! human sentence naming the field.

use std::borrow::Cow;

use crate::api::{BatchRow, Consent, FieldError};
use crate::codes::ErrorCode;
use crate::field::Field;
use crate::text::{clean_line, clean_note, ellipsis};

/// Longest first or last name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest group name, in characters.
pub const MAX_GROUP_CHARS: usize = 255;
/// Longest note, in bytes of UTF-8.
pub const MAX_NOTE_BYTES: usize = 65_535;
/// RFC 5321 limit of the local part, in octets.
pub const MAX_LOCAL_OCTETS: usize = 64;
/// RFC 5321 limit of a whole address (path minus the angle brackets), in octets.
pub const MAX_EMAIL_OCTETS: usize = 254;

fn err(field: Field, code: ErrorCode, message: String) -> FieldError {
    FieldError {
        field,
        code,
        message,
    }
}

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
    display: Option<String>,
    key: String,
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

/// What one pass over an ASCII domain found.
enum DomainCheck {
    /// Letters, digits and inner hyphens in labels of 1..=63, at least two labels, a
    /// non-numeric last label.
    Valid,
    /// A punycode (`xn--`) label: let IDNA validate it.
    Punycode,
    Invalid(&'static str),
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
    const BAD: DomainCheck = DomainCheck::Invalid("the domain is not a valid domain name");
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
        DomainCheck::Invalid("the domain has no dot (like example.com)")
    } else if last_all_digits {
        DomainCheck::Invalid("the domain ends in a number")
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
        let invalid = |why: &str| {
            err(
                Field::Email,
                ErrorCode::InvalidEmail,
                format!("Email \"{}\" is not a valid address: {why}.", shown()),
            )
        };
        if s.is_empty() {
            return Err(err(
                Field::Email,
                ErrorCode::MissingEmail,
                "Email is required, but this row has none.".into(),
            ));
        }
        // Cleaning turned every whitespace run into one space. One pass for the space and
        // the last `@` (addresses are short: a byte loop beats two searches).
        let mut last_at = None;
        for (i, &c) in s.as_bytes().iter().enumerate() {
            if c == b' ' {
                return Err(invalid("it contains spaces"));
            }
            if c == b'@' {
                last_at = Some(i);
            }
        }
        let Some(at) = last_at else {
            return Err(invalid("it has no @"));
        };
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() {
            return Err(invalid("nothing before the @"));
        }
        if domain.is_empty() {
            return Err(invalid("no domain after the @"));
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
            ));
        }
        let mut prev_dot = true; // a leading dot is misplaced
        for &c in local.as_bytes() {
            if c == b'.' {
                if prev_dot {
                    return Err(invalid("the part before the @ has a misplaced dot"));
                }
                prev_dot = true;
            } else if is_atext(c) {
                prev_dot = false;
            } else {
                return Err(invalid(if c == b'@' {
                    "it has more than one @"
                } else {
                    "the part before the @ has characters that are not allowed"
                }));
            }
        }
        if prev_dot {
            return Err(invalid("the part before the @ has a misplaced dot"));
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
            let ascii = idna::domain_to_ascii_strict(domain)
                .map_err(|_| invalid("the domain is not a valid domain name"))?;
            let (unicode, res) = idna::domain_to_unicode(&ascii);
            if res.is_err() {
                return Err(invalid("the domain is not a valid domain name"));
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
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// A validated customer, ready to store. Names are cleaned (trimmed, inner whitespace
/// collapsed, control characters removed, NFC); `full_name` is the first and last name
/// joined by a space; empty strings mean "not given".
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerDraft {
    pub line: u64,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub email: Email,
    pub note: String,
    pub accepts_marketing: Option<bool>,
    pub group: Option<String>,
}

/// The borrowed form of a draft, used on hot paths to avoid copying cells that are already
/// clean.
pub(crate) struct DraftRef<'a> {
    pub first_name: Cow<'a, str>,
    pub last_name: Cow<'a, str>,
    pub email: Email,
    pub note: Cow<'a, str>,
    pub accepts_marketing: Option<bool>,
    pub group: Option<Cow<'a, str>>,
}

#[inline]
fn check_chars(field: Field, label: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    // Fewer bytes than the limit: fewer characters too.
    if v.len() > max {
        check_char_count(field, label, v, max, errors);
    }
}

#[cold]
fn check_char_count(field: Field, label: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    if v.chars().count() > max {
        errors.push(err(
            field,
            ErrorCode::FieldTooLong,
            format!(
                "{label} is too long: {} characters, at most {max} are allowed.",
                v.chars().count()
            ),
        ));
    }
}

/// Whether the row's cells still need cleaning (a posted row) or were cleaned by the reader.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cells {
    Raw,
    Clean,
}

/// The cells of one row, borrowed: what [`validate_fields`] checks.
#[derive(Clone, Copy, Default)]
pub(crate) struct FieldsRef<'r> {
    pub first_name: Option<&'r str>,
    pub last_name: Option<&'r str>,
    pub email: Option<&'r str>,
    pub note: Option<&'r str>,
    pub accepts_marketing: Option<&'r Consent>,
    pub group: Option<&'r str>,
}

/// The checked, normalised cells (the email's key is in the caller's buffer).
pub(crate) struct Checked<'r> {
    pub first_name: Cow<'r, str>,
    pub last_name: Cow<'r, str>,
    /// The email's display form when it differs from its key.
    pub display: Option<String>,
    pub note: Cow<'r, str>,
    pub accepts_marketing: Option<bool>,
    pub group: Option<Cow<'r, str>>,
}

/// The one implementation of the row rules. Appends every problem to `errors` (the email's
/// first) and returns the normalised cells when there is none; the email's key is written to
/// `key`. The reader calls it with buffers it reuses, so a clean row allocates nothing.
pub(crate) fn validate_fields<'r>(
    row: FieldsRef<'r>,
    cells: Cells,
    key: &mut String,
    errors: &mut Vec<FieldError>,
) -> Option<Checked<'r>> {
    // Closures, not fn pointers: the reader's (clean) case inlines to nothing.
    let line = |s: &'r str| match cells {
        Cells::Raw => clean_line(s),
        Cells::Clean => Cow::Borrowed(s),
    };
    let note_fn = |s: &'r str| match cells {
        Cells::Raw => clean_note(s),
        Cells::Clean => Cow::Borrowed(s),
    };
    let base = errors.len();
    let display = match row.email {
        None => Err(err(
            Field::Email,
            ErrorCode::MissingEmail,
            "Email is required, but this row has none.".into(),
        )),
        Some(e) if cells == Cells::Clean => Email::parse_into(e, key),
        Some(e) => Email::parse_into(&clean_line(e), key),
    };
    let display = display.map_err(|e| errors.push(e)).ok();
    let first_name = row.first_name.map(line).unwrap_or_default();
    let last_name = row.last_name.map(line).unwrap_or_default();
    check_chars(
        Field::FirstName,
        "First name",
        &first_name,
        MAX_NAME_CHARS,
        errors,
    );
    check_chars(
        Field::LastName,
        "Last name",
        &last_name,
        MAX_NAME_CHARS,
        errors,
    );
    let note = row.note.map(note_fn).unwrap_or_default();
    if note.len() > MAX_NOTE_BYTES {
        errors.push(err(
            Field::Note,
            ErrorCode::FieldTooLong,
            format!(
                "Note is too long: {} bytes, at most {MAX_NOTE_BYTES} are allowed.",
                note.len()
            ),
        ));
    }
    let consent = match row.accepts_marketing {
        None => None,
        Some(Consent::Bool(b)) => Some(*b),
        Some(Consent::Text(t)) => parse_consent(t).unwrap_or_else(|e| {
            errors.push(e);
            None
        }),
    };
    let group = row.group.map(line).filter(|g| !g.is_empty());
    if let Some(g) = &group {
        check_chars(Field::Group, "Group", g, MAX_GROUP_CHARS, errors);
    }
    if errors.len() > base {
        return None;
    }
    Some(Checked {
        first_name,
        last_name,
        display: display?,
        note,
        accepts_marketing: consent,
        group,
    })
}

pub(crate) fn validate_ref(row: &BatchRow, cells: Cells) -> Result<DraftRef<'_>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut key = String::new();
    let fields = FieldsRef {
        first_name: row.first_name.as_deref(),
        last_name: row.last_name.as_deref(),
        email: row.email.as_deref(),
        note: row.note.as_deref(),
        accepts_marketing: row.accepts_marketing.as_ref(),
        group: row.group.as_deref(),
    };
    match validate_fields(fields, cells, &mut key, &mut errors) {
        Some(c) => Ok(DraftRef {
            first_name: c.first_name,
            last_name: c.last_name,
            email: Email {
                display: c.display,
                key,
            },
            note: c.note,
            accepts_marketing: c.accepts_marketing,
            group: c.group,
        }),
        None => Err(errors),
    }
}

/// Validates and normalises one posted row into a [`CustomerDraft`], or returns every
/// problem found (each with its field, code and message).
pub fn validate_row(row: &BatchRow) -> Result<CustomerDraft, Vec<FieldError>> {
    let d = validate_ref(row, Cells::Raw)?;
    let full_name = join_name(&d.first_name, &d.last_name);
    Ok(CustomerDraft {
        line: row.line,
        first_name: d.first_name.into_owned(),
        last_name: d.last_name.into_owned(),
        full_name,
        email: d.email,
        note: d.note.into_owned(),
        accepts_marketing: d.accepts_marketing,
        group: d.group.map(Cow::into_owned),
    })
}

/// Joins first and last name into a full name.
pub fn join_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (true, true) => String::new(),
        (false, true) => first.to_string(),
        (true, false) => last.to_string(),
        (false, false) => format!("{first} {last}"),
    }
}

/// Splits a cleaned full name into (first, last): `"Petrov, Ivan"` -> (`Ivan`, `Petrov`);
/// otherwise the first word is the first name and the rest the last name
/// (`"Ivan Petrov Ivanov"` -> (`Ivan`, `Petrov Ivanov`)); one word is a first name.
pub fn split_full_name(full: &str) -> (&str, &str) {
    let full = full.trim();
    if let Some((last, first)) = full.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        if !first.is_empty() && !last.is_empty() && !first.contains(',') {
            return (first, last);
        }
    }
    match full.split_once(' ') {
        Some((first, last)) => (first.trim(), last.trim()),
        None => (full, ""),
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

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn validate_row_normalises() {
        let row = BatchRow {
            line: 3,
            first_name: Some("  Ivan\u{0} ".into()),
            last_name: Some("Petrov".into()),
            email: Some(" IVAN@X.BG".into()),
            note: Some("a\r\nb\u{0}".into()),
            accepts_marketing: Some(Consent::Text("да".into())),
            group: Some("  VIP  ".into()),
        };
        let d = validate_row(&row).unwrap();
        assert_eq!(d.line, 3);
        assert_eq!(d.first_name, "Ivan");
        assert_eq!(d.full_name, "Ivan Petrov");
        assert_eq!(d.email.as_str(), "ivan@x.bg");
        assert_eq!(d.note, "a\nb");
        assert_eq!(d.accepts_marketing, Some(true));
        assert_eq!(d.group.as_deref(), Some("VIP"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn validate_row_reports_every_problem() {
        let row = BatchRow {
            line: 9,
            first_name: Some("x".repeat(300)),
            accepts_marketing: Some(Consent::Text("maybe".into())),
            ..Default::default()
        };
        let errs = validate_row(&row).unwrap_err();
        let codes: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("email", "missing_email"),
                ("first_name", "field_too_long"),
                ("accepts_marketing", "invalid_accepts_marketing")
            ]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn names() {
        assert_eq!(split_full_name("Ivan Petrov"), ("Ivan", "Petrov"));
        assert_eq!(
            split_full_name("Ivan Petrov Ivanov"),
            ("Ivan", "Petrov Ivanov")
        );
        assert_eq!(split_full_name("Petrov, Ivan"), ("Ivan", "Petrov"));
        assert_eq!(split_full_name("Cher"), ("Cher", ""));
        assert_eq!(join_name("Ivan", ""), "Ivan");
        assert_eq!(join_name("", "Petrov"), "Petrov");
    }
}
