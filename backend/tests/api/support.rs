//! Test harness: a fresh database per test and engine, the app with its queue workers, and
//! a signed-in client that keeps the session cookie and CSRF token.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use intake::storage::{self, Storage};
use intake::{AppState, Config};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "test password 1";

/// The database URLs to run a test against: a new SQLite file always, a new PostgreSQL
/// database when the throwaway cluster is given.
pub async fn databases(name: &str, dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.join(format!("{name}.db")).display()
    )];
    match std::env::var("INTAKE_TEST_POSTGRES_URL") {
        Ok(base) => urls.push(fresh_pg_database(&base, name).await),
        Err(_) if std::env::var("INTAKE_REQUIRE_POSTGRES").is_ok() => {
            panic!("INTAKE_REQUIRE_POSTGRES is set but INTAKE_TEST_POSTGRES_URL is not")
        }
        Err(_) => eprintln!("note: {name} ran on SQLite only (no INTAKE_TEST_POSTGRES_URL)"),
    }
    urls
}

async fn fresh_pg_database(base: &str, name: &str) -> String {
    use sqlx::Connection;
    let db = format!("t_{}_{}", name, std::process::id());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connecting to the test cluster");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{db}")
}

pub struct TestApp {
    pub router: axum::Router,
    pub storage: Arc<dyn Storage>,
    pub state: AppState,
    pub engine: &'static str,
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
    _stop: Arc<tokio::sync::watch::Sender<bool>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "body: {}", self.text());
        self
    }
}

/// How a test app is set up.
pub struct Options {
    /// Queue workers to run beside the app; None runs none (tests drive the queue).
    pub queue: Option<intake::queue::QueueConfig>,
    pub config: Config,
}

impl Options {
    pub fn new(data_dir: &std::path::Path) -> Options {
        Options {
            queue: Some(intake::queue::QueueConfig {
                workers: 2,
                lease_secs: 30,
                poll: Duration::from_millis(50),
                retry_delay: Duration::from_millis(50),
                ..intake::queue::QueueConfig::default()
            }),
            config: Config {
                data_dir: data_dir.to_path_buf(),
                ..Config::default()
            },
        }
    }
}

impl TestApp {
    pub async fn new(database_url: &str, data_dir: &std::path::Path) -> TestApp {
        TestApp::with_options(database_url, Options::new(data_dir)).await
    }

    pub async fn with_options(database_url: &str, options: Options) -> TestApp {
        let storage = storage::connect(database_url).await.expect("connecting");
        intake::ensure_admin(storage.as_ref(), Some(PASSWORD.into()))
            .await
            .unwrap();
        let state = AppState::new(storage.clone(), options.config).unwrap();
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        if let Some(queue) = options.queue {
            tokio::spawn(intake::queue::run_workers(
                storage.clone(),
                queue,
                state.queue_wakeup.clone(),
                stop_rx,
            ));
        }
        TestApp {
            router: intake::app(state.clone()),
            engine: storage.engine(),
            storage,
            state,
            cookie: None,
            csrf: None,
            bearer: None,
            _stop: Arc::new(stop),
        }
    }

    /// Another client of the same app, with no credentials yet.
    pub fn new_sharing(other: &TestApp) -> TestApp {
        TestApp {
            router: other.router.clone(),
            storage: other.storage.clone(),
            state: other.state.clone(),
            engine: other.engine,
            cookie: None,
            csrf: None,
            bearer: None,
            _stop: other._stop.clone(),
        }
    }

