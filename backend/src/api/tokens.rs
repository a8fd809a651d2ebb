//! API tokens for scripts: created with the secret shown once, listed, revoked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use shared::api::{CreateTokenRequest, CreatedToken, Id, TokenInfo};

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(remove))
}

async fn list(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.storage.list_tokens(me.user.id).await?))
}

async fn create(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "A token needs a name of 1 to 100 characters.",
        ));
    }
    let created = create_token(&state, me.user.id, name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Shared by the API and `intake token create`.
pub async fn create_token(state: &AppState, user_id: Id, name: &str) -> ApiResult<CreatedToken> {
    let secret = format!("intk_{}", auth::random_token(32));
    let info = state
        .storage
        .create_token(user_id, name, &auth::token_hash(&secret))
        .await?;
    Ok(CreatedToken {
        id: info.id,
        name: info.name,
        token: secret,
    })
}

async fn remove(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state.storage.delete_token(me.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
