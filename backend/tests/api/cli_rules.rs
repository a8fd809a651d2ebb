//! The `intake` command line applies the API's rules: names, passwords, the database URL and
//! the queue's timings. Each refused value is run through the real binary, which must exit
//! non-zero with a message naming the problem and leave nothing behind.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use intake::storage::Storage;

use crate::process::intake;
use crate::support::{PASSWORD, databases};

/// Run `intake args` with `stdin` and `env`, in `cwd`; a command still running after 20 s
/// (a server that accepted what it should have refused) is killed and reported.
fn refused(args: &[&str], stdin: &str, env: &[(&str, &str)], cwd: &Path) -> Output {
    let mut cmd = intake(args);
    cmd.current_dir(cwd)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // A command that refuses its flags may exit before reading: a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{args:?} was accepted and kept running: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Everything a refused command could have left: group names, users, the admin's token
/// names, imports, and spooled uploads.
#[derive(Debug, PartialEq)]
struct Contents {
    groups: Vec<String>,
    users: i64,
    tokens: Vec<String>,
    imports: usize,
    uploads: usize,
}

async fn contents(storage: &dyn Storage, data: &Path) -> Contents {
    let admin = storage.user_with_hash("admin").await.unwrap();
    let tokens = match admin {
        Some((user, _)) => storage.list_tokens(user.id).await.unwrap(),
        None => Vec::new(),
    };
    Contents {
        groups: storage
            .list_groups()
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect(),
        users: storage.count_users().await.unwrap(),
        tokens: tokens.into_iter().map(|t| t.name).collect(),
        imports: storage.list_imports(1, 500).await.unwrap().items.len(),
        uploads: std::fs::read_dir(data.join("uploads")).map_or(0, |d| d.count()),
    }
}

#[tokio::test]
async fn the_command_line_refuses_names_and_passwords_the_api_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let long_group = "g".repeat(1_000);
    let long_token = "t".repeat(10_000);
    for db in databases("cli_rules", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let storage = intake::storage::connect(&db).await.unwrap();
        intake::ensure_admin(storage.as_ref(), Some(PASSWORD.into()))
            .await
            .unwrap();
        let file = data.join("shop.csv");
        std::fs::write(&file, "email\nana@example.com\n").unwrap();
        let file = file.to_string_lossy().into_owned();
        let before = contents(storage.as_ref(), &data).await;

        // (arguments, standard input, what the message must say)
        let cases: [(Vec<&str>, &str, &[&str]); 7] = [
            (
                vec!["import", &file, "--group", ""],
                "",
                &["--group", "1 to 100 characters"],
            ),
            (
                vec!["import", &file, "--group", "   "],
                "",
                &["--group", "1 to 100 characters"],
            ),
            (
                vec!["import", &file, "--group", &long_group],
                "",
                &["--group", "1 to 100 characters"],
            ),
            (
                vec!["user", "create", "--username", "", "--password-stdin"],
                "a good password\n",
                &["--username", "1 to 255 characters"],
            ),
            (
                vec![
                    "user",
                    "create",
                    "--username",
                    "ad min\n",
                    "--password-stdin",
                ],
                "a good password\n",
                &["--username", "without spaces"],
            ),
            (
                vec!["token", "create", "--name", &long_token],
                "",
                &["--name", "1 to 100 characters"],
            ),
            (
                vec!["token", "create", "--name", " "],
                "",
                &["--name", "1 to 100 characters"],
            ),
        ];
        for (args, stdin, says) in cases {
            let mut args = args;
            let data_arg = data.to_string_lossy().into_owned();
            args.extend(["--database-url", &db, "--data-dir", &data_arg]);
            let out = refused(&args, stdin, &[], dir.path());
            let stderr = stderr_of(&out);
            for s in says {
                assert!(stderr.contains(s), "{db} {:?}: {stderr}", &args[..2]);
            }
            assert_eq!(
                contents(storage.as_ref(), &data).await,
                before,
                "{db} {:?} left something behind",
                &args[..2]
            );
        }
    }
}

/// `INTAKE_ADMIN_PASSWORD=a` at first start: before, the admin was created with it while
/// `intake user create` wanted 8 characters or more.
#[tokio::test]
async fn a_first_start_refuses_a_short_admin_password() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases("cli_admin_password", dir.path()).await {
        let out = refused(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db,
                "--data-dir",
                &dir.path().to_string_lossy(),
            ],
            "",
            &[("INTAKE_ADMIN_PASSWORD", "a")],
            dir.path(),
        );
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains("INTAKE_ADMIN_PASSWORD") && stderr.contains("at least 8 characters"),
            "{db}: {stderr}"
        );
        let storage = intake::storage::connect(&db).await.unwrap();
        assert_eq!(storage.count_users().await.unwrap(), 0, "{db}");
    }
}

/// A database URL of another scheme is refused by every command that opens one; before,
/// `mysql://x` was taken for the SQLite file `x` in a directory `mysql:`.
#[tokio::test]
async fn a_database_url_of_another_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    // The directory the URL would name as a path, so that a mistaken SQLite open succeeds.
    std::fs::create_dir(cwd.join("mysql:")).unwrap();
    std::fs::write(cwd.join("shop.csv"), "email\nana@example.com\n").unwrap();
    let commands: [&[&str]; 5] = [
        &["serve", "--listen", "127.0.0.1:0"],
        &["import", "shop.csv", "--group", "Shop"],
        &["export"],
        &["user", "create", "--username", "carol", "--password-stdin"],
        &["token", "create", "--name", "ci"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.extend(["--database-url", "mysql://x", "--data-dir", "data"]);
        let out = refused(
            &args,
            "a good password\n",
            &[("INTAKE_ADMIN_PASSWORD", PASSWORD)],
            cwd,
        );
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains("--database-url") && stderr.contains("scheme mysql: is not supported"),
            "{command:?}: {stderr}"
        );
        assert_eq!(
            std::fs::read_dir(cwd.join("mysql:")).unwrap().count(),
            0,
            "{command:?} created a file"
        );
        assert!(!cwd.join("data").exists(), "{command:?} created data/");
    }
}

/// `--lease-secs 0` made every import fail (each lease expired as it was taken) and
/// `--poll-ms 0` kept a core busy polling: both have a minimum, checked before start.
#[tokio::test]
async fn queue_timings_below_their_minimum_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("timings.db").display());
    for (flag, value, range) in [
        ("--lease-secs", "0", "1..=86400"),
        ("--lease-secs", "-30", "1..=86400"),
        ("--poll-ms", "0", "10..=60000"),
        ("--poll-ms", "9", "10..=60000"),
    ] {
        let out = refused(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db,
                "--data-dir",
                &dir.path().to_string_lossy(),
                &format!("{flag}={value}"),
            ],
            "",
            &[("INTAKE_ADMIN_PASSWORD", PASSWORD)],
            dir.path(),
        );
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains(flag) && stderr.contains(range),
            "{flag} {value}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
        assert!(
            !dir.path().join("timings.db").exists(),
            "{flag} {value} opened the database"
        );
    }
}
