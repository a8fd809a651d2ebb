use super::*;
use crate::api::{BatchRow, Consent};
use crate::import::{DuplicateTracker, inspect, mapped_to_error};
use crate::settings::ReadSettings;

/// Errors as the rules and the reader make them: at least one of every code, and every
/// detail.
fn produced() -> Vec<FieldError> {
    let mut out = Vec::new();
    let row = |email: &str| BatchRow {
        line: 2,
        email: Some(email.into()),
        ..Default::default()
    };
    let long = format!("{}@example.com", "a".repeat(70));
    let very_long = format!("a@{}.com", "b.".repeat(130));
    for email in [
        "a b@x.bg",
        "nobody",
        "@x.bg",
        "a@",
        ".a@x.bg",
        "a\"@x.bg",
        "a@b@x.bg",
        "a@-x.bg",
        "a@localhost",
        "a@x.123",
        &long,
        &very_long,
    ] {
        out.extend(crate::rules::validate_row(&row(email)).unwrap_err());
    }
    out.extend(
        crate::rules::validate_row(&BatchRow {
            line: 3,
            first_name: Some("я".repeat(300)),
            note: Some("x".repeat(70_000)),
            accepts_marketing: Some(Consent::Text("maybe".into())),
            ..Default::default()
        })
        .unwrap_err(),
    );
    out.push(mapped_to_error("perhaps"));
    out.push(DuplicateTracker::duplicate_error("ivan@x.bg", 7));
    let files: [&[u8]; 5] = [
        b"PK\x03\x04rest",
        b"%PDF-1.4",
        b"\x00\x01\x02\x03\x00\x00\x00\x00\x01",
        b"",
        b"email,name\na@x.bg,Ivan,extra\n\"b@x.bg,Petar\nc@x.bg,Maria\n",
    ];
    for f in files {
        let r = inspect(f, &ReadSettings::default());
        out.extend(r.problem);
        out.extend(r.errors.into_iter().map(|e| FieldError {
            field: e.field,
            code: e.code,
            message: e.message,
            params: e.params,
        }));
    }
    let utf8 = ReadSettings {
        encoding: Some("utf-8".into()),
        ..ReadSettings::default()
    };
    let bad_bytes = inspect(b"email,name\na@x.bg,Iv\xff\n", &utf8);
    out.extend(bad_bytes.errors.into_iter().map(|e| FieldError {
        field: e.field,
        code: e.code,
        message: e.message,
        params: e.params,
    }));
    for settings in [
        ReadSettings {
            encoding: Some("klingon".into()),
            ..ReadSettings::default()
        },
        ReadSettings {
            delimiter: Some(b'a'),
            ..ReadSettings::default()
        },
    ] {
        out.extend(inspect(b"email\na@x.bg\n", &settings).problem);
    }
    let mut wide = String::from("email\n");
    wide.push_str(&"x,".repeat(crate::import::Limits::default().max_columns + 5));
    wide.push('\n');
    out.extend(
        inspect(wide.as_bytes(), &ReadSettings::default())
            .errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                code: e.code,
                message: e.message,
                params: e.params,
            }),
    );
    out
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_rules_give_every_code_its_params() {
    let errors = produced();
    for code in ErrorCode::ALL {
        assert!(errors.iter().any(|e| e.code == code), "no sample of {code}");
    }
    for e in &errors {
        let needs = !matches!(
            e.code,
            ErrorCode::MissingEmail
                | ErrorCode::EmptyFile
                | ErrorCode::InvalidDelimiter
                | ErrorCode::InvalidEncoding
        );
        assert_eq!(e.params.is_some(), needs, "{e:?}");
    }
}

/// English from the code and params is the rules' own message, word for word.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn english_from_the_params_is_the_message() {
    for e in produced() {
        assert_eq!(
            english(
                e.field,
                e.code,
                e.params.as_ref().unwrap_or(&ErrorParams::default())
            ),
            Some(e.message.clone()),
            "{e:?}"
        );
    }
}

