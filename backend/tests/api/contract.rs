//! The API against its own OpenAPI document, as an independent fuzzer (Schemathesis, run by
//! `cargo xtask schemathesis`) holds it: every status the server answers is documented for
//! that operation, a body the document allows is not refused for how it is written, and text
//! PostgreSQL cannot store is no server error.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::each_engine;
use crate::support::{Reply, TestApp};

/// The document's response entry for `status` on `method path` (path as documented).
fn documented(doc: &Value, method: &str, path: &str, status: StatusCode) -> Option<Value> {
    doc["paths"][path][method]["responses"]
        .get(status.as_str())
        .cloned()
}

#[track_caller]
fn assert_documented(doc: &Value, method: &str, path: &str, reply: &Reply) {
    let entry = documented(doc, method, path, reply.status).unwrap_or_else(|| {
        panic!(
            "{method} {path} answered {} ({}), which its document does not list",
            reply.status,
            reply.text()
        )
    });
    assert_eq!(
        entry["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
        "{method} {path} {}",
        reply.status
    );
    assert!(
        reply.json()["error"]["code"].is_string(),
        "{}",
        reply.text()
    );
}

async fn raw(app: &TestApp, method: Method, path: &str, body: &'static str, json: bool) -> Reply {
    let mut b = app.builder(method, path);
    if json {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    app.raw(b.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn every_refusal_before_a_handler_runs_is_documented_with_the_error_body() {
    each_engine!("documented_refusals", |app| {
        let doc = app
            .get("/api/openapi.json")
            .await
            .expect(StatusCode::OK)
            .json();
        let import = app
            .post("/api/imports", json!({"file_name": "a.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json()["id"]
            .as_i64()
            .unwrap();
        let batch = format!("/api/imports/{import}/batches/0");
        let commit = format!("/api/imports/{import}/commit");
        let cases: Vec<(Method, &str, String, &str, bool, StatusCode)> = vec![
            // A body that is not sent as JSON.
            (
                Method::PUT,
                "/api/imports/{id}/batches/{seq}",
                batch.clone(),
                "{}",
                false,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/imports/{id}/commit",
                commit.clone(),
                "{}",
                false,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::PATCH,
                "/api/groups/{id}",
                "/api/groups/1".into(),
                "{}",
                false,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/session",
                "/api/session".into(),
                "{}",
                false,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            // Not JSON, and JSON of another shape.
            (
                Method::POST,
                "/api/imports/{id}/commit",
                commit.clone(),
                "{",
                true,
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/imports/{id}/commit",
                commit,
                "{\"batch_count\": -1}",
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                Method::POST,
                "/api/groups",
                "/api/groups".into(),
                "[]",
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            // Path and query values that do not parse.
            (
                Method::GET,
                "/api/customers/{id}",
                "/api/customers/9223372036854775808".into(),
                "",
                false,
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::DELETE,
                "/api/tokens/{id}",
                "/api/tokens/x".into(),
                "",
                false,
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::POST,
                "/api/imports/{id}/undo",
                "/api/imports/-/undo".into(),
                "",
                false,
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::DELETE,
                "/api/groups/{id}",
                "/api/groups/2?reassign_to=99999999999999999999".into(),
                "",
                false,
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/imports/{id}/errors.csv",
                "/api/imports/1.5/errors.csv".into(),
                "",
                false,
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (method, documented_path, path, body, json, status) in cases {
            let reply = raw(&app, method.clone(), &path, body, json).await;
            assert_eq!(reply.status, status, "{method} {path}: {}", reply.text());
            assert_documented(
                &doc,
                &method.as_str().to_lowercase(),
                documented_path,
                &reply,
            );
        }
    });
}

#[tokio::test]
async fn whole_numbers_written_with_a_fraction_of_zero_are_read_as_the_document_allows() {
    each_engine!("whole_floats", |app| {
        let group = app.create_group("Floats").await;
        // JSON Schema's `integer` includes 2.0: serde's integers refused it with a 422.
        let import = app
            .post(
                "/api/imports",
                json!({"file_name": "f.csv", "group_id": group as f64}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert_eq!(import["group_id"], group, "{import}");
        let id = import["id"].as_i64().unwrap();
        let rows =
            json!([{"line": 2.0, "email": "a@example.com"}, {"line": 3, "email": "b@example.com"}]);
        app.put(
            &format!("/api/imports/{id}/batches/0"),
            json!({ "rows": rows }),
        )
        .await
        .expect(StatusCode::OK);
        let half = app
            .post(
                &format!("/api/imports/{id}/commit"),
                json!({"batch_count": 1, "row_count": 2.5}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(half.json()["error"]["code"], "invalid_body");
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 1.0, "row_count": 2.0}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        let done = app.wait_for_import(id).await;
        assert_eq!(done["counts"]["created"], 2, "{done}");
        app.post(
            "/api/customers",
            json!({"email": "c@example.com", "group_id": group as f64}),
        )
        .await
        .expect(StatusCode::CREATED);
    });
}

#[tokio::test]
async fn batch_numbers_run_to_the_documented_maximum_of_u32() {
    each_engine!("batch_seq_range", |app| {
        let doc = app.get("/api/openapi.json").await.json();
        let params = doc["paths"]["/api/imports/{id}/batches/{seq}"]["put"]["parameters"]
            .as_array()
            .unwrap()
            .clone();
        let seq = params.iter().find(|p| p["name"] == "seq").unwrap();
        // It said int32, so a batch numbered 2^31 looked invalid and was accepted.
        assert_eq!(seq["schema"]["maximum"], 4_294_967_295_u64, "{seq}");
        assert_ne!(seq["schema"]["format"], "int32", "{seq}");
        let id = app
            .post("/api/imports", json!({"file_name": "s.csv"}))
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let answer = app
            .put(
                &format!("/api/imports/{id}/batches/4294967295"),
                json!({"rows": []}),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(answer["seq"], 4_294_967_295_u64);
        app.put(
            &format!("/api/imports/{id}/batches/4294967296"),
            json!({"rows": []}),
        )
        .await
        .expect(StatusCode::BAD_REQUEST);
    });
}

#[tokio::test]
async fn names_are_bounded_as_sent_not_blank_and_free_of_control_characters() {
    each_engine!("name_rules", |app| {
        let doc = app.get("/api/openapi.json").await.json();
        let schemas = &doc["components"]["schemas"];
        for (schema, field, max) in [
            ("GroupName", "name", 100),
            ("CreateTokenRequest", "name", 100),
            ("CreateImport", "file_name", 255),
        ] {
            let s = &schemas[schema]["properties"][field];
            assert_eq!(s["maxLength"], max, "{schema}: {s}");
            assert_eq!(s["minLength"], 1, "{schema}: {s}");
            assert!(s["pattern"].is_string(), "{schema}: {s}");
        }
        let padded = format!(" {} ", "a".repeat(99));
        for (path, field) in [("/api/groups", "name"), ("/api/tokens", "name")] {
            // Control characters (NUL answered 500 on PostgreSQL), and a length the
            // document's maxLength refuses though the trimmed name would fit.
            for bad in ["a\u{0}b", "tab\there", "\u{85}", &padded] {
                let r = app
                    .post(path, json!({ field: bad }))
                    .await
                    .expect(StatusCode::UNPROCESSABLE_ENTITY);
                assert_eq!(r.json()["error"]["code"], "invalid_name", "{path} {bad:?}");
            }
            app.post(path, json!({ field: " Кирилица 1 " }))
                .await
                .expect(StatusCode::CREATED);
        }
        let padded = format!(" {} ", "f".repeat(254));
        let r = app
            .post("/api/imports", json!({"file_name": padded}))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["error"]["code"], "invalid_file_name");
    });
}

#[tokio::test]
async fn nul_in_a_search_a_sign_in_or_a_rejected_cell_is_no_server_error() {
    each_engine!("nul_text", |app| {
        app.post("/api/customers", json!({"email": "ab@example.com"}))
            .await
            .expect(StatusCode::CREATED);
        // PostgreSQL refuses NUL in text: each of these answered 500 there.
        let found = app
            .get("/api/customers?q=a%00b")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(found["total"], 1, "{found}");
        app.get("/api/customers/export.csv?q=%00")
            .await
            .expect(StatusCode::OK);
        let mut anonymous = TestApp::new_sharing(&app);
        anonymous
            .login("ad\u{0}min", crate::support::PASSWORD)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        let id = app
            .post("/api/imports", json!({"file_name": "n.csv"}))
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let answer = app
            .put(
                &format!("/api/imports/{id}/batches/0"),
                json!({"rows": [{"line": 2, "email": "not\u{0}mail"}]}),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(answer["rejected"][0]["line"], 2, "{answer}");
        let report = app
            .get(&format!("/api/imports/{id}/errors.csv"))
            .await
            .expect(StatusCode::OK)
            .text();
        assert!(report.contains("notmail"), "{report}");
    });
}
