//! Webhooks: add an endpoint (URL and events; its signing secret shown once), list and
//! delete endpoints, and read an endpoint's delivery log with the status codes answered.

use leptos::prelude::*;
use shared::api::{DeliveryStatus, Id, NewWebhook, Webhook, WebhookDelivery, WebhookEvent};

use crate::api;
use crate::i18n::{Key, Locale, format_time, use_t, webhook_refusal_key};
use crate::pages::error_note::ErrorNote;
use crate::session::Session;

fn event_key(e: WebhookEvent) -> Key {
    match e {
        WebhookEvent::ImportCompleted => Key::EventImportCompleted,
        WebhookEvent::ImportFailed => Key::EventImportFailed,
        WebhookEvent::ImportCancelled => Key::EventImportCancelled,
        WebhookEvent::ImportUndone => Key::EventImportUndone,
        WebhookEvent::DryRunFinished => Key::EventDryRunFinished,
    }
}

fn status_key(s: DeliveryStatus) -> Key {
    match s {
        DeliveryStatus::Pending => Key::DeliveryPending,
        DeliveryStatus::Delivered => Key::DeliveryDelivered,
        DeliveryStatus::Failed => Key::DeliveryFailed,
    }
}

/// A refusal of the server, in the user's language where the page knows its code.
fn refusal(e: api::ApiFailure) -> Result<Key, String> {
    webhook_refusal_key(&e.code).ok_or(e.message)
}

#[component]
pub fn Webhooks() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let session = expect_context::<Session>();
    // Plain signals filled by tasks (a resource of a new type would grow the main wasm).
    let hooks = RwSignal::new(None::<Result<Vec<Webhook>, api::ApiFailure>>);
    let load =
        move || leptos::task::spawn_local(async move { hooks.set(Some(api::webhooks().await)) });
    load();
    let error = RwSignal::new(None::<Result<Key, String>>);
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        WebhookEvent::ImportCompleted,
        WebhookEvent::ImportFailed,
    ]);
    let secret = RwSignal::new(None::<String>);
    let log = RwSignal::new(None::<(Id, Option<Result<Vec<WebhookDelivery>, api::ApiFailure>>)>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let csrf = session.csrf();
        let body = NewWebhook {
            url: url.get_untracked().trim().to_owned(),
            events: chosen.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::create_webhook(&body, &csrf).await {
                Ok(created) => {
                    error.set(None);
                    url.set(String::new());
                    secret.set(Some(created.secret));
                    load();
                }
                Err(e) => error.set(Some(refusal(e))),
            }
        });
    };
    let remove = move |id: Id| {
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::delete_webhook(id, &csrf).await {
                Ok(()) => {
                    error.set(None);
                    if log.get_untracked().is_some_and(|(shown, _)| shown == id) {
                        log.set(None);
                    }
                    load();
                }
                Err(e) => error.set(Some(Err(e.message))),
            }
        });
    };
    let show_log = move |id: Id| {
        log.set(Some((id, None)));
        leptos::task::spawn_local(async move {
            let got = api::webhook_deliveries(id).await;
            if log.get_untracked().is_some_and(|(shown, _)| shown == id) {
                log.set(Some((id, Some(got))));
            }
        });
    };
    let checkboxes = WebhookEvent::ALL
        .into_iter()
        .map(|e| {
            let on = move || chosen.get().contains(&e);
            let toggle = move |_| {
                chosen.update(|list| {
                    if let Some(i) = list.iter().position(|x| *x == e) {
                        list.remove(i);
                    } else {
                        list.push(e);
                    }
                })
            };
            view! {
                <label class="inline"><input type="checkbox" prop:checked=on on:change=toggle/>" "{move || t(event_key(e))}</label>
            }
        })
        .collect_view();
    view! {
        <div class="page-head"><h1>{move || t(Key::WebhooksTitle)}</h1></div>
        <p class="muted">{move || t(Key::WebhooksNote)}</p>
        <form class="panel" on:submit=add>
            <label for="webhook-url">{move || t(Key::WebhooksUrl)}</label>
            <input id="webhook-url" type="url" required maxlength="2000" placeholder="https://" bind:value=url/>
            <fieldset><legend>{move || t(Key::WebhooksEvents)}</legend>{checkboxes}</fieldset>
            <button class="primary" type="submit">{move || t(Key::WebhooksAdd)}</button>
        </form>
        {move || secret.get().map(|s| view! {
            <div class="panel" role="status">
                <label for="webhook-secret">{t(Key::WebhooksSecret)}</label>
                <input id="webhook-secret" readonly prop:value=s on:focus=|ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        input.select();
                    }
                }/>
                <p class="muted">{t(Key::WebhooksSecretHint)}</p>
            </div>
        })}
        {move || error.get().map(|e| view! { <ErrorNote message=e.map_or_else(|m| m, |k| t(k).to_owned())/> })}
        {move || match hooks.get() {
            None => view! { <p class="muted">{t(Key::CommonLoading)}</p> }.into_any(),
            Some(Err(e)) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| load())/> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! { <p class="panel">{t(Key::WebhooksEmpty)}</p> }.into_any(),
            Some(Ok(list)) => {
                let lang = locale.0.get();
                view! {
                    <div class="table-wrap"><table>
                        <thead><tr>
                            <th scope="col">{t(Key::WebhooksUrl)}</th>
                            <th scope="col">{t(Key::WebhooksEvents)}</th>
                            <th scope="col">{t(Key::WebhooksCreatedAt)}</th>
                            <th scope="col">{t(Key::WebhooksActions)}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|h| {
                                let id = h.id;
                                let events = h.events.iter().map(|e| t(event_key(*e))).collect::<Vec<_>>().join(", ");
                                let label_log = format!("{} {}", t(Key::WebhooksShowLog), h.url);
                                let label_delete = format!("{} {}", t(Key::WebhooksDelete), h.url);
                                view! {
                                    <tr>
                                        <td>{h.url.clone()}</td>
                                        <td class="muted">{events}</td>
                                        <td>{format_time(lang, &h.created_at)}</td>
                                        <td class="actions">
                                            <button aria-label=label_log on:click=move |_| show_log(id)>{t(Key::WebhooksShowLog)}</button>
                                            <button class="danger" aria-label=label_delete on:click=move |_| remove(id)>{t(Key::WebhooksDelete)}</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }
        }}
        {move || log.get().map(|(_, got)| match got {
            None => view! { <p class="muted">{t(Key::CommonLoading)}</p> }.into_any(),
            Some(Err(e)) => view! { <ErrorNote message=e.message/> }.into_any(),
            Some(Ok(list)) => view! { <DeliveryLog list/> }.into_any(),
        })}
    }
}

