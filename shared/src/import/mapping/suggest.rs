//! From each column's header guess and sampled values to one suggestion per column, with its
//! reason: the values may refuse or demote a header's target (dates under `First Date`), a
//! target goes to its most confident column, and a full name is not suggested beside a
//! first and a last name.
//!
//! A pure function of the headers and the value statistics, unit-tested below and through
//! the corpus snapshots.

use super::values::contradicting_kinds;
use super::{Guess, ValueStats, Why, guess_header, guess_values, round2};
use crate::import::Target;
use crate::import::reason::{IgnoredReason, MatchReason, ValueEvidence, ValueKind};

/// A share of contradicting values from which a header's target is refused ...
const REFUSE: f32 = 0.5;
/// ... and from which it is only less sure.
const DEMOTE: f32 = 0.2;

/// What detection suggests for one column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Suggestion {
    pub target: Option<Target>,
    pub confidence: f32,
    pub reason: MatchReason,
    /// Values that made a header's match less sure.
    pub demoted: Option<ValueEvidence>,
    pub ignored: Option<IgnoredReason>,
}

/// One column before targets are shared out.
#[derive(Debug, Clone)]
struct Candidate {
    guess: Guess,
    reason: MatchReason,
    demoted: Option<ValueEvidence>,
}

impl Candidate {
    fn new(guess: Guess, reason: MatchReason) -> Self {
        Candidate {
            guess,
            reason,
            demoted: None,
        }
    }
}

fn header_reason(why: Why) -> MatchReason {
    match why {
        Why::Synonym(s) => MatchReason::Synonym {
            synonym: s.to_string(),
        },
        Why::Keyword(w) => MatchReason::Keyword {
            word: w.to_string(),
        },
        Why::Fuzzy(s, score) => MatchReason::Fuzzy {
            synonym: s.to_string(),
            score,
        },
        Why::Nothing => MatchReason::Unknown,
    }
}

/// The evidence of the values for the target they suggest.
fn support(guess: Guess, st: &ValueStats) -> MatchReason {
    let kind = match guess {
        Guess::Target(Target::Email, _) => ValueKind::Emails,
        Guess::Target(Target::AcceptsMarketing, _) => ValueKind::ConsentFlags,
        Guess::Target(Target::FullName, _) => ValueKind::FullNames,
        Guess::Target(Target::Note, _) => ValueKind::Texts,
        Guess::Target(..) | Guess::AnyName(_) => ValueKind::Names,
        Guess::NotImportable => {
            return st
                .strongest(&[ValueKind::Phones, ValueKind::Companies])
                .map_or(MatchReason::NotImportable, MatchReason::values);
        }
        Guess::Unknown => return unknown(st),
    };
    MatchReason::values(st.evidence(kind))
}

/// An unrecognised column: what its values are when they are clearly of one kind.
fn unknown(st: &ValueStats) -> MatchReason {
    use ValueKind::*;
    match st.strongest(&[Dates, Numbers, Codes, ConsentFlags, Emails]) {
        Some(e) if e.share >= 0.6 => MatchReason::values(e),
        _ => MatchReason::Unknown,
    }
}

