//! The app shell: session and language contexts, the top bar, and the routes.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use shared::api::{SessionResponse, User};

use crate::i18n::{Lang, Locale, provide_locale, use_t};
use crate::pages;

/// The sign-in page, for tests that mount it alone.
pub use crate::pages::login::Login as LoginPage;

/// Who is signed in, and the CSRF token for state-changing calls.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: RwSignal<Option<User>>,
    pub csrf: RwSignal<String>,
    /// The first `GET /api/session` has answered.
    pub checked: RwSignal<bool>,
}

impl Session {
    pub fn csrf(&self) -> String {
        self.csrf.get_untracked()
    }
    pub fn signed_in(&self, s: SessionResponse) {
        self.csrf.set(s.csrf_token);
        self.user.set(Some(s.user));
    }
}

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
        if let Ok(s) = crate::api::get::<SessionResponse>("/api/session").await {
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
            let _ = crate::api::send_empty("DELETE", "/api/session", &csrf).await;
            session.user.set(None);
        });
    };
    view! {
        <header class="top">
            <span class="brand">{move || t("app.name")}</span>
            <nav aria-label="Main">
                <A href="/customers">{move || t("nav.customers")}</A>
                <A href="/groups">{move || t("nav.groups")}</A>
                <A href="/settings/jobs">{move || t("nav.jobs")}</A>
            </nav>
            <div class="user">
                <label class="inline" for="language">{move || t("nav.language")}</label>
                <select
                    id="language"
                    on:change=move |ev| locale.set(Lang::from_code(&event_target_value(&ev)))
                    prop:value=move || locale.0.get().code()
                >
                    <option value="en">"English"</option>
                    <option value="bg">"Български"</option>
                </select>
                <span>{move || session.user.get().map(|u| u.username).unwrap_or_default()}</span>
                <button on:click=sign_out>{move || t("nav.sign_out")}</button>
            </div>
        </header>
    }
}
