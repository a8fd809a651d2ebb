//! The import wizard: choose a file; see what was detected (and override it); pick the group
//! and what to do with existing emails; match columns to fields; preview; check the whole
//! file; import with progress; follow the queued job to its counts.

use leptos::prelude::*;
use shared::api::{CreateImport, Group, Id, Import, OnDuplicate};
use shared::import::Target;
use wasm_bindgen::JsCast;
use web_sys::File;

use crate::api;
use crate::app::Session;
use crate::i18n::{Locale, format_count, use_t};
use crate::pages::ErrorNote;
use crate::protocol::{FromWorker, Preview, Progress, ReadSettings, ToWorker};
use crate::worker_client::{WORKER_URL, WorkerClient};

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;
/// Rows per batch sent to the server.
const BATCH_ROWS: usize = 1000;

pub const TARGETS: [Target; 7] = [
    Target::FirstName,
    Target::LastName,
    Target::FullName,
    Target::Email,
    Target::Note,
    Target::AcceptsMarketing,
    Target::CustomerGroup,
];

pub fn target_key(t: Target) -> &'static str {
    match t {
        Target::FirstName => "target.first_name",
        Target::LastName => "target.last_name",
        Target::FullName => "target.full_name",
        Target::Email => "target.email",
        Target::Note => "target.note",
        Target::AcceptsMarketing => "target.accepts_marketing",
        Target::CustomerGroup => "target.customer_group",
    }
}

fn target_code(t: Target) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn target_from_code(code: &str) -> Option<Target> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Choose,
    Ready,
    Uploading,
    Following(Id),
    Done(Import),
}

