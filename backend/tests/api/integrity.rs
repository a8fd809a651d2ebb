//! The database itself refuses a customer in a missing group, the deletion of a group that
//! customers are in, and an undo record of a missing import: foreign keys on SQLite,
//! statement-level checks on PostgreSQL (migration 0006), including when the two writes race.
//! And what the database keeps of an applied batch.

use std::time::Duration;

use intake::storage::{self, CustomerValues};
use shared::api::{ImportStatus, OnDuplicate};
use shared::customer::CustomerFields;
use sqlx::Connection;
use sqlx::error::ErrorKind;

/// A plain connection of either engine, for statements the application never sends.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

impl Db {
    async fn connect(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap())
        } else {
            Db::Pg(sqlx::PgConnection::connect(url).await.unwrap())
        }
    }

    async fn run(&mut self, sql: &str) -> sqlx::Result<u64> {
        match self {
            Db::Sqlite(c) => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()),
            Db::Pg(c) => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()),
        }
    }

    /// One text value (the first column of the first row).
    async fn text(&mut self, sql: &str) -> String {
        match self {
            Db::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
            Db::Pg(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
        }
    }

    /// A job's status and error, read past the application (which refuses a corrupt row).
    async fn job_state(&mut self, job: i64) -> (String, String) {
        let status = self
            .text(&format!("SELECT status FROM jobs WHERE id = {job}"))
            .await;
        let error = self
            .text(&format!(
                "SELECT COALESCE(error, '') FROM jobs WHERE id = {job}"
            ))
            .await;
        (status, error)
    }

    async fn count(&mut self, sql: &str) -> i64 {
        match self {
            Db::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
            Db::Pg(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
        }
    }
}

fn assert_foreign_key_violation(result: sqlx::Result<u64>, what: &str) {
    match result {
        Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::ForeignKeyViolation => {}
        other => panic!("{what}: expected a foreign key violation, got {other:?}"),
    }
}

const INSERT_CUSTOMER: &str = "INSERT INTO customers (first_name, last_name, full_name, email, \
    email_key, note, accepts_marketing, group_id, search_text, created_at, updated_at) \
    VALUES ('A', 'B', 'A B', 'ab@example.com', 'ab@example.com', '', FALSE, {group}, 'a b', \
    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')";

fn insert_customer_sql(group: i64) -> String {
    INSERT_CUSTOMER.replace("{group}", &group.to_string())
}

#[tokio::test]
async fn the_database_refuses_references_to_missing_groups_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    for url in crate::support::databases("integrity", dir.path()).await {
        let store = storage::connect(&url).await.unwrap();
        let group = store.create_group("Wholesale").await.unwrap().id;
        let default_group = store.default_group_id().await.unwrap();
        assert_ne!(group, default_group);
        let customer = store
            .create_customer(&CustomerValues {
                fields: CustomerFields {
                    first_name: "Ana".into(),
                    last_name: "Petrova".into(),
                    full_name: "Ana Petrova".into(),
                    email: "ana@example.com".into(),
                    note: String::new(),
                    accepts_marketing: true,
                },
                email_key: "ana@example.com".into(),
                group_id: group,
            })
            .await
            .unwrap();
        let import = store
            .create_import(
                "a.csv",
                default_group,
                OnDuplicate::Skip,
                "{}",
                None,
                ImportStatus::Receiving,
            )
            .await
            .unwrap();
        let mut db = Db::connect(&url).await;
        let missing = group + 1000;

        assert_foreign_key_violation(
            db.run(&insert_customer_sql(missing)).await,
            &format!("{url}: a customer in a missing group"),
        );
        assert_foreign_key_violation(
            db.run(&format!(
                "UPDATE customers SET group_id = {missing} WHERE id = {}",
                customer.id
            ))
            .await,
            &format!("{url}: a customer moved to a missing group"),
        );
        assert_foreign_key_violation(
            db.run(&format!("DELETE FROM customer_groups WHERE id = {group}"))
                .await,
            &format!("{url}: deleting a group customers are in"),
        );
        assert_foreign_key_violation(
            db.run(&format!(
                "INSERT INTO import_changes (import_id, customer_id, action) \
                 VALUES ({}, {}, 'created')",
                import.id + 1000,
                customer.id
            ))
            .await,
            &format!("{url}: an undo record of a missing import"),
        );
        // Nothing above was written; what is allowed still is.
        assert_eq!(db.count("SELECT COUNT(*) FROM customers").await, 1, "{url}");
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM customers WHERE group_id = {group}"
            ))
            .await,
            1,
            "{url}"
        );
        db.run(&format!(
            "INSERT INTO import_changes (import_id, customer_id, action) VALUES ({}, {}, 'created')",
            import.id, customer.id
        ))
        .await
        .unwrap();
        db.run(&format!(
            "UPDATE customers SET group_id = {default_group} WHERE id = {}",
            customer.id
        ))
        .await
        .unwrap();
        assert_eq!(
            db.run(&format!("DELETE FROM customer_groups WHERE id = {group}"))
                .await
                .unwrap(),
            1,
            "{url}: a group no customer is in"
        );
    }
}

