//! The value mapping of the check step: every distinct consent and group value of the file
//! with its count; the user says what each consent value means (yes, no, or an error) and
//! which group each group value goes to (an existing one or a new name). What the user
//! chose is `ReadSettings::values`, sent with the import; the server applies it.
//!
//! The changes to the mapping are plain functions of data ([`set_consent`], [`set_group`],
//! [`unknown_left`]), tested without a page.

use leptos::prelude::*;
use shared::api::Group;
use shared::import::{ConsentChoice, DistinctValues, Meaning, ValueCounts, ValueMap};

use crate::api::ApiFailure;
use crate::i18n::{Key, Locale, count_of, format_count, use_t};
use crate::protocol::ReadSettings;

/// Sets (or with `None` clears) what a consent value means.
pub fn set_consent(map: &mut ValueMap, value: &str, choice: Option<ConsentChoice>) {
    let list = &mut map.accepts_marketing.0;
    list.retain(|(v, _)| v != value);
    if let Some(c) = choice {
        list.push((value.to_owned(), c));
    }
}

/// Sets the group a group value goes to; a blank name clears it (the value is its own
/// group's name then).
pub fn set_group(map: &mut ValueMap, value: &str, group: &str) {
    let list = &mut map.customer_group.0;
    list.retain(|(v, _)| v != value);
    if !group.trim().is_empty() {
        list.push((value.to_owned(), group.trim().to_owned()));
    }
}

/// The group chosen for a value, or empty.
pub fn group_of(map: &ValueMap, value: &str) -> String {
    map.customer_group
        .0
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, g)| g.clone())
        .unwrap_or_default()
}

/// Listed consent values the vocabularies do not know and the user has not mapped: each is
/// a row error at import.
pub fn unknown_left(values: &DistinctValues, map: &ValueMap) -> usize {
    values.accepts_marketing.as_ref().map_or(0, |c| {
        c.values
            .iter()
            .filter(|v| v.meaning == Some(Meaning::Unknown))
            .filter(|v| map.consent_choice(&v.value).is_none())
            .count()
    })
}

fn choice_code(c: Option<ConsentChoice>) -> &'static str {
    match c {
        None => "",
        Some(ConsentChoice::Yes) => "yes",
        Some(ConsentChoice::No) => "no",
        Some(ConsentChoice::Error) => "error",
    }
}

fn meaning_key(m: Option<Meaning>) -> Key {
    match m {
        Some(Meaning::Yes) => Key::CommonYes,
        Some(Meaning::No) => Key::CommonNo,
        _ => Key::ImportValueUnknown,
    }
}

/// The note under a list cut at its cap.
fn more_note(counts: &ValueCounts) -> Option<(u64, u64)> {
    (counts.more_distinct > 0 || counts.more_rows > 0)
        .then_some((counts.more_distinct, counts.more_rows))
}

