//! Messages in the reader's language: `errors.csv` follows `Accept-Language` (Bulgarian for
//! `bg`, English otherwise), from the code and params stored with each problem.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::each_engine;
use crate::support::TestApp;

/// The report of import `id`, asked for with `accept` as its `Accept-Language`.
async fn report(app: &TestApp, id: i64, accept: Option<&str>) -> (String, String) {
    let mut b = app.builder(Method::GET, &format!("/api/imports/{id}/errors.csv"));
    if let Some(a) = accept {
        b = b.header(header::ACCEPT_LANGUAGE, a);
    }
    let reply = app
        .raw(b.body(Body::empty()).unwrap())
        .await
        .expect(StatusCode::OK);
    let lang = reply.headers[header::CONTENT_LANGUAGE]
        .to_str()
        .unwrap()
        .to_owned();
    (lang, reply.text())
}

#[tokio::test]
async fn errors_csv_follows_accept_language() {
    each_engine!("errors_csv_language", |app| {
        let rows = json!([
            {"line": 2, "email": "broken", "first_name": "A"},
            {"line": 3, "email": "b@example.com", "first_name": "я".repeat(300)},
            {"line": 4, "email": "c@example.com", "accepts_marketing": "maybe"},
        ]);
        let done = app.import_batches("skip", &[rows]).await;
        let id = done["id"].as_i64().unwrap();

        let (lang, english) = report(&app, id, None).await;
        assert_eq!(lang, "en");
        assert!(
            english.contains("Email \"\"broken\"\" is not a valid address: it has no @."),
            "{english}"
        );
        assert!(
            english.contains("First name is too long: 300 characters, at most 255 are allowed.")
        );
        let (_, preferred_english) = report(&app, id, Some("en-US,en;q=0.9,bg;q=0.8")).await;
        assert_eq!(preferred_english, english);

        for accept in ["bg", "bg-BG,bg;q=0.9,en;q=0.8", "de, bg;q=0.5, en;q=0.1"] {
            let (lang, bulgarian) = report(&app, id, Some(accept)).await;
            assert_eq!(lang, "bg", "{accept}");
            let mut lines = bulgarian.lines();
            // The columns are the contract's; only the messages change language.
            assert_eq!(lines.next(), Some("line,field,value,code,message"));
            assert_eq!(
                lines.next(),
                Some(
                    "2,email,broken,invalid_email,Имейлът „broken“ не е валиден адрес: в него няма @."
                )
            );
            let third = lines.next().unwrap();
            assert!(third.starts_with("3,first_name,"), "{third}");
            assert!(
                third.ends_with(",field_too_long,\"Полето „Име“ е твърде дълго: 300 знака, а са позволени най-много 255.\""),
                "{third}"
            );
            let fourth = lines.next().unwrap();
            assert!(
                fourth.contains("Съгласието за маркетинг трябва да е „да“ или „не“"),
                "{fourth}"
            );
            assert!(!bulgarian.contains("is not a valid"), "{bulgarian}");
        }
    });
}

/// The document describes `params` (optional) and the header `errors.csv` reads.
#[tokio::test]
async fn the_document_describes_params_and_the_language_header() {
    each_engine!("params_documented", |app| {
        let doc = app.get("/api/openapi.json").await.json();
        let schemas = &doc["components"]["schemas"];
        let field_error = &schemas["FieldError"];
        assert!(
            field_error["properties"]["params"].is_object(),
            "{field_error}"
        );
        let required = field_error["required"].as_array().unwrap();
        assert!(!required.contains(&json!("params")), "{field_error}");
        for member in ["limit", "actual", "line", "value", "detail"] {
            assert!(
                schemas["ErrorParams"]["properties"][member].is_object(),
                "{member}: {}",
                schemas["ErrorParams"]
            );
        }
        let details = schemas["Detail"]["enum"].as_array().unwrap();
        assert!(details.contains(&json!("no_at")), "{details:?}");
        let params = doc["paths"]["/api/imports/{id}/errors.csv"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Accept-Language" && p["in"] == "header"),
            "{params:?}"
        );
    });
}
