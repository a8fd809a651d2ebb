//! What end-to-end tests and benchmarks need: a running `intake`, a browser session, and
//! finders by accessible name.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};

pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Where screenshots of each page go, to look at after a run.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `intake serve`, killed on drop.
pub struct Server {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

/// How to start a server; the defaults come from `INTAKE_BIN` and `INTAKE_DIST` (as
/// `cargo xtask test` sets them) or the debug build and `dist/`.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    pub database_url: Option<String>,
    pub bin: Option<PathBuf>,
    pub dist: Option<PathBuf>,
    pub extra_args: Vec<String>,
}

impl Server {
    /// Start on SQLite in a temp dir, or on `database_url` when given.
    pub async fn start(database_url: Option<String>) -> Result<Server> {
        Self::start_with(ServerOptions {
            database_url,
            ..ServerOptions::default()
        })
        .await
    }

    pub async fn start_with(options: ServerOptions) -> Result<Server> {
        let database_url = options.database_url;
        let bin = options
            .bin
            .or_else(|| std::env::var_os("INTAKE_BIN").map(PathBuf::from))
            .unwrap_or_else(|| workspace_root().join("target/debug/intake"));
        let dist = options
            .dist
            .or_else(|| std::env::var_os("INTAKE_DIST").map(PathBuf::from))
            .unwrap_or_else(|| workspace_root().join("dist"));
        if !bin.exists() {
            bail!(
                "{} is missing: run `cargo xtask test` (it builds the binary)",
                bin.display()
            );
        }
        if !dist.join("index.html").exists() {
            bail!(
                "{} has no index.html: run `cargo xtask dist`",
                dist.display()
            );
        }
        let dir = tempfile::tempdir()?;
        let port = free_port();
        let db = database_url
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("intake.db").display()));
        let child = Command::new(&bin)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &db,
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--dist")
            .arg(&dist)
            .args(&options.extra_args)
            .env("INTAKE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    /// The server's process id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_until_healthy(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.url)).await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("intake did not answer /healthz within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A chromedriver process and a headless Chromium session.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Where the browser saves downloads (inside its profile).
    downloads: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Result<Browser> {
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chrome = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {driver_bin}"))?;
        let profile = tempfile::tempdir()?;
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": profile.path().join("downloads").display().to_string(),
                    "download.prompt_for_download": false
                }
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    bail!("chromedriver did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Browser {
            client,
            driver,
            downloads: profile.path().join("downloads"),
            _profile: profile,
        })
    }

    /// The bytes of the file the browser downloaded as `name`, once it is complete.
    pub async fn downloaded(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.downloads.join(name);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Chromium writes `name.crdownload` and renames it when done.
            if path.exists() {
                return Ok(std::fs::read(&path)?);
            }
            if Instant::now() > deadline {
                bail!("{name} was not downloaded within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn screenshot(&self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// The form control whose `<label>` reads `label`.
    pub async fn by_label(&self, label: &str) -> Result<Element> {
        let xpath = label_xpath(label);
        self.wait_for(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no control labelled {label:?}"))
    }

    /// Open the import page (English UI) and choose `bytes` as the file `name`, written into
    /// `server`'s directory.
    pub async fn open_import(&self, server: &Server, name: &str, bytes: &[u8]) -> Result<()> {
        self.client
            .goto(&format!("{}/customers/import", server.url))
            .await?;
        let path = fixture(server.dir.path(), name, bytes);
        self.by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        Ok(())
    }

    /// Click the control labelled `label`, again if the page replaced it between finding
    /// and clicking (a list that re-rendered after a refetch).
    pub async fn click_label(&self, label: &str) -> Result<()> {
        let mut tries = 0;
        loop {
            match self.by_label(label).await?.click().await {
                Ok(_) => return Ok(()),
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("clicking {label:?} again: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Wait until no form control is labelled `label` (a form that closed).
    pub async fn wait_for_no_label(&self, label: &str) -> Result<()> {
        let xpath = label_xpath(label);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self
            .client
            .find_all(Locator::XPath(&xpath))
            .await?
            .is_empty()
        {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the control labelled {label:?} never went away"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// The button or link whose accessible name is `name`: its `aria-label`, or else its
    /// visible text.
    pub async fn by_name(&self, name: &str) -> Result<Element> {
        let xpath = format!(
            "//button[@aria-label={q} or (not(@aria-label) and normalize-space()={q})] \
             | //a[@aria-label={q} or (not(@aria-label) and normalize-space()={q})]",
            q = xpath_literal(name)
        );
        self.wait_for(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button or link named {name:?}"))
    }

    /// Wait until some element contains `text`.
    pub async fn wait_for_text(&self, text: &str) -> Result<Element> {
        let xpath = format!(
            "//*[contains(normalize-space(text()), {})]",
            xpath_literal(text)
        );
        self.wait_for(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("the text {text:?} never appeared"))
    }

    /// Wait for one of the result counters ("2 Created") to read `n`.
    pub async fn wait_for_count(&self, n: u64, label: &str) -> Result<Element> {
        let xpath = format!(
            "//div[strong={} and contains(., {})]",
            xpath_literal(&n.to_string()),
            xpath_literal(label)
        );
        self.wait_for(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no counter {n} {label}"))
    }

    pub async fn wait_for(&self, locator: Locator<'_>) -> Result<Element> {
        Ok(self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .every(Duration::from_millis(100))
            .for_element(locator)
            .await?)
    }

    pub async fn sign_in(&self, base: &str) -> Result<()> {
        self.client.goto(base).await?;
        self.by_label("User name").await?.send_keys("admin").await?;
        self.by_label("Password")
            .await?
            .send_keys(ADMIN_PASSWORD)
            .await?;
        self.by_name("Sign in").await?.click().await?;
        self.wait_for_text("Customers").await?;
        Ok(())
    }

    pub async fn quit(mut self) -> Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

/// A string as an XPath literal, whatever quotes it holds.
/// The form controls whose `<label>` (or `aria-label`) reads `label`.
fn label_xpath(label: &str) -> String {
    format!(
        "//*[@id=//label[normalize-space()={q}]/@for] | //label[normalize-space()={q}]//input | //*[@aria-label={q}]",
        q = xpath_literal(label)
    )
}

fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("concat('{}')", s.replace('\'', "', \"'\", '"))
    }
}

/// Write a fixture file into `dir` and return its absolute path.
pub fn fixture(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
