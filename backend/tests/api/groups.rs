//! Groups against the imports that name them: a group an unfinished import targets stays,
//! `Default` stays, and a group deleted meanwhile is a 404 or 422, never a 500.

use axum::http::{Method, StatusCode};
use intake::storage::{GroupRefusal, StorageError};
use serde_json::json;
use shared::api::{ImportStatus, OnDuplicate};

use crate::each_engine;
use crate::support::rows;

async fn delete(app: &crate::support::TestApp, path: &str) -> crate::support::Reply {
    app.request(Method::DELETE, path, None).await
}

#[tokio::test]
async fn a_group_an_unfinished_import_targets_cannot_be_deleted_until_it_has_finished() {
    each_engine!("group_import_open", |app| {
        let vip = app.create_group("VIP").await;
        let default = app.get("/api/groups").await.json()[0]["id"]
            .as_i64()
            .unwrap();
        let import = app
            .post(
                "/api/imports",
                json!({"file_name": "vip.csv", "group_id": vip, "on_duplicate": "skip"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json();
        let id = import["id"].as_i64().unwrap();

        // Refused while receiving, with or without somewhere to move customers to.
        for path in [
            format!("/api/groups/{vip}"),
            format!("/api/groups/{vip}?reassign_to={default}"),
        ] {
            let refused = delete(&app, &path)
                .await
                .expect(StatusCode::CONFLICT)
                .json();
            assert_eq!(refused["error"]["code"], "group_import_open", "{refused}");
            assert_eq!(refused["error"]["details"]["import_id"], id, "{refused}");
            assert_eq!(refused["error"]["details"]["status"], "receiving");
        }

        // The import ends in the group it was created for, not in Default.
        app.put(
            &format!("/api/imports/{id}/batches/0"),
            json!({"rows": rows("vip", 0, 3)}),
        )
        .await
        .expect(StatusCode::OK);
        app.post(
            &format!("/api/imports/{id}/commit"),
            json!({"batch_count": 1, "row_count": 3}),
        )
        .await
        .expect(StatusCode::ACCEPTED);
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let group = app.get(&format!("/api/groups/{vip}")).await.json();
        assert_eq!(group["customer_count"], 3, "{group}");

        // Finished: deleting works as before (customers and the import move along).
        delete(&app, &format!("/api/groups/{vip}?reassign_to={default}"))
            .await
            .expect(StatusCode::NO_CONTENT);
        let import = app.get(&format!("/api/imports/{id}")).await.json();
        assert_eq!(import["group_id"], default, "{import}");
    });
}

#[tokio::test]
async fn a_cancelled_import_no_longer_holds_its_group() {
    each_engine!("group_import_cancelled", |app| {
        let vip = app.create_group("VIP").await;
        let id = app
            .post(
                "/api/imports",
                json!({"file_name": "v.csv", "group_id": vip}),
            )
            .await
            .expect(StatusCode::CREATED)
            .json()["id"]
            .as_i64()
            .unwrap();
        delete(&app, &format!("/api/groups/{vip}"))
            .await
            .expect(StatusCode::CONFLICT);
        app.request(Method::POST, &format!("/api/imports/{id}/cancel"), None)
            .await
            .expect(StatusCode::OK);
        delete(&app, &format!("/api/groups/{vip}"))
            .await
            .expect(StatusCode::NO_CONTENT);
    });
}

#[tokio::test]
async fn default_keeps_its_name_so_imports_and_customers_always_have_a_group() {
    each_engine!("default_kept", |app| {
        let default = app.get("/api/groups").await.json()[0]["id"]
            .as_i64()
            .unwrap();
        // Renaming Default away left no group for imports without one: every later
        // POST /api/imports and DELETE /api/groups/{id} answered 500.
        let refused = app
            .request(
                Method::PATCH,
                &format!("/api/groups/{default}"),
                Some(json!({"name": "Renamed"})),
            )
            .await
            .expect(StatusCode::CONFLICT)
            .json();
        assert_eq!(refused["error"]["code"], "default_group", "{refused}");
        // A change of case keeps it the default.
        app.request(
            Method::PATCH,
            &format!("/api/groups/{default}"),
            Some(json!({"name": "DEFAULT"})),
        )
        .await
        .expect(StatusCode::OK);
        let refused = delete(&app, &format!("/api/groups/{default}"))
            .await
            .expect(StatusCode::CONFLICT)
            .json();
        assert_eq!(refused["error"]["code"], "default_group", "{refused}");

        let import = app
            .post("/api/imports", json!({"file_name": "a.csv"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert_eq!(import["group_id"], default, "{import}");
        let other = app.create_group("Other").await;
        delete(&app, &format!("/api/groups/{other}"))
            .await
            .expect(StatusCode::NO_CONTENT);
    });
}

#[tokio::test]
async fn a_deleted_group_is_a_404_or_a_422_wherever_it_is_named() {
    each_engine!("group_deleted", |app| {
        let gone = app.create_group("Gone").await;
        let kept = app.create_group("Kept").await;
        delete(&app, &format!("/api/groups/{gone}"))
            .await
            .expect(StatusCode::NO_CONTENT);
        let again = delete(&app, &format!("/api/groups/{gone}"))
            .await
            .expect(StatusCode::NOT_FOUND);
        assert_eq!(again.json()["error"]["code"], "not_found");
        app.request(
            Method::PATCH,
            &format!("/api/groups/{gone}"),
            Some(json!({"name": "Back"})),
        )
        .await
        .expect(StatusCode::NOT_FOUND);
        for body in [
            json!({"file_name": "x.csv", "group_id": gone}),
            json!({"file_name": "x.csv", "group_id": gone, "on_duplicate": "update"}),
        ] {
            let r = app
                .post("/api/imports", body)
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r.json()["error"]["code"], "unknown_group");
        }
        for target in [gone, kept] {
            let r = delete(&app, &format!("/api/groups/{kept}?reassign_to={target}"))
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r.json()["error"]["code"], "unknown_group");
        }
        let r = app
            .post(
                "/api/customers",
                json!({"email": "a@example.com", "group_id": gone}),
            )
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["error"]["code"], "unknown_group");
    });
}

/// The API looks the group up before creating the import; a delete can land in between.
/// Storage then refuses the import with a typed error (the API's 422), not a database error.
#[tokio::test]
async fn an_import_for_a_group_deleted_after_its_lookup_is_refused_as_unknown() {
    each_engine!("group_deleted_race", |app| {
        let gone = app.create_group("Gone").await;
        app.storage.delete_group(gone, None).await.unwrap();
        let got = app
            .storage
            .create_import(
                "x.csv",
                gone,
                OnDuplicate::Skip,
                "{}",
                None,
                ImportStatus::Receiving,
            )
            .await;
        assert!(
            matches!(got, Err(StorageError::Group(GroupRefusal::Unknown(id))) if id == gone),
            "{got:?}"
        );
    });
}

/// Creating an import for a group and deleting that group at the same moment: either the
/// import exists and the group stays, or the group is gone and the import was refused.
#[tokio::test]
async fn creating_an_import_and_deleting_its_group_at_once_never_loses_the_group() {
    each_engine!("group_import_race", |app| {
        for round in 0..10 {
            let group = app.create_group(&format!("G{round}")).await;
            let create = app.post(
                "/api/imports",
                json!({"file_name": "r.csv", "group_id": group}),
            );
            let path = format!("/api/groups/{group}");
            let remove = delete(&app, &path);
            let (created, removed) = tokio::join!(create, remove);
            match (created.status, removed.status) {
                (StatusCode::CREATED, StatusCode::CONFLICT) => {
                    assert_eq!(removed.json()["error"]["code"], "group_import_open");
                    let import = created.json();
                    assert_eq!(import["group_id"], group, "{import}");
                }
                (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::NO_CONTENT) => {
                    assert_eq!(created.json()["error"]["code"], "unknown_group");
                }
                other => panic!(
                    "round {round}: {other:?}: {} / {}",
                    created.text(),
                    removed.text()
                ),
            }
        }
    });
}
