//! The queue in the style of River and Oban's tests: leases taken over, attempts counted,
//! retries exhausted, cancel at a batch boundary, concurrent replays, many imports at once.

use std::time::Duration;

use axum::http::StatusCode;
use intake::queue::{Outcome, QueueConfig};
use serde_json::json;
use shared::api::ImportStatus;

use crate::support::{Options, TestApp, assert_counts_add_up, databases, rows};

fn manual_queue() -> QueueConfig {
    QueueConfig {
        workers: 1,
        lease_secs: 30,
        poll: Duration::from_millis(50),
        retry_delay: Duration::from_millis(50),
        ..QueueConfig::default()
    }
}

/// An app whose queue the test drives by hand.
async fn without_workers(url: &str, dir: &std::path::Path) -> TestApp {
    let mut options = Options::new(dir);
    options.queue = None;
    let mut app = TestApp::with_options(url, options).await;
    app.login("admin", crate::support::PASSWORD)
        .await
        .expect(StatusCode::OK);
    app
}

#[tokio::test]
async fn a_job_whose_lease_expired_is_taken_over_and_the_old_worker_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("lease_takeover", dir.path()).await {
        let app = without_workers(&url, dir.path()).await;
        let batches: Vec<_> = (0..3).map(|b| rows("lease", b * 10, 10)).collect();
        let id = app.send_import("skip", &batches).await;
        let storage = app.storage.as_ref();

        // Worker A claims with a lease that is over at once, and applies one batch.
        let a = storage.claim_job("worker-a", 0).await.unwrap().unwrap();
        assert_eq!(a.attempts, 1);
        let first = storage.next_pending_batches(id, 1).await.unwrap();
        assert!(
            storage
                .apply_batches(&a, "worker-a", 0, &first)
                .await
                .unwrap()
                .is_some()
        );
        // Worker B finds the expired lease and takes the job over: a second attempt.
        let b = storage.claim_job("worker-b", 30).await.unwrap().unwrap();
        assert_eq!((b.job_id, b.attempts), (a.job_id, 2));
        // A, late, can no longer write: its batch stays pending for B.
        let second = storage.next_pending_batches(id, 1).await.unwrap();
        assert_eq!(second.iter().map(|b| b.seq).collect::<Vec<_>>(), [1]);
        assert!(
            storage
                .apply_batches(&a, "worker-a", 30, &second)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !storage
                .finish_job(&a, ImportStatus::Completed, None)
                .await
                .unwrap()
        );
        assert_eq!(
            intake::queue::run_job(storage, &manual_queue(), b).await,
            Outcome::Finished(ImportStatus::Completed, None)
        );
        let done = app.get(&format!("/api/imports/{id}")).await.json();
        assert_eq!(done["status"], "completed");
        assert_eq!(done["counts"]["created"], 30, "{done}");
        assert_eq!(done["counts"]["processed"], 30);
        assert_counts_add_up(&done);
        assert_eq!(app.job_of(id).await["attempts"], 2);
        assert_eq!(app.customer_emails().await.len(), 30);
    }
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_failed_with_its_error_after_the_last_attempt() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("max_attempts", dir.path()).await {
        let app = TestApp::signed_in(&url, dir.path()).await;
        // A "file" that opens but cannot be read: every attempt fails the same way.
        let not_a_file = dir.path().join("a-directory.csv");
        std::fs::create_dir_all(&not_a_file).unwrap();
        let group = app.storage.default_group_id().await.unwrap();
        let import = app
            .storage
            .create_import(
                "broken.csv",
                group,
                shared::api::OnDuplicate::Skip,
                "{}",
                Some(&not_a_file.to_string_lossy()),
                ImportStatus::Queued,
            )
            .await
            .unwrap();
        app.state.queue_wakeup.notify_waiters();
        let done = app.wait_for_import(import.id).await;
        assert_eq!(done["status"], "failed", "{done}");
        let error = done["error"].as_str().unwrap();
        assert!(error.contains("failed 5 times"), "{error}");
        assert!(error.to_lowercase().contains("directory"), "{error}");
        let job = app.job_of(import.id).await;
        assert_eq!(job["attempts"], intake::queue::MAX_ATTEMPTS);
        assert_eq!(job["status"], "failed");
        assert_eq!(job["error"], done["error"]);
    }
}

