//! Customers: the filtered, sorted, paginated list, with Import and Export in the top right
//! (Export downloads exactly the filtered set), and add, edit and delete of one customer.

use leptos::prelude::*;
use shared::api::{Consent, Customer, CustomerInput, Group};

use crate::api::{self, encode};
use crate::i18n::{Key, Locale, count_of, format_time, use_t};
use crate::pages::error_note::ErrorNote;
use crate::session::Session;

const PER_PAGE: i64 = 50;

/// The list's filters, as the query string both the list and the export take.
#[derive(Clone, Copy)]
struct Filters {
    q: RwSignal<String>,
    group: RwSignal<String>,
    marketing: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    import_id: Memo<Option<String>>,
}

impl Filters {
    fn query(&self) -> String {
        let mut s = String::new();
        let q = self.q.get();
        if !q.trim().is_empty() {
            s.push_str(&format!("&q={}", encode(q.trim())));
        }
        for (name, value) in [
            ("group_id", self.group.get()),
            ("accepts_marketing", self.marketing.get()),
        ] {
            if !value.is_empty() {
                s.push_str(&format!("&{name}={}", encode(&value)));
            }
        }
        // Dates from the date inputs cover whole days, in UTC.
        if !self.from.get().is_empty() {
            s.push_str(&format!(
                "&created_from={}",
                encode(&format!("{}T00:00:00Z", self.from.get()))
            ));
        }
        if !self.to.get().is_empty() {
            s.push_str(&format!(
                "&created_to={}",
                encode(&format!("{}T23:59:59.999Z", self.to.get()))
            ));
        }
        if let Some(id) = self.import_id.get() {
            s.push_str(&format!("&import_id={}", encode(&id)));
        }
        s
    }
}

