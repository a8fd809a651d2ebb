//! Customers: the filtered, paginated list; single-customer CRUD (same validation as import);
//! and the streamed CSV export.

use crate::extract::Path;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::api::{
    BatchRow, Customer, CustomerFilter, CustomerInput, CustomerSort, ErrorBody, Id, Page,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportError};
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{CustomerValues, Storage, StorageError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(export))
        .routes(routes!(one, update, remove))
}

/// The filters of the list and the export (documentation of [`ListQuery`]).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FilterParams {
    /// Only customers of this group.
    group_id: Option<i64>,
    /// `true` or `false`.
    accepts_marketing: Option<bool>,
    /// Text in the name or email (case-insensitive).
    q: Option<String>,
    /// Created at or after this RFC 3339 time.
    created_from: Option<DateTime<Utc>>,
    /// Created at or before this RFC 3339 time.
    created_to: Option<DateTime<Utc>>,
    /// Only customers written by this import.
    import_id: Option<i64>,
}

/// Paging and order of the list.
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// From 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<i64>,
    /// `created_at`, `-created_at` (default), `email` or `last_name`.
    #[param(pattern = "^(created_at|-created_at|email|last_name)$")]
    sort: Option<String>,
}

/// Spreadsheet options of the export.
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// `comma` (default), `semicolon` or `tab` (or the character itself).
    #[param(pattern = "^(comma|semicolon|tab|,|;|\t)$")]
    delimiter: Option<String>,
    /// Start with a UTF-8 byte-order mark (for Excel).
    bom: Option<bool>,
}

/// The list and export query string. Spelled out field by field: serde's `flatten` loses
/// the types of query values.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    group_id: Option<Id>,
    accepts_marketing: Option<bool>,
    q: Option<String>,
    created_from: Option<DateTime<Utc>>,
    created_to: Option<DateTime<Utc>>,
    import_id: Option<Id>,
    page: Option<i64>,
    per_page: Option<i64>,
    sort: Option<String>,
    delimiter: Option<String>,
    bom: Option<bool>,
}

impl ListQuery {
    fn filter(&self) -> CustomerFilter {
        CustomerFilter {
            group_id: self.group_id,
            accepts_marketing: self.accepts_marketing,
            q: self.q.clone(),
            created_from: self.created_from,
            created_to: self.created_to,
            import_id: self.import_id,
        }
    }
}

fn parse_sort(s: Option<&str>) -> ApiResult<CustomerSort> {
    Ok(match s {
        None | Some("-created_at") => CustomerSort::CreatedAtDesc,
        Some("created_at") => CustomerSort::CreatedAt,
        Some("email") => CustomerSort::Email,
        Some("last_name") => CustomerSort::LastName,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_sort",
                format!("sort must be created_at, -created_at, email or last_name, not {other}."),
            ));
        }
    })
}

