//! `intake-load`, run by `cargo xtask load`: a bounded load test on loopback against the
//! real release binary. It seeds customers, starts a large import, and meanwhile pages through
//! the customer list from several clients as fast as the server answers, while searches,
//! batch uploads and filtered exports arrive at fixed rates, until a fixed request count or
//! time is reached; then prints throughput, p50/p99 per kind, and errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tests::harness::{ADMIN_PASSWORD, Server, ServerOptions};
use tokio::sync::Mutex;

/// Clients that request list pages one after another, as fast as the server answers.
const LIST_CLIENTS: usize = 12;
/// The run stops after this many list requests or after MAX_TIME.
const MAX_LIST_REQUESTS: u64 = 50_000;
const MAX_TIME: Duration = Duration::from_secs(30);
/// The rest of the mix, per second: what a busy admin panel and an API client add meanwhile.
const BACKGROUND_RATES: [(Kind, f64); 3] = [
    (Kind::Search, 10.0),
    (Kind::Batch, 10.0),
    (Kind::Export, 1.0),
];
const SEED_CUSTOMERS: usize = 20_000;
const BACKGROUND_ROWS: usize = 200_000;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(u8)]
enum Kind {
    List,
    Search,
    Batch,
    Export,
}

fn rows(prefix: &str, from: usize, n: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| json!({"line": i + 2, "first_name": format!("Name{i}"), "last_name": format!("{prefix}{}", i % 997), "email": format!("{prefix}{i}@example.com")}))
        .collect()
}

