//! Settings > Queue jobs: every job with status, progress, counts and times; refreshed
//! while any job is still moving.

use leptos::prelude::*;
use shared::api::JobList;

use crate::api;
use crate::app::Session;
use crate::i18n::{Locale, format_count, format_time, use_t};
use crate::pages::ErrorNote;

#[component]
pub fn Jobs() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let jobs = LocalResource::new(|| async { api::get::<JobList>("/api/jobs?per_page=100").await });
    let session = expect_context::<Session>();
    let error = RwSignal::new(None::<String>);
    let act = move |path: String| {
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::send::<_, serde_json::Value>("POST", &path, &serde_json::json!({}), &csrf)
                .await
            {
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
        <div class="page-head"><h1>{move || t("jobs.title")}</h1></div>
        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}
        <Transition fallback=move || view! { <p class="muted">{t("common.loading")}</p> }>
            {move || jobs.get().map(|result| match result {
                Err(e) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| jobs.refetch())/> }.into_any(),
                Ok(list) if list.items.is_empty() => view! { <p class="panel muted">{t("jobs.empty")}</p> }.into_any(),
                Ok(list) => {
                    let lang = locale.0.get();
                    view! {
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">"#"</th>
                                <th scope="col">{t("jobs.kind")}</th>
                                <th scope="col">{t("jobs.status")}</th>
                                <th scope="col">{t("jobs.progress")}</th>
                                <th scope="col">{t("import.created")}</th>
                                <th scope="col">{t("import.updated")}</th>
                                <th scope="col">{t("import.skipped")}</th>
                                <th scope="col">{t("import.failed")}</th>
                                <th scope="col">{t("jobs.attempts")}</th>
                                <th scope="col">{t("jobs.queued_at")}</th>
                                <th scope="col">{t("groups.actions")}</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|j| {
                                    let status = j.status.as_str();
                                    let import_id = j.import_id;
                                    let kind_key = if j.kind == "undo" { "jobs.kind.undo" } else { "jobs.kind.import" };
                                    view! {
                                        <tr>
                                            <td>{j.id}</td>
                                            <td>{format!("{} #{}", t(kind_key), j.import_id)}</td>
                                            <td><span class=format!("badge {status}")>{t(status_key(status))}</span></td>
                                            <td><progress max="1" value=j.progress aria-label=t("jobs.progress")></progress></td>
                                            <td>{format_count(lang, j.counts.created as u64)}</td>
                                            <td>{format_count(lang, j.counts.updated as u64)}</td>
                                            <td>{format_count(lang, j.counts.skipped as u64)}</td>
                                            <td>{format_count(lang, j.counts.failed as u64)}</td>
                                            <td>{j.attempts}</td>
                                            <td>{format_time(lang, &j.created_at)}</td>
                                            <td class="actions">
                                                {(j.kind == "import" && matches!(status, "receiving" | "queued" | "running")).then(|| view! {
                                                    <button on:click=move |_| act(format!("/api/imports/{import_id}/cancel"))>{t("jobs.cancel")}</button>
                                                })}
                                                {(j.kind == "import" && status == "completed").then(|| view! {
                                                    <button on:click=move |_| act(format!("/api/imports/{import_id}/undo"))>{t("jobs.undo")}</button>
                                                })}
                                                {(j.kind == "import" && j.counts.failed > 0).then(|| view! {
                                                    <a class="button" href=format!("/api/imports/{import_id}/errors.csv") download="">{t("jobs.errors")}</a>
                                                })}
                                                {j.error.clone().map(|e| view! { <div class="muted">{e}</div> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

pub fn status_key(status: &str) -> &'static str {
    match status {
        "receiving" => "status.receiving",
        "queued" => "status.queued",
        "running" => "status.running",
        "completed" => "status.completed",
        "failed" => "status.failed",
        "cancelled" => "status.cancelled",
        _ => "status.undone",
    }
}
