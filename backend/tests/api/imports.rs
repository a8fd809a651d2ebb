//! The batch import protocol and the queue: idempotent batches, commit, the worker's
//! writes, duplicates, undo, the error report, raw CSV uploads.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::each_engine;

fn row(line: u64, email: &str, first: &str) -> serde_json::Value {
    json!({"line": line, "first_name": first, "last_name": "Test", "email": email})
}

#[tokio::test]
async fn batches_are_idempotent_per_seq_and_refused_after_commit() {
    each_engine!("batch_idempotent", |app| {
        let import = app
            .post(
                "/api/imports",
                json!({"file_name": "a.csv", "on_duplicate": "skip"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert_eq!(import["status"], "receiving");
        let id = import["id"].as_i64().unwrap();
        let body = json!({"rows": [row(2, "a@example.com", "A"), {"line": 3, "email": "broken", "first_name": "B"}]});
        let first = app
            .put(&format!("/api/imports/{id}/batches/0"), body.clone())
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(first["accepted"], 1);
        assert_eq!(first["rejected"][0]["line"], 3);
        assert_eq!(first["rejected"][0]["errors"][0]["field"], "email");
        // The same body again: the same answer, nothing changes.
        let again = app
            .put(&format!("/api/imports/{id}/batches/0"), body.clone())
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(first, again);
        // Another body under the same seq is refused.
        app.put(
            &format!("/api/imports/{id}/batches/0"),
            json!({"rows": [row(2, "x@example.com", "X")]}),
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
        // Missing batches: the commit is refused and says what the server holds.
        let missing = app
            .post(
                &format!("/api/imports/{id}/commit"),
                json!({"batch_count": 2, "row_count": 3}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(missing.json()["error"]["details"]["stored_batches"], 1);
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 1, "row_count": 2}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        app.put(
            &format!("/api/imports/{id}/batches/1"),
            json!({"rows": [row(4, "c@example.com", "C")]}),
        )
        .await
        .expect(StatusCode::CONFLICT);
        // After commit an exact replay still gets its stored answer (a client retrying after a
        // lost response); any other body under that seq is 409, as the contract says.
        let replayed = app
            .put(&format!("/api/imports/{id}/batches/0"), body.clone())
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(first, replayed);
        app.put(
            &format!("/api/imports/{id}/batches/0"),
            json!({"rows": [row(2, "x@example.com", "X")]}),
        )
        .await
        .expect(StatusCode::CONFLICT);

        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed");
        assert_eq!(
            done["counts"],
            json!({"received": 2, "processed": 2, "created": 1, "updated": 0, "skipped": 0, "failed": 1})
        );
        assert_eq!(app.customer_emails().await, vec!["a@example.com"]);

        let report = app
            .get(&format!("/api/imports/{id}/errors.csv"))
            .await
            .expect(StatusCode::OK)
            .text();
        let mut lines = report.lines();
        assert_eq!(lines.next(), Some("line,field,value,code,message"));
        let line = lines.next().unwrap();
        assert!(line.starts_with("3,email,broken,invalid_email,"), "{line}");

        let jobs = app.get("/api/jobs").await.expect(StatusCode::OK).json();
        assert_eq!(jobs["items"][0]["import_id"], id);
        assert_eq!(jobs["items"][0]["status"], "completed");
        assert_eq!(jobs["items"][0]["progress"], 1.0);
    });
}

#[tokio::test]
async fn within_an_import_the_later_row_wins_and_counts_add_up() {
    each_engine!("later_row_wins", |app| {
        let done = app
            .import_batches(
                "skip",
                &[
                    json!([
                        row(2, "dup@example.com", "First"),
                        row(3, "other@example.com", "O")
                    ]),
                    json!([
                        row(4, "DUP@example.com", "Second"),
                        row(5, "dup@example.com", "Third")
                    ]),
                ],
            )
            .await;
        let c = &done["counts"];
        assert_eq!(done["status"], "completed");
        assert_eq!(c["created"], 2);
        assert_eq!(c["received"], 4);
        let sum = ["created", "updated", "skipped", "failed"]
            .iter()
            .map(|k| c[k].as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(sum, c["processed"].as_i64().unwrap(), "{c}");
        let list = app
            .get("/api/customers?q=dup")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["first_name"], "Third");
    });
}

#[tokio::test]
async fn on_duplicate_decides_what_happens_to_stored_customers_and_undo_restores_them() {
    each_engine!("on_duplicate_undo", |app| {
        app.post("/api/customers", json!({"first_name": "Old", "last_name": "Name", "email": "keep@example.com", "note": "kept"}))
            .await
            .expect(StatusCode::CREATED);
        let skipped = app
            .import_batches("skip", &[json!([row(2, "keep@example.com", "New")])])
            .await;
        assert_eq!(skipped["counts"]["skipped"], 1);
        let list = app.get("/api/customers?q=keep").await.json();
        assert_eq!(list["items"][0]["first_name"], "Old");

        let non_blank = app
            .import_batches("update_non_blank", &[json!([{"line": 2, "email": "keep@example.com", "first_name": "Newer", "note": ""}])])
            .await;
        assert_eq!(non_blank["counts"]["updated"], 1);
        let c = &app.get("/api/customers?q=keep").await.json()["items"][0];
        assert_eq!(c["first_name"], "Newer");
        assert_eq!(c["note"], "kept", "blank cells do not overwrite");

        let updated = app
            .import_batches(
                "update",
                &[json!([
                    row(2, "keep@example.com", "Newest"),
                    row(3, "fresh@example.com", "F")
                ])],
            )
            .await;
        assert_eq!(updated["counts"]["updated"], 1);
        assert_eq!(updated["counts"]["created"], 1);
        let id = updated["id"].as_i64().unwrap();

        app.undo_import(id).await;
        // Queue jobs: the import's own job reads `undone`, beside the completed undo job.
        let jobs = app.get("/api/jobs").await.expect(StatusCode::OK).json();
        let of_import: Vec<(&str, &str)> = jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["import_id"] == id)
            .map(|j| (j["kind"].as_str().unwrap(), j["status"].as_str().unwrap()))
            .collect();
        assert_eq!(of_import, vec![("undo", "completed"), ("import", "undone")]);
        assert_eq!(app.customer_emails().await, vec!["keep@example.com"]);
        let c = &app.get("/api/customers?q=keep").await.json()["items"][0];
        assert_eq!(
            c["first_name"], "Newer",
            "undo restores the values from before this import"
        );
    });
}

#[tokio::test]
async fn undo_reverses_exactly_what_each_import_did_across_batches() {
    each_engine!("undo_runs", |app| {
        app.post(
            "/api/customers",
            json!({"first_name": "Before", "last_name": "B", "email": "before@example.com"}),
        )
        .await
        .expect(StatusCode::CREATED);
        // New customers are recorded as runs of ids; a stored email in the middle of a batch
        // and a later row for a customer created by an earlier batch must not confuse them.
        let a = app
            .import_batches(
                "update",
                &[
                    json!([
                        row(2, "a1@example.com", "A1"),
                        row(3, "a2@example.com", "A2")
                    ]),
                    json!([
                        row(4, "before@example.com", "ByA"),
                        row(5, "a3@example.com", "A3")
                    ]),
                    json!([
                        row(6, "a1@example.com", "A1 again"),
                        row(7, "a4@example.com", "A4")
                    ]),
                ],
            )
            .await;
        let c = &a["counts"];
        assert_eq!(
            (
                c["created"].as_i64(),
                c["updated"].as_i64(),
                c["skipped"].as_i64()
            ),
            (Some(4), Some(1), Some(1)),
            "{c}"
        );
        app.post(
            "/api/customers",
            json!({"first_name": "After", "last_name": "B", "email": "after@example.com"}),
        )
        .await
        .expect(StatusCode::CREATED);
        let b = app
            .import_batches(
                "update",
                &[json!([
                    row(2, "b1@example.com", "B1"),
                    row(3, "a2@example.com", "A2 by B"),
                    row(4, "b2@example.com", "B2")
                ])],
            )
            .await;
        assert_eq!(
            (
                b["counts"]["created"].as_i64(),
                b["counts"]["updated"].as_i64()
            ),
            (Some(2), Some(1))
        );

        app.undo_import(a["id"].as_i64().unwrap()).await;
        // Everything A created goes (a2 too, which B updated later); "before" gets its values back.
        assert_eq!(
            app.customer_emails().await,
            vec![
                "after@example.com",
                "b1@example.com",
                "b2@example.com",
                "before@example.com"
            ]
        );
        let before = &app.get("/api/customers?q=before").await.json()["items"][0];
        assert_eq!(before["first_name"], "Before");
        app.undo_import(b["id"].as_i64().unwrap()).await;
        assert_eq!(
            app.customer_emails().await,
            vec!["after@example.com", "before@example.com"]
        );
    });
}

#[tokio::test]
async fn a_taken_email_late_in_a_large_batch_is_updated_and_the_rest_created_once() {
    each_engine!("taken_late", |app| {
        // Every row of a batch goes in as a new customer unless its email is taken: the one
        // taken email, far into the batch, is updated and nothing else is touched twice.
        app.post(
            "/api/customers",
            json!({"first_name": "Hand", "last_name": "Made", "email": "late150@example.com", "note": "by hand"}),
        )
        .await
        .expect(StatusCode::CREATED);
        let rows = crate::support::rows("late", 0, 200);
        let first = app
            .import_batches("update", std::slice::from_ref(&rows))
            .await;
        let c = &first["counts"];
        assert_eq!(
            (
                c["created"].as_i64(),
                c["updated"].as_i64(),
                c["skipped"].as_i64()
            ),
            (Some(199), Some(1), Some(0)),
            "{c}"
        );
        let emails = app.customer_emails().await;
        assert_eq!(emails.len(), 200, "every email once: {emails:?}");
        let hand = &app.get("/api/customers?q=late150@").await.json()["items"][0];
        assert_eq!(
            (hand["first_name"].as_str(), hand["note"].as_str()),
            (Some("F150"), Some(""))
        );

        // Every email of the same rows is taken now: with "skip" all are skipped, none created.
        let again = app.import_batches("skip", &[rows]).await;
        assert_eq!(
            (
                again["counts"]["created"].as_i64(),
                again["counts"]["skipped"].as_i64()
            ),
            (Some(0), Some(200))
        );

        app.undo_import(first["id"].as_i64().unwrap()).await;
        assert_eq!(app.customer_emails().await, vec!["late150@example.com"]);
        let hand = &app.get("/api/customers?q=late150@").await.json()["items"][0];
        assert_eq!(
            (hand["first_name"].as_str(), hand["note"].as_str()),
            (Some("Hand"), Some("by hand"))
        );
    });
}

#[tokio::test]
async fn undo_leaves_customers_added_by_hand_while_the_import_ran() {
    each_engine!("undo_beside_hand", |app| {
        let batches: Vec<serde_json::Value> = (0..30)
            .map(|b| {
                serde_json::Value::Array(
                    (0..100)
                        .map(|i| row(2 + b * 100 + i, &format!("imp{b}-{i}@example.com"), "I"))
                        .collect(),
                )
            })
            .collect();
        let id = app.send_import("skip", &batches).await;
        // Customers created by hand take ids while the import writes its own.
        let mut by_hand = Vec::new();
        while by_hand.len() < 400 {
            let email = format!("hand{:03}@example.com", by_hand.len());
            app.post(
                "/api/customers",
                json!({"first_name": "H", "last_name": "H", "email": email}),
            )
            .await
            .expect(StatusCode::CREATED);
            by_hand.push(email);
            if app.get(&format!("/api/imports/{id}")).await.json()["status"] == "completed" {
                break;
            }
        }
        assert_eq!(app.wait_for_import(id).await["counts"]["created"], 3000);
        app.undo_import(id).await;
        let list = app
            .get("/api/customers?per_page=500&sort=email")
            .await
            .json();
        assert_eq!(list["total"], by_hand.len());
        let left: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap())
            .collect();
        assert_eq!(left, by_hand);
    });
}

#[tokio::test]
async fn undo_leaves_a_customer_added_by_hand_after_the_imports_last_one_was_deleted() {
    each_engine!("undo_after_delete", |app| {
        let import = app
            .import_batches("skip", &[crate::support::rows("imp", 0, 5)])
            .await;
        // The import's newest customer is deleted by hand, then a customer is added by hand:
        // its id must not be one the import created (SQLite reuses the highest id + 1 unless
        // the table says AUTOINCREMENT), or undoing the import would delete it.
        let list = app
            .get("/api/customers?sort=-created_at&per_page=10")
            .await
            .json();
        let newest = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .max()
            .unwrap();
        app.request(Method::DELETE, &format!("/api/customers/{newest}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        let hand = app
            .post(
                "/api/customers",
                json!({"first_name": "Hand", "last_name": "Made", "email": "hand@example.com"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert!(
            hand["id"].as_i64().unwrap() > newest,
            "an id is never given twice: {hand}"
        );
        app.undo_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(app.customer_emails().await, vec!["hand@example.com"]);
    });
}

#[tokio::test]
async fn group_names_in_rows_resolve_to_one_group_each_across_batches() {
    each_engine!("groups_across_batches", |app| {
        let vip = app.create_group("VIP").await;
        // Three batches of one transaction name an existing group (in another case and with
        // spaces), a new group, and none.
        let batch = |b: u64| {
            json!([
                {"line": 2 + 3 * b, "email": format!("v{b}@example.com"), "group": " vip "},
                {"line": 3 + 3 * b, "email": format!("w{b}@example.com"), "group": "Wholesale"},
                {"line": 4 + 3 * b, "email": format!("n{b}@example.com"), "group": ""}
            ])
        };
        let done = app
            .import_batches("skip", &[batch(0), batch(1), batch(2)])
            .await;
        assert_eq!(done["counts"]["created"], 9, "{done}");
        let groups = app.get("/api/groups").await.expect(StatusCode::OK).json();
        let named: Vec<(&str, i64)> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["name"].as_str().unwrap(), g["id"].as_i64().unwrap()))
            .collect();
        let wholesale: Vec<i64> = named
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("wholesale"))
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(wholesale.len(), 1, "one new group: {named:?}");
        let default = named.iter().find(|(n, _)| *n == "Default").unwrap().1;
        let list = app
            .get("/api/customers?per_page=50&sort=email")
            .await
            .json();
        for c in list["items"].as_array().unwrap() {
            let email = c["email"].as_str().unwrap();
            let expected = match &email[..1] {
                "v" => vip,
                "w" => wholesale[0],
                _ => default,
            };
            assert_eq!(c["group_id"].as_i64().unwrap(), expected, "{email}: {c}");
        }
    });
}

#[tokio::test]
async fn a_raw_csv_upload_is_detected_mapped_and_imported_by_the_server() {
    each_engine!("raw_csv", |app| {
        let csv = "Име;Фамилия;Имейл;Телефон\r\nИван;Петров;ivan@example.com;0888\r\nМария;Иванова;maria@example.com;0899\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(csv);
        let req = app
            .builder(
                Method::POST,
                "/api/imports/csv?on_duplicate=skip&file_name=bg.csv",
            )
            .header("content-type", "text/csv")
            .body(Body::from(bytes.into_owned()))
            .unwrap();
        let import = app.raw(req).await.expect(StatusCode::ACCEPTED).json();
        assert_eq!(import["status"], "queued");
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["created"], 2);
        let list = app.get("/api/customers?sort=email").await.json();
        assert_eq!(list["items"][0]["full_name"], "Иван Петров");
        assert_eq!(list["items"][1]["email"], "maria@example.com");
    });
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_contract_errors() {
    each_engine!("bad_bodies", |app| {
        let import = app
            .post("/api/imports", json!({"file_name": "a.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        let req = app
            .builder(Method::PUT, &format!("/api/imports/{id}/batches/0"))
            .header("content-type", "application/json")
            .body(Body::from("{\"rows\": [ nope"))
            .unwrap();
        let reply = app.raw(req).await.expect(StatusCode::BAD_REQUEST);
        assert_eq!(reply.json()["error"]["code"], "malformed_json");
        let huge = "x".repeat(intake::api::JSON_BODY_LIMIT + 10);
        let req = app
            .builder(Method::PUT, &format!("/api/imports/{id}/batches/0"))
            .header("content-type", "application/json")
            .body(Body::from(format!(
                "{{\"rows\": [{{\"line\": 1, \"note\": \"{huge}\"}}]}}"
            )))
            .unwrap();
        let reply = app.raw(req).await.expect(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.json()["error"]["code"], "payload_too_large");
    });
}

#[tokio::test]
async fn a_raw_csv_upload_takes_a_mapping_by_header_name_or_by_column() {
    each_engine!("raw_csv_mapping", |app| {
        let upload = |query: &str, csv: &'static str| {
            app.builder(Method::POST, &format!("/api/imports/csv?{query}"))
                .header("content-type", "text/csv")
                .body(Body::from(csv))
                .unwrap()
        };
        // Headers the automatic mapping does not know.
        let by_name = "mapping=%7B%22Kontakt%22%3A%22email%22%2C%22Wer%22%3A%22full_name%22%7D";
        let import = app
            .raw(upload(
                by_name,
                "Wer,Kontakt\nAna Petrova,ana@example.com\n",
            ))
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["counts"]["created"], 1, "{done}");
        // One target per column, no header row.
        let by_column = "has_header=false&mapping=%5B%22email%22%2Cnull%2C%22first_name%22%5D";
        let import = app
            .raw(upload(by_column, "boris@example.com,ignored,Boris\n"))
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["counts"]["created"], 1, "{done}");
        let list = app.get("/api/customers?sort=email").await.json();
        assert_eq!(list["items"][0]["first_name"], "Ana");
        assert_eq!(list["items"][1]["first_name"], "Boris");
        assert_eq!(list["items"][1]["note"], "");
        // A name the file lacks fails the import with a clear message.
        let import = app
            .raw(upload(
                "mapping=%7B%22Nope%22%3A%22email%22%7D",
                "a,b\n1,2\n",
            ))
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["status"], "failed");
        assert!(done["error"].as_str().unwrap().contains("Nope"), "{done}");
        // Not JSON, or an unknown target: refused before the upload is stored.
        for bad in ["mapping=email", "mapping=%5B%22phone%22%5D"] {
            let reply = app
                .raw(upload(bad, "x\n"))
                .await
                .expect(StatusCode::BAD_REQUEST);
            assert_eq!(reply.json()["error"]["code"], "invalid_mapping");
        }
    });
}
