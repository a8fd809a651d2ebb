//! `cargo xtask load`: builds the release server and `intake-load`, then runs the bounded
//! load test on loopback (a fixed mix for a fixed time or request count, while an import
//! runs) and prints throughput, p50/p99 and errors: on SQLite, then on a throwaway
//! PostgreSQL cluster set up as the benchmark's.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::{cmd, run_cmd, step};

pub fn run(root: &Path) -> Result<()> {
    step("Building the server and the load generator (release)");
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
            "intake-load",
        ],
    ))?;
    let load = crate::paths::target_dir(root).join("release/intake-load");
    let run = |engine: &str, database_url: Option<String>| {
        step(&format!(
            "Load test on {engine}: list, search, batch upload and export while an import runs"
        ));
        let mut c = Command::new(&load);
        c.env(
            "INTAKE_BIN",
            crate::paths::target_dir(root).join("release/intake"),
        )
        .env("INTAKE_DIST", root.join("dist"));
        if let Some(url) = database_url {
            c.env("LOAD_DATABASE_URL", url);
        }
        run_cmd(&mut c)
    };
    run("SQLite", None)?;
    step("Starting a throwaway PostgreSQL cluster, set up as a dedicated server");
    let pg = crate::postgres::Cluster::start_with(crate::postgres::SERVER_SETTINGS)?;
    run("PostgreSQL", Some(pg.url()))
}
