//! The whole-file check's part of the page: its progress while it runs, then its counts, its
//! first problems and the download of all of them.

use leptos::prelude::*;
use shared::api::FieldError;
use shared::import::DistinctValues;
use web_sys::Blob;

use crate::i18n::{Key, Lang, Locale, format_count, problem_text, use_t};
use crate::protocol::{Progress, problems_csv};
use shared::messages::field_name;

/// A check's counts, first problems and distinct consent and group values.
pub type Checked = (Progress, Vec<(u64, FieldError)>, DistinctValues);

/// The `blob:` URL of the CSV download of a check's problems, from the JSON `Blob` the
/// worker sends ([`FromWorker::Problems`](crate::protocol::FromWorker::Problems)).
pub async fn problems_link(json: Blob, lang: Lang) -> Option<String> {
    let text = wasm_bindgen_futures::JsFuture::from(json.text())
        .await
        .ok()?
        .as_string()?;
    let errors: Vec<(u64, FieldError)> = serde_json::from_str(&text).ok()?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(
        problems_csv(&errors, lang).as_slice(),
    ));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let csv = Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&csv).ok()
}

#[component]
pub fn CheckPanel(
    checking: RwSignal<bool>,
    progress: RwSignal<Option<Progress>>,
    checked: RwSignal<Option<Checked>>,
    problems_url: RwSignal<Option<String>>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    view! {
        {move || checking.get().then(|| {
            let p = progress.get().unwrap_or_default();
            let value = if p.bytes_total > 0.0 { p.bytes_done / p.bytes_total } else { 0.0 };
            view! {
                <div role="status">
                    <p class="muted">{t(Key::ImportChecking)}</p>
                    <progress max="1" value=value aria-label=t(Key::ImportChecking)></progress>
                </div>
            }
        })}
        {move || checked.get().map(|(p, errors, _)| {
            let lang = locale.0.get();
            view! {
                <div class="counts" role="status">
                    <div><strong>{format_count(lang, p.rows)}</strong>{t(Key::ImportRows)}</div>
                    <div><strong class="ok">{format_count(lang, p.valid)}</strong>{t(Key::ImportValid)}</div>
                    <div><strong>{format_count(lang, p.invalid)}</strong>{t(Key::ImportInvalid)}</div>
                    <div><strong>{format_count(lang, p.duplicates)}</strong>{t(Key::ImportDuplicates)}</div>
                </div>
                {move || problems_url.get().map(|url| view! {
                    <a class="button" href=url download="problems.csv">{t(Key::ImportDownloadProblems)}</a>
                })}
                <ul>
                    <For
                        each=move || errors.clone().into_iter().enumerate()
                        key=|(i, _)| *i
                        children=move |(_, (line, e))| view! {
                            <li>{t(Key::ImportLine)} " " {line} ", " {field_name(e.field, lang)} ": " {problem_text(lang, &e)}</li>
                        }
                    />
                </ul>
            }
        })}
    }
}
