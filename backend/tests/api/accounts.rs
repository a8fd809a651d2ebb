//! Sign-in, sessions, CSRF, tokens, and the guard on every route.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::each_engine;

#[tokio::test]
async fn sign_in_sets_an_http_only_strict_cookie_and_returns_a_csrf_token() {
    each_engine!("signin_cookie", |app| {
        app.anonymous();
        let reply = app
            .login("admin", crate::support::PASSWORD)
            .await
            .expect(StatusCode::OK);
        let cookie = reply
            .headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        let body = reply.json();
        assert_eq!(body["user"]["username"], "admin");
        assert!(body["csrf_token"].as_str().unwrap().len() >= 20);
        let me = app.get("/api/session").await.expect(StatusCode::OK).json();
        assert_eq!(me["user"]["username"], "admin");
    });
}

#[tokio::test]
async fn a_wrong_password_gets_401_and_repeated_failures_get_429_with_retry_after() {
    each_engine!("signin_limit", |app| {
        app.anonymous();
        let first = app
            .login("admin", "wrong")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        assert_eq!(first.json()["error"]["code"], "invalid_credentials");
        let mut limited = None;
        for _ in 0..20 {
            let r = app.login("admin", "wrong").await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(r);
                break;
            }
        }
        let limited = limited.expect("sign-in was never rate limited");
        assert!(limited.headers.get("retry-after").is_some());
        assert_eq!(limited.json()["error"]["code"], "too_many_attempts");
    });
}

#[tokio::test]
async fn anonymous_callers_get_401_on_protected_routes() {
    each_engine!("anon", |app| {
        app.anonymous();
        for (method, path) in [
            (Method::GET, "/api/session"),
            (Method::GET, "/api/customers"),
            (Method::GET, "/api/groups"),
            (Method::POST, "/api/imports"),
            (Method::GET, "/api/jobs"),
            (Method::GET, "/api/customers/export.csv"),
            (Method::GET, "/api/no-such-route"),
        ] {
            let reply = app.request(method.clone(), path, Some(json!({}))).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(reply.json()["error"]["code"], "unauthorized");
        }
        assert_eq!(
            app.get("/healthz").await.expect(StatusCode::OK).json()["database"],
            app.engine
        );
    });
}

#[tokio::test]
async fn a_cookie_session_without_the_csrf_header_cannot_change_state() {
    each_engine!("csrf", |app| {
        app.forget_csrf();
        let reply = app
            .post("/api/groups", json!({"name": "VIP"}))
            .await
            .expect(StatusCode::FORBIDDEN);
        assert_eq!(reply.json()["error"]["code"], "csrf_token_invalid");
        // Reading needs no token.
        app.get("/api/groups").await.expect(StatusCode::OK);
    });
}

#[tokio::test]
async fn a_bearer_token_works_without_csrf_and_stops_working_when_revoked() {
    each_engine!("tokens", |app| {
        let created = app
            .post("/api/tokens", json!({"name": "script"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let secret = created["token"].as_str().unwrap().to_owned();
        let id = created["id"].as_i64().unwrap();
        let listed = app.get("/api/tokens").await.expect(StatusCode::OK).json();
        assert!(listed.to_string().contains("script"));
        assert!(
            !listed.to_string().contains(&secret),
            "the secret is shown once only"
        );

        let mut script = crate::support::TestApp::new_sharing(&app);
        script.use_bearer(&secret);
        script
            .post("/api/groups", json!({"name": "From script"}))
            .await
            .expect(StatusCode::CREATED);

        app.request(Method::DELETE, &format!("/api/tokens/{id}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        script
            .get("/api/groups")
            .await
            .expect(StatusCode::UNAUTHORIZED);
    });
}

/// A bearer token's `last_used_at` is written when it is used (it never was), at most once
/// a minute: a second use right after leaves it as it was.
#[tokio::test]
async fn using_a_token_records_its_last_use_at_most_once_a_minute() {
    each_engine!("token_last_used", |app| {
        let created = app
            .post("/api/tokens", json!({"name": "script"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = created["id"].clone();
        let last_used = |listed: serde_json::Value| {
            listed
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == id)
                .unwrap()["last_used_at"]
                .clone()
        };
        let listed = app.get("/api/tokens").await.expect(StatusCode::OK).json();
        assert!(last_used(listed).is_null(), "never used yet");

        let mut script = crate::support::TestApp::new_sharing(&app);
        script.use_bearer(created["token"].as_str().unwrap());
        let before = chrono::Utc::now();
        script.get("/api/groups").await.expect(StatusCode::OK);
        // Written off the request's path: wait for it, briefly.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let first = loop {
            let seen = last_used(app.get("/api/tokens").await.expect(StatusCode::OK).json());
            if !seen.is_null() {
                break seen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "last_used_at was never written"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let at: chrono::DateTime<chrono::Utc> = first.as_str().unwrap().parse().unwrap();
        assert!(
            at >= before - chrono::TimeDelta::seconds(1) && at <= chrono::Utc::now(),
            "{at} is not the time of the use ({before})"
        );

        for _ in 0..5 {
            script.get("/api/customers").await.expect(StatusCode::OK);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // The session's own requests are not token uses either.
        let again = last_used(app.get("/api/tokens").await.expect(StatusCode::OK).json());
        assert_eq!(again, first, "a use within the minute was written again");
    });
}