/// PostgreSQL only (SQLite has one writer): a group deleted while customers are being
/// written into it, in either order, never leaves a customer in a missing group.
#[tokio::test]
async fn a_group_deleted_while_customers_are_written_into_it_is_refused_or_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    for url in crate::support::databases("integrity_race", dir.path()).await {
        if url.starts_with("sqlite:") {
            continue;
        }
        let store = storage::connect(&url).await.unwrap();

        // The delete first: the insert waits for it, then finds the group gone.
        let group = store.create_group("Doomed").await.unwrap().id;
        let mut deleter = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut delete_tx = deleter.begin().await.unwrap();
        sqlx::query(&format!("DELETE FROM customer_groups WHERE id = {group}"))
            .execute(&mut *delete_tx)
            .await
            .unwrap();
        let insert_url = url.clone();
        let insert = tokio::spawn(async move {
            let mut db = Db::connect(&insert_url).await;
            db.run(&insert_customer_sql(group)).await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!insert.is_finished(), "the insert waits for the delete");
        delete_tx.commit().await.unwrap();
        assert_foreign_key_violation(
            insert.await.unwrap(),
            "a customer written into a group deleted meanwhile",
        );

        // The insert first: the delete waits for it, then finds the group in use.
        let group = store.create_group("Kept").await.unwrap().id;
        let mut writer = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut insert_tx = writer.begin().await.unwrap();
        sqlx::query(&insert_customer_sql(group))
            .execute(&mut *insert_tx)
            .await
            .unwrap();
        let delete_url = url.clone();
        let delete = tokio::spawn(async move {
            let mut db = Db::connect(&delete_url).await;
            db.run(&format!("DELETE FROM customer_groups WHERE id = {group}"))
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!delete.is_finished(), "the delete waits for the insert");
        insert_tx.commit().await.unwrap();
        assert_foreign_key_violation(
            delete.await.unwrap(),
            "deleting a group a customer was written into meanwhile",
        );
        let mut db = Db::connect(&url).await;
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM customers WHERE group_id = {group}"
            ))
            .await,
            1
        );
    }
}

/// An applied batch gives its rows' space back (they are never read again), and a replay of
/// it still gets the answer it got the first time; undo still works from its own records.
#[tokio::test]
async fn an_applied_batch_keeps_its_answer_but_not_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    for url in crate::support::databases("applied_rows", dir.path()).await {
        let app = crate::support::TestApp::signed_in(&url, dir.path()).await;
        let batches: Vec<_> = (0..3)
            .map(|b| crate::support::rows("applied", b * 5, 5))
            .collect();
        let id = app.send_import("skip", &batches).await;
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{url}: {done}");
        assert_eq!(done["counts"]["created"], 15, "{url}: {done}");

        let mut db = Db::connect(&url).await;
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM import_batches WHERE import_id = {id} AND processed = TRUE AND rows = ''"
            ))
            .await,
            3,
            "{url}: every applied batch's rows cleared"
        );
        let replay = app
            .put(
                &format!("/api/imports/{id}/batches/1"),
                serde_json::json!({"rows": batches[1]}),
            )
            .await
            .expect(axum::http::StatusCode::OK)
            .json();
        assert_eq!(replay["accepted"], 5, "{url}: {replay}");
        assert_eq!(app.customer_emails().await.len(), 15, "{url}");
    }
}