    /// A new app, signed in as admin.
    pub async fn signed_in(database_url: &str, data_dir: &std::path::Path) -> TestApp {
        let mut app = TestApp::new(database_url, data_dir).await;
        app.login("admin", PASSWORD).await.expect(StatusCode::OK);
        app
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        let reply = self
            .request(
                Method::POST,
                "/api/session",
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        if reply.status == StatusCode::OK {
            let cookie = reply
                .headers
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap();
            self.cookie = Some(cookie.split(';').next().unwrap().to_owned());
            self.csrf = reply.json()["csrf_token"].as_str().map(str::to_owned);
        }
        reply
    }

    pub fn use_bearer(&mut self, token: &str) {
        self.cookie = None;
        self.csrf = None;
        self.bearer = Some(token.to_owned());
    }

    pub fn forget_csrf(&mut self) {
        self.csrf = None;
    }

    pub fn anonymous(&mut self) {
        self.cookie = None;
        self.csrf = None;
        self.bearer = None;
    }

    pub async fn raw(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn builder(&self, method: Method, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        if let Some(c) = &self.csrf {
            b = b.header("x-csrf-token", c);
        }
        if let Some(t) = &self.bearer {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b
    }

    pub async fn request(&self, method: Method, path: &str, json: Option<Value>) -> Reply {
        let b = self.builder(method, path);
        let req = match json {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, json: Value) -> Reply {
        self.request(Method::POST, path, Some(json)).await
    }
    pub async fn put(&self, path: &str, json: Value) -> Reply {
        self.request(Method::PUT, path, Some(json)).await
    }

    /// Create a customer group; returns its id.
    pub async fn create_group(&self, name: &str) -> i64 {
        self.post("/api/groups", serde_json::json!({ "name": name }))
            .await
            .expect(StatusCode::CREATED)
            .json()["id"]
            .as_i64()
            .unwrap()
    }

    /// Poll an import until it reaches a final status.
    pub async fn wait_for_import(&self, id: i64) -> Value {
        for _ in 0..600 {
            let import = self
                .get(&format!("/api/imports/{id}"))
                .await
                .expect(StatusCode::OK)
                .json();
            if ["completed", "failed", "cancelled", "undone"]
                .contains(&import["status"].as_str().unwrap())
            {
                return import;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("import {id} did not finish");
    }

    /// Poll an import until it has `status`.
    pub async fn wait_for_status(&self, id: i64, status: &str) -> Value {
        for _ in 0..600 {
            let import = self
                .get(&format!("/api/imports/{id}"))
                .await
                .expect(StatusCode::OK)
                .json();
            if import["status"] == status {
                return import;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("import {id} never became {status}");
    }

    /// Create an import, send `batches` (each a list of rows) and commit; returns its id.
    pub async fn send_import(&self, on_duplicate: &str, batches: &[Value]) -> i64 {
        let import = self
            .post(
                "/api/imports",
                serde_json::json!({"file_name": "t.csv", "on_duplicate": on_duplicate}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        let mut rows = 0;
        for (seq, batch) in batches.iter().enumerate() {
            rows += batch.as_array().unwrap().len();
            self.put(
                &format!("/api/imports/{id}/batches/{seq}"),
                serde_json::json!({"rows": batch}),
            )
            .await
            .expect(StatusCode::OK);
        }
        self.post(
            &format!("/api/imports/{id}/commit"),
            serde_json::json!({"batch_count": batches.len(), "row_count": rows}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        id
    }

    /// Undo an import and wait until it is `undone`.
    pub async fn undo_import(&self, id: i64) -> Value {
        self.request(Method::POST, &format!("/api/imports/{id}/undo"), None)
            .await
            .expect(StatusCode::ACCEPTED);
        self.wait_for_status(id, "undone").await
    }

    /// Create an import, send `batches` (each a list of rows), commit, wait for the end.
    pub async fn import_batches(&self, on_duplicate: &str, batches: &[Value]) -> Value {
        let id = self.send_import(on_duplicate, batches).await;
        self.wait_for_import(id).await
    }

    /// The queue job of an import (the newest, if it has several).
    pub async fn job_of(&self, import_id: i64) -> Value {
        let jobs = self
            .get("/api/jobs?per_page=200")
            .await
            .expect(StatusCode::OK)
            .json();
        jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["import_id"] == import_id)
            .cloned()
            .unwrap_or_else(|| panic!("no job for import {import_id}: {jobs}"))
    }

    pub async fn customer_emails(&self) -> Vec<String> {
        let list = self
            .get("/api/customers?per_page=500&sort=email")
            .await
            .expect(StatusCode::OK)
            .json();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// `n` valid rows with emails `{prefix}{i}@example.com`, lines from 2.
pub fn rows(prefix: &str, from: usize, n: usize) -> Value {
    Value::Array(
        (from..from + n)
            .map(|i| {
                serde_json::json!({"line": i + 2, "first_name": format!("F{i}"), "last_name": "L",
                                   "email": format!("{prefix}{i}@example.com")})
            })
            .collect(),
    )
}

/// Asserts `processed = created + updated + skipped + failed`.
#[track_caller]
pub fn assert_counts_add_up(import: &Value) {
    let c = &import["counts"];
    let sum: i64 = ["created", "updated", "skipped", "failed"]
        .iter()
        .map(|k| c[k].as_i64().unwrap())
        .sum();
    assert_eq!(sum, c["processed"].as_i64().unwrap(), "{import}");
}

/// Run `body` once per database engine, each on a fresh database.
#[macro_export]
macro_rules! each_engine {
    ($name:literal, |$app:ident| $body:block) => {{
        let dir = tempfile::tempdir().unwrap();
        for url in $crate::support::databases($name, dir.path()).await {
            #[allow(unused_mut)]
            let mut $app = $crate::support::TestApp::signed_in(&url, dir.path()).await;
            eprintln!("-- {} on {}", $name, $app.engine);
            $body
        }
    }};
}
