//! An API error shown where it happened.

use leptos::prelude::*;

/// An API error shown where it happened, with a way to try again.
#[component]
pub fn ErrorNote(
    message: String,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    let t = crate::i18n::use_t();
    view! {
        <div class="error" role="alert">
            <span>{message}</span>
            {retry.map(|r| view! { " " <button on:click=move |_| r.run(())>{move || t(crate::i18n::Key::CommonRetry)}</button> })}
        </div>
    }
}
