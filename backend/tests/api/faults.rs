//! Faults survived, on the real binary where a process dies: SIGKILL during an upload,
//! several SIGKILLs at random points of processing, SIGKILL during an undo; a connection
//! dropped after the server committed a batch; PostgreSQL going away mid-import. Each kill
//! point is drawn at random; the seed is printed (set `INTAKE_TEST_SEED` to replay a run).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::process::{Client, Server, assert_customers_are, big_input, create_token};
use crate::support::{assert_counts_add_up, databases};

fn rng(test: &str) -> rand::rngs::StdRng {
    let seed = std::env::var("INTAKE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen::<u64>());
    eprintln!("{test}: INTAKE_TEST_SEED={seed}");
    rand::rngs::StdRng::seed_from_u64(seed)
}

fn data_dir(root: &std::path::Path, db: &str) -> std::path::PathBuf {
    let d = root.join(if db.starts_with("sqlite") {
        "sqlite"
    } else {
        "pg"
    });
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Client {
    pub(crate) async fn create_import(&self, on_duplicate: &str) -> i64 {
        let (status, import) = self
            .send(
                reqwest::Method::POST,
                "/api/imports",
                Some(json!({"file_name": "f.csv", "on_duplicate": on_duplicate})),
            )
            .await;
        assert_eq!(status, 201, "{import}");
        import["id"].as_i64().unwrap()
    }

    pub(crate) async fn put_batch(&self, id: i64, seq: usize, batch: &Value) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::PUT,
                &format!("/api/imports/{id}/batches/{seq}"),
                Some(json!({ "rows": batch })),
            )
            .await;
        assert_eq!(status, 200, "batch {seq}: {body}");
        body
    }

    pub(crate) async fn commit(&self, id: i64, batches: &[Value]) {
        let rows: usize = batches.iter().map(|b| b.as_array().unwrap().len()).sum();
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/imports/{id}/commit"),
                Some(json!({"batch_count": batches.len(), "row_count": rows})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }

    async fn customer_total(&self) -> i64 {
        self.get("/api/customers?per_page=1").await["total"]
            .as_i64()
            .unwrap()
    }
}

#[track_caller]
fn assert_big_input_done(done: &Value, distinct: &BTreeSet<String>) {
    assert_eq!(done["status"], "completed", "{done}");
    let c = &done["counts"];
    assert_eq!(c["received"], 10_000, "{done}");
    assert_eq!(c["processed"], 10_000, "{done}");
    assert_eq!(c["created"], distinct.len(), "{done}");
    assert_eq!(c["failed"], 100, "{done}");
    assert_eq!(c["skipped"], 10_000 - 100 - distinct.len(), "{done}");
    assert_counts_add_up(done);
}

#[tokio::test]
async fn an_upload_killed_between_batches_is_resumed_by_sending_every_batch_again() {
    let mut rng = rng("kill_upload");
    let dir = tempfile::tempdir().unwrap();
    for db in databases("kill_upload", dir.path()).await {
        let data = data_dir(dir.path(), &db);
        let args = ["--workers", "1"];
        let mut server = Server::start(&db, &data, "first", &args);
        let token = create_token(&db, "upload");
        let client = Client::new(&server, &token);
        let (batches, distinct) = big_input();
        let id = client.create_import("skip").await;
        let cut = rng.gen_range(1..batches.len());
        let mut answers = Vec::new();
        for (seq, batch) in batches[..cut].iter().enumerate() {
            answers.push(client.put_batch(id, seq, batch).await);
        }
        server.kill();

        let server = Server::start(&db, &data, "second", &args);
        let client = Client::new(&server, &token);
        let import = client.get(&format!("/api/imports/{id}")).await;
        assert_eq!(import["status"], "receiving", "{import}");
        assert_eq!(
            import["counts"]["received"],
            cut * 200,
            "acknowledged batches kept"
        );
        // The client does not know what arrived: it sends everything again.
        for (seq, batch) in batches.iter().enumerate() {
            let answer = client.put_batch(id, seq, batch).await;
            if let Some(first) = answers.get(seq) {
                assert_eq!(&answer, first, "a replay gets the stored answer");
            }
        }
        client.commit(id, &batches).await;
        let done = client.wait_for(id, 120).await;
        assert_big_input_done(&done, &distinct);
        assert_customers_are(&client, &distinct).await;
    }
}

#[tokio::test]
async fn several_kills_at_random_points_of_processing_never_lose_rows_or_move_progress_back() {
    let mut rng = rng("kill_many");
    let dir = tempfile::tempdir().unwrap();
    for db in databases("kill_many", dir.path()).await {
        let data = data_dir(dir.path(), &db);
        let args = [
            "--workers",
            "1",
            "--lease-secs",
            "1",
            "--rows-per-transaction",
            "1000",
        ];
        let mut server = Server::start(&db, &data, "run0", &args);
        let token = create_token(&db, "many");
        let (batches, distinct) = big_input();
        let id = Client::new(&server, &token).import(&batches).await;
        let mut last = 0i64;
        let mut kills = 0;
        for round in 1..=3 {
            let client = Client::new(&server, &token);
            // Wait for progress past the last kill, then kill after a random pause.
            let start = Instant::now();
            let import = loop {
                let import = client.get(&format!("/api/imports/{id}")).await;
                let processed = import["counts"]["processed"].as_i64().unwrap();
                assert!(processed >= last, "progress went back: {last} -> {import}");
                let over = ["completed", "failed", "cancelled"]
                    .contains(&import["status"].as_str().unwrap());
                if processed > last || over {
                    break import;
                }
                assert!(start.elapsed() < Duration::from_secs(60), "stuck: {import}");
                tokio::time::sleep(Duration::from_millis(2)).await;
            };
            if import["status"] != "running" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..15))).await;
            server.kill();
            kills += 1;
            let storage = intake::storage::connect(&db).await.unwrap();
            let after = storage.get_import(id).await.unwrap();
            assert!(
                after.counts.processed >= import["counts"]["processed"].as_i64().unwrap(),
                "{after:?}"
            );
            assert_eq!(
                after.counts.processed % 200,
                0,
                "whole batches only: {after:?}"
            );
            let c = &after.counts;
            assert_eq!(
                c.processed,
                c.created + c.updated + c.skipped + c.failed,
                "{after:?}"
            );
            last = after.counts.processed;
            drop(storage);
            server = Server::start(&db, &data, &format!("run{round}"), &args);
        }
        assert!(kills >= 1, "the import finished before the first kill");
        let client = Client::new(&server, &token);
        let done = client.wait_for(id, 120).await;
        assert_big_input_done(&done, &distinct);
        assert_customers_are(&client, &distinct).await;
        eprintln!("kill_many: {kills} kills");
    }
}

