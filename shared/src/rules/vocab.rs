//! The consent vocabularies: what the words other platforms export in a marketing-consent
//! column mean. Each word is written folded ([`fold_consent`]: lowercase, `_` and `-` as a
//! space, spaces collapsed), so `NEVER_SUBSCRIBED`, `never-subscribed` and `Never subscribed`
//! are one word.
//!
//! The decision table (yes = the customer agreed to marketing email; no = they did not,
//! or no longer may be sent it; anything not listed is unknown and is an error until the
//! user maps it, never a silent no):
//!
//! | Source | yes | no |
//! |---|---|---|
//! | Generic, Shopify legacy | yes, y, true, 1, x, on | no, n, false, 0, off |
//! | Klaviyo (email and SMS consent) | SUBSCRIBED | NEVER_SUBSCRIBED, UNSUBSCRIBED |
//! | Mailchimp | subscribed | unsubscribed, cleaned (bounced), pending (double opt-in not confirmed), transactional (no marketing consent), archived |
//! | HubSpot | Marketing contact, opted in, opt in | Non-marketing contact, opted out, opt out |
//! | Shopify email marketing state | subscribed | not_subscribed, unsubscribed, pending (not confirmed), redacted, invalid |
//! | WooCommerce / MailPoet | subscribed | unconfirmed, unsubscribed, bounced, inactive |
//! | Bulgarian | да, д, абониран(а), съгласен/съгласна | не, н, неабониран(а), не е абониран(а), отписан(а), несъгласен/несъгласна |
//!
//! Unconfirmed opt-ins (`pending`, `unconfirmed`) are no: consent that was asked for but
//! not given is not consent.

/// Words meaning yes, folded (see the module docs).
pub const CONSENT_YES: &[&str] = &[
    "yes",
    "y",
    "true",
    "1",
    "x",
    "on",
    "subscribed",
    "marketing contact",
    "opted in",
    "opt in",
    "optin",
    "да",
    "д",
    "абониран",
    "абонирана",
    "съгласен",
    "съгласна",
];

/// Words meaning no, folded (see the module docs).
pub const CONSENT_NO: &[&str] = &[
    "no",
    "n",
    "false",
    "0",
    "off",
    "unsubscribed",
    "not subscribed",
    "never subscribed",
    "cleaned",
    "pending",
    "transactional",
    "archived",
    "non marketing contact",
    "opted out",
    "opt out",
    "optout",
    "redacted",
    "invalid",
    "unconfirmed",
    "bounced",
    "inactive",
    "не",
    "н",
    "неабониран",
    "неабонирана",
    "не е абониран",
    "не е абонирана",
    "отписан",
    "отписана",
    "несъгласен",
    "несъгласна",
];

/// Folds a consent cell for comparison, into `out` (cleared first): trimmed, lowercase,
/// `_` and `-` read as a space, runs of white space as one space. The one comparison of
/// consent values: the vocabularies, the user's value mapping and the check's distinct
/// values all use it.
pub fn fold_consent(s: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '_' || c == '-' {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
}

/// Whether a folded word is a bare flag (yes/no and their kin, subscribed/unsubscribed):
/// a cell holding one is a value, never a header. The platforms' other words (`Inactive`,
/// `Pending`, `Invalid`...) are also column names in real exports, so header detection
/// does not count them as values.
pub fn is_flag_word(folded: &str) -> bool {
    CONSENT_YES[..6].contains(&folded)
        || CONSENT_NO[..5].contains(&folded)
        || matches!(
            folded,
            "subscribed" | "unsubscribed" | "да" | "д" | "не" | "н"
        )
}

/// What the vocabularies say a folded word means: `None` when it is in none of them.
pub fn vocabulary_meaning(folded: &str) -> Option<bool> {
    if CONSENT_YES.contains(&folded) {
        Some(true)
    } else if CONSENT_NO.contains(&folded) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn only_bare_flags_are_flag_words() {
        for w in [
            "yes",
            "y",
            "1",
            "off",
            "no",
            "subscribed",
            "unsubscribed",
            "да",
            "не",
        ] {
            assert!(is_flag_word(w), "{w}");
        }
        for w in [
            "inactive",
            "pending",
            "invalid",
            "archived",
            "never subscribed",
            "съгласен",
        ] {
            assert!(!is_flag_word(w), "{w}");
        }
    }
}