#[component]
pub fn Customers() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let query = leptos_router::hooks::use_query_map();
    let filters = Filters {
        q: RwSignal::new(String::new()),
        group: RwSignal::new(String::new()),
        marketing: RwSignal::new(String::new()),
        from: RwSignal::new(String::new()),
        to: RwSignal::new(String::new()),
        import_id: Memo::new(move |_| query.with(|m| m.get("import_id"))),
    };
    let sort = RwSignal::new("-created_at".to_owned());
    let page = RwSignal::new(1i64);
    let delimiter = RwSignal::new("comma".to_owned());
    let bom = RwSignal::new(false);
    // None: no form; Some(None): a new customer; Some(Some(c)): editing c.
    let editing = RwSignal::new(None::<Option<Customer>>);

    let customers = LocalResource::new(move || {
        let query = format!(
            "page={}&per_page={PER_PAGE}&sort={}{}",
            page.get(),
            encode(&sort.get()),
            filters.query()
        );
        async move { api::customers(&query).await }
    });
    let groups = LocalResource::new(|| async { api::groups().await });
    let group_list = Signal::derive(move || groups.get().and_then(Result::ok).unwrap_or_default());
    let export_url = move || {
        api::customers_export_url(&format!(
            "delimiter={}&bom={}{}",
            delimiter.get(),
            bom.get(),
            filters.query()
        ))
    };
    let reset_page = move |_| page.set(1);
    // The form starts from the customer as stored now, not as the list showed it: the list
    // may predate a save that is still being refetched, or another admin's edit.
    let open_edit = move |row: Customer| {
        leptos::task::spawn_local(async move {
            let fresh = api::customer(row.id).await;
            editing.set(Some(Some(fresh.unwrap_or(row))));
        });
    };

    view! {
        <div class="page-head">
            <h1>{move || t(Key::CustomersTitle)}</h1>
            <div class="actions">
                <button on:click=move |_| editing.set(Some(None))>{move || t(Key::CustomersAdd)}</button>
                <a class="button primary" href="/customers/import">{move || t(Key::CustomersImport)}</a>
            </div>
        </div>
        {move || editing.get().map(|c| view! {
            <CustomerForm customer=c groups=group_list on_done=Callback::new(move |changed: bool| {
                editing.set(None);
                if changed { customers.refetch(); groups.refetch(); }
            })/>
        })}
        <div class="filters">
            <div class="field">
                <label for="search">{move || t(Key::CustomersSearch)}</label>
                <input id="search" type="search" bind:value=filters.q on:input=reset_page/>
            </div>
            <div class="field">
                <label for="group-filter">{move || t(Key::CustomersGroup)}</label>
                <select id="group-filter" bind:value=filters.group on:change=reset_page>
                    <option value="">{move || t(Key::CustomersAllGroups)}</option>
                    <For each=move || group_list.get() key=|g| (g.id, g.name.clone()) children=|g| {
                        view! { <option value=g.id.to_string()>{g.name}</option> }
                    }/>
                </select>
            </div>
            <div class="field">
                <label for="marketing-filter">{move || t(Key::CustomersMarketing)}</label>
                <select id="marketing-filter" bind:value=filters.marketing on:change=reset_page>
                    <option value="">{move || t(Key::CustomersAny)}</option>
                    <option value="true">{move || t(Key::CommonYes)}</option>
                    <option value="false">{move || t(Key::CommonNo)}</option>
                </select>
            </div>
            <div class="field">
                <label for="created-from">{move || t(Key::CustomersCreatedFrom)}</label>
                <input id="created-from" type="date" bind:value=filters.from on:change=reset_page/>
            </div>
            <div class="field">
                <label for="created-to">{move || t(Key::CustomersCreatedTo)}</label>
                <input id="created-to" type="date" bind:value=filters.to on:change=reset_page/>
            </div>
            <div class="field">
                <label for="sort">{move || t(Key::CustomersSort)}</label>
                <select id="sort" bind:value=sort on:change=reset_page>
                    <option value="-created_at">{move || t(Key::CustomersSortNewest)}</option>
                    <option value="created_at">{move || t(Key::CustomersSortOldest)}</option>
                    <option value="email">{move || t(Key::CustomersEmail)}</option>
                    <option value="last_name">{move || t(Key::TargetLastName)}</option>
                </select>
            </div>
        </div>
        {move || filters.import_id.get().map(|id| view! {
            <p class="muted">{t(Key::CustomersFromImport)} " #" {id} " · " <a href="/customers">{t(Key::CustomersShowAll)}</a></p>
        })}
        <div class="filters panel">
            <div class="field">
                <label for="export-delimiter">{move || t(Key::ExportDelimiter)}</label>
                <select id="export-delimiter" bind:value=delimiter>
                    <option value="comma">{move || t(Key::ExportComma)}</option>
                    <option value="semicolon">{move || t(Key::ExportSemicolon)}</option>
                    <option value="tab">{move || t(Key::ExportTab)}</option>
                </select>
            </div>
            <div class="field">
                <label class="inline"><input type="checkbox" bind:checked=bom/>{move || t(Key::ExportBom)}</label>
            </div>
            <a class="button" href=export_url download="">{move || t(Key::CustomersExport)}</a>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t(Key::CommonLoading)}</p> }>
            {move || customers.get().map(|result| match result {
                Err(e) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| customers.refetch())/> }.into_any(),
                Ok(list) if list.items.is_empty() => view! { <p class="panel muted">{t(Key::CustomersEmpty)}</p> }.into_any(),
                Ok(list) => {
                    let lang = locale.0.get();
                    let pages = ((list.total + PER_PAGE - 1) / PER_PAGE).max(1);
                    view! {
                        <div class="table-wrap">
                            <table>
                                <thead><tr>
                                    <th scope="col">{t(Key::CustomersName)}</th>
                                    <th scope="col">{t(Key::CustomersEmail)}</th>
                                    <th scope="col">{t(Key::CustomersGroup)}</th>
                                    <th scope="col">{t(Key::CustomersMarketing)}</th>
                                    <th scope="col">{t(Key::CustomersCreated)}</th>
                                    <th scope="col">{t(Key::GroupsActions)}</th>
                                </tr></thead>
                                <tbody>
                                    <For each=move || list.items.clone() key=|c| c.id children=move |c| {
                                        let edit_label = format!("{} {}", t(Key::CustomersEdit), c.fields.email);
                                        let row = c.clone();
                                        view! {
                                            <tr>
                                                <td>{c.fields.full_name}</td>
                                                <td>{c.fields.email}</td>
                                                <td>{c.group_name}</td>
                                                <td>{if c.fields.accepts_marketing { t(Key::CommonYes) } else { t(Key::CommonNo) }}</td>
                                                <td>{format_time(lang, &c.created_at)}</td>
                                                <td><button aria-label=edit_label on:click=move |_| open_edit(row.clone())>{t(Key::CustomersEdit)}</button></td>
                                            </tr>
                                        }
                                    }/>
                                </tbody>
                            </table>
                        </div>
                        <div class="pager">
                            <span class="muted">{count_of(lang, list.total as u64, Key::CustomersTotalOne, Key::CustomersTotal)}</span>
                            <button disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p -= 1)>{t(Key::CommonPrevious)}</button>
                            <span>{t(Key::CommonPage)} " " {list.page} " " {t(Key::CommonOf)} " " {pages}</span>
                            <button disabled=move || { page.get() >= pages } on:click=move |_| page.update(|p| *p += 1)>{t(Key::CommonNext)}</button>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// Add or edit one customer; the server validates with the import rules and its field
/// errors are shown.
#[component]
fn CustomerForm(
    customer: Option<Customer>,
    groups: Signal<Vec<Group>>,
    on_done: Callback<bool>,
) -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let session = expect_context::<Session>();
    let id = customer.as_ref().map(|c| c.id);
    let first = RwSignal::new(
        customer
            .as_ref()
            .map(|c| c.fields.first_name.clone())
            .unwrap_or_default(),
    );
    let last = RwSignal::new(
        customer
            .as_ref()
            .map(|c| c.fields.last_name.clone())
            .unwrap_or_default(),
    );
    let email = RwSignal::new(
        customer
            .as_ref()
            .map(|c| c.fields.email.clone())
            .unwrap_or_default(),
    );
    let note = RwSignal::new(
        customer
            .as_ref()
            .map(|c| c.fields.note.clone())
            .unwrap_or_default(),
    );
    let marketing = RwSignal::new(
        customer
            .as_ref()
            .is_some_and(|c| c.fields.accepts_marketing),
    );
    let group = RwSignal::new(
        customer
            .as_ref()
            .map(|c| c.group_id.to_string())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<String>);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CustomerInput {
            first_name: Some(first.get_untracked()),
            last_name: Some(last.get_untracked()),
            email: Some(email.get_untracked()),
            note: Some(note.get_untracked()),
            accepts_marketing: Some(Consent::Bool(marketing.get_untracked())),
            group_id: group.get_untracked().parse().ok(),
            full_name: None,
        };
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => api::update_customer(id, &input, &csrf).await,
                None => api::create_customer(&input, &csrf).await,
            };
            match result {
                Ok(_) => on_done.run(true),
                Err(e) => error.set(Some(e.with_field_messages(locale.0.get_untracked()))),
            }
        });
    };
    let delete = move |_| {
        let Some(id) = id else { return };
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(t(Key::CustomersConfirmDelete)).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::delete_customer(id, &csrf).await {
                Ok(()) => on_done.run(true),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="panel" on:submit=save aria-label=move || t(if id.is_some() { Key::CustomersEdit } else { Key::CustomersAdd })>
            <h2>{move || t(if id.is_some() { Key::CustomersEdit } else { Key::CustomersAdd })}</h2>
            <div class="grid">
                <div class="field"><label for="c-first">{move || t(Key::TargetFirstName)}</label><input id="c-first" bind:value=first/></div>
                <div class="field"><label for="c-last">{move || t(Key::TargetLastName)}</label><input id="c-last" bind:value=last/></div>
                <div class="field"><label for="c-email">{move || t(Key::TargetEmail)}</label><input id="c-email" type="email" required bind:value=email/></div>
                <div class="field">
                    <label for="c-group">{move || t(Key::CustomersGroup)}</label>
                    <select id="c-group" bind:value=group>
                        <For each=move || groups.get() key=|g| (g.id, g.name.clone()) children=|g| view! { <option value=g.id.to_string()>{g.name}</option> }/>
                    </select>
                </div>
            </div>
            <div class="field"><label for="c-note">{move || t(Key::TargetNote)}</label><textarea id="c-note" rows="2" bind:value=note></textarea></div>
            <div class="field"><label class="inline"><input type="checkbox" bind:checked=marketing/>{move || t(Key::TargetAcceptsMarketing)}</label></div>
            {move || error.get().map(|m| view! { <ErrorNote message=m/> })}
            <div class="actions">
                <button type="submit" class="primary">{move || t(Key::GroupsSave)}</button>
                <button type="button" on:click=move |_| on_done.run(false)>{move || t(Key::CommonCancel)}</button>
                {id.map(|_| view! { <button type="button" class="danger" on:click=delete>{move || t(Key::GroupsDelete)}</button> })}
            </div>
        </form>
    }
}
