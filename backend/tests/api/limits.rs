//! Limits and hardening: the upload size limit over a real socket, the request timeout that
//! spares streams, and the security headers on UI pages and API answers.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Options, TestApp, databases};

const LIMIT: u64 = 256 * 1024;

/// Serve `app` on a free local port; returns the address.
async fn serve(app: &TestApp) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    addr
}

/// Send a raw HTTP/1.1 request whose body is `body_len` bytes (as chunks when `chunked`),
/// ignoring write errors, then read the whole answer.
async fn raw_upload(
    addr: std::net::SocketAddr,
    token: &str,
    body_len: usize,
    chunked: bool,
    expect_continue: bool,
) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "POST /api/imports/csv HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\n"
    );
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n");
    } else {
        head.push_str(&format!("Content-Length: {body_len}\r\n"));
    }
    if expect_continue {
        head.push_str("Expect: 100-continue\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    if !expect_continue {
        let line = b"email\r\nsomeone@example.com\r\n".repeat(1024);
        let mut sent = 0;
        while sent < body_len {
            let n = line.len().min(body_len - sent);
            let piece = &line[..n];
            let ok = if chunked {
                let mut c = format!("{n:x}\r\n").into_bytes();
                c.extend_from_slice(piece);
                c.extend_from_slice(b"\r\n");
                s.write_all(&c).await
            } else {
                s.write_all(piece).await
            };
            if ok.is_err() {
                break;
            }
            sent += n;
        }
        if chunked {
            let _ = s.write_all(b"0\r\n\r\n").await;
        }
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = [0u8; 8192];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    // One response is all we wait for.
                    if let Some(end) = find(&answer, b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&answer[..end]).to_lowercase();
                        if let Some(len) = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            && answer.len() >= end + 4 + len
                        {
                            break Ok(());
                        }
                    }
                }
                Err(e) => break Err(e),
            }
        }
    })
    .await
    .expect("no answer within 30 s");
    if let Err(e) = read {
        panic!(
            "the connection broke ({e}) after {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_413_with_the_error_body_whether_or_not_its_length_is_declared()
 {
    let dir = tempfile::tempdir().unwrap();
    let url = databases("upload_limit", dir.path()).await.remove(0);
    let mut options = Options::new(dir.path());
    options.config.max_upload_bytes = LIMIT;
    let mut app = TestApp::with_options(&url, options).await;
    app.login("admin", crate::support::PASSWORD)
        .await
        .expect(StatusCode::OK);
    let token = app
        .post("/api/tokens", serde_json::json!({"name": "upload"}))
        .await
        .expect(StatusCode::CREATED)
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let addr = serve(&app).await;
    let big = 8 * LIMIT as usize;
    for (chunked, expect_continue) in [(false, false), (true, false), (false, true)] {
        let answer = raw_upload(addr, &token, big, chunked, expect_continue).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "chunked={chunked} expect={expect_continue}: {answer}"
        );
        let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "payload_too_large", "{body}");
        assert_eq!(json["error"]["details"]["limit_bytes"], LIMIT);
    }
    // A caller with a wrong token who sends a large body anyway reads its 401, not a reset.
    for chunked in [false, true] {
        let answer = raw_upload(addr, "not-a-token", 64 << 20, chunked, false).await;
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "chunked={chunked}: {answer}"
        );
        assert!(answer.contains("\"unauthorized\""), "{answer}");
    }
    // Under the limit the same socket path works, and nothing of the refused files is left
    // (nor of the accepted one, once its rows are stored).
    let answer = raw_upload(addr, &token, 4096, true, false).await;
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let import: serde_json::Value = serde_json::from_str(body).unwrap();
    app.wait_for_import(import["id"].as_i64().unwrap()).await;
    let uploads: Vec<_> = std::fs::read_dir(dir.path().join("uploads"))
        .unwrap()
        .collect();
    assert_eq!(uploads.len(), 0, "uploads left on disk: {uploads:?}");
}

#[tokio::test]
async fn the_request_timeout_stops_slow_requests_but_not_streams_or_uploads() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("timeouts", dir.path()).await {
        let mut options = Options::new(dir.path());
        options.config.request_timeout = Duration::from_millis(300);
        let mut app = TestApp::with_options(&url, options).await;
        app.login("admin", crate::support::PASSWORD)
            .await
            .expect(StatusCode::OK);
        // A body that trickles in over ~0.8 s (a slow client).
        let slow = |chunks: Vec<&'static str>| {
            Body::from_stream(futures::stream::iter(chunks).then(|c| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok::<_, std::io::Error>(c)
            }))
        };
        use futures::StreamExt;

        let upload = app
            .builder(Method::POST, "/api/imports/csv")
            .header("content-type", "text/csv")
            .body(slow(vec![
                "email\r\n",
                "a@example.com\r\n",
                "b@example.com\r\n",
                "c@example.com\r\n",
            ]))
            .unwrap();
        let import = app.raw(upload).await.expect(StatusCode::ACCEPTED).json();
        app.wait_for_import(import["id"].as_i64().unwrap()).await;

        let import = app
            .post("/api/imports", serde_json::json!({"file_name": "t.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let put = app
            .builder(
                Method::PUT,
                &format!("/api/imports/{}/batches/0", import["id"]),
            )
            .header("content-type", "application/json")
            .body(slow(vec!["{\"rows\"", ": [", "]", "}"]))
            .unwrap();
        let reply = app.raw(put).await.expect(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.json()["error"]["code"], "request_timeout");

        // The export's headers leave at once; reading its body slowly is not cut.
        let res = tower::ServiceExt::oneshot(
            app.router.clone(),
            app.builder(Method::GET, "/api/customers/export.csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.into_body();
        let mut text = Vec::new();
        while let Some(frame) = body.frame().await {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Ok(data) = frame.unwrap().into_data() {
                text.extend_from_slice(&data);
            }
        }
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}

#[tokio::test]
async fn ui_pages_and_api_answers_carry_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let url = databases("security_headers", dir.path()).await.remove(0);
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><html><head><script type=\"module\">boot()</script>\
         <script src=\"/app.js\"></script></head><body></body></html>",
    )
    .unwrap();
    let mut options = Options::new(dir.path());
    options.config.dist_dir = Some(dist);
    let mut app = TestApp::with_options(&url, options).await;
    app.login("admin", crate::support::PASSWORD)
        .await
        .expect(StatusCode::OK);
    use base64::Engine;
    use sha2::Digest;
    let boot_hash = format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"boot()"))
    );
    for path in ["/", "/customers/42", "/api/groups", "/api/no-such-route"] {
        let reply = app.get(path).await;
        assert!(
            reply.status == StatusCode::OK || path == "/api/no-such-route",
            "{path}: {}",
            reply.status
        );
        let h = |name: &str| {
            reply
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{path} lacks {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let csp = h("content-security-policy");
        for part in [
            "'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            &boot_hash,
        ] {
            assert!(csp.contains(part), "{path}: {csp} lacks {part}");
        }
        assert!(!csp.contains("'unsafe-eval'"), "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("x-frame-options"), "DENY");
        if !path.starts_with("/api") {
            assert!(reply.text().contains("boot()"), "{path} serves index.html");
        }
    }
}
