//! Settings > Queue jobs: every job with its kind, file, who started it, status, progress,
//! counts and times, and links to its import's outcome report and errors; refreshed while
//! any job is still moving.

use leptos::prelude::*;
use shared::api::{Id, ImportStatus};

use crate::api;
use crate::i18n::{Key, Locale, format_count, format_time, status_key, use_t};
use crate::pages::error_note::ErrorNote;
use crate::session::Session;

/// What a job's buttons ask of its import.
#[derive(Clone, Copy)]
enum JobAction {
    Cancel(Id),
    Undo(Id),
}

#[component]
pub fn Jobs() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let jobs = LocalResource::new(|| async { api::jobs(100).await });
    let session = expect_context::<Session>();
    let error = RwSignal::new(None::<String>);
    let act = move |action: JobAction| {
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            let done = match action {
                JobAction::Cancel(id) => api::cancel_import(id, &csrf).await,
                JobAction::Undo(id) => api::undo_import(id, &csrf).await,
            };
            match done {
                Ok(_) => error.set(None),
                Err(e) => error.set(Some(e.message)),
            }
            jobs.refetch();
        });
    };
    // Follow running jobs live.
    let alive = RwSignal::new(true);
    on_cleanup(move || alive.set(false));
    leptos::task::spawn_local(async move {
        loop {
            api::sleep_ms(1500).await;
            if !alive.get_untracked() {
                break;
            }
            let moving = jobs
                .get_untracked()
                .and_then(Result::ok)
                .is_some_and(|l| l.items.iter().any(|j| !j.status.is_final()));
            if moving {
                jobs.refetch();
            }
        }
    });
    view! {
        <div class="page-head"><h1>{move || t(Key::JobsTitle)}</h1></div>
        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}
        <Transition fallback=move || view! { <p class="muted">{t(Key::CommonLoading)}</p> }>
            {move || jobs.get().map(|result| match result {
                Err(e) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| jobs.refetch())/> }.into_any(),
                Ok(list) if list.items.is_empty() => view! { <p class="panel muted">{t(Key::JobsEmpty)}</p> }.into_any(),
                Ok(list) => {
                    let lang = locale.0.get();
                    view! {
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">"#"</th>
                                <th scope="col">{t(Key::JobsKind)}</th>
                                <th scope="col">{t(Key::JobsFile)}</th>
                                <th scope="col">{t(Key::JobsStartedBy)}</th>
                                <th scope="col">{t(Key::JobsStatus)}</th>
                                <th scope="col">{t(Key::JobsProgress)}</th>
                                <th scope="col">{t(Key::ImportCreated)}</th>
                                <th scope="col">{t(Key::ImportUpdated)}</th>
                                <th scope="col">{t(Key::ImportSkipped)}</th>
                                <th scope="col">{t(Key::ImportFailed)}</th>
                                <th scope="col">{t(Key::JobsAttempts)}</th>
                                <th scope="col">{t(Key::JobsQueuedAt)}</th>
                                <th scope="col">{t(Key::GroupsActions)}</th>
                            </tr></thead>
                            <tbody>
                                <For each=move || list.items.clone() key=|j| j.id children=move |j| {
                                    let status = j.status.as_str();
                                    let import_id = j.import_id;
                                    let kind_key = match j.kind.as_str() {
                                        "undo" => Key::JobsKindUndo,
                                        "dry_run" => Key::JobsKindDryRun,
                                        _ => Key::JobsKindImport,
                                    };
                                    view! {
                                        <tr>
                                            <td>{j.id}</td>
                                            <td>{format!("{} #{}", t(kind_key), j.import_id)}</td>
                                            <td>{j.file_name.clone()}</td>
                                            <td>{j.started_by.clone().unwrap_or_else(|| t(Key::JobsStartedByUnknown).to_owned())}</td>
                                            <td><span class=format!("badge {status}")>{t(status_key(j.status))}</span></td>
                                            <td><progress max="1" value=j.progress aria-label=t(Key::JobsProgress)></progress></td>
                                            <td>{format_count(lang, j.counts.created as u64)}</td>
                                            <td>{format_count(lang, j.counts.updated as u64)}</td>
                                            <td>{format_count(lang, j.counts.skipped as u64)}</td>
                                            <td>{format_count(lang, j.counts.failed as u64)}</td>
                                            <td>{j.attempts}</td>
                                            <td>{format_time(lang, &j.created_at)}</td>
                                            <td class="actions">
                                                {(j.kind == "import" && matches!(j.status, ImportStatus::Receiving | ImportStatus::Queued | ImportStatus::Running)).then(|| view! {
                                                    <button on:click=move |_| act(JobAction::Cancel(import_id))>{t(Key::JobsCancel)}</button>
                                                })}
                                                {(j.kind == "import" && j.status == ImportStatus::Completed).then(|| view! {
                                                    <button on:click=move |_| act(JobAction::Undo(import_id))>{t(Key::JobsUndo)}</button>
                                                })}
                                                {(j.kind != "dry_run" && j.counts.processed > 0).then(|| view! {
                                                    <a class="button" href=api::import_outcomes_url(import_id) download="">{t(Key::JobsOutcomes)}</a>
                                                })}
                                                {(j.kind != "dry_run" && j.counts.failed > 0).then(|| view! {
                                                    <a class="button" href=api::import_errors_url(import_id) download="">{t(Key::JobsErrors)}</a>
                                                })}
                                                {j.error.clone().map(|e| view! { <div class="muted">{e}</div> })}
                                            </td>
                                        </tr>
                                    }
                                }/>
                            </tbody>
                        </table></div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
