//! Sign in.

use leptos::prelude::*;
use shared::api::LoginRequest;

use crate::i18n::{Key, use_t};
use crate::session::Session;

#[component]
pub fn Login() -> impl IntoView {
    let t = use_t();
    let session = expect_context::<Session>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let request = LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match crate::api::sign_in(&request).await {
                Ok(s) => session.signed_in(s),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <div class="panel">
                <h1>{move || t(Key::LoginTitle)}</h1>
                <form on:submit=submit>
                    <div class="field">
                        <label for="username">{move || t(Key::LoginUsername)}</label>
                        <input id="username" name="username" autocomplete="username" required bind:value=username/>
                    </div>
                    <div class="field">
                        <label for="password">{move || t(Key::LoginPassword)}</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required bind:value=password/>
                    </div>
                    {move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                    <button type="submit" class="primary" disabled=move || busy.get()>{move || t(Key::LoginSubmit)}</button>
                </form>
            </div>
        </main>
    }
}
