//! Completion webhooks: signed as docs/api.md says, retried with back-off until the
//! receiver answers 2xx (one successful delivery, every attempt logged), refused for
//! targets inside the server's network unless the operator allows them. The restart test
//! (the real binary killed between attempts) is in `webhook_restart.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{Options, PASSWORD, TestApp, databases, rows};

/// What a receiver got: each request's headers and body.
#[derive(Clone, Default)]
pub(crate) struct Received(pub(crate) Arc<Mutex<Vec<Request>>>);

/// A request's headers and body.
pub(crate) type Request = (HeaderMap, Vec<u8>);

impl Received {
    pub(crate) fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub(crate) fn all(&self) -> Vec<Request> {
        self.0.lock().unwrap().clone()
    }
}

/// A receiver on 127.0.0.1 that answers the statuses of `script` in turn, then 200; its
/// URL and what it received.
pub(crate) async fn receiver(script: Vec<u16>) -> (String, Received) {
    let received = Received::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let got = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (got, script) = (got.clone(), script.clone());
            async move {
                got.0.lock().unwrap().push((headers, body.to_vec()));
                let code = script.lock().unwrap().next().unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), received)
}

/// The receiver's side of docs/api.md's recipe: split the header into `t` and `v1`,
/// recompute HMAC-SHA256 over "<t>.<body>" with the secret, compare, and check `t` is within
/// five minutes of now. Written from the documentation, not with the server's code.
pub(crate) fn verify(secret: &str, header: &str, body: &[u8]) -> Result<(), String> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or("no t")?;
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return Err(format!("t={t} is outside the replay window"));
    }
    let matches = |sig: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(sig).is_ok() // constant time
    };
    if v1
        .iter()
        .filter_map(|v| hex::decode(v).ok())
        .any(|sig| matches(&sig))
    {
        Ok(())
    } else {
        Err("no v1 signature matches".into())
    }
}

/// A signed-in app whose webhook workers may reach 127.0.0.1, retrying after 50 ms.
async fn hook_app(
    url: &str,
    dir: &std::path::Path,
    allow_private: bool,
) -> (TestApp, tokio::sync::watch::Sender<bool>) {
    let mut options = Options::new(dir);
    options.config.allow_private_webhooks = allow_private;
    let mut app = TestApp::with_options(url, options).await;
    app.login("admin", PASSWORD).await.expect(StatusCode::OK);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(intake::webhooks::run_deliveries(
        app.storage.clone(),
        intake::webhooks::WebhookConfig {
            allow_private,
            poll: Duration::from_millis(20),
            retry_base: Duration::from_millis(50),
            max_attempts: 5,
            ..Default::default()
        },
        stop_rx,
    ));
    (app, stop)
}

/// Registers an endpoint at `url` for `event`; its id.
async fn subscribe(app: &TestApp, url: &str, event: &str) -> i64 {
    app.post("/api/webhooks", json!({"url": url, "events": [event]}))
        .await
        .expect(StatusCode::CREATED)
        .json()["webhook"]["id"]
        .as_i64()
        .unwrap()
}

