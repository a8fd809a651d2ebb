//! `POST /api/imports/csv`: a whole CSV file (or an Excel/OpenDocument workbook, known by its
//! content) as the raw body, spooled to disk and queued; the queue detects, maps and
//! validates it with the same rules as the browser. A workbook's sheet is turned into CSV
//! text before the import is created (`ingest::workbook`).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;
use shared::api::{ErrorBody, Import, ImportStatus, OnDuplicate};
use shared::import::Target;
use shared::settings::{ReadSettings, ValueMap};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::ingest::{self, ConvertError, SpoolError, SpoolLimits};
use shared::workbook::WorkbookError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CsvQuery {
    /// The customers' group (default: `Default`).
    group_id: Option<i64>,
    /// `skip` (default), `update` or `update_non_blank`.
    #[param(pattern = "^(skip|update|update_non_blank)$")]
    on_duplicate: Option<String>,
    /// `auto` (default), `true` or `false` (`yes`, `no`).
    #[param(pattern = "^(auto|true|false|yes|no)$")]
    has_header: Option<String>,
    /// `auto` (default; also empty), `,` (`comma`), `;` (`semicolon`), `tab` (the character,
    /// or `\t`) or `|` (`pipe`); names in any case, spaces around them ignored.
    #[param(pattern = "^(|auto|,|comma|;|semicolon|tab|\t|\\\\t|\\||pipe)$")]
    delimiter: Option<String>,
    /// `auto` (default) or a WHATWG label such as `utf-8`, `windows-1251`, `utf-16le`.
    encoding: Option<String>,
    /// JSON overriding the automatic mapping: an array with one target (or null) per
    /// column, e.g. `["email", null, "full_name"]`, or an object from column index or header
    /// name to target, e.g. `{"E-mail": "email", "3": null}`. Targets: first_name, last_name,
    /// full_name, email, note, accepts_marketing, customer_group.
    mapping: Option<String>,
    /// The name of a saved mapping profile to map the file with (instead of `mapping`).
    /// Without either, a profile saved for the file's headers applies, if there is one.
    #[param(min_length = 1, max_length = 100)]
    profile: Option<String>,
    /// JSON, the value mapping (as `values` of `POST /api/imports`): what consent values
    /// mean and which group each group value goes to, e.g.
    /// `{"accepts_marketing": {"maybe": "no", "?": "error"}, "customer_group": {"Gold": "VIP"}}`.
    values: Option<String>,
    /// The name shown in the import list (default `upload.csv`): 1 to 255 characters, not all
    /// white space, no control characters.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    file_name: Option<String>,
    /// For a workbook (.xlsx, .xls, .ods, recognised by content): the sheet to import, by
    /// name (default: the first sheet holding a value). Ignored for a CSV file.
    sheet: Option<String>,
}

/// The `mapping` query value: one target per column, or targets by column index or header
/// name (the rest keep the automatic mapping).
#[derive(Deserialize)]
#[serde(untagged)]
enum MappingSpec {
    Columns(Vec<Option<Target>>),
    Named(BTreeMap<String, Option<Target>>),
}

