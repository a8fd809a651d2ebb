//! The queue as the admin sees it ("Settings > Queue jobs").

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::api::{ErrorBody, Id, ImportStatus, Job, JobList};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Path};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct JobsQuery {
    /// Only jobs with this status: queued, running, completed, failed or cancelled (empty:
    /// any).
    #[param(pattern = "^(|receiving|queued|running|completed|failed|cancelled|undone)$")]
    status: Option<String>,
    /// From 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

/// The queue, newest job first ("Settings > Queue jobs").
#[utoipa::path(
    get,
    path = "/jobs",
    tag = "jobs",
    params(JobsQuery),
    responses(
        (status = 200, body = JobList),
        (status = 400, description = "Unknown status or bad paging", body = ErrorBody),
    )
)]
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

/// One job; a completed dry run carries its report (`dry_run`).
#[utoipa::path(
    get,
    path = "/jobs/{id}",
    tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, body = Job),
        (status = 404, body = ErrorBody),
    )
)]
async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Job>> {
    Ok(Json(state.storage.get_job(id).await?))
}
