//! How the file is read and where it goes: the detected encoding, delimiter and header (each
//! can be overridden), the group and what to do with existing emails, and which field each
//! column fills.

use leptos::prelude::*;
use shared::api::Group;
use shared::import::Target;

use crate::api::ApiFailure;
use crate::i18n::{Key, reason_key, target_key, use_t};
use crate::protocol::{Preview, ReadSettings};

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

/// Which field each column fills; `on_target` gets the column and the chosen field.
#[component]
pub fn ColumnMapping(
    preview: RwSignal<Option<Preview>>,
    busy: Signal<bool>,
    on_target: Callback<(usize, Option<Target>)>,
) -> impl IntoView {
    let t = use_t();
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
                    {move || preview.get().map(|p| view! {
                        <For each=move || p.columns.clone() key=|c| c.index children=move |c| {
                            let column = c.index;
                            let name = c.header.clone().unwrap_or_else(|| format!("{} {}", t(Key::ImportColumn), c.index + 1));
                            let select_id = format!("map-{}", c.index);
                            let current = c.target.map(Target::as_str).unwrap_or_default();
                            let reason = c.ignored_reason.clone();
                            let confidence = c.target.map(|_| format!("{:.0}%", c.confidence * 100.0));
                            view! {
                                <tr>
                                    <td><label for=select_id.clone()>{name}</label></td>
                                    <td class="muted">{c.samples.join(", ")}</td>
                                    <td>
                                        <select id=select_id on:change=move |ev| on_target.run((column, Target::parse(&event_target_value(&ev)))) prop:value=current disabled=move || busy.get()>
                                            <option value="">{t(Key::ImportNotImported)}</option>
                                            {Target::ALL.iter().map(|tg| view! {
                                                <option value=tg.as_str()>{t(target_key(*tg))}</option>
                                            }).collect_view()}
                                        </select>
                                        {confidence.map(|c| view! { " " <span class="badge" title=t(Key::ImportConfidence)>{c}</span> })}
                                        {reason.filter(|_| c.target.is_none()).map(|r| view! { <div class="muted">{t(reason_key(&r))}</div> })}
                                    </td>
                                </tr>
                            }
                        }/>
                    })}
                </tbody>
            </table></div>
        </section>
    }
}