struct Api {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Api {
    async fn new(base: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(64)
            .build()?;
        let r: Value = http
            .post(format!("{base}/api/session"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Api {
            http,
            base: base.into(),
            csrf: r["csrf_token"].as_str().unwrap_or_default().into(),
        })
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }

    async fn create_import(&self) -> Result<i64> {
        let v = self
            .json(
                reqwest::Method::POST,
                "/api/imports",
                json!({"file_name": "load.csv", "on_duplicate": "update"}),
            )
            .await?;
        v["id"].as_i64().context("import id")
    }

    async fn import_all(&self, prefix: &str, total: usize) -> Result<()> {
        let id = self.create_import().await?;
        let mut seq = 0;
        for start in (0..total).step_by(1000) {
            let n = 1000.min(total - start);
            self.json(
                reqwest::Method::PUT,
                &format!("/api/imports/{id}/batches/{seq}"),
                json!({"rows": rows(prefix, start, n)}),
            )
            .await?;
            seq += 1;
        }
        self.json(
            reqwest::Method::POST,
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": seq, "row_count": total}),
        )
        .await?;
        loop {
            let i: Value = self
                .http
                .get(format!("{}/api/imports/{id}", self.base))
                .send()
                .await?
                .json()
                .await?;
            if i["status"] == "completed" {
                return Ok(());
            }
            if i["status"] == "failed" {
                bail!("import failed: {i}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn next_random(n: u64) -> u64 {
    n.wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
}

/// What the clients share: the API session, the import that batch requests go to, and the
/// measurements.
struct Load {
    api: Arc<Api>,
    mix_import: i64,
    next_seq: AtomicU64,
    sent: AtomicU64,
    /// Kind, milliseconds, success, and whether the background import was still running.
    samples: Mutex<Vec<(Kind, f64, bool, bool)>>,
    /// Set once the background import has completed.
    import_done: std::sync::atomic::AtomicBool,
    /// When it completed, in milliseconds from the start.
    import_ms: AtomicU64,
    started: Instant,
}

impl Load {
    /// Send one request of this kind (`n` picks the page or search term) and record it.
    async fn run(&self, kind: Kind, n: u64) {
        let api = &self.api;
        let t = Instant::now();
        let ok = match kind {
            Kind::List => {
                let page = 1 + (n >> 40) % 200;
                api.http
                    .get(format!(
                        "{}/api/customers?page={page}&per_page=50",
                        api.base
                    ))
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
            Kind::Search => {
                let q = format!("seed{}", (n >> 40) % 997);
                api.http
                    .get(format!("{}/api/customers?q={q}&per_page=50", api.base))
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
            Kind::Batch => {
                let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                let body = json!({"rows": rows("mix", (seq as usize) * 100, 100)});
                api.json(
                    reqwest::Method::PUT,
                    &format!("/api/imports/{}/batches/{seq}", self.mix_import),
                    body,
                )
                .await
                .is_ok()
            }
            Kind::Export => {
                // A filtered export (about 20 customers), read to the end.
                let q = format!("seed{}", (n >> 40) % 997);
                match api
                    .http
                    .get(format!("{}/api/customers/export.csv?q={q}", api.base))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        };
        self.samples.lock().await.push((
            kind,
            t.elapsed().as_secs_f64() * 1000.0,
            ok,
            !self.import_done.load(Ordering::Relaxed),
        ));
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<()> {
    let bin = std::env::var_os("INTAKE_BIN")
        .map(Into::into)
        .context("INTAKE_BIN (run through `cargo xtask load`)")?;
    let dist = std::env::var_os("INTAKE_DIST").map(Into::into);
    // SQLite in a temporary directory, or the PostgreSQL database given.
    let database_url = std::env::var("LOAD_DATABASE_URL").ok();
    let engine = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let server = Server::start_with(ServerOptions {
        database_url,
        bin: Some(bin),
        dist,
        ..ServerOptions::default()
    })
    .await?;
    let api = Arc::new(Api::new(&server.url).await?);
    println!("seeding {SEED_CUSTOMERS} customers");
    api.import_all("seed", SEED_CUSTOMERS).await?;

    // Batch uploads of the mix go to an import of their own, one seq per request.
    let mix_import = api.create_import().await?;
    let load = Arc::new(Load {
        api: api.clone(),
        mix_import,
        next_seq: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        samples: Mutex::new(Vec::new()),
        import_done: std::sync::atomic::AtomicBool::new(false),
        import_ms: AtomicU64::new(0),
        started: Instant::now(),
    });
    // The import that runs while the load is on.
    println!("starting a {BACKGROUND_ROWS}-row import in the background");
    let background = {
        let load = load.clone();
        tokio::spawn(async move {
            let done = load.api.import_all("bg", BACKGROUND_ROWS).await;
            load.import_ms
                .store(load.started.elapsed().as_millis() as u64, Ordering::Relaxed);
            load.import_done.store(true, Ordering::Relaxed);
            done
        })
    };
    let started = load.started;
    let mut clients = Vec::new();
    // The list, as fast as LIST_CLIENTS clients can page through it.
    for c in 0..LIST_CLIENTS {
        let load = load.clone();
        clients.push(tokio::spawn(async move {
            let mut n: u64 = c as u64;
            while load.sent.fetch_add(1, Ordering::Relaxed) < MAX_LIST_REQUESTS
                && load.started.elapsed() < MAX_TIME
            {
                n = next_random(n);
                load.run(Kind::List, n).await;
            }
        }));
    }
    // The rest of the mix at fixed rates, whether or not earlier requests have returned.
    for (kind, per_second) in BACKGROUND_RATES {
        let load = load.clone();
        clients.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
            let mut n: u64 = kind as u64;
            let mut running = tokio::task::JoinSet::new();
            while load.started.elapsed() < MAX_TIME
                && load.sent.load(Ordering::Relaxed) < MAX_LIST_REQUESTS
            {
                tick.tick().await;
                n = next_random(n);
                let load = load.clone();
                running.spawn(async move { load.run(kind, n).await });
            }
            running.join_all().await;
        }));
    }
    for c in clients {
        c.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let background_done = background.is_finished();
    let samples = load.samples.lock().await;
    println!(
        "\n{engine}: {} requests in {elapsed:.1} s ({LIST_CLIENTS} list clients; search, batch and export at fixed rates) while a {BACKGROUND_ROWS}-row import ran{} (import p99: while it was uploaded and applied, {:.1} s)",
        samples.len(),
        if background_done {
            " (it finished during the run)"
        } else {
            ""
        },
        load.import_ms.load(Ordering::Relaxed) as f64 / 1000.0,
    );
    println!(
        "{:<8} {:>8} {:>10} {:>9} {:>9} {:>7} {:>16}",
        "kind", "count", "req/s", "p50 ms", "p99 ms", "errors", "import p99 ms"
    );
    let mut total_errors = 0;
    for kind in [Kind::List, Kind::Search, Kind::Batch, Kind::Export] {
        let mut lat: Vec<f64> = samples
            .iter()
            .filter(|s| s.0 == kind)
            .map(|s| s.1)
            .collect();
        let errors = samples.iter().filter(|s| s.0 == kind && !s.2).count();
        total_errors += errors;
        lat.sort_by(|a, b| a.total_cmp(b));
        // The requests answered while the background import was still being uploaded or
        // applied: the target holds for those too.
        let mut during: Vec<f64> = samples
            .iter()
            .filter(|s| s.0 == kind && s.3)
            .map(|s| s.1)
            .collect();
        during.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{:<8} {:>8} {:>10.1} {:>9.1} {:>9.1} {:>7} {:>16.1}",
            format!("{kind:?}").to_lowercase(),
            lat.len(),
            lat.len() as f64 / elapsed,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            errors,
            percentile(&during, 0.99),
        );
    }
    drop(samples);
    println!("total errors: {total_errors}");
    background.abort();
    Ok(())
}
