//! Mapping profiles: the column mappings saved for files with the same headers; rename and
//! delete (a profile is saved from the import page).

use leptos::prelude::*;
use shared::api::{Profile, ProfileRename};

use crate::api;
use crate::i18n::{Key, Locale, format_time, use_t};
use crate::pages::error_note::ErrorNote;
use crate::session::Session;

#[component]
pub fn Profiles() -> impl IntoView {
    let t = use_t();
    let locale = expect_context::<Locale>();
    // A plain signal filled by a task, not a resource: a resource of a new type costs the
    // main wasm its own copy of the async machinery, and its budget is tight.
    let profiles = RwSignal::new(None::<Result<Vec<Profile>, api::ApiFailure>>);
    let load =
        move || leptos::task::spawn_local(async move { profiles.set(Some(api::profiles().await)) });
    load();
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="page-head"><h1>{move || t(Key::ProfilesTitle)}</h1></div>
        <p class="muted">{move || t(Key::ProfilesNote)}</p>
        {move || error.get().map(|m| view! { <ErrorNote message=m/> })}
        {move || match profiles.get() {
                None => view! { <p class="muted">{t(Key::CommonLoading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNote message=e.message retry=Callback::new(move |_| load())/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="panel">{t(Key::ProfilesEmpty)}</p> }.into_any(),
                Some(Ok(list)) => {
                    let lang = locale.0.get();
                    view! {
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">{t(Key::ProfilesName)}</th>
                                <th scope="col">{t(Key::ProfilesHeaders)}</th>
                                <th scope="col">{t(Key::ProfilesSavedAt)}</th>
                                <th scope="col">{t(Key::ProfilesActions)}</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let saved = format_time(lang, &p.updated_at);
                                    view! { <ProfileRow profile=p saved on_change=Callback::new(move |_| load()) error/> }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }
            }}
    }
}

#[component]
fn ProfileRow(
    profile: Profile,
    saved: String,
    on_change: Callback<()>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let t = use_t();
    let session = expect_context::<Session>();
    let editing = RwSignal::new(false);
    let name = RwSignal::new(profile.name.clone());
    let id = profile.id;
    let refused = move |e: api::ApiFailure| {
        if e.code == "profile_exists" {
            t(Key::ProfilesExists).to_owned()
        } else {
            e.message
        }
    };
    let save = move |_| {
        let csrf = session.csrf();
        let body = ProfileRename {
            name: name.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::rename_profile(id, &body, &csrf).await {
                Ok(_) => {
                    editing.set(false);
                    error.set(None);
                    on_change.run(());
                }
                Err(e) => error.set(Some(refused(e))),
            }
        });
    };
    let remove = move |_| {
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::delete_profile(id, &csrf).await {
                Ok(()) => {
                    error.set(None);
                    on_change.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let label_name = format!("{} {}", t(Key::ProfilesName), profile.name);
    let label_delete = format!("{} {}", t(Key::ProfilesDelete), profile.name);
    let label_rename = format!("{} {}", t(Key::ProfilesRename), profile.name);
    let headers = profile.headers.join(", ");
    view! {
        <tr>
            <td>
                <Show when=move || editing.get() fallback=move || view! { {move || name.get()} }>
                    <input aria-label=label_name.clone() bind:value=name maxlength="100"/>
                </Show>
            </td>
            <td class="muted">{headers}</td>
            <td>{saved}</td>
            <td class="actions">
                <Show when=move || editing.get() fallback=move || view! {
                    <button aria-label=label_rename.clone() on:click=move |_| editing.set(true)>{t(Key::ProfilesRename)}</button>
                }>
                    <button class="primary" on:click=save>{t(Key::ProfilesSave)}</button>
                    <button on:click=move |_| editing.set(false)>{t(Key::CommonCancel)}</button>
                </Show>
                <button class="danger" aria-label=label_delete on:click=remove>{t(Key::ProfilesDelete)}</button>
            </td>
        </tr>
    }
}
