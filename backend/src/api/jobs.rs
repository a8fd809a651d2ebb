//! The queue as the admin sees it ("Settings > Queue jobs").

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::{ImportStatus, JobList};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;

pub fn routes() -> Router<AppState> {
    Router::new().route("/jobs", get(list))
}

#[derive(Deserialize)]
struct JobsQuery {
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> ApiResult<Json<JobList>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(ImportStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("invalid_status", format!("Unknown job status {s}."))
        })?),
    };
    let (page, per_page) = super::paging(q.page, q.per_page, 200)?;
    let (items, total) = state.storage.list_jobs(status, page, per_page).await?;
    Ok(Json(JobList { items, total }))
}
