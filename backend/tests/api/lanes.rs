//! PostgreSQL applies a round of batches in two lanes (transactions) at once, split by a hash
//! of the email: customers still get ids in the file's order, and a lane that fails is applied
//! again by the retry while the other lane's committed work is neither lost nor counted twice.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use intake::queue::{Outcome, QueueConfig};
use serde_json::{Value, json};
use shared::api::ImportStatus;

use intake::storage::lane_of;

use crate::support::{Options, PASSWORD, TestApp, assert_counts_add_up, databases};

/// The emails of an export, in its order.
fn export_emails(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn customers_get_ids_in_the_files_order() {
    // Emails in no sorted order (7919 is prime to 1,500: every number once), so neither the
    // email nor the lane decides the order, only the position in the file.
    let emails: Vec<String> = (0..1500)
        .map(|i| format!("order{:04}@example.com", (i * 7919) % 1500))
        .collect();
    let batches: Vec<Value> = emails
        .chunks(500)
        .enumerate()
        .map(|(b, chunk)| {
            Value::Array(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(j, email)| {
                        json!({"line": b * 500 + j + 2, "first_name": "F", "last_name": "L", "email": email})
                    })
                    .collect(),
            )
        })
        .collect();
    // Ids handed out per lane (each lane's rows of a batch together) would give another
    // order: both lanes have rows in every batch, interleaved.
    for chunk in emails.chunks(500) {
        let mut by_lane = chunk.to_vec();
        by_lane.sort_by_key(|e| lane_of(e));
        assert_ne!(by_lane, chunk, "every batch must have rows of both lanes");
    }

    crate::each_engine!("lanes_file_order", |app| {
        let done = app.import_batches("skip", &batches).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["created"], 1500, "{done}");
        assert_counts_add_up(&done);
        let export = app
            .get("/api/customers/export.csv")
            .await
            .expect(StatusCode::OK)
            .text();
        assert!(
            export_emails(&export) == emails,
            "the export (in id order) is not the file's order on {}",
            app.engine
        );
    });
}

/// The queue, driven by hand: rounds of at most `rows_per_transaction` rows.
fn queue(rows_per_transaction: i64) -> QueueConfig {
    QueueConfig {
        workers: 1,
        lease_secs: 30,
        poll: Duration::from_millis(50),
        retry_delay: Duration::from_millis(50),
        rows_per_transaction,
    }
}