#[component]
pub fn ValueMapping(
    values: Signal<Option<DistinctValues>>,
    settings: RwSignal<ReadSettings>,
    groups: LocalResource<Result<Vec<Group>, ApiFailure>>,
    busy: Signal<bool>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let consent = move || values.get().and_then(|v| v.accepts_marketing);
    let group = move || values.get().and_then(|v| v.customer_group);
    let left = move || {
        values
            .get()
            .map_or(0, |v| settings.with(|s| unknown_left(&v, &s.values)))
    };
    view! {
        {move || consent().map(|counts| {
            let lang = locale.0.get();
            let more = more_note(&counts);
            view! {
                <section class="values" aria-labelledby="values-consent">
                    <h3 id="values-consent">{t(Key::ImportValuesConsent)}</h3>
                    <table>
                        <thead><tr>
                            <th scope="col">{t(Key::ImportValue)}</th>
                            <th scope="col">{t(Key::ImportRows)}</th>
                            <th scope="col">{t(Key::ImportValueMeaning)}</th>
                        </tr></thead>
                        <tbody>
                            <For
                                each=move || counts.values.clone().into_iter().enumerate()
                                key=|(i, v)| (*i, v.value.clone())
                                children=move |(_, v)| {
                                    let value = v.value.clone();
                                    let label = format!("{} {}", t(Key::ImportValueMeaningOf), v.value);
                                    let built_in = match v.meaning {
                                        Some(Meaning::Yes | Meaning::No) => format!("{} ({})", t(meaning_key(v.meaning)), t(Key::ImportValueBuiltIn)),
                                        _ => t(Key::ImportValueUnknown).to_owned(),
                                    };
                                    let current = {
                                        let value = value.clone();
                                        move || settings.with(|s| choice_code(s.values.consent_choice(&value)))
                                    };
                                    let on_change = move |ev: leptos::ev::Event| {
                                        let choice = ConsentChoice::parse(&event_target_value(&ev));
                                        settings.update(|s| set_consent(&mut s.values, &value, choice));
                                    };
                                    view! {
                                        <tr>
                                            <td>{v.value.clone()}</td>
                                            <td>{format_count(lang, v.count)}</td>
                                            <td>
                                                <select aria-label=label prop:value=current on:change=on_change disabled=move || busy.get()>
                                                    <option value="">{built_in}</option>
                                                    <option value="yes">{t(Key::CommonYes)}</option>
                                                    <option value="no">{t(Key::CommonNo)}</option>
                                                    <option value="error">{t(Key::ImportValueError)}</option>
                                                </select>
                                            </td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                    {more.map(|(distinct, rows)| view! {
                        <p class="muted">{count_of(lang, distinct, Key::ImportValueMoreOne, Key::ImportValuesMore)} " (" {count_of(lang, rows, Key::ImportRowCountOne, Key::ImportRowCount)} ")"</p>
                    })}
                    {move || (left() > 0).then(|| view! {
                        <p role="status">{count_of(lang, left() as u64, Key::ImportValueUnknownLeftOne, Key::ImportValuesUnknownLeft)}</p>
                    })}
                </section>
            }
        })}
        {move || group().map(|counts| {
            let lang = locale.0.get();
            let more = more_note(&counts);
            view! {
                <section class="values" aria-labelledby="values-group">
                    <h3 id="values-group">{t(Key::ImportValuesGroup)}</h3>
                    <datalist id="values-group-names">
                        <For
                            each=move || groups.get().and_then(Result::ok).unwrap_or_default()
                            key=|g| (g.id, g.name.clone())
                            children=|g| view! { <option value=g.name></option> }
                        />
                    </datalist>
                    <table>
                        <thead><tr>
                            <th scope="col">{t(Key::ImportValue)}</th>
                            <th scope="col">{t(Key::ImportRows)}</th>
                            <th scope="col">{t(Key::ImportGroup)}</th>
                        </tr></thead>
                        <tbody>
                            <For
                                each=move || counts.values.clone().into_iter().enumerate()
                                key=|(i, v)| (*i, v.value.clone())
                                children=move |(_, v)| {
                                    let value = v.value.clone();
                                    let label = format!("{} {}", t(Key::ImportValueGroupOf), v.value);
                                    let current = {
                                        let value = value.clone();
                                        move || settings.with(|s| group_of(&s.values, &value))
                                    };
                                    let on_change = move |ev: leptos::ev::Event| {
                                        let name = event_target_value(&ev);
                                        settings.update(|s| set_group(&mut s.values, &value, &name));
                                    };
                                    view! {
                                        <tr>
                                            <td>{v.value.clone()}</td>
                                            <td>{format_count(lang, v.count)}</td>
                                            <td>
                                                <input list="values-group-names" maxlength="100" aria-label=label
                                                    placeholder=t(Key::ImportValueGroupSame)
                                                    prop:value=current on:change=on_change disabled=move || busy.get()/>
                                            </td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                    {more.map(|(distinct, rows)| view! {
                        <p class="muted">{count_of(lang, distinct, Key::ImportValueMoreOne, Key::ImportValuesMore)} " (" {count_of(lang, rows, Key::ImportRowCountOne, Key::ImportRowCount)} ")"</p>
                    })}
                </section>
            }
        })}
    }
}
