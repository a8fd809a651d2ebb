//! The sign-in limiter under attack: concurrent guesses, guesses from one address while the
//! owner signs in from another, spraying between sign-ins to one's own account, huge user
//! names, and a flood that would otherwise hash hundreds of passwords at once.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};

use crate::support::{PASSWORD, Reply, TestApp};

/// A sign-in as it arrives from `address` (the server puts the address there).
async fn sign_in_from(app: &TestApp, address: &str, username: &str, password: &str) -> Reply {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .extension(ConnectInfo::<SocketAddr>(address.parse().unwrap()))
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

#[tokio::test]
async fn sixty_concurrent_wrong_passwords_for_one_user_get_ten_checked() {
    crate::each_engine!("signin_concurrent", |app| {
        let passwords: Vec<String> = (0..60).map(|i| format!("wrong {i}")).collect();
        let guesses = passwords
            .iter()
            .map(|p| sign_in_from(&app, "198.51.100.7:4000", "admin", p));
        let replies = futures::future::join_all(guesses).await;
        let checked = replies
            .iter()
            .filter(|r| r.status == StatusCode::UNAUTHORIZED)
            .count();
        let limited = replies
            .iter()
            .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((checked, limited), (10, 50));
        assert!(
            replies
                .iter()
                .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
                .all(|r| r.headers.contains_key("retry-after"))
        );
    });
}

#[tokio::test]
async fn an_address_guessing_the_password_does_not_lock_the_owner_out() {
    crate::each_engine!("signin_owner", |app| {
        for _ in 0..30 {
            sign_in_from(&app, "203.0.113.9:5000", "admin", "guess").await;
        }
        sign_in_from(&app, "203.0.113.9:5000", "admin", PASSWORD)
            .await
            .expect(StatusCode::TOO_MANY_REQUESTS);
        // The owner, elsewhere, signs in at once.
        sign_in_from(&app, "192.0.2.1:6000", "admin", PASSWORD)
            .await
            .expect(StatusCode::OK);
        // Guesses from many addresses slow the user down, but never for the owner's address.
        for n in 0..25 {
            sign_in_from(&app, &format!("198.51.100.{n}:7000"), "admin", "guess").await;
        }
        for _ in 0..3 {
            sign_in_from(&app, "192.0.2.1:6000", "admin", PASSWORD)
                .await
                .expect(StatusCode::OK);
        }
    });
}

#[tokio::test]
async fn signing_in_to_ones_own_account_does_not_reset_the_address_count() {
    crate::each_engine!("signin_spray", |app| {
        let from = "198.51.100.200:4000";
        let mut refused_after = None;
        for n in 0..120 {
            if n % 5 == 4 {
                // The sprayer's own account (admin here): a success between guesses.
                let own = sign_in_from(&app, from, "admin", PASSWORD).await;
                if own.status == StatusCode::TOO_MANY_REQUESTS {
                    refused_after = Some(n);
                    break;
                }
                own.expect(StatusCode::OK);
                continue;
            }
            let r = sign_in_from(&app, from, &format!("victim{n}"), "guess").await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused_after = Some(n);
                break;
            }
            r.expect(StatusCode::UNAUTHORIZED);
        }
        let n = refused_after.expect("spraying between sign-ins was never limited");
        assert!(n <= 70, "limited only after {n} attempts");
    });
}

#[tokio::test]
async fn a_huge_user_name_is_refused_at_the_edge() {
    crate::each_engine!("signin_huge_name", |app| {
        sign_in_from(&app, "192.0.2.5:1", &"a".repeat(1 << 20), "x")
            .await
            .expect(StatusCode::PAYLOAD_TOO_LARGE);
        let long = sign_in_from(&app, "192.0.2.5:1", &"a".repeat(300), "x")
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(long.json()["error"]["code"], "invalid_username");
        let entries = app.state.login_limiter.entries();
        for _ in 0..5 {
            sign_in_from(&app, "192.0.2.5:1", &"b".repeat(300), "x").await;
        }
        assert_eq!(app.state.login_limiter.entries(), entries);
    });
}

/// The real binary: 150 sign-ins at once for distinct names. Before the hashing slots each
/// ran Argon2id (19 MiB) at once, +516 MiB.
#[tokio::test]
async fn a_sign_in_flood_keeps_the_server_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("flood.db").display());
    let server = crate::process::Server::start(&db, dir.path(), "flood", &[]);
    let pid = server.child.id();
    let before = crate::process::rss_kib(pid);
    let client = reqwest::Client::new();
    let url = format!("{}/api/session", server.base);
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(
                    crate::process::rss_kib(pid),
                    std::sync::atomic::Ordering::Relaxed,
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let attempts = (0..150).map(|i| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"username": format!("nobody{i}"), "password": "x"}))
                .send()
                .await
                .unwrap()
        }
    });
    let replies = futures::future::join_all(attempts).await;
    sampler.abort();
    for r in &replies {
        let status = r.status().as_u16();
        assert!(matches!(status, 401 | 429 | 503), "{status}");
        if status != 401 {
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    let grown_mib = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before) as f64
        / 1024.0;
    eprintln!("RSS grew by {grown_mib:.1} MiB during 150 concurrent sign-ins");
    assert!(grown_mib < 100.0, "RSS grew by {grown_mib:.1} MiB");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("sign-in failed"),
        "failed sign-ins are not logged"
    );
    assert!(
        log.contains("sign-in refused"),
        "limiter decisions are not logged"
    );
}