#[component]
fn DeliveryLog(list: Vec<WebhookDelivery>) -> impl IntoView {
    let t = use_t();
    let lang = expect_context::<Locale>().0.get_untracked();
    if list.is_empty() {
        return view! { <p class="panel">{t(Key::WebhooksNoDeliveries)}</p> }.into_any();
    }
    view! {
        <h2>{t(Key::WebhooksShowLog)}</h2>
        <div class="table-wrap"><table>
            <thead><tr>
                <th scope="col">{t(Key::WebhooksCreatedAt)}</th>
                <th scope="col">{t(Key::WebhooksEvent)}</th>
                <th scope="col">{t(Key::WebhooksImport)}</th>
                <th scope="col">{t(Key::WebhooksStatus)}</th>
                <th scope="col">{t(Key::WebhooksAttempts)}</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|d| {
                    let attempts = d.attempts.iter().map(|a| {
                        let answer = a.status_code.map_or_else(
                            || a.error.clone().unwrap_or_default(),
                            |c| format!("HTTP {c}"),
                        );
                        format!("{} · {answer} · {} ms", format_time(lang, &a.attempted_at), a.duration_ms)
                    }).collect::<Vec<_>>();
                    let next = d.next_attempt_at.map(|n| format!("{}: {}", t(Key::WebhooksNextAttempt), format_time(lang, &n)));
                    view! {
                        <tr>
                            <td>{format_time(lang, &d.created_at)}</td>
                            <td>{t(event_key(d.event))}</td>
                            <td>{d.import_id}</td>
                            <td>{t(status_key(d.status))}</td>
                            <td>
                                {attempts.into_iter().map(|a| view! { <div>{a}</div> }).collect_view()}
                                {next.map(|n| view! { <div class="muted">{n}</div> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
