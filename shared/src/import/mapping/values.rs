//! Mapping suggestions from a column's values, for files without a header (or a header that
//! says nothing): emails, yes/no words, names, and what is not importable (phones, numbers,
//! dates). Invariant: a guess depends only on the sampled values, never on the header.

use super::Target::{self, *};
use super::{Guess, round2};
use crate::import::reason::{ValueEvidence, ValueKind};
use crate::rules::{Email, parse_consent};

/// What a column's values look like.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ValueStats {
    pub n: usize,
    pub emails: usize,
    pub consents: usize,
    pub phones: usize,
    pub numbers: usize,
    pub dates: usize,
    /// Values made of 1..=4 words of letters (a person's name).
    pub names: usize,
    /// Sum of word counts over name-like values.
    pub name_words: usize,
    pub distinct: usize,
    pub long_texts: usize,
    /// One word of letters and digits (`C0012`, `INV-7`).
    pub codes: usize,
    /// Names ending in a company form (`Acme Ltd`, `Марко ООД`).
    pub companies: usize,
}

pub(crate) fn is_phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    (7..=16).contains(&digits)
        && s.len() <= 24
        && s.bytes()
            .all(|c| c.is_ascii_digit() || b" +-()/".contains(&c))
        && (s.starts_with('+')
            || s.starts_with('0')
            || s.starts_with('(')
            || s.bytes().any(|c| b" -()/".contains(&c)))
}

pub(crate) fn is_number(s: &str) -> bool {
    let s = s
        .trim_start_matches(['-', '+'])
        .trim_end_matches(['%', '€', '$']);
    let s = s.trim();
    !s.is_empty()
        && s.bytes().any(|c| c.is_ascii_digit())
        && s.bytes()
            .all(|c| c.is_ascii_digit() || b".,' ".contains(&c))
        && s.len() < 20
}

pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let count = |set: &[u8]| b.iter().filter(|c| set.contains(c)).count();
    // Day, month and year need two separators (`1250.00` is an amount); or a date and a
    // time. Four dot-separated numbers are an IP address.
    let parts = count(b"-/.");
    b.len() >= 6
        && b.len() <= 40
        && b[0].is_ascii_digit()
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 4
        && (parts >= 2 || (parts >= 1 && count(b":") >= 1))
        && !(count(b".") == 3 && parts == 3)
        && b.iter()
            .all(|c| c.is_ascii_digit() || b"-/.: TZ+".contains(c))
}

/// Legal forms that end a company's name, without dots; Latin ones in any case, Cyrillic
/// ones as written (upper case).
const COMPANY_FORMS: &[&str] = &[
    "ltd", "llc", "inc", "corp", "co", "plc", "gmbh", "ag", "kg", "sa", "srl", "sl", "bv", "nv",
    "oy", "ab", "as", "spa", "sarl", "lp", "llp", "pty", "ООД", "ЕООД", "АД", "ЕАД", "ЕТ", "ООО",
    "ЗАО", "ОАО",
];

fn is_company(words: &[&str]) -> bool {
    words.len() >= 2
        && words.last().is_some_and(|w| {
            let w = w.trim_end_matches('.');
            COMPANY_FORMS.iter().any(|f| f.eq_ignore_ascii_case(w))
        })
}

/// One word mixing ASCII letters and digits, maybe with `-`, `_`, `/` or `.`: a code, not a
/// name.
fn is_code(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() <= 24
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_/.".contains(c))
}

/// A word of a name: letters, with inner `-`, `'` or `.`.
fn is_name_word(w: &str) -> bool {
    let mut chars = w.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic())
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.' | '’'))
}

pub(crate) fn value_stats<'a>(values: impl IntoIterator<Item = &'a str>) -> ValueStats {
    let mut st = ValueStats::default();
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        st.n += 1;
        if !seen.contains(&v) {
            seen.push(v);
        }
        if v.contains('@') && Email::parse(v).is_ok() {
            st.emails += 1;
        } else if matches!(parse_consent(v), Ok(Some(_))) {
            st.consents += 1;
            if is_number(v) {
                st.numbers += 1;
            }
        } else if is_date(v) {
            st.dates += 1;
        } else if is_phone(v) {
            st.phones += 1;
        } else if is_number(v) {
            st.numbers += 1;
        } else if is_code(v) {
            st.codes += 1;
        } else {
            let words: Vec<&str> = v.split_whitespace().collect();
            if is_company(&words) {
                st.companies += 1;
            } else if (1..=4).contains(&words.len())
                && words.iter().all(|w| is_name_word(w))
                && v.chars().count() <= 60
            {
                st.names += 1;
                st.name_words += words.len();
            } else if v.chars().count() > 30 || words.len() > 4 {
                st.long_texts += 1;
            }
        }
    }
    st.distinct = seen.len();
    st
}

impl ValueStats {
    /// The share of sampled values of `kind` (0 without values).
    pub(crate) fn share(&self, kind: ValueKind) -> f32 {
        if self.n == 0 {
            return 0.0;
        }
        let k = match kind {
            ValueKind::Emails => self.emails,
            ValueKind::ConsentFlags => self.consents,
            ValueKind::Dates => self.dates,
            // 0/1 are consent flags and numbers both: counted once, as flags.
            ValueKind::Numbers => self.numbers - self.numbers.min(self.consents),
            ValueKind::Codes => self.codes,
            ValueKind::Phones => self.phones,
            ValueKind::Names => self.names - self.multi_word_names(),
            ValueKind::FullNames => self.multi_word_names(),
            ValueKind::Companies => self.companies,
            ValueKind::Texts => self.long_texts,
        };
        round2(k as f32 / self.n as f32)
    }

