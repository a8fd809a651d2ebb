//! Attacks on accounts: sign-in must not tell whether a user exists (same answer, similar
//! time), and signing out revokes the session server-side (the old cookie stops working).

use std::time::Instant;

use axum::http::{Method, StatusCode, header};

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn sign_in_does_not_reveal_whether_a_user_exists() {
    crate::each_engine!("user_enumeration", |app| {
        let mut probe = TestApp::new_sharing(&app);
        let mut wrong = Vec::new();
        let mut unknown = Vec::new();
        // Alternate, so load on the machine hits both alike; under the lock-out threshold.
        for i in 0..4 {
            let t = Instant::now();
            let a = probe.login("admin", &format!("wrong {i}")).await;
            wrong.push(t.elapsed());
            let t = Instant::now();
            let b = probe
                .login(&format!("nobody{i}"), &format!("wrong {i}"))
                .await;
            unknown.push(t.elapsed());
            assert_eq!(a.status, StatusCode::UNAUTHORIZED);
            assert_eq!(b.status, StatusCode::UNAUTHORIZED);
            assert_eq!(a.body, b.body, "the same body either way");
            assert!(a.headers.get(header::SET_COOKIE).is_none());
            assert!(b.headers.get(header::SET_COOKIE).is_none());
        }
        wrong.sort();
        unknown.sort();
        let (w, u) = (wrong[2], unknown[2]);
        eprintln!("median sign-in time: wrong password {w:?}, unknown user {u:?}");
        // An unknown name is verified against a dummy Argon2id hash: no fast path.
        assert!(
            u * 3 >= w && w * 3 >= u,
            "wrong {wrong:?} vs unknown {unknown:?}"
        );
        probe.login("admin", PASSWORD).await.expect(StatusCode::OK);
    });
}

#[tokio::test]
async fn signing_out_revokes_the_session_so_the_old_cookie_gets_401() {
    crate::each_engine!("sign_out_revokes", |app| {
        let cookie = {
            let mut other = TestApp::new_sharing(&app);
            let reply = other.login("admin", PASSWORD).await.expect(StatusCode::OK);
            let set = reply.headers[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .to_owned();
            let csrf = reply.json()["csrf_token"].as_str().unwrap().to_owned();
            other.get("/api/session").await.expect(StatusCode::OK);
            other
                .request(Method::DELETE, "/api/session", None)
                .await
                .expect(StatusCode::NO_CONTENT);
            (set.split(';').next().unwrap().to_owned(), csrf)
        };
        // Replaying the old cookie (as a stolen one would be) after sign-out: refused.
        for (method, path) in [
            (Method::GET, "/api/session"),
            (Method::GET, "/api/customers"),
        ] {
            let req = axum::http::Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, &cookie.0)
                .header("x-csrf-token", &cookie.1)
                .body(axum::body::Body::empty())
                .unwrap();
            let reply = app.raw(req).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        // The first session is untouched.
        app.get("/api/session").await.expect(StatusCode::OK);
    });
}

/// Slowloris: request headers trickled at one byte a second are cut off by the header read
/// timeout, while normal requests to the same server go on being answered.
#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("slow.db").display());
    let server = crate::process::Server::start(
        &db,
        dir.path(),
        "slowloris",
        &["--header-timeout-secs", "2"],
    );
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let started = Instant::now();
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut_off = false;
    for byte in request {
        if slow.write_all(&[*byte]).is_err() {
            cut_off = true;
            break;
        }
        let mut buf = [0u8; 256];
        match slow.read(&mut buf) {
            // End of stream, or an early answer before the headers were complete: the
            // server has given up on this client.
            Ok(_) => {
                cut_off = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                cut_off = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(cut_off, "the trickling client was never cut off");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "cut off only after {:?}",
        started.elapsed()
    );
    // The server still answers everyone else.
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// A raw CSV upload that trickles in is refused with 408 and the contract body, not held
/// open forever.
#[tokio::test]
async fn an_upload_trickling_below_the_minimum_rate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("trickle.db").display());
    let server = crate::process::Server::start(&db, dir.path(), "trickle", &[]);
    let token = crate::process::create_token(&db, "trickle");
    let body = futures::stream::unfold(0u32, |n| async move {
        // 100 chunks at 400 ms: 40 s if the server let it run to the end.
        if n >= 100 {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        Some((
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"a@example.com\n")),
            n + 1,
        ))
    });
    let started = Instant::now();
    let reply = reqwest::Client::new()
        .post(format!("{}/api/imports/csv", server.base))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 408);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upload_too_slow");
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(25),
        "the upload was cut off only after {took:?}"
    );
}

/// Behind HTTPS (secure cookies on) every answer says to use HTTPS only; without them no
/// answer does (a plain-HTTP deployment would lock itself out).
#[tokio::test]
async fn hsts_is_sent_exactly_when_cookies_are_secure() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::databases("hsts", dir.path())
        .await
        .remove(0);
    for secure in [true, false] {
        let mut options = crate::support::Options::new(dir.path());
        options.config.secure_cookies = secure;
        let app = TestApp::with_options(&url, options).await;
        for path in ["/healthz", "/api/groups"] {
            let reply = app.get(path).await;
            let hsts = reply
                .headers
                .get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap().to_owned());
            if secure {
                assert_eq!(
                    hsts.as_deref(),
                    Some("max-age=31536000; includeSubDomains"),
                    "{path}"
                );
            } else {
                assert_eq!(hsts, None, "{path}");
            }
        }
    }
}
