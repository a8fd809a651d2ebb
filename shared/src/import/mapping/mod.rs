//! Column mapping suggestions: which customer field each column of a file most likely holds,
//! with a confidence in 0..1, from its header (English and Bulgarian synonyms, the headers of
//! real exports from Shopify, WooCommerce, Mailchimp, HubSpot, Outlook, Google Contacts and
//! CloudCart, then keywords, then typo-tolerant matching) or, without a header, from its
//! values (emails, yes/no, names).
//!
//! Exists so that the common files need no manual mapping at all, while columns the importer
//! cannot take (phones, addresses, orders...) are shown as such (`not_importable`) rather than
//! as unknown.
//!
//! Headers are read as words ([`words`]: `Cntct_Fst`, `FName`, `Vorname`, `Имя`), so
//! abbreviations and other languages reach the same synonyms. [`suggest`] then weighs the
//! values (dates under a name are refused) and gives every column a typed reason.
//!
//! Guards: a header about marketing (`Accepts Email Marketing`, `Email consent`, `Email
//! Marketing Status`) is consent, never the email; SMS consent is not importable; a target is
//! given to one column only (the most confident; the others get `another_column_chosen`).

mod suggest;
mod synonyms;
mod values;
mod words;

use self::synonyms::{EXACT, NOT_IMPORTABLE_WORDS};
use self::words::header_words;
use super::Target;

pub(crate) use suggest::{Suggestion, suggest};
pub(crate) use values::{ValueStats, guess_values, is_date, is_number, is_phone, value_stats};

/// What a header says about its column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Guess {
    Target(Target, f32),
    /// "Name"/"Име": a first name or a full name, decided from the other columns and values.
    AnyName(f32),
    NotImportable,
    Unknown,
}

use Target::*;

