//! `intake-load`, run by `cargo xtask load`: a bounded load test on loopback against the
//! real release binary. It seeds customers, starts a large import, and meanwhile runs a fixed
//! mix (list, search, batch upload, export) from several clients until a fixed request count
//! or time is reached; then prints throughput, p50/p99 per kind, and errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tests::harness::{ADMIN_PASSWORD, Server, ServerOptions};
use tokio::sync::Mutex;

const CLIENTS: usize = 16;
const MAX_REQUESTS: u64 = 20_000;
const MAX_TIME: Duration = Duration::from_secs(30);
const SEED_CUSTOMERS: usize = 20_000;
const BACKGROUND_ROWS: usize = 200_000;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
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
    let server = Server::start_with(ServerOptions {
        bin: Some(bin),
        dist,
        ..ServerOptions::default()
    })
    .await?;
    let api = Arc::new(Api::new(&server.url).await?);
    println!("seeding {SEED_CUSTOMERS} customers");
    api.import_all("seed", SEED_CUSTOMERS).await?;

    // The import that runs while the load is on.
    println!("starting a {BACKGROUND_ROWS}-row import in the background");
    let background = {
        let api = api.clone();
        tokio::spawn(async move { api.import_all("bg", BACKGROUND_ROWS).await })
    };
    // Batch uploads of the mix go to an import of their own, one seq per request.
    let mix_import = api.create_import().await?;
    let next_seq = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let samples: Arc<Mutex<Vec<(Kind, f64, bool)>>> = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (api, sent, samples, next_seq) =
            (api.clone(), sent.clone(), samples.clone(), next_seq.clone());
        clients.push(tokio::spawn(async move {
            let mut n: u64 = c as u64;
            loop {
                let i = sent.fetch_add(1, Ordering::Relaxed);
                if i >= MAX_REQUESTS || started.elapsed() >= MAX_TIME {
                    break;
                }
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let roll = (n >> 33) % 100;
                let kind = match roll {
                    0..70 => Kind::List,
                    70..90 => Kind::Search,
                    90..98 => Kind::Batch,
                    _ => Kind::Export,
                };
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
                        let seq = next_seq.fetch_add(1, Ordering::Relaxed);
                        let body = json!({"rows": rows("mix", (seq as usize) * 100, 100)});
                        api.json(
                            reqwest::Method::PUT,
                            &format!("/api/imports/{mix_import}/batches/{seq}"),
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
                samples
                    .lock()
                    .await
                    .push((kind, t.elapsed().as_secs_f64() * 1000.0, ok));
            }
        }));
    }
    for c in clients {
        c.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let background_done = background.is_finished();
    let samples = samples.lock().await;
    println!(
        "\n{} requests in {elapsed:.1} s from {CLIENTS} clients while a {BACKGROUND_ROWS}-row import ran{}",
        samples.len(),
        if background_done {
            " (it finished during the run)"
        } else {
            ""
        }
    );
    println!(
        "{:<8} {:>8} {:>10} {:>9} {:>9} {:>7}",
        "kind", "count", "req/s", "p50 ms", "p99 ms", "errors"
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
        println!(
            "{:<8} {:>8} {:>10.1} {:>9.1} {:>9.1} {:>7}",
            format!("{kind:?}").to_lowercase(),
            lat.len(),
            lat.len() as f64 / elapsed,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            errors
        );
    }
    drop(samples);
    println!("total errors: {total_errors}");
    background.abort();
    Ok(())
}
