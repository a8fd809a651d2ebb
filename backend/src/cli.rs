//! The `intake` command line. Every flag also reads an `INTAKE_*` environment variable.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shared::api::{CustomerFilter, ImportStatus, OnDuplicate};
use shared::settings::ReadSettings;

mod dry_run;
mod import;
mod lang;
mod values;

use crate::export;
use crate::ingest::{self, SpoolLimits};
use crate::queue::QueueConfig;
use crate::rules;
use crate::storage::{self, DatabaseUrl, Storage};
use crate::{AppState, Config};

#[derive(Parser, Debug)]
#[command(
    name = "intake",
    version,
    about = "Customer import and export for an online store"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `intake` alone means `intake serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server and the queue workers (the default).
    Serve(ServeArgs),
    /// Show what the importer would do with a file, without touching a database.
    Inspect(InspectArgs),
    /// Queue the import of a CSV file (the running server's workers process it).
    Import(ImportArgs),
    /// Write customers as CSV to standard output.
    Export(ExportArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// `sqlite://path` or a file path (created if missing), or `postgres://...`; any other
    /// scheme is refused.
    #[arg(
        long,
        env = "INTAKE_DATABASE_URL",
        default_value = "sqlite://data/intake.db",
        value_parser = parse_database_url
    )]
    pub database_url: DatabaseUrl,
    /// Where uploads and the default SQLite database live.
    #[arg(long, env = "INTAKE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[arg(long, env = "INTAKE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The built frontend (Trunk's dist directory).
    #[arg(long, env = "INTAKE_DIST")]
    pub dist: Option<PathBuf>,
    /// Queue workers in this process.
    #[arg(long, env = "INTAKE_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Seconds a worker's claim on a job lasts without a heartbeat (1 to 86,400: a lease
    /// of 0 expires as it is taken, so every import would fail).
    #[arg(long, env = "INTAKE_LEASE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(i64).range(MIN_LEASE_SECS..=86_400))]
    pub lease_secs: i64,
    /// How often idle workers look for jobs, in milliseconds (jobs queued by this server
    /// wake them at once; this bounds the wait for jobs queued elsewhere, e.g. `intake import`).
    /// 10 to 60,000: polling with no pause would keep a core busy.
    #[arg(long, env = "INTAKE_POLL_MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(MIN_POLL_MS..=60_000))]
    pub poll_ms: u64,
    /// Delay before retrying a failed job attempt, in milliseconds (times the attempt number).
    #[arg(long, env = "INTAKE_RETRY_DELAY_MS", default_value_t = 2000)]
    pub retry_delay_ms: u64,
    /// Rows of an import applied per database transaction (a whole number of batches,
    /// at least one): larger is faster, smaller makes other writers wait less.
    #[arg(long, env = "INTAKE_ROWS_PER_TRANSACTION", default_value_t = 50_000)]
    pub rows_per_transaction: i64,
    /// Seconds a request may take to get its response started (raw CSV uploads are exempt;
    /// streamed responses are not cut once started).
    #[arg(long, env = "INTAKE_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send its request headers (slow clients are cut off).
    #[arg(long, env = "INTAKE_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight, whatever it sent
    /// (nothing, part of a request, an HTTP/2 preface) or after its last response.
    #[arg(long, env = "INTAKE_IDLE_TIMEOUT_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
    /// Most connections open at once; lowered to fit the open-file limit. Past it, new
    /// connections wait and idle ones are closed after a second.
    #[arg(long, env = "INTAKE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Largest raw CSV upload, in bytes.
    #[arg(long, env = "INTAKE_MAX_UPLOAD_BYTES", default_value_t = 1 << 30)]
    pub max_upload_bytes: u64,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "INTAKE_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Let webhook endpoints be loopback, link-local, private (RFC 1918, unique local),
    /// shared (CGNAT) addresses or names resolving to them (refused by default: an admin
    /// could otherwise make the server call services inside its network).
    #[arg(long, env = "INTAKE_ALLOW_PRIVATE_WEBHOOKS", default_value_t = false)]
    pub allow_private_webhooks: bool,
    /// Wait after a webhook delivery's first failed attempt, in milliseconds; it doubles
    /// after each further one (at most an hour), for up to --webhook-max-attempts attempts.
    #[arg(long, env = "INTAKE_WEBHOOK_RETRY_BASE_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhook_retry_base_ms: u64,
    /// Attempts at a webhook delivery before it ends failed.
    #[arg(long, env = "INTAKE_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(i64).range(1..=100))]
    pub webhook_max_attempts: i64,
    #[command(flatten)]
    pub db: DbArgs,
}

