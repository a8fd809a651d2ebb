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
//! Guards: a header about marketing (`Accepts Email Marketing`, `Email consent`, `Email
//! Marketing Status`) is consent, never the email; SMS consent is not importable; a target is
//! given to one column only (the most confident; the others get `duplicate_target`).

mod values;

use super::Target;
use crate::text::fold_header;

pub(crate) use values::{ValueStats, guess_values, is_date, is_number, is_phone, value_stats};

pub(crate) const NOT_IMPORTABLE: &str = "not_importable";
pub(crate) const UNKNOWN: &str = "unknown";
pub(crate) const DUPLICATE_TARGET: &str = "duplicate_target";

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

/// Exact synonyms, compared after [`fold_header`].
const EXACT: &[(&str, Guess)] = &[
    // first_name
    ("first name", Guess::Target(FirstName, 1.0)),
    ("firstname", Guess::Target(FirstName, 0.98)),
    ("first", Guess::Target(FirstName, 0.9)),
    ("fname", Guess::Target(FirstName, 0.9)),
    ("given name", Guess::Target(FirstName, 0.97)),
    ("forename", Guess::Target(FirstName, 0.95)),
    ("name first", Guess::Target(FirstName, 0.95)),
    ("собствено име", Guess::Target(FirstName, 0.98)),
    ("първо име", Guess::Target(FirstName, 0.95)),
    ("billing first name", Guess::Target(FirstName, 0.8)),
    ("shipping first name", Guess::Target(FirstName, 0.6)),
    ("vorname", Guess::Target(FirstName, 0.9)),
    ("prenom", Guess::Target(FirstName, 0.9)),
    // last_name
    ("last name", Guess::Target(LastName, 1.0)),
    ("lastname", Guess::Target(LastName, 0.98)),
    ("last", Guess::Target(LastName, 0.9)),
    ("lname", Guess::Target(LastName, 0.9)),
    ("surname", Guess::Target(LastName, 0.97)),
    ("family name", Guess::Target(LastName, 0.97)),
    ("name last", Guess::Target(LastName, 0.95)),
    ("фамилия", Guess::Target(LastName, 0.98)),
    ("фамилно име", Guess::Target(LastName, 0.98)),
    ("billing last name", Guess::Target(LastName, 0.8)),
    ("shipping last name", Guess::Target(LastName, 0.6)),
    ("nachname", Guess::Target(LastName, 0.9)),
    ("nom", Guess::Target(LastName, 0.7)),
    // full_name
    ("full name", Guess::Target(FullName, 1.0)),
    ("fullname", Guess::Target(FullName, 0.98)),
    ("full name s", Guess::Target(FullName, 0.9)),
    ("customer name", Guess::Target(FullName, 0.95)),
    ("contact name", Guess::Target(FullName, 0.93)),
    ("client name", Guess::Target(FullName, 0.93)),
    ("display name", Guess::Target(FullName, 0.85)),
    ("пълно име", Guess::Target(FullName, 0.98)),
    ("цяло име", Guess::Target(FullName, 0.98)),
    ("име и фамилия", Guess::Target(FullName, 0.98)),
    ("имена", Guess::Target(FullName, 0.95)),
    ("клиент", Guess::Target(FullName, 0.8)),
    ("име на клиента", Guess::Target(FullName, 0.95)),
    ("name", Guess::AnyName(0.9)),
    ("име", Guess::AnyName(0.97)),
    // email
    ("email", Guess::Target(Email, 1.0)),
    ("e mail", Guess::Target(Email, 1.0)),
    ("email address", Guess::Target(Email, 0.99)),
    ("e mail address", Guess::Target(Email, 0.99)),
    ("emailaddress", Guess::Target(Email, 0.97)),
    ("mail", Guess::Target(Email, 0.9)),
    ("user email", Guess::Target(Email, 0.95)),
    ("customer email", Guess::Target(Email, 0.97)),
    ("primary email", Guess::Target(Email, 0.95)),
    ("email 1", Guess::Target(Email, 0.9)),
    ("e mail 1 value", Guess::Target(Email, 0.9)),
    ("billing email", Guess::Target(Email, 0.8)),
    ("e mail 2 address", Guess::Target(Email, 0.5)),
    ("e mail 3 address", Guess::Target(Email, 0.4)),
    ("e mail 2 value", Guess::Target(Email, 0.5)),
    ("secondary email", Guess::Target(Email, 0.5)),
    ("имейл", Guess::Target(Email, 1.0)),
    ("имеил", Guess::Target(Email, 0.97)),
    ("имейл адрес", Guess::Target(Email, 0.99)),
    ("е поща", Guess::Target(Email, 0.98)),
    ("e поща", Guess::Target(Email, 0.95)),
    ("ел поща", Guess::Target(Email, 0.97)),
    ("електронна поща", Guess::Target(Email, 0.98)),
    ("email адрес", Guess::Target(Email, 0.97)),
    // note
    ("note", Guess::Target(Note, 1.0)),
    ("notes", Guess::Target(Note, 0.98)),
    ("comment", Guess::Target(Note, 0.95)),
    ("comments", Guess::Target(Note, 0.95)),
    ("remark", Guess::Target(Note, 0.9)),
    ("remarks", Guess::Target(Note, 0.9)),
    ("customer note", Guess::Target(Note, 0.97)),
    ("description", Guess::Target(Note, 0.6)),
    ("бележка", Guess::Target(Note, 1.0)),
    ("бележки", Guess::Target(Note, 0.98)),
    ("забележка", Guess::Target(Note, 0.98)),
    ("забележки", Guess::Target(Note, 0.97)),
    ("коментар", Guess::Target(Note, 0.95)),
    // accepts_marketing
    ("accepts marketing", Guess::Target(AcceptsMarketing, 1.0)),
    (
        "accepts email marketing",
        Guess::Target(AcceptsMarketing, 0.98),
    ),
    ("accept marketing", Guess::Target(AcceptsMarketing, 0.98)),
    ("email marketing", Guess::Target(AcceptsMarketing, 0.95)),
    (
        "email marketing status",
        Guess::Target(AcceptsMarketing, 0.9),
    ),
    ("email consent", Guess::Target(AcceptsMarketing, 0.95)),
    ("marketing consent", Guess::Target(AcceptsMarketing, 0.95)),
    ("marketing", Guess::Target(AcceptsMarketing, 0.9)),
    ("newsletter", Guess::Target(AcceptsMarketing, 0.9)),
    ("subscribed", Guess::Target(AcceptsMarketing, 0.9)),
    ("opt in", Guess::Target(AcceptsMarketing, 0.85)),
    ("email opt in", Guess::Target(AcceptsMarketing, 0.9)),
    ("приема маркетинг", Guess::Target(AcceptsMarketing, 1.0)),
    ("маркетинг", Guess::Target(AcceptsMarketing, 0.95)),
    (
        "съгласие за маркетинг",
        Guess::Target(AcceptsMarketing, 0.97),
    ),
    ("бюлетин", Guess::Target(AcceptsMarketing, 0.9)),
    ("абониран", Guess::Target(AcceptsMarketing, 0.9)),
    ("marketing contact status", Guess::Unknown),
    ("accepts sms marketing", Guess::NotImportable),
    // customer_group
    ("group", Guess::Target(CustomerGroup, 0.97)),
    ("customer group", Guess::Target(CustomerGroup, 1.0)),
    ("customer group name", Guess::Target(CustomerGroup, 0.97)),
    ("group name", Guess::Target(CustomerGroup, 0.95)),
    ("segment", Guess::Target(CustomerGroup, 0.8)),
    ("customer segment", Guess::Target(CustomerGroup, 0.85)),
    ("customer type", Guess::Target(CustomerGroup, 0.7)),
    ("група", Guess::Target(CustomerGroup, 0.97)),
    ("клиентска група", Guess::Target(CustomerGroup, 1.0)),
    ("група клиенти", Guess::Target(CustomerGroup, 0.97)),
];

