//! A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary directory, started
//! with `pg_ctl` on a free port, stopped and deleted on drop. As root, the server runs as
//! the `postgres` user (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

pub fn bin_dir() -> Option<PathBuf> {
    let base = PathBuf::from("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&base)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Settings of a dedicated database server for the benchmark: PostgreSQL's own defaults
/// (128 MB of shared buffers, 1 GB of WAL between checkpoints) are placeholders meant for
/// any machine; a million customers (about 550 MB with indexes) need more to stay cached.
pub const SERVER_SETTINGS: &[&str] = &["shared_buffers=1GB", "max_wal_size=4GB"];

impl Cluster {
    /// A cluster with PostgreSQL's default settings (plus `fsync=off`: it is thrown away).
    pub fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    /// A cluster with these `name=value` settings added.
    pub fn start_with(settings: &[&str]) -> Result<Self> {
        let bin = bin_dir().context("no PostgreSQL server binaries under /usr/lib/postgresql")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("intake-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        if as_postgres {
            crate::run_cmd(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
        }
        let cluster = Self {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "intake",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.display()
        );
        for setting in settings {
            opts.push_str(" -c ");
            opts.push_str(setting);
        }
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &cluster.dir.join("log").display().to_string(),
                "-w",
                "start",
            ],
        )?;
        cluster.pg(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "intake",
                "intake",
            ],
        )?;
        Ok(cluster)
    }

    pub fn url(&self) -> String {
        format!("postgres://intake@127.0.0.1:{}/intake", self.port)
    }

    /// A new, empty database in the cluster; its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        self.pg(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "intake",
                name,
            ],
        )?;
        Ok(format!("postgres://intake@127.0.0.1:{}/{name}", self.port))
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<()> {
        let program = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        c.args(args).current_dir(&self.dir);
        let out = c.output().with_context(|| format!("running {tool}"))?;
        if !out.status.success() {
            bail!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
