//! Every route, enumerated from the OpenAPI document (which is built from the same table as
//! the router): anonymous callers get 401, cookie sessions without the CSRF header get 403
//! on every state-changing route, and the document and the router agree.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::each_engine;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(method, path)` of every operation in the document, path parameters filled with an id that names nothing.
fn operations(doc: &Value) -> Vec<(Method, String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = fill(path);
            ops.push((
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path.clone(),
                concrete,
            ));
        }
    }
    ops
}

fn fill(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for ch in template.chars() {
        match ch {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("999999");
            }
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    out
}

/// `Customer`'s schema is a flat twin of the type (whose fields are flattened in, see
/// `shared::api::customer_schema`): it names exactly the keys a serialised customer has.
#[test]
fn the_customer_schema_names_the_keys_a_customer_has() {
    let doc = serde_json::to_value(intake::api::openapi()).unwrap();
    let schema = &doc["components"]["schemas"]["Customer"];
    let mut declared: Vec<String> = schema["properties"]
        .as_object()
        .expect("a flat object schema")
        .keys()
        .cloned()
        .collect();
    let t = chrono::Utc::now();
    let customer = shared::api::Customer {
        id: 1,
        fields: shared::customer::CustomerFields::default(),
        group_id: 1,
        group_name: String::new(),
        import_id: Some(1),
        created_at: t,
        updated_at: t,
    };
    let json = serde_json::to_value(&customer).unwrap();
    let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    declared.sort();
    keys.sort();
    assert_eq!(declared, keys);
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    required.sort();
    let mut not_null: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|&k| k != "import_id")
        .collect();
    not_null.sort();
    assert_eq!(required, not_null);
}

#[tokio::test]
async fn the_served_document_lists_every_route_of_the_contract() {
    each_engine!("openapi_doc", |app| {
        let doc = app
            .get("/api/openapi.json")
            .await
            .expect(StatusCode::OK)
            .json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc, serde_json::to_value(intake::api::openapi()).unwrap());
        let have: Vec<String> = operations(&doc)
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        for want in [
            "POST /api/session",
            "GET /api/session",
            "DELETE /api/session",
            "POST /api/tokens",
            "GET /api/tokens",
            "DELETE /api/tokens/{id}",
            "GET /api/groups",
            "POST /api/groups",
            "PATCH /api/groups/{id}",
            "DELETE /api/groups/{id}",
            "GET /api/customers",
            "POST /api/customers",
            "GET /api/customers/{id}",
            "PATCH /api/customers/{id}",
            "DELETE /api/customers/{id}",
            "GET /api/customers/export.csv",
            "POST /api/imports",
            "PUT /api/imports/{id}/batches/{seq}",
            "POST /api/imports/{id}/commit",
            "POST /api/imports/csv",
            "GET /api/imports/{id}",
            "GET /api/imports",
            "GET /api/imports/{id}/errors.csv",
            "POST /api/imports/{id}/cancel",
            "POST /api/imports/{id}/undo",
            "GET /api/jobs",
            "GET /api/openapi.json",
            "GET /healthz",
        ] {
            assert!(have.contains(&want.to_owned()), "{want} is not documented");
        }
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["session_cookie"]["in"], "cookie");
        assert_eq!(schemes["csrf_header"]["name"], "X-CSRF-Token");
        assert_eq!(schemes["bearer_token"]["scheme"], "bearer");
        let put_batch = &doc["paths"]["/api/imports/{id}/batches/{seq}"]["put"];
        assert_eq!(
            put_batch["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    });
}

#[tokio::test]
async fn every_api_route_refuses_anonymous_callers_and_cookie_writes_without_csrf() {
    each_engine!("route_guard", |app| {
        let doc = serde_json::to_value(intake::api::openapi()).unwrap();
        let ops = operations(&doc);
        assert!(ops.len() >= 28, "{ops:?}");

        let mut anon = crate::support::TestApp::new_sharing(&app);
        anon.anonymous();
        let mut no_csrf = crate::support::TestApp::new_sharing(&app);
        no_csrf
            .login("admin", crate::support::PASSWORD)
            .await
            .expect(StatusCode::OK);
        no_csrf.forget_csrf();

        for (method, template, path) in &ops {
            if !path.starts_with("/api/") {
                continue;
            }
            let open = intake::api::is_open(method.as_str(), template);
            let reply = anon
                .request(method.clone(), path, Some(serde_json::json!({})))
                .await;
            if open {
                assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}: {}",
                    reply.text()
                );
                assert_eq!(
                    reply.json()["error"]["code"],
                    "unauthorized",
                    "{method} {path}"
                );
            }
            if !open && *method != Method::GET {
                let reply = no_csrf
                    .request(method.clone(), path, Some(serde_json::json!({})))
                    .await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
                assert_eq!(reply.json()["error"]["code"], "csrf_token_invalid");
            }
        }
        // The session survived all of that (DELETE /api/session was refused without CSRF).
        no_csrf.get("/api/session").await.expect(StatusCode::OK);
    });
}

#[tokio::test]
async fn the_router_serves_exactly_the_documented_methods() {
    each_engine!("route_table", |app| {
        let doc = serde_json::to_value(intake::api::openapi()).unwrap();
        let token = app
            .post("/api/tokens", serde_json::json!({"name": "probe"}))
            .await
            .expect(StatusCode::CREATED)
            .json()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut probe = crate::support::TestApp::new_sharing(&app);
        probe.use_bearer(&token);
        for (template, item) in doc["paths"].as_object().unwrap() {
            let path = fill(template);
            for method in METHODS {
                let documented = item.get(method).is_some();
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                // Bodies that fail validation: nothing is changed, the route still answers.
                let reply = probe
                    .request(m.clone(), &path, Some(serde_json::json!({"x": 1})))
                    .await;
                if documented {
                    assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
                    if path != "/api/session" {
                        assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{m} {path}");
                    }
                    if reply.status == StatusCode::NOT_FOUND {
                        assert_ne!(
                            reply.json()["error"]["code"],
                            "route_not_found",
                            "{m} {path} is documented but not routed"
                        );
                    }
                    if !reply.body.is_empty() && reply.status.as_u16() >= 400 {
                        assert!(
                            reply.json()["error"]["code"].is_string(),
                            "{m} {path}: {}",
                            reply.text()
                        );
                    }
                } else if template.starts_with("/api/") {
                    assert_eq!(
                        reply.status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{m} {path} answers but is not documented"
                    );
                    assert_eq!(reply.json()["error"]["code"], "method_not_allowed");
                }
            }
        }
        let unknown = probe.get("/api/no-such-route").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.json()["error"]["code"], "route_not_found");
    });
}
