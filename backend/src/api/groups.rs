//! Customer groups: list with counts, create, rename, delete (with reassignment).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::{Group, GroupName, Id};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::StorageError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/{id}", get(one).patch(rename).delete(remove))
}

fn valid_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "A group name must have 1 to 100 characters.",
        ));
    }
    Ok(name)
}

fn name_taken(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(msg) => ApiError::conflict("group_exists", msg),
        other => other.into(),
    }
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(state.storage.list_groups().await?))
}

async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Group>> {
    Ok(Json(state.storage.get_group(id).await?))
}

async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<GroupName>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    let name = valid_name(&req.name)?;
    let group = state.storage.create_group(name).await.map_err(name_taken)?;
    Ok((StatusCode::CREATED, Json(group)))
}

async fn rename(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiJson(req): ApiJson<GroupName>,
) -> ApiResult<Json<Group>> {
    let name = valid_name(&req.name)?;
    Ok(Json(
        state
            .storage
            .rename_group(id, name)
            .await
            .map_err(name_taken)?,
    ))
}

#[derive(Deserialize)]
struct DeleteQuery {
    reassign_to: Option<Id>,
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    state
        .storage
        .delete_group(id, q.reassign_to)
        .await
        .map_err(|e| match e {
            StorageError::Conflict(msg) => ApiError::conflict("group_in_use", msg),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
