//! Installing what the build and the tests need, each step skipped when the right version is
//! already there. Versions are the ones known to build and work offline here (see
//! ARCHITECTURE.md, "Toolchain").

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{cmd, run_cmd, step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// PATH with `tools/node_modules/.bin` (wasm-opt) and cargo's bin directory first.
pub fn path_with_tools(root: &Path) -> String {
    let mut parts = vec![root.join("tools/node_modules/.bin").display().to_string()];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        parts.push(Path::new(&home).join("bin").display().to_string());
    } else if let Some(home) = std::env::var_os("HOME") {
        parts.push(Path::new(&home).join(".cargo/bin").display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

/// The first line a tool prints for `--version`, if it runs.
fn version_of(program: &str, root: &Path) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .env("PATH", path_with_tools(root))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    })
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

pub fn ensure_frontend_tools(root: &Path) -> Result<()> {
    step("Checking the wasm32 target");
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup: is the Rust toolchain installed with rustup?")?;
    if String::from_utf8_lossy(&targets.stdout)
        .lines()
        .any(|l| l == "wasm32-unknown-unknown")
    {
        println!("wasm32-unknown-unknown: present");
    } else {
        run_cmd(&mut cmd(
            "rustup",
            &["target", "add", "wasm32-unknown-unknown"],
        ))?;
    }

    step("Checking trunk");
    match version_of("trunk", root) {
        Some(v) if v.contains(TRUNK_VERSION) => println!("{v}: present"),
        other => {
            println!(
                "trunk {TRUNK_VERSION} missing (found {other:?}): installing (several minutes)"
            );
            // Trunk's own release profile (fat LTO, one codegen unit) takes three times longer.
            run_cmd(
                cmd(
                    "cargo",
                    &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
                )
                .env("CARGO_PROFILE_RELEASE_LTO", "false")
                .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
            )?;
        }
    }

    let wb = locked_wasm_bindgen(root)?;
    step(&format!("Checking wasm-bindgen-cli {wb}"));
    match version_of("wasm-bindgen", root) {
        Some(v) if v.ends_with(&wb) => println!("{v}: present"),
        other => {
            println!("wasm-bindgen {wb} missing (found {other:?}): installing (several minutes)");
            // No --locked: its lockfile names a crate version the registry lacks.
            run_cmd(&mut cmd(
                "cargo",
                &["install", "wasm-bindgen-cli", "--version", &wb],
            ))?;
        }
    }

    step(&format!(
        "Checking wasm-opt (npm binaryen@{BINARYEN_VERSION})"
    ));
    match version_of("wasm-opt", root) {
        Some(v) if v.contains(&format!("version {BINARYEN_VERSION}")) => println!("{v}: present"),
        other => {
            println!("wasm-opt {BINARYEN_VERSION} missing (found {other:?}): npm ci in tools/");
            run_cmd(
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(root.join("tools")),
            )
            .context("installing binaryen from npm (is Node.js with npm installed?)")?;
        }
    }
    Ok(())
}

/// cargo-fuzz, for `cargo xtask fuzz` (about a minute to install).
pub fn ensure_cargo_fuzz(root: &Path) -> Result<()> {
    step(&format!("Checking cargo-fuzz {CARGO_FUZZ_VERSION}"));
    // `cargo-fuzz --version` prints `cargo-fuzz 0.13.2`.
    match version_of("cargo-fuzz", root) {
        Some(v) if v.split_whitespace().last() == Some(CARGO_FUZZ_VERSION) => {
            println!("{v}: present");
            Ok(())
        }
        other => {
            println!("cargo-fuzz {CARGO_FUZZ_VERSION} missing (found {other:?}): installing");
            let locked = run_cmd(&mut cmd(
                "cargo",
                &[
                    "install",
                    "cargo-fuzz",
                    "--version",
                    CARGO_FUZZ_VERSION,
                    "--locked",
                ],
            ));
            if locked.is_ok() {
                return Ok(());
            }
            // The registry may lack a version its lockfile names: resolve afresh.
            println!("the locked install failed: trying without --locked");
            run_cmd(&mut cmd(
                "cargo",
                &["install", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION],
            ))
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let sudo = if is_root() { vec![] } else { vec!["sudo"] };
    let run = |args: &[&str]| -> Result<()> {
        let mut all: Vec<&str> = sudo.clone();
        all.extend_from_slice(args);
        run_cmd(cmd(all[0], &all[1..]).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    run(&["apt-get", "update"])?;
    let mut args = vec!["apt-get", "install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(&args).with_context(|| {
        format!(
            "installing {} with apt-get (run as root or with sudo)",
            packages.join(" ")
        )
    })
}

pub fn ensure_test_tools() -> Result<()> {
    step("Checking Chromium and ChromeDriver");
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push("chromium");
    }
    if !Path::new(CHROMEDRIVER).exists() {
        missing.push("chromium-driver");
    }
    step("Checking the PostgreSQL server");
    if crate::postgres::bin_dir().is_none() {
        missing.push("postgresql");
    }
    if missing.is_empty() {
        println!("chromium, chromium-driver, postgresql: present");
        return Ok(());
    }
    println!("installing {}", missing.join(", "));
    apt_install(&missing)
}
