//! Imports: created in `receiving`, fed batches (idempotent per seq), committed to the queue.
//! Also status, list, error report, cancel and undo. A raw CSV upload is in `upload`.

use crate::extract::Path;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use serde::Deserialize;
use shared::api::{
    BatchRequest, BatchResponse, CommitRequest, CreateImport, ErrorBody, Id, Import, ImportStatus,
    Page,
};
use shared::messages::Lang;
use shared::settings::{ReadSettings, ValueMap};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::ingest::{self, MAX_BATCH_ROWS};
use crate::storage::{CommitOutcome, PutBatch, StorageError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(put_batch))
        .routes(routes!(commit))
        .routes(routes!(errors_csv))
        .routes(routes!(cancel))
        .routes(routes!(undo))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// From 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<i64>,
}

/// Imports, newest first.
#[utoipa::path(
    get,
    path = "/imports",
    tag = "imports",
    params(ListQuery),
    responses(
        (status = 200, body = Page<Import>),
        (status = 400, description = "Bad paging", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Import>>> {
    let (page, per_page) = super::paging(q.page, q.per_page, 500)?;
    Ok(Json(state.storage.list_imports(page, per_page).await?))
}

#[utoipa::path(
    get,
    path = "/imports/{id}",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses((status = 200, body = Import), (status = 404, body = ErrorBody))
)]
async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Import>> {
    Ok(Json(state.storage.get_import(id).await?))
}

/// The import's group: the one asked for (which must exist), else `Default`.
pub(super) async fn resolve_group(state: &AppState, group_id: Option<Id>) -> ApiResult<Id> {
    match group_id {
        Some(id) => {
            state.storage.get_group(id).await.map_err(|e| match e {
                StorageError::NotFound => ApiError::unprocessable(
                    "unknown_group",
                    format!("There is no customer group {id}."),
                ),
                other => other.into(),
            })?;
            Ok(id)
        }
        None => Ok(state.storage.default_group_id().await?),
    }
}

/// The settings a batch import keeps of the mapping its client sent (for the record: the
/// rows arrive mapped). The contract takes any JSON there; what is not a mapping, by
/// column or by name, is not kept.
fn kept_settings(
    mapping: Option<&serde_json::Value>,
    values: Option<&ValueMap>,
) -> ApiResult<ReadSettings> {
    let mut settings = ReadSettings::default();
    if let Some(values) = values {
        values.check().map_err(invalid_value_map)?;
        settings.values = values.clone();
    }
    match mapping {
        Some(v @ serde_json::Value::Array(_)) => {
            settings.mapping = serde_json::from_value(v.clone()).ok();
        }
        Some(v @ serde_json::Value::Object(_)) => {
            settings.mapping_by_name = serde_json::from_value(v.clone()).ok();
        }
        _ => {}
    }
    Ok(settings)
}

/// A value mapping that names no usable group.
pub(super) fn invalid_value_map(message: String) -> ApiError {
    ApiError::unprocessable("invalid_value_map", message)
}

/// Start an import in `receiving`: send its batches, then commit.
#[utoipa::path(
    post,
    path = "/imports",
    tag = "imports",
    request_body = CreateImport,
    responses(
        (status = 201, body = Import),
        (status = 422, description = "`invalid_file_name`, `unknown_group`, or `invalid_value_map` (a group value mapped to a blank name or one over 100 characters)", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(req): ApiJson<CreateImport>,
) -> ApiResult<(StatusCode, Json<Import>)> {
    let file_name = ingest::file_name(&req.file_name).map_err(invalid_file_name)?;
    let group_id = resolve_group(&state, req.group_id).await?;
    let settings = kept_settings(req.mapping.as_ref(), req.values.as_ref())?.to_stored();
    let import = state
        .storage
        .create_import_by(
            &file_name,
            group_id,
            req.on_duplicate,
            &settings,
            None,
            ImportStatus::Receiving,
            Some(&me.starter()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(import)))
}

/// Store one batch of rows, validated again by the server. Idempotent per `seq`: the same
/// body gets the same answer and changes nothing.
#[utoipa::path(
    put,
    path = "/imports/{id}/batches/{seq}",
    tag = "imports",
    params(
        ("id" = i64, Path, description = "Import id"),
        ("seq" = i64, Path, minimum = 0, maximum = 4_294_967_295_i64, description = "Batch number, from 0 to 4,294,967,295"),
    ),
    request_body = BatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The import takes no more batches (`import_not_receiving`): after commit, anything but an exact replay of a received batch (which gets its stored answer, 200)", body = ErrorBody),
        (status = 413, description = "Body over the JSON limit or more rows than a batch may carry", body = ErrorBody),
        (status = 422, description = "This seq was received with other rows (`batch_mismatch`), or a row names a line over 2^63-1 (`invalid_line`)", body = ErrorBody),
    )
)]
async fn put_batch(
    State(state): State<AppState>,
    Path((id, seq)): Path<(Id, u32)>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> ApiResult<Json<BatchResponse>> {
    if req.rows.len() > MAX_BATCH_ROWS {
        return Err(ApiError::too_large(format!(
            "A batch may carry at most {MAX_BATCH_ROWS} rows; this one has {}.",
            req.rows.len()
        )));
    }
    if let Some(line) = ingest::batch::line_out_of_range(&req.rows) {
        return Err(ApiError::unprocessable(
            "invalid_line",
            format!(
                "A row names line {line}; lines run up to {}.",
                ingest::batch::MAX_LINE
            ),
        ));
    }
    // The import's value mapping, applied to every row (an unknown import answers 404 here).
    let stored = state
        .storage
        .import_settings(id)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => ApiError::not_found("The import"),
            other => other.into(),
        })?;
    let values = ReadSettings::parse_stored(&stored)
        .map_err(ApiError::internal)?
        .values;
    let (batch, response) = crate::cpu::heavy(|| ingest::prepare_batch_with(seq, &req, &values))
        .map_err(ApiError::internal)?;
    match state
        .storage
        .put_batch(id, &batch, ImportStatus::Receiving)
        .await?
    {
        PutBatch::Stored => Ok(Json(response)),
        PutBatch::Replayed(json) => Ok(Json(
            serde_json::from_str(&json).map_err(ApiError::internal)?,
        )),
        PutBatch::BodyMismatch => Err(ApiError::unprocessable(
            "batch_mismatch",
            format!("Batch {seq} was already received with different rows."),
        )),
        PutBatch::NotReceiving(status) => Err(ApiError::conflict(
            "import_not_receiving",
            format!(
                "The import is {} and takes no more batches.",
                status.as_str()
            ),
        )),
        PutBatch::NotFound => Err(ApiError::not_found("The import")),
    }
}

