//! A column's match reason as a sentence in the UI's language: the typed reason the shared
//! detection gives ([`MatchReason`]) filled into a translated template.

use shared::import::{IgnoredReason, MatchReason, Target, ValueEvidence, ValueKind};

use super::{Key, Lang, target_key, text};

/// The text of a column's `ignored_reason`.
pub fn ignored_key(reason: IgnoredReason) -> Key {
    match reason {
        IgnoredReason::NotImportable => Key::ImportReasonNotImportable,
        IgnoredReason::Unknown => Key::ImportReasonUnknown,
        IgnoredReason::AnotherColumnChosen => Key::ImportReasonAnotherColumnChosen,
    }
}

/// The plural name of a kind of values ("dates").
pub fn values_key(kind: ValueKind) -> Key {
    match kind {
        ValueKind::Emails => Key::ImportValuesEmails,
        ValueKind::ConsentFlags => Key::ImportValuesConsentFlags,
        ValueKind::Dates => Key::ImportValuesDates,
        ValueKind::Numbers => Key::ImportValuesNumbers,
        ValueKind::Codes => Key::ImportValuesCodes,
        ValueKind::Phones => Key::ImportValuesPhones,
        ValueKind::Names => Key::ImportValuesNames,
        ValueKind::FullNames => Key::ImportValuesFullNames,
        ValueKind::Companies => Key::ImportValuesCompanies,
        ValueKind::Texts => Key::ImportValuesTexts,
    }
}

/// `template` with each `{}` replaced by the next of `args`.
fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        out.push_str(args.next().copied().unwrap_or(""));
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

fn percent(share: f32) -> String {
    format!("{}%", (share * 100.0).round() as u32)
}

/// Why a column got its target or none, in `lang`; `header_of` names a column by index.
/// `demoted` adds why the match is less sure.
pub fn describe(
    lang: Lang,
    reason: &MatchReason,
    demoted: Option<&ValueEvidence>,
    header_of: &dyn Fn(usize) -> String,
) -> String {
    let t = |k: Key| text(lang, k);
    let target = |x: &Target| t(target_key(*x));
    let values = |v: &ValueKind| t(values_key(*v));
    let mut s = match reason {
        MatchReason::Synonym { synonym } => fill(t(Key::ImportReasonSynonym), &[synonym]),
        MatchReason::Keyword { word } => fill(t(Key::ImportReasonKeyword), &[word]),
        MatchReason::Fuzzy { synonym, score } => {
            fill(t(Key::ImportReasonFuzzy), &[synonym, &percent(*score)])
        }
        MatchReason::Values { values: v, share } => {
            fill(t(Key::ImportReasonValues), &[&percent(*share), values(v)])
        }
        MatchReason::Chosen => t(Key::ImportReasonChosen).to_string(),
        MatchReason::NotImportable => t(Key::ImportReasonNotImportable).to_string(),
        MatchReason::Unknown => t(Key::ImportReasonNothingSays).to_string(),
        MatchReason::Contradicted {
            target: x,
            values: v,
            share,
        } => fill(
            t(Key::ImportReasonContradicted),
            &[target(x), &percent(*share), values(v)],
        ),
        MatchReason::Unsupported {
            target: x,
            values: v,
            share,
        } => fill(
            t(Key::ImportReasonUnsupported),
            &[target(x), &percent(*share), values(v)],
        ),
        MatchReason::AnotherColumnChosen { target: x, column } => fill(
            t(Key::ImportReasonAnotherColumn),
            &[target(x), &header_of(*column)],
        ),
        MatchReason::NamePartsChosen { first, last } => fill(
            t(Key::ImportReasonNameParts),
            &[&header_of(*first), &header_of(*last)],
        ),
    };
    if let Some(d) = demoted {
        s.push_str("; ");
        s.push_str(&fill(
            t(Key::ImportReasonDemoted),
            &[&percent(d.share), values(&d.values)],
        ));
    }
    s
}
