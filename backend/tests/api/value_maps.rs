//! The value mapping of consent and group values: the built-in vocabularies, a mapping
//! given to `POST /api/imports` (applied to every posted row) and to `POST
//! /api/imports/csv` (applied by the job), and the same customers whichever way a file
//! comes in.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use shared::import::{RowReader, detect};
use shared::settings::{ReadSettings, ValueMap};

use crate::each_engine;
use crate::support::TestApp;

const FILE: &str = "Email,Email Marketing Consent,Segment\n\
    ana@example.com,SUBSCRIBED,Gold\n\
    boris@example.com,NEVER_SUBSCRIBED,gold\n\
    vera@example.com,maybe,Silver\n\
    dora@example.com,UNSUBSCRIBED,\n";

const MAPPING: &str = r#"{"accepts_marketing":{"Maybe":"yes"},"customer_group":{"GOLD":"VIP"}}"#;

/// Upload `csv` raw with the query; wait for the end.
async fn upload(app: &TestApp, query: &str, csv: &str) -> Value {
    let req = app
        .builder(Method::POST, &format!("/api/imports/csv?{query}"))
        .header("content-type", "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    let import = app.raw(req).await.expect(StatusCode::ACCEPTED).json();
    app.wait_for_import(import["id"].as_i64().unwrap()).await
}

/// The rows the browser's worker posts for `csv`: read with the shared reader, the value
/// mapping applied as the worker applies it.
fn browser_rows(csv: &str, values: &ValueMap) -> Value {
    let det = detect(csv.as_bytes(), &ReadSettings::default());
    let mut reader = RowReader::new(&det);
    reader.set_values(values);
    let mut rows = Vec::new();
    reader.push(csv.as_bytes(), &mut |o| rows.push(o.row));
    reader.finish(&mut |o| rows.push(o.row));
    serde_json::to_value(rows).unwrap()
}

/// Create an import with `values`, post `rows` in one batch, commit, wait.
async fn post_rows(app: &TestApp, values: Option<Value>, rows: Value) -> Value {
    let mut create = json!({"file_name": "k.csv"});
    if let Some(v) = values {
        create["values"] = v;
    }
    let import = app
        .post("/api/imports", create)
        .await
        .expect(StatusCode::CREATED)
        .json();
    let id = import["id"].as_i64().unwrap();
    let n = rows.as_array().unwrap().len();
    app.put(
        &format!("/api/imports/{id}/batches/0"),
        json!({ "rows": rows }),
    )
    .await
    .expect(StatusCode::OK);
    app.post(
        &format!("/api/imports/{id}/commit"),
        json!({"batch_count": 1, "row_count": n}),
    )
    .await
    .expect(StatusCode::ACCEPTED);
    app.wait_for_import(id).await
}

/// Every customer as (email, consent, group name), by email.
async fn customers(app: &TestApp) -> Vec<(String, bool, String)> {
    let list = app
        .get("/api/customers?per_page=100&sort=email")
        .await
        .expect(StatusCode::OK)
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap().to_owned(),
                c["accepts_marketing"].as_bool().unwrap(),
                c["group_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn errors_csv(app: &TestApp, id: i64) -> String {
    app.get(&format!("/api/imports/{id}/errors.csv"))
        .await
        .expect(StatusCode::OK)
        .text()
}

async fn delete_customers(app: &TestApp) {
    for (email, ..) in customers(app).await {
        let list = app.get(&format!("/api/customers?q={email}")).await.json();
        let id = list["items"][0]["id"].as_i64().unwrap();
        app.request(Method::DELETE, &format!("/api/customers/{id}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn a_klaviyo_file_imports_its_consent_words_and_an_unknown_value_is_a_row_error() {
    each_engine!("klaviyo_values", |app| {
        // No mapping: NEVER_SUBSCRIBED and UNSUBSCRIBED are no, SUBSCRIBED yes; `maybe` is
        // a row error naming its line, field and value, never a silent no.
        let done = upload(&app, "file_name=k.csv", FILE).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["created"], 3, "{done}");
        assert_eq!(done["counts"]["failed"], 1, "{done}");
        let report = errors_csv(&app, done["id"].as_i64().unwrap()).await;
        assert!(
            report.contains("4,accepts_marketing,maybe,invalid_accepts_marketing,"),
            "{report}"
        );
        let got = customers(&app).await;
        assert_eq!(
            got,
            [
                ("ana@example.com".into(), true, "Gold".into()),
                ("boris@example.com".into(), false, "Gold".into()),
                ("dora@example.com".into(), false, "Default".into()),
            ]
        );
        // The same through posted rows, as a script sends them (text consent).
        delete_customers(&app).await;
        let rows = json!([
            {"line": 2, "email": "ana@example.com", "accepts_marketing": "NEVER_SUBSCRIBED"},
            {"line": 3, "email": "vera@example.com", "accepts_marketing": "maybe"},
        ]);
        let done = post_rows(&app, None, rows).await;
        assert_eq!(done["counts"]["created"], 1, "{done}");
        let report = errors_csv(&app, done["id"].as_i64().unwrap()).await;
        assert!(report.contains("3,accepts_marketing,maybe,"), "{report}");
        assert_eq!(
            customers(&app).await,
            [("ana@example.com".into(), false, "Default".into())]
        );
    });
}

#[tokio::test]
async fn a_mapping_applies_alike_to_the_raw_upload_and_to_posted_rows() {
    each_engine!("value_map_routes", |app| {
        let query = format!("file_name=k.csv&values={}", urlencode(MAPPING));
        let raw = upload(&app, &query, FILE).await;
        assert_eq!(raw["status"], "completed", "{raw}");
        assert_eq!(raw["counts"]["created"], 4, "{raw}");
        assert_eq!(raw["counts"]["failed"], 0, "{raw}");
        let want: Vec<(String, bool, String)> = vec![
            ("ana@example.com".into(), true, "VIP".into()),
            ("boris@example.com".into(), false, "VIP".into()),
            ("dora@example.com".into(), false, "Default".into()),
            ("vera@example.com".into(), true, "Silver".into()),
        ];
        assert_eq!(customers(&app).await, want);
        let groups = app.get("/api/groups").await.json();
        let names: Vec<&str> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap())
            .collect();
        assert!(
            !names.iter().any(|n| n.eq_ignore_ascii_case("gold")),
            "{names:?}"
        );

        // The browser's rows, mapped by the worker as it does, with the same mapping.
        delete_customers(&app).await;
        let values: ValueMap = serde_json::from_str(MAPPING).unwrap();
        let rows = browser_rows(FILE, &values);
        let posted = post_rows(&app, Some(serde_json::from_str(MAPPING).unwrap()), rows).await;
        assert_eq!(posted["counts"], raw["counts"], "{posted}");
        assert_eq!(customers(&app).await, want);

        // A script's rows: the file's own values, mapped by the server.
        delete_customers(&app).await;
        let rows = json!([
            {"line": 2, "email": "ana@example.com", "accepts_marketing": "SUBSCRIBED", "group": "Gold"},
            {"line": 3, "email": "boris@example.com", "accepts_marketing": "NEVER_SUBSCRIBED", "group": "gold"},
            {"line": 4, "email": "vera@example.com", "accepts_marketing": "maybe", "group": "Silver"},
            {"line": 5, "email": "dora@example.com", "accepts_marketing": "UNSUBSCRIBED"},
        ]);
        let posted = post_rows(&app, Some(serde_json::from_str(MAPPING).unwrap()), rows).await;
        assert_eq!(posted["counts"], raw["counts"], "{posted}");
        assert_eq!(customers(&app).await, want);
    });
}

#[tokio::test]
async fn a_value_mapped_to_error_is_a_row_error_on_both_routes() {
    each_engine!("value_map_error", |app| {
        let mapping = r#"{"accepts_marketing":{"NEVER_SUBSCRIBED":"error"}}"#;
        let query = format!("file_name=k.csv&values={}", urlencode(mapping));
        let raw = upload(&app, &query, FILE).await;
        // Boris is chosen as an error; `maybe` is still unknown.
        assert_eq!(raw["counts"]["failed"], 2, "{raw}");
        let report = errors_csv(&app, raw["id"].as_i64().unwrap()).await;
        assert!(
            report.contains("3,accepts_marketing,NEVER_SUBSCRIBED,invalid_accepts_marketing,"),
            "{report}"
        );
        delete_customers(&app).await;
        let rows = json!([
            {"line": 3, "email": "boris@example.com", "accepts_marketing": "never subscribed"},
        ]);
        let posted = post_rows(&app, Some(serde_json::from_str(mapping).unwrap()), rows).await;
        assert_eq!(posted["counts"]["failed"], 1, "{posted}");
        let report = errors_csv(&app, posted["id"].as_i64().unwrap()).await;
        assert!(
            report.contains("3,accepts_marketing,never subscribed,invalid_accepts_marketing,"),
            "{report}"
        );
        assert!(report.contains("marked as an error"), "{report}");
    });
}

#[tokio::test]
async fn a_bad_value_mapping_is_refused_before_anything_is_stored() {
    each_engine!("value_map_bad", |app| {
        for bad in [
            json!({"accepts_marketing": {"a": "perhaps"}}),
            json!({"customer_group": {"a": 1}}),
            json!({"groups": {"a": "b"}}),
        ] {
            let reply = app
                .post("/api/imports", json!({"file_name": "a.csv", "values": bad}))
                .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let reply = app
            .post(
                "/api/imports",
                json!({"file_name": "a.csv", "values": {"customer_group": {"a": "  "}}}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["error"]["code"], "invalid_value_map");
        for (query, status) in [
            ("values=nope", StatusCode::BAD_REQUEST),
            (
                "values=%7B%22customer_group%22%3A%7B%22a%22%3A%22%22%7D%7D",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let req = app
                .builder(Method::POST, &format!("/api/imports/csv?{query}"))
                .header("content-type", "text/csv")
                .body(Body::from("email\na@b.bg\n"))
                .unwrap();
            let reply = app.raw(req).await.expect(status);
            assert_eq!(reply.json()["error"]["code"], "invalid_value_map");
        }
        let imports = app.get("/api/imports").await.json();
        assert_eq!(imports["total"], 0, "{imports}");
    });
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn intake_import_takes_the_value_mapping_flags() {
    use crate::process::{intake, run};
    let dir = tempfile::tempdir().unwrap();
    for db in crate::support::databases("cli_values", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let file = data.join("klaviyo.csv");
        std::fs::write(&file, FILE).unwrap();
        // The file says Silver goes to Regular and maybe is no; a flag overrides the latter.
        let map = data.join("values.json");
        std::fs::write(
            &map,
            r#"{"accepts_marketing":{"maybe":"no"},"customer_group":{"silver":"Regular"}}"#,
        )
        .unwrap();
        let data_arg = data.to_string_lossy().into_owned();
        let mut cmd = intake(&[
            "import",
            &file.to_string_lossy(),
            "--consent-value",
            "MAYBE=yes",
            "--group-value",
            "gold=VIP",
            "--value-map",
            &map.to_string_lossy(),
        ]);
        cmd.args(["--database-url", &db, "--data-dir", &data_arg]);
        run(cmd, "");
        // A malformed flag is refused.
        let out = intake(&[
            "import",
            &file.to_string_lossy(),
            "--consent-value",
            "maybe=perhaps",
            "--database-url",
            &db,
            "--data-dir",
            &data_arg,
        ])
        .output()
        .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--consent-value"),
            "{out:?}"
        );
        let app = TestApp::signed_in(&db, &data).await;
        let imports = app.get("/api/imports").await.json();
        assert_eq!(imports["total"], 1, "{imports}");
        let done = app
            .wait_for_import(imports["items"][0]["id"].as_i64().unwrap())
            .await;
        assert_eq!(done["counts"]["created"], 4, "{done}");
        assert_eq!(
            customers(&app).await,
            [
                ("ana@example.com".into(), true, "VIP".into()),
                ("boris@example.com".into(), false, "VIP".into()),
                ("dora@example.com".into(), false, "Default".into()),
                ("vera@example.com".into(), true, "Regular".into()),
            ]
        );
    }
}
