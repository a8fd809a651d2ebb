//! The real `intake` binary: killed with SIGKILL mid-import and restarted, its command line,
//! and two servers sharing one PostgreSQL queue.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{PASSWORD, databases};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_intake");

/// `intake` with a clean environment for its `INTAKE_*` settings.
pub(crate) fn intake(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("INTAKE_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

/// Run a command line to its end; panics with its output if it fails.
pub(crate) fn run(mut cmd: Command, stdin: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `intake serve` options of every test server: a free port, quick polling and retries.
pub(crate) fn serve_args(db: &str, data: &Path) -> Vec<String> {
    [
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db,
        "--data-dir",
        &data.to_string_lossy(),
        "--poll-ms",
        "20",
        "--retry-delay-ms",
        "100",
    ]
    .map(str::to_owned)
    .to_vec()
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) log: PathBuf,
}

impl Server {
    pub(crate) fn start(db: &str, data: &Path, name: &str, extra: &[&str]) -> Server {
        let mut cmd = intake(&["serve"]);
        cmd.args(serve_args(db, data)).args(extra);
        Server::start_command(cmd, data, name)
    }

    /// Start `cmd`, which runs `intake serve` (perhaps through a wrapper), logging to
    /// `log_dir/name.log`.
    pub(crate) fn start_command(mut cmd: Command, log_dir: &Path, name: &str) -> Server {
        let log = log_dir.join(format!("{name}.log"));
        cmd.env("INTAKE_ADMIN_PASSWORD", PASSWORD)
            .env("INTAKE_LOG", "info,sqlx=warn,tower_http=warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Intake is running at ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "{name} did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Server { child, base, log }
    }

    pub(crate) fn kill(&mut self) {
        // std's kill is SIGKILL on Unix: no shutdown code runs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The job ids this server's workers claimed, from its log.
    fn claimed_jobs(&self) -> Vec<i64> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.contains("job claimed"))
            .filter_map(|l| {
                let rest = &l[l.find(" job=")? + 5..];
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Client {
    pub(crate) fn new(server: &Server, token: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.base.clone(),
            token: token.to_owned(),
        }
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Create an import, send its batches, commit; returns the id.
    pub(crate) async fn import(&self, batches: &[Value]) -> i64 {
        let (status, import) = self
            .send(
                reqwest::Method::POST,
                "/api/imports",
                Some(json!({"file_name": "big.csv", "on_duplicate": "skip"})),
            )
            .await;
        assert_eq!(status, 201, "{import}");
        let id = import["id"].as_i64().unwrap();
        let mut rows = 0;
        for (seq, batch) in batches.iter().enumerate() {
            rows += batch.as_array().unwrap().len();
            let (status, body) = self
                .send(
                    reqwest::Method::PUT,
                    &format!("/api/imports/{id}/batches/{seq}"),
                    Some(json!({ "rows": batch })),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/imports/{id}/commit"),
                Some(json!({"batch_count": batches.len(), "row_count": rows})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        id
    }

    pub(crate) async fn wait_for(&self, id: i64, secs: u64) -> Value {
        let start = Instant::now();
        loop {
            let import = self.get(&format!("/api/imports/{id}")).await;
            if ["completed", "failed", "cancelled"].contains(&import["status"].as_str().unwrap()) {
                return import;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "import {id} did not finish: {import}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub(crate) async fn job_of(&self, import_id: i64) -> Value {
        let jobs = self.get("/api/jobs?per_page=200").await;
        jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["import_id"] == import_id)
            .cloned()
            .unwrap()
    }

    /// The emails of the export, as written.
    pub(crate) async fn exported_emails(&self) -> Vec<String> {
        let res = self
            .http
            .get(format!("{}/api/customers/export.csv", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        csv_emails(&res.text().await.unwrap())
    }
}

/// The export holds exactly `distinct` (lower-cased), each once.
pub(crate) async fn assert_customers_are(client: &Client, distinct: &BTreeSet<String>) {
    let mut emails: Vec<String> = client
        .exported_emails()
        .await
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    let exported = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!(exported, emails.len(), "a customer was written twice");
    assert_eq!(&emails.into_iter().collect::<BTreeSet<_>>(), distinct);
}

/// The `email` column of an export (the test data has no quoted commas).
pub(crate) fn csv_emails(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_owned())
        .collect()
}

pub(crate) fn create_token(db: &str, name: &str) -> String {
    run(
        intake(&["token", "create", "--name", name, "--database-url", db]),
        "",
    )
    .trim()
    .to_owned()
}

/// 50 batches of 200 rows: 8,910 distinct emails, 990 later repeats in other case (the later
/// row wins, the earlier is skipped), and 100 invalid rows.
pub(crate) fn big_input() -> (Vec<Value>, BTreeSet<String>) {
    let mut all = Vec::new();
    let mut distinct = BTreeSet::new();
    for i in 0..10_000usize {
        let email = if i % 100 == 99 {
            format!("broken-{i}")
        } else if i >= 9_000 {
            format!("K{}@EXAMPLE.COM", i - 9_000)
        } else {
            format!("k{i}@example.com")
        };
        if !email.starts_with("broken") {
            distinct.insert(email.to_lowercase());
        }
        all.push(
            json!({"line": i + 2, "first_name": format!("N{i}"), "last_name": "K", "email": email}),
        );
    }
    let batches = all.chunks(200).map(|c| Value::Array(c.to_vec())).collect();
    (batches, distinct)
}

#[tokio::test]
async fn an_import_killed_mid_way_completes_after_a_restart_with_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("kill_restart", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let args = [
            "--workers",
            "1",
            "--lease-secs",
            "2",
            "--rows-per-transaction",
            "1000",
        ];
        let mut server = Server::start(&db, &data, "first", &args);
        let token = create_token(&db, "kill");
        let client = Client::new(&server, &token);
        let (batches, distinct) = big_input();
        let id = client.import(&batches).await;

        // Kill as soon as some batches are applied.
        let start = Instant::now();
        let at_kill = loop {
            let import = client.get(&format!("/api/imports/{id}")).await;
            if import["counts"]["processed"].as_i64().unwrap() > 0 {
                break import;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never started: {import}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        server.kill();
        assert_eq!(at_kill["status"], "running", "killed too late: {at_kill}");
        let storage = intake::storage::connect(&db).await.unwrap();
        let after_kill = storage.get_import(id).await.unwrap();
        assert!(
            after_kill.counts.processed < 10_000,
            "the import finished before the kill: {after_kill:?}"
        );
        assert_eq!(after_kill.counts.processed % 200, 0, "whole batches only");
        drop(storage);

        let server = Server::start(&db, &data, "second", &args);
        let client = Client::new(&server, &token);
        let done = client.wait_for(id, 120).await;
        assert_eq!(done["status"], "completed", "{done}");
        let c = &done["counts"];
        assert_eq!(c["received"], 10_000, "{done}");
        assert_eq!(c["processed"], 10_000, "{done}");
        assert_eq!(c["created"], distinct.len(), "{done}");
        assert_eq!(c["failed"], 100, "{done}");
        assert_eq!(c["skipped"], 10_000 - 100 - distinct.len(), "{done}");
        crate::support::assert_counts_add_up(&done);
        assert!(client.job_of(id).await["attempts"].as_i64().unwrap() >= 2);

        assert_customers_are(&client, &distinct).await;
    }
}

#[tokio::test]
async fn the_server_answers_a_large_refused_upload_instead_of_resetting_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("refused.db").display());
    let server = Server::start(
        &db,
        dir.path(),
        "refused",
        &["--max-upload-bytes", "1048576"],
    );
    let token = create_token(&db, "refused");
    let http = reqwest::Client::new();
    let url = format!("{}/api/imports/csv", server.base);
    // 64 MiB, no `Expect: 100-continue`: the client is still sending when the answer comes.
    let body = b"email\nsomeone@example.com\n".repeat(64 << 20 >> 5);
    for (bearer, status) in [("not-a-token", 401), (token.as_str(), 413)] {
        let reply = http
            .post(&url)
            .bearer_auth(bearer)
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("expected {status}, the connection broke: {e:?}"));
        assert_eq!(reply.status(), status);
    }
}

/// The resident memory of a process, from `/proc/PID/status`, in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_client_that_stops_reading_an_export_does_not_grow_the_server_memory() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("unread.db").display());
    // An idle timeout shorter than the wait below: a response in flight is not idle.
    let server = Server::start(&db, dir.path(), "unread", &["--idle-timeout-secs", "2"]);
    let client = Client::new(&server, &create_token(&db, "unread"));

    // 60,000 customers with 1 KB notes: an export of about 65 MB, far more than the socket
    // buffers hold.
    const CUSTOMERS: usize = 60_000;
    let note = "n".repeat(1000);
    let mut csv = String::from("email,first_name,note\n");
    for i in 0..CUSTOMERS {
        csv.push_str(&format!("reader{i}@example.com,Reader{i},{note}\n"));
    }
    let export_bytes = csv.len() as u64;
    let res = client
        .http
        .post(format!("{}/api/imports/csv", client.base))
        .bearer_auth(&client.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let import = client.wait_for(id, 300).await;
    assert_eq!(import["counts"]["created"], CUSTOMERS, "{import}");

    let pid = server.child.id();
    let before = rss_kib(pid);
    let addr = server.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(
            format!(
                "GET /api/customers/export.csv HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\r\n",
                client.token
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut start = vec![0u8; 64 * 1024];
    let n = socket.read(&mut start).await.unwrap();
    assert!(String::from_utf8_lossy(&start[..n]).starts_with("HTTP/1.1 200"));

    // The client now reads nothing; the server must wait, not buffer the rest.
    let mut peak = before;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak = peak.max(rss_kib(pid));
    }
    let grown_mib = (peak.saturating_sub(before)) as f64 / 1024.0;
    eprintln!(
        "RSS before {} MiB, peak while the export is unread {} MiB (+{grown_mib:.1} MiB; the export is {} MiB)",
        before / 1024,
        peak / 1024,
        export_bytes >> 20
    );
    // What an export holds while it waits is a few pages of about 2.5 MB each (SQLite's
    // JSON of the page, its rows, the CSV chunks ahead), and the allocator keeps some per
    // thread: 15 to 19 MiB measured. Buffering the unread export would be 59 MiB and more.
    assert!(
        grown_mib < 30.0,
        "the server's memory grew by {grown_mib:.1} MiB while a client held a {} MiB export unread",
        export_bytes >> 20
    );
    // Meanwhile everyone else is served.
    let list = client.get("/api/customers?per_page=1").await;
    assert_eq!(list["total"], CUSTOMERS);
    // And the unread export, held longer than the idle timeout, goes on when read again.
    let mut more = vec![0u8; 1 << 20];
    socket.read_exact(&mut more).await.unwrap();

    // A client that goes away ends the export: the server lets go of it.
    drop(socket);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rss_kib(pid) <= peak + 1024);

    // The command line's reader going away (`intake export | head`) is not an error either.
    let mut export = intake(&["export", "--database-url", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    std::io::Read::read_exact(export.stdout.as_mut().unwrap(), &mut head).unwrap();
    drop(export.stdout.take());
    let out = export.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn intake_inspect_prints_the_contract_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bg.csv");
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(
        "Име;Фамилия;Имейл;Телефон\r\nИван;Петров;ivan@example.com;0888\r\n\
         Мария;Иванова;нещо;0899\r\nИван;Петров;IVAN@example.com;0888\r\n",
    );
    std::fs::write(&file, &bytes).unwrap();
    let out = run(intake(&["inspect", &file.to_string_lossy(), "--json"]), "");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["encoding"], "windows-1251");
    assert_eq!(report["delimiter"], ";");
    assert_eq!(report["has_header"], true);
    assert_eq!(report["header_line"], 1);
    assert_eq!(report["columns"][0]["target"], "first_name");
    assert_eq!(report["columns"][2]["target"], "email");
    assert_eq!(report["columns"][3]["target"], Value::Null);
    assert_eq!(report["columns"][3]["ignored_reason"], "not_importable");
    // Every column says why (the fields added beside the contract's).
    assert_eq!(report["columns"][0]["reason"]["kind"], "synonym");
    assert_eq!(report["columns"][3]["reason"]["kind"], "not_importable");
    assert_eq!(report["rows"]["total"], 3);
    assert_eq!(report["rows"]["invalid"], 1);
    assert_eq!(report["rows"]["duplicates"], 1);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == 3 && e["field"] == "email" && e["code"] == "invalid_email"),
        "{errors:?}"
    );
}

/// `intake inspect` writes its messages about rows in `--lang`, else in the locale's
/// language (Bulgarian or English), else in English; the codes stay.
#[tokio::test]
async fn intake_inspect_speaks_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "email,first_name\nbroken,Ivan\n").unwrap();
    let path = file.to_string_lossy();
    let inspect = |extra: &[&str], lang: &str| {
        let mut args = vec!["inspect", &*path];
        args.extend_from_slice(extra);
        let mut cmd = intake(&args);
        cmd.env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang);
        run(cmd, "")
    };
    let english = "Email \"broken\" is not a valid address: it has no @.";
    let bulgarian = "Имейлът „broken“ не е валиден адрес: в него няма @.";
    let table = inspect(&["--lang", "bg"], "C.UTF-8");
    assert!(table.contains(bulgarian), "{table}");
    assert!(table.contains("invalid_email"), "{table}");
    assert!(!table.contains(english), "{table}");
    let json: Value = serde_json::from_str(&inspect(&["--json", "--lang", "bg"], "C")).unwrap();
    assert_eq!(json["errors"][0]["message"], bulgarian);
    assert_eq!(json["errors"][0]["code"], "invalid_email");
    assert_eq!(json["errors"][0]["params"]["detail"], "no_at");
    assert!(inspect(&[], "bg_BG.UTF-8").contains(bulgarian));
    assert!(inspect(&["--lang", "en"], "bg_BG.UTF-8").contains(english));
    assert!(inspect(&[], "C.UTF-8").contains(english));
}

#[tokio::test]
async fn the_command_line_creates_users_and_tokens_imports_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("cli", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let server = Server::start(&db, &data, "cli", &["--workers", "1"]);
        let data_arg = data.to_string_lossy().into_owned();
        let cli = |args: &[&str]| {
            let mut cmd = intake(args);
            cmd.args(["--database-url", &db, "--data-dir", &data_arg]);
            cmd
        };

        let out = run(
            cli(&["user", "create", "--username", "bob", "--password-stdin"]),
            "bob's password\n",
        );
        assert!(out.contains("bob"), "{out}");
        let http = reqwest::Client::new();
        let login = http
            .post(format!("{}/api/session", server.base))
            .json(&json!({"username": "bob", "password": "bob's password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status().as_u16(), 200);

        let token = run(cli(&["token", "create", "--name", "ci"]), "")
            .trim()
            .to_owned();
        assert!(token.starts_with("intk_"), "{token}");
        let client = Client::new(&server, &token);
        assert_eq!(
            client.get("/api/session").await["user"]["username"],
            "admin"
        );

        let file = data.join("shop.csv");
        std::fs::write(
            &file,
            "First name,Last name,Email,Newsletter\n\
             Ana,Petrova,ana@example.com,yes\n\
             Boris,Ivanov,boris@example.com,no\n\
             Bad,Row,not-an-email,yes\n",
        )
        .unwrap();
        let out = run(
            cli(&[
                "import",
                &file.to_string_lossy(),
                "--group",
                "Wholesale",
                "--wait",
            ]),
            "",
        );
        assert!(out.contains("queued import"), "{out}");
        let imports = client.get("/api/imports").await;
        let import = &imports["items"][0];
        assert_eq!(import["status"], "completed", "{import}");
        assert_eq!(import["file_name"], "shop.csv");
        assert_eq!(import["counts"]["created"], 2);
        assert_eq!(import["counts"]["failed"], 1);

        let all = run(cli(&["export", "--group", "Wholesale"]), "");
        assert!(
            all.starts_with("first_name,last_name,email,note,accepts_marketing,group,created_at"),
            "{all}"
        );
        let mut emails = csv_emails(&all);
        emails.sort();
        assert_eq!(emails, ["ana@example.com", "boris@example.com"]);
        assert!(all.contains(",yes,Wholesale,"), "{all}");
        let consenting = run(
            cli(&[
                "export",
                "--group",
                "wholesale",
                "--accepts-marketing",
                "true",
                "--delimiter",
                "semicolon",
            ]),
            "",
        );
        assert_eq!(
            csv_emails(&consenting.replace(';', ",")),
            ["ana@example.com"]
        );
        let none = run(
            cli(&["export", "--created-from", "2999-01-01T00:00:00Z"]),
            "",
        );
        assert_eq!(none.lines().count(), 1, "{none}");
        let missing = cli(&["export", "--group", "No such group"])
            .output()
            .unwrap();
        assert!(!missing.status.success());

        // A saved mapping profile, named with --profile: its code column is the first name.
        let (status, body) = client
            .send(
                reqwest::Method::POST,
                "/api/profiles",
                Some(
                    json!({"name": "Ledger", "headers": ["Code", "Mail", "Other"],
                            "mapping": {"Code": "first_name", "Mail": "email"}}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let ledger = data.join("ledger.csv");
        std::fs::write(
            &ledger,
            "Mail,Code
cyril@example.com,C-17
",
        )
        .unwrap();
        let ledger = ledger.to_string_lossy().into_owned();
        let unknown = cli(&["import", &ledger, "--profile", "Nobody"])
            .output()
            .unwrap();
        assert!(!unknown.status.success());
        assert!(
            String::from_utf8_lossy(&unknown.stderr)
                .contains("no mapping profile named \"Nobody\""),
            "{unknown:?}"
        );
        run(
            cli(&["import", &ledger, "--profile", "ledger", "--wait"]),
            "",
        );
        let all = run(cli(&["export"]), "");
        assert!(all.contains("C-17,,cyril@example.com,"), "{all}");
    }
}

#[tokio::test]
async fn two_servers_on_one_postgres_share_the_queue_and_run_each_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = databases("two_servers", dir.path())
        .await
        .into_iter()
        .find(|u| u.starts_with("postgres"))
    else {
        return;
    };
    let args = [
        "--workers",
        "2",
        "--lease-secs",
        "30",
        "--rows-per-transaction",
        "1000",
    ];
    let a = Server::start(&db, dir.path(), "a", &args);
    let b = Server::start(&db, dir.path(), "b", &args);
    let token = create_token(&db, "two");
    let clients = [Client::new(&a, &token), Client::new(&b, &token)];
    let mut ids = Vec::new();
    for n in 0..8usize {
        // Overlapping emails: the imports contend for the same customers.
        let batches: Vec<Value> = (0..5)
            .map(|bt| crate::support::rows("two", n * 200 + bt * 100, 100))
            .collect();
        ids.push(clients[n % 2].import(&batches).await);
    }
    for id in &ids {
        let done = clients[0].wait_for(*id, 120).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["processed"], 500);
        crate::support::assert_counts_add_up(&done);
        assert_eq!(clients[0].job_of(*id).await["attempts"], 1);
    }
    let (by_a, by_b) = (a.claimed_jobs(), b.claimed_jobs());
    let mut all: Vec<i64> = by_a.iter().chain(&by_b).copied().collect();
    all.sort();
    let claimed = all.len();
    all.dedup();
    assert_eq!(
        claimed,
        all.len(),
        "a job was claimed twice: a {by_a:?}, b {by_b:?}"
    );
    assert_eq!(all.len(), 8, "a {by_a:?}, b {by_b:?}");
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "a {by_a:?}, b {by_b:?}"
    );
    let emails = clients[1].exported_emails().await;
    assert_eq!(emails.len(), 7 * 200 + 500);
    let distinct: BTreeSet<_> = emails.iter().collect();
    assert_eq!(distinct.len(), emails.len());
}

/// `intake import` of a file that cannot be read fails before anything is stored: before, it
/// created the group it was given.
#[tokio::test]
async fn an_import_of_a_missing_file_creates_no_group() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("cli_missing", dir.path()).await {
        let out = intake(&[
            "import",
            &dir.path().join("missing.csv").to_string_lossy(),
            "--group",
            "Ghost",
            "--database-url",
            &db,
            "--data-dir",
            &dir.path().to_string_lossy(),
        ])
        .output()
        .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot read"), "{stderr}");
        let storage = intake::storage::connect(&db).await.unwrap();
        let groups: Vec<String> = storage
            .list_groups()
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect();
        assert!(!groups.iter().any(|g| g == "Ghost"), "{db}: {groups:?}");
    }
}

/// At start-up the server deletes uploads no import needs (left by imports that ended
/// while it was down), but not one that may still be being written.
#[tokio::test]
async fn the_server_sweeps_orphaned_uploads_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sweep.db").display());
    let uploads = dir.path().join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let orphan = uploads.join("left-behind.csv");
    let fresh = uploads.join("being-written.csv");
    std::fs::write(&orphan, "email\nold@example.com\n").unwrap();
    std::fs::write(&fresh, "email\nnew@example.com\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    let server = Server::start(&db, dir.path(), "sweep", &[]);
    assert!(!orphan.exists(), "the orphaned upload is still there");
    assert!(fresh.exists(), "a recent upload was deleted");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("deleted uploads no import needs"), "{log}");
}
