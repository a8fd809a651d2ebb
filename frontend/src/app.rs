//! The app shell: session and language contexts, the top bar, and the routes.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{Key, Lang, Locale, provide_locale, use_t};
use crate::pages;
use crate::session::Session;

/// The sign-in page, for tests that mount it alone.
pub use crate::pages::login::Login as LoginPage;

#[component]
pub fn App() -> impl IntoView {
    provide_locale();
    let session = Session {
        user: RwSignal::new(None),
        csrf: RwSignal::new(String::new()),
        checked: RwSignal::new(false),
    };
    provide_context(session);
    leptos::task::spawn_local(async move {
        if let Ok(s) = crate::api::session().await {
            session.signed_in(s);
        }
        session.checked.set(true);
    });

    view! {
        <Router>
            <Show
                when=move || session.checked.get()
                fallback=|| view! { <p class="muted" style="padding:2rem">"…"</p> }
            >
                <Show when=move || session.user.get().is_some() fallback=pages::login::Login>
                    <TopBar/>
                    <main>
                        <Routes fallback=|| view! { <pages::customers::Customers/> }>
                            <Route path=path!("/") view=pages::customers::Customers/>
                            <Route path=path!("/customers") view=pages::customers::Customers/>
                            <Route path=path!("/customers/import") view=pages::import::ImportWizard/>
                            <Route path=path!("/settings/jobs") view=pages::jobs::Jobs/>
                            <Route path=path!("/groups") view=pages::groups::Groups/>
                            <Route path=path!("/profiles") view=pages::profiles::Profiles/>
                            <Route path=path!("/webhooks") view=pages::webhooks::Webhooks/>
                        </Routes>
                    </main>
                </Show>
            </Show>
        </Router>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let t = use_t();
    let session = expect_context::<Session>();
    let locale = expect_context::<Locale>();
    let sign_out = move |_| {
        let csrf = session.csrf();
        leptos::task::spawn_local(async move {
            let _ = crate::api::sign_out(&csrf).await;
            session.user.set(None);
        });
    };
    view! {
        <header class="top">
            <span class="brand">{move || t(Key::AppName)}</span>
            <nav aria-label="Main">
                <A href="/customers">{move || t(Key::NavCustomers)}</A>
                <A href="/groups">{move || t(Key::NavGroups)}</A>
                <A href="/profiles">{move || t(Key::NavProfiles)}</A>
                <A href="/settings/jobs">{move || t(Key::NavJobs)}</A>
                <A href="/webhooks">{move || t(Key::NavWebhooks)}</A>
            </nav>
            <div class="user">
                <label class="inline" for="language">{move || t(Key::NavLanguage)}</label>
                <select
                    id="language"
                    on:change=move |ev| locale.set(Lang::from_code(&event_target_value(&ev)))
                    prop:value=move || locale.0.get().code()
                >
                    <option value="en">"English"</option>
                    <option value="bg">"Български"</option>
                </select>
                <span>{move || session.user.get().map(|u| u.username).unwrap_or_default()}</span>
                <button on:click=sign_out>{move || t(Key::NavSignOut)}</button>
            </div>
        </header>
    }
}