/// Hand a received import to the queue once every batch is stored.
#[utoipa::path(
    post,
    path = "/imports/{id}/commit",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    request_body = CommitRequest,
    responses(
        (status = 202, description = "Queued", body = Import),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not receiving any more (`import_not_receiving`)", body = ErrorBody),
        (status = 422, description = "Batches missing (`batches_missing`; details say what is stored)", body = ErrorBody),
    )
)]
async fn commit(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiJson(req): ApiJson<CommitRequest>,
) -> ApiResult<(StatusCode, Json<Import>)> {
    match state
        .storage
        .commit_import(id, i64::from(req.batch_count), req.row_count as i64)
        .await?
    {
        CommitOutcome::Committed(import) => {
            state.queue_wakeup.notify_waiters();
            Ok((StatusCode::ACCEPTED, Json(*import)))
        }
        CommitOutcome::Incomplete {
            stored_batches,
            stored_rows,
        } => Err(ApiError::unprocessable(
            "batches_missing",
            format!(
                "The server holds {stored_batches} batches with {stored_rows} rows, \
                 not {} batches with {} rows: send the missing batches, then commit again.",
                req.batch_count, req.row_count
            ),
        )
        .with_details(serde_json::json!({
            "stored_batches": stored_batches,
            "stored_rows": stored_rows,
        }))),
        CommitOutcome::NotReceiving(status) => Err(ApiError::conflict(
            "import_not_receiving",
            format!("The import is already {}.", status.as_str()),
        )),
        CommitOutcome::NotFound => Err(ApiError::not_found("The import")),
    }
}

/// Cancel: at once while receiving or queued, at the next batch boundary while running.
#[utoipa::path(
    post,
    path = "/imports/{id}/cancel",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses(
        (status = 200, body = Import),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already finished (`not_cancellable`)", body = ErrorBody),
    )
)]
async fn cancel(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Import>> {
    Ok(Json(state.storage.cancel_import(id).await.map_err(
        |e| match e {
            StorageError::Conflict(msg) => ApiError::conflict("not_cancellable", msg),
            other => other.into(),
        },
    )?))
}

/// Queue an undo: customers the import created are deleted, those it updated get their
/// earlier values back.
#[utoipa::path(
    post,
    path = "/imports/{id}/undo",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses(
        (status = 202, description = "Undo queued", body = Import),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not finished yet, or undone already (`not_undoable`)", body = ErrorBody),
    )
)]
async fn undo(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, Json<Import>)> {
    let import = state.storage.request_undo(id).await.map_err(|e| match e {
        StorageError::Conflict(msg) => ApiError::conflict("not_undoable", msg),
        other => other.into(),
    })?;
    state.queue_wakeup.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(import)))
}

/// Error report rows per database round trip.
const ERROR_PAGE: i64 = 5000;

/// The import's problems as CSV: `line,field,value,code,message`, one row per problem. The
/// message is in the language `Accept-Language` prefers (`bg` or English, the default).
#[utoipa::path(
    get,
    path = "/imports/{id}/errors.csv",
    tag = "imports",
    params(
        ("id" = i64, Path, description = "Import id"),
        ("Accept-Language" = Option<String>, Header, description = "`bg` for Bulgarian messages; English otherwise"),
    ),
    responses(
        (status = 200, description = "CSV, streamed", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody),
    )
)]
async fn errors_csv(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.storage.get_import(id).await?;
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language);
    let storage = state.storage.clone();
    let header = futures::stream::once(async {
        Ok::<_, StorageError>(b"line,field,value,code,message\r\n".to_vec())
    });
    let rows = futures::stream::try_unfold(Some(0i64), move |offset| {
        let storage = storage.clone();
        async move {
            let Some(offset) = offset else {
                return Ok(None);
            };
            let page = storage.error_report(id, offset, ERROR_PAGE).await?;
            if page.is_empty() {
                return Ok(None);
            }
            let mut out = Vec::new();
            for (_, e) in &page {
                shared::export::write_csv_record(
                    &[
                        &e.line.to_string(),
                        &e.field,
                        &e.value,
                        &e.code,
                        &e.message_in(lang),
                    ],
                    b',',
                    &mut out,
                );
            }
            let next = (page.len() as i64 == ERROR_PAGE).then_some(offset + ERROR_PAGE);
            Ok(Some((out, next)))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.csv\""),
            ),
            (header::CONTENT_LANGUAGE, lang.code().to_owned()),
            (header::VARY, "Accept-Language".to_owned()),
        ],
        Body::from_stream(header.chain(rows)),
    )
        .into_response())
}

/// A refused file name, as both import routes answer it.
pub(super) fn invalid_file_name(e: ingest::FileNameError) -> ApiError {
    ApiError::unprocessable("invalid_file_name", e.to_string())
}
