//! The import under way: the upload's progress (pause, cancel), the queued import's progress,
//! and its counts when it is done.

use leptos::prelude::*;

use super::phase::Phase;
use crate::api;
use crate::i18n::{Key, Locale, count_of, format_count, status_key, use_t};
use crate::protocol::Progress;

#[component]
pub fn PhasePanel(
    phase: RwSignal<Phase>,
    progress: RwSignal<Option<Progress>>,
    /// (rows per second, seconds left)
    rate: RwSignal<Option<(f64, f64)>>,
    on_pause: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    move || {
        let lang = locale.0.get();
        match phase.get() {
            Phase::Uploading { paused, .. } => {
                let p = progress.get().unwrap_or_default();
                let value = if p.bytes_total > 0.0 {
                    p.bytes_done / p.bytes_total
                } else {
                    0.0
                };
                let label = t(Key::ImportUploading);
                view! {
                    <section class="panel" role="status">
                        <h2>{label}</h2>
                        <progress max="1" value=value aria-label=label></progress>
                        <p class="muted">
                            {count_of(lang, p.sent, Key::ImportRowSentOne, Key::ImportRowsSent)}
                            {rate.get().map(|(per_s, left)| view! {
                                " · " {format_count(lang, per_s as u64)} " " {t(Key::ImportRowsPerS)}
                                " · " {format!("{:.0}", left.ceil())} " " {t(Key::ImportSecondsLeft)}
                            })}
                        </p>
                        <div class="actions">
                            <button on:click=move |_| on_pause.run(())>{if paused { t(Key::ImportContinue) } else { t(Key::ImportPause) }}</button>
                            <button class="danger" on:click=move |_| on_cancel.run(())>{t(Key::CommonCancel)}</button>
                        </div>
                    </section>
                }.into_any()
            }
            Phase::Following(_) => {
                let p = progress.get().unwrap_or_default();
                let value = if p.rows > 0 {
                    p.sent as f64 / p.rows as f64
                } else {
                    0.0
                };
                let label = t(Key::ImportRunning);
                view! {
                    <section class="panel" role="status">
                        <h2>{label}</h2>
                        <p class="muted">{t(Key::ImportQueued)}</p>
                        <progress max="1" value=value aria-label=label></progress>
                        <p class="muted">{format_count(lang, p.sent)} " / " {count_of(lang, p.rows, Key::ImportRowCountOne, Key::ImportRowCount)}</p>
                    </section>
                }.into_any()
            }
            Phase::Done(import) => {
                let c = import.counts;
                view! {
                    <section class="panel" role="status">
                        <h2>{t(Key::ImportDone)} " " <span class=format!("badge {}", import.status.as_str())>{t(status_key(import.status))}</span></h2>
                        <div class="counts">
                            <div><strong>{format_count(lang, c.created as u64)}</strong>{t(Key::ImportCreated)}</div>
                            <div><strong>{format_count(lang, c.updated as u64)}</strong>{t(Key::ImportUpdated)}</div>
                            <div><strong>{format_count(lang, c.skipped as u64)}</strong>{t(Key::ImportSkipped)}</div>
                            <div><strong>{format_count(lang, c.failed as u64)}</strong>{t(Key::ImportFailed)}</div>
                        </div>
                        <div class="actions">
                            <a class="button primary" href=format!("/customers?import_id={}", import.id)>{t(Key::ImportSeeCustomers)}</a>
                            {(c.failed > 0).then(|| view! {
                                <a class="button" href=api::import_errors_url(import.id) download="">{t(Key::ImportErrorReport)}</a>
                            })}
                        </div>
                    </section>
                }.into_any()
            }
            _ => ().into_any(),
        }
    }
}

/// Milliseconds on the page's clock, for the upload's rate and time left.
pub(super) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}
