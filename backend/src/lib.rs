//! Intake's backend: the REST API (axum), the durable import queue, storage on SQLite or
//! PostgreSQL (sqlx), exports, and the `intake` command line. See ARCHITECTURE.md.
//!
//! The domain sits beside the HTTP layer, not in it: `ingest` (validating batches,
//! spooling and splitting uploads) and `export` are called by `api`, `cli` and `queue`;
//! nothing outside `api` uses `api` except [`app`], which composes its router.

pub mod api;
pub mod auth;
pub mod cli;
pub mod cpu;
pub mod error;
pub mod export;
pub mod extract;
pub mod ingest;
pub mod queue;
pub mod report;
pub mod rules;
pub mod server;
pub mod storage;
pub mod task;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::storage::Storage;

/// Settings the HTTP layer needs at run time.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub dist_dir: Option<PathBuf>,
    pub max_upload_bytes: u64,
    pub secure_cookies: bool,
    /// Time a request may take until its response starts (raw CSV uploads exempt).
    pub request_timeout: Duration,
    /// Webhook endpoints may name loopback, link-local and private addresses.
    pub allow_private_webhooks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            dist_dir: None,
            max_upload_bytes: 1 << 30,
            secure_cookies: false,
            request_timeout: Duration::from_secs(60),
            allow_private_webhooks: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub config: Arc<Config>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    /// When this process last began to record each API token's use.
    pub token_uses: Arc<auth::TokenUses>,
    /// Wakes idle queue workers when a job is queued.
    pub queue_wakeup: Arc<Notify>,
    /// Verified against for unknown user names, so sign-in takes as long either way.
    pub dummy_hash: String,
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, config: Config) -> anyhow::Result<Self> {
        Ok(Self {
            storage,
            config: Arc::new(config),
            login_limiter: Arc::new(auth::LoginLimiter::new(auth::LoginPolicy::default())),
            token_uses: Arc::default(),
            queue_wakeup: Arc::new(Notify::new()),
            dummy_hash: auth::hash_password(&auth::random_token(16))?,
        })
    }
}

/// The whole HTTP application; tests call it in process. The one composition root: the
/// only place outside `api` that names it.
pub fn app(state: AppState) -> axum::Router {
    api::router(state)
}

/// Create the `admin` user on first start; returns the password if it was generated. A
/// given password shorter than [`rules::MIN_PASSWORD_CHARS`] is an error.
pub async fn ensure_admin(
    storage: &dyn Storage,
    password: Option<String>,
) -> anyhow::Result<Option<String>> {
    if storage.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            // The same minimum as every other password, checked before anything is stored.
            rules::password(&p).map_err(|e| anyhow::anyhow!("INTAKE_ADMIN_PASSWORD: {e}"))?;
            (p, false)
        }
        None => (auth::random_token(12), true),
    };
    let hash = tokio::task::spawn_blocking({
        let p = password.clone();
        move || auth::hash_password(&p)
    })
    .await??;
    storage.create_user("admin", &hash).await?;
    Ok(generated.then_some(password))
}
