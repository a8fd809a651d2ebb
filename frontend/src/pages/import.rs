//! The import wizard: choose a file; see what was detected (and override it); pick the group
//! and what to do with existing emails; match columns to fields; preview; check the whole
//! file; import with progress; follow the queued job to its counts.

use std::collections::HashMap;

use leptos::prelude::*;
use shared::api::{BatchRow, CreateImport, FieldError, GroupName, Id, Import, OnDuplicate};
use shared::import::Target;
use wasm_bindgen::JsCast;
use web_sys::{Blob, File};

use crate::api;
use crate::i18n::{Key, Locale, format_count, reason_key, status_key, target_key, use_t};
use crate::pages::ErrorNote;
use crate::protocol::{
    FromWorker, Preview, PreviewRow, Progress, ReadSettings, ToWorker, problems_csv,
};
use crate::session::Session;
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

/// Encodings offered as overrides (WHATWG labels).
const ENCODINGS: [&str; 5] = [
    "utf-8",
    "utf-16le",
    "utf-16be",
    "windows-1251",
    "windows-1252",
];
/// The group select's value for "create a new group".
const NEW_GROUP: &str = "new";

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Choose,
    Ready,
    Uploading { paused: bool },
    Following(Id),
    Done(Import),
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Mappings are remembered per set of headers, so the next export from the same system maps
/// itself.
fn mapping_key(p: &Preview) -> Option<String> {
    p.has_header.then(|| {
        let headers: Vec<String> = p
            .columns
            .iter()
            .map(|c| c.header.clone().unwrap_or_default().to_lowercase())
            .collect();
        format!("intake.mapping.{}", headers.join("\u{1f}"))
    })
}