    /// Name-like values, counted as multi-word when they average 1.6 words or more.
    fn multi_word_names(&self) -> usize {
        if self.names > 0 && self.name_words as f32 / self.names as f32 >= 1.6 {
            self.names
        } else {
            0
        }
    }

    /// The evidence of `kind`.
    pub(crate) fn evidence(&self, kind: ValueKind) -> ValueEvidence {
        ValueEvidence::new(kind, self.share(kind))
    }

    /// Of `kinds`, the one most of the values are (its evidence), if any value is.
    pub(crate) fn strongest(&self, kinds: &[ValueKind]) -> Option<ValueEvidence> {
        kinds
            .iter()
            .map(|&k| self.evidence(k))
            .filter(|e| e.share > 0.0)
            .fold(None, |best: Option<ValueEvidence>, e| match best {
                Some(b) if b.share >= e.share => Some(b),
                _ => Some(e),
            })
    }
}

/// Value kinds that a column filling `target` cannot hold: evidence against the header.
pub(crate) fn contradicting_kinds(target: Target) -> &'static [ValueKind] {
    use ValueKind::*;
    match target {
        FirstName | LastName => &[
            Dates,
            Numbers,
            Codes,
            Phones,
            Emails,
            ConsentFlags,
            Companies,
        ],
        FullName => &[
            Dates,
            Numbers,
            Codes,
            Phones,
            Emails,
            ConsentFlags,
            Companies,
        ],
        Email => &[Dates, ConsentFlags, Numbers, Phones, Codes],
        // Not names: other platforms' consent words (`SUBSCRIBED`, `Marketing contact`,
        // a stray `maybe`) look like them, and the value mapping is where they are settled.
        AcceptsMarketing => &[Emails, Dates, Phones],
        CustomerGroup => &[Emails, Dates, Phones],
        Note => &[],
    }
}

/// Guesses a column's field from its values alone. `names_seen` counts the single-word name
/// columns already given first_name (so the next one is last_name).
pub(crate) fn guess_values(st: &ValueStats) -> Guess {
    if st.n == 0 {
        return Guess::Unknown;
    }
    let n = st.n as f32;
    let ratio = |k: usize| k as f32 / n;
    if ratio(st.emails) >= 0.6 {
        return Guess::Target(Email, round2(0.5 + 0.45 * ratio(st.emails)));
    }
    if ratio(st.consents) >= 0.8 {
        // A column of only 0/1 might be a count: less sure.
        let c = if st.numbers == st.consents { 0.6 } else { 0.85 };
        return Guess::Target(AcceptsMarketing, round2(c * ratio(st.consents)));
    }
    if ratio(st.phones) >= 0.6 || ratio(st.companies) >= 0.5 {
        return Guess::NotImportable;
    }
    if ratio(st.numbers + st.dates + st.codes) >= 0.6 {
        return Guess::Unknown;
    }
    if ratio(st.names) >= 0.6 {
        if st.n >= 4 && st.distinct * 2 <= st.n {
            // Few distinct short values repeated: a group, not names.
            return Guess::Target(CustomerGroup, 0.45);
        }
        let avg_words = st.name_words as f32 / st.names as f32;
        return if avg_words >= 1.6 {
            Guess::Target(FullName, round2(0.75 * ratio(st.names)))
        } else {
            Guess::AnyName(round2(0.7 * ratio(st.names)))
        };
    }
    if ratio(st.long_texts) >= 0.5 {
        return Guess::Target(Note, 0.4);
    }
    Guess::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn values() {
        let st = value_stats(["ivan@x.bg", "maria@y.com", ""]);
        assert!(matches!(guess_values(&st), Guess::Target(Email, _)));
        let st = value_stats(["да", "не", "Yes"]);
        assert!(matches!(
            guess_values(&st),
            Guess::Target(AcceptsMarketing, _)
        ));
        let st = value_stats(["Ivan Petrov", "Maria Ivanova"]);
        assert!(matches!(guess_values(&st), Guess::Target(FullName, _)));
        let st = value_stats(["Иван", "Мария"]);
        assert!(matches!(guess_values(&st), Guess::AnyName(_)));
        let st = value_stats(["+359 88 123 4567", "0888123456"]);
        assert_eq!(guess_values(&st), Guess::NotImportable);
        let st = value_stats(["Acme Tools Ltd", "Марков и сие ООД", "Blue GmbH"]);
        assert_eq!(st.companies, 3);
        assert_eq!(guess_values(&st), Guess::NotImportable);
        let st = value_stats(["C0012", "INV-2024-7", "AB12"]);
        assert_eq!((st.codes, st.names), (3, 0));
        assert!(!is_date("1250.00") && !is_date("1.2.3.4") && is_date("20.04.2009"));
        let st = value_stats(["4/20/09", "12/1/10", "Ivan"]);
        assert_eq!(st.evidence(ValueKind::Dates).share, 0.67);
        let st = value_stats(["Y", "N", "Y"]);
        assert_eq!(
            st.strongest(contradicting_kinds(FirstName)),
            Some(ValueEvidence::new(ValueKind::ConsentFlags, 1.0))
        );
    }
}