/// Where a header's guess came from (the reason shown for it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Why {
    /// An entry of the synonym table, as written there.
    Synonym(&'static str),
    /// A word of the header that names the field.
    Keyword(&'static str),
    /// A synonym the header is close to, and how close (0..1).
    Fuzzy(&'static str, f32),
    /// The header says nothing.
    Nothing,
}

/// A synonym's key as a folded header reads it: folding drops the breve of `й`.
fn folded_key(k: &str) -> impl Iterator<Item = char> + '_ {
    k.chars().map(|c| if c == 'й' { 'и' } else { c })
}

fn lookup(folded: &str) -> Option<(Guess, Why)> {
    EXACT
        .iter()
        .find(|(k, _)| folded_key(k).eq(folded.chars()))
        .map(|(k, g)| (*g, Why::Synonym(k)))
}

/// The first of `any` that is one of the tokens.
fn has(tokens: &[&str], any: &[&'static str]) -> Option<&'static str> {
    any.iter().copied().find(|w| tokens.contains(w))
}

/// The first of `any` that starts one of the tokens.
fn has_prefix(tokens: &[&str], any: &[&'static str]) -> Option<&'static str> {
    any.iter()
        .copied()
        .find(|p| tokens.iter().any(|t| t.starts_with(p)))
}

/// Words that qualify whose first or last name a column holds (`Contact First`).
const PERSON_WORDS: &[&str] = &[
    "contact",
    "customer",
    "client",
    "person",
    "buyer",
    "member",
    "recipient",
    "клиент",
];

/// Guesses a column's field from its header, tolerating typos.
pub(crate) fn guess_header(header: &str) -> (Guess, Why) {
    let words = header_words(header);
    match strict(&words) {
        (Guess::Unknown, Why::Nothing) => fuzzy(&words),
        // A bare "name" keyword: a typo of a precise header ("Frist Name") says more.
        (Guess::AnyName(c), why) if c < 0.8 => match fuzzy(&words) {
            (g @ Guess::Target(..), w) => (g, w),
            _ => (Guess::AnyName(c), why),
        },
        g => g,
    }
}

/// Guesses a column's field from its header: synonyms and keywords only, no typo tolerance
/// (used to decide whether a line is a header: `Emil` is a name, not a typo of `Email`).
pub(crate) fn guess_header_strict(header: &str) -> (Guess, Why) {
    strict(&header_words(header))
}

/// [`guess_header_strict`] of a header's [`header_words`].
fn strict(words: &str) -> (Guess, Why) {
    if words.is_empty() {
        return (Guess::Unknown, Why::Nothing);
    }
    if let Some(found) = lookup(words) {
        return found;
    }
    let tokens: Vec<&str> = words.split(' ').collect();
    keywords(&tokens)
}

fn keywords(t: &[&str]) -> (Guess, Why) {
    let kw = |g: Guess, w: &'static str| (g, Why::Keyword(w));
    let email_word = has(
        t,
        &[
            "email",
            "emails",
            "mail",
            "имейл",
            "имеил",
            "поща",
            "emailaddress",
        ],
    )
    .or_else(|| {
        t.windows(2)
            .any(|w| w[0] == "e" && w[1] == "mail")
            .then_some("e-mail")
    });
    let marketing_word = has_prefix(
        t,
        &[
            "marketing",
            "consent",
            "newsletter",
            "subscri",
            "маркетинг",
            "бюлетин",
            "абонир",
            "абонам",
            "съгласие",
        ],
    )
    .or_else(|| has(t, &["optin", "opted"]))
    .or_else(|| t.windows(2).any(|w| w == ["opt", "in"]).then_some("opt in"));
    let timing_word = has(
        t,
        &[
            "time",
            "date",
            "ip",
            "timestamp",
            "at",
            "on",
            "source",
            "дата",
            "час",
        ],
    );
    if let Some(w) = marketing_word {
        if has(t, &["sms", "phone", "text", "whatsapp", "viber"]).is_some() {
            return kw(Guess::NotImportable, w);
        }
        if timing_word.is_some() || has(t, &["contact"]).is_some() {
            return (Guess::Unknown, Why::Nothing);
        }
        return kw(Guess::Target(AcceptsMarketing, 0.8), w);
    }
    if let Some(w) = email_word {
        if timing_word.is_some()
            || has(t, &["verified", "domain", "type", "status", "bounced"]).is_some()
        {
            return (Guess::Unknown, Why::Nothing);
        }
        if has(
            t,
            &["2", "3", "secondary", "other", "alternate", "alt", "втори"],
        )
        .is_some()
        {
            return kw(Guess::Target(Email, 0.5), w);
        }
        if has(t, &["billing", "shipping"]).is_some() {
            return kw(Guess::Target(Email, 0.7), w);
        }
        return kw(Guess::Target(Email, 0.85), w);
    }
    if let Some(w) = has(t, NOT_IMPORTABLE_WORDS).or_else(|| {
        has_prefix(
            t,
            &[
                "phone",
                "address",
                "billing",
                "shipping",
                "телефон",
                "адрес",
            ],
        )
    }) {
        return kw(Guess::NotImportable, w);
    }
    let name_word = has(t, &["name", "names", "име", "имена"]).is_some();
    // The other words only say whose name it is: `Cntct_Fst` is the contact's first name.
    let only_person = |part: &str| t.iter().all(|w| *w == part || PERSON_WORDS.contains(w));
    if let Some(w) = has(t, &["first", "given", "forename", "собствено", "първо"])
        && (name_word || only_person(w))
    {
        return kw(Guess::Target(FirstName, 0.85), w);
    }
    if let Some(w) = has(t, &["surname", "family", "фамилия", "фамилно"]) {
        return kw(Guess::Target(LastName, 0.85), w);
    }
    if has(t, &["last"]).is_some() && (name_word || only_person("last")) {
        return kw(Guess::Target(LastName, 0.85), "last");
    }
    if let Some(w) = has(t, &["full", "пълно", "цяло"])
        && name_word
    {
        return kw(Guess::Target(FullName, 0.85), w);
    }
    if let Some(w) = has(
        t,
        &[
            "note",
            "notes",
            "comment",
            "comments",
            "remark",
            "remarks",
            "бележка",
            "бележки",
            "забележка",
            "забележки",
            "коментар",
            "коментари",
        ],
    ) {
        return kw(Guess::Target(Note, 0.85), w);
    }
    if let Some(w) = has(t, &["group", "groups", "segment", "група", "групи"]) {
        return kw(Guess::Target(CustomerGroup, 0.8), w);
    }
    if name_word {
        if has(
            t,
            &[
                "user",
                "username",
                "login",
                "middle",
                "additional",
                "nick",
                "nickname",
                "product",
                "managers",
                "assistants",
                "yomi",
                "spouse",
                "бащино",
                "презиме",
            ],
        )
        .is_some()
        {
            return (Guess::Unknown, Why::Nothing);
        }
        if let Some(w) = has(
            t,
            &[
                "customer",
                "contact",
                "client",
                "клиент",
                "клиента",
                "person",
            ],
        ) {
            return kw(Guess::Target(FullName, 0.85), w);
        }
        return kw(Guess::AnyName(0.7), "name");
    }
    (Guess::Unknown, Why::Nothing)
}

/// Largest typo allowed: one edit for short headers, two for long ones (`Nickname` is not
/// `Nachname`).
fn max_edits(len: usize) -> usize {
    if len <= 8 { 1 } else { 2 }
}

/// Typo-tolerant match against the exact synonyms (optimal string alignment distance), word
/// by word: `First Date` is not a typo of `First Name` (a whole word differs).
fn fuzzy(joined: &str) -> (Guess, Why) {
    let words: Vec<&str> = joined.split(' ').collect();
    let a: Vec<char> = joined.chars().collect();
    if a.len() < 4 {
        return (Guess::Unknown, Why::Nothing);
    }
    let mut best: Option<(f32, Guess, &'static str)> = None;
    for (orig, g) in EXACT {
        let b: Vec<char> = folded_key(orig).collect();
        if b.len() < 4 || a.len().abs_diff(b.len()) > 2 {
            continue;
        }
        let d = osa_distance(&a, &b);
        let sim = 1.0 - d as f32 / a.len().max(b.len()) as f32;
        if d > max_edits(a.len().min(b.len())) || sim < 0.75 {
            continue;
        }
        // Word by word: as many words, and a word with a typo is a long word with the same
        // first letter (`date` is not a typo of `name`, however close the letters).
        let words_ok = orig.split(' ').count() == words.len()
            && orig.split(' ').zip(&words).all(|(x, y)| {
                x == *y || (x.len() >= 4 && y.len() >= 4 && x.chars().next() == y.chars().next())
            });
        if words_ok && best.is_none_or(|(s, _, _)| sim > s) {
            best = Some((sim, *g, orig));
        }
    }
    match best {
        Some((sim, Guess::Target(t, c), k)) => (
            Guess::Target(t, round2(c * sim * 0.8)),
            Why::Fuzzy(k, round2(sim)),
        ),
        Some((sim, Guess::AnyName(c), k)) => (
            Guess::AnyName(round2(c * sim * 0.8)),
            Why::Fuzzy(k, round2(sim)),
        ),
        _ => (Guess::Unknown, Why::Nothing),
    }
}

fn osa_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

pub(crate) fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(h: &str) -> String {
        match guess_header(h).0 {
            Guess::Target(t, c) => format!("{} {c}", t.as_str()),
            Guess::AnyName(c) => format!("any_name {c}"),
            Guess::NotImportable => "not_importable".into(),
            Guess::Unknown => "unknown".into(),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn headers() {
        let cases = [
            ("First Name", "first_name 1"),
            ("first_name", "first_name 1"),
            ("Email", "email 1"),
            ("E-mail Address", "email 0.99"),
            ("Email Address", "email 0.99"),
            ("user_email", "email 0.95"),
            ("Accepts Email Marketing", "accepts_marketing 0.98"),
            ("Email consent", "accepts_marketing 0.95"),
            ("Email Marketing Status", "accepts_marketing 0.9"),
            ("Email marketing consent (yes/no)", "accepts_marketing 0.8"),
            ("Accepts SMS Marketing", "not_importable"),
            ("OPTIN_TIME", "unknown"),
            ("Marketing contact status", "unknown"),
            ("Default Address Phone", "not_importable"),
            ("Default Address Company", "not_importable"),
            ("billing_address_1", "not_importable"),
            ("Business Street", "not_importable"),
            ("Total Spent", "not_importable"),
            ("Tags", "not_importable"),
            ("Phone Number", "not_importable"),
            ("Mobile Phone", "not_importable"),
            ("Birthday", "not_importable"),
            ("created_at", "unknown"),
            ("MEMBER_RATING", "unknown"),
            ("Име", "any_name 0.97"),
            ("Фамилия", "last_name 0.98"),
            ("Имейл", "email 1"),
            ("Е-поща", "email 0.98"),
            ("Бележка", "note 1"),
            ("Група", "customer_group 0.97"),
            ("Маркетинг", "accepts_marketing 0.95"),
            ("Собствено име", "first_name 0.98"),
            ("Пълно име", "full_name 0.98"),
            ("Клиентска група", "customer_group 1"),
            ("Телефон", "not_importable"),
            ("Emial", "email 0.64"),
            ("Frist Name", "first_name 0.72"),
            ("Middle Name", "unknown"),
            ("Notes", "note 0.98"),
            ("group", "customer_group 0.97"),
            ("E-mail 2 Address", "email 0.5"),
            ("LAST_CHANGED", "unknown"),
            ("Last Activity Date", "unknown"),
            ("Nickname", "unknown"),
            ("Additional Name", "unknown"),
            // legacy abbreviations, camelCase, other languages
            ("Cntct_Fst", "first_name 0.93"),
            ("Cntct_Lst", "last_name 0.93"),
            ("CNTCT_FST", "first_name 0.93"),
            ("Fst", "first_name 0.9"),
            ("Lst", "last_name 0.9"),
            ("FName", "first_name 1"),
            ("LName", "last_name 1"),
            ("F_Name", "first_name 1"),
            ("firstName", "first_name 1"),
            ("Given name", "first_name 0.97"),
            ("Surname", "last_name 0.97"),
            ("Family name", "last_name 0.97"),
            ("Cust_Name", "full_name 0.95"),
            ("Cust First Nm", "first_name 0.85"),
            ("Cntct_Eml", "email 0.97"),
            ("Co_Name", "not_importable"),
            ("Tax1", "not_importable"),
            ("Phn1", "not_importable"),
            ("Addr1", "not_importable"),
            ("E-Mail-Adresse", "email 0.99"),
            ("Vorname", "first_name 1"),
            ("Nachname", "last_name 1"),
            ("Prénom", "first_name 1"),
            ("Nom", "last_name 0.7"),
            ("Nombre", "any_name 0.9"),
            ("Apellidos", "last_name 1"),
            ("Correo electrónico", "email 0.85"),
            ("Nome", "any_name 0.9"),
            ("Cognome", "last_name 1"),
            ("Sobrenome", "last_name 1"),
            ("Voornaam", "first_name 1"),
            ("Achternaam", "last_name 1"),
            ("Imię", "first_name 1"),
            ("Nazwisko", "last_name 1"),
            ("Имя", "any_name 0.9"),
            ("Фамилия", "last_name 0.98"),
            ("Отчество", "unknown"),
            ("Электронная почта", "email 0.98"),
            ("Имейл", "email 1"),
            ("Telefon", "not_importable"),
            ("Notizen", "note 0.98"),
            ("Kundengruppe", "customer_group 1"),
            // a whole word differs: not a typo
            ("First Date", "unknown"),
            ("Last Date", "unknown"),
        ];
        let mut bad = Vec::new();
        for (h, want) in cases {
            let got = g(h);
            if got != want {
                bad.push(format!("{h:?}: got {got}, want {want}"));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}
