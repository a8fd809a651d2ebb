//! How the file is read and where it goes: the detected encoding, delimiter and header (each
//! can be overridden), the group and what to do with existing emails, and which field each
//! column fills.

use leptos::prelude::*;
use shared::api::Group;
use shared::import::Target;

use crate::api::ApiFailure;
use crate::i18n::{Key, Lang, Locale, describe_reason, ignored_key, target_key, use_t};
use crate::protocol::{Preview, PreviewColumn, ReadSettings};

/// Encodings offered as overrides (WHATWG labels).
const ENCODINGS: [&str; 5] = [
    "utf-8",
    "utf-16le",
    "utf-16be",
    "windows-1251",
    "windows-1252",
];
/// The group select's value for "create a new group".
pub const NEW_GROUP: &str = "new";

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

/// The detected encoding, delimiter and header, each with its override.
#[component]
pub fn ReadOptions(
    preview: RwSignal<Option<Preview>>,
    settings: RwSignal<ReadSettings>,
    busy: Signal<bool>,
    on_encoding: Callback<String>,
    on_delimiter: Callback<String>,
    on_header: Callback<bool>,
) -> impl IntoView {
    let t = use_t();
    move || {
        preview.get().map(|p| {
        let detected_encoding = p.encoding.clone();
        let detected_delimiter = delimiter_name(p.delimiter);
        view! {
            <div class="grid" style="margin-top:1rem">
                <div class="field">
                    <label for="import-encoding">{t(Key::ImportEncoding)}</label>
                    <select id="import-encoding" on:change=move |ev| on_encoding.run(event_target_value(&ev)) disabled=move || busy.get()
                        prop:value=move || settings.get().encoding.unwrap_or_default()>
                        <option value="">{t(Key::ImportAuto)} " (" {detected_encoding} ")"</option>
                        {ENCODINGS.iter().map(|e| view! { <option value=*e>{*e}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="import-delimiter">{t(Key::ImportDelimiter)}</label>
                    <select id="import-delimiter" on:change=move |ev| on_delimiter.run(event_target_value(&ev)) disabled=move || busy.get()
                        prop:value=move || settings.get().delimiter.map(delimiter_name).unwrap_or_default()>
                        <option value="">{t(Key::ImportAuto)} " (" {detected_delimiter} ")"</option>
                        <option value=",">","</option>
                        <option value=";">";"</option>
                        <option value="tab">"tab"</option>
                        <option value="|">"|"</option>
                    </select>
                </div>
            </div>
            <div class="field">
                <label class="inline">
                    <input type="checkbox" prop:checked=p.has_header on:change=move |ev| on_header.run(event_target_checked(&ev)) disabled=move || busy.get()/>
                    {t(Key::ImportHasHeader)}
                </label>
                {p.header_line.map(|l| view! { <span class="muted">" (" {t(Key::ImportLine)} " " {l} ")"</span> })}
            </div>
        }
    })
    }
}

/// The group the customers go to (or a new one) and what to do with existing emails.
#[component]
pub fn ImportOptions(
    groups: LocalResource<Result<Vec<Group>, ApiFailure>>,
    group_id: RwSignal<String>,
    new_group: RwSignal<String>,
    on_duplicate: RwSignal<String>,
    busy: Signal<bool>,
) -> impl IntoView {
    let t = use_t();
    view! {
        <section class="panel">
            <h2>{move || t(Key::ImportSettings)}</h2>
            <div class="grid">
                <div class="field">
                    <label for="import-group">{move || t(Key::ImportGroup)}</label>
                    <select id="import-group" bind:value=group_id disabled=move || busy.get()>
                        <For
                            each=move || groups.get().and_then(Result::ok).unwrap_or_default()
                            key=|g| (g.id, g.name.clone())
                            children=|g| view! { <option value=g.id.to_string()>{g.name}</option> }
                        />
                        <option value=NEW_GROUP>{move || t(Key::ImportNewGroup)}</option>
                    </select>
                </div>
                <Show when=move || group_id.get() == NEW_GROUP>
                    <div class="field">
                        <label for="import-new-group">{move || t(Key::ImportNewGroupName)}</label>
                        <input id="import-new-group" bind:value=new_group required maxlength="100"/>
                    </div>
                </Show>
                <div class="field">
                    <label for="import-duplicates">{move || t(Key::ImportOnDuplicate)}</label>
                    <select id="import-duplicates" bind:value=on_duplicate disabled=move || busy.get()>
                        <option value="skip">{move || t(Key::ImportDupSkip)}</option>
                        <option value="update">{move || t(Key::ImportDupUpdate)}</option>
                        <option value="update_non_blank">{move || t(Key::ImportDupUpdateNonBlank)}</option>
                    </select>
                </div>
            </div>
        </section>
    }
}

/// Mapped columns first (in file order), then the columns that are not imported: a wide
/// export (44 columns, most of them phones, addresses, totals) shows its few fields at once.
pub fn split_columns(columns: &[PreviewColumn]) -> (Vec<PreviewColumn>, Vec<PreviewColumn>) {
    columns.iter().cloned().partition(|c| c.target.is_some())
}

/// Does the search (any case) find the column by its header, its number or a sample?
pub fn matches_search(c: &PreviewColumn, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    q.is_empty()
        || c.header
            .as_deref()
            .is_some_and(|h| h.to_lowercase().contains(&q))
        || (c.index + 1).to_string() == q
        || c.samples.iter().any(|s| s.to_lowercase().contains(&q))
}

/// A column's name as shown: its header, or "Column 3" without one.
fn column_name(t: impl Fn(Key) -> &'static str, c: &PreviewColumn) -> String {
    c.header
        .clone()
        .unwrap_or_else(|| format!("{} {}", t(Key::ImportColumn), c.index + 1))
}

/// Why the column got its target or none, in the UI's language.
fn reason_text(
    lang: Lang,
    t: impl Fn(Key) -> &'static str + Copy,
    p: &Preview,
    c: &PreviewColumn,
) -> String {
    let header_of = |i: usize| {
        p.columns
            .get(i)
            .map(|c| column_name(t, c))
            .unwrap_or_else(|| format!("{} {}", t(Key::ImportColumn), i + 1))
    };
    match &c.reason {
        Some(r) => describe_reason(lang, r, c.demoted.as_ref(), &header_of),
        None => c
            .ignored_reason
            .map(|r| t(ignored_key(r)).to_string())
            .unwrap_or_default(),
    }
}

/// The select of a column's field, described by its reason (`why_id`).
fn target_select(
    column: usize,
    target: Option<Target>,
    why_id: String,
    busy: Signal<bool>,
    on_target: Callback<(usize, Option<Target>)>,
) -> impl IntoView {
    let t = use_t();
    let current = target.map(Target::as_str).unwrap_or_default();
    view! {
        <select id=format!("map-{column}") aria-describedby=why_id on:change=move |ev| on_target.run((column, Target::parse(&event_target_value(&ev)))) prop:value=current disabled=move || busy.get()>
            <option value="">{t(Key::ImportNotImported)}</option>
            {Target::ALL.iter().map(|tg| view! {
                <option value=tg.as_str()>{t(target_key(*tg))}</option>
            }).collect_view()}
        </select>
    }
}

/// Which field each column fills; `on_target` gets the column and the chosen field. Mapped
/// columns are a table; the others fold into one searchable list. Each column's reason shows
/// on hover (`title`) and is its select's accessible description.
#[component]
pub fn ColumnMapping(
    preview: RwSignal<Option<Preview>>,
    busy: Signal<bool>,
    on_target: Callback<(usize, Option<Target>)>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let query = RwSignal::new(String::new());
    let unmapped_count = move || {
        preview.with(|p| {
            p.as_ref().map_or(0, |p| {
                p.columns.iter().filter(|c| c.target.is_none()).count()
            })
        })
    };
    view! {
        <section class="panel">
            <h2>{move || t(Key::ImportMapping)}</h2>
            <div class="table-wrap"><table>
                <thead><tr>
                    <th scope="col">{move || t(Key::ImportColumn)}</th>
                    <th scope="col">{move || t(Key::ImportSamples)}</th>
                    <th scope="col">{move || t(Key::ImportField)}</th>
                </tr></thead>
                <tbody>
                    {move || preview.get().map(|p| {
                        let lang = locale.0.get();
                        split_columns(&p.columns).0.into_iter().map(|c| {
                            let why = reason_text(lang, t, &p, &c);
                            let (row_title, badge_title) = (why.clone(), why.clone());
                            let why_id = format!("map-{}-why", c.index);
                            let confidence = format!("{:.0}%", c.confidence * 100.0);
                            view! {
                                <tr title=row_title>
                                    <td><label for=format!("map-{}", c.index)>{column_name(t, &c)}</label></td>
                                    <td class="muted">{c.samples.join(", ")}</td>
                                    <td>
                                        {target_select(c.index, c.target, why_id.clone(), busy, on_target)}
                                        " " <span class="badge" title=badge_title>{confidence}</span>
                                        <span id=why_id hidden>{why}</span>
                                    </td>
                                </tr>
                            }
                        }).collect_view()
                    })}
                </tbody>
            </table></div>
            <Show when=move || { unmapped_count() > 0 }>
                <details class="unmapped">
                    <summary>{move || t(Key::ImportNotImportedColumns)} " (" {unmapped_count} ")"</summary>
                    <input type="search" class="column-search" aria-label=move || t(Key::ImportSearchColumns)
                        placeholder=move || t(Key::ImportSearchColumns) bind:value=query/>
                    {move || preview.get().map(|p| {
                        let lang = locale.0.get();
                        let q = query.get();
                        let found: Vec<PreviewColumn> = split_columns(&p.columns).1.into_iter().filter(|c| matches_search(c, &q)).collect();
                        if found.is_empty() {
                            return view! { <p class="muted">{t(Key::ImportNoColumnMatches)}</p> }.into_any();
                        }
                        view! {
                            <ul class="compact-list">
                                {found.into_iter().map(|c| {
                                    let why = reason_text(lang, t, &p, &c);
                                    let title = why.clone();
                                    let why_id = format!("map-{}-why", c.index);
                                    view! {
                                        <li title=title>
                                            <label for=format!("map-{}", c.index)>{column_name(t, &c)}</label>
                                            <span class="muted samples">{c.samples.iter().take(2).cloned().collect::<Vec<_>>().join(", ")}</span>
                                            {target_select(c.index, c.target, why_id.clone(), busy, on_target)}
                                            <span class="muted why" id=why_id>{why}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </details>
            </Show>
        </section>
    }
}
