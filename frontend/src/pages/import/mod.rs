//! The import wizard: choose a file; see what was detected (and override it); pick the group
//! and what to do with existing emails; match columns to fields; preview; check the whole
//! file; import with progress; follow the queued job to its counts.
//!
//! [`phase`] is the state machine (plain data, tested without a page); this module holds the
//! signals, talks to the parse worker and the API, and puts the parts together: [`mapping`],
//! [`preview`], [`check`], [`progress`] and [`profile`] (mapping profiles saved on the server).
//! [`saved`] is what localStorage keeps.
//! A workbook is first turned into CSV text by the workbook worker (`crate::workbook`,
//! started only then; [`sheets`] is its sheet picker); the text then goes through the
//! parse worker as a CSV file would.

mod check;
mod dry_run;
pub mod mapping;
pub mod phase;
pub mod preview;
mod profile;
mod progress;
mod saved;
mod sheets;
pub mod values;

use std::collections::HashMap;

use leptos::prelude::*;
use shared::api::{BatchRow, CreateImport, GroupName, Id, OnDuplicate};
use shared::import::Target;
use wasm_bindgen::JsCast;
use web_sys::{Blob, File};

use self::check::{CheckPanel, Checked, problems_link};
use self::dry_run::{DryRunPanel, on_stored};
use self::mapping::{ColumnMapping, ImportOptions, NEW_GROUP, ReadOptions};
use self::phase::{Phase, apply, choose_target, rate as transfer_rate, straight_to_check};
use self::preview::{Fix, PreviewTable, set_cell};
use self::profile::{SaveProfile, remembered_mapping};
use self::progress::{PhasePanel, now_ms};
use self::saved::PendingUpload;
use self::sheets::SheetPicker;
use self::values::ValueMapping;
use crate::api;
use crate::i18n::{Key, Locale, problem_text, use_t};
use crate::pages::error_note::ErrorNote;
use crate::protocol::{FromWorker, Preview, PreviewRow, Progress, ReadSettings, ToWorker};
use crate::session::Session;
use crate::workbook::{WorkbookAnswer, WorkbookClient, is_workbook};
use crate::worker_client::{WORKER_URL, WorkerClient};

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;
/// Rows per batch sent to the server.
const BATCH_ROWS: usize = 1000;

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
    let checked = RwSignal::new(None::<Checked>);
    let problems_url = RwSignal::new(None::<String>);
    let checking = RwSignal::new(false);
    // The check started by itself because every column was known (said on the page).
    let auto_checked = RwSignal::new(false);
    // The workbook worker is reading (a sheet, or the rest of one whose head is shown), and
    // a check that waits for the whole sheet.
    let reading_book = RwSignal::new(false);
    let check_after_book = RwSignal::new(false);
    let phase = RwSignal::new(Phase::Choose);
    let error = RwSignal::new(None::<String>);
    let group_id = RwSignal::new(String::new());
    let new_group = RwSignal::new(String::new());
    let on_duplicate = RwSignal::new("skip".to_owned());
    let corrections = RwSignal::new(HashMap::<u64, PreviewRow>::new());
    let resumable = RwSignal::new(None::<PendingUpload>);
    let restored_mapping = RwSignal::new(false);
    // The saved mapping profiles, and the name of the one that mapped this file.
    // (A plain signal, not a resource: see `pages::profiles`.)
    let profiles = RwSignal::new(Vec::<shared::api::Profile>::new());
    let load_profiles = move || {
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::profiles().await {
                profiles.set(list);
            }
        })
    };
    load_profiles();
    let applied_profile = RwSignal::new(None::<String>);
    let drag_over = RwSignal::new(false);
    // "What will happen" asked for, and the dry run's report.
    let review = RwSignal::new(false);
    let dry = RwSignal::new(None::<Result<shared::api::DryRunReport, String>>);

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
        if let Some(f) = file.get_untracked() {
            saved::forget_upload(&f);
        }
    };

    // Follow a committed import until it ends.
    let follow = move |id: Id| {
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
        auto_checked.set(false);
        link_problems(None);
        corrections.set(HashMap::new());
        ask(ToWorker::Preview {
            settings: settings.get_untracked(),
            rows: PREVIEW_ROWS,
        });
    };

    // The whole-file check (the button, or straight after the first preview).
    let check_now = move || {
        checking.set(true);
        ask(ToWorker::Check {
            settings: settings.get_untracked(),
        });
    };

    // Answers from the worker: the phase moves by `apply`; the rest is what the page shows
    // and keeps.
    let on_answer = move |answer: FromWorker, attachment: Option<Blob>| {
        match &answer {
            FromWorker::Preview(p) => {
                let lang = locale.0.get_untracked();
                error.set(p.problem.as_ref().map(|e| problem_text(lang, e)));
                // A file with the same headers as a saved profile gets its mapping; else one
                // with the same headers as an earlier import here gets that import's.
                if settings.get_untracked().mapping.is_none() && !restored_mapping.get_untracked() {
                    restored_mapping.set(true);
                    let (profile, mapping) = remembered_mapping(p, &profiles.get_untracked());
                    applied_profile.set(profile);
                    if let Some(mapping) = mapping {
                        settings.update(|s| s.mapping = Some(mapping));
                        refresh_preview();
                        return;
                    }
                }
                preview.set(Some(p.clone()));
                // The first preview of a file whose every column is known: check it now.
                let first = phase.get_untracked() == Phase::Choose;
                if first && straight_to_check(p, applied_profile.get_untracked().is_some()) {
                    auto_checked.set(true);
                    if reading_book.get_untracked() {
                        check_after_book.set(true);
                    } else {
                        check_now();
                    }
                }
            }
            FromWorker::Progress(p) => {
                let elapsed = (now_ms() - started.get_untracked()) / 1000.0;
                if let Some(r) = transfer_rate(p.rows, p.bytes_done, p.bytes_total, elapsed) {
                    rate.set(Some(r));
                }
                progress.set(Some(*p));
            }
            FromWorker::BatchSent { seq, progress: p } => {
                progress.set(Some(*p));
                if let (Some(f), Some(id)) = (
                    file.get_untracked(),
                    phase.with_untracked(Phase::uploading_to),
                ) {
                    let pending = PendingUpload {
                        import_id: id,
                        acked_batches: seq + 1,
                        settings: settings.get_untracked(),
                    };
                    saved::save_upload(&f, &pending);
                }
            }
            FromWorker::Checked {
                progress: p,
                errors,
                values,
            } => {
                checking.set(false);
                checked.set(Some((*p, errors.clone(), values.clone())));
                link_problems(None);
            }
            FromWorker::Problems => {
                if let Some(blob) = attachment {
                    let shown = checked.get_untracked();
                    let lang = locale.0.get_untracked();
                    wasm_bindgen_futures::spawn_local(async move {
                        let url = problems_link(blob, lang).await;
                        // Still the check these problems belong to.
                        if checked.get_untracked() == shown {
                            link_problems(url);
                        }
                    });
                }
            }
            FromWorker::Uploaded { progress: p, .. } => {
                progress.set(Some(*p));
                forget_upload();
            }
            FromWorker::Validated { line, errors } => corrections.update(|c| {
                if let Some(entry) = c.get_mut(line) {
                    entry.errors = errors.clone();
                }
            }),
            FromWorker::Failed { message } => {
                checking.set(false);
                error.set(Some(message.clone()));
            }
            FromWorker::Ready | FromWorker::Stopped => {}
        }
        let next = apply(phase.get_untracked(), &answer);
        if next != phase.get_untracked() {
            if let Phase::Following(id) = next {
                follow(id);
            }
            let stored = matches!(next, Phase::Stored { .. });
            phase.set(next);
            if stored {
                on_stored(phase, review.get_untracked(), dry, session.csrf(), follow);
            }
        }
    };

    answers.set_value(Some(std::rc::Rc::new(on_answer)));

    // A workbook: the file chosen, its sheets, the one read, and its reader.
    let book = RwSignal::new_local(None::<File>);
    let sheets = RwSignal::new(Vec::<String>::new());
    let sheet = RwSignal::new(String::new());
    let book_reader = StoredValue::new_local(None::<WorkbookClient>);

    // A CSV file, or a workbook's sheet as CSV text (`from_book`: UTF-8, commas).
    let choose_text = move |f: File, from_book: bool| {
        error.set(None);
        preview.set(None);
        progress.set(None);
        rate.set(None);
        phase.set(Phase::Choose);
        settings.set(if from_book {
            shared::workbook::text_settings(&ReadSettings::default())
        } else {
            ReadSettings::default()
        });
        restored_mapping.set(false);
        applied_profile.set(None);
        resumable.set(saved::pending_upload(&f));
        file.set(Some(f));
        refresh_preview();
    };
    // Whether the text shown is the head of the sheet (its whole text is still being read).
    let book_head = RwSignal::new(false);
    let on_book = move |answer: WorkbookAnswer| match answer {
        WorkbookAnswer::Text {
            sheets: names,
            sheet: name,
            text,
            partial,
        } => {
            let Some(original) = book.get_untracked() else {
                return;
            };
            // An answer for a sheet read before another was chosen.
            let wanted = sheet.get_untracked();
            if !wanted.is_empty() && wanted != name {
                return;
            }
            reading_book.set(partial);
            sheets.set(names);
            sheet.set(name);
            // The text under the workbook's name: the import is listed as the file chosen.
            let options = web_sys::FilePropertyBag::new();
            options.set_type("text/csv");
            let f = match File::new_with_blob_sequence_and_options(
                &js_sys::Array::of1(&text),
                &original.name(),
                &options,
            ) {
                Ok(f) => f,
                Err(e) => return error.set(Some(format!("{e:?}"))),
            };
            if book_head.get_untracked() && !partial {
                // The whole sheet behind the head already previewed: the same first rows, so
                // what was detected and mapped stays; the check and the import read this.
                book_head.set(false);
                resumable.set(saved::pending_upload(&f));
                file.set(Some(f));
                if check_after_book.get_untracked() {
                    check_after_book.set(false);
                    check_now();
                }
            } else {
                choose_text(f, true);
                book_head.set(partial);
            }
        }
        WorkbookAnswer::Failed(code) => {
            reading_book.set(false);
            error.set(Some(t(crate::i18n::workbook_error_key(&code)).to_owned()));
        }
    };
    let read_book = move |f: &File, name: Option<&str>| {
        reading_book.set(true);
        book_head.set(false);
        check_after_book.set(false);
        sheet.set(name.unwrap_or_default().to_owned());
        book_reader.update_value(|r| {
            if r.is_none() {
                match WorkbookClient::spawn(on_book) {
                    Ok(client) => *r = Some(client),
                    Err(e) => error.set(Some(e)),
                }
            }
            if let Some(client) = r {
                client.read(f, name);
            }
        });
    };
    let choose = move |f: File| {
        leptos::task::spawn_local(async move {
            if is_workbook(&f).await {
                error.set(None);
                preview.set(None);
                file.set(None);
                phase.set(Phase::Choose);
                sheets.set(Vec::new());
                book.set(Some(f.clone()));
                read_book(&f, None);
            } else {
                book.set(None);
                sheets.set(Vec::new());
                reading_book.set(false);
                book_head.set(false);
                check_after_book.set(false);
                choose_text(f, false);
            }
        });
    };
    let on_sheet = Callback::new(move |name: String| {
        if let Some(f) = book.get_untracked() {
            sheet.set(name.clone());
            read_book(&f, Some(&name));
        }
    });
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

    let on_header = Callback::new(move |has_header: bool| {
        settings.update(|s| {
            s.has_header = Some(has_header);
            s.mapping = None;
        });
        refresh_preview();
    });
    let on_encoding = Callback::new(move |v: String| {
        settings.update(|s| s.encoding = (!v.is_empty()).then_some(v));
        refresh_preview();
    });
    let on_delimiter = Callback::new(move |v: String| {
        settings.update(|s| {
            s.delimiter = shared::import::parse_delimiter(&v).ok().flatten();
            s.mapping = None;
        });
        refresh_preview();
    });
    let on_target = Callback::new(move |(column, chosen): (usize, Option<Target>)| {
        let Some(p) = preview.get_untracked() else {
            return;
        };
        let mapping = p.columns.iter().map(|c| c.target).collect();
        settings.update(|s| s.mapping = Some(choose_target(mapping, column, chosen)));
        refresh_preview();
    });
    let on_fix = Callback::new(move |(line, original, target, value): Fix| {
        let mut row = None;
        corrections.update(|c| {
            let entry = c.entry(line).or_insert_with(|| PreviewRow {
                line,
                row: original,
                errors: Vec::new(),
            });
            set_cell(&mut entry.row, target, value);
            row = Some(entry.row.clone());
        });
        // The worker validates: the page does not carry the rules' tables.
        if let Some(row) = row {
            ask(ToWorker::Validate { row });
        }
    });

    let check_file = move |_| check_now();

    let upload = move |import_id: Id, read: ReadSettings, skip_batches: u32| {
        started.set(now_ms());
        phase.set(Phase::Uploading {
            import: Some(import_id),
            paused: false,
        });
        ask(ToWorker::Upload {
            settings: read,
            import_id,
            csrf: session.csrf(),
            batch_rows: BATCH_ROWS,
            corrections: corrections
                .get_untracked()
                .into_values()
                .map(|r| r.row)
                .collect::<Vec<BatchRow>>(),
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
        saved::save_mapping(&p, &read.mapping);
        let csrf = session.csrf();
        let wanted_group = group_id.get_untracked();
        let new_name = new_group.get_untracked();
        let dup = OnDuplicate::parse(&on_duplicate.get_untracked()).unwrap_or_default();
        phase.set(Phase::Uploading {
            import: None,
            paused: false,
        });
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
                values: (!read.values.is_empty()).then(|| read.values.clone()),
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
    let on_pause = Callback::new(move |()| {
        if let Phase::Uploading { import, paused } = phase.get_untracked() {
            ask(if paused {
                ToWorker::Resume
            } else {
                ToWorker::Pause
            });
            phase.set(Phase::Uploading {
                import,
                paused: !paused,
            });
        }
    });
    let on_cancel = Callback::new(move |()| {
        ask(ToWorker::Stop);
        forget_upload();
        if let Some(id) = phase.with_untracked(Phase::uploading_to) {
            let csrf = session.csrf();
            leptos::task::spawn_local(async move {
                let _ = api::cancel_import(id, &csrf).await;
            });
        }
        phase.set(Phase::Ready);
    });

    let busy = Signal::derive(move || phase.with(Phase::busy));
    let distinct = Signal::derive(move || checked.with(|c| c.as_ref().map(|c| c.2.clone())));

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
                <input id="import-file" type="file" accept=".csv,.txt,.tsv,.xlsx,.xls,.ods,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel,application/vnd.oasis.opendocument.spreadsheet" on:change=on_file disabled=move || busy.get()/>
                <p class="muted">{move || t(Key::ImportNotImportableNote)}</p>
            </div>
            {move || resumable.get().map(|r| view! {
                <p class="panel" role="status">
                    {t(Key::ImportResumeNote)} " #" {r.import_id} " "
                    <button class="primary" on:click=resume>{t(Key::ImportResume)}</button>
                </p>
            })}
            <SheetPicker sheets sheet reading_book busy on_sheet/>
            <ReadOptions preview settings busy on_encoding on_delimiter on_header/>
        </section>

        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}

        <Show when=move || preview.get().is_some_and(|p| p.problem.is_none())>
            <ImportOptions groups group_id new_group on_duplicate busy/>
            <ColumnMapping preview busy on_target/>
            <SaveProfile preview applied=applied_profile on_saved=Callback::new(move |_| load_profiles())/>

            <section class="panel">
                <h2>{move || t(Key::ImportPreview)}</h2>
                <p class="muted">{move || t(Key::ImportFixNote)}</p>
                <PreviewTable preview corrections on_fix/>
                <div class="actions" style="margin-top:0.75rem">
                    <button on:click=check_file disabled=move || busy.get() || checking.get() || reading_book.get()>{move || t(Key::ImportCheck)}</button>
                    <button on:click=move |ev| { review.set(true); start_import(ev) } disabled=move || busy.get() || reading_book.get() || (group_id.get() == NEW_GROUP && new_group.get().trim().is_empty())>
                        {move || t(Key::ImportWhatWillHappen)}
                    </button>
                    <button class="primary" on:click=move |ev| { review.set(false); start_import(ev) } disabled=move || busy.get() || reading_book.get() || (group_id.get() == NEW_GROUP && new_group.get().trim().is_empty())>
                        {move || t(Key::ImportStart)}
                    </button>
                </div>
                {move || auto_checked.get().then(|| view! {
                    <p class="muted" role="status">{t(Key::ImportAllKnown)}</p>
                })}
                <CheckPanel checking progress checked problems_url/>
                <ValueMapping values=distinct settings groups busy/>
            </section>
        </Show>

        <DryRunPanel phase report=dry csrf=Signal::derive(move || session.csrf())
            on_commit=Callback::new(move |()| on_stored(phase, false, dry, session.csrf(), follow))/>
        <PhasePanel phase progress rate on_pause on_cancel/>
    }
}