/// Customers matching the filters, one page at a time.
#[utoipa::path(
    get,
    path = "/customers",
    tag = "customers",
    params(FilterParams, PageParams),
    responses(
        (status = 200, body = Page<Customer>),
        (status = 400, description = "A bad filter, sort or paging value", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let (page, per_page) = super::paging(q.page, q.per_page, 500)?;
    let sort = parse_sort(q.sort.as_deref())?;
    Ok(Json(
        state
            .storage
            .list_customers(&q.filter(), sort, page, per_page)
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody))
)]
async fn one(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<Json<Customer>> {
    Ok(Json(state.storage.get_customer(id).await?))
}

/// Validate a customer with the import rules; field errors become a 422 naming each field.
async fn validated(
    storage: &dyn Storage,
    input: &CustomerInput,
    base: Option<&Customer>,
) -> ApiResult<CustomerValues> {
    let pick = |new: &Option<String>, old: Option<&String>| new.clone().or_else(|| old.cloned());
    // A full name alone is split by the rules; parts alone are joined.
    let (first_name, last_name) = match (&input.first_name, &input.last_name, &input.full_name) {
        (None, None, Some(full)) => {
            let (f, l) = shared::rules::split_full_name(full);
            (Some(f.to_owned()), Some(l.to_owned()))
        }
        _ => (
            pick(&input.first_name, base.map(|b| &b.fields.first_name)),
            pick(&input.last_name, base.map(|b| &b.fields.last_name)),
        ),
    };
    let row = BatchRow {
        line: 0,
        first_name,
        last_name,
        email: pick(&input.email, base.map(|b| &b.fields.email)),
        note: pick(&input.note, base.map(|b| &b.fields.note)),
        accepts_marketing: input
            .accepts_marketing
            .clone()
            .or(base.map(|b| shared::api::Consent::Bool(b.fields.accepts_marketing))),
        group: None,
    };
    let draft = shared::rules::validate_row(&row).map_err(|errors| {
        ApiError::unprocessable("invalid_customer", "The customer has invalid fields.")
            .with_details(serde_json::json!({ "errors": errors }))
    })?;
    let group_id = match (input.group_id, base) {
        (Some(id), _) => {
            storage.get_group(id).await.map_err(|e| match e {
                StorageError::NotFound => ApiError::unprocessable(
                    "unknown_group",
                    format!("There is no customer group {id}."),
                ),
                other => other.into(),
            })?;
            id
        }
        (None, Some(b)) => b.group_id,
        (None, None) => storage.default_group_id().await?,
    };
    Ok(CustomerValues {
        fields: draft.fields.into_stored(),
        email_key: draft.email_key,
        group_id,
    })
}

fn email_taken(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(msg) => ApiError::conflict("email_exists", msg),
        other => other.into(),
    }
}

/// Create a customer, validated like an imported row.
#[utoipa::path(
    post,
    path = "/customers",
    tag = "customers",
    request_body = CustomerInput,
    responses(
        (status = 201, body = Customer),
        (status = 409, description = "The email is taken (`email_exists`)", body = ErrorBody),
        (status = 422, description = "Invalid fields (`invalid_customer`, details.errors) or `unknown_group`", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let values = validated(state.storage.as_ref(), &input, None).await?;
    let customer = state
        .storage
        .create_customer(&values)
        .await
        .map_err(email_taken)?;
    Ok((StatusCode::CREATED, Json(customer)))
}

/// Change a customer; absent fields keep their values.
#[utoipa::path(
    patch,
    path = "/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CustomerInput,
    responses(
        (status = 200, body = Customer),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The email is taken (`email_exists`)", body = ErrorBody),
        (status = 422, description = "Invalid fields (`invalid_customer`) or `unknown_group`", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<Json<Customer>> {
    let current = state.storage.get_customer(id).await?;
    let values = validated(state.storage.as_ref(), &input, Some(&current)).await?;
    Ok(Json(
        state
            .storage
            .update_customer(id, &values)
            .await
            .map_err(email_taken)?,
    ))
}

#[utoipa::path(
    delete,
    path = "/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
async fn remove(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<StatusCode> {
    state.storage.delete_customer(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The matching customers as a streamed CSV attachment. Header row:
/// `first_name,last_name,email,note,accepts_marketing,group,created_at`; cells that a
/// spreadsheet would run as a formula get a leading `'`.
#[utoipa::path(
    get,
    path = "/customers/export.csv",
    tag = "customers",
    params(FilterParams, ExportParams),
    responses(
        (status = 200, description = "CSV, streamed", content_type = "text/csv", body = String,
         headers(("content-disposition" = String, description = "attachment; filename=..."))),
        (status = 400, description = "A bad filter or option", body = ErrorBody),
    )
)]
async fn export(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let opts = export::export_options(q.delimiter.as_deref(), q.bom)?;
    let stream = export::export_stream(state.storage.clone(), q.filter(), opts);
    let file_name = format!("customers-{}.csv", Utc::now().format("%Y%m%d-%H%M%S"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            e @ ExportError::InvalidDelimiter(_) => {
                ApiError::bad_request("invalid_delimiter", e.to_string())
            }
            ExportError::Storage(e) => e.into(),
        }
    }
}