/// An upload in progress is remembered per file, so a closed tab can resume it.
fn upload_key(f: &File) -> String {
    format!(
        "intake.upload.{}.{}.{}",
        f.name(),
        f.size(),
        f.last_modified()
    )
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct PendingUpload {
    import_id: Id,
    acked_batches: u32,
    settings: ReadSettings,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// The `blob:` URL of the CSV download of a check's problems, from the JSON `Blob` the
/// worker sends ([`FromWorker::Problems`]).
async fn problems_link(json: Blob) -> Option<String> {
    let text = wasm_bindgen_futures::JsFuture::from(json.text())
        .await
        .ok()?
        .as_string()?;
    let errors: Vec<(u64, FieldError)> = serde_json::from_str(&text).ok()?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(problems_csv(&errors).as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let csv = Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&csv).ok()
}

/// The cell of a row for a preview column.
fn cell(row: &BatchRow, field: &str) -> String {
    match field {
        "first_name" => row.first_name.clone(),
        "last_name" => row.last_name.clone(),
        "email" => row.email.clone(),
        "note" => row.note.clone(),
        "group" => row.group.clone(),
        "accepts_marketing" => row.accepts_marketing.as_ref().map(|c| match c {
            shared::api::Consent::Bool(true) => "yes".to_owned(),
            shared::api::Consent::Bool(false) => "no".to_owned(),
            shared::api::Consent::Text(s) => s.clone(),
        }),
        _ => None,
    }
    .unwrap_or_default()
}

fn set_cell(row: &mut BatchRow, field: &str, value: String) {
    let v = Some(value);
    match field {
        "first_name" => row.first_name = v,
        "last_name" => row.last_name = v,
        "email" => row.email = v,
        "note" => row.note = v,
        "group" => row.group = v,
        "accepts_marketing" => row.accepts_marketing = v.map(shared::api::Consent::Text),
        _ => {}
    }
}

/// The preview's columns: (field, text key).
const PREVIEW_FIELDS: [(&str, Key); 6] = [
    ("first_name", Key::TargetFirstName),
    ("last_name", Key::TargetLastName),
    ("email", Key::TargetEmail),
    ("accepts_marketing", Key::TargetAcceptsMarketing),
    ("group", Key::TargetCustomerGroup),
    ("note", Key::TargetNote),
];

#[component]
pub fn ImportWizard() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let session = expect_context::<Session>();

    let file = RwSignal::new_local(None::<File>);
    let settings = RwSignal::new(ReadSettings::default());
    let preview = RwSignal::new(None::<Preview>);
    let progress = RwSignal::new(None::<Progress>);
    let rate = RwSignal::new(None::<(f64, f64)>); // (rows per second, seconds left)
    let started = RwSignal::new(0.0f64);
    // A check's counts and first problems; then the `blob:` URL of all of them as CSV.
    let checked = RwSignal::new(None::<(Progress, Vec<(u64, FieldError)>)>);
    let problems_url = RwSignal::new(None::<String>);
    let checking = RwSignal::new(false);
    let phase = RwSignal::new(Phase::Choose);
    let error = RwSignal::new(None::<String>);
    let group_id = RwSignal::new(String::new());
    let new_group = RwSignal::new(String::new());
    let on_duplicate = RwSignal::new("skip".to_owned());
    let corrections = RwSignal::new(HashMap::<u64, PreviewRow>::new());
    let resumable = RwSignal::new(None::<PendingUpload>);
    let restored_mapping = RwSignal::new(false);
    let drag_over = RwSignal::new(false);
    let current_import = RwSignal::new(None::<Id>);

    let groups = LocalResource::new(move || async move {
        let groups = api::groups().await;
        // Start on the Default group, as the original does.
        if let Ok(list) = &groups
            && group_id.get_untracked().is_empty()
            && let Some(g) = list.iter().find(|g| g.name == "Default").or(list.first())
        {
            group_id.set(g.id.to_string());
        }
        groups
    });

    let forget_upload = move || {
        if let (Some(f), Some(storage)) = (file.get_untracked(), local_storage()) {
            let _ = storage.remove_item(&upload_key(&f));
        }
    };

    // Follow a committed import until it ends.
    let follow = move |id: Id| {
        phase.set(Phase::Following(id));
        leptos::task::spawn_local(async move {
            loop {
                match api::import(id).await {
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

    let worker = StoredValue::new_local(None::<WorkerClient>);
    // Answers go through this slot: the handler (below) itself asks the worker again.
    let answers = StoredValue::new_local(None::<std::rc::Rc<dyn Fn(FromWorker, Option<Blob>)>>);
    let ask = move |request: ToWorker| {
        let Some(f) = file.get_untracked() else {
            return;
        };
        worker.update_value(|w| {
            if w.is_none() {
                let deliver = move |answer: FromWorker, attachment: Option<Blob>| {
                    if let Some(handler) = answers.with_value(|h| h.clone()) {
                        handler(answer, attachment);
                    }
                };
                match WorkerClient::spawn(WORKER_URL, deliver) {
                    Ok(client) => *w = Some(client),
                    Err(e) => error.set(Some(e)),
                }
            }
            if let Some(client) = w {
                client.send(&request, &f);
            }
        });
    };
    // A new URL for the problems download (`None`: no list); the old one is revoked.
    let link_problems = move |url: Option<String>| {
        if let Some(old) = problems_url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        problems_url.set(url);
    };
    let refresh_preview = move || {
        checked.set(None);
        link_problems(None);
        corrections.set(HashMap::new());
        ask(ToWorker::Preview {
            settings: settings.get_untracked(),
            rows: PREVIEW_ROWS,
        });
    };

    // Answers from the worker.
    let on_answer = move |answer: FromWorker, attachment: Option<Blob>| match answer {
        FromWorker::Ready => {}
        FromWorker::Preview(p) => {
            error.set(p.problem.as_ref().map(|e| e.message.clone()));
            // A file with the same headers as an earlier import gets that import's mapping.
            if settings.get_untracked().mapping.is_none() && !restored_mapping.get_untracked() {
                restored_mapping.set(true);
                let saved = mapping_key(&p)
                    .and_then(|k| local_storage()?.get_item(&k).ok().flatten())
                    .and_then(|json| serde_json::from_str::<Vec<Option<Target>>>(&json).ok())
                    .filter(|m| m.len() == p.columns.len());
                let current: Vec<Option<Target>> = p.columns.iter().map(|c| c.target).collect();
                if let Some(mapping) = saved.filter(|m| *m != current) {
                    settings.update(|s| s.mapping = Some(mapping));
                    refresh_preview();
                    return;
                }
            }
            preview.set(Some(p));
            if phase.get_untracked() == Phase::Choose {
                phase.set(Phase::Ready);
            }
        }
        FromWorker::Progress(p) => {
            let elapsed = (now_ms() - started.get_untracked()) / 1000.0;
            if elapsed > 0.5 && p.bytes_done > 0.0 {
                let per_second = p.rows as f64 / elapsed;
                let left = elapsed * (p.bytes_total - p.bytes_done) / p.bytes_done;
                rate.set(Some((per_second, left)));
            }
            progress.set(Some(p));
        }
        FromWorker::BatchSent { seq, progress: p } => {
            progress.set(Some(p));
            if let (Some(f), Some(storage), Some(id)) = (
                file.get_untracked(),
                local_storage(),
                current_import.get_untracked(),
            ) {
                let pending = PendingUpload {
                    import_id: id,
                    acked_batches: seq + 1,
                    settings: settings.get_untracked(),
                };
                if let Ok(json) = serde_json::to_string(&pending) {
                    let _ = storage.set_item(&upload_key(&f), &json);
                }
            }
        }
        FromWorker::Checked {
            progress: p,
            errors,
        } => {
            checking.set(false);
            checked.set(Some((p, errors)));
            link_problems(None);
        }
        FromWorker::Problems => {
            if let Some(blob) = attachment {
                let shown = checked.get_untracked();
                wasm_bindgen_futures::spawn_local(async move {
                    let url = problems_link(blob).await;
                    // Still the check these problems belong to.
                    if checked.get_untracked() == shown {
                        link_problems(url);
                    }
                });
            }
        }
        FromWorker::Uploaded { progress: p, .. } => {
            progress.set(Some(p));
            forget_upload();
            if let Some(id) = current_import.get_untracked() {
                follow(id);
            }
        }
        FromWorker::Stopped => phase.set(Phase::Ready),
        FromWorker::Validated { line, errors } => corrections.update(|c| {
            if let Some(entry) = c.get_mut(&line) {
                entry.errors = errors;
            }
        }),
        FromWorker::Failed { message } => {
            checking.set(false);
            if matches!(phase.get_untracked(), Phase::Uploading { .. }) {
                phase.set(Phase::Ready);
            }
            error.set(Some(message));
        }
    };

    answers.set_value(Some(std::rc::Rc::new(on_answer)));

    let choose = move |f: File| {
        error.set(None);
        preview.set(None);
        progress.set(None);
        rate.set(None);
        phase.set(Phase::Choose);
        settings.set(ReadSettings::default());
        restored_mapping.set(false);
        resumable.set(
            local_storage()
                .and_then(|s| s.get_item(&upload_key(&f)).ok().flatten())
                .and_then(|json| serde_json::from_str::<PendingUpload>(&json).ok()),
        );
        file.set(Some(f));
        refresh_preview();
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        if let Some(f) = input.files().and_then(|list| list.get(0)) {
            choose(f);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        drag_over.set(false);
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            choose(f);
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
    let set_encoding = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        settings.update(|s| s.encoding = (!v.is_empty()).then_some(v));
        refresh_preview();
    };
    let set_delimiter = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        settings.update(|s| {
            s.delimiter = shared::import::parse_delimiter(&v).ok().flatten();
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
        // A field is filled by one column: taking it elsewhere frees it there.
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
    let fix_cell = move |line: u64, original: BatchRow, field: &'static str, value: String| {
        let mut row = None;
        corrections.update(|c| {
            let entry = c.entry(line).or_insert_with(|| PreviewRow {
                line,
                row: original,
                errors: Vec::new(),
            });
            set_cell(&mut entry.row, field, value);
            row = Some(entry.row.clone());
        });
        // The worker validates: the page does not carry the rules' tables.
        if let Some(row) = row {
            ask(ToWorker::Validate { row });
        }
    };

    let check_file = move |_| {
        checking.set(true);
        ask(ToWorker::Check {
            settings: settings.get_untracked(),
        });
    };

    let upload = move |import_id: Id, read: ReadSettings, skip_batches: u32| {
        current_import.set(Some(import_id));
        started.set(now_ms());
        phase.set(Phase::Uploading { paused: false });
        ask(ToWorker::Upload {
            settings: read,
            import_id,
            csrf: session.csrf(),
            batch_rows: BATCH_ROWS,
            corrections: corrections
                .get_untracked()
                .into_values()
                .map(|r| r.row)
                .collect(),
            skip_batches,
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
        let mut read = settings.get_untracked();
        // Freeze what the preview showed, so the upload reads the file the same way.
        read.encoding = Some(p.encoding.clone());
        read.delimiter = Some(p.delimiter);
        read.has_header = Some(p.has_header);
        read.mapping = Some(p.columns.iter().map(|c| c.target).collect());
        settings.set(read.clone());
        if let (Some(key), Some(storage)) = (mapping_key(&p), local_storage())
            && let Ok(json) = serde_json::to_string(&read.mapping)
        {
            let _ = storage.set_item(&key, &json);
        }
        let csrf = session.csrf();
        let wanted_group = group_id.get_untracked();
        let new_name = new_group.get_untracked();
        let dup = OnDuplicate::parse(&on_duplicate.get_untracked()).unwrap_or_default();
        phase.set(Phase::Uploading { paused: false });
        leptos::task::spawn_local(async move {
            let group = if wanted_group == NEW_GROUP {
                let name = GroupName {
                    name: new_name.clone(),
                };
                match api::create_group(&name, &csrf).await {
                    Ok(g) => Some(g.id),
                    Err(e) if e.status == 409 => api::groups()
                        .await
                        .ok()
                        .and_then(|gs| {
                            gs.into_iter()
                                .find(|g| g.name.to_lowercase() == new_name.trim().to_lowercase())
                        })
                        .map(|g| g.id),
                    Err(e) => {
                        phase.set(Phase::Ready);
                        error.set(Some(e.message));
                        return;
                    }
                }
            } else {
                wanted_group.parse().ok()
            };
            let request = CreateImport {
                file_name: f.name(),
                group_id: group,
                on_duplicate: dup,
                mapping: serde_json::to_value(&read.mapping).ok(),
            };
            match api::create_import(&request, &csrf).await {
                Ok(import) => upload(import.id, read, 0),
                Err(e) => {
                    phase.set(Phase::Ready);
                    error.set(Some(e.message));
                }
            }
        });
    };
    let resume = move |_| {
        let Some(pending) = resumable.get_untracked() else {
            return;
        };
        resumable.set(None);
        settings.set(pending.settings.clone());
        upload(pending.import_id, pending.settings, pending.acked_batches);
    };
    let pause = move |_| {
        let paused = matches!(phase.get_untracked(), Phase::Uploading { paused: true });
        ask(if paused {
            ToWorker::Resume
        } else {
            ToWorker::Pause
        });
        phase.set(Phase::Uploading { paused: !paused });
    };
    let cancel = move |_| {
        ask(ToWorker::Stop);
        forget_upload();
        if let Some(id) = current_import.get_untracked() {
            let csrf = session.csrf();
            leptos::task::spawn_local(async move {
                let _ = api::cancel_import(id, &csrf).await;
            });
        }
        phase.set(Phase::Ready);
    };

    let busy = move || matches!(phase.get(), Phase::Uploading { .. } | Phase::Following(_));

    view! {
        <div class="page-head">
            <h1>{move || t(Key::ImportTitle)}</h1>
        </div>
        <section class="panel">
            <div
                class="drop"
                class:over=move || drag_over.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); drag_over.set(true); }
                on:dragleave=move |_| drag_over.set(false)
                on:drop=on_drop
            >
                <p>{move || t(Key::ImportDrop)}</p>
                <label for="import-file">{move || t(Key::ImportFile)}</label>
                <input id="import-file" type="file" accept=".csv,.txt,.tsv,text/csv,text/plain" on:change=on_file disabled=busy/>
                <p class="muted">{move || t(Key::ImportNotImportableNote)}</p>
            </div>
            {move || resumable.get().map(|r| view! {
                <p class="panel" role="status">
                    {t(Key::ImportResumeNote)} " #" {r.import_id} " "
                    <button class="primary" on:click=resume>{t(Key::ImportResume)}</button>
                </p>
            })}
            {move || preview.get().map(|p| {
                let detected_encoding = p.encoding.clone();
                let detected_delimiter = delimiter_name(p.delimiter);
                view! {
                    <div class="grid" style="margin-top:1rem">
                        <div class="field">
                            <label for="import-encoding">{t(Key::ImportEncoding)}</label>
                            <select id="import-encoding" on:change=set_encoding disabled=busy
                                prop:value=move || settings.get().encoding.unwrap_or_default()>
                                <option value="">{t(Key::ImportAuto)} " (" {detected_encoding} ")"</option>
                                {ENCODINGS.iter().map(|e| view! { <option value=*e>{*e}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="import-delimiter">{t(Key::ImportDelimiter)}</label>
                            <select id="import-delimiter" on:change=set_delimiter disabled=busy
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
                            <input type="checkbox" prop:checked=p.has_header on:change=set_header disabled=busy/>
                            {t(Key::ImportHasHeader)}
                        </label>
                        {p.header_line.map(|l| view! { <span class="muted">" (" {t(Key::ImportLine)} " " {l} ")"</span> })}
                    </div>
                }
            })}
        </section>

        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}

        <Show when=move || preview.get().is_some_and(|p| p.problem.is_none())>
            <section class="panel">
                <h2>{move || t(Key::ImportSettings)}</h2>
                <div class="grid">
                    <div class="field">
                        <label for="import-group">{move || t(Key::ImportGroup)}</label>
                        <select id="import-group" bind:value=group_id disabled=busy>
                            {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| {
                                view! { <option value=g.id.to_string()>{g.name}</option> }
                            }).collect_view()}
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
                        <select id="import-duplicates" bind:value=on_duplicate disabled=busy>
                            <option value="skip">{move || t(Key::ImportDupSkip)}</option>
                            <option value="update">{move || t(Key::ImportDupUpdate)}</option>
                            <option value="update_non_blank">{move || t(Key::ImportDupUpdateNonBlank)}</option>
                        </select>
                    </div>
                </div>
            </section>

            <section class="panel">
                <h2>{move || t(Key::ImportMapping)}</h2>
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{move || t(Key::ImportColumn)}</th>
                        <th scope="col">{move || t(Key::ImportSamples)}</th>
                        <th scope="col">{move || t(Key::ImportField)}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview.get().map(|p| p.columns.into_iter().map(|c| {
                            let column = c.index;
                            let name = c.header.clone().unwrap_or_else(|| format!("{} {}", t(Key::ImportColumn), c.index + 1));
                            let select_id = format!("map-{}", c.index);
                            let current = c.target.map(target_code).unwrap_or_default();
                            let reason = c.ignored_reason.clone();
                            let confidence = c.target.map(|_| format!("{:.0}%", c.confidence * 100.0));
                            view! {
                                <tr>
                                    <td><label for=select_id.clone()>{name}</label></td>
                                    <td class="muted">{c.samples.join(", ")}</td>
                                    <td>
                                        <select id=select_id on:change=move |ev| set_target(column, event_target_value(&ev)) prop:value=current.clone() disabled=busy>
                                            <option value="">{t(Key::ImportNotImported)}</option>
                                            {TARGETS.iter().map(|tg| view! {
                                                <option value=target_code(*tg)>{t(target_key(*tg))}</option>
                                            }).collect_view()}
                                        </select>
                                        {confidence.map(|c| view! { " " <span class="badge" title=t(Key::ImportConfidence)>{c}</span> })}
                                        {reason.filter(|_| c.target.is_none()).map(|r| {
                                            let key = reason_key(&r);
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
                <h2>{move || t(Key::ImportPreview)}</h2>
                <p class="muted">{move || t(Key::ImportFixNote)}</p>
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{move || t(Key::ImportLine)}</th>
                        {PREVIEW_FIELDS.iter().map(|(_, key)| view! { <th scope="col">{move || t(*key)}</th> }).collect_view()}
                        <th scope="col">{move || t(Key::ImportProblems)}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview.get().map(|p| p.rows.into_iter().map(|r| {
                            let line = r.line;
                            let fixed = corrections.with_untracked(|c| c.get(&line).cloned());
                            let shown = fixed.clone().unwrap_or_else(|| r.clone());
                            let original = r.row.clone();
                            view! {
                                <tr>
                                    <td>{line}</td>
                                    {PREVIEW_FIELDS.iter().map(|(field, key)| {
                                        let field: &'static str = field;
                                        let bad = r.errors.iter().any(|e| e.field == field);
                                        let value = cell(&shown.row, field);
                                        if bad {
                                            let original = original.clone();
                                            let label = format!("{} {}, {}", t(Key::ImportLine), line, t(*key));
                                            let still_bad = move || corrections.with(|c| c.get(&line).is_none_or(|f| f.errors.iter().any(|e| e.field == field)));
                                            view! {
                                                <td class:invalid=still_bad>
                                                    <input aria-label=label value=value on:change=move |ev| fix_cell(line, original.clone(), field, event_target_value(&ev))/>
                                                </td>
                                            }.into_any()
                                        } else {
                                            view! { <td>{value}</td> }.into_any()
                                        }
                                    }).collect_view()}
                                    <td>{move || {
                                        let errors = corrections.with(|c| c.get(&line).map(|f| f.errors.clone())).unwrap_or_else(|| r.errors.clone());
                                        errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")
                                    }}</td>
                                </tr>
                            }
                        }).collect_view())}
                    </tbody>
                </table></div>
                <div class="actions" style="margin-top:0.75rem">
                    <button on:click=check_file disabled=move || busy() || checking.get()>{move || t(Key::ImportCheck)}</button>
                    <button class="primary" on:click=start_import disabled=move || busy() || (group_id.get() == NEW_GROUP && new_group.get().trim().is_empty())>
                        {move || t(Key::ImportStart)}
                    </button>
                </div>
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
                {move || checked.get().map(|(p, errors)| {
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
                            {errors.into_iter().map(|(line, e)| view! {
                                <li>{t(Key::ImportLine)} " " {line} ", " {e.field} ": " {e.message}</li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </section>
        </Show>

        {move || {
            let lang = locale.0.get();
            match phase.get() {
                Phase::Uploading { paused } => {
                    let p = progress.get().unwrap_or_default();
                    let value = if p.bytes_total > 0.0 { p.bytes_done / p.bytes_total } else { 0.0 };
                    let label = t(Key::ImportUploading);
                    view! {
                        <section class="panel" role="status">
                            <h2>{label}</h2>
                            <progress max="1" value=value aria-label=label></progress>
                            <p class="muted">
                                {format_count(lang, p.sent)} " " {t(Key::ImportRowsSent)}
                                {rate.get().map(|(per_s, left)| view! {
                                    " · " {format_count(lang, per_s as u64)} " " {t(Key::ImportRowsPerS)}
                                    " · " {format!("{:.0}", left.ceil())} " " {t(Key::ImportSecondsLeft)}
                                })}
                            </p>
                            <div class="actions">
                                <button on:click=pause>{if paused { t(Key::ImportContinue) } else { t(Key::ImportPause) }}</button>
                                <button class="danger" on:click=cancel>{t(Key::CommonCancel)}</button>
                            </div>
                        </section>
                    }.into_any()
                }
                Phase::Following(_) => {
                    let p = progress.get().unwrap_or_default();
                    let value = if p.rows > 0 { p.sent as f64 / p.rows as f64 } else { 0.0 };
                    let label = t(Key::ImportRunning);
                    view! {
                        <section class="panel" role="status">
                            <h2>{label}</h2>
                            <p class="muted">{t(Key::ImportQueued)}</p>
                            <progress max="1" value=value aria-label=label></progress>
                            <p class="muted">{format_count(lang, p.sent)} " / " {format_count(lang, p.rows)} " " {t(Key::ImportRows)}</p>
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
        }}
    }
}
