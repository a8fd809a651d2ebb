//! Customer groups: list with counts, create, rename, delete (with reassignment).

use crate::extract::Path;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::api::{ErrorBody, Group, GroupName, Id};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::rules;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, rename, remove))
}

/// Every group with its customer count; `Default` always exists.
#[utoipa::path(get, path = "/groups", tag = "groups", responses((status = 200, body = Vec<Group>)))]
async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(state.storage.list_groups().await?))
}

#[utoipa::path(
    get,
    path = "/groups/{id}",
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = Group), (status = 404, body = ErrorBody))
)]
async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Group>> {
    Ok(Json(state.storage.get_group(id).await?))
}

/// Create a group; names are unique case-insensitively.
#[utoipa::path(
    post,
    path = "/groups",
    tag = "groups",
    request_body = GroupName,
    responses(
        (status = 201, body = Group),
        (status = 409, description = "The name exists (`group_exists`)", body = ErrorBody),
        (status = 422, description = "A name of 1 to 100 characters, not all spaces, without control characters is needed (`invalid_name`)", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<GroupName>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    let name = rules::group_name(&req.name)?;
    let group = state.storage.create_group(name).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// Rename a group.
#[utoipa::path(
    patch,
    path = "/groups/{id}",
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    request_body = GroupName,
    responses(
        (status = 200, body = Group),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The name exists (`group_exists`), or the group is `Default`, which keeps its name (`default_group`)", body = ErrorBody),
        (status = 422, description = "Invalid name (`invalid_name`)", body = ErrorBody),
    )
)]
async fn rename(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiJson(req): ApiJson<GroupName>,
) -> ApiResult<Json<Group>> {
    let name = rules::group_name(&req.name)?;
    Ok(Json(state.storage.rename_group(id, name).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// Move the group's customers (and imports) to this group first.
    reassign_to: Option<i64>,
}

/// Delete a group; refused while it has customers unless `reassign_to` names another group,
/// and while an import that has not finished targets it (its customers would have nowhere
/// to go). A finished import that named the group names `reassign_to` (or `Default`) after.
#[utoipa::path(
    delete,
    path = "/groups/{id}",
    tag = "groups",
    params(("id" = i64, Path, description = "Group id"), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The group has customers and no `reassign_to` (`group_in_use`); is `Default` (`default_group`); or an import that has not finished (receiving, queued or running) targets it (`group_import_open`, details `import_id` and `status`): delete it once that import has finished, or cancel the import", body = ErrorBody),
        (status = 422, description = "`reassign_to` names no other group (`unknown_group`)", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    // Every check is made in the deleting transaction (storage), so none can go stale.
    state.storage.delete_group(id, q.reassign_to).await?;
    Ok(StatusCode::NO_CONTENT)
}
