//! Mapping profiles: saved, listed, renamed, deleted; applied to raw uploads whose headers
//! match (in any order), or named by `profile=`.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

/// Upload `csv` raw with `query`; the finished import.
async fn upload(app: &TestApp, query: &str, csv: &'static str) -> Value {
    let req = app
        .builder(Method::POST, &format!("/api/imports/csv?{query}"))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let import = app.raw(req).await.expect(StatusCode::ACCEPTED).json();
    let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    done
}

/// The stored customer with this email.
async fn customer(app: &TestApp, email: &str) -> Value {
    let page = app
        .get(&format!("/api/customers?q={email}"))
        .await
        .expect(StatusCode::OK)
        .json();
    let found: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"] == email)
        .collect();
    assert_eq!(found.len(), 1, "{page}");
    found[0].clone()
}

#[tokio::test]
async fn a_saved_profile_maps_later_uploads_with_the_same_headers() {
    crate::each_engine!("profiles_apply", |app| {
        // Without a profile, a code column is never a first name.
        upload(
            &app,
            "",
            "Name,Email,Code\nAna Petrova,one@example.com,X17\n",
        )
        .await;
        assert_ne!(customer(&app, "one@example.com").await["first_name"], "X17");

        let saved = app
            .post(
                "/api/profiles",
                json!({
                    "name": " Monthly export ",
                    "headers": ["Name", "Email", "Code"],
                    "mapping": {"name": "note", "Code": "first_name", "Email": "email"}
                }),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert_eq!(saved["name"], "Monthly export");
        assert_eq!(saved["fingerprint"].as_str().unwrap().len(), 16);

        // The same headers, in another order and case: the profile maps the file.
        upload(&app, "", "code,NAME,email\nY18,Bob Stone,two@example.com\n").await;
        let two = customer(&app, "two@example.com").await;
        assert_eq!(
            (&two["first_name"], &two["note"]),
            (&json!("Y18"), &json!("Bob Stone"))
        );

        // Other headers: no profile applies unless it is named.
        upload(
            &app,
            "",
            "Name,Email,Code,Extra\nCy Doe,three@example.com,Z19,x\n",
        )
        .await;
        assert_ne!(
            customer(&app, "three@example.com").await["first_name"],
            "Z19"
        );
        upload(
            &app,
            "profile=monthly%20EXPORT",
            "Name,Email,Code,Extra\nDi Roe,four@example.com,W20,x\n",
        )
        .await;
        assert_eq!(
            customer(&app, "four@example.com").await["first_name"],
            "W20"
        );

        // An explicit mapping wins over a matching profile.
        upload(
            &app,
            "mapping=%7B%22Code%22%3Anull%7D",
            "Name,Email,Code\nEd Poe,five@example.com,V21\n",
        )
        .await;
        assert_ne!(
            customer(&app, "five@example.com").await["first_name"],
            "V21"
        );

        for (query, status, code) in [
            (
                "profile=nobody",
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_profile",
            ),
            (
                "profile=Monthly%20export&mapping=%5B%5D",
                StatusCode::BAD_REQUEST,
                "invalid_mapping",
            ),
        ] {
            let req = app
                .builder(Method::POST, &format!("/api/imports/csv?{query}"))
                .header("content-type", "text/csv")
                .body(Body::from("Name,Email,Code\n"))
                .unwrap();
            let reply = app.raw(req).await.expect(status).json();
            assert_eq!(reply["error"]["code"], code, "{query}");
        }
    });
}

#[tokio::test]
async fn profiles_are_listed_renamed_and_deleted_and_refuse_what_cannot_apply() {
    crate::each_engine!("profiles_crud", |app| {
        let make = |name: &str, headers: Value, mapping: Value| json!({"name": name, "headers": headers, "mapping": mapping});
        let first = app
            .post(
                "/api/profiles",
                make("Shopify", json!(["Email"]), json!({"Email": "email"})),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let second = app
            .post(
                "/api/profiles",
                make("Klaviyo", json!(["E-mail", "Given"]), json!({})),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let list = app.get("/api/profiles").await.expect(StatusCode::OK).json();
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Klaviyo", "Shopify"],
            "the most recently saved first"
        );

        let id = first["id"].as_i64().unwrap();
        let reply = app
            .post("/api/profiles", make("SHOPIFY", json!(["X"]), json!({})))
            .await
            .expect(StatusCode::CONFLICT)
            .json();
        assert_eq!(reply["error"]["code"], "profile_exists");
        let rename = |name: &str| json!({ "name": name });
        let reply = app
            .request(
                Method::PATCH,
                &format!("/api/profiles/{id}"),
                Some(rename("klaviyo")),
            )
            .await
            .expect(StatusCode::CONFLICT)
            .json();
        assert_eq!(reply["error"]["code"], "profile_exists");
        let renamed = app
            .request(
                Method::PATCH,
                &format!("/api/profiles/{id}"),
                Some(rename("Shopify 2026")),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(renamed["name"], "Shopify 2026");
        assert_eq!(renamed["mapping"], json!({"Email": "email"}));
        assert_eq!(renamed["fingerprint"], first["fingerprint"]);

        for (body, code) in [
            (make(" ", json!(["a"]), json!({})), "invalid_name"),
            (make("a", json!([]), json!({})), "invalid_profile"),
            (make("a", json!(["", " "]), json!({})), "invalid_profile"),
            (
                make("a", json!(["Email"]), json!({"Phone": null})),
                "invalid_profile",
            ),
            (
                make("a", json!(["E\u{0}mail"]), json!({})),
                "invalid_profile",
            ),
            (
                make("a", json!(["x".repeat(1001)]), json!({})),
                "invalid_profile",
            ),
        ] {
            let reply = app
                .post("/api/profiles", body.clone())
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY)
                .json();
            assert_eq!(reply["error"]["code"], code, "{body}");
        }

        let path = format!("/api/profiles/{}", second["id"]);
        app.request(Method::DELETE, &path, None)
            .await
            .expect(StatusCode::NO_CONTENT);
        app.get(&path).await.expect(StatusCode::NOT_FOUND);
        app.request(Method::DELETE, &path, None)
            .await
            .expect(StatusCode::NOT_FOUND);
        let list = app.get("/api/profiles").await.expect(StatusCode::OK).json();
        assert_eq!(list.as_array().unwrap().len(), 1);
    });
}
