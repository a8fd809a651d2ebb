//! Customer groups: the list with customer counts; create, rename, delete (moving the
//! customers to another group first when it has any).

use leptos::prelude::*;
use shared::api::{Group, GroupName};

use crate::api;
use crate::i18n::{Key, Locale, format_count, group_refusal_key, use_t};
use crate::pages::error_note::ErrorNote;
use crate::session::Session;

#[component]
pub fn Groups() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    let session = expect_context::<Session>();
    let groups = LocalResource::new(|| async { api::groups().await });
    let new_name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::create_group(&GroupName { name }, &csrf).await {
                Ok(_) => {
                    new_name.set(String::new());
                    error.set(None);
                    groups.refetch();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };

    view! {
        <div class="page-head"><h1>{move || t(Key::GroupsTitle)}</h1></div>
        <form class="panel filters" on:submit=create>
            <div class="field">
                <label for="new-group">{move || t(Key::GroupsNewName)}</label>
                <input id="new-group" bind:value=new_name required maxlength="100"/>
            </div>
            <button type="submit" class="primary">{move || t(Key::GroupsCreate)}</button>
        </form>
        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}
        <Transition fallback=move || view! { <p class="muted">{t(Key::CommonLoading)}</p> }>
            {move || groups.get().map(|result| match result {
                Err(e) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| groups.refetch())/> }.into_any(),
                Ok(list) => {
                    let lang = locale.0.get();
                    let all = list.clone();
                    view! {
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">{t(Key::GroupsName)}</th>
                                <th scope="col">{t(Key::GroupsCustomers)}</th>
                                <th scope="col">{t(Key::GroupsActions)}</th>
                            </tr></thead>
                            <tbody>
                                <For each=move || list.clone() key=|g| g.id children=move |g| view! {
                                    <GroupRow group=g.clone() others=all.iter().filter(|o| o.id != g.id).cloned().collect() count=format_count(lang, g.customer_count as u64) on_change=Callback::new(move |_| groups.refetch()) error=error/>
                                }/>
                            </tbody>
                        </table></div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn GroupRow(
    group: Group,
    others: Vec<Group>,
    count: String,
    on_change: Callback<()>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let t = use_t();
    let session = expect_context::<Session>();
    let editing = RwSignal::new(false);
    let name = RwSignal::new(group.name.clone());
    let move_to = RwSignal::new(others.first().map(|g| g.id.to_string()).unwrap_or_default());
    let id = group.id;
    let has_customers = group.customer_count > 0;
    let is_default = group.name == "Default";
    let save = move |_| {
        let csrf = session.csrf();
        let body = GroupName {
            name: name.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::rename_group(id, &body, &csrf).await {
                Ok(_) => {
                    editing.set(false);
                    error.set(None);
                    on_change.run(());
                }
                Err(e) => error.set(Some(refusal_text(t, e))),
            }
        });
    };
    let remove = move |_| {
        let csrf = session.csrf();
        let reassign_to = has_customers.then(|| move_to.get_untracked());
        leptos::task::spawn_local(async move {
            match api::delete_group(id, reassign_to.as_deref(), &csrf).await {
                Ok(()) => {
                    error.set(None);
                    on_change.run(());
                }
                Err(e) => error.set(Some(refusal_text(t, e))),
            }
        });
    };
    let label_name = format!("{} {}", t(Key::GroupsName), group.name);
    let label_move = format!("{} {}", t(Key::GroupsMoveTo), group.name);
    view! {
        <tr>
            <td>
                <Show when=move || editing.get() fallback=move || view! { {move || name.get()} }>
                    <input aria-label=label_name.clone() bind:value=name maxlength="100"/>
                </Show>
            </td>
            <td>{count}</td>
            <td class="actions">
                <Show when=move || editing.get() fallback=move || view! {
                    <button on:click=move |_| editing.set(true)>{t(Key::GroupsRename)}</button>
                }>
                    <button class="primary" on:click=save>{t(Key::GroupsSave)}</button>
                    <button on:click=move |_| editing.set(false)>{t(Key::CommonCancel)}</button>
                </Show>
                {(!is_default).then(|| view! {
                    {has_customers.then(|| view! {
                        <select aria-label=label_move.clone() bind:value=move_to>
                            <For each={let others = others.clone(); move || others.clone()} key=|o| o.id children=|o| view! { <option value=o.id.to_string()>{o.name}</option> }/>
                        </select>
                    })}
                    <button class="danger" on:click=remove>{if has_customers { t(Key::GroupsMoveAndDelete) } else { t(Key::GroupsDelete) }}</button>
                })}
            </td>
        </tr>
    }
}

/// A refused rename or delete in the chosen language where the UI knows the server's code;
/// otherwise the server's own message.
fn refusal_text(t: impl Fn(Key) -> &'static str, e: api::ApiFailure) -> String {
    match group_refusal_key(&e.code) {
        Some(key) => t(key).to_owned(),
        None => e.message,
    }
}
