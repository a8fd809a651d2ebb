//! The per-row outcome report: one line per input row, in file order, with what the import
//! did to it (per `on_duplicate` mode), as JSON pages and as CSV; `undone` after undo. And
//! Queue jobs naming each job's file and who started it.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::each_engine;
use crate::support::TestApp;

/// The second import's file: one row per case (line 2 on).
const FILE: &str = "first_name,last_name,email,note\r\n\
    Ann,New,new1@example.com,\r\n\
    Kim,Changed,keep@example.com,\r\n\
    Sam,Same,same@example.com,\r\n\
    Bad,Row,not-an-email,\r\n\
    Dan,Early,dup@example.com,\r\n\
    Dan,Late,DUP@example.com,\r\n";

/// The outcome each line of [`FILE`] gets per mode.
fn expected(mode: &str) -> Vec<(i64, &'static str)> {
    let (keep, same) = match mode {
        "skip" => ("skipped_duplicate", "skipped_duplicate"),
        _ => ("updated", "unchanged"),
    };
    vec![
        (2, "created"),
        (3, keep),
        (4, same),
        (5, "failed"),
        (6, "skipped_duplicate"),
        (7, "created"),
    ]
}

/// Cells of a CSV record (quoted cells with `""` escapes; no line breaks in cells).
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

