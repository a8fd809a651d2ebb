//! Customers: the filtered, paginated list, with Import and Export in the top right.

use leptos::prelude::*;
use shared::api::{Customer, Group, Page};

use crate::api::{self, encode};
use crate::i18n::{Locale, format_count, format_time, use_t};
use crate::pages::ErrorNote;

const PER_PAGE: i64 = 50;

#[component]
pub fn Customers() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let query = leptos_router::hooks::use_query_map();
    let q = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let import_id = move || query.with(|m| m.get("import_id"));

    let filters = move || {
        let mut s = String::new();
        if !q.get().trim().is_empty() {
            s.push_str(&format!("&q={}", encode(q.get().trim())));
        }
        if !group.get().is_empty() {
            s.push_str(&format!("&group_id={}", group.get()));
        }
        if let Some(id) = import_id() {
            s.push_str(&format!("&import_id={}", encode(&id)));
        }
        s
    };
    let customers = LocalResource::new(move || {
        let url = format!(
            "/api/customers?page={}&per_page={PER_PAGE}{}",
            page.get(),
            filters()
        );
        async move { api::get::<Page<Customer>>(&url).await }
    });
    let groups = LocalResource::new(|| async { api::get::<Vec<Group>>("/api/groups").await });
    let export_url = move || {
        format!(
            "/api/customers/export.csv?{}",
            filters().trim_start_matches('&')
        )
    };

    view! {
        <div class="page-head">
            <h1>{move || t("customers.title")}</h1>
            <div class="actions">
                <a class="button" href=export_url download="">{move || t("customers.export")}</a>
                <a class="button primary" href="/customers/import">{move || t("customers.import")}</a>
            </div>
        </div>
        <div class="filters">
            <div class="field">
                <label for="search">{move || t("customers.search")}</label>
                <input id="search" type="search" bind:value=q on:input=move |_| page.set(1)/>
            </div>
            <div class="field">
                <label for="group-filter">{move || t("customers.group")}</label>
                <select id="group-filter" bind:value=group on:change=move |_| page.set(1)>
                    <option value="">{move || t("customers.all_groups")}</option>
                    {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| {
                        view! { <option value=g.id.to_string()>{g.name}</option> }
                    }).collect_view()}
                </select>
            </div>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t("common.loading")}</p> }>
            {move || customers.get().map(|result| match result {
                Err(e) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| customers.refetch())/> }.into_any(),
                Ok(list) if list.items.is_empty() => view! { <p class="panel muted">{t("customers.empty")}</p> }.into_any(),
                Ok(list) => {
                    let lang = locale.0.get();
                    let pages = ((list.total + PER_PAGE - 1) / PER_PAGE).max(1);
                    view! {
                        <div class="table-wrap">
                            <table>
                                <thead><tr>
                                    <th scope="col">{t("customers.name")}</th>
                                    <th scope="col">{t("customers.email")}</th>
                                    <th scope="col">{t("customers.group")}</th>
                                    <th scope="col">{t("customers.marketing")}</th>
                                    <th scope="col">{t("customers.created")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.items.into_iter().map(|c| view! {
                                        <tr>
                                            <td>{c.full_name}</td>
                                            <td>{c.email}</td>
                                            <td>{c.group_name}</td>
                                            <td>{if c.accepts_marketing { t("common.yes") } else { t("common.no") }}</td>
                                            <td>{format_time(lang, &c.created_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div class="pager">
                            <span class="muted">{format_count(lang, list.total as u64)} " " {t("customers.total")}</span>
                            <button disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p -= 1)>{t("common.previous")}</button>
                            <span>{t("common.page")} " " {list.page} " " {t("common.of")} " " {pages}</span>
                            <button disabled=move || { page.get() >= pages } on:click=move |_| page.update(|p| *p += 1)>{t("common.next")}</button>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
