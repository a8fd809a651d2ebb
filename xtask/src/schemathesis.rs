//! `cargo xtask schemathesis` (and the last step of `cargo xtask test`): Schemathesis, an
//! independent property-based OpenAPI tester, against the real debug binary on SQLite and on
//! PostgreSQL. Every documented operation, every phase (examples, coverage, fuzzing and the
//! stateful sequences built from the document's links), the checks in [`CHECKS`], a fixed
//! example budget and seed; any failure fails the step.
//!
//! Schemathesis comes from PyPI, pinned ([`VERSION`]), into a venv under the target
//! directory; the install is skipped when that version is there. Its configuration and the
//! one hook the run needs are in `xtask/schemathesis/`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{cmd, paths, postgres, run_cmd, step};

/// The Schemathesis release the run is pinned to.
pub const VERSION: &str = "4.32.5";
/// Test cases per operation and phase: both engines together take a few minutes.
pub const MAX_EXAMPLES: u32 = 50;
/// One seed, so a failure found in CI is found again locally.
pub const SEED: u64 = 19;
/// Every check Schemathesis has that applies to this API (see `xtask/schemathesis/` and
/// RELIABILITY.md for what each holds the server to).
pub const CHECKS: &str = "all";

/// The venv's `schemathesis` command, installed first if missing.
pub fn ensure_installed(root: &Path) -> Result<PathBuf> {
    let venv = paths::target_dir(root).join("schemathesis-venv");
    let bin = venv.join("bin/schemathesis");
    step(&format!("Checking Schemathesis {VERSION}"));
    if installed_version(&bin).as_deref() == Some(VERSION) {
        println!("schemathesis {VERSION}: present");
        return Ok(bin);
    }
    println!("installing schemathesis=={VERSION} into {}", venv.display());
    run_cmd(cmd("python3", &["-m", "venv"]).arg(&venv))?;
    run_cmd(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        &format!("schemathesis=={VERSION}"),
    ]))?;
    Ok(bin)
}

fn installed_version(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

/// `schemathesis, version 4.32.5` -> `4.32.5`.
fn parse_version(out: &str) -> Option<String> {
    out.trim()
        .rsplit_once("version ")
        .map(|(_, v)| v.trim().to_owned())
}

/// `cargo xtask schemathesis`: build the server, then run on SQLite and on a throwaway
/// PostgreSQL cluster.
pub fn run_standalone(root: &Path) -> Result<()> {
    let st = ensure_installed(root)?;
    step("Building the server");
    // The package set of `cargo xtask test`'s PostgreSQL step, so its binary is reused.
    run_cmd(&mut cmd(
        "cargo",
        &["test", "--no-run", "-p", "backend", "-p", "xtask"],
    ))?;
    step("Starting a throwaway PostgreSQL cluster");
    let pg = postgres::Cluster::start()?;
    run_engines(root, &st, &pg)
}

/// The run on SQLite, then on a new database of `pg`.
pub fn run_engines(root: &Path, st: &Path, pg: &postgres::Cluster) -> Result<()> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("intake-schemathesis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}", dir.join("intake.db").display());
    let result = run_one(root, st, &dir.join("sqlite"), &sqlite).and_then(|()| {
        let url = pg.create_database("schemathesis")?;
        run_one(root, st, &dir.join("postgres"), &url)
    });
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "Schemathesis passed on SQLite and PostgreSQL in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!("The servers' logs are under {}", dir.display());
    }
    result
}

/// One engine: start the server, create a token, run Schemathesis against the document the
/// server serves.
fn run_one(root: &Path, st: &Path, dir: &Path, database_url: &str) -> Result<()> {
    let engine = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    step(&format!("Schemathesis against the API on {engine}"));
    std::fs::create_dir_all(dir)?;
    let bin = paths::target_dir(root).join("debug/intake");
    let server = Server::start(&bin, dir, database_url)?;
    let out = Command::new(&bin)
        .args(["token", "create", "--name", "schemathesis"])
        .args(["--database-url", database_url, "--data-dir"])
        .arg(dir.join("data"))
        .output()
        .context("running intake token create")?;
    if !out.status.success() {
        bail!(
            "intake token create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let token = String::from_utf8(out.stdout)?.trim().to_owned();
    let tokens: serde_json::Value = serde_json::from_str(&server.get("/api/tokens", &token)?)?;
    let token_id = tokens
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == "schemathesis"))
        .and_then(|t| t["id"].as_i64())
        .context("the new token is not in GET /api/tokens")?;
    // The document as the server serves it (reading it needs the token; Schemathesis
    // would send the token to it as a plain header, which its auth checks then misread).
    let document = dir.join("openapi.json");
    std::fs::write(&document, server.get("/api/openapi.json", &token)?)?;
    let base_url = format!("http://{}", server.addr);
    let max_examples = MAX_EXAMPLES.to_string();
    let seed = SEED.to_string();
    let config = root.join("xtask/schemathesis");
    // A fresh working directory: Schemathesis keeps its example database and crash cache
    // there, and a run must not depend on an earlier one.
    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;
    let mut c = Command::new(st);
    c.arg("--config-file")
        .arg(config.join("schemathesis.toml"))
        .arg("run")
        .arg(&document)
        .args(["--url", &base_url])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &max_examples, "--seed", &seed])
        .args(["--no-color", "--workers", "1"])
        .env("INTAKE_FUZZ_TOKEN", &token)
        .env("INTAKE_FUZZ_TOKEN_ID", token_id.to_string())
        .env("SCHEMATHESIS_HOOKS", config.join("hooks.py"))
        .current_dir(&work);
    let result = run_cmd(&mut c);
    drop(server);
    result.with_context(|| format!("Schemathesis found failures on {engine}"))
}

/// The real server on a free port, stopped on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(bin: &Path, dir: &Path, database_url: &str) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr, "--database-url", database_url])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env("INTAKE_ADMIN_PASSWORD", "schemathesis admin password")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.get("/healthz", "").is_err() {
            if Instant::now() > deadline {
                bail!("intake did not answer /healthz within 60 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(server)
    }

    /// A GET with the bearer token; the body of a 200.
    fn get(&self, path: &str, token: &str) -> Result<String> {
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n",
            self.addr
        )?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        ok_body(&String::from_utf8_lossy(&raw)).with_context(|| format!("GET {path}"))
    }
}

/// The body of a plain (not chunked) HTTP/1.1 200 response.
fn ok_body(raw: &str) -> Result<String> {
    let (head, body) = raw.split_once("\r\n\r\n").context("no end of headers")?;
    let status = head.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 200") {
        bail!("answered {status}");
    }
    if head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"))
    {
        bail!("a chunked answer");
    }
    Ok(body.to_owned())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_version_is_read_from_its_banner() {
        assert_eq!(
            parse_version("schemathesis, version 4.32.5\n").as_deref(),
            Some("4.32.5")
        );
        assert_eq!(parse_version("command not found"), None);
    }

    #[test]
    fn only_a_plain_200_gives_its_body() {
        let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"a\":1}";
        assert_eq!(ok_body(ok).unwrap(), "{\"a\":1}");
        assert!(ok_body("HTTP/1.1 401 Unauthorized\r\n\r\n{}").is_err());
        assert!(ok_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}").is_err());
        assert!(ok_body("HTTP/1.1 200 OK").is_err());
    }
}