fn parse_csv_query(q: &CsvQuery) -> ApiResult<ReadSettings> {
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
    let mapping: Option<MappingSpec> = match q.mapping.as_deref() {
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
    let (mapping, mapping_by_name) = match mapping {
        None => (None, None),
        Some(MappingSpec::Columns(targets)) => (Some(targets), None),
        Some(MappingSpec::Named(named)) => (None, Some(named.into())),
    };
    let values = match q.values.as_deref() {
        None => ValueMap::default(),
        Some(json) => serde_json::from_str::<ValueMap>(json).map_err(|e| {
            ApiError::bad_request(
                "invalid_value_map",
                format!(
                    "values must be JSON: an object with accepts_marketing (value -> yes, no \
                     or error) and customer_group (value -> group name): {e}"
                ),
            )
        })?,
    };
    values.check().map_err(super::imports::invalid_value_map)?;
    Ok(ReadSettings {
        encoding,
        delimiter,
        has_header,
        mapping,
        mapping_by_name,
        values,
        line_per_record: false,
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
    // Any bytes are a file to read (what they hold is the import's report): no body is
    // invalid, so the schema is the empty one.
    request_body(content = serde_json::Value, content_type = "text/csv", description = "The file's bytes: CSV text in any supported encoding, or an Excel (.xlsx, .xls) or OpenDocument (.ods) workbook, recognised by its content whatever the content type"),
    responses(
        (status = 202, description = "Stored and queued", body = Import),
        (status = 400, description = "A bad option (`invalid_delimiter`, `invalid_mapping` (also: both `mapping` and `profile`), `invalid_value_map`, ...)", body = ErrorBody),
        (status = 413, description = "Larger than the upload limit (`payload_too_large`)", body = ErrorBody),
        (status = 422, description = "`unknown_group`, `unknown_profile`, `invalid_value_map` (a group value mapped to a blank name or one over 100 characters), a workbook that cannot be read (`workbook_unreadable`, `workbook_encrypted`) or a `sheet` it does not have (`unknown_sheet`, details `sheets`), or a file_name that is empty, over 255 characters or holds control characters (`invalid_file_name`)", body = ErrorBody),
    )
)]
async fn upload_csv(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    query: Result<ApiQuery<CsvQuery>, ApiError>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Import>), Response> {
    let mut stream = body.into_data_stream();
    match store_upload(&state, &me.starter(), query, &headers, &mut stream).await {
        Ok(import) => {
            state.queue_wakeup.notify_waiters();
            Ok((StatusCode::ACCEPTED, Json(import)))
        }
        Err(e) => Err(crate::error::refuse_draining(e, &headers, stream).await),
    }
}

async fn store_upload(
    state: &AppState,
    starter: &str,
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
    let mut settings = parse_csv_query(&q)?;
    if let Some(name) = q.profile.as_deref() {
        if q.mapping.is_some() {
            return Err(ApiError::bad_request(
                "invalid_mapping",
                "Give a mapping or a profile, not both.",
            ));
        }
        let profile = state.storage.profile_by_name(name).await?.ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_profile",
                format!("There is no profile named \"{name}\"."),
            )
        })?;
        settings.mapping_by_name = Some(profile.mapping);
    }
    let file_name = match q.file_name.as_deref() {
        None => "upload.csv".to_owned(),
        Some(name) => ingest::file_name(name).map_err(super::imports::invalid_file_name)?,
    };
    let on_duplicate = match q.on_duplicate.as_deref() {
        None => OnDuplicate::Skip,
        Some(s) => OnDuplicate::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_on_duplicate",
                "on_duplicate must be skip, update or update_non_blank.",
            )
        })?,
    };
    let group_id = super::imports::resolve_group(state, q.group_id).await?;
    let path = ingest::spool_upload(&state.config.data_dir, stream, SpoolLimits::upload(limit))
        .await
        .map_err(spool_error)?;
    let spooled = ingest::convert_spooled(path, settings, q.sheet.clone())
        .await
        .map_err(convert_error)?;
    let path = spooled.path;
    let created = state
        .storage
        .create_import_by(
            &file_name,
            group_id,
            on_duplicate,
            &spooled.settings.to_stored(),
            Some(&path.to_string_lossy()),
            ImportStatus::Queued,
            Some(starter),
        )
        .await;
    match created {
        Ok(import) => Ok(import),
        Err(e) => {
            ingest::spool::discard(&path).await;
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

/// A workbook that cannot be read is the client's (422, its code says why); the disk is
/// the server's.
fn convert_error(e: ConvertError) -> ApiError {
    match e {
        ConvertError::Workbook(e) => {
            let details = match &e {
                WorkbookError::UnknownSheet { sheets, .. } => {
                    Some(serde_json::json!({ "sheets": sheets }))
                }
                _ => None,
            };
            let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string());
            match details {
                Some(d) => err.with_details(d),
                None => err,
            }
        }
        ConvertError::Io(e) => ApiError::from_io(e),
    }
}

fn spool_error(e: SpoolError) -> ApiError {
    match e {
        SpoolError::Directory(e) => ApiError::internal(e),
        SpoolError::TooLarge { limit } => too_large(limit),
        SpoolError::TooSlow => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload_too_slow",
            "The upload stalled or came in too slowly (under 1 KiB/s); send the file again.",
        ),
        SpoolError::Interrupted(e) => {
            ApiError::bad_request("upload_interrupted", format!("The upload broke off: {e}"))
        }
        SpoolError::Write(e) => ApiError::from_io(e),
    }
}