#[tokio::test]
async fn an_undo_killed_mid_way_finishes_after_a_restart_and_restores_earlier_values() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("kill_undo", dir.path()).await {
        let data = data_dir(dir.path(), &db);
        let args = [
            "--workers",
            "1",
            "--lease-secs",
            "1",
            "--rows-per-transaction",
            "1000",
        ];
        let mut server = Server::start(&db, &data, "first", &args);
        let token = create_token(&db, "undo");
        let client = Client::new(&server, &token);
        // 300 customers exist; the big import updates them and creates 20,000 more.
        let earlier: Vec<Value> = (0..300)
            .map(|i| json!({"line": i + 2, "first_name": "Earlier", "email": format!("u{i}@example.com")}))
            .collect();
        let id0 = client.create_import("skip").await;
        let batch0 = Value::Array(earlier);
        client.put_batch(id0, 0, &batch0).await;
        client.commit(id0, &[batch0]).await;
        assert_eq!(client.wait_for(id0, 60).await["status"], "completed");
        let batches: Vec<Value> = (0..20_300usize)
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| {
                Value::Array(
                    c.iter()
                        .map(|i| json!({"line": i + 2, "first_name": "Later", "email": format!("u{i}@example.com")}))
                        .collect(),
                )
            })
            .collect();
        let id = client.create_import("update").await;
        for (seq, b) in batches.iter().enumerate() {
            client.put_batch(id, seq, b).await;
        }
        client.commit(id, &batches).await;
        let done = client.wait_for(id, 120).await;
        assert_eq!(done["counts"]["updated"], 300, "{done}");
        assert_eq!(client.customer_total().await, 20_300);

        let (status, body) = client
            .send(
                reqwest::Method::POST,
                &format!("/api/imports/{id}/undo"),
                None,
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let start = Instant::now();
        loop {
            let total = client.customer_total().await;
            if total < 20_300 {
                assert!(total > 300, "the undo finished before the kill");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "undo never started"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.kill();

        let server = Server::start(&db, &data, "second", &args);
        let client = Client::new(&server, &token);
        let start = Instant::now();
        loop {
            let import = client.get(&format!("/api/imports/{id}")).await;
            if import["status"] == "undone" {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "undo never finished: {import}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let list = client.get("/api/customers?per_page=500&sort=email").await;
        assert_eq!(list["total"], 300, "{}", list["total"]);
        let items = list["items"].as_array().unwrap();
        assert!(
            items.iter().all(|c| c["first_name"] == "Earlier"),
            "earlier values restored"
        );
        let undo_job = client.get("/api/jobs?per_page=200").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["import_id"] == id && j["kind"] == "undo")
            .cloned()
            .unwrap();
        assert!(undo_job["attempts"].as_i64().unwrap() >= 2, "{undo_job}");
    }
}

/// A TCP proxy in front of `upstream` that, while `drop_responses` is set, forwards each
/// request and reads the server's whole answer, then closes the client's connection without
/// passing the answer on: the server has done the work, the client saw a broken connection.
async fn dropping_proxy(upstream: std::net::SocketAddr, drop_responses: Arc<AtomicBool>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let drop_responses = drop_responses.clone();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if !drop_responses.load(Ordering::SeqCst) {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    return;
                }
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                // Read one whole response (Content-Length framed), then hang up.
                let mut answer = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    answer.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&answer).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if answer.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let _ = cw.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_connection_dropped_after_the_server_stored_a_batch_is_retried_without_duplicates() {
    crate::each_engine!("dropped_connection", |app| {
        let token = app
            .post("/api/tokens", json!({"name": "drop"}))
            .await
            .json()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap()
        });
        let dropping = Arc::new(AtomicBool::new(true));
        let base = dropping_proxy(upstream, dropping.clone()).await;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let id = app
            .post("/api/imports", json!({"file_name": "d.csv"}))
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let batches: Vec<Value> = (0..4)
            .map(|b| crate::support::rows("drop", b * 50, 50))
            .collect();
        for (seq, batch) in batches.iter().enumerate() {
            let url = format!("{base}/api/imports/{id}/batches/{seq}");
            let body = json!({ "rows": batch });
            // The first try's answer is lost on the way back; the client retries.
            dropping.store(true, Ordering::SeqCst);
            let lost = http.put(&url).bearer_auth(&token).json(&body).send().await;
            assert!(lost.is_err(), "the proxy passed the answer on: {lost:?}");
            dropping.store(false, Ordering::SeqCst);
            let retry = http
                .put(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(retry.status(), 200);
            let answer: Value = retry.json().await.unwrap();
            assert_eq!(answer["accepted"], 50, "{answer}");
        }
        // The commit's answer is lost too: the retry says the import is already queued.
        dropping.store(true, Ordering::SeqCst);
        let url = format!("{base}/api/imports/{id}/commit");
        let body = json!({"batch_count": 4, "row_count": 200});
        assert!(
            http.post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .is_err()
        );
        dropping.store(false, Ordering::SeqCst);
        let retry = http
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(retry.status(), 409);
        let err: Value = retry.json().await.unwrap();
        assert_eq!(err["error"]["code"], "import_not_receiving", "{err}");
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["received"], 200, "{done}");
        assert_eq!(done["counts"]["created"], 200, "{done}");
        assert_counts_add_up(&done);
        assert_eq!(
            app.get("/api/customers?per_page=1").await.json()["total"],
            200
        );
    });
}

