//! Dry runs: the counts equal the real import's on the same data for every `on_duplicate`
//! mode, the sample updates name each changed field, and nothing in the database changes
//! (every table's rows compared before and after, counters and search index included).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, databases};

/// Every row of every table a dry run could touch, as text, sorted (sessions, tokens,
/// users and jobs change with the requests themselves and are left out).
async fn fingerprint(url: &str) -> BTreeMap<String, Vec<String>> {
    use sqlx::{Connection, Row};
    let skip = [
        "sessions",
        "api_tokens",
        "users",
        "jobs",
        "_sqlx_migrations",
    ];
    let mut out = BTreeMap::new();
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        for t in tables.into_iter().filter(|t| !skip.contains(&t.as_str())) {
            let cols: Vec<String> = sqlx::query(&format!("PRAGMA table_info({t})"))
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("name"))
                .collect();
            let expr = cols
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {expr} FROM \"{t}\""))
                .fetch_all(&mut c)
                .await
                .unwrap();
            rows.sort();
            out.insert(t, rows);
        }
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        for t in tables.into_iter().filter(|t| !skip.contains(&t.as_str())) {
            let mut rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT CAST(t AS text) FROM \"{t}\" t"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            rows.sort();
            out.insert(t, rows);
        }
    }
    out
}

/// The fingerprint once the background search indexer has nothing left to do.
async fn settled(url: &str) -> BTreeMap<String, Vec<String>> {
    let mut last = fingerprint(url).await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = fingerprint(url).await;
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the database never settled");
}

