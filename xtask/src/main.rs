//! `cargo xtask <command>`: the project's automation (the cargo-xtask pattern).
//!
//! - `run`: install what is missing, build the UI (Trunk, release) and the server, start
//!   Intake on http://127.0.0.1:8080 with SQLite under `data/`.
//! - `test`: install what is missing, then every test: native, a 30 s fuzz run of the import
//!   pipeline, wasm (shared and frontend) in headless Chromium, storage on SQLite and on a throwaway PostgreSQL,
//!   end-to-end in Chromium, Schemathesis against the API on both engines.
//! - `dist`: only build the UI into `dist/`.
//! - `lint`: rustfmt and clippy, as CI would want them.
//! - `fuzz [--secs N]`: the cargo-fuzz target over the import pipeline, for N seconds.
//! - `gen-data --rows N ...`: a generated customer CSV under `target/bench-data/`.
//! - `bench [--rows N] [--runs K] [--only size|browser|sqlite|sqlite-import|postgres]`: the performance
//!   figures, side by side with their peers, into `target/bench/results.json`.
//! - `load`: a bounded load test on loopback (see RELIABILITY.md).
//! - `schemathesis`: the OpenAPI fuzzer against the real server on SQLite and PostgreSQL (the
//!   last step of `test`).

mod bench;
mod fuzz;
mod gen_data;
mod load;
mod paths;
mod postgres;
mod schemathesis;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("test") => test(&root),
        Some("dist") => {
            tools::ensure_frontend_tools(&root)?;
            build_dist(&root)
        }
        Some("lint") => lint(),
        Some("fuzz") => fuzz::fuzz(&root, fuzz::parse_secs(&args[1..])?),
        Some("gen-data") => gen_data::gen_data(&root, &args[1..]).map(|_| ()),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("load") => load::run(&root),
        Some("schemathesis") => schemathesis::run_standalone(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run    build everything and start Intake on http://127.0.0.1:8080\n  \
                 test   install what is missing and run every test\n  dist   build the UI into dist/\n  \
                 lint   cargo fmt --check and clippy -D warnings\n  \
                 fuzz   [--secs N] fuzz the import pipeline for N seconds (default {})\n  \
                 gen-data --rows N [--encoding utf-8|windows-1251|utf-16le] [--delimiter ,|;|tab|pipe]\n         \
                 [--seed N] [--out PATH]  write a generated customer CSV (default under target/bench-data/)\n  \
                 bench  [--rows N] [--runs K] [--only size|browser|sqlite|sqlite-import|postgres]  measure against the peers\n  \
                 load   a bounded load test (list, search, batches, export while an import runs)\n  \
                 schemathesis  the OpenAPI fuzzer against the server on SQLite and PostgreSQL",
                fuzz::DEFAULT_SECS
            );
            bail!("unknown command {:?}", args.first());
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Print a step, the way every step of `run` and `test` announces itself.
pub fn step(msg: &str) {
    println!("\n==> {msg}");
}

/// Run a command, failing with its name if it fails.
pub fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

