//! Where cargo puts what it builds. Asked of cargo (`cargo metadata`), because
//! `CARGO_TARGET_DIR` or a cargo config file may put it outside the workspace (one target
//! folder shared between checkouts), and every command that runs a built binary must find it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, Result};

/// The workspace's target directory, as cargo resolves it for this process's environment.
pub fn target_dir(root: &Path) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        query(root, &mut Command::new("cargo"))
            .unwrap_or_else(|e| panic!("asking cargo for its target directory: {e:#}"))
    })
}

fn query(root: &Path, cargo: &mut Command) -> Result<PathBuf> {
    let out = cargo
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    anyhow::ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let dir = meta["target_directory"]
        .as_str()
        .context("cargo metadata names no target_directory")?;
    Ok(PathBuf::from(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_follows_cargo_target_dir() {
        let root = crate::project_root();
        let elsewhere = std::env::temp_dir().join("intake-shared-target");
        let mut cargo = Command::new("cargo");
        cargo.env("CARGO_TARGET_DIR", &elsewhere);
        assert_eq!(query(&root, &mut cargo).unwrap(), elsewhere);
        let mut cargo = Command::new("cargo");
        cargo.env_remove("CARGO_TARGET_DIR");
        assert_eq!(query(&root, &mut cargo).unwrap(), root.join("target"));
    }
}
