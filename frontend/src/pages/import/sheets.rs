//! The sheet picker of a workbook with several sheets, and the note while the workbook
//! worker reads one.

use leptos::prelude::*;

use crate::i18n::{Key, use_t};

#[component]
pub fn SheetPicker(
    sheets: RwSignal<Vec<String>>,
    sheet: RwSignal<String>,
    reading_book: RwSignal<bool>,
    busy: Signal<bool>,
    on_sheet: Callback<String>,
) -> impl IntoView {
    let t = use_t();
    view! {
        <Show when=move || { sheets.with(|s| s.len() > 1) }>
            <p>
                <label for="import-sheet">{move || t(Key::WorkbookSheet)}</label>
                " "
                <select
                    id="import-sheet"
                    disabled=move || busy.get() || reading_book.get()
                    on:change=move |ev| on_sheet.run(event_target_value(&ev))
                >
                    {move || sheets.get().into_iter().map(|name| {
                        let selected = name == sheet.get_untracked();
                        view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
            </p>
        </Show>
        <Show when=move || reading_book.get()>
            <p class="muted" role="status">{move || t(Key::WorkbookReading)}</p>
        </Show>
    }
}