/// The shortest job lease, in seconds.
const MIN_LEASE_SECS: i64 = 1;
/// The shortest pause between idle workers' looks for jobs, in milliseconds.
const MIN_POLL_MS: u64 = 10;

/// `--database-url`: refused here, before anything is opened or created, unless it names
/// an engine Intake has.
fn parse_database_url(s: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(s).map_err(|e| e.to_string())
}

/// A value refused by one of the [`rules`], named by the flag it came in.
fn refused(flag: &str, e: rules::RuleError) -> anyhow::Error {
    anyhow::anyhow!("{flag}: {e}")
}

/// `--header`: the words [`shared::import::HeaderChoice::parse`] takes.
fn parse_header(s: &str) -> Result<shared::import::HeaderChoice, String> {
    shared::import::HeaderChoice::parse(s).ok_or_else(|| format!("use auto, yes or no, not {s}"))
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    pub file: PathBuf,
    /// A WHATWG label such as utf-8, windows-1251, utf-16le.
    #[arg(long)]
    pub encoding: Option<String>,
    /// `,` `;` `tab` or `|`.
    #[arg(long)]
    pub delimiter: Option<String>,
    #[arg(long, value_parser = parse_header, default_value = "auto")]
    pub header: shared::import::HeaderChoice,
    /// Print the machine-readable report.
    #[arg(long)]
    pub json: bool,
    /// For a workbook (.xlsx, .xls, .ods): the sheet to read, by name (default: the first
    /// holding a value). The report lists the workbook's sheets.
    #[arg(long)]
    pub sheet: Option<String>,
    /// The language of the messages about rows and the file: en or bg (default: the
    /// locale's, from LC_ALL, LC_MESSAGES or LANG, when it is Bulgarian; else en).
    #[arg(long, value_parser = lang::parse_lang)]
    pub lang: Option<shared::messages::Lang>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnDuplicateArg {
    Skip,
    Update,
    UpdateNonBlank,
}

impl From<OnDuplicateArg> for OnDuplicate {
    fn from(a: OnDuplicateArg) -> Self {
        match a {
            OnDuplicateArg::Skip => OnDuplicate::Skip,
            OnDuplicateArg::Update => OnDuplicate::Update,
            OnDuplicateArg::UpdateNonBlank => OnDuplicate::UpdateNonBlank,
        }
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// The customer group the customers join (created if missing).
    #[arg(long, default_value = "Default")]
    pub group: String,
    #[arg(long, value_enum, default_value = "skip")]
    pub on_duplicate: OnDuplicateArg,
    #[arg(long)]
    pub encoding: Option<String>,
    #[arg(long)]
    pub delimiter: Option<String>,
    #[arg(long, value_parser = parse_header, default_value = "auto")]
    pub header: shared::import::HeaderChoice,
    /// Map the columns with this saved mapping profile (by name). Without it, a profile
    /// saved for the file's headers applies, if there is one.
    #[arg(long)]
    pub profile: Option<String>,
    /// For a workbook (.xlsx, .xls, .ods): the sheet to import, by name (default: the first
    /// holding a value).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Follow the job until it ends, printing progress.
    #[arg(long)]
    pub wait: bool,
    /// Say what the import would do to the stored customers (counts and up to 100 sample
    /// updates), then leave it cancelled: applied and rolled back, nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// What a consent value means: VALUE=yes, VALUE=no or VALUE=error (repeat the flag).
    /// Checked before the built-in vocabularies.
    #[arg(long = "consent-value", value_name = "VALUE=yes|no|error")]
    pub consent_values: Vec<String>,
    /// The group a group value's customers go to: VALUE=GROUP (repeat the flag; the value
    /// ends at the first `=`).
    #[arg(long = "group-value", value_name = "VALUE=GROUP")]
    pub group_values: Vec<String>,
    /// A JSON file with the value mapping, as the API's `values`; the flags above are laid
    /// over it.
    #[arg(long, value_name = "FILE.json")]
    pub value_map: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Only this group (by name).
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub accepts_marketing: Option<bool>,
    /// Text in name or email.
    #[arg(long)]
    pub q: Option<String>,
    #[arg(long)]
    pub import_id: Option<i64>,
    /// Created at or after this RFC 3339 time.
    #[arg(long)]
    pub created_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Created at or before this RFC 3339 time.
    #[arg(long)]
    pub created_to: Option<chrono::DateTime<chrono::Utc>>,
    /// comma, semicolon or tab.
    #[arg(long, default_value = "comma")]
    pub delimiter: String,
    /// Start with a byte-order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// The user the token acts as.
        #[arg(long, default_value = "admin")]
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(args).await,
        Command::Inspect(args) => inspect(args),
        Command::Import(args) => import::import(args).await,
        Command::Export(args) => export(args).await,
        Command::User {
            command: UserCommand::Create { username, db, .. },
        } => {
            let username = rules::username(&username).map_err(|e| refused("--username", e))?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = rules::password(password.trim_end_matches(['\r', '\n']))
                .map_err(|e| refused("the password on standard input", e))?;
            let storage = storage::connect(db.database_url.as_str()).await?;
            let hash = crate::auth::hash_password(password)?;
            let user = storage.create_user(username, &hash).await?;
            println!("created user {} (id {})", user.username, user.id);
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { name, username, db },
        } => {
            let name = rules::token_name(&name).map_err(|e| refused("--name", e))?;
            let storage = storage::connect(db.database_url.as_str()).await?;
            let (user, _) = storage
                .user_with_hash(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no user {username}"))?;
            let (secret, hash) = crate::auth::mint_token();
            storage.create_token(user.id, name, &hash).await?;
            println!("{secret}");
            Ok(())
        }
    }
}

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("INTAKE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing();
    let storage = storage::connect(args.db.database_url.as_str()).await?;
    if let Some(password) = crate::ensure_admin(
        storage.as_ref(),
        std::env::var("INTAKE_ADMIN_PASSWORD").ok(),
    )
    .await?
    {
        println!("First start: created the user admin with the password {password}");
        println!("(set INTAKE_ADMIN_PASSWORD before the first start to choose it)");
    }
    if storage.engine() == "sqlite" {
        // One server per SQLite file: a job left running was left by a dead process.
        storage.release_all_leases().await?;
    }
    sweep_uploads(storage.as_ref(), &args.db.data_dir).await?;
    if let Some(dist) = &args.dist
        && !dist.join("index.html").exists()
    {
        tracing::warn!(dist = %dist.display(), "no index.html in --dist: the UI will not load");
    }
    let state = AppState::new(
        storage.clone(),
        Config {
            data_dir: args.db.data_dir.clone(),
            dist_dir: args.dist.clone(),
            max_upload_bytes: args.max_upload_bytes,
            secure_cookies: args.secure_cookies,
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            allow_private_webhooks: args.allow_private_webhooks,
        },
    )?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    println!("Intake is running at http://{addr}");
    std::io::stdout().flush()?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let hooks = tokio::spawn(crate::webhooks::run_deliveries(
        storage.clone(),
        crate::webhooks::WebhookConfig {
            allow_private: args.allow_private_webhooks,
            poll: Duration::from_millis(args.poll_ms),
            max_attempts: args.webhook_max_attempts,
            retry_base: Duration::from_millis(args.webhook_retry_base_ms),
            ..crate::webhooks::WebhookConfig::default()
        },
        stop_rx.clone(),
    ));
    let workers = tokio::spawn(crate::queue::run_workers(
        storage,
        QueueConfig {
            workers: args.workers,
            lease_secs: args.lease_secs,
            poll: Duration::from_millis(args.poll_ms),
            retry_delay: Duration::from_millis(args.retry_delay_ms),
            rows_per_transaction: args.rows_per_transaction,
        },
        state.queue_wakeup.clone(),
        stop_rx,
    ));
    let app = crate::app(state);
    crate::server::serve(
        listener,
        app,
        crate::server::ServeLimits {
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            idle_timeout: Duration::from_secs(args.idle_timeout_secs),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        },
        shutdown_signal(),
    )
    .await?;
    let _ = stop_tx.send(true);
    let _ = workers.await;
    let _ = hooks.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn read_settings(
    encoding: Option<String>,
    delimiter: Option<&str>,
    header: shared::import::HeaderChoice,
) -> anyhow::Result<ReadSettings> {
    if let Some(label) = &encoding {
        anyhow::ensure!(
            shared::import::lookup_label(label, shared::import::default_decoders()).is_some(),
            "unknown encoding {label}"
        );
    }
    Ok(ReadSettings {
        encoding,
        delimiter: shared::import::parse_delimiter(delimiter.unwrap_or("auto"))
            .map_err(anyhow::Error::msg)?,
        has_header: header.has_header(),
        mapping: None,
        mapping_by_name: None,
        ..ReadSettings::default()
    })
}

fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let settings = read_settings(args.encoding, args.delimiter.as_deref(), args.header)?;
    let lang = lang::choose(args.lang, |k| std::env::var(k).ok());
    let Some(book) = ingest::workbook::text_of(&bytes, args.sheet.as_deref())? else {
        let mut report = shared::import::inspect(&bytes, &settings);
        report.translate(lang);
        let text = if args.json {
            serde_json::to_string_pretty(&report)? + "\n"
        } else {
            report.render_table()
        };
        return write_stdout(text.as_bytes());
    };
    let settings = shared::workbook::text_settings(&settings);
    let mut report = shared::import::inspect(&book.text, &settings);
    report.translate(lang);
    let text = if args.json {
        // The report's fields, and the workbook's: `sheets` (in order) and the `sheet` read.
        let mut json = serde_json::to_value(&report)?;
        json["sheets"] = serde_json::json!(book.sheets);
        json["sheet"] = serde_json::json!(book.sheet);
        serde_json::to_string_pretty(&json)? + "\n"
    } else {
        format!(
            "sheet: {} (sheets: {})\n{}",
            book.sheet,
            book.sheets.join(", "),
            report.render_table()
        )
    };
    write_stdout(text.as_bytes())
}

/// Write to standard output; a reader that went away (`intake inspect f | head`) is not an
/// error worth a panic.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Delete uploads no import needs any more (see `ingest::spool::sweep_orphans`).
async fn sweep_uploads(storage: &dyn Storage, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let in_use = storage
        .upload_paths_in_use()
        .await?
        .into_iter()
        .map(std::path::PathBuf::from)
        .collect();
    let removed = ingest::spool::sweep_orphans(data_dir, &in_use).await?;
    if removed > 0 {
        tracing::info!(removed, "deleted uploads no import needs any more");
    }
    Ok(())
}

/// The group called `name`, matched as the API matches group names (case-insensitively).
async fn find_group(
    storage: &dyn Storage,
    name: &str,
) -> anyhow::Result<Option<shared::api::Group>> {
    let key = storage::group_key(name);
    Ok(storage
        .list_groups()
        .await?
        .into_iter()
        .find(|g| storage::group_key(&g.name) == key))
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let storage: Arc<dyn Storage> = storage::connect(args.db.database_url.as_str()).await?;
    let group_id = match &args.group {
        None => None,
        Some(name) => Some(
            find_group(storage.as_ref(), name)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no group {name}"))?
                .id,
        ),
    };
    let filter = CustomerFilter {
        group_id,
        accepts_marketing: args.accepts_marketing,
        q: args.q,
        import_id: args.import_id,
        created_from: args.created_from,
        created_to: args.created_to,
    };
    let opts = export::export_options(Some(&args.delimiter), Some(args.bom))?;
    // The pages are written ahead into a channel, here in this task (not a spawned one):
    // when stdout's reader goes away, the writer is dropped with the reading side.
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let produce = export::write_export(storage.as_ref(), &filter, &opts, tx);
    let mut out = std::io::stdout().lock();
    let consume = async move {
        while let Some(chunk) = rx.recv().await {
            out.write_all(&chunk?)?;
        }
        out.flush()?;
        anyhow::Ok(())
    };
    let ((), written) = tokio::join!(produce, consume);
    match written {
        // The reader went away (`intake export | head`): it has what it wanted.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}