/// A stored enum that is none of its values is a `Corrupt` error naming its table and row
/// (not a silent default such as "failed" or "skip").
#[tokio::test]
async fn a_stored_status_kind_or_mode_that_is_not_valid_is_a_corrupt_error() {
    fn assert_corrupt<T: std::fmt::Debug>(
        got: Result<T, storage::StorageError>,
        table: &str,
        id: i64,
        what: &str,
    ) {
        match got {
            Err(storage::StorageError::Corrupt(message)) => assert!(
                message.contains(table) && message.contains(&format!("row {id}")),
                "{what}: {message}"
            ),
            other => panic!("{what}: expected a Corrupt error, got {other:?}"),
        }
    }

    let dir = tempfile::tempdir().unwrap();
    for url in crate::support::databases("corrupt_enum", dir.path()).await {
        let store = storage::connect(&url).await.unwrap();
        let group = store.default_group_id().await.unwrap();
        let import = store
            .create_import(
                "a.csv",
                group,
                OnDuplicate::Update,
                "{}",
                None,
                ImportStatus::Queued,
            )
            .await
            .unwrap();
        let mut db = Db::connect(&url).await;
        let id = import.id;

        db.run(&format!(
            "UPDATE imports SET status = 'exploded' WHERE id = {id}"
        ))
        .await
        .unwrap();
        assert_corrupt(
            store.get_import(id).await,
            "imports",
            id,
            &format!("{url}: get"),
        );
        assert_corrupt(
            store.list_imports(1, 10).await,
            "imports",
            id,
            &format!("{url}: list"),
        );
        assert_corrupt(
            store.cancel_import(id).await,
            "imports",
            id,
            &format!("{url}: cancel"),
        );
        db.run(&format!(
            "UPDATE imports SET status = 'queued' WHERE id = {id}"
        ))
        .await
        .unwrap();
        assert_eq!(
            store.get_import(id).await.unwrap().status,
            ImportStatus::Queued
        );

        let (job,): (i64,) = match &mut db {
            Db::Sqlite(c) => sqlx::query_as("SELECT id FROM jobs")
                .fetch_one(c)
                .await
                .unwrap(),
            Db::Pg(c) => sqlx::query_as("SELECT id FROM jobs")
                .fetch_one(c)
                .await
                .unwrap(),
        };
        db.run(&format!(
            "UPDATE jobs SET kind = 'explode' WHERE id = {job}"
        ))
        .await
        .unwrap();
        assert_corrupt(
            store.list_jobs(None, 1, 10).await,
            "jobs",
            job,
            &format!("{url}: jobs"),
        );
        // A claim cannot run it: it fails, naming the row and column, and so does its import.
        assert!(
            store.claim_job("w", 60).await.unwrap().is_none(),
            "{url}: claim kind"
        );
        let (status, error) = db.job_state(job).await;
        assert_eq!(status, "failed", "{url}: {error}");
        assert!(
            error.contains(&format!("jobs row {job}")) && error.contains("kind"),
            "{url}: {error}"
        );
        assert_eq!(
            store.get_import(id).await.unwrap().status,
            ImportStatus::Failed,
            "{url}"
        );

        // A job whose import's mode is corrupt fails the same way, and the claim takes the
        // job queued behind it.
        let queue =
            |mode| store.create_import("b.csv", group, mode, "{}", None, ImportStatus::Queued);
        let bad = queue(OnDuplicate::Update).await.unwrap().id;
        let good = queue(OnDuplicate::Skip).await.unwrap().id;
        db.run(&format!(
            "UPDATE imports SET on_duplicate = 'maybe' WHERE id = {bad}"
        ))
        .await
        .unwrap();
        assert_corrupt(
            store.get_import(bad).await,
            "imports",
            bad,
            &format!("{url}: mode"),
        );
        let claimed = store
            .claim_job("w", 60)
            .await
            .unwrap()
            .expect("the good job");
        assert_eq!(
            (claimed.import_id, claimed.on_duplicate),
            (good, OnDuplicate::Skip),
            "{url}"
        );
        let bad_job: i64 = db
            .count(&format!("SELECT id FROM jobs WHERE import_id = {bad}"))
            .await;
        let (status, error) = db.job_state(bad_job).await;
        assert_eq!(status, "failed", "{url}: {error}");
        assert!(
            error.contains(&format!("imports row {bad}")) && error.contains("on_duplicate"),
            "{url}: {error}"
        );
        assert!(store.claim_job("w", 60).await.unwrap().is_none(), "{url}");
    }
}

/// One job with a corrupt kind does not block the queue behind it: the workers fail it, with
/// a message naming the row and column, and go on to the import queued after it.
#[tokio::test]
async fn a_job_with_a_corrupt_kind_fails_and_the_queue_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    for url in crate::support::databases("corrupt_job", dir.path()).await {
        let store = storage::connect(&url).await.unwrap();
        let group = store.default_group_id().await.unwrap();
        let stuck = store
            .create_import(
                "a.csv",
                group,
                OnDuplicate::Skip,
                "{}",
                None,
                ImportStatus::Queued,
            )
            .await
            .unwrap()
            .id;
        let mut db = Db::connect(&url).await;
        let job = db
            .count(&format!("SELECT id FROM jobs WHERE import_id = {stuck}"))
            .await;
        db.run(&format!(
            "UPDATE jobs SET kind = 'explode' WHERE id = {job}"
        ))
        .await
        .unwrap();
        drop(store);

        // The app's queue workers start with the corrupt job first in line.
        let app = crate::support::TestApp::signed_in(&url, dir.path()).await;
        let done = app
            .import_batches("skip", &[crate::support::rows("after", 0, 3)])
            .await;
        assert_eq!(done["status"], "completed", "{url}: {done}");
        assert_eq!(done["counts"]["created"], 3, "{url}: {done}");

        let (status, error) = db.job_state(job).await;
        assert_eq!(status, "failed", "{url}: {error}");
        assert!(
            error.contains(&format!("jobs row {job}"))
                && error.contains("kind")
                && error.contains("explode"),
            "{url}: {error}"
        );
        assert_eq!(
            db.text(&format!("SELECT status FROM imports WHERE id = {stuck}"))
                .await,
            "failed",
            "{url}"
        );
    }
}
