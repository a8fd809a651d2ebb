//! Mapping profiles: list, save, rename, delete. A saved profile is applied to every later
//! file with the same headers (see `shared::import::profile`).

use crate::extract::Path;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{ErrorBody, Id, NewProfile, Profile, ProfileRename};
use shared::import::profile::fingerprint;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::rules;
use crate::storage::StorageError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, rename, remove))
}

/// A name taken is `profile_exists`.
fn taken(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(message) => ApiError::conflict("profile_exists", message),
        other => other.into(),
    }
}

/// Every mapping profile, the most recently saved first (at most 1,000).
#[utoipa::path(get, path = "/profiles", tag = "profiles", responses((status = 200, body = Vec<Profile>)))]
async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Profile>>> {
    Ok(Json(state.storage.list_profiles().await?))
}

#[utoipa::path(
    get,
    path = "/profiles/{id}",
    tag = "profiles",
    params(("id" = i64, Path, description = "Profile id")),
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody))
)]
async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Profile>> {
    Ok(Json(state.storage.get_profile(id).await?))
}

/// Save a mapping for files with these headers. From then on, a file whose header line
/// has the same headers (in any order, case and surrounding spaces ignored) and that comes
/// without a mapping of its own is mapped by the most recently saved such profile.
#[utoipa::path(
    post,
    path = "/profiles",
    tag = "profiles",
    request_body = NewProfile,
    responses(
        (status = 201, body = Profile),
        (status = 409, description = "The name exists (`profile_exists`)", body = ErrorBody),
        (status = 422, description = "A name of 1 to 100 characters, not all spaces, without control characters is needed (`invalid_name`); 1 to 1,000 headers of at most 1,000 characters without control characters, not all blank, and a mapping of those headers only (`invalid_profile`)", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewProfile>,
) -> ApiResult<(StatusCode, Json<Profile>)> {
    let name = rules::profile_name(&req.name)?;
    rules::profile_headers(&req.headers, req.mapping.0.iter().map(|(k, _)| k.as_str()))?;
    let print = fingerprint(req.headers.iter().map(String::as_str))
        .ok_or(rules::RuleError::ProfileHeaders)?;
    let saved = state
        .storage
        .create_profile(name, &print, &req.headers, &req.mapping)
        .await
        .map_err(taken)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Rename a mapping profile.
#[utoipa::path(
    patch,
    path = "/profiles/{id}",
    tag = "profiles",
    params(("id" = i64, Path, description = "Profile id")),
    request_body = ProfileRename,
    responses(
        (status = 200, body = Profile),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The name exists (`profile_exists`)", body = ErrorBody),
        (status = 422, description = "Invalid name (`invalid_name`)", body = ErrorBody),
    )
)]
async fn rename(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiJson(req): ApiJson<ProfileRename>,
) -> ApiResult<Json<Profile>> {
    let name = rules::profile_name(&req.name)?;
    Ok(Json(
        state
            .storage
            .rename_profile(id, name)
            .await
            .map_err(taken)?,
    ))
}

/// Delete a mapping profile (imports it mapped keep their mapping).
#[utoipa::path(
    delete,
    path = "/profiles/{id}",
    tag = "profiles",
    params(("id" = i64, Path, description = "Profile id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
async fn remove(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<StatusCode> {
    state.storage.delete_profile(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