async fn upload(app: &TestApp, mode: &str, name: &str, csv: &str) -> i64 {
    let req = app
        .builder(
            Method::POST,
            &format!("/api/imports/csv?on_duplicate={mode}&file_name={name}"),
        )
        .header("content-type", "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    let import = app.raw(req).await.expect(StatusCode::ACCEPTED).json();
    import["id"].as_i64().unwrap()
}

async fn report(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/imports/{id}/outcomes?per_page=1000"))
        .await
        .expect(StatusCode::OK)
        .json()
}

fn short(report: &Value) -> Vec<(i64, String)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_i64().unwrap(),
                l["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_input_line_gets_its_outcome_once_per_mode_and_undo_marks_them_undone() {
    each_engine!("outcomes_modes", |app| {
        for mode in ["skip", "update", "update_non_blank"] {
            // Fresh emails per mode: the stored customers the file meets.
            let domain = format!("{}.example.com", mode.replace('_', "-"));
            let seed = FILE
                .replace("example.com", &domain)
                .replace("not-an-email", "seed-filler@example.org");
            let file = FILE.replace("example.com", &domain);
            let seed_rows: String = seed
                .lines()
                .filter(|l| l.contains("keep@") || l.contains("same@") || l.starts_with("first"))
                .map(|l| format!("{l}\r\n"))
                .collect();
            let seed_rows = seed_rows.replace("Kim,Changed", "Kim,Before");
            let seeded = upload(&app, "skip", "seed.csv", &seed_rows).await;
            let s = app.wait_for_import(seeded).await;
            assert_eq!(s["counts"]["created"], 2, "{s}");

            let id = upload(&app, mode, "outcomes.csv", &file).await;
            let done = app.wait_for_import(id).await;
            assert_eq!(done["status"], "completed", "{done}");
            let page = report(&app, id).await;
            assert_eq!(page["total"], 6, "{page}");
            let want: Vec<(i64, String)> = expected(mode)
                .into_iter()
                .map(|(l, o)| (l, o.to_owned()))
                .collect();
            assert_eq!(short(&page), want, "{mode}");

            // Each line is the file's: its email, and the customer that now has it.
            let items = page["items"].as_array().unwrap();
            let file_lines: Vec<&str> = file.lines().collect();
            for item in items {
                let line = item["line"].as_i64().unwrap() as usize;
                let source = cells(file_lines[line - 1]);
                // As normalised (a valid email is stored in lower case).
                assert_eq!(item["email"], source[2].to_lowercase(), "{item}");
            }
            assert_eq!(items[3]["error_code"], "invalid_email", "{}", items[3]);
            assert!(items[3]["error_message"].as_str().unwrap().len() > 3);
            assert_eq!(items[3]["customer_id"], Value::Null);
            // The earlier row of dup@ names the customer the later one created.
            assert_eq!(items[4]["customer_id"], items[5]["customer_id"]);
            let customers = app
                .get(&format!("/api/customers?q=dup%40{domain}&per_page=10"))
                .await
                .expect(StatusCode::OK)
                .json();
            assert_eq!(customers["items"][0]["id"], items[5]["customer_id"]);
            assert_eq!(customers["items"][0]["last_name"], "Late");

            // The outcomes add up to the import's counts.
            let tally = |names: &[&str]| {
                items
                    .iter()
                    .filter(|i| names.contains(&i["outcome"].as_str().unwrap()))
                    .count() as i64
            };
            let c = &done["counts"];
            assert_eq!(c["created"], tally(&["created"]));
            assert_eq!(c["updated"], tally(&["updated", "unchanged"]));
            assert_eq!(c["skipped"], tally(&["skipped_duplicate"]));
            assert_eq!(c["failed"], tally(&["failed"]));

            // The CSV says the same, line for line.
            let csv = app
                .get(&format!("/api/imports/{id}/outcomes.csv"))
                .await
                .expect(StatusCode::OK)
                .text();
            let records: Vec<Vec<String>> = csv.lines().map(cells).collect();
            assert_eq!(
                records[0],
                [
                    "line",
                    "email",
                    "outcome",
                    "customer_id",
                    "error_code",
                    "error_message"
                ]
            );
            assert_eq!(records.len(), 7, "{csv}");
            for (record, item) in records[1..].iter().zip(items) {
                assert_eq!(record[0], item["line"].to_string());
                assert_eq!(record[1], item["email"].as_str().unwrap());
                assert_eq!(record[2], item["outcome"].as_str().unwrap());
                let id = item["customer_id"].as_i64().map(|i| i.to_string());
                assert_eq!(record[3], id.unwrap_or_default());
                assert_eq!(record[4], item["error_code"].as_str().unwrap_or(""));
            }

            // Pages: the same lines, cut.
            let second = app
                .get(&format!("/api/imports/{id}/outcomes?page=2&per_page=4"))
                .await
                .expect(StatusCode::OK)
                .json();
            assert_eq!(second["total"], 6);
            assert_eq!(short(&second), want[4..].to_vec());

            // Undo: what the import wrote is undone; skipped and failed rows stay.
            app.undo_import(id).await;
            let after = short(&report(&app, id).await);
            let undone: Vec<(i64, String)> = want
                .iter()
                .map(|(l, o)| {
                    let o = match o.as_str() {
                        "created" | "updated" | "unchanged" => "undone",
                        o => o,
                    };
                    (*l, o.to_owned())
                })
                .collect();
            assert_eq!(after, undone, "{mode}");
        }
    });
}

#[tokio::test]
async fn batches_posted_by_the_browser_report_every_line_once_across_batches() {
    each_engine!("outcomes_batches", |app| {
        let row = |line: u64, email: &str, first: &str| json!({"line": line, "first_name": first, "last_name": "T", "email": email});
        let batches = [
            json!([
                row(2, "a@example.com", "A"),
                row(3, "broken", "B"),
                row(4, "c@example.com", "C")
            ]),
            json!([
                row(5, "a@example.com", "Again"),
                row(6, "d@example.com", "D")
            ]),
            json!([]),
            json!([row(7, "d@example.com", "D2"), row(8, "c@example.com", "C2")]),
        ];
        let done = app.import_batches("update", &batches).await;
        let id = done["id"].as_i64().unwrap();
        let page = report(&app, id).await;
        assert_eq!(page["total"], 7);
        // A later batch's row over what this import wrote counts as skipped, as the counts do.
        let want: Vec<(i64, String)> = [
            (2, "created"),
            (3, "failed"),
            (4, "created"),
            (5, "skipped_duplicate"),
            (6, "created"),
            (7, "skipped_duplicate"),
            (8, "skipped_duplicate"),
        ]
        .into_iter()
        .map(|(l, o)| (l, o.to_owned()))
        .collect();
        assert_eq!(short(&page), want);
        assert_eq!(page["items"][1]["email"], "broken");
        assert_eq!(done["counts"]["skipped"], 3, "{done}");
        // Every page of one line: each line once, in order.
        let mut lines = Vec::new();
        for p in 1..=8 {
            let one = app
                .get(&format!("/api/imports/{id}/outcomes?page={p}&per_page=1"))
                .await
                .expect(StatusCode::OK)
                .json();
            lines.extend(short(&one));
        }
        assert_eq!(lines, want);
        app.get("/api/imports/999999/outcomes")
            .await
            .expect(StatusCode::NOT_FOUND);
        app.get("/api/imports/999999/outcomes.csv")
            .await
            .expect(StatusCode::NOT_FOUND);
        app.get(&format!("/api/imports/{id}/outcomes?per_page=1001"))
            .await
            .expect(StatusCode::BAD_REQUEST);
    });
}

#[tokio::test]
async fn queue_jobs_name_the_file_who_started_it_and_the_kind() {
    each_engine!("jobs_described", |app| {
        let id = upload(&app, "skip", "people.csv", FILE).await;
        app.wait_for_import(id).await;
        let job = app.job_of(id).await;
        assert_eq!(job["file_name"], "people.csv");
        assert_eq!(job["started_by"], "admin");
        assert_eq!(job["kind"], "import");
        app.undo_import(id).await;
        let job = app.job_of(id).await;
        assert_eq!(job["kind"], "undo");
        assert_eq!(job["file_name"], "people.csv");
        // Through an API token: marked as such.
        let token = app
            .post("/api/tokens", json!({"name": "script"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let mut script = TestApp::new_sharing(&app);
        script.use_bearer(token["token"].as_str().unwrap());
        let posted = script
            .send_import("skip", &[crate::support::rows("t", 0, 2)])
            .await;
        script.wait_for_import(posted).await;
        assert_eq!(
            script.job_of(posted).await["started_by"],
            "admin (API token)"
        );
    });
}

#[tokio::test]
async fn the_csv_of_many_batches_has_every_line_once_in_order() {
    each_engine!("outcomes_many_batches", |app| {
        // 21 batches of 3 rows: the CSV is written a few batches at a time.
        let batches: Vec<Value> = (0..21)
            .map(|b| crate::support::rows("m", b * 3, 3))
            .collect();
        let done = app.import_batches("skip", &batches).await;
        let id = done["id"].as_i64().unwrap();
        let csv = app
            .get(&format!("/api/imports/{id}/outcomes.csv"))
            .await
            .expect(StatusCode::OK)
            .text();
        let lines: Vec<i64> = csv
            .lines()
            .skip(1)
            .map(|l| cells(l)[0].parse().unwrap())
            .collect();
        assert_eq!(lines, (2..65).collect::<Vec<i64>>());
        assert!(csv.lines().skip(1).all(|l| cells(l)[2] == "created"));
        let last = app
            .get(&format!("/api/imports/{id}/outcomes?page=7&per_page=10"))
            .await
            .json();
        assert_eq!(
            short(&last),
            vec![
                (62, "created".to_owned()),
                (63, "created".to_owned()),
                (64, "created".to_owned())
            ]
        );
    });
}