#[tokio::test]
async fn batches_sent_out_of_order_once_twice_or_ten_times_at_once_have_one_effect() {
    let mut rng = rng("replays");
    crate::each_engine!("replays_out_of_order", |app| {
        // 12 batches of 50 rows over 150 emails in random case: most emails recur, and the
        // row with the highest line must win.
        let mut expected = std::collections::BTreeMap::new();
        let batches: Vec<Value> = (0..12)
            .map(|b| {
                Value::Array(
                    (0..50)
                        .map(|r| {
                            let line = 2 + b * 50 + r;
                            let n = rng.gen_range(0..150);
                            let email = if rng.gen_bool(0.5) {
                                format!("R{n}@EXAMPLE.com")
                            } else {
                                format!("r{n}@example.com")
                            };
                            expected.insert(format!("r{n}@example.com"), format!("L{line}"));
                            json!({"line": line, "first_name": format!("L{line}"), "email": email})
                        })
                        .collect(),
                )
            })
            .collect();
        let id = app
            .post(
                "/api/imports",
                json!({"file_name": "r.csv", "on_duplicate": "skip"}),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let mut order: Vec<usize> = (0..batches.len()).collect();
        rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng);
        let app = Arc::new(app);
        for seq in order {
            let times = [1, 2, 10][seq % 3];
            let tasks: Vec<_> = (0..times)
                .map(|_| {
                    let (app, body) = (app.clone(), json!({"rows": batches[seq]}));
                    tokio::spawn(async move {
                        app.put(&format!("/api/imports/{id}/batches/{seq}"), body)
                            .await
                            .expect(axum::http::StatusCode::OK)
                            .json()
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for t in tasks {
                answers.push(t.await.unwrap());
            }
            assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
            assert_eq!(answers[0]["accepted"], 50);
        }
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 12, "row_count": 600}),
        )
        .await
        .expect(axum::http::StatusCode::ACCEPTED);
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["received"], 600, "{done}");
        assert_eq!(done["counts"]["created"], expected.len(), "{done}");
        assert_eq!(done["counts"]["skipped"], 600 - expected.len(), "{done}");
        assert_counts_add_up(&done);
        let list = app
            .get("/api/customers?per_page=500&sort=email")
            .await
            .json();
        let got: std::collections::BTreeMap<String, String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["email"].as_str().unwrap().to_lowercase(),
                    c["first_name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            got, expected,
            "one customer per email, the later row's values"
        );
    });
}