/// Claim the next job, waiting out a retry's delay.
async fn claim(app: &TestApp) -> intake::storage::ClaimedJob {
    for _ in 0..200 {
        if let Some(job) = app.storage.claim_job("lanes-test", 30).await.unwrap() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no job to claim");
}

fn email(i: usize) -> String {
    format!("lane{i}@example.com")
}

/// Three batches of 500 rows. Every tenth row of the second batch repeats an email of the
/// first, every tenth of the third one of the second; each of those rows has its own first
/// name. Returns the batches and, per distinct email, the first name of its last row.
fn file_with_repeats() -> (Vec<Value>, BTreeMap<String, String>) {
    let mut last = BTreeMap::new();
    let batches = (0..3)
        .map(|b| {
            Value::Array(
                (0..500)
                    .map(|j| {
                        let i = b * 500 + j;
                        let (email, first) = match (b, j % 10) {
                            (1, 0) => (email(j), format!("Again1-{j}")),
                            (2, 5) => (email(500 + j), format!("Again2-{j}")),
                            _ => (email(i), format!("F{i}")),
                        };
                        last.insert(email.clone(), first.clone());
                        json!({"line": i + 2, "first_name": first, "last_name": "L", "email": email})
                    })
                    .collect(),
            )
        })
        .collect();
    (batches, last)
}

/// A PostgreSQL test database with an app whose queue the test drives, a group, and a
/// connection of its own; None on SQLite.
async fn postgres_app(
    name: &str,
    dir: &std::path::Path,
) -> Option<(TestApp, i64, sqlx::PgConnection)> {
    use sqlx::Connection;
    let url = databases(name, dir)
        .await
        .into_iter()
        .find(|u| u.starts_with("postgres"))?;
    let mut options = Options::new(dir);
    options.queue = None;
    let mut app = TestApp::with_options(&url, options).await;
    app.login("admin", PASSWORD).await.expect(StatusCode::OK);
    let group = app.create_group("Lanes").await;
    let db = sqlx::PgConnection::connect(&url).await.unwrap();
    Some((app, group, db))
}

/// Make the insert of the customer with this email fail, the first time only (the
/// sequence's value survives the rollback; `ALTER SEQUENCE fail_once RESTART` arms it again).
async fn fail_once_on(db: &mut sqlx::PgConnection, failing: &str) {
    for sql in [
        "CREATE SEQUENCE fail_once".to_owned(),
        format!(
            "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.email_key = '{failing}' THEN \
               IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'lanes test: this lane fails once'; END IF; \
             END IF; \
             RETURN NEW; END $$"
        ),
        "CREATE TRIGGER fail_once BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION fail_once()"
            .to_owned(),
    ] {
        sqlx::query(&sql).execute(&mut *db).await.unwrap();
    }
}

/// Create an import into `group`, send the batches and commit; its id.
async fn send_and_commit(app: &TestApp, group: i64, batches: &[Value]) -> i64 {
    let id = app
        .post(
            "/api/imports",
            json!({"file_name": "lanes.csv", "group_id": group, "on_duplicate": "skip"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .json()["id"]
        .as_i64()
        .unwrap();
    let mut sent = 0;
    for (seq, batch) in batches.iter().enumerate() {
        app.put(
            &format!("/api/imports/{id}/batches/{seq}"),
            json!({ "rows": batch }),
        )
        .await
        .expect(StatusCode::OK);
        sent += batch.as_array().unwrap().len();
    }
    app.post(
        &format!("/api/imports/{id}/commit"),
        json!({"batch_count": batches.len(), "row_count": sent}),
    )
    .await
    .expect(StatusCode::ACCEPTED);
    id
}

/// The import's first attempt, which must fail in the failing lane.
async fn first_attempt_fails(app: &TestApp, config: &QueueConfig) {
    let job = claim(app).await;
    assert_eq!(job.attempts, 1);
    match intake::queue::run_job(app.storage.as_ref(), config, job).await {
        Outcome::Retrying(error) => assert!(error.contains("fails once"), "{error}"),
        other => panic!("the first attempt should have failed: {other:?}"),
    }
}

#[tokio::test]
async fn a_lane_that_fails_is_applied_again_and_nothing_is_lost_or_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let Some((app, group, mut db)) = postgres_app("lane_fails_once", dir.path()).await else {
        return;
    };
    // A new customer of the second batch fails its lane's insert, the first time only.
    let failing = email(507);
    let failing_lane = lane_of(&failing);
    let other_lane = 1 - failing_lane;
    fail_once_on(&mut db, &failing).await;

    let (batches, last) = file_with_repeats();
    let sent = 1500;
    let distinct = last.len();
    assert_eq!(distinct, 1400);
    // The second batch's new customers, by lane.
    let second: Vec<String> = (500..1000).filter(|i| i % 10 != 0).map(email).collect();
    let (in_failing, in_other): (Vec<String>, Vec<String>) =
        second.into_iter().partition(|e| lane_of(e) == failing_lane);
    assert!(!in_failing.is_empty() && !in_other.is_empty());

    // A round per batch (the failure comes after a whole round), and one round for the file
    // (the failing lane had applied the first batch in the transaction that fails).
    for rows_per_transaction in [500, 50_000] {
        eprintln!("-- rounds of {rows_per_transaction} rows");
        let config = queue(rows_per_transaction);
        sqlx::query("ALTER SEQUENCE fail_once RESTART")
            .execute(&mut db)
            .await
            .unwrap();
        let id = send_and_commit(&app, group, &batches).await;

        // The first attempt: one lane fails in the second batch, the other commits.
        first_attempt_fails(&app, &config).await;
        let lane_rows: Vec<(i64, i16)> = sqlx::query_as(
            "SELECT seq, lane FROM import_batch_lanes WHERE import_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert!(
            lane_rows
                .iter()
                .all(|&(_, lane)| lane as usize == other_lane)
                && lane_rows.iter().any(|&(seq, _)| seq == 1),
            "only the other lane, and it applied the second batch: {lane_rows:?}"
        );
        if rows_per_transaction == 500 {
            assert_eq!(lane_rows, [(1, other_lane as i16)]);
        }
        let present = |emails: Vec<String>| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM customers WHERE email_key = ANY($1)")
                .bind(emails)
        };
        let n = present(in_other.clone()).fetch_one(&mut db).await.unwrap();
        assert_eq!(n, in_other.len() as i64, "the other lane's customers stay");
        let n = present(in_failing.clone())
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(n, 0, "the failing lane's customers were rolled back");
        let between = app.get(&format!("/api/imports/{id}")).await.json();
        let rounds_done = if rows_per_transaction == 500 { 500 } else { 0 };
        assert_eq!(between["counts"]["processed"], rounds_done, "{between}");

        // The retry applies what the failed lane did not, and finishes the import.
        let job = claim(&app).await;
        assert_eq!(job.attempts, 2);
        assert_eq!(
            intake::queue::run_job(app.storage.as_ref(), &config, job).await,
            Outcome::Finished(ImportStatus::Completed, None)
        );
        let done = app.get(&format!("/api/imports/{id}")).await.json();
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(app.job_of(id).await["attempts"], 2);
        assert_eq!(done["counts"]["processed"], sent, "{done}");
        assert_eq!(done["counts"]["created"], distinct, "{done}");
        assert_eq!(done["counts"]["updated"], 0, "{done}");
        assert_eq!(done["counts"]["skipped"], sent - distinct, "{done}");
        assert_counts_add_up(&done);

        // Every email once, with its last row's first name.
        let export = app
            .get("/api/customers/export.csv")
            .await
            .expect(StatusCode::OK)
            .text();
        let stored: Vec<(String, String)> = export
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[2].to_owned(), cells[0].to_owned())
            })
            .collect();
        assert_eq!(stored.len(), distinct);
        let stored: BTreeMap<String, String> = stored.into_iter().collect();
        assert_eq!(stored, last);
        assert_eq!(stored[&email(0)], "Again1-0", "the later row wins");
        assert_eq!(stored[&email(505)], "Again2-5", "the later row wins");
        let group_count = |groups: Value| {
            groups
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["id"] == group)
                .unwrap()["customer_count"]
                .clone()
        };
        assert_eq!(group_count(app.get("/api/groups").await.json()), distinct);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_batch_lanes")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(left, 0);

        // Undo removes every customer it created, those of the retried lane too.
        app.request(Method::POST, &format!("/api/imports/{id}/undo"), None)
            .await
            .expect(StatusCode::ACCEPTED);
        let job = claim(&app).await;
        assert_eq!(
            intake::queue::run_job(app.storage.as_ref(), &config, job).await,
            Outcome::Finished(ImportStatus::Undone, None)
        );
        assert_eq!(
            app.get(&format!("/api/imports/{id}")).await.json()["status"],
            "undone"
        );
        let total = app.get("/api/customers?per_page=1").await.json()["total"].clone();
        assert_eq!(total, 0);
        assert_eq!(group_count(app.get("/api/groups").await.json()), 0);
    }
}

