//! An import's per-row outcome report: `outcomes.csv` (streamed) and `outcomes` (pages of
//! JSON). The report itself is `crate::report`'s.

use crate::extract::Path;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::api::{ErrorBody, Id, OutcomePage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiQuery;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(outcomes_csv))
        .routes(routes!(outcomes))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct OutcomesQuery {
    /// From 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    /// 1 to 1,000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    per_page: Option<i64>,
}

/// What the import did to each input row, in file order: one item per row of the batches
/// applied so far (`created`, `updated`, `unchanged`, `skipped_duplicate`, `failed` with
/// its error; `undone` once the import is undone).
#[utoipa::path(
    get,
    path = "/imports/{id}/outcomes",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id"), OutcomesQuery),
    responses(
        (status = 200, body = OutcomePage),
        (status = 400, description = "Bad paging", body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn outcomes(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiQuery(q): ApiQuery<OutcomesQuery>,
) -> ApiResult<Json<OutcomePage>> {
    let (page, per_page) = super::paging(q.page, q.per_page, 1000)?;
    let report = crate::report::report_page(state.storage.as_ref(), id, page, per_page).await?;
    Ok(Json(report))
}

/// The outcome report as CSV: `line,email,outcome,customer_id,error_code,error_message`,
/// one record per input row, in file order (formula cells neutralised).
#[utoipa::path(
    get,
    path = "/imports/{id}/outcomes.csv",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses(
        (status = 200, description = "CSV, streamed", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody),
    )
)]
async fn outcomes_csv(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Response> {
    state.storage.get_import(id).await?;
    let body = crate::report::report_csv(state.storage.clone(), id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-outcomes.csv\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
