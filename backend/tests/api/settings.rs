//! The stored import settings: one shape, old shapes rewritten by migration 0011, and a value
//! that cannot be read failing its import loudly instead of being read as "detect all".

use std::collections::BTreeMap;

use axum::http::StatusCode;
use shared::api::{ImportStatus, OnDuplicate};
use shared::import::Target;
use shared::settings::ReadSettings;

use crate::support::{Options, TestApp, databases};

/// Runs SQL on the test database with a connection of its own.
async fn execute(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn stored_settings(url: &str, id: i64) -> String {
    let sql = "SELECT settings FROM imports WHERE id = $1";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let s = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        s
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let s = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        s
    }
}

#[tokio::test]
async fn settings_stored_in_the_old_shapes_are_rewritten_to_the_one_shape() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("settings_migration", dir.path()).await {
        let mut options = Options::new(dir.path());
        options.queue = None;
        let mut app = TestApp::with_options(&url, options).await;
        app.login("admin", crate::support::PASSWORD)
            .await
            .expect(StatusCode::OK);
        let group = app.storage.default_group_id().await.unwrap();
        let file = dir.path().join(format!("named-{}.csv", app.engine));
        std::fs::write(
            &file,
            "First,Second,Third\nAnn,ann@example.com,other@example.com\n",
        )
        .unwrap();
        let new_shape = ReadSettings {
            has_header: Some(false),
            ..ReadSettings::default()
        }
        .to_stored();
        let old = [
            // A raw upload's shape, with a mapping by name (its file is queued below).
            r#"{"has_header":null,"delimiter":null,"encoding":null,"mapping":{"Third":"email"}}"#,
            // A raw upload's shape, with a mapping by column.
            r#"{"has_header":true,"delimiter":59,"encoding":"windows-1251","mapping":["email",null]}"#,
            // A batch import's shape: the mapping its client sent, of any kind.
            r#"{"mapping":["first_name","email",null]}"#,
            r#"{"mapping":null}"#,
            r#"{"mapping":"whatever the client kept"}"#,
            r#"{"mapping":["email","phone"]}"#,
            // Not JSON: left for the job to refuse.
            "not json",
            &new_shape,
        ];
        let mut ids = Vec::new();
        for (n, settings) in old.iter().enumerate() {
            let (path, status) = if n == 0 {
                (
                    Some(file.to_string_lossy().into_owned()),
                    ImportStatus::Queued,
                )
            } else {
                (None, ImportStatus::Receiving)
            };
            let import = app
                .storage
                .create_import(
                    "old.csv",
                    group,
                    OnDuplicate::Skip,
                    settings,
                    path.as_deref(),
                    status,
                )
                .await
                .unwrap();
            ids.push(import.id);
        }
        // The database as it was before migration 0011: connecting applies it again.
        execute(&url, "DELETE FROM _sqlx_migrations WHERE version = 11").await;
        drop(intake::storage::connect(&url).await.unwrap());

        let targets = |t: &[Option<Target>]| Some(t.to_vec());
        let want = [
            ReadSettings {
                mapping_by_name: Some(
                    BTreeMap::from([("Third".into(), Some(Target::Email))]).into(),
                ),
                ..ReadSettings::default()
            },
            ReadSettings {
                encoding: Some("windows-1251".into()),
                delimiter: Some(b';'),
                has_header: Some(true),
                mapping: targets(&[Some(Target::Email), None]),
                mapping_by_name: None,
                line_per_record: false,
            },
            ReadSettings {
                mapping: targets(&[Some(Target::FirstName), Some(Target::Email), None]),
                ..ReadSettings::default()
            },
            ReadSettings::default(),
            ReadSettings::default(),
            ReadSettings::default(),
        ];
        for (id, want) in ids.iter().zip(&want) {
            let stored = stored_settings(&url, *id).await;
            let read = ReadSettings::parse_stored(&stored)
                .unwrap_or_else(|e| panic!("{} import {id}: {stored}: {e}", app.engine));
            assert_eq!(&read, want, "{} import {id}: {stored}", app.engine);
            // Every key is there: one shape, not a shape that happens to read.
            let keys: Vec<String> =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&stored)
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect();
            assert_eq!(keys.len(), 5, "{stored}");
        }
        assert_eq!(stored_settings(&url, ids[6]).await, "not json");
        assert_eq!(stored_settings(&url, ids[7]).await, new_shape);

        // The migrated upload imports as its old settings said: the email from `Third`.
        let job = app.storage.claim_job("test", 30).await.unwrap().unwrap();
        assert_eq!(job.import_id, ids[0]);
        let config = intake::queue::QueueConfig::default();
        assert_eq!(
            intake::queue::run_job(app.storage.as_ref(), &config, job).await,
            intake::queue::Outcome::Finished(ImportStatus::Completed, None)
        );
        assert_eq!(app.customer_emails().await, ["other@example.com"]);
    }
}

#[tokio::test]
async fn an_upload_whose_stored_settings_cannot_be_read_fails_at_once_naming_the_import() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases("corrupt_settings", dir.path()).await {
        let app = TestApp::signed_in(&url, dir.path()).await;
        let file = dir.path().join(format!("fine-{}.csv", app.engine));
        std::fs::write(&file, "email\nann@example.com\n").unwrap();
        let group = app.storage.default_group_id().await.unwrap();
        for corrupt in [
            "not json",
            r#"{"has_header":"maybe"}"#,
            r#"{"has_header":true,"delimiter":null,"encoding":null,"mapping":{"E-mail":"email"}}"#,
        ] {
            let import = app
                .storage
                .create_import(
                    "corrupt.csv",
                    group,
                    OnDuplicate::Skip,
                    corrupt,
                    Some(&file.to_string_lossy()),
                    ImportStatus::Queued,
                )
                .await
                .unwrap();
            app.state.queue_wakeup.notify_waiters();
            let done = app.wait_for_import(import.id).await;
            assert_eq!(done["status"], "failed", "{corrupt}: {done}");
            let error = done["error"].as_str().unwrap();
            assert!(
                error.contains(&format!("import {}", import.id)) && error.contains("settings"),
                "{error}"
            );
            // Not retried: another attempt would read the same value.
            assert_eq!(app.job_of(import.id).await["attempts"], 1, "{corrupt}");
        }
        assert!(app.customer_emails().await.is_empty());
    }
}
