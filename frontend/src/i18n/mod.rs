//! English and Bulgarian. Every string the UI shows is a [`Key`] (in [`keys`], both languages
//! side by side, checked at compile time); the chosen language is a context signal remembered
//! in localStorage. Numbers are grouped the way each language writes them.

mod keys;
mod reasons;

use leptos::prelude::*;
use shared::api::ImportStatus;
use shared::import::Target;

pub use keys::Key;
pub use reasons::{describe as describe_reason, ignored_key, values_key};

/// The UI's language is the one the shared message catalog writes in.
pub use shared::messages::Lang;

/// The text for `key` in `lang`.
pub fn text(lang: Lang, key: Key) -> &'static str {
    match lang {
        Lang::En => key.en(),
        Lang::Bg => key.bg(),
    }
}

/// The text of an `ignored_reason` code (as `inspect --json` and the API write it): a code
/// this page does not know gets a general message, in both languages. `duplicate_target` is
/// the former name of `another_column_chosen`.
pub fn reason_key(reason: &str) -> Key {
    match reason {
        "not_importable" => Key::ImportReasonNotImportable,
        "another_column_chosen" | "duplicate_target" => Key::ImportReasonAnotherColumnChosen,
        _ => Key::ImportReasonUnknown,
    }
}

/// The text of a refused change to a group, by the server's code (`group_import_open`,
/// `default_group`); other codes keep the server's own message.
pub fn group_refusal_key(code: &str) -> Option<Key> {
    match code {
        "group_import_open" => Some(Key::GroupsRefusedImportOpen),
        "default_group" => Some(Key::GroupsRefusedDefault),
        _ => None,
    }
}

/// The text of a refused webhook endpoint, by the server's code; other codes keep the
/// server's own message.
pub fn webhook_refusal_key(code: &str) -> Option<Key> {
    match code {
        "invalid_webhook_url" => Some(Key::WebhooksInvalidUrl),
        "invalid_webhook_events" => Some(Key::WebhooksNoEvents),
        "webhook_target_refused" => Some(Key::WebhooksRefused),
        _ => None,
    }
}

/// The text of a workbook the workbook worker could not read, by its code
/// (`shared::workbook::WorkbookError::code`): an unknown code reads as unreadable.
pub fn workbook_error_key(code: &str) -> Key {
    match code {
        "workbook_encrypted" => Key::WorkbookEncrypted,
        _ => Key::WorkbookUnreadable,
    }
}

/// The text of an import's or job's status.
pub fn status_key(status: ImportStatus) -> Key {
    match status {
        ImportStatus::Receiving => Key::StatusReceiving,
        ImportStatus::Queued => Key::StatusQueued,
        ImportStatus::Running => Key::StatusRunning,
        ImportStatus::Completed => Key::StatusCompleted,
        ImportStatus::Failed => Key::StatusFailed,
        ImportStatus::Cancelled => Key::StatusCancelled,
        ImportStatus::Undone => Key::StatusUndone,
    }
}

/// The name of a field a column can be imported into.
pub fn target_key(target: Target) -> Key {
    match target {
        Target::FirstName => Key::TargetFirstName,
        Target::LastName => Key::TargetLastName,
        Target::FullName => Key::TargetFullName,
        Target::Email => Key::TargetEmail,
        Target::Note => Key::TargetNote,
        Target::AcceptsMarketing => Key::TargetAcceptsMarketing,
        Target::CustomerGroup => Key::TargetCustomerGroup,
    }
}

/// The language signal, provided at the root.
#[derive(Clone, Copy)]
pub struct Locale(pub RwSignal<Lang>);

const STORAGE_KEY: &str = "intake.lang";

pub fn provide_locale() -> Locale {
    let saved = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let lang = saved.map(|c| Lang::from_code(&c)).unwrap_or(Lang::En);
    let locale = Locale(RwSignal::new(lang));
    provide_context(locale);
    locale
}

impl Locale {
    pub fn set(&self, lang: Lang) {
        self.0.set(lang);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, lang.code());
        }
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", lang.code());
        }
    }
}

/// A reactive translator for components: `let t = use_t(); view! { {move || t(Key::AppName)} }`.
pub fn use_t() -> impl Fn(Key) -> &'static str + Copy + 'static {
    let locale = expect_context::<Locale>();
    move |key| text(locale.0.get(), key)
}

/// Group digits: "1,234,567" in English, "1 234 567" in Bulgarian.
pub fn format_count(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = if lang == Lang::Bg { '\u{a0}' } else { ',' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// A count with its noun in the counted form: "1 ред", "5 реда"; "1 row", "5 rows".
pub fn count_of(lang: Lang, n: u64, one: Key, many: Key) -> String {
    let noun = shared::messages::plural(n, text(lang, one), text(lang, many));
    format!("{} {noun}", format_count(lang, n))
}

/// A validation problem (a row's or the file's) in the UI's language, from its code and params.
pub fn problem_text(lang: Lang, e: &shared::api::FieldError) -> String {
    shared::messages::render(e, lang)
}

/// A date and time for the language: "2026-11-22 14:05" / "22.11.2026 14:05".
pub fn format_time(lang: Lang, t: &chrono::DateTime<chrono::Utc>) -> String {
    match lang {
        Lang::En => t.format("%Y-%m-%d %H:%M").to_string(),
        Lang::Bg => t.format("%d.%m.%Y %H:%M").to_string(),
    }
}
