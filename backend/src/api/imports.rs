//! Imports: created in `receiving`, fed batches (idempotent per seq), committed to the queue;
//! or uploaded whole as raw CSV. Also status, list, error report, cancel and undo.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::api::{
    BatchRequest, BatchResponse, BatchRow, CommitRequest, CreateImport, Id, Import, ImportStatus,
    OnDuplicate, Page, RejectedRow,
};
use tokio::io::AsyncWriteExt;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{CommitOutcome, NewBatch, PutBatch, StorageError, StoredError, StoredRow};

/// Bytes read from the start of a file to detect encoding, delimiter, header and mapping.
pub const DETECT_SAMPLE: usize = 256 * 1024;

/// Rows one batch may carry.
pub const MAX_BATCH_ROWS: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list).post(create))
        .route("/imports/csv", post(upload_csv))
        .route("/imports/{id}", get(one))
        .route("/imports/{id}/batches/{seq}", put(put_batch))
        .route("/imports/{id}/commit", post(commit))
        .route("/imports/{id}/errors.csv", get(errors_csv))
        .route("/imports/{id}/cancel", post(cancel))
        .route("/imports/{id}/undo", post(undo))
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Import>>> {
    let (page, per_page) = super::paging(q.page, q.per_page, 500)?;
    Ok(Json(state.storage.list_imports(page, per_page).await?))
}

async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Import>> {
    Ok(Json(state.storage.get_import(id).await?))
}

/// The import's group: the one asked for (which must exist), else `Default`.
async fn resolve_group(state: &AppState, group_id: Option<Id>) -> ApiResult<Id> {
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

async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateImport>,
) -> ApiResult<(StatusCode, Json<Import>)> {
    let file_name = req.file_name.trim();
    if file_name.is_empty() || file_name.chars().count() > 255 {
        return Err(ApiError::unprocessable(
            "invalid_file_name",
            "file_name must have 1 to 255 characters.",
        ));
    }
    let group_id = resolve_group(&state, req.group_id).await?;
    let settings = serde_json::json!({ "mapping": req.mapping }).to_string();
    let import = state
        .storage
        .create_import(
            file_name,
            group_id,
            req.on_duplicate,
            &settings,
            None,
            ImportStatus::Receiving,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(import)))
}

