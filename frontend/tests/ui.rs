//! UI pieces in a real page in headless Chromium: translations, formatting, and that the
//! sign-in form's controls have accessible names.

use frontend::api::ApiFailure;
use frontend::i18n::{
    Key, Lang, count_of, format_count, group_refusal_key, problem_text, reason_key, status_key,
    text, webhook_refusal_key,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_text_has_an_english_and_a_bulgarian_version_and_keys_are_unique() {
    let mut keys = std::collections::HashSet::new();
    for key in Key::ALL {
        assert!(keys.insert(key), "duplicate key {key:?}");
        assert!(
            !key.en().is_empty() && !key.bg().is_empty(),
            "{key:?} is missing a translation"
        );
    }
    assert_eq!(text(Lang::Bg, Key::CustomersImport), "Импортирай");
    assert_eq!(text(Lang::En, Key::CustomersImport), "Import");
}

/// Keys built from a code the server sends: an unknown code gets a general message in both
/// languages (a key that does not exist does not compile).
#[wasm_bindgen_test]
fn an_unknown_reason_code_gets_the_general_message_in_both_languages() {
    assert_eq!(reason_key("not_importable"), Key::ImportReasonNotImportable);
    // The former code of `another_column_chosen` reads as it.
    for code in ["another_column_chosen", "duplicate_target"] {
        assert_eq!(reason_key(code), Key::ImportReasonAnotherColumnChosen);
    }
    let unknown = reason_key("no_such_reason");
    assert_eq!(unknown, Key::ImportReasonUnknown);
    assert!(!text(Lang::En, unknown).is_empty() && !text(Lang::Bg, unknown).is_empty());
    assert_ne!(text(Lang::En, unknown), "??");
}

/// A group the server refuses to delete or rename says why in both languages; other codes
/// keep the server's message.
#[wasm_bindgen_test]
fn a_refused_group_change_is_explained_in_both_languages() {
    for (code, key) in [
        ("group_import_open", Key::GroupsRefusedImportOpen),
        ("default_group", Key::GroupsRefusedDefault),
    ] {
        assert_eq!(group_refusal_key(code), Some(key));
        assert_ne!(text(Lang::En, key), text(Lang::Bg, key));
    }
    assert_eq!(group_refusal_key("group_in_use"), None);
}

/// A refused webhook endpoint says why in both languages; other codes keep the server's
/// message.
#[wasm_bindgen_test]
fn a_refused_webhook_endpoint_is_explained_in_both_languages() {
    for (code, key) in [
        ("invalid_webhook_url", Key::WebhooksInvalidUrl),
        ("invalid_webhook_events", Key::WebhooksNoEvents),
        ("webhook_target_refused", Key::WebhooksRefused),
    ] {
        assert_eq!(webhook_refusal_key(code), Some(key));
        assert_ne!(text(Lang::En, key), text(Lang::Bg, key));
    }
    assert!(text(Lang::Bg, Key::WebhooksRefused).contains("частни"));
    assert_eq!(webhook_refusal_key("invalid_body"), None);
}

#[wasm_bindgen_test]
fn counts_are_grouped_the_way_each_language_writes_them() {
    assert_eq!(format_count(Lang::En, 1_234_567), "1,234,567");
    assert_eq!(format_count(Lang::Bg, 1_234_567), "1\u{a0}234\u{a0}567");
    assert_eq!(format_count(Lang::En, 12), "12");
}

#[wasm_bindgen_test]
fn every_sign_in_control_has_a_label() {
    leptos::mount::mount_to_body(|| {
        frontend::i18n::provide_locale();
        provide_context(frontend::session::Session {
            user: RwSignal::new(None),
            csrf: RwSignal::new(String::new()),
            checked: RwSignal::new(true),
        });
        view! { <frontend::app::LoginPage/> }
    });
    let document = web_sys::window().unwrap().document().unwrap();
    let inputs = document.query_selector_all("input").unwrap();
    assert_eq!(inputs.length(), 2);
    for i in 0..inputs.length() {
        let input: web_sys::Element = inputs.item(i).unwrap().unchecked_into();
        let id = input.id();
        let label = document
            .query_selector(&format!("label[for='{id}']"))
            .unwrap();
        assert!(
            label.is_some_and(|l| !l.text_content().unwrap_or_default().trim().is_empty()),
            "input {id} has no label"
        );
    }
}

/// Error responses: the field errors of a validation error are read from its details, any
/// other details are ignored, and a body that is not the contract's error names the status.
#[wasm_bindgen_test]
fn error_bodies_give_their_message_and_field_errors() {
    let invalid = ApiFailure::from_error_body(
        422,
        r#"{"error": {"code": "validation_failed", "message": "Check the fields.",
            "details": {"errors": [{"field": "email", "code": "invalid_email",
                                    "message": "Not an email."}]}}}"#,
    );
    assert_eq!(invalid.code, "validation_failed");
    assert_eq!(invalid.field_errors.len(), 1);
    assert_eq!(invalid.field_errors[0].field.as_str(), "email");
    assert_eq!(
        invalid.with_field_messages(Lang::En),
        "Check the fields. Not an email."
    );
    // In Bulgarian, the field errors alone, from their code (these came without params).
    assert_eq!(
        invalid.with_field_messages(Lang::Bg),
        "Имейлът не е валиден адрес."
    );
    let too_large = ApiFailure::from_error_body(
        413,
        r#"{"error": {"code": "payload_too_large", "message": "Too large.",
            "details": {"limit_bytes": 1048576}}}"#,
    );
    assert_eq!(too_large.message, "Too large.");
    assert!(too_large.field_errors.is_empty());
    assert_eq!(too_large.with_field_messages(Lang::En), "Too large.");
    let not_ours = ApiFailure::from_error_body(502, "<html>Bad gateway</html>");
    assert_eq!(not_ours.code, "http_error");
    assert_eq!(not_ours.message, "The server answered 502.");
    assert!(not_ours.is_transient(), "a 502 is worth retrying");
}

