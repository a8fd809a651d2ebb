//! The preview's rows: each cell with a problem is an input the user can correct (the
//! worker checks the corrected row again).

use std::collections::HashMap;

use leptos::prelude::*;
use shared::api::{BatchRow, Consent};
use shared::import::Target;

use crate::i18n::{Key, Locale, problem_text, target_key, use_t};
use crate::protocol::{Preview, PreviewRow};

/// The preview's columns, in the order shown (the full name is split into first and last).
const PREVIEW_TARGETS: [Target; 6] = [
    Target::FirstName,
    Target::LastName,
    Target::Email,
    Target::AcceptsMarketing,
    Target::CustomerGroup,
    Target::Note,
];

/// The preview's columns for a mapping: only the fields some column fills (a full name
/// shows as first and last name), and always the email, which every row needs.
pub fn visible_targets(mapped: &[Option<Target>]) -> Vec<Target> {
    let has = |t: Target| mapped.contains(&Some(t));
    PREVIEW_TARGETS
        .into_iter()
        .filter(|&t| {
            has(t)
                || t == Target::Email
                || (matches!(t, Target::FirstName | Target::LastName) && has(Target::FullName))
        })
        .collect()
}

/// The cell of a row for a preview column.
fn cell(row: &BatchRow, target: Target) -> String {
    match target {
        Target::FirstName => row.first_name.clone(),
        Target::LastName => row.last_name.clone(),
        Target::Email => row.email.clone(),
        Target::Note => row.note.clone(),
        Target::CustomerGroup => row.group.clone(),
        Target::AcceptsMarketing => row.accepts_marketing.as_ref().map(|c| match c {
            Consent::Bool(true) => "yes".to_owned(),
            Consent::Bool(false) => "no".to_owned(),
            Consent::Text(s) => s.clone(),
        }),
        Target::FullName => None,
    }
    .unwrap_or_default()
}

/// Sets a row's cell to what the user typed.
pub fn set_cell(row: &mut BatchRow, target: Target, value: String) {
    let v = Some(value);
    match target {
        Target::FirstName => row.first_name = v,
        Target::LastName => row.last_name = v,
        Target::Email => row.email = v,
        Target::Note => row.note = v,
        Target::CustomerGroup => row.group = v,
        Target::AcceptsMarketing => row.accepts_marketing = v.map(Consent::Text),
        Target::FullName => {}
    }
}

/// A correction: the line, its row as read, the column and the new value.
pub type Fix = (u64, BatchRow, Target, String);

#[component]
pub fn PreviewTable(
    preview: RwSignal<Option<Preview>>,
    corrections: RwSignal<HashMap<u64, PreviewRow>>,
    on_fix: Callback<Fix>,
) -> impl IntoView {
    let t = use_t();
    let shown = move || {
        preview.with(|p| {
            let mapped: Vec<Option<Target>> = p
                .as_ref()
                .map(|p| p.columns.iter().map(|c| c.target).collect())
                .unwrap_or_default();
            visible_targets(&mapped)
        })
    };
    view! {
        <div class="table-wrap"><table>
            <thead><tr>
                <th scope="col">{move || t(Key::ImportLine)}</th>
                {move || shown().into_iter().map(|target| view! { <th scope="col">{move || t(target_key(target))}</th> }).collect_view()}
                <th scope="col">{move || t(Key::ImportProblems)}</th>
            </tr></thead>
            <tbody>
                {move || preview.get().map(|p| {
                    let targets = shown();
                    view! {
                        <For each=move || p.rows.clone() key=|r| r.line children=move |r| row_view(r, targets.clone(), corrections, on_fix)/>
                    }
                })}
            </tbody>
        </table></div>
    }
}

fn row_view(
    r: PreviewRow,
    targets: Vec<Target>,
    corrections: RwSignal<HashMap<u64, PreviewRow>>,
    on_fix: Callback<Fix>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let line = r.line;
    let fixed = corrections.with_untracked(|c| c.get(&line).cloned());
    let shown = fixed.clone().unwrap_or_else(|| r.clone());
    let original = r.row.clone();
    view! {
        <tr>
            <td>{line}</td>
            {targets.into_iter().map(|target| {
                let field = target.field();
                let bad = r.errors.iter().any(|e| e.field == field);
                let value = cell(&shown.row, target);
                if bad {
                    let original = original.clone();
                    let label = format!("{} {}, {}", t(Key::ImportLine), line, t(target_key(target)));
                    let still_bad = move || corrections.with(|c| c.get(&line).is_none_or(|f| f.errors.iter().any(|e| e.field == field)));
                    view! {
                        <td class:invalid=still_bad>
                            <input aria-label=label value=value on:change=move |ev| on_fix.run((line, original.clone(), target, event_target_value(&ev)))/>
                        </td>
                    }.into_any()
                } else {
                    view! { <td>{value}</td> }.into_any()
                }
            }).collect_view()}
            <td>{move || {
                let errors = corrections.with(|c| c.get(&line).map(|f| f.errors.clone())).unwrap_or_else(|| r.errors.clone());
                let lang = locale.0.get();
                errors.iter().map(|e| problem_text(lang, e)).collect::<Vec<_>>().join(" ")
            }}</td>
        </tr>
    }
}