/// The raw value of a field of a posted row, for the error report.
pub fn field_value(row: &BatchRow, field: &str) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match field {
        "first_name" => text(&row.first_name),
        "last_name" => text(&row.last_name),
        "email" => text(&row.email),
        "note" => text(&row.note),
        "group" | "customer_group" => text(&row.group),
        "accepts_marketing" => match &row.accepts_marketing {
            Some(shared::api::Consent::Bool(b)) => b.to_string(),
            Some(shared::api::Consent::Text(t)) => t.clone(),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// Validate every row again with the shared rules: the server never trusts the browser.
pub fn validate_batch(seq: u32, rows: &[BatchRow]) -> (NewBatch, BatchResponse) {
    let mut stored = Vec::with_capacity(rows.len());
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match shared::rules::validate_row(row) {
            Ok(draft) => stored.push(StoredRow::from_draft(draft)),
            Err(field_errors) => {
                for e in &field_errors {
                    errors.push(StoredError {
                        line: row.line,
                        value: field_value(row, &e.field),
                        error: e.clone(),
                    });
                }
                rejected.push(RejectedRow {
                    line: row.line,
                    errors: field_errors,
                });
            }
        }
    }
    let response = BatchResponse {
        seq,
        accepted: stored.len() as u32,
        rejected,
    };
    let batch = NewBatch {
        seq,
        body_hash: String::new(),
        row_count: rows.len() as u64,
        rows: stored,
        errors,
        response_json: serde_json::to_string(&response).unwrap_or_default(),
    };
    (batch, response)
}

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
    // The body's identity is its parsed content, so formatting differences are the same body.
    let canonical = serde_json::to_vec(&req).map_err(ApiError::internal)?;
    let (mut batch, response) = validate_batch(seq, &req.rows);
    batch.body_hash = hex::encode(Sha256::digest(&canonical));
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
        CommitOutcome::Committed => {
            state.queue_wakeup.notify_waiters();
            Ok((
                StatusCode::ACCEPTED,
                Json(state.storage.get_import(id).await?),
            ))
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

async fn cancel(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Import>> {
    Ok(Json(state.storage.cancel_import(id).await.map_err(
        |e| match e {
            StorageError::Conflict(msg) => ApiError::conflict("not_cancellable", msg),
            other => other.into(),
        },
    )?))
}

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

async fn errors_csv(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Response> {
    state.storage.get_import(id).await?;
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
                    &[&e.line.to_string(), &e.field, &e.value, &e.code, &e.message],
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
        ],
        Body::from_stream(header.chain(rows)),
    )
        .into_response())
}

#[derive(Deserialize)]
struct CsvQuery {
    group_id: Option<Id>,
    on_duplicate: Option<String>,
    has_header: Option<String>,
    delimiter: Option<String>,
    encoding: Option<String>,
    mapping: Option<String>,
    file_name: Option<String>,
}

/// The settings a server-parsed CSV import keeps, to parse the stored file in the job.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
pub struct CsvSettings {
    pub has_header: Option<bool>,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub mapping: Option<Vec<Option<shared::import::Target>>>,
}

impl CsvSettings {
    pub fn import_settings(&self) -> shared::import::ImportSettings {
        shared::import::ImportSettings {
            encoding: self.encoding.clone(),
            delimiter: self.delimiter,
            header: match self.has_header {
                None => shared::import::HeaderChoice::Auto,
                Some(true) => shared::import::HeaderChoice::Yes,
                Some(false) => shared::import::HeaderChoice::No,
            },
            mapping: self.mapping.clone(),
        }
    }
}

fn parse_csv_query(q: &CsvQuery) -> ApiResult<CsvSettings> {
    let has_header = match q.has_header.as_deref() {
        None | Some("auto") => None,
        Some("true") | Some("yes") => Some(true),
        Some("false") | Some("no") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_has_header",
                format!("has_header must be auto, true or false, not {other}."),
            ));
        }
    };
    let delimiter = match q.delimiter.as_deref() {
        None | Some("auto") => None,
        Some(",") | Some("comma") => Some(b','),
        Some(";") | Some("semicolon") => Some(b';'),
        Some("tab") | Some("\t") => Some(b'\t'),
        Some("pipe") | Some("|") => Some(b'|'),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_delimiter",
                format!("delimiter must be auto, ',', ';', tab or pipe, not {other}."),
            ));
        }
    };
    let encoding = match q.encoding.as_deref() {
        None | Some("auto") => None,
        Some(label) => {
            let enc = encoding_label(label).ok_or_else(|| {
                ApiError::bad_request("invalid_encoding", format!("Unknown encoding {label}."))
            })?;
            Some(enc)
        }
    };
    let mapping = match q.mapping.as_deref() {
        None => None,
        Some(json) => Some(serde_json::from_str(json).map_err(|e| {
            ApiError::bad_request(
                "invalid_mapping",
                format!("mapping must be a JSON array of target names or nulls: {e}"),
            )
        })?),
    };
    Ok(CsvSettings {
        has_header,
        delimiter,
        encoding,
        mapping,
    })
}

fn encoding_label(label: &str) -> Option<String> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).map(|e| e.name().to_lowercase())
}

/// Streams a raw CSV body to a file under the data directory, then queues its import.
async fn upload_csv(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CsvQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Import>)> {
    let settings = parse_csv_query(&q)?;
    let on_duplicate = match q.on_duplicate.as_deref() {
        None => OnDuplicate::Skip,
        Some(s) => OnDuplicate::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_on_duplicate",
                "on_duplicate must be skip, update or update_non_blank.",
            )
        })?,
    };
    let group_id = resolve_group(&state, q.group_id).await?;
    let dir = state.config.data_dir.join("uploads");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let path = dir.join(format!("{}.csv", crate::auth::random_token(16)));
    let limit = state.config.max_upload_bytes;
    let written = write_limited(body, &path, limit).await;
    match written {
        Ok(_) => {}
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
    }
    let file_name = q.file_name.clone().unwrap_or_else(|| "upload.csv".into());
    let import = state
        .storage
        .create_import(
            &file_name,
            group_id,
            on_duplicate,
            &serde_json::to_string(&settings).map_err(ApiError::internal)?,
            Some(&path.to_string_lossy()),
            ImportStatus::Queued,
        )
        .await?;
    state.queue_wakeup.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(import)))
}

async fn write_limited(body: Body, path: &std::path::Path, limit: u64) -> ApiResult<u64> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("upload_interrupted", format!("The upload broke off: {e}"))
        })?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(ApiError::too_large(format!(
                "The file is larger than the upload limit of {limit} bytes."
            )));
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    // Durable before we answer 202.
    file.sync_all().await.map_err(ApiError::internal)?;
    Ok(total)
}
