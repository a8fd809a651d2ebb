//! Imports: created in `receiving`, fed batches (idempotent per seq), committed to the queue;
//! or uploaded whole as raw CSV. Also status, list, error report, cancel and undo.

use crate::extract::Path;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::api::{
    BatchRequest, BatchResponse, BatchRow, CommitRequest, CreateImport, ErrorBody, Id, Import,
    ImportStatus, OnDuplicate, Page, RejectedRow,
};
use tokio::io::AsyncWriteExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{CommitOutcome, NewBatch, PutBatch, StorageError, StoredError, StoredRow};

/// Bytes read from the start of a file to detect encoding, delimiter, header and mapping.
pub const DETECT_SAMPLE: usize = 256 * 1024;

/// Rows one batch may carry.
pub const MAX_BATCH_ROWS: usize = 10_000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(upload_csv))
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
    /// From 1.
    page: Option<i64>,
    /// 1 to 500, default 50.
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

/// Start an import in `receiving`: send its batches, then commit.
#[utoipa::path(
    post,
    path = "/imports",
    tag = "imports",
    request_body = CreateImport,
    responses(
        (status = 201, body = Import),
        (status = 422, description = "`invalid_file_name` or `unknown_group`", body = ErrorBody),
    )
)]
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
                        value: field_value(row, e.field.as_str()),
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

/// A posted batch as it is stored: every row validated again, and the body's identity, a
/// hash of its parsed content (so formatting differences are the same body).
pub fn prepare_batch(
    seq: u32,
    req: &BatchRequest,
) -> serde_json::Result<(NewBatch, BatchResponse)> {
    // Serialised straight into the hash (through a buffer: serde writes small pieces).
    let mut hasher = std::io::BufWriter::with_capacity(64 << 10, Sha256::new());
    serde_json::to_writer(&mut hasher, req)?;
    let hasher = hasher
        .into_inner()
        .map_err(|e| serde_json::Error::io(e.into_error()))?;
    let (mut batch, response) = validate_batch(seq, &req.rows);
    batch.body_hash = hex::encode(hasher.finalize());
    Ok((batch, response))
}

/// Store one batch of rows, validated again by the server. Idempotent per `seq`: the same
/// body gets the same answer and changes nothing.
#[utoipa::path(
    put,
    path = "/imports/{id}/batches/{seq}",
    tag = "imports",
    params(
        ("id" = i64, Path, description = "Import id"),
        ("seq" = u32, Path, description = "Batch number, from 0"),
    ),
    request_body = BatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The import takes no more batches (`import_not_receiving`)", body = ErrorBody),
        (status = 413, description = "Body over the JSON limit or more rows than a batch may carry", body = ErrorBody),
        (status = 422, description = "This seq was received with other rows (`batch_mismatch`)", body = ErrorBody),
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
    let (batch, response) =
        crate::cpu::heavy(|| prepare_batch(seq, &req)).map_err(ApiError::internal)?;
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

/// The import's problems as CSV: `line,field,value,code,message`, one row per problem.
#[utoipa::path(
    get,
    path = "/imports/{id}/errors.csv",
    tag = "imports",
    params(("id" = i64, Path, description = "Import id")),
    responses(
        (status = 200, description = "CSV, streamed", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody),
    )
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CsvQuery {
    /// The customers' group (default: `Default`).
    group_id: Option<i64>,
    /// `skip` (default), `update` or `update_non_blank`.
    on_duplicate: Option<String>,
    /// `auto` (default), `true` or `false`.
    has_header: Option<String>,
    /// `auto` (default), `,`, `;`, `tab` or `pipe`.
    delimiter: Option<String>,
    /// `auto` (default) or a WHATWG label such as `utf-8`, `windows-1251`, `utf-16le`.
    encoding: Option<String>,
    /// JSON overriding the automatic mapping: an array with one target (or null) per
    /// column, e.g. `["email", null, "full_name"]`, or an object from column index or header
    /// name to target, e.g. `{"E-mail": "email", "3": null}`. Targets: first_name, last_name,
    /// full_name, email, note, accepts_marketing, customer_group.
    mapping: Option<String>,
    /// The name shown in the import list (default `upload.csv`).
    file_name: Option<String>,
}

/// A mapping given with a raw CSV upload: one target per column, or targets by column
/// index or header name (the rest keep the automatic mapping).
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(untagged)]
pub enum MappingSpec {
    Columns(Vec<Option<shared::import::Target>>),
    Named(std::collections::BTreeMap<String, Option<shared::import::Target>>),
}

/// The settings a server-parsed CSV import keeps, to parse the stored file in the job.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
pub struct CsvSettings {
    pub has_header: Option<bool>,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub mapping: Option<MappingSpec>,
}

impl CsvSettings {
    pub fn import_settings(&self) -> shared::import::ImportSettings {
        shared::import::ImportSettings {
            encoding: self.encoding.clone(),
            delimiter: self.delimiter,
            header: shared::import::HeaderChoice::from_has_header(self.has_header),
            mapping: match &self.mapping {
                Some(MappingSpec::Columns(targets)) => Some(targets.clone()),
                _ => None,
            },
        }
    }

