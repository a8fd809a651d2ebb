//! Mapping profiles on the import page: the saved profile for a file's headers maps its
//! columns ([`profile_mapping`]), and the mapping shown can be saved as one ([`SaveProfile`]).

use leptos::prelude::*;
use shared::api::{NewProfile, Profile};
use shared::import::Target;
use shared::import::profile::{by_header, fingerprint};
use shared::settings::NamedMapping;

use crate::api;
use crate::i18n::{Key, use_t};
use crate::protocol::Preview;
use crate::session::Session;

/// The headers of a previewed file (none without a header line).
fn headers(p: &Preview) -> Option<Vec<String>> {
    p.has_header.then(|| {
        p.columns
            .iter()
            .map(|c| c.header.clone().unwrap_or_default())
            .collect()
    })
}

/// The profile saved for `p`'s headers (the most recently saved: `profiles` come so) and the
/// columns' targets it gives.
fn profile_mapping<'a>(
    p: &Preview,
    profiles: &'a [Profile],
) -> Option<(&'a Profile, Vec<Option<Target>>)> {
    let headers = headers(p)?;
    let print = fingerprint(headers.iter().map(String::as_str))?;
    let profile = profiles.iter().find(|pr| pr.fingerprint == print)?;
    let current: Vec<Option<Target>> = p.columns.iter().map(|c| c.target).collect();
    let mapping = by_header(
        headers.iter().map(String::as_str),
        &current,
        &profile.mapping,
    );
    Some((profile, mapping))
}

/// What the page remembers for a file with `p`'s headers: the profile saved on the server
/// for them (its name), else the mapping this browser kept from an earlier import of such a
/// file; and the mapping to read the file with, when it differs from the one detected.
pub fn remembered_mapping(
    p: &Preview,
    profiles: &[Profile],
) -> (Option<String>, Option<Vec<Option<Target>>>) {
    let current: Vec<Option<Target>> = p.columns.iter().map(|c| c.target).collect();
    let (name, mapping) = match profile_mapping(p, profiles) {
        Some((profile, mapping)) => (Some(profile.name.clone()), Some(mapping)),
        None => (None, super::saved::saved_mapping(p)),
    };
    (name, mapping.filter(|m| *m != current))
}

/// Saves the mapping shown as a profile for files with these headers.
#[component]
pub fn SaveProfile(
    preview: RwSignal<Option<Preview>>,
    applied: RwSignal<Option<String>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let t = use_t();
    let session = expect_context::<Session>();
    let name = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let refused = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(p) = preview.get_untracked() else {
            return;
        };
        let Some(headers) = headers(&p) else {
            return;
        };
        let mapping = NamedMapping(
            headers
                .iter()
                .zip(&p.columns)
                .filter(|(h, _)| !h.trim().is_empty())
                .map(|(h, c)| (h.clone(), c.target))
                .collect(),
        );
        let body = NewProfile {
            name: name.get_untracked(),
            headers,
            mapping,
        };
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            match api::create_profile(&body, &csrf).await {
                Ok(saved) => {
                    applied.set(Some(saved.name));
                    refused.set(None);
                    done.set(Some(t(Key::ImportProfileSaved).to_owned()));
                    on_saved.run(());
                }
                Err(e) => {
                    done.set(None);
                    refused.set(Some(if e.code == "profile_exists" {
                        t(Key::ProfilesExists).to_owned()
                    } else {
                        e.message
                    }));
                }
            }
        });
    };
    view! {
        <Show when=move || preview.with(|p| p.as_ref().is_some_and(|p| p.has_header))>
            <form class="panel filters" on:submit=save>
                {move || applied.get().map(|n| view! {
                    <p role="status">{t(Key::ImportProfileApplied)} ": " <strong>{n}</strong></p>
                })}
                <div class="field">
                    <label for="profile-name">{move || t(Key::ImportProfileName)}</label>
                    <input id="profile-name" bind:value=name required maxlength="100"/>
                </div>
                <button type="submit">{move || t(Key::ImportSaveProfile)}</button>
                {move || done.get().map(|m| view! { <p role="status">{m}</p> })}
                {move || refused.get().map(|m| view! { <p role="alert" class="error">{m}</p> })}
            </form>
        </Show>
    }
}
