//! A dry run of an import before it is committed: queued like any job, its report kept on
//! the job (`GET /api/jobs/{id}`).

use crate::extract::Path;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{ErrorBody, Id, Job};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::storage::StorageError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dry_run))
}

/// What the import would do to the stored customers, before it is committed: its stored
/// batches applied by the import's own code in a transaction that is rolled back. Queued
/// as a job of kind `dry_run`; once completed, `GET /api/jobs/{id}` has its report
/// (`dry_run`: counts and up to 100 sample updates with each changed field's before and
/// after). It changes no customer, group, count or search index, also if the server stops
/// in the middle.
#[utoipa::path(
    post,
    path = "/imports/{id}/dry-run",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses(
        (status = 202, description = "Queued", body = Job),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The import is not receiving batches any more (`import_not_receiving`)", body = ErrorBody),
    )
)]
async fn dry_run(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let job = state
        .storage
        .request_dry_run(id)
        .await
        .map_err(|e| match e {
            StorageError::Conflict(msg) => ApiError::conflict("import_not_receiving", msg),
            other => other.into(),
        })?;
    state.queue_wakeup.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(job)))
}