/// A column with a header.
fn from_header(header: &str, st: &ValueStats) -> Candidate {
    let (guess, why) = guess_header(header);
    let target = match guess {
        Guess::Target(t, _) => t,
        // Checked as the stricter of the two names it may become.
        Guess::AnyName(_) => Target::FullName,
        Guess::NotImportable => return Candidate::new(guess, MatchReason::NotImportable),
        Guess::Unknown => {
            // A header that says nothing: only values of a clear kind count (emails under
            // `Contact`); `Lead Status` values look like names, `Inactive` holds Y/N.
            return match guess_values(st) {
                Guess::Target(Target::Email, c) => Candidate::new(
                    Guess::Target(Target::Email, round2(c * 0.8)),
                    support(guess_values(st), st),
                ),
                g @ Guess::NotImportable => Candidate::new(g, support(g, st)),
                _ => Candidate::new(Guess::Unknown, unknown(st)),
            };
        }
    };
    let c = match guess {
        Guess::Target(_, c) | Guess::AnyName(c) => c,
        _ => 0.0,
    };
    // The importer's own names (its export's header, `first_name`) are taken at their word:
    // an export re-imports as the same customers whatever its cells hold.
    let own_name = header.trim() == target.as_str() || header.trim() == "group";
    if st.n == 0 || own_name {
        return Candidate::new(guess, header_reason(why));
    }
    // A loose match (keyword, typo) needs the values' support.
    let needs = match target {
        Target::Email => Some(ValueKind::Emails),
        Target::AcceptsMarketing => Some(ValueKind::ConsentFlags),
        _ => None,
    };
    if let Some(kind) = needs
        && c < 0.95
    {
        let e = st.evidence(kind);
        if e.share < 0.5 {
            return Candidate::new(
                Guess::Unknown,
                MatchReason::Unsupported {
                    target,
                    values: e.values,
                    share: e.share,
                },
            );
        }
    }
    match st.strongest(contradicting_kinds(target)) {
        Some(e) if e.share >= REFUSE => {
            let guess = if matches!(e.values, ValueKind::Phones | ValueKind::Companies) {
                Guess::NotImportable
            } else {
                Guess::Unknown
            };
            Candidate::new(
                guess,
                MatchReason::Contradicted {
                    target,
                    values: e.values,
                    share: e.share,
                },
            )
        }
        Some(e) if e.share >= DEMOTE => {
            let c = round2(c * (1.0 - e.share));
            Candidate {
                guess: match guess {
                    Guess::AnyName(_) => Guess::AnyName(c),
                    _ => Guess::Target(target, c),
                },
                reason: header_reason(why),
                demoted: Some(e),
            }
        }
        _ => Candidate::new(guess, header_reason(why)),
    }
}

/// Turns "a name" guesses into first_name or full_name, from the other columns and values:
/// values of two or more words are full names; with a last-name column (CloudCart's `Име` +
/// `Фамилия`) or single-word values it is the first name; otherwise a full name. Without a
/// header, single-word columns are the first and then the last name, in order.
fn resolve_names(
    cands: &[Candidate],
    stats: &[ValueStats],
    has_header: bool,
) -> Vec<Option<(Target, f32)>> {
    let has = |t: Target| {
        cands
            .iter()
            .any(|c| matches!(c.guess, Guess::Target(x, _) if x == t))
    };
    let (has_first, has_last) = (has(Target::FirstName), has(Target::LastName));
    let mut singles = 0;
    cands
        .iter()
        .zip(stats)
        .map(|(cand, st)| match cand.guess {
            Guess::Target(t, c) => Some((t, c)),
            Guess::AnyName(c) => {
                let multi = st.names > 0 && st.name_words as f32 / st.names as f32 >= 1.6;
                let single = st.names > 0 && st.name_words as f32 / st.names as f32 <= 1.2;
                if has_header {
                    if !multi && ((has_last && !has_first) || single) {
                        Some((Target::FirstName, c))
                    } else {
                        Some((Target::FullName, c))
                    }
                } else {
                    singles += 1;
                    match singles {
                        1 if !has_first => Some((Target::FirstName, c)),
                        1 | 2 if !has_last => Some((Target::LastName, c)),
                        _ => None,
                    }
                }
            }
            _ => None,
        })
        .collect()
}