/// A count takes its noun's counted form in Bulgarian and the plural in English.
#[wasm_bindgen_test]
fn counts_take_the_counted_form() {
    let customers = |lang, n| count_of(lang, n, Key::CustomersTotalOne, Key::CustomersTotal);
    assert_eq!(customers(Lang::Bg, 1), "1 клиент");
    assert_eq!(customers(Lang::Bg, 5), "5 клиента");
    assert_eq!(customers(Lang::En, 1), "1 customer");
    assert_eq!(customers(Lang::En, 5), "5 customers");
    assert_eq!(customers(Lang::Bg, 1500), "1\u{a0}500 клиента");
    let rows = |lang, n| count_of(lang, n, Key::ImportRowCountOne, Key::ImportRowCount);
    assert_eq!(rows(Lang::Bg, 1), "1 ред");
    assert_eq!(rows(Lang::Bg, 5), "5 реда");
    assert_eq!(rows(Lang::En, 1), "1 row");
    let sent = |lang, n| count_of(lang, n, Key::ImportRowSentOne, Key::ImportRowsSent);
    assert_eq!(sent(Lang::Bg, 1), "1 изпратен ред");
    assert_eq!(sent(Lang::Bg, 2), "2 изпратени реда");
}

/// Words a Bulgarian reader stumbled on: a cancelled job and an undone one read alike, and
/// a date filter read as "created by".
#[wasm_bindgen_test]
fn bulgarian_statuses_and_filters_say_what_they_mean() {
    use shared::api::ImportStatus;
    let cancelled = text(Lang::Bg, status_key(ImportStatus::Cancelled));
    let undone = text(Lang::Bg, status_key(ImportStatus::Undone));
    assert_eq!((cancelled, undone), ("Прекратена", "Анулирана"));
    assert_eq!(
        text(Lang::Bg, Key::CustomersCreatedFrom),
        "Създаден от дата"
    );
}

/// A validation problem reads in the UI's language, from its code and params.
#[wasm_bindgen_test]
fn validation_problems_read_in_the_ui_language() {
    let errors = shared::rules::validate_row(&shared::api::BatchRow {
        line: 2,
        email: Some("broken".into()),
        accepts_marketing: Some(shared::api::Consent::Text("maybe".into())),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(
        problem_text(Lang::Bg, &errors[0]),
        "Имейлът „broken“ не е валиден адрес: в него няма @."
    );
    assert_eq!(problem_text(Lang::En, &errors[0]), errors[0].message);
    assert!(problem_text(Lang::Bg, &errors[1]).starts_with("Съгласието за маркетинг"));
}