    /// Apply a mapping by index or header name to the detected columns. Err names a key
    /// that matches no column.
    pub fn apply_named_mapping(
        &self,
        detection: &mut shared::import::Detection,
    ) -> Result<(), String> {
        let Some(MappingSpec::Named(named)) = &self.mapping else {
            return Ok(());
        };
        let columns = detection.columns.len().max(detection.mapping.len());
        detection.mapping.resize(columns, None);
        for (key, target) in named {
            let by_header = detection.columns.iter().position(|c| {
                c.header
                    .as_deref()
                    .is_some_and(|h| h.trim().to_lowercase() == key.trim().to_lowercase())
            });
            let index = by_header
                .or_else(|| key.trim().parse::<usize>().ok().filter(|i| *i < columns))
                .ok_or_else(|| {
                    format!("The mapping names the column {key:?}, which the file does not have.")
                })?;
            // A target chosen for one column leaves the column that had it automatically.
            if let Some(t) = target {
                for other in detection.mapping.iter_mut() {
                    if other.as_ref() == Some(t) {
                        *other = None;
                    }
                }
            }
            detection.mapping[index] = *target;
        }
        Ok(())
    }
}

fn parse_csv_query(q: &CsvQuery) -> ApiResult<CsvSettings> {
    let has_header = match q.has_header.as_deref() {
        None => None,
        Some(s) => shared::import::HeaderChoice::parse(s)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_has_header",
                    format!("has_header must be auto, true or false, not {s}."),
                )
            })?
            .has_header(),
    };
    let delimiter = shared::import::parse_delimiter(q.delimiter.as_deref().unwrap_or("auto"))
        .map_err(|message| ApiError::bad_request("invalid_delimiter", message))?;
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
                format!(
                    "mapping must be JSON: an array of targets or nulls, or an object from \
                     column index or header to target: {e}"
                ),
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
    shared::import::lookup_label(label, shared::import::default_decoders())
}

/// Upload a whole CSV file as the raw body (streamed to disk, any size up to the configured
/// limit); the server detects, maps and validates it with the same rules as the browser.
#[utoipa::path(
    post,
    path = "/imports/csv",
    tag = "imports",
    params(CsvQuery),
    request_body(content = String, content_type = "text/csv", description = "The file's bytes, in any supported encoding"),
    responses(
        (status = 202, description = "Stored and queued", body = Import),
        (status = 400, description = "A bad option (`invalid_delimiter`, `invalid_mapping`, ...)", body = ErrorBody),
        (status = 413, description = "Larger than the upload limit (`payload_too_large`)", body = ErrorBody),
        (status = 422, description = "`unknown_group`", body = ErrorBody),
    )
)]
async fn upload_csv(
    State(state): State<AppState>,
    query: Result<ApiQuery<CsvQuery>, ApiError>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Import>), Response> {
    let mut stream = body.into_data_stream();
    match store_upload(&state, query, &headers, &mut stream).await {
        Ok(import) => {
            state.queue_wakeup.notify_waiters();
            Ok((StatusCode::ACCEPTED, Json(import)))
        }
        Err(e) => Err(crate::error::refuse_draining(e, &headers, stream).await),
    }
}

async fn store_upload(
    state: &AppState,
    query: Result<ApiQuery<CsvQuery>, ApiError>,
    headers: &axum::http::HeaderMap,
    stream: &mut axum::body::BodyDataStream,
) -> ApiResult<Import> {
    let ApiQuery(q) = query?;
    let limit = state.config.max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
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
    let group_id = resolve_group(state, q.group_id).await?;
    let dir = state.config.data_dir.join("uploads");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let path = std::path::absolute(dir.join(format!("{}.csv", crate::auth::random_token(16))))
        .map_err(ApiError::internal)?;
    if let Err(e) = write_limited(stream, &path, limit).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let file_name = q.file_name.clone().unwrap_or_else(|| "upload.csv".into());
    let created = state
        .storage
        .create_import(
            &file_name,
            group_id,
            on_duplicate,
            &serde_json::to_string(&settings).map_err(ApiError::internal)?,
            Some(&path.to_string_lossy()),
            ImportStatus::Queued,
        )
        .await;
    match created {
        Ok(import) => Ok(import),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::too_large(format!(
        "The file is larger than the upload limit of {limit} bytes."
    ))
    .with_details(serde_json::json!({ "limit_bytes": limit }))
}

/// An upload that sends nothing for this long is cut off.
const UPLOAD_IDLE: std::time::Duration = std::time::Duration::from_secs(60);
/// After this grace period an upload must have averaged at least the minimum rate.
const UPLOAD_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
const UPLOAD_MIN_BYTES_PER_SEC: f64 = 1024.0;

fn too_slow() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "upload_too_slow",
        "The upload stalled or came in too slowly (under 1 KiB/s); send the file again.",
    )
}

async fn write_limited(
    stream: &mut axum::body::BodyDataStream,
    path: &std::path::Path,
    limit: u64,
) -> ApiResult<u64> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::from_io)?;
    let mut total = 0u64;
    let started = std::time::Instant::now();
    loop {
        // Uploads are exempt from the request timeout (a big file takes long), so a client
        // that stalls or trickles is cut off here instead.
        let next = tokio::time::timeout(UPLOAD_IDLE, stream.next()).await;
        let Ok(next) = next else {
            return Err(too_slow());
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("upload_interrupted", format!("The upload broke off: {e}"))
        })?;
        total += chunk.len() as u64;
        let elapsed = started.elapsed();
        if elapsed > UPLOAD_GRACE
            && (total as f64) < UPLOAD_MIN_BYTES_PER_SEC * elapsed.as_secs_f64()
        {
            return Err(too_slow());
        }
        if total > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).await.map_err(ApiError::from_io)?;
    }
    // Durable before we answer 202.
    file.sync_all().await.map_err(ApiError::from_io)?;
    Ok(total)
}