/// Poll an endpoint's delivery log until `done` holds.
async fn wait_for_log(app: &TestApp, hook: i64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..400 {
        let log = app
            .get(&format!("/api/webhooks/{hook}/deliveries"))
            .await
            .expect(StatusCode::OK)
            .json();
        let list = log.as_array().unwrap().clone();
        if done(&list) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the delivery log never got there");
}

fn codes(delivery: &Value) -> Vec<Value> {
    delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect()
}

#[tokio::test]
async fn a_signed_delivery_is_retried_until_the_receiver_succeeds_and_logged_once_delivered() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("webhooks_retry", dir.path()).await {
        let (app, _stop) = hook_app(&db, dir.path(), true).await;
        eprintln!("-- webhooks_retry on {}", app.engine);
        let (url, received) = receiver(vec![500, 503]).await;
        let created = app
            .post(
                "/api/webhooks",
                json!({"url": url, "events": ["import.undone", "import.completed"]}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let secret = created["secret"].as_str().unwrap().to_owned();
        let hook = created["webhook"]["id"].as_i64().unwrap();
        assert!(
            secret.starts_with("whsec_") && secret.len() > 40,
            "{created}"
        );
        assert_eq!(
            created["webhook"]["events"],
            json!(["import.completed", "import.undone"])
        );
        // The secret is shown once: never listed.
        let list = app.get("/api/webhooks").await.expect(StatusCode::OK);
        assert!(!list.text().contains(&secret), "{}", list.text());
        assert_eq!(list.json()[0]["url"], url);

        let import = app.import_batches("skip", &[rows("hook", 0, 3)]).await;
        assert_eq!(import["status"], "completed");
        let import_id = import["id"].as_i64().unwrap();
        let log = wait_for_log(&app, hook, |l| {
            l.len() == 1 && l[0]["status"] == "delivered"
        })
        .await;
        assert_eq!(codes(&log[0]), vec![json!(500), json!(503), json!(200)]);
        assert_eq!(log[0]["event"], "import.completed");
        assert_eq!(log[0]["import_id"], import_id);
        assert!(log[0]["next_attempt_at"].is_null());

        let got = received.all();
        assert_eq!(got.len(), 3, "three attempts reached the receiver");
        let bodies: Vec<&Vec<u8>> = got.iter().map(|(_, b)| b).collect();
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "every attempt sends the same body"
        );
        for (headers, body) in &got {
            let sig = headers["intake-signature"].to_str().unwrap();
            verify(&secret, sig, body).unwrap_or_else(|e| panic!("{e}: {sig}"));
            // Any other secret, or a changed body, does not verify.
            assert!(verify("whsec_other", sig, body).is_err());
            let mut tampered = body.clone();
            tampered.push(b' ');
            assert!(verify(&secret, sig, &tampered).is_err());
            assert_eq!(headers["intake-event"], "import.completed");
            assert_eq!(headers["content-type"], "application/json");
        }
        let payload: Value = serde_json::from_slice(bodies[0]).unwrap();
        assert_eq!(payload["event"], "import.completed");
        assert_eq!(payload["import"]["id"], import_id);
        assert_eq!(payload["import"]["file_name"], "t.csv");
        assert_eq!(payload["import"]["status"], "completed");
        assert_eq!(payload["import"]["counts"]["created"], 3);
        assert!(payload["import"]["finished_at"].is_string(), "{payload}");

        // Undo sends its own event (first attempt succeeds now).
        app.undo_import(import_id).await;
        let log = wait_for_log(&app, hook, |l| {
            l.len() == 2 && l[0]["status"] == "delivered"
        })
        .await;
        assert_eq!(log[0]["event"], "import.undone");
        assert_eq!(codes(&log[0]), vec![json!(200)]);
        assert_eq!(received.count(), 4);

        // Deleted: gone with its log.
        app.request(
            axum::http::Method::DELETE,
            &format!("/api/webhooks/{hook}"),
            None,
        )
        .await
        .expect(StatusCode::NO_CONTENT);
        app.get(&format!("/api/webhooks/{hook}/deliveries"))
            .await
            .expect(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_ends_failed_after_the_attempt_cap() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("webhooks_cap", dir.path()).await {
        let (app, _stop) = hook_app(&db, dir.path(), true).await;
        let (url, received) = receiver(vec![500; 100]).await;
        let hook = subscribe(&app, &url, "import.completed").await;
        app.import_batches("skip", &[rows("cap", 0, 1)]).await;
        let log = wait_for_log(&app, hook, |l| l.len() == 1 && l[0]["status"] == "failed").await;
        assert_eq!(codes(&log[0]).len(), 5);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(received.count(), 5, "no attempt after the cap");
    }
}

#[tokio::test]
async fn targets_inside_the_network_are_refused_without_the_operators_flag() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("webhooks_refused", dir.path()).await {
        let (app, _stop) = hook_app(&db, dir.path(), false).await;
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://[::1]/",
            "http://10.0.0.7/",
            "https://192.168.1.10/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
        ] {
            let r = app
                .post(
                    "/api/webhooks",
                    json!({"url": url, "events": ["import.failed"]}),
                )
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY)
                .json();
            assert_eq!(r["error"]["code"], "webhook_target_refused", "{url}: {r}");
        }
        for url in ["ftp://example.com/", "example.com/hook", "http://"] {
            let r = app
                .post(
                    "/api/webhooks",
                    json!({"url": url, "events": ["import.failed"]}),
                )
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY)
                .json();
            assert_eq!(r["error"]["code"], "invalid_webhook_url", "{url}: {r}");
        }
        let r = app
            .post(
                "/api/webhooks",
                json!({"url": "https://example.com/", "events": []}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .json();
        assert_eq!(r["error"]["code"], "invalid_webhook_events");
        app.post(
            "/api/webhooks",
            json!({"url": "https://hooks.example.com/intake", "events": ["import.failed"]}),
        )
        .await
        .expect(StatusCode::CREATED);

        // One stored before the rule (or by another door) is refused again at delivery:
        // nothing reaches the receiver, and the attempt says why.
        let (url, received) = receiver(vec![]).await;
        let stored = app
            .storage
            .create_webhook(
                &url,
                &[shared::api::WebhookEvent::ImportCompleted],
                "whsec_x",
            )
            .await
            .unwrap();
        app.import_batches("skip", &[rows("in", 0, 1)]).await;
        let log = wait_for_log(&app, stored.id, |l| {
            l.len() == 1 && !l[0]["attempts"].as_array().unwrap().is_empty()
        })
        .await;
        let attempt = &log[0]["attempts"][0];
        assert!(attempt["status_code"].is_null(), "{attempt}");
        assert!(
            attempt["error"]
                .as_str()
                .unwrap()
                .contains("--allow-private-webhooks"),
            "{attempt}"
        );
        assert_eq!(received.count(), 0);
    }
}

#[tokio::test]
async fn cancelling_a_queued_or_receiving_import_sends_import_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("webhooks_cancel", dir.path()).await {
        let (app, _stop) = hook_app(&db, dir.path(), true).await;
        let (url, received) = receiver(vec![]).await;
        let hook = subscribe(&app, &url, "import.cancelled").await;
        // A completed import is not an event this endpoint wants.
        app.import_batches("skip", &[rows("c", 0, 1)]).await;
        let import = app
            .post(
                "/api/imports",
                json!({"file_name": "stop.csv", "on_duplicate": "skip"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        app.request(
            axum::http::Method::POST,
            &format!("/api/imports/{id}/cancel"),
            None,
        )
        .await
        .expect(StatusCode::OK);
        let log = wait_for_log(&app, hook, |l| {
            !l.is_empty() && l[0]["status"] == "delivered"
        })
        .await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["event"], "import.cancelled");
        let got = received.all();
        assert_eq!(got.len(), 1);
        let payload: Value = serde_json::from_slice(&got[0].1).unwrap();
        assert_eq!(payload["import"]["status"], "cancelled");
        assert_eq!(payload["import"]["file_name"], "stop.csv");
    }
}

#[tokio::test]
async fn a_finished_dry_run_sends_dry_run_finished() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("webhooks_dry_run", dir.path()).await {
        let (app, _stop) = hook_app(&db, dir.path(), true).await;
        let (url, received) = receiver(vec![]).await;
        let hook = subscribe(&app, &url, "dry_run.finished").await;
        let import = app
            .post(
                "/api/imports",
                json!({"file_name": "what-if.csv", "on_duplicate": "skip"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        app.put(
            &format!("/api/imports/{id}/batches/0"),
            json!({"rows": rows("w", 0, 3)}),
        )
        .await
        .expect(StatusCode::OK);
        app.request(
            axum::http::Method::POST,
            &format!("/api/imports/{id}/dry-run"),
            None,
        )
        .await
        .expect(StatusCode::ACCEPTED);
        let log = wait_for_log(&app, hook, |l| {
            !l.is_empty() && l[0]["status"] == "delivered"
        })
        .await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["event"], "dry_run.finished");
        let payload: Value = serde_json::from_slice(&received.all()[0].1).unwrap();
        assert_eq!(payload["import"]["file_name"], "what-if.csv");
        // A dry run leaves the import receiving: nothing was imported.
        assert_eq!(payload["import"]["status"], "receiving");
    }
}
