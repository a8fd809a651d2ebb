//! The one error type of the HTTP layer. Every error leaves as the contract's body
//! `{"error": {"code", "message", "details"}}`; 500s are logged and never leak internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ErrorBody, ErrorInfo};

use crate::storage::{GroupRefusal, StorageError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A refused name or password: 422 with the rule's code and message.
impl From<crate::rules::RuleError> for ApiError {
    fn from(e: crate::rules::RuleError) -> Self {
        Self::unprocessable(e.code(), e.to_string())
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in or send an API token.",
        )
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found."),
        )
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on the server; it has been logged.",
        )
    }

    /// The server's disk (or the database's) is full: nothing of the request was kept.
    pub fn storage_full(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "out of disk space");
        let mut e = Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "The server has run out of disk space; nothing of this request was stored. \
             Try again once space has been freed.",
        );
        e.retry_after = Some(30);
        e
    }

    /// For a failed file write: a full disk says so, anything else is internal.
    pub fn from_io(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::StorageFull {
            Self::storage_full(err)
        } else {
            Self::internal(err)
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound | StorageError::Database(sqlx::Error::RowNotFound) => {
                Self::not_found("The resource")
            }
            StorageError::Conflict(msg) => Self::conflict("conflict", msg),
            StorageError::Group(refusal) => group_refused(refusal),
            // A row this request names was deleted by another request meanwhile.
            StorageError::Database(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Self::conflict(
                    "conflict",
                    "Something this request names was changed or deleted meanwhile; reload and try again.",
                )
            }
            StorageError::Database(e) if database_unavailable(&e) => {
                tracing::warn!(error = %e, "the database is unavailable");
                let mut err = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "The database cannot be reached right now; try again shortly.",
                );
                err.retry_after = Some(1);
                err
            }
            StorageError::Database(e) if storage_full(&e) => Self::storage_full(e),
            other => Self::internal(other),
        }
    }
}

/// A refused change to a group, with the contract's code (docs/api.md, "Customer groups").
fn group_refused(refusal: GroupRefusal) -> ApiError {
    match refusal {
        GroupRefusal::NameTaken(name) => ApiError::conflict(
            "group_exists",
            format!("A group named {name} already exists."),
        ),
        GroupRefusal::IsDefault => ApiError::conflict(
            "default_group",
            "The Default group keeps its name and cannot be deleted: customers without a group go there.",
        ),
        GroupRefusal::HasCustomers(n) => ApiError::conflict(
            "group_in_use",
            format!(
                "The group has {n} customers: pass reassign_to to move them to another group first."
            ),
        ),
        GroupRefusal::ImportOpen { import_id, status } => ApiError::conflict(
            "group_import_open",
            format!(
                "Import {import_id} is {} and puts its customers into this group: \
                 delete the group once the import has finished, or cancel the import.",
                status.as_str()
            ),
        )
        .with_details(serde_json::json!({ "import_id": import_id, "status": status })),
        GroupRefusal::Unknown(id) => ApiError::unprocessable(
            "unknown_group",
            format!("There is no other customer group {id}."),
        ),
    }
}

/// True for errors that mean the database is away (connection refused or cut, the pool
/// gave up waiting, the server shutting down or refusing connections), not a bad query.
pub fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown,
            // cannot connect now; 55000 covers "database does not allow connections".
            c.starts_with("08") || c.starts_with("57P") || c == "55000"
        }),
        _ => false,
    }
}

/// True for a write refused for lack of space: SQLITE_FULL (13), PostgreSQL's disk_full
/// (53100), or a file write failing with ENOSPC.
pub fn storage_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c == "13" || c == "53100"),
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => false,
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(format!("{e:#}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInfo {
                code: self.code.to_owned(),
                message: self.message,
                details: self.details,
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// How long a refused request's remaining body is read and discarded.
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The error response for a request refused before its body was read (no token, a full
/// disk, over the size limit): the rest of the body is read and discarded first (for at
/// most [`DRAIN_FOR`]), so that a client still sending gets the answer instead of a reset
/// connection; then the connection is closed. A client that asked with
/// `Expect: 100-continue` has not sent its body and is answered at once.
pub async fn refuse_draining(
    e: ApiError,
    headers: &axum::http::HeaderMap,
    mut body: axum::body::BodyDataStream,
) -> Response {
    use futures::StreamExt;
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if !expects_continue {
        let _ = tokio::time::timeout(DRAIN_FOR, async {
            while let Some(Ok(_)) = body.next().await {}
        })
        .await;
    }
    let mut res = e.into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
