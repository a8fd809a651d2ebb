//! `cargo xtask load`: builds the release server and `intake-load`, then runs the bounded
//! load test on loopback (a fixed mix for a fixed time or request count, while an import
//! runs) and prints throughput, p50/p99 and errors.

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
    step("Load test: list, search, batch upload and export while an import runs");
    run_cmd(
        Command::new(crate::paths::target_dir(root).join("release/intake-load"))
            .env(
                "INTAKE_BIN",
                crate::paths::target_dir(root).join("release/intake"),
            )
            .env("INTAKE_DIST", root.join("dist")),
    )
}
