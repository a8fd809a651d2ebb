//! `intake-bench`, run by `cargo xtask bench`: measures the real release binary, the real
//! parse worker in headless Chromium and the real databases, each several times, beside the
//! peer it must beat (PapaParse in the same Chromium; a bare insert loop into the same
//! schema), prints medians and spread, and writes `target/bench/results.json`.
//! Nothing is capped or invented: a measurement that fails is reported and left out.

mod browser;
mod server_side;
mod workbook_data;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

/// What the harness was given (by `cargo xtask bench`).
pub struct Setup {
    pub data_1m: PathBuf,
    pub data_100k: PathBuf,
    /// The benchmark workbook (made on first use: `workbook_data`).
    pub data_xlsx: PathBuf,
    pub rows: u64,
    pub runs: usize,
    pub bin: PathBuf,
    pub dist: PathBuf,
    pub site: PathBuf,
    pub postgres: Option<String>,
    pub out: PathBuf,
}

/// Samples per measurement key.
#[derive(Default)]
pub struct Samples(BTreeMap<&'static str, Vec<f64>>);

impl Samples {
    pub fn add(&mut self, key: &'static str, value: f64) {
        println!("  {key} = {value:.1}");
        self.0.entry(key).or_default().push(value);
    }

    fn median(values: &[f64]) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }
}

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .with_context(|| format!("{name} is not set (run through `cargo xtask bench`)"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let setup = Setup {
        data_1m: env_path("BENCH_DATA_1M")?,
        data_100k: env_path("BENCH_DATA_100K")?,
        data_xlsx: env_path("BENCH_DATA_XLSX")?,
        rows: std::env::var("BENCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000),
        runs: std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3),
        bin: env_path("INTAKE_BIN")?,
        dist: env_path("INTAKE_DIST")?,
        site: env_path("BENCH_SITE")?,
        postgres: std::env::var("INTAKE_TEST_POSTGRES_URL").ok(),
        out: env_path("BENCH_OUT")?,
    };
    let only: Option<String> = std::env::args().nth(1);
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let mut samples = Samples::default();

    if wants("size") {
        println!("== wasm sizes (gzip)");
        browser::wasm_sizes(&setup, &mut samples)?;
    }
    if wants("browser") {
        println!("== browser: Intake's worker vs PapaParse, first preview");
        if let Err(e) = browser::run(&setup, &mut samples).await {
            eprintln!("browser measurements failed: {e:#}");
        }
    }
    if wants("workbook") {
        println!("== browser: Intake's workbook worker vs SheetJS, first preview of a workbook");
        let rows = (setup.rows / 2).max(1) as u32;
        let made = workbook_data::ensure(&setup.data_xlsx, rows);
        if let Err(e) = match made {
            Ok(()) => browser::workbook(&setup, &mut samples).await,
            Err(e) => Err(e),
        } {
            eprintln!("workbook measurements failed: {e:#}");
        }
    }
    if wants("sqlite") {
        println!("== SQLite: import, bare insert loop, export");
        if let Err(e) = server_side::run_sqlite(&setup, &mut samples).await {
            eprintln!("SQLite measurements failed: {e:#}");
        }
    }
    // The import and export alone, without the peer loop and the 100k run: for iterating.
    if only.as_deref() == Some("sqlite-import") {
        println!("== SQLite: import, export");
        if let Err(e) = server_side::run_sqlite_import(&setup, &mut samples).await {
            eprintln!("SQLite measurements failed: {e:#}");
        }
    }
    if wants("postgres") {
        match &setup.postgres {
            Some(url) => {
                println!("== PostgreSQL: import, export");
                if let Err(e) = server_side::run_postgres(&setup, url, &mut samples).await {
                    eprintln!("PostgreSQL measurements failed: {e:#}");
                }
            }
            None => eprintln!("no PostgreSQL given: skipping its measurements"),
        }
    }

    let mut medians: BTreeMap<String, f64> = samples
        .0
        .iter()
        .map(|(k, v)| (k.to_string(), Samples::median(v)))
        .collect();
    let ratio = |a: &str, b: &str, m: &BTreeMap<String, f64>| Some(m.get(a)? / m.get(b)?);
    for (intake, peer, key) in [
        (
            "browser_parse_mb_s",
            "papaparse_mb_s",
            "browser_vs_papaparse",
        ),
        (
            "browser_parse_cold_mb_s",
            "papaparse_mb_s",
            "browser_cold_vs_papaparse",
        ),
        ("workbook_read_mb_s", "sheetjs_mb_s", "workbook_vs_sheetjs"),
    ] {
        if let Some(r) = ratio(intake, peer, &medians) {
            medians.insert(key.into(), r);
        }
    }
    if let Some(r) = ratio(
        "import_sqlite_rows_s",
        "bare_insert_sqlite_rows_s",
        &medians,
    ) {
        medians.insert("import_vs_bare_sqlite".into(), r);
    }

    println!(
        "\n{:<28} {:>14} {:>22} {:>5}",
        "measurement", "median", "min .. max", "runs"
    );
    for (key, value) in &medians {
        match samples.0.get(key.as_str()) {
            Some(v) => {
                let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                println!(
                    "{key:<28} {value:>14.2} {:>22} {:>5}",
                    format!("{min:.1} .. {max:.1}"),
                    v.len()
                );
            }
            None => println!(
                "{key:<28} {value:>14.2} {:>22} {:>5}",
                "(ratio of medians)", ""
            ),
        }
    }
    std::fs::create_dir_all(setup.out.parent().unwrap_or(&setup.out))?;
    std::fs::write(&setup.out, serde_json::to_string_pretty(&medians)?)?;
    println!("\nwrote {}", setup.out.display());
    Ok(())
}
