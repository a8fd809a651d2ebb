//! "What will happen": once every batch of an import is stored ([`Phase::Stored`]), the
//! import is committed at once, or first dry-run on the server (applied and rolled back)
//! and its counts and sample changes shown, with the choice to import or cancel.

use leptos::prelude::*;
use shared::api::{CommitRequest, DryRunReport, Id, ImportStatus};

use super::phase::Phase;
use crate::api;
use crate::i18n::{Key, Locale, format_count, use_t};

/// What the page does once an import's batches are all stored: commit it and follow it,
/// or (`review`) dry-run it into `report` and wait for the user.
pub fn on_stored(
    phase: RwSignal<Phase>,
    review: bool,
    report: RwSignal<Option<Result<DryRunReport, String>>>,
    csrf: String,
    follow: impl Fn(Id) + 'static,
) {
    let Phase::Stored {
        import,
        batches,
        rows,
    } = phase.get_untracked()
    else {
        return;
    };
    leptos::task::spawn_local(async move {
        if review {
            report.set(None);
            report.set(Some(run(import, &csrf).await));
            return;
        }
        let commit = CommitRequest {
            batch_count: batches,
            row_count: rows,
        };
        match api::commit_import(import, &commit, &csrf).await {
            Ok(()) => {
                phase.set(Phase::Following(import));
                follow(import);
            }
            Err(e) => report.set(Some(Err(e.message))),
        }
    });
}

/// Queue a dry run of `import` and wait for its report.
async fn run(import: Id, csrf: &str) -> Result<DryRunReport, String> {
    let job = api::dry_run(import, csrf).await.map_err(|e| e.message)?;
    loop {
        api::sleep_ms(300).await;
        match api::job(job.id).await {
            Ok(j) if j.status == ImportStatus::Completed => {
                return j
                    .dry_run
                    .ok_or_else(|| "the dry run gave no report".to_owned());
            }
            Ok(j) if j.status.is_final() => return Err(j.error.unwrap_or_default()),
            Ok(_) => {}
            Err(e) if !e.is_transient() => return Err(e.message),
            Err(_) => {}
        }
    }
}

#[component]
pub fn DryRunPanel(
    phase: RwSignal<Phase>,
    report: RwSignal<Option<Result<DryRunReport, String>>>,
    /// Commit the stored import.
    on_commit: Callback<()>,
    csrf: Signal<String>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let cancel = move |_| {
        if let Phase::Stored { import, .. } = phase.get_untracked() {
            let csrf = csrf.get_untracked();
            leptos::task::spawn_local(async move {
                let _ = api::cancel_import(import, &csrf).await;
            });
        }
        report.set(None);
        phase.set(Phase::Ready);
    };
    move || {
        let Phase::Stored { .. } = phase.get() else {
            return ().into_any();
        };
        let lang = locale.0.get();
        let body = match report.get() {
            None => view! { <p class="muted" role="status">{t(Key::ImportDryRunRunning)}</p> }
                .into_any(),
            Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            Some(Ok(r)) => {
                let c = r.counts;
                let samples = r.samples;
                view! {
                    <p class="muted">{t(Key::ImportDryRunNote)}</p>
                    <div class="counts">
                        <div><strong>{format_count(lang, c.created as u64)}</strong>{t(Key::ImportCreated)}</div>
                        <div><strong>{format_count(lang, c.updated as u64)}</strong>{t(Key::ImportUpdated)}</div>
                        <div><strong>{format_count(lang, c.unchanged as u64)}</strong>{t(Key::ImportUnchanged)}</div>
                        <div><strong>{format_count(lang, c.skipped_duplicate as u64)}</strong>{t(Key::ImportSkipped)}</div>
                        <div><strong>{format_count(lang, c.failed as u64)}</strong>{t(Key::ImportFailed)}</div>
                    </div>
                    {(!samples.is_empty()).then(|| view! {
                        <h3>{t(Key::ImportSampleChanges)}</h3>
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">{t(Key::ImportLine)}</th>
                                <th scope="col">"Email"</th>
                                <th scope="col">{t(Key::ImportChangedField)}</th>
                                <th scope="col">{t(Key::ImportBefore)}</th>
                                <th scope="col">{t(Key::ImportAfter)}</th>
                            </tr></thead>
                            <tbody>
                                {samples.into_iter().flat_map(|s| {
                                    let (line, email) = (s.line, s.email);
                                    s.changes.into_iter().map(move |ch| view! {
                                        <tr>
                                            <td>{line}</td>
                                            <td>{email.clone()}</td>
                                            <td>{ch.field}</td>
                                            <td>{ch.before}</td>
                                            <td>{ch.after}</td>
                                        </tr>
                                    })
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    })}
                }.into_any()
            }
        };
        view! {
            <section class="panel">
                <h2>{t(Key::ImportWhatWillHappen)}</h2>
                {body}
                <div class="actions">
                    <button class="primary" on:click=move |_| on_commit.run(())
                        disabled=move || report.with(|r| r.is_none())>{t(Key::ImportCommitNow)}</button>
                    <button class="danger" on:click=cancel>{t(Key::CommonCancel)}</button>
                </div>
            </section>
        }.into_any()
    }
}