async fn wait_for_job(app: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let job = app
            .get(&format!("/api/jobs/{id}"))
            .await
            .expect(StatusCode::OK)
            .json();
        if ["completed", "failed"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

fn row(line: u64, email: &str, first: &str, group: Option<&str>) -> Value {
    let mut r = json!({"line": line, "first_name": first, "last_name": "Test", "email": email});
    if let Some(g) = group {
        r["group"] = json!(g);
    }
    r
}

#[tokio::test]
async fn a_dry_run_counts_what_the_import_then_does_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("dry_run_counts", dir.path()).await {
        let app = TestApp::signed_in(&url, dir.path()).await;
        eprintln!("-- dry_run_counts on {}", app.engine);
        for mode in ["skip", "update", "update_non_blank"] {
            let d = mode.replace('_', "-");
            let e = |name: &str| format!("{name}@{d}.example.com");
            // Stored before: kim (to change), sam (to stay the same), zed (named twice).
            let seed = app
                .import_batches(
                    "skip",
                    &[json!([
                        row(2, &e("kim"), "Kim", None),
                        row(3, &e("sam"), "Sam", None),
                        row(4, &e("zed"), "Zed", None)
                    ])],
                )
                .await;
            assert_eq!(seed["counts"]["created"], 3, "{seed}");

            let batches = [
                json!([
                    row(2, &e("new"), "New", Some(&format!("Fresh {d}"))),
                    row(3, &e("kim"), "Kimberly", None),
                    row(4, &e("sam"), "Sam", None),
                    row(5, "broken", "Bad", None),
                ]),
                json!([
                    row(6, &e("zed"), "Zed one", None),
                    row(7, &e("new"), "New again", None),
                    row(8, &e("zed"), "Zed two", None),
                ]),
            ];
            let created = app
                .post(
                    "/api/imports",
                    json!({"file_name": "dry.csv", "on_duplicate": mode}),
                )
                .await
                .expect(StatusCode::CREATED)
                .json();
            let id = created["id"].as_i64().unwrap();
            for (seq, b) in batches.iter().enumerate() {
                app.put(
                    &format!("/api/imports/{id}/batches/{seq}"),
                    json!({"rows": b}),
                )
                .await
                .expect(StatusCode::OK);
            }

            let before = settled(&url).await;
            let job = app
                .request(Method::POST, &format!("/api/imports/{id}/dry-run"), None)
                .await
                .expect(StatusCode::ACCEPTED)
                .json();
            assert_eq!(job["kind"], "dry_run");
            let job = wait_for_job(&app, job["id"].as_i64().unwrap()).await;
            assert_eq!(job["status"], "completed", "{job}");
            let dry = job["dry_run"].clone();
            let after = settled(&url).await;
            for (table, rows) in &before {
                assert_eq!(
                    Some(rows),
                    after.get(table),
                    "{mode}: the dry run changed {table}"
                );
            }
            assert_eq!(before.len(), after.len());
            let groups = app.get("/api/groups").await.json();
            assert!(
                !groups.to_string().contains(&format!("Fresh {d}")),
                "{groups}"
            );

            // The import itself, on the same data: the same counts.
            app.post(
                &format!("/api/imports/{id}/commit"),
                json!({"batch_count": 2, "row_count": 7}),
            )
            .await
            .expect(StatusCode::ACCEPTED);
            let done = app.wait_for_import(id).await;
            assert_eq!(done["status"], "completed", "{done}");
            let report = app
                .get(&format!("/api/imports/{id}/outcomes?per_page=100"))
                .await
                .json();
            let tally = |o: &str| {
                report["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["outcome"] == o)
                    .count() as i64
            };
            let c = &dry["counts"];
            assert_eq!(c["rows"], 7, "{dry}");
            for o in [
                "created",
                "updated",
                "unchanged",
                "skipped_duplicate",
                "failed",
            ] {
                assert_eq!(c[o], tally(o), "{mode}: {o} {dry} {report}");
            }
            let real = &done["counts"];
            assert_eq!(c["created"], real["created"], "{mode}");
            assert_eq!(
                c["updated"].as_i64().unwrap() + c["unchanged"].as_i64().unwrap(),
                real["updated"].as_i64().unwrap(),
                "{mode}"
            );
            assert_eq!(c["skipped_duplicate"], real["skipped"], "{mode}");
            assert_eq!(c["failed"], real["failed"], "{mode}");

            // The samples: kim's changed names, before and after; sam's unchanged row is none.
            let samples = dry["samples"].as_array().unwrap();
            if mode == "skip" {
                assert!(samples.is_empty(), "{dry}");
                assert_eq!(c["unchanged"], 0);
            } else {
                assert_eq!(c["unchanged"], 1, "{dry}");
                let kim = samples
                    .iter()
                    .find(|s| s["email"] == e("kim"))
                    .unwrap_or_else(|| panic!("{dry}"));
                assert_eq!(kim["line"], 3);
                let first = kim["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|ch| ch["field"] == "first_name")
                    .unwrap();
                assert_eq!(first["before"], "Kim");
                assert_eq!(first["after"], "Kimberly");
                assert!(samples.iter().all(|s| s["email"] != e("sam")));
                // zed is updated in an earlier batch and again later: the last row wins.
                let zed = samples.iter().find(|s| s["email"] == e("zed")).unwrap();
                let first = zed["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|ch| ch["field"] == "first_name")
                    .unwrap();
                assert_eq!(first["after"], "Zed two", "{zed}");
            }
            // A committed import takes no dry run.
            app.request(Method::POST, &format!("/api/imports/{id}/dry-run"), None)
                .await
                .expect(StatusCode::CONFLICT);
        }
    }
}

/// `n` rows of emails `k{i}@example.com` from line `from`, in batches of 2,000.
fn many(first: &str, n: usize) -> Vec<Value> {
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            json!({"line": i + 2, "first_name": format!("{first}{i}"), "last_name": "K",
                   "email": format!("k{i}@example.com")})
        })
        .collect();
    rows.chunks(2000)
        .map(|c| Value::Array(c.to_vec()))
        .collect()
}

#[tokio::test]
async fn a_dry_run_killed_in_the_middle_leaves_nothing_behind() {
    use crate::process::{Client, Server, create_token};
    let dir = tempfile::tempdir().unwrap();
    for db in databases("dry_run_kill", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let args = ["--workers", "1", "--lease-secs", "2"];
        let mut server = Server::start(&db, &data, "first", &args);
        let token = create_token(&db, "kill");
        let client = Client::new(&server, &token);
        // Stored customers for the dry run to update, then an import over all of them and
        // as many new ones, still receiving.
        let seeded = client.import(&many("Old", 20_000)).await;
        assert_eq!(client.wait_for(seeded, 120).await["status"], "completed");
        let (_, created) = client
            .send(
                reqwest::Method::POST,
                "/api/imports",
                Some(json!({"file_name": "big.csv", "on_duplicate": "update"})),
            )
            .await;
        let id = created["id"].as_i64().unwrap();
        for (seq, batch) in many("New", 60_000).iter().enumerate() {
            let (status, _) = client
                .send(
                    reqwest::Method::PUT,
                    &format!("/api/imports/{id}/batches/{seq}"),
                    Some(json!({ "rows": batch })),
                )
                .await;
            assert_eq!(status, 200);
        }
        let before = settled(&db).await;

        let (status, job) = client
            .send(
                reqwest::Method::POST,
                &format!("/api/imports/{id}/dry-run"),
                None,
            )
            .await;
        assert_eq!(status, 202, "{job}");
        let job_id = job["id"].as_i64().unwrap();
        // Kill once it has run a little while.
        let start = std::time::Instant::now();
        loop {
            let job = client.get(&format!("/api/jobs/{job_id}")).await;
            if job["status"] == "running" {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "{job}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        server.kill();
        let storage = intake::storage::connect(&db).await.unwrap();
        let at_kill = storage.get_job(job_id).await.unwrap();
        assert!(
            at_kill.dry_run.is_none(),
            "the dry run finished before the kill: {at_kill:?}"
        );
        drop(storage);
        let after_kill = fingerprint(&db).await;
        for (table, rows) in &before {
            assert_eq!(Some(rows), after_kill.get(table), "killed: {table} changed");
        }

        // After a restart the dry run runs again to its end, and still changes nothing.
        let server = Server::start(&db, &data, "second", &args);
        let client = Client::new(&server, &token);
        let start = std::time::Instant::now();
        let done = loop {
            let job = client.get(&format!("/api/jobs/{job_id}")).await;
            if job["status"] == "completed" {
                break job;
            }
            assert!(start.elapsed() < Duration::from_secs(180), "{job}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let c = &done["dry_run"]["counts"];
        assert_eq!(
            (
                c["rows"].as_i64(),
                c["created"].as_i64(),
                c["updated"].as_i64()
            ),
            (Some(60_000), Some(40_000), Some(20_000)),
            "{done}"
        );
        let after = settled(&db).await;
        for (table, rows) in &before {
            assert_eq!(Some(rows), after.get(table), "restarted: {table} changed");
        }
    }
}

#[tokio::test]
async fn intake_import_dry_run_prints_what_the_import_would_do_and_changes_nothing() {
    use crate::process::{intake, run};
    let dir = tempfile::tempdir().unwrap();
    for db in databases("dry_run_cli", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let data_arg = data.to_string_lossy().into_owned();
        let cli = |args: &[&str]| {
            let mut cmd = intake(args);
            cmd.args(["--database-url", &db, "--data-dir", &data_arg]);
            cmd
        };
        let seed = data.join("seed.csv");
        std::fs::write(&seed, "First name,Email\nAna,ana@example.com\n").unwrap();
        // Stored through a server-less queue: the dry run of the next file meets Ana.
        let app = TestApp::signed_in(&db, &data).await;
        let csv = std::fs::read_to_string(&seed).unwrap();
        let req = app
            .builder(Method::POST, "/api/imports/csv?file_name=seed.csv")
            .header("content-type", "text/csv")
            .body(axum::body::Body::from(csv))
            .unwrap();
        let id = app.raw(req).await.expect(StatusCode::ACCEPTED).json()["id"]
            .as_i64()
            .unwrap();
        app.wait_for_import(id).await;
        let before = settled(&db).await;

        let file = data.join("next.csv");
        std::fs::write(
            &file,
            "First name,Email\nAnna,ana@example.com\nBo,bo@example.com\nBad,nope\n",
        )
        .unwrap();
        let out = run(
            cli(&[
                "import",
                &file.to_string_lossy(),
                "--on-duplicate",
                "update",
                "--dry-run",
            ]),
            "",
        );
        assert!(
            out.contains(
                "3 rows: 1 created, 1 updated, 0 unchanged, 0 skipped as duplicates, 1 failed"
            ),
            "{out}"
        );
        assert!(
            out.contains("line 2 ana@example.com") && out.contains("\"Ana\" -> \"Anna\""),
            "{out}"
        );
        let after = settled(&db).await;
        for (table, rows) in &before {
            if table == "imports" || table.starts_with("import_") {
                continue; // the dry run's own import, left cancelled
            }
            assert_eq!(Some(rows), after.get(table), "{table} changed");
        }
        let listed = app.get("/api/imports").await.json();
        assert_eq!(listed["items"][0]["status"], "cancelled", "{listed}");
        // A group that does not exist is refused, not created.
        let mut cmd = cli(&[
            "import",
            &file.to_string_lossy(),
            "--group",
            "Nope",
            "--dry-run",
        ]);
        let refused = cmd.output().unwrap();
        assert!(!refused.status.success());
        assert!(!app.get("/api/groups").await.text().contains("Nope"));
    }
}