pub fn run_cmd(c: &mut Command) -> Result<()> {
    let shown = format!("{c:?}");
    let status = c.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn build_dist(root: &Path) -> Result<()> {
    step("Building the UI with Trunk (release) into dist/");
    let mut c = cmd("trunk", &["build", "--release"]);
    c.env("PATH", tools::path_with_tools(root))
        .env("TRUNK_SKIP_VERSION_CHECK", "true");
    run_cmd(&mut c)
}

fn run(root: &Path) -> Result<()> {
    tools::ensure_frontend_tools(root)?;
    build_dist(root)?;
    step("Building the server (release)");
    run_cmd(&mut cmd(
        "cargo",
        &["build", "--release", "-p", "backend", "--bin", "intake"],
    ))?;
    std::fs::create_dir_all(root.join("data"))?;
    step("Starting Intake on http://127.0.0.1:8080 (Ctrl-C stops it)");
    println!(
        "Sign in as the user `admin`: the password is INTAKE_ADMIN_PASSWORD if you set it before"
    );
    println!("the first start, otherwise the one printed below on the first start.");
    let mut c = Command::new(paths::target_dir(root).join("release/intake"));
    c.args(["serve", "--dist", "dist"]);
    if std::env::var_os("INTAKE_LISTEN").is_none() {
        c.args(["--listen", "127.0.0.1:8080"]);
    }
    if std::env::var_os("INTAKE_DATABASE_URL").is_none() {
        c.args(["--database-url", "sqlite://data/intake.db"]);
    }
    run_cmd(&mut c)
}

/// How long `cargo xtask test` fuzzes the import pipeline.
const TEST_FUZZ_SECS: u64 = 30;

fn test(root: &Path) -> Result<()> {
    tools::ensure_frontend_tools(root)?;
    tools::ensure_test_tools()?;
    let schemathesis = schemathesis::ensure_installed(root)?;
    let path = tools::path_with_tools(root);

    step("Native tests: shared, backend (SQLite), xtask");
    run_cmd(
        cmd(
            "cargo",
            &[
                "test",
                "--workspace",
                "--exclude",
                "frontend",
                "--exclude",
                "tests",
            ],
        )
        .env("PATH", &path),
    )?;

    // A short, bounded run of the import fuzz target (its own step announcements).
    fuzz::fuzz(root, TEST_FUZZ_SECS)?;

    step("Starting a throwaway PostgreSQL cluster");
    let pg = postgres::Cluster::start()?;
    println!("PostgreSQL listening on {}", pg.url());
    step("Storage and API tests against PostgreSQL");
    // `-p xtask` keeps shared's features as in the step above, so nothing is rebuilt.
    run_cmd(
        cmd("cargo", &["test", "-p", "backend", "-p", "xtask"])
            .env("PATH", &path)
            .env("INTAKE_TEST_POSTGRES_URL", pg.url())
            .env("INTAKE_REQUIRE_POSTGRES", "1"),
    )?;

    // The shared rules as the browser runs them: the suite but its tests that read the
    // corpus directories (README.md, "Wasm tests").
    step("Wasm tests in headless Chromium (shared)");
    run_cmd(
        cmd(
            "cargo",
            &["test", "--target", "wasm32-unknown-unknown", "-p", "shared"],
        )
        .env("PATH", &path)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;

    step("Wasm tests in headless Chromium (frontend)");
    run_cmd(
        cmd(
            "cargo",
            &[
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "frontend",
            ],
        )
        .env("PATH", &path)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;

    build_dist(root)?;
    step("Building the server for the end-to-end tests");
    // `cargo test --no-run` with the package set of the PostgreSQL step: the binary those tests
    // built is reused as is. `cargo build` would leave out the dev-dependencies' features and
    // so compile the whole server a second time (twice the time and disk).
    run_cmd(
        cmd(
            "cargo",
            &["test", "--no-run", "-p", "backend", "-p", "xtask"],
        )
        .env("PATH", &path),
    )?;
    step("End-to-end tests: the real binary, Chromium, SQLite and PostgreSQL");
    run_cmd(
        cmd("cargo", &["test", "-p", "tests"])
            .env("PATH", &path)
            .env("INTAKE_BIN", paths::target_dir(root).join("debug/intake"))
            .env("INTAKE_DIST", root.join("dist"))
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("CHROME", tools::CHROMIUM)
            .env("INTAKE_TEST_POSTGRES_URL", pg.url())
            .env("INTAKE_REQUIRE_POSTGRES", "1"),
    )?;
    // The same binary, against its own OpenAPI document.
    schemathesis::run_engines(root, &schemathesis, &pg)?;
    drop(pg);
    step("All tests passed");
    Ok(())
}

fn lint() -> Result<()> {
    step("cargo fmt --check");
    run_cmd(&mut cmd("cargo", &["fmt", "--all", "--", "--check"]))?;
    step("cargo clippy (native)");
    run_cmd(&mut cmd(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ))?;
    step("cargo clippy (wasm frontend)");
    run_cmd(&mut cmd(
        "cargo",
        &[
            "clippy",
            "-p",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ],
    ))
}
