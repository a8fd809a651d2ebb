//! Connections that never finish a request: the real binary under a low open-file limit
//! closes them, whatever they sent, and keeps answering everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::process::{BIN, Server, serve_args};

const IDLE_SECS: u64 = 3;

/// Whether the server closed `socket` before `deadline` (end of stream or a reset; bytes
/// it sends first, such as HTTP/2 settings or a GOAWAY, are read past).
fn closed_by_server(socket: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        socket.set_read_timeout(Some(left)).unwrap();
        match socket.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// `intake serve` with at most 256 open files, as a small container or a default `ulimit`
/// would give it.
fn server_with_256_files(dir: &std::path::Path, name: &str) -> Server {
    let db = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0" "$@""#)
        .arg(BIN)
        .arg("serve")
        .args(serve_args(&db, dir))
        .args(["--idle-timeout-secs", &IDLE_SECS.to_string()]);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INTAKE_")) {
        cmd.env_remove(key);
    }
    Server::start_command(cmd, dir, name)
}

#[tokio::test]
async fn silent_connections_are_closed_and_health_answers_under_a_low_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_256_files(dir.path(), "silent");
    let addr = server.base.trim_start_matches("http://").to_owned();
    let opened = Instant::now();
    // 300 sockets, more than the server may open: a quarter send nothing, a quarter one
    // byte, a quarter an HTTP/2 preface, a quarter a whole request and then nothing more
    // (an idle keep-alive connection).
    let mut sockets: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = TcpStream::connect(&addr).unwrap();
            let sent: &[u8] = match i % 4 {
                0 => b"",
                1 => b"G",
                2 => b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                _ => b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            };
            s.write_all(sent).unwrap();
            s
        })
        .collect();

    // Meanwhile /healthz answers, each time on a new connection.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for _ in 0..5 {
        let asked = Instant::now();
        let health = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("/healthz did not answer while silent sockets were open");
        assert_eq!(health.status(), 200);
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "/healthz took {:?}",
            asked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every one of them is closed by the server: the first ones soon (the server was
    // crowded), the rest after the idle timeout.
    let deadline = opened + Duration::from_secs(IDLE_SECS * 3 + 5);
    let still_open: Vec<usize> = sockets
        .iter_mut()
        .enumerate()
        .filter_map(|(i, s)| (!closed_by_server(s, deadline)).then_some(i))
        .collect();
    assert!(
        still_open.is_empty(),
        "{} of 300 idle connections were still open after {:?} (first: #{})",
        still_open.len(),
        opened.elapsed(),
        still_open[0]
    );
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("open connections reached the limit"),
        "no log line for the connection cap:\n{log}"
    );
    // And the server is as good as new.
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// Below the cap, a silent connection still gets only the idle timeout, on HTTP/1 and
/// HTTP/2 alike. (A response in flight is not idle: the unread-export test in `process`
/// holds one open for longer than its server's idle timeout.)
#[tokio::test]
async fn a_lone_silent_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_256_files(dir.path(), "lone");
    let addr = server.base.trim_start_matches("http://").to_owned();
    for sent in [&b""[..], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"] {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(sent).unwrap();
        let opened = Instant::now();
        assert!(
            !closed_by_server(&mut s, opened + Duration::from_secs(IDLE_SECS - 1)),
            "closed before the idle timeout"
        );
        assert!(
            closed_by_server(&mut s, opened + Duration::from_secs(IDLE_SECS + 3)),
            "still open well after the idle timeout"
        );
    }
}