#[tokio::test]
async fn cancelling_a_running_import_stops_it_at_a_batch_boundary_with_consistent_counts() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("cancel_running", dir.path()).await {
        let app = without_workers(&url, dir.path()).await;
        let batches: Vec<_> = (0..4).map(|b| rows("cancel", b * 25, 25)).collect();
        let id = app.send_import("skip", &batches).await;
        let storage = app.storage.as_ref();
        let job = storage.claim_job("worker", 30).await.unwrap().unwrap();
        let first = storage.next_pending_batches(id, 1).await.unwrap();
        storage
            .apply_batches(&job, "worker", 30, &first)
            .await
            .unwrap()
            .unwrap();

        let asked = app
            .request(
                axum::http::Method::POST,
                &format!("/api/imports/{id}/cancel"),
                None,
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(
            asked["status"], "running",
            "a running import stops at the next boundary"
        );
        assert_eq!(
            intake::queue::run_job(storage, &manual_queue(), job).await,
            Outcome::Finished(ImportStatus::Cancelled, None)
        );
        let done = app.get(&format!("/api/imports/{id}")).await.json();
        assert_eq!(done["status"], "cancelled");
        assert_eq!(done["counts"]["received"], 100);
        assert_eq!(done["counts"]["processed"], 25, "one batch, whole: {done}");
        assert_eq!(done["counts"]["created"], 25);
        assert_counts_add_up(&done);
        assert_eq!(app.customer_emails().await.len(), 25);
        assert_eq!(app.job_of(id).await["status"], "cancelled");
        // Finished now: a second cancel is refused.
        app.request(
            axum::http::Method::POST,
            &format!("/api/imports/{id}/cancel"),
            None,
        )
        .await
        .expect(StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn ten_concurrent_replays_of_a_batch_have_one_effect() {
    crate::each_engine!("concurrent_replays", |app| {
        let import = app
            .post("/api/imports", json!({"file_name": "r.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();
        let body = json!({"rows": rows("replay", 0, 50)});
        let app = std::sync::Arc::new(app);
        let same: Vec<_> = (0..10)
            .map(|_| {
                let (app, body) = (app.clone(), body.clone());
                tokio::spawn(
                    async move { app.put(&format!("/api/imports/{id}/batches/0"), body).await },
                )
            })
            .collect();
        let mut answers = Vec::new();
        for task in same {
            answers.push(task.await.unwrap().expect(StatusCode::OK).json());
        }
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
        assert_eq!(answers[0]["accepted"], 50);

        // Ten different bodies under one new seq: exactly one is stored.
        let different: Vec<_> = (0..10)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move {
                    app.put(
                        &format!("/api/imports/{id}/batches/1"),
                        json!({"rows": rows(&format!("other{i}-"), 0, 5)}),
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in different {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
                .count(),
            9,
            "{statuses:?}"
        );
        let before = app.get(&format!("/api/imports/{id}")).await.json();
        assert_eq!(before["counts"]["received"], 55);
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 2, "row_count": 55}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        let done = app.wait_for_import(id).await;
        assert_eq!(done["counts"]["created"], 55, "{done}");
        assert_counts_add_up(&done);
        // Replays after the import ran still get the stored answer and change nothing.
        let late = app
            .put(&format!("/api/imports/{id}/batches/0"), body.clone())
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(late, answers[0]);
        assert_eq!(
            app.get(&format!("/api/imports/{id}")).await.json()["counts"],
            done["counts"]
        );
    });
}

#[tokio::test]
async fn eight_imports_at_once_all_complete_without_a_single_failed_attempt() {
    crate::each_engine!("eight_at_once", |app| {
        let app = std::sync::Arc::new(app);
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let app = app.clone();
                tokio::spawn(async move {
                    // Overlapping emails across imports: they contend for the same rows.
                    let batches: Vec<_> = (0..4)
                        .map(|b| rows("many", n * 100 + b * 100, 100))
                        .collect();
                    let id = app.send_import("update", &batches).await;
                    app.wait_for_import(id).await
                })
            })
            .collect();
        for task in tasks {
            let done = task.await.unwrap();
            assert_eq!(done["status"], "completed", "{done}");
            assert_eq!(done["error"], serde_json::Value::Null);
            assert_eq!(done["counts"]["processed"], 400);
            assert_counts_add_up(&done);
            let job = app.job_of(done["id"].as_i64().unwrap()).await;
            assert_eq!(job["attempts"], 1, "a failed attempt was retried: {job}");
            assert_eq!(job["error"], serde_json::Value::Null);
        }
        let total = app.get("/api/customers?per_page=1").await.json()["total"].clone();
        assert_eq!(total, 1100);
    });
}