#[tokio::test]
async fn a_cancel_after_a_lane_failed_stops_only_once_the_half_applied_batch_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let Some((app, group, mut db)) = postgres_app("lane_fails_then_cancel", dir.path()).await
    else {
        return;
    };
    let failing = email(507);
    fail_once_on(&mut db, &failing).await;
    let (batches, _) = file_with_repeats();
    let config = queue(500);
    let id = send_and_commit(&app, group, &batches).await;
    // The first batch is applied; of the second only the other lane's share.
    first_attempt_fails(&app, &config).await;
    app.post(&format!("/api/imports/{id}/cancel"), json!({}))
        .await
        .expect(StatusCode::OK);

    // The retry makes the second batch whole, then honours the cancel.
    let job = claim(&app).await;
    assert_eq!(
        intake::queue::run_job(app.storage.as_ref(), &config, job).await,
        Outcome::Finished(ImportStatus::Cancelled, None)
    );
    let done = app.get(&format!("/api/imports/{id}")).await.json();
    assert_eq!(done["status"], "cancelled", "{done}");
    // Two whole batches: 500 new, then 450 new and 50 repeats of the first batch's emails.
    assert_eq!(done["counts"]["processed"], 1000, "{done}");
    assert_eq!(done["counts"]["created"], 950, "{done}");
    assert_eq!(done["counts"]["skipped"], 50, "{done}");
    let total = app.get("/api/customers?per_page=1").await.json()["total"].clone();
    assert_eq!(total, 950);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE email_key = $1")
        .bind(&failing)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        stored, 1,
        "the failed lane's share of the batch was applied"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_batch_lanes")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
