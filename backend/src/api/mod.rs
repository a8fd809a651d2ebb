//! The REST API: one router per feature, merged under `/api` behind the auth guard
//! (except `POST /api/session`).

pub(crate) mod customers;
mod groups;
pub(crate) mod imports;
mod jobs;
mod session;
mod tokens;

use axum::extract::DefaultBodyLimit;
use axum::{Json, Router, middleware};

use crate::AppState;
use crate::auth::require_auth;
use crate::error::ApiError;

/// JSON bodies (batches included) up to this size; raw CSV uploads have their own limit.
pub const JSON_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router(state: AppState) -> Router<AppState> {
    let protected = Router::new()
        .merge(session::protected_routes())
        .merge(tokens::routes())
        .merge(groups::routes())
        .merge(customers::routes())
        .merge(imports::routes())
        .merge(jobs::routes())
        .fallback(|| async { ApiError::not_found("This API route") })
        .layer(middleware::from_fn_with_state(state.clone(), require_auth));
    Router::new()
        .merge(session::open_routes())
        .merge(protected)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
}

pub async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<shared::api::Health>, ApiError> {
    state.storage.ping().await?;
    Ok(Json(shared::api::Health {
        status: "ok".into(),
        database: state.storage.engine().into(),
    }))
}

/// `page` from 1 and `per_page` up to `max`, with defaults.
pub fn paging(page: Option<i64>, per_page: Option<i64>, max: i64) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(50);
    if page < 1 {
        return Err(ApiError::bad_request("invalid_page", "page starts at 1."));
    }
    if !(1..=max).contains(&per_page) {
        return Err(ApiError::bad_request(
            "invalid_per_page",
            format!("per_page must be between 1 and {max}."),
        ));
    }
    Ok((page, per_page))
}

pub use customers::{export_options, export_stream};
