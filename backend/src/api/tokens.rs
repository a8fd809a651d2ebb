//! API tokens for scripts: created with the secret shown once, listed, revoked.

use crate::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use shared::api::{CreateTokenRequest, CreatedToken, ErrorBody, Id, TokenInfo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::rules;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenInfo>)))]
async fn list(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.storage.list_tokens(me.user.id).await?))
}

/// Create an API token; its secret is in this answer only (stored hashed).
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "tokens",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, body = CreatedToken),
        (status = 422, description = "A name of 1 to 100 characters, not all spaces, without control characters is needed (`invalid_name`)", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = rules::token_name(&req.name)?;
    let created = create_token(&state, me.user.id, name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn create_token(state: &AppState, user_id: Id, name: &str) -> ApiResult<CreatedToken> {
    let (secret, hash) = auth::mint_token();
    let info = state.storage.create_token(user_id, name, &hash).await?;
    Ok(CreatedToken {
        id: info.id,
        name: info.name,
        token: secret,
    })
}

/// Revoke an API token.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state.storage.delete_token(me.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
