//! Browser measurements: Intake's parse worker against PapaParse on the same file in the
//! same headless Chromium, its workbook worker against SheetJS on the same workbook, the time
//! to the first preview rows in the real import page (CSV and workbook), and the gzip size of
//! the built wasm.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::Locator;
use tests::harness::{Browser, Server, ServerOptions};

use crate::{Samples, Setup};

fn gzip_kb(path: &std::path::Path) -> Result<f64> {
    let bytes = std::fs::read(path)?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes)?;
    Ok(enc.finish()?.len() as f64 / 1024.0)
}

pub fn wasm_sizes(setup: &Setup, samples: &mut Samples) -> Result<()> {
    for entry in std::fs::read_dir(&setup.dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name == "worker_bg.wasm" {
            samples.add("wasm_worker_gz_kb", gzip_kb(&path)?);
        } else if name.starts_with("frontend-") && name.ends_with("_bg.wasm") {
            samples.add("wasm_main_gz_kb", gzip_kb(&path)?);
        } else if name == "workbook_bg.wasm" {
            samples.add("wasm_workbook_gz_kb", gzip_kb(&path)?);
        }
    }
    Ok(())
}

/// Run a page function `name(done)` from bench.js and return its result object.
async fn page_call(browser: &Browser, name: &str) -> Result<serde_json::Value> {
    let script = format!("const done = arguments[0]; window.{name}(done);");
    let v = browser.client.execute_async(&script, vec![]).await?;
    if let Some(e) = v.get("error") {
        bail!("{name}: {e}");
    }
    Ok(v)
}

fn mb_per_s(v: &serde_json::Value) -> Option<f64> {
    Some(v["bytes"].as_f64()? / 1e6 / (v["ms"].as_f64()? / 1000.0))
}

/// The server with the benchmark site, and a Chromium whose scripts may run for `script_secs`.
async fn bench_browser(setup: &Setup, script_secs: u64) -> Result<(Server, Browser)> {
    let server = Server::start_with(ServerOptions {
        bin: Some(setup.bin.clone()),
        dist: Some(setup.site.clone()),
        ..ServerOptions::default()
    })
    .await?;
    let browser = Browser::start().await?;
    browser
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(script_secs)),
            None,
            None,
        ))
        .await?;
    Ok((server, browser))
}

/// bench.html with `data` chosen in its file input.
async fn open_bench_page(server: &Server, browser: &Browser, data: &std::path::Path) -> Result<()> {
    browser
        .client
        .goto(&format!("{}/bench.html", server.url))
        .await?;
    let file = std::fs::canonicalize(data)?;
    browser
        .by_label("Benchmark file")
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    Ok(())
}

pub async fn run(setup: &Setup, samples: &mut Samples) -> Result<()> {
    let (server, browser) = bench_browser(setup, 600).await?;
    let result = async {
        open_bench_page(&server, &browser, &setup.data_1m).await?;
        for run in 0..setup.runs {
            // Alternate the order so none always runs on a warmer page.
            let mut order = [
                ("intakeWorkerPass", "browser_parse_mb_s"),
                ("intakeColdWorkerPass", "browser_parse_cold_mb_s"),
                ("papaParsePass", "papaparse_mb_s"),
            ];
            let passes = order.len();
            order.rotate_left(run % passes);
            for (f, key) in order {
                let v = page_call(&browser, f).await?;
                let rate = mb_per_s(&v).context("no timing")?;
                println!(
                    "  {f}: {} rows in {:.0} ms",
                    v["rows"],
                    v["ms"].as_f64().unwrap_or(0.0)
                );
                samples.add(key, rate);
            }
        }
        first_preview(
            &setup.data_1m,
            "first_preview_ms",
            &server,
            &browser,
            setup.runs,
            samples,
        )
        .await
    }
    .await;
    browser.quit().await?;
    result
}

/// From choosing the 1M-row file in the real import page to its first preview row on screen,
/// timed inside the page (the file input's change event to the row's insertion).
async fn first_preview(
    data: &std::path::Path,
    key: &'static str,
    server: &Server,
    browser: &Browser,
    runs: usize,
    samples: &mut Samples,
) -> Result<()> {
    browser.sign_in(&server.url).await?;
    let file = std::fs::canonicalize(data)?;
    for _ in 0..runs {
        browser
            .client
            .goto(&format!("{}/customers/import", server.url))
            .await?;
        let input = browser.by_label("CSV file").await?;
        browser
            .client
            .execute(
                "window.__chosen = 0; window.__shown = 0;
                 document.getElementById('import-file').addEventListener('change', () => { window.__chosen = performance.now(); }, { capture: true });
                 new MutationObserver((_, obs) => {
                   if (window.__chosen && document.getElementById('map-0')) { window.__shown = performance.now(); obs.disconnect(); }
                 }).observe(document.body, { childList: true, subtree: true });",
                vec![],
            )
            .await?;
        input.send_keys(&file.display().to_string()).await?;
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let v = browser
                .client
                .execute("return [window.__chosen, window.__shown];", vec![])
                .await?;
            let (chosen, shown) = (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
            if shown > 0.0 {
                samples.add(key, shown - chosen);
                break;
            }
            if Instant::now() > deadline {
                bail!("the preview never appeared");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        browser.wait_for(Locator::Css("tbody tr")).await?;
    }
    Ok(())
}

/// The workbook: Intake's workbook worker and SheetJS read the same `.xlsx` to CSV text in the
/// same page, alternating; then the import page's first preview of it.
pub async fn workbook(setup: &Setup, samples: &mut Samples) -> Result<()> {
    let (server, browser) = bench_browser(setup, 900).await?;
    let result = async {
        open_bench_page(&server, &browser, &setup.data_xlsx).await?;
        for run in 0..setup.runs {
            let mut order = [
                ("intakeWorkbookPass", "workbook_read_mb_s"),
                ("sheetJsPass", "sheetjs_mb_s"),
            ];
            order.rotate_left(run % 2);
            for (f, key) in order {
                let v = page_call(&browser, f).await?;
                println!(
                    "  {f}: {} MB of CSV text in {:.0} ms",
                    v["text_bytes"].as_f64().unwrap_or(0.0) / 1e6,
                    v["ms"].as_f64().unwrap_or(0.0)
                );
                samples.add(key, mb_per_s(&v).context("no timing")?);
            }
        }
        first_preview(
            &setup.data_xlsx,
            "workbook_first_preview_ms",
            &server,
            &browser,
            setup.runs,
            samples,
        )
        .await
    }
    .await;
    browser.quit().await?;
    result
}