/// Every clause of a Bulgarian sentence has Cyrillic in it: no English left behind.
fn assert_bulgarian(s: &str) {
    let cyrillic = |t: &str| t.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
    for clause in s.split([':', ';', '.', '(', ')']) {
        let words = clause
            .split_whitespace()
            .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()));
        if words.count() >= 2 {
            assert!(cyrillic(clause), "an English clause {clause:?} in {s:?}");
        }
    }
    assert!(cyrillic(s), "not Bulgarian: {s:?}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_code_renders_in_both_languages_with_its_params() {
    for e in produced() {
        let bg = render(&e, Lang::Bg);
        assert_bulgarian(&bg);
        if e.params.is_some() {
            assert_ne!(
                bg,
                general_bg(e.code),
                "{e:?} fell back to the general sentence"
            );
        }
        let p = e.params.clone().unwrap_or_default();
        for n in [p.limit, p.actual, p.line].into_iter().flatten() {
            assert!(bg.contains(&n.to_string()), "{bg:?} lacks {n}");
            assert!(render(&e, Lang::En).contains(&n.to_string()));
        }
        if let Some(v) = &p.value {
            assert!(bg.contains(v.as_str()), "{bg:?} lacks {v:?}");
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_catalog_has_no_english_sentence_in_bulgarian() {
    // Every code and detail, with and without params.
    for code in ErrorCode::ALL {
        assert_bulgarian(general_bg(code));
        for field in Field::ALL {
            for detail in Detail::ALL.map(Some).into_iter().chain([None]) {
                let p = ErrorParams {
                    limit: Some(5),
                    actual: Some(1),
                    line: Some(9),
                    value: Some("x@y".into()),
                    detail,
                };
                let e = FieldError {
                    field,
                    code,
                    message: "English".into(),
                    params: Some(p),
                };
                assert_bulgarian(&render(&e, Lang::Bg));
                let bare = FieldError { params: None, ..e };
                assert_bulgarian(&render(&bare, Lang::Bg));
                if english(field, code, &ErrorParams::default()).is_none() {
                    assert_eq!(render(&bare, Lang::En), "English");
                }
            }
        }
        assert_bulgarian(field_name(Field::AcceptsMarketing, Lang::Bg));
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn bulgarian_counts_take_the_counted_form() {
    let e = |limit, actual| FieldError {
        field: Field::FirstName,
        code: ErrorCode::FieldTooLong,
        message: String::new(),
        params: Some(ErrorParams::length(limit, actual, Detail::Characters)),
    };
    assert!(render(&e(1, 1), Lang::Bg).contains("1 знак,"));
    assert!(render(&e(1, 5), Lang::Bg).contains("5 знака,"));
    assert_eq!(plural(1, "ред", "реда"), "ред");
    assert_eq!(plural(0, "ред", "реда"), "реда");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn accept_language_picks_the_preferred_known_language() {
    for (header, want) in [
        ("", Lang::En),
        ("bg", Lang::Bg),
        ("bg-BG,bg;q=0.9,en;q=0.8", Lang::Bg),
        ("en-US,en;q=0.9,bg;q=0.8", Lang::En),
        ("de-DE, bg;q=0.5", Lang::Bg),
        ("en;q=0.2, bg;q=0.7", Lang::Bg),
        ("bg;q=0, en", Lang::En),
        ("bg;q=0", Lang::En),
        ("BG;Q=1.000", Lang::Bg),
        ("fr, *;q=0.1", Lang::En),
        ("bg;q=2", Lang::En),
        ("bg;q=0.1234, en;q=0.1", Lang::En),
        ("de", Lang::En),
    ] {
        assert_eq!(Lang::from_accept_language(header), want, "{header:?}");
    }
    assert_eq!(Lang::parse("bg_BG.UTF-8"), Some(Lang::Bg));
    assert_eq!(Lang::parse("C.UTF-8"), None);
    assert_eq!(Lang::from_code("bg"), Lang::Bg);
    assert_eq!(Lang::from_code("xx"), Lang::En);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn params_are_an_optional_object_in_json() {
    let e = DuplicateTracker::duplicate_error("ivan@x.bg", 7);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json["params"],
        serde_json::json!({"line": 7, "value": "ivan@x.bg"})
    );
    let old: FieldError =
        serde_json::from_str(r#"{"field":"email","code":"missing_email","message":"m"}"#).unwrap();
    assert_eq!(old.params, None);
    let bare = serde_json::to_value(&old).unwrap();
    assert!(bare.get("params").is_none());
}