/// [`EXACT`] with its keys folded like headers (`й` -> `и`), built once.
fn exact() -> &'static [(String, Guess)] {
    static FOLDED: std::sync::OnceLock<Vec<(String, Guess)>> = std::sync::OnceLock::new();
    FOLDED.get_or_init(|| EXACT.iter().map(|(k, g)| (fold_header(k), *g)).collect())
}

fn has(tokens: &[&str], any: &[&str]) -> bool {
    tokens.iter().any(|t| any.contains(t))
}

fn has_prefix(tokens: &[&str], any: &[&str]) -> bool {
    tokens.iter().any(|t| any.iter().any(|p| t.starts_with(p)))
}

/// Words of columns the importer cannot take (CloudCart's rule: no addresses, phones or
/// order data), as whole tokens.
const NOT_IMPORTABLE_WORDS: &[&str] = &[
    "phone",
    "phones",
    "mobile",
    "tel",
    "telephone",
    "fax",
    "pager",
    "cell",
    "sms",
    "address",
    "address1",
    "address2",
    "street",
    "city",
    "town",
    "zip",
    "zipcode",
    "postal",
    "postcode",
    "country",
    "region",
    "state",
    "province",
    "county",
    "company",
    "organization",
    "organisation",
    "job",
    "department",
    "office",
    "birthday",
    "birthdate",
    "birth",
    "anniversary",
    "orders",
    "order",
    "total",
    "spent",
    "amount",
    "revenue",
    "tags",
    "tag",
    "tax",
    "currency",
    "gender",
    "website",
    "url",
    "latitude",
    "longitude",
    "телефон",
    "телефони",
    "мобилен",
    "gsm",
    "адрес",
    "улица",
    "град",
    "код",
    "държава",
    "област",
    "фирма",
    "компания",
    "поръчки",
    "поръчка",
    "общо",
    "похарчено",
    "рожден",
    "пол",
    "етикети",
];