/// One suggestion per column. `headers` is `None` for a file without a header line.
pub(crate) fn suggest(headers: Option<&[&str]>, stats: &[ValueStats]) -> Vec<Suggestion> {
    let n = stats.len();
    let cands: Vec<Candidate> = (0..n)
        .map(|j| match headers {
            Some(h) => from_header(h.get(j).copied().unwrap_or(""), &stats[j]),
            None => {
                let g = guess_values(&stats[j]);
                Candidate::new(g, support(g, &stats[j]))
            }
        })
        .collect();
    let resolved = resolve_names(&cands, stats, headers.is_some());
    // Most confident first, ties by position. An insertion sort: the columns are few (a
    // thousand at most is a million steps, once per detection), and the standard library's
    // sort would add several KB to the parse worker's wasm.
    let confidence = |j: usize| resolved[j].map_or(0.0, |(_, c)| c);
    let mut order: Vec<usize> = (0..n).collect();
    for i in 1..order.len() {
        let mut k = i;
        while k > 0
            && confidence(order[k - 1])
                .total_cmp(&confidence(order[k]))
                .is_lt()
        {
            order.swap(k - 1, k);
            k -= 1;
        }
    }
    let mut out: Vec<Suggestion> = cands
        .into_iter()
        .map(|c| Suggestion {
            target: None,
            confidence: 0.0,
            reason: c.reason,
            demoted: c.demoted,
            ignored: Some(match c.guess {
                Guess::NotImportable => IgnoredReason::NotImportable,
                _ => IgnoredReason::Unknown,
            }),
        })
        .collect();
    let mut winner: [Option<usize>; 7] = [None; 7];
    for j in order {
        let Some((t, c)) = resolved[j] else { continue };
        let s = &mut out[j];
        match winner[t as usize] {
            Some(w) => {
                s.reason = MatchReason::AnotherColumnChosen {
                    target: t,
                    column: w,
                };
                s.demoted = None;
                s.ignored = Some(IgnoredReason::AnotherColumnChosen);
            }
            None => {
                winner[t as usize] = Some(j);
                s.target = Some(t);
                s.confidence = c;
                s.ignored = None;
            }
        }
    }
    let at = |t: Target| winner[t as usize];
    match (
        at(Target::FirstName),
        at(Target::LastName),
        at(Target::FullName),
    ) {
        // The parts are there: a full name (or a company list) is not needed.
        (Some(first), Some(last), Some(_)) => {
            for s in &mut out {
                if s.target == Some(Target::FullName)
                    || matches!(
                        s.reason,
                        MatchReason::AnotherColumnChosen {
                            target: Target::FullName,
                            ..
                        }
                    )
                {
                    s.target = None;
                    s.confidence = 0.0;
                    s.demoted = None;
                    s.reason = MatchReason::NamePartsChosen { first, last };
                    s.ignored = Some(IgnoredReason::AnotherColumnChosen);
                }
            }
        }
        // A full name beside one part guessed from values alone: the part would hide the
        // full name (it is split only when both parts are empty).
        (first, last, Some(full)) if first.is_some() != last.is_some() => {
            let part = first.or(last).unwrap_or(full);
            if matches!(out[part].reason, MatchReason::Values { .. }) {
                let t = out[part].target.unwrap_or(Target::FirstName);
                let s = &mut out[part];
                s.target = None;
                s.confidence = 0.0;
                s.demoted = None;
                s.reason = MatchReason::AnotherColumnChosen {
                    target: t,
                    column: full,
                };
                s.ignored = Some(IgnoredReason::AnotherColumnChosen);
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::value_stats;
    use super::*;

    /// `target(confidence) reason` per column, from headers and columns of values.
    fn run(headers: Option<&[&str]>, columns: &[&[&str]]) -> Vec<String> {
        let stats: Vec<ValueStats> = columns
            .iter()
            .map(|c| value_stats(c.iter().copied()))
            .collect();
        suggest(headers, &stats)
            .into_iter()
            .map(|s| {
                let t = s.target.map_or_else(
                    || format!("-({})", s.ignored.map_or("", IgnoredReason::as_str)),
                    |t| format!("{}({})", t.as_str(), s.confidence),
                );
                let d = s
                    .demoted
                    .map(|d| format!(" demoted by {}", d.describe()))
                    .unwrap_or_default();
                format!("{t} {}{d}", s.reason.describe(&|i| i.to_string()))
            })
            .collect()
    }

    const DATES: &[&str] = &["4/20/09", "11/3/12", "1/7/15", "6/30/19"];
    const FIRSTS: &[&str] = &["John", "Mary", "Peter", "Anna"];
    const LASTS: &[&str] = &["Smith", "Jones", "Brown", "Taylor"];
    const EMAILS: &[&str] = &["j@x.com", "m@x.com", "p@x.com", "a@x.com"];
    const YN: &[&str] = &["Y", "N", "N", "Y"];

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn legacy_dates_are_not_names_and_abbreviated_names_are() {
        let got = run(
            Some(&[
                "First Date",
                "Last Date",
                "Cntct_Fst",
                "Cntct_Lst",
                "Tax1",
                "Inactive",
            ]),
            &[DATES, DATES, FIRSTS, LASTS, YN, YN],
        );
        assert_eq!(
            got,
            [
                "-(unknown) 100% of sampled values look like dates",
                "-(unknown) 100% of sampled values look like dates",
                "first_name(0.93) header matches \"contact first\"",
                "last_name(0.93) header matches \"contact last\"",
                "-(not_importable) cannot be imported (phones, addresses, orders...)",
                "-(unknown) 100% of sampled values look like yes/no flags",
            ]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_real_first_name_still_maps_and_dates_under_it_are_refused() {
        let got = run(Some(&["First Name", "Last Name"]), &[FIRSTS, LASTS]);
        assert_eq!(got[0], "first_name(1) header matches \"first name\"");
        let got = run(
            Some(&["First Name", "Surname"]),
            &[DATES, &["Smith", "Jones", "4/5/06", "Brown"]],
        );
        assert_eq!(
            got,
            [
                "-(unknown) header suggests first_name but 100% of sampled values look like dates",
                "last_name(0.73) header matches \"surname\" demoted by 25% of sampled values look like dates",
            ]
        );
        let got = run(Some(&["Name"]), &[&["C0012", "C0013", "C0014"]]);
        assert_eq!(
            got,
            ["-(unknown) header suggests full_name but 100% of sampled values look like codes"]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_consent_header_keeps_its_column_whatever_words_it_holds_but_not_dates() {
        // Unknown words are the value mapping's to settle, not the header match's.
        let got = run(
            Some(&["Accepts Email Marketing", "Email Marketing Consent"]),
            &[
                &["yes", "maybe"],
                &["SUBSCRIBED", "NEVER_SUBSCRIBED", "Marketing contact"],
            ],
        );
        assert!(got[0].starts_with("accepts_marketing("), "{got:?}");
        assert!(
            got[1].starts_with("accepts_marketing(")
                || got[1].starts_with("-(another_column_chosen)"),
            "{got:?}"
        );
        let got = run(Some(&["Accepts Email Marketing"]), &[DATES]);
        assert!(got[0].starts_with("-(unknown)"), "{got:?}");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_date_or_a_consent_flag_is_never_the_email() {
        let got = run(Some(&["Email", "E-mail"]), &[DATES, YN]);
        assert_eq!(
            got,
            [
                "-(unknown) header suggests email but 100% of sampled values look like dates",
                "-(unknown) header suggests email but 100% of sampled values look like yes/no flags",
            ]
        );
        let got = run(Some(&["Email"]), &[EMAILS]);
        assert_eq!(got, ["email(1) header matches \"email\""]);
        // The importer's own export header is trusted: its file re-imports unchanged.
        let got = run(Some(&["email", "first_name"]), &[DATES, &["-5", "12"]]);
        assert_eq!(got[0], "email(1) header matches \"email\"");
        assert_eq!(got[1], "first_name(1) header matches \"first name\"");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn no_full_name_beside_first_and_last() {
        // Headerless: first, last, email, company (without a legal form: looks like names).
        let companies: &[&str] = &["Blue Sky Trading", "Green Farm", "Oak Tools", "Red Box"];
        let got = run(None, &[FIRSTS, LASTS, EMAILS, companies]);
        assert_eq!(
            got[0],
            "first_name(0.7) 100% of sampled values look like single names"
        );
        assert_eq!(
            got[1],
            "last_name(0.7) 100% of sampled values look like single names"
        );
        assert_eq!(
            got[3],
            "-(another_column_chosen) first and last names come from columns 0 and 1"
        );
        // A company list under a full-name header is refused outright.
        let ltd: &[&str] = &["Acme Ltd", "Blue GmbH", "Oak Tools Inc.", "Марков ООД"];
        let got = run(Some(&["Name", "Email"]), &[ltd, EMAILS]);
        assert_eq!(
            got[0],
            "-(not_importable) header suggests full_name but 100% of sampled values look like company names"
        );
        // With a header: `Цяло име` beside `Име` + `Фамилия`.
        let fulls: &[&str] = &["John Smith", "Mary Jones"];
        let got = run(
            Some(&["Име", "Фамилия", "Цяло име"]),
            &[FIRSTS, LASTS, fulls],
        );
        assert_eq!(
            got[2],
            "-(another_column_chosen) first and last names come from columns 0 and 1"
        );
        // Vice versa: a full name stays when the only other name column is a guess.
        let got = run(None, &[fulls, EMAILS, &["Smith", "Jones"]]);
        assert_eq!(
            got[0],
            "full_name(0.75) 100% of sampled values look like full names"
        );
        assert_eq!(
            got[2],
            "-(another_column_chosen) first_name comes from column 0"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_less_sure_column_says_which_one_was_chosen() {
        let got = run(Some(&["Email", "Billing Email"]), &[EMAILS, EMAILS]);
        assert_eq!(got[1], "-(another_column_chosen) email comes from column 0");
        let got = run(Some(&["Emial"]), &[EMAILS]);
        assert_eq!(got[0], "email(0.64) header resembles \"email\" (0.80)");
        let got = run(Some(&["Contact"]), &[EMAILS]);
        assert_eq!(
            got[0],
            "email(0.76) 100% of sampled values look like emails"
        );
    }
}