/// Make a PostgreSQL database unreachable (no new connections, every open one cut) or
/// reachable again, from the cluster's `postgres` database.
async fn set_database_reachable(base: &str, db_url: &str, reachable: bool) {
    use sqlx::Connection;
    let db = db_url.rsplit('/').next().unwrap();
    let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE {db} ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(db)
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn postgres_going_away_mid_import_gets_a_clear_error_and_the_job_resumes_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = databases("pg_outage", dir.path())
        .await
        .into_iter()
        .find(|u| u.starts_with("postgres"))
    else {
        return;
    };
    let base = std::env::var("INTAKE_TEST_POSTGRES_URL").unwrap();
    let args = [
        "--workers",
        "1",
        "--lease-secs",
        "2",
        "--rows-per-transaction",
        "1000",
    ];
    let server = Server::start(&db, dir.path(), "outage", &args);
    let token = create_token(&db, "outage");
    let client = Client::new(&server, &token);
    let (batches, distinct) = big_input();
    let id = client.import(&batches).await;
    let start = Instant::now();
    loop {
        let import = client.get(&format!("/api/imports/{id}")).await;
        if import["counts"]["processed"].as_i64().unwrap() > 0 {
            assert_eq!(import["status"], "running", "finished too soon: {import}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{import}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    set_database_reachable(&base, &db, false).await;
    // While it is away, clients get a clear 503, not a hang or a bare 500.
    let (status, body) = client
        .send(reqwest::Method::GET, &format!("/api/imports/{id}"), None)
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    set_database_reachable(&base, &db, true).await;

    let done = client.wait_for(id, 120).await;
    assert_big_input_done(&done, &distinct);
    assert_customers_are(&client, &distinct).await;
    let job = client.job_of(id).await;
    assert!(job["attempts"].as_i64().unwrap() >= 2, "{job}");
    let log = std::fs::read_to_string(&server.log).unwrap();
    let failure = log
        .lines()
        .find(|l| l.contains("job attempt failed") || l.contains("claiming a job failed"))
        .unwrap_or_else(|| panic!("no error logged for the outage:\n{log}"));
    assert!(
        failure.contains("database") || failure.contains("connection"),
        "{failure}"
    );
}

/// An API token made over HTTP (for a server whose database file the test cannot open).
async fn token_by_sign_in(base: &str) -> String {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let session: Value = http
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "admin", "password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Value = http
        .post(format!("{base}/api/tokens"))
        .header("x-csrf-token", session["csrf_token"].as_str().unwrap())
        .json(&json!({"name": "test"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["token"].as_str().unwrap().to_owned()
}

/// Fill `dir` with 256 KiB, then 4 KiB files until the disk refuses more; returns the files.
fn fill_disk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for size in [256 * 1024, 4096] {
        loop {
            let path = dir.join(format!("ballast-{}", files.len()));
            match std::fs::write(&path, vec![0xAAu8; size]) {
                Ok(()) => files.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                    let _ = std::fs::remove_file(&path);
                    break;
                }
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }
    files
}

#[tokio::test]
async fn a_full_disk_refuses_uploads_and_batches_cleanly_and_the_import_finishes_once_space_is_freed()
 {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("small-disk");
    std::fs::create_dir(&data).unwrap();
    let db_path = data.join("full.db");
    let db = format!("sqlite://{}", db_path.display());
    // The server sees a 48 MiB disk of its own at `data`: a tmpfs in a private user and
    // mount namespace (no root needed; the network is shared, so the test reaches it). The
    // ballast below fills it, whatever its size; freed, it must hold the whole import with
    // its stored batches, undo records and outcome report (32 MiB sometimes ran out near the
    // end once the outcomes were recorded).
    let mut args = crate::process::serve_args(&db, &data);
    let retry = args.iter().position(|a| a == "--retry-delay-ms").unwrap();
    args[retry + 1] = "1000".into();
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=48m tmpfs "$0" && exec "$@""#)
        .arg(&data)
        .arg(crate::process::BIN)
        .arg("serve")
        .args(&args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INTAKE_")) {
        cmd.env_remove(key);
    }
    let server = Server::start_command(cmd, root.path(), "full");
    // The server's view of its data directory, from outside its namespace.
    let inside = std::path::PathBuf::from(format!(
        "/proc/{}/root{}",
        server.child.id(),
        data.display()
    ));
    let client = Client::new(&server, &token_by_sign_in(&server.base).await);
    let (mut batches, distinct) = big_input();
    // The job below must meet the full disk, so its transaction must need more log than
    // the write-ahead log file already holds from the uploads (SQLite reuses that file; it
    // is checkpointed from 4 MB up). 1,000-character notes make the customers about 10 MB.
    for row in batches.iter_mut().flat_map(|b| b.as_array_mut().unwrap()) {
        row["note"] = json!("n".repeat(1000));
    }

    let (status, import) = client
        .send(
            reqwest::Method::POST,
            "/api/imports",
            Some(json!({"file_name": "full.csv"})),
        )
        .await;
    assert_eq!(status, 201, "{import}");
    let id = import["id"].as_i64().unwrap();
    let put = |seq: usize| {
        let (client, rows) = (&client, batches[seq].clone());
        async move {
            client
                .send(
                    reqwest::Method::PUT,
                    &format!("/api/imports/{id}/batches/{seq}"),
                    Some(json!({ "rows": rows })),
                )
                .await
        }
    };
    for seq in 0..10 {
        assert_eq!(put(seq).await.0, 200);
    }

    // Disk full while receiving: a clear 507, nothing half-stored.
    let ballast = fill_disk(&inside);
    let (status, body) = put(10).await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "storage_full", "{body}");
    let res = client
        .http
        .post(format!("{}/api/imports/csv", client.base))
        .bearer_auth(&client.token)
        .header("content-type", "text/csv")
        .body("email\n".to_owned() + &"someone@example.com\n".repeat(50_000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 507);
    assert_eq!(
        std::fs::read_dir(inside.join("uploads")).map_or(0, |d| d.count()),
        0,
        "a refused upload leaves no file"
    );
    let (_, now) = client
        .send(reqwest::Method::GET, &format!("/api/imports/{id}"), None)
        .await;
    assert_eq!(now["status"], "receiving", "{now}");
    assert_eq!(
        now["counts"]["received"],
        10 * 200,
        "only the acknowledged batches: {now}"
    );

    // Space back: the refused batch goes in, then every other one.
    for f in &ballast {
        std::fs::remove_file(f).unwrap();
    }
    for seq in 10..batches.len() {
        let (status, body) = put(seq).await;
        assert_eq!(
            status,
            200,
            "batch {seq}: {body}\n{}",
            std::fs::read_to_string(&server.log).unwrap_or_default()
        );
    }

    // Disk full while the job runs: fill again, free a little so the commit fits, commit.
    let mut ballast = fill_disk(&inside);
    let committed = loop {
        let freed = ballast.pop().expect("the commit never fitted");
        std::fs::remove_file(freed).unwrap();
        let (status, body) = client
            .send(
                reqwest::Method::POST,
                &format!("/api/imports/{id}/commit"),
                Some(json!({"batch_count": batches.len(), "row_count": 10_000})),
            )
            .await;
        match status {
            202 => break body,
            507 => continue,
            _ => panic!("commit: {status} {body}"),
        }
    };
    assert_eq!(committed["status"], "queued", "{committed}");
    // A little room, so that the worker can claim the job and start writing customers.
    for _ in 0..16 {
        if let Some(f) = ballast.pop() {
            std::fs::remove_file(f).unwrap();
        }
    }
    // The job meets the full disk: the attempt fails (recorded on the job) or the worker
    // cannot even claim it; either way the database's words are logged and no progress is
    // lost.
    let full_errors = || {
        std::fs::read_to_string(&server.log)
            .unwrap_or_default()
            .matches("database or disk is full")
            .count()
    };
    let before = full_errors();
    let start = Instant::now();
    let mut last_processed = 0;
    loop {
        let job = client.job_of(id).await;
        assert_ne!(
            job["status"], "completed",
            "the import fitted in the space left: {job}"
        );
        let processed = job["counts"]["processed"].as_i64().unwrap();
        assert!(processed >= last_processed, "progress went back: {job}");
        last_processed = processed;
        if full_errors() > before && job["error"].as_str().is_none_or(|e| e.contains("full")) {
            eprintln!("job while the disk is full: {job}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no disk-full error: {job}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for f in &ballast {
        std::fs::remove_file(f).unwrap();
    }
    let done = client.wait_for(id, 120).await;
    assert_big_input_done(&done, &distinct);
    assert_customers_are(&client, &distinct).await;
}
