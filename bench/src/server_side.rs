//! Server measurements: 1M rows through the batch API to `completed` (the browser's path,
//! with the file parsed natively by the same shared core), a bare insert loop of the same rows
//! into the same schema, the streamed export, and the server's peak memory during each.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use shared::api::BatchRow;
use tests::harness::{ADMIN_PASSWORD, Server, ServerOptions};

use crate::{Samples, Setup};

const BATCH_ROWS: usize = 1000;

/// The server's peak resident memory so far (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Every record of the file, read and normalised like the browser worker does.
fn read_rows(path: &Path) -> Result<Vec<BatchRow>> {
    let bytes = std::fs::read(path)?;
    let detection = shared::import::detect(
        &bytes[..bytes.len().min(shared::import::SAMPLE_BYTES)],
        &Default::default(),
    );
    if let Some(p) = detection.problem {
        bail!("the benchmark file cannot be read: {}", p.message);
    }
    let mut reader = shared::import::RowReader::new(&detection);
    let mut rows = Vec::new();
    for chunk in bytes.chunks(1 << 20) {
        reader.push(chunk, &mut |o| rows.push(o.row));
    }
    reader.finish(&mut |o| rows.push(o.row));
    Ok(rows)
}

struct Client {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Client {
    async fn sign_in(base: &str) -> Result<Client> {
        let http = reqwest::Client::builder().cookie_store(true).build()?;
        let r: serde_json::Value = http
            .post(format!("{base}/api/session"))
            .json(&serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Client {
            http,
            base: base.to_owned(),
            csrf: r["csrf_token"].as_str().unwrap_or_default().to_owned(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<serde_json::Value> {
        self.send_body(method, path, serde_json::to_vec(body)?.into())
            .await
    }

    /// Send a JSON body already encoded.
    async fn send_body(
        &self,
        method: reqwest::Method,
        path: &str,
        body: bytes::Bytes,
    ) -> Result<serde_json::Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }

    /// Create, send every batch (two in flight), commit, and wait for `completed`. The
    /// batches' JSON bodies are encoded before the clock starts: the driver encoding them
    /// meanwhile took CPU from the server it measures (the browser, the API's other client,
    /// encodes on the store owner's machine).
    async fn import(&self, rows: &[BatchRow]) -> Result<(Duration, i64)> {
        let bodies: Vec<bytes::Bytes> = rows
            .chunks(BATCH_ROWS)
            .map(|batch| serde_json::to_vec(&serde_json::json!({ "rows": batch })).map(Into::into))
            .collect::<serde_json::Result<_>>()?;
        let started = Instant::now();
        let import = self
            .send(
                reqwest::Method::POST,
                "/api/imports",
                &serde_json::json!({"file_name": "bench.csv", "on_duplicate": "update"}),
            )
            .await?;
        let id = import["id"].as_i64().context("no import id")?;
        let puts = futures::stream::iter(bodies.iter().enumerate().map(|(seq, body)| {
            let path = format!("/api/imports/{id}/batches/{seq}");
            async move {
                self.send_body(reqwest::Method::PUT, &path, body.clone())
                    .await
            }
        }))
        .buffer_unordered(2);
        let results: Vec<Result<serde_json::Value>> = puts.collect().await;
        for r in results {
            r?;
        }
        println!(
            "  batches stored after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        self.send(
            reqwest::Method::POST,
            &format!("/api/imports/{id}/commit"),
            &serde_json::json!({"batch_count": bodies.len(), "row_count": rows.len()}),
        )
        .await?;
        loop {
            let i: serde_json::Value = self
                .http
                .get(format!("{}/api/imports/{id}", self.base))
                .send()
                .await?
                .json()
                .await?;
            match i["status"].as_str() {
                Some("completed") => return Ok((started.elapsed(), id)),
                Some("failed") | Some("cancelled") => bail!("import ended {i}"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Stream import `id`'s per-row outcome report (CSV); returns (lines after the header,
    /// total time).
    async fn outcome_report(&self, id: i64) -> Result<(u64, Duration)> {
        let started = Instant::now();
        let r = self
            .http
            .get(format!("{}/api/imports/{id}/outcomes.csv", self.base))
            .send()
            .await?
            .error_for_status()?;
        let mut stream = r.bytes_stream();
        let mut lines = 0u64;
        while let Some(chunk) = stream.next().await {
            lines += chunk?.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        Ok((lines.saturating_sub(1), started.elapsed()))
    }

    /// Stream the whole export; returns (customers, time to first byte, total time). The
    /// count comes from the API: notes hold line breaks, so lines are not records.
    async fn export(&self) -> Result<(u64, Duration, Duration)> {
        let list: serde_json::Value = self
            .http
            .get(format!("{}/api/customers?per_page=1", self.base))
            .send()
            .await?
            .json()
            .await?;
        let customers = list["total"].as_u64().context("no total")?;
        let started = Instant::now();
        let r = self
            .http
            .get(format!("{}/api/customers/export.csv", self.base))
            .send()
            .await?
            .error_for_status()?;
        let mut stream = r.bytes_stream();
        let mut first = None;
        while let Some(chunk) = stream.next().await {
            chunk?;
            first.get_or_insert_with(|| started.elapsed());
        }
        Ok((customers, first.unwrap_or_default(), started.elapsed()))
    }
}

async fn server(setup: &Setup, database_url: Option<String>) -> Result<Server> {
    Server::start_with(ServerOptions {
        bin: Some(setup.bin.clone()),
        dist: Some(setup.dist.clone()),
        database_url,
        ..ServerOptions::default()
    })
    .await
}

/// One engine: import into a fresh database, then export from a freshly started server on
/// the same database (so each peak RSS belongs to one activity).
async fn import_then_export(
    setup: &Setup,
    rows: &[BatchRow],
    url: Option<String>,
    engine: &str,
    samples: &mut Samples,
) -> Result<()> {
    let s = server(setup, url.clone()).await?;
    let url =
        url.unwrap_or_else(|| format!("sqlite://{}", s.dir.path().join("intake.db").display()));
    let client = Client::sign_in(&s.url).await?;
    let (took, import_id) = client.import(rows).await?;
    let key: &'static str = if engine == "sqlite" {
        "import_sqlite_rows_s"
    } else {
        "import_postgres_rows_s"
    };
    samples.add(key, rows.len() as f64 / took.as_secs_f64());
    if let Some(mb) = peak_rss_mb(s.pid()) {
        samples.add("import_peak_rss_mb", mb);
    }
    // A new process for the export, on the same database (the temp dir lives on in `s`).
    let e = Server::start_with(ServerOptions {
        bin: Some(setup.bin.clone()),
        dist: Some(setup.dist.clone()),
        database_url: Some(url.clone()),
        ..ServerOptions::default()
    })
    .await?;
    let client = Client::sign_in(&e.url).await?;
    let (count, first_byte, total) = client.export().await?;
    println!(
        "  {count} customers exported ({} rows imported; the data repeats some emails)",
        rows.len()
    );
    let key: &'static str = if engine == "sqlite" {
        "export_sqlite_rows_s"
    } else {
        "export_postgres_rows_s"
    };
    samples.add(key, count as f64 / total.as_secs_f64());
    samples.add("export_first_byte_ms", first_byte.as_secs_f64() * 1000.0);
    if let Some(mb) = peak_rss_mb(e.pid()) {
        samples.add("export_peak_rss_mb", mb);
    }
    drop(e);
    // The import's per-row outcome report, from another fresh process (its own peak RSS).
    let r = Server::start_with(ServerOptions {
        bin: Some(setup.bin.clone()),
        dist: Some(setup.dist.clone()),
        database_url: Some(url),
        ..ServerOptions::default()
    })
    .await?;
    let client = Client::sign_in(&r.url).await?;
    let (lines, took) = client.outcome_report(import_id).await?;
    if lines < rows.len() as u64 {
        bail!(
            "the outcome report has {lines} lines for {} rows",
            rows.len()
        );
    }
    let key: &'static str = if engine == "sqlite" {
        "report_sqlite_rows_s"
    } else {
        "report_postgres_rows_s"
    };
    samples.add(key, lines as f64 / took.as_secs_f64());
    if let Some(mb) = peak_rss_mb(r.pid()) {
        samples.add("report_peak_rss_mb", mb);
    }
    drop(r);
    drop(s);
    Ok(())
}

pub async fn run_sqlite(setup: &Setup, samples: &mut Samples) -> Result<()> {
    let rows = read_rows(&setup.data_1m)?;
    println!("  {} rows read", rows.len());
    for _ in 0..setup.runs {
        import_then_export(setup, &rows, None, "sqlite", samples).await?;
        bare_insert_sqlite(&rows, samples).await?;
    }
    // Memory must stay flat as rows grow: the same import with a tenth of the rows.
    let small = read_rows(&setup.data_100k)?;
    let s = server(setup, None).await?;
    Client::sign_in(&s.url).await?.import(&small).await?;
    if let Some(mb) = peak_rss_mb(s.pid()) {
        samples.add("import_peak_rss_mb_100k", mb);
    }
    Ok(())
}

pub async fn run_sqlite_import(setup: &Setup, samples: &mut Samples) -> Result<()> {
    let rows = read_rows(&setup.data_1m)?;
    for _ in 0..setup.runs {
        import_then_export(setup, &rows, None, "sqlite", samples).await?;
    }
    Ok(())
}

pub async fn run_postgres(setup: &Setup, base: &str, samples: &mut Samples) -> Result<()> {
    let rows = read_rows(&setup.data_1m)?;
    for run in 0..setup.runs {
        let name = format!("bench_{run}_{}", std::process::id());
        let url = fresh_pg_database(base, &name).await?;
        let measured = import_then_export(setup, &rows, Some(url), "postgres", samples).await;
        // A million customers per run: not left behind on a server given by URL.
        drop_pg_database(base, &name).await?;
        measured?;
    }
    Ok(())
}

async fn fresh_pg_database(base: &str, name: &str) -> Result<String> {
    drop_pg_database(base, name).await?;
    on_pg_server(base, &format!("CREATE DATABASE {name}")).await?;
    let (prefix, _) = base.rsplit_once('/').context("database url")?;
    Ok(format!("{prefix}/{name}"))
}

async fn drop_pg_database(base: &str, name: &str) -> Result<()> {
    on_pg_server(
        base,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await
}

/// One statement on the server's maintenance database (`base`).
async fn on_pg_server(base: &str, sql: &str) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(base).await?;
    sqlx::query(sql).execute(&mut conn).await?;
    Ok(())
}

/// The peer: one prepared INSERT per row into the same schema and indexes (migrations run by
/// the real storage layer), committed every 10,000 rows, with the same normalised values.
async fn bare_insert_sqlite(rows: &[BatchRow], samples: &mut Samples) -> Result<()> {
    use sqlx::Connection;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bare.db").display());
    drop(intake::storage::connect(&url).await?);
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA journal_mode=WAL")
        .execute(&mut conn)
        .await?;
    sqlx::query("PRAGMA synchronous=NORMAL")
        .execute(&mut conn)
        .await?;
    let now = "2026-01-01T00:00:00+00:00";
    let drafts: Vec<_> = rows
        .iter()
        .filter_map(|r| shared::rules::validate_row(r).ok())
        .collect();
    let started = Instant::now();
    for chunk in drafts.chunks(10_000) {
        let mut tx = conn.begin().await?;
        for d in chunk {
            sqlx::query(
                "INSERT INTO customers (first_name, last_name, full_name, email, email_key, note, accepts_marketing, \
                 group_id, import_id, search_text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, NULL, $8, $9, $9) \
                 ON CONFLICT (email_key) DO NOTHING",
            )
            .bind(&d.fields.first_name)
            .bind(&d.fields.last_name)
            .bind(&d.fields.full_name)
            .bind(&d.fields.email)
            .bind(&d.email_key)
            .bind(&d.fields.note)
            .bind(d.fields.accepts_marketing.unwrap_or(false))
            .bind(format!("{} {}", d.fields.full_name, d.fields.email).to_lowercase())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    samples.add(
        "bare_insert_sqlite_rows_s",
        rows.len() as f64 / started.elapsed().as_secs_f64(),
    );
    Ok(())
}
