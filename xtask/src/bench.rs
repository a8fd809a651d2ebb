//! `cargo xtask bench`: builds the release UI, server and benchmark driver, installs
//! PapaParse from npm into `target/bench/npm` (the peer it is measured against), generates
//! the data (1,000,000 and 100,000 rows), starts a throwaway PostgreSQL, and runs
//! `intake-bench`, which prints the table and writes `target/bench/results.json`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::{cmd, run_cmd, step, tools};

const PAPAPARSE_VERSION: &str = "5.5.3";
/// SheetJS, the workbook reader most web apps use (npm `xlsx`).
const SHEETJS_VERSION: &str = "0.18.5";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let rows: u64 = flag(args, "--rows")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let runs: u64 = flag(args, "--runs")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(3);
    let only = flag(args, "--only");

    tools::ensure_frontend_tools(root)?;
    tools::ensure_test_tools()?;
    crate::build_dist(root)?;
    step("Building the server and the benchmark driver (release)");
    run_cmd(&mut cmd(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "backend",
            "-p",
            "bench",
            "--bin",
            "intake",
            "--bin",
            "intake-bench",
        ],
    ))?;

    let bench_dir = crate::paths::target_dir(root).join("bench");
    let npm_dir = bench_dir.join("npm");
    step(&format!(
        "Checking PapaParse {PAPAPARSE_VERSION} and SheetJS {SHEETJS_VERSION} (npm, for comparison)"
    ));
    let papa = npm_dir.join("node_modules/papaparse/papaparse.min.js");
    let sheetjs = npm_dir.join("node_modules/xlsx/dist/xlsx.full.min.js");
    if papa.exists() && sheetjs.exists() {
        println!("present");
    } else {
        std::fs::create_dir_all(&npm_dir)?;
        std::fs::write(
            npm_dir.join("package.json"),
            format!(
                "{{\"private\": true, \"dependencies\": {{\"papaparse\": \"{PAPAPARSE_VERSION}\", \"xlsx\": \"{SHEETJS_VERSION}\"}}}}\n"
            ),
        )?;
        run_cmd(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&npm_dir),
        )?;
    }

    step("Assembling the benchmark site (the built UI, bench.html, PapaParse, SheetJS)");
    let site = bench_dir.join("site");
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(&site)?;
    for dir in [root.join("dist"), root.join("bench/site")] {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_file() {
                std::fs::copy(&path, site.join(path.file_name().unwrap_or_default()))?;
            }
        }
    }
    std::fs::copy(&papa, site.join("papaparse.min.js"))?;
    std::fs::copy(&sheetjs, site.join("xlsx.full.min.js"))?;

    let data_dir = crate::paths::target_dir(root).join("bench-data");
    let big = data_dir.join(format!("customers-{rows}.csv"));
    let small = data_dir.join(format!("customers-{}.csv", rows / 10));
    // Made by the benchmark itself on first use (rust_xlsxwriter).
    let workbook = data_dir.join(format!("customers-{}.xlsx", rows / 2));
    for (path, n) in [(&big, rows), (&small, rows / 10)] {
        step(&format!("Benchmark data: {n} rows"));
        if path.exists() {
            println!("{} present", path.display());
        } else {
            crate::gen_data::gen_data(
                root,
                &[
                    "--rows".into(),
                    n.to_string(),
                    "--out".into(),
                    path.display().to_string(),
                ],
            )?;
        }
    }

    step("Starting a throwaway PostgreSQL cluster, set up as a dedicated server");
    let pg = crate::postgres::Cluster::start_with(crate::postgres::SERVER_SETTINGS)?;
    step("Measuring (each figure several times; medians and spread below)");
    let mut c = Command::new(crate::paths::target_dir(root).join("release/intake-bench"));
    if let Some(only) = &only {
        c.arg(only);
    }
    c.env("PATH", tools::path_with_tools(root))
        .env("BENCH_DATA_1M", &big)
        .env("BENCH_DATA_100K", &small)
        .env("BENCH_DATA_XLSX", &workbook)
        .env("BENCH_ROWS", rows.to_string())
        .env("BENCH_RUNS", runs.to_string())
        .env(
            "INTAKE_BIN",
            crate::paths::target_dir(root).join("release/intake"),
        )
        .env("INTAKE_DIST", root.join("dist"))
        .env("BENCH_SITE", &site)
        .env("BENCH_OUT", bench_dir.join("results.json"))
        .env("INTAKE_TEST_POSTGRES_URL", pg.url())
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("CHROME", tools::CHROMIUM);
    run_cmd(&mut c)?;
    drop(pg);
    Ok(())
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}