#[component]
pub fn ImportWizard() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let session = expect_context::<Session>();

    let file = RwSignal::new_local(None::<File>);
    let settings = RwSignal::new(ReadSettings::default());
    let preview = RwSignal::new(None::<Preview>);
    let progress = RwSignal::new(None::<Progress>);
    let checked = RwSignal::new(None::<(Progress, Vec<(u64, shared::api::FieldError)>)>);
    let checking = RwSignal::new(false);
    let phase = RwSignal::new(Phase::Choose);
    let error = RwSignal::new(None::<String>);
    let group_id = RwSignal::new(String::new());
    let on_duplicate = RwSignal::new("skip".to_owned());
    let groups = LocalResource::new(move || async move {
        let groups = api::get::<Vec<Group>>("/api/groups").await;
        // Start on the Default group, as the original does.
        if let Ok(list) = &groups {
            if group_id.get_untracked().is_empty() {
                if let Some(g) = list.iter().find(|g| g.name == "Default").or(list.first()) {
                    group_id.set(g.id.to_string());
                }
            }
        }
        groups
    });

    // Follow a committed import until it ends.
    let follow = move |id: Id| {
        phase.set(Phase::Following(id));
        leptos::task::spawn_local(async move {
            loop {
                match api::get::<Import>(&format!("/api/imports/{id}")).await {
                    Ok(import) if import.status.is_final() => {
                        phase.set(Phase::Done(import));
                        break;
                    }
                    Ok(import) => {
                        progress.update(|p| {
                            let p = p.get_or_insert_with(Progress::default);
                            p.sent = import.counts.processed as u64;
                            p.rows = import.counts.received as u64;
                        });
                    }
                    Err(e) if !e.is_transient() => {
                        error.set(Some(e.message));
                        break;
                    }
                    Err(_) => {}
                }
                api::sleep_ms(500).await;
            }
        });
    };

    let current_import = RwSignal::new(None::<Id>);
    let worker = StoredValue::new_local(None::<WorkerClient>);
    let on_answer = move |answer: FromWorker| match answer {
        FromWorker::Ready => {}
        FromWorker::Preview(p) => {
            error.set(p.problem.as_ref().map(|e| e.message.clone()));
            preview.set(Some(p));
            if phase.get_untracked() == Phase::Choose {
                phase.set(Phase::Ready);
            }
        }
        FromWorker::Progress(p) => progress.set(Some(p)),
        FromWorker::Checked {
            progress: p,
            errors,
        } => {
            checking.set(false);
            checked.set(Some((p, errors)));
        }
        FromWorker::Uploaded { progress: p, .. } => {
            progress.set(Some(p));
            if let Phase::Uploading = phase.get_untracked() {
                if let Some(id) = current_import.get_untracked() {
                    follow(id);
                }
            }
        }
        FromWorker::Failed { message } => {
            checking.set(false);
            if phase.get_untracked() == Phase::Uploading {
                phase.set(Phase::Ready);
            }
            error.set(Some(message));
        }
    };

    let ask = move |request: ToWorker| {
        let Some(f) = file.get_untracked() else {
            return;
        };
        worker.update_value(|w| {
            if w.is_none() {
                match WorkerClient::spawn(WORKER_URL, on_answer) {
                    Ok(client) => *w = Some(client),
                    Err(e) => error.set(Some(e)),
                }
            }
            if let Some(client) = w {
                client.send(&request, &f);
            }
        });
    };
    let refresh_preview = move || {
        checked.set(None);
        ask(ToWorker::Preview {
            settings: settings.get_untracked(),
            rows: PREVIEW_ROWS,
        });
    };

    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        let chosen = input.files().and_then(|list| list.get(0));
        if let Some(f) = chosen {
            error.set(None);
            preview.set(None);
            progress.set(None);
            phase.set(Phase::Choose);
            settings.set(ReadSettings::default());
            file.set(Some(f));
            refresh_preview();
        }
    };

    let set_header = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        settings.update(|s| {
            s.has_header = Some(input.checked());
            s.mapping = None;
        });
        refresh_preview();
    };

    let set_target = move |column: usize, code: String| {
        let Some(p) = preview.get_untracked() else {
            return;
        };
        let mut mapping: Vec<Option<Target>> = p.columns.iter().map(|c| c.target).collect();
        let chosen = target_from_code(&code);
        // A field is filled by one column: taking it elsewhere frees it here.
        if chosen.is_some() {
            for m in mapping.iter_mut() {
                if *m == chosen {
                    *m = None;
                }
            }
        }
        if let Some(slot) = mapping.get_mut(column) {
            *slot = chosen;
        }
        settings.update(|s| s.mapping = Some(mapping));
        refresh_preview();
    };

    let check_file = move |_| {
        checking.set(true);
        ask(ToWorker::Check {
            settings: settings.get_untracked(),
        });
    };

    let start_import = move |_| {
        let Some(f) = file.get_untracked() else {
            return;
        };
        let Some(p) = preview.get_untracked() else {
            return;
        };
        error.set(None);
        phase.set(Phase::Uploading);
        let mut read = settings.get_untracked();
        // Freeze what the preview showed, so the upload reads the file the same way.
        read.encoding = Some(p.encoding.clone());
        read.delimiter = Some(p.delimiter);
        read.has_header = Some(p.has_header);
        read.mapping = Some(p.columns.iter().map(|c| c.target).collect());
        let request = CreateImport {
            file_name: f.name(),
            group_id: group_id.get_untracked().parse().ok(),
            on_duplicate: OnDuplicate::parse(&on_duplicate.get_untracked()).unwrap_or_default(),
            mapping: serde_json::to_value(&read.mapping).ok(),
        };
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::send::<_, Import>("POST", "/api/imports", &request, &csrf).await {
                Ok(import) => {
                    current_import.set(Some(import.id));
                    ask(ToWorker::Upload {
                        settings: read,
                        import_id: import.id,
                        csrf,
                        batch_rows: BATCH_ROWS,
                    });
                }
                Err(e) => {
                    phase.set(Phase::Ready);
                    error.set(Some(e.message));
                }
            }
        });
    };

    let busy = move || matches!(phase.get(), Phase::Uploading | Phase::Following(_));

    view! {
        <div class="page-head">
            <h1>{move || t("import.title")}</h1>
        </div>
        <section class="panel">
            <div class="field">
                <label for="import-file">{move || t("import.file")}</label>
                <input id="import-file" type="file" accept=".csv,.txt,.tsv,text/csv,text/plain" on:change=on_file disabled=busy/>
                <p class="muted">{move || t("import.not_importable_note")}</p>
            </div>
            {move || preview.get().map(|p| view! {
                <div class="field">
                    <label class="inline">
                        <input type="checkbox" prop:checked=p.has_header on:change=set_header disabled=busy/>
                        {t("import.has_header")}
                    </label>
                </div>
                <p class="muted">
                    {t("import.detected")} ": " {t("import.encoding")} " " <strong>{p.encoding.clone()}</strong>
                    ", " {t("import.delimiter")} " " <strong>{delimiter_name(p.delimiter)}</strong>
                </p>
            })}
        </section>

        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}

        <Show when=move || preview.get().is_some()>
            <section class="panel">
                <h2>{move || t("import.settings")}</h2>
                <div class="grid">
                    <div class="field">
                        <label for="import-group">{move || t("import.group")}</label>
                        <select id="import-group" bind:value=group_id disabled=busy>
                            {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| {
                                view! { <option value=g.id.to_string()>{g.name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="import-duplicates">{move || t("import.on_duplicate")}</label>
                        <select id="import-duplicates" bind:value=on_duplicate disabled=busy>
                            <option value="skip">{move || t("import.dup_skip")}</option>
                            <option value="update">{move || t("import.dup_update")}</option>
                            <option value="update_non_blank">{move || t("import.dup_update_non_blank")}</option>
                        </select>
                    </div>
                </div>
            </section>

            <section class="panel">
                <h2>{move || t("import.mapping")}</h2>
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{move || t("import.column")}</th>
                        <th scope="col">{move || t("import.samples")}</th>
                        <th scope="col">{move || t("import.field")}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview.get().map(|p| p.columns.into_iter().map(|c| {
                            let column = c.index;
                            let name = c.header.clone().unwrap_or_else(|| format!("#{}", c.index + 1));
                            let select_id = format!("map-{}", c.index);
                            let current = c.target.map(target_code).unwrap_or_default();
                            let reason = c.ignored_reason.clone();
                            view! {
                                <tr>
                                    <td><label for=select_id.clone()>{name}</label></td>
                                    <td class="muted">{c.samples.join(", ")}</td>
                                    <td>
                                        <select id=select_id on:change=move |ev| set_target(column, event_target_value(&ev)) prop:value=current.clone() disabled=busy>
                                            <option value="">{t("import.not_imported")}</option>
                                            {TARGETS.iter().map(|tg| view! {
                                                <option value=target_code(*tg)>{t(target_key(*tg))}</option>
                                            }).collect_view()}
                                        </select>
                                        {reason.filter(|_| c.target.is_none()).map(|r| {
                                            let key = match r.as_str() {
                                                "not_importable" => "import.reason.not_importable",
                                                "duplicate_target" => "import.reason.duplicate_target",
                                                _ => "import.reason.unknown",
                                            };
                                            view! { <div class="muted">{t(key)}</div> }
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view())}
                    </tbody>
                </table></div>
            </section>

            <section class="panel">
                <h2>{move || t("import.preview")}</h2>
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{move || t("import.line")}</th>
                        <th scope="col">{move || t("target.first_name")}</th>
                        <th scope="col">{move || t("target.last_name")}</th>
                        <th scope="col">{move || t("target.email")}</th>
                        <th scope="col">{move || t("target.accepts_marketing")}</th>
                        <th scope="col">{move || t("target.customer_group")}</th>
                        <th scope="col">{move || t("import.problems")}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview.get().map(|p| p.rows.into_iter().map(|r| {
                            let bad = |field: &str| r.errors.iter().any(|e| e.field == field);
                            let consent = match &r.row.accepts_marketing {
                                Some(shared::api::Consent::Bool(true)) => t("common.yes").to_owned(),
                                Some(shared::api::Consent::Bool(false)) => t("common.no").to_owned(),
                                Some(shared::api::Consent::Text(s)) => s.clone(),
                                None => String::new(),
                            };
                            view! {
                                <tr>
                                    <td>{r.line}</td>
                                    <td class:invalid=bad("first_name")>{r.row.first_name.clone().unwrap_or_default()}</td>
                                    <td class:invalid=bad("last_name")>{r.row.last_name.clone().unwrap_or_default()}</td>
                                    <td class:invalid=bad("email")>{r.row.email.clone().unwrap_or_default()}</td>
                                    <td class:invalid=bad("accepts_marketing")>{consent}</td>
                                    <td>{r.row.group.clone().unwrap_or_default()}</td>
                                    <td>{r.errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")}</td>
                                </tr>
                            }
                        }).collect_view())}
                    </tbody>
                </table></div>
                <div class="actions" style="margin-top:0.75rem">
                    <button on:click=check_file disabled=move || busy() || checking.get()>{move || t("import.check")}</button>
                    <button class="primary" on:click=start_import disabled=move || busy() || preview.get().is_some_and(|p| p.problem.is_some())>
                        {move || t("import.start")}
                    </button>
                </div>
                {move || checking.get().then(|| view! { <p class="muted" role="status">{t("import.checking")}</p> })}
                {move || checked.get().map(|(p, errors)| {
                    let lang = locale.0.get();
                    view! {
                        <div class="counts" role="status">
                            <div><strong>{format_count(lang, p.rows)}</strong>{t("import.rows")}</div>
                            <div><strong class="ok">{format_count(lang, p.valid)}</strong>{t("import.valid")}</div>
                            <div><strong>{format_count(lang, p.invalid)}</strong>{t("import.invalid")}</div>
                            <div><strong>{format_count(lang, p.duplicates)}</strong>{t("import.duplicates")}</div>
                        </div>
                        <ul>
                            {errors.into_iter().take(50).map(|(line, e)| view! {
                                <li>{t("import.line")} " " {line} ", " {e.field} ": " {e.message}</li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </section>
        </Show>

        {move || {
            let lang = locale.0.get();
            match phase.get() {
                Phase::Uploading | Phase::Following(_) => {
                    let p = progress.get().unwrap_or_default();
                    let (label, value) = match phase.get() {
                        Phase::Uploading => (t("import.uploading"), if p.bytes_total > 0.0 { p.bytes_done / p.bytes_total } else { 0.0 }),
                        _ => (t("import.running"), if p.rows > 0 { p.sent as f64 / p.rows as f64 } else { 0.0 }),
                    };
                    view! {
                        <section class="panel" role="status">
                            <h2>{label}</h2>
                            <progress max="1" value=value aria-label=label></progress>
                            <p class="muted">{format_count(lang, p.rows)} " " {t("import.rows")}</p>
                        </section>
                    }.into_any()
                }
                Phase::Done(import) => {
                    let c = import.counts;
                    view! {
                        <section class="panel" role="status">
                            <h2>{t("import.done")} " " <span class=format!("badge {}", import.status.as_str())>{t(crate::pages::jobs::status_key(import.status.as_str()))}</span></h2>
                            <div class="counts">
                                <div><strong>{format_count(lang, c.created as u64)}</strong>{t("import.created")}</div>
                                <div><strong>{format_count(lang, c.updated as u64)}</strong>{t("import.updated")}</div>
                                <div><strong>{format_count(lang, c.skipped as u64)}</strong>{t("import.skipped")}</div>
                                <div><strong>{format_count(lang, c.failed as u64)}</strong>{t("import.failed")}</div>
                            </div>
                            <div class="actions">
                                <a class="button primary" href=format!("/customers?import_id={}", import.id)>{t("import.see_customers")}</a>
                                {(c.failed > 0).then(|| view! {
                                    <a class="button" href=format!("/api/imports/{}/errors.csv", import.id) download="">{t("import.error_report")}</a>
                                })}
                            </div>
                        </section>
                    }.into_any()
                }
                _ => ().into_any(),
            }
        }}
    }
}