/// Guesses a column's field from its header, tolerating typos.
pub(crate) fn guess_header(header: &str) -> Guess {
    match guess_header_strict(header) {
        Guess::Unknown => fuzzy(&fold_header(header)),
        // A bare "name" keyword: a typo of a precise header ("Frist Name") says more.
        Guess::AnyName(c) if c < 0.8 => match fuzzy(&fold_header(header)) {
            Guess::Target(t, fc) => Guess::Target(t, fc),
            _ => Guess::AnyName(c),
        },
        g => g,
    }
}

/// Guesses a column's field from its header: synonyms and keywords only, no typo tolerance
/// (used to decide whether a line is a header: `Emil` is a name, not a typo of `Email`).
pub(crate) fn guess_header_strict(header: &str) -> Guess {
    let folded = fold_header(header);
    if folded.is_empty() {
        return Guess::Unknown;
    }
    if let Some((_, g)) = exact().iter().find(|(k, _)| *k == folded) {
        return *g;
    }
    let tokens: Vec<&str> = folded.split(' ').collect();
    let t = &tokens[..];
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
    ) || tokens.windows(2).any(|w| w[0] == "e" && w[1] == "mail");
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
    ) || has(t, &["optin", "opted"])
        || folded.contains("opt in");
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
    if marketing_word {
        if has(t, &["sms", "phone", "text", "whatsapp", "viber"]) {
            return Guess::NotImportable;
        }
        if timing_word || has(t, &["contact"]) {
            return Guess::Unknown;
        }
        return Guess::Target(AcceptsMarketing, 0.8);
    }
    if email_word {
        if timing_word || has(t, &["verified", "domain", "type", "status", "bounced"]) {
            return Guess::Unknown;
        }
        if has(
            t,
            &["2", "3", "secondary", "other", "alternate", "alt", "втори"],
        ) {
            return Guess::Target(Email, 0.5);
        }
        if has(t, &["billing", "shipping"]) {
            return Guess::Target(Email, 0.7);
        }
        return Guess::Target(Email, 0.85);
    }
    if has(t, NOT_IMPORTABLE_WORDS)
        || has_prefix(
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
    {
        return Guess::NotImportable;
    }
    let name_word = has(t, &["name", "names", "име", "имена"]);
    if has(t, &["first", "given", "forename", "собствено", "първо"])
        && (name_word || tokens.len() == 1)
    {
        return Guess::Target(FirstName, 0.85);
    }
    if has(t, &["surname", "family", "фамилия", "фамилно"])
        || (has(t, &["last"]) && (name_word || tokens.len() == 1))
    {
        return Guess::Target(LastName, 0.85);
    }
    if has(t, &["full", "пълно", "цяло"]) && name_word {
        return Guess::Target(FullName, 0.85);
    }
    if has(
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
        return Guess::Target(Note, 0.85);
    }
    if has(t, &["group", "groups", "segment", "група", "групи"]) {
        return Guess::Target(CustomerGroup, 0.8);
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
        ) {
            return Guess::Unknown;
        }
        if has(
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
            return Guess::Target(FullName, 0.85);
        }
        return Guess::AnyName(0.7);
    }
    Guess::Unknown
}

/// Typo-tolerant match against the exact synonyms (optimal string alignment distance).
fn fuzzy(folded: &str) -> Guess {
    let a: Vec<char> = folded.chars().collect();
    if a.len() < 4 {
        return Guess::Unknown;
    }
    let mut best: Option<(f32, Guess)> = None;
    for (k, g) in exact() {
        let b: Vec<char> = k.chars().collect();
        if b.len() < 4 || a.len().abs_diff(b.len()) > 2 {
            continue;
        }
        let d = osa_distance(&a, &b);
        let sim = 1.0 - d as f32 / a.len().max(b.len()) as f32;
        // One edit for short words, two for long ones (`Nickname` is not `Nachname`).
        let max_d = if a.len().min(b.len()) <= 8 { 1 } else { 2 };
        if d <= max_d && sim >= 0.75 && best.is_none_or(|(s, _)| sim > s) {
            best = Some((sim, *g));
        }
    }
    match best {
        Some((sim, Guess::Target(t, c))) => Guess::Target(t, round2(c * sim * 0.8)),
        Some((sim, Guess::AnyName(c))) => Guess::AnyName(round2(c * sim * 0.8)),
        _ => Guess::Unknown,
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
        match guess_header(h) {
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
