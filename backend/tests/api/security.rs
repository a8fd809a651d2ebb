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
