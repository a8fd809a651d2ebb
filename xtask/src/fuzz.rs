//! `cargo xtask fuzz`: runs the cargo-fuzz target `import` (fuzz/fuzz_targets/import.rs) for
//! a bounded time. Only stable Rust exists here, so cargo-fuzz's `-Z` flags are allowed with
//! `RUSTC_BOOTSTRAP=1`. No sanitizer: `shared` forbids unsafe code, so AddressSanitizer would
//! find nothing the panics don't, at a third of the speed. The corpus grows under
//! `fuzz/corpus/import` (not committed) from the fixtures in `shared/tests/corpus`.

use std::path::Path;

use anyhow::{Context, Result};

use crate::{cmd, run_cmd, step, tools};

pub const DEFAULT_SECS: u64 = 60;

pub fn parse_secs(args: &[String]) -> Result<u64> {
    match args {
        [] => Ok(DEFAULT_SECS),
        [flag, v] if flag == "--secs" => v
            .parse()
            .with_context(|| format!("--secs {v}: not a number")),
        _ => anyhow::bail!("usage: cargo xtask fuzz [--secs N]"),
    }
}

pub fn fuzz(root: &Path, secs: u64) -> Result<()> {
    tools::ensure_cargo_fuzz(root)?;
    let corpus = root.join("fuzz/corpus/import");
    std::fs::create_dir_all(&corpus)?;
    step(&format!(
        "Fuzzing the import pipeline for {secs} s (cargo fuzz run import, no sanitizer; a \
         first build takes a few minutes)"
    ));
    let max_time = format!("-max_total_time={secs}");
    let result = run_cmd(
        cmd(
            "cargo",
            &[
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                "import",
                "fuzz/corpus/import",
                "shared/tests/corpus",
                "--",
                &max_time,
                "-max_len=65536",
                "-timeout=20",
                "-print_final_stats=1",
            ],
        )
        .env("RUSTC_BOOTSTRAP", "1")
        .env("PATH", tools::path_with_tools(root)),
    );
    if result.is_err() {
        eprintln!(
            "\nThe fuzzer found an input that breaks an import invariant: it is under \
             fuzz/artifacts/import/. Reproduce it with\n  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none \
             import fuzz/artifacts/import/<file>\nthen copy it to shared/tests/fuzz/ (a \
             regression test runs every file there) and fix the cause."
        );
    }
    result
}
