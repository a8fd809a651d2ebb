//! Types that cross HTTP: every request and response body of the REST contract.
//! Both the backend and the frontend (de)serialise exactly these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::codes::{Detail, ErrorCode, ErrorParams};
pub use crate::customer::CustomerFields;
pub use crate::field::Field;
pub use crate::outcome::{
    DryRunCounts, DryRunReport, FieldChange, OutcomeLine, OutcomePage, RowOutcome, SampleUpdate,
};

pub type Id = i64;

/// The body of every error response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

// ---- Accounts ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// At most 255 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Id,
    pub username: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub user: User,
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTokenRequest {
    /// 1 to 100 characters, not all white space, no control characters (stored trimmed).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub name: String,
}

/// A new API token: the secret is shown once, then only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub id: Id,
    pub name: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: Id,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The last bearer request made with the token (recorded at most once a minute); null
    /// if it was never used.
    pub last_used_at: Option<DateTime<Utc>>,
}

// ---- Groups ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: Id,
    pub name: String,
    pub customer_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupName {
    /// 1 to 100 characters, not all white space, no control characters (stored trimmed).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub name: String,
}

// ---- Mapping profiles ----

/// A column mapping saved on the server for files with the same headers
/// (`import::profile`): applied when such a file arrives, by every user and door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: Id,
    pub name: String,
    /// The fingerprint of the headers it was made for (their set, trimmed, lower-cased).
    pub fingerprint: String,
    /// The headers it was made for, as they were.
    pub headers: Vec<String>,
    /// By header: its target, or null for "do not import".
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::HashMap<String, TargetOrNull>))]
    pub mapping: crate::settings::NamedMapping,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A mapping profile to save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProfile {
    /// 1 to 100 characters, not all white space, no control characters (stored trimmed);
    /// unique case-insensitively.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub name: String,
    /// The file's header line, cell by cell: 1 to 1,000 headers of at most 1,000
    /// characters, no control characters, not all blank.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub headers: Vec<String>,
    /// By header (one of `headers`, case and surrounding spaces ignored): its target, or
    /// null for "do not import". Headers left out keep the automatic mapping.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::HashMap<String, TargetOrNull>))]
    pub mapping: crate::settings::NamedMapping,
}

/// A mapping profile's new name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileRename {
    /// As [`NewProfile::name`].
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub name: String,
}

/// A mapping target as the contract spells it, or null ("do not import"): the OpenAPI
/// document's name for `Option<`[`crate::import::Target`]`>` as a map value.
#[cfg(feature = "openapi")]
pub struct TargetOrNull;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TargetOrNull {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let values = crate::import::Target::ALL
            .iter()
            .map(|t| serde_json::json!(t))
            .chain([serde_json::Value::Null]);
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .enum_values(Some(values))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TargetOrNull {}

// ---- Customers ----

/// A stored customer. Its JSON object is flat: `id`, the fields' keys, then the rest (its
/// OpenAPI schema is [`customer_schema::Customer`]'s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Id,
    #[serde(flatten)]
    pub fields: CustomerFields,
    pub group_id: Id,
    pub group_name: String,
    pub import_id: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// [`Customer`]'s OpenAPI schema: utoipa would describe the flattened fields as an `allOf`
/// of two objects; the document shows the one flat object the JSON is. This twin lists the
/// keys for the document only, and a backend test (`the_customer_schema_names_the_keys_a_
/// customer_has`) checks them against a serialised customer.
#[cfg(feature = "openapi")]
pub mod customer_schema {
    use std::borrow::Cow;

    use chrono::{DateTime, Utc};
    use utoipa::openapi::{RefOr, schema::Schema};

    use super::Id;

    #[derive(utoipa::ToSchema)]
    #[allow(dead_code)]
    pub struct Customer {
        id: Id,
        first_name: String,
        last_name: String,
        full_name: String,
        email: String,
        note: String,
        accepts_marketing: bool,
        group_id: Id,
        group_name: String,
        import_id: Option<Id>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }

    impl utoipa::PartialSchema for super::Customer {
        fn schema() -> RefOr<Schema> {
            <Customer as utoipa::PartialSchema>::schema()
        }
    }

    impl utoipa::ToSchema for super::Customer {
        fn name() -> Cow<'static, str> {
            <Customer as utoipa::ToSchema>::name()
        }
        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            <Customer as utoipa::ToSchema>::schemas(schemas)
        }
    }
}

/// Body of `POST /api/customers` and `PATCH /api/customers/{id}` (absent fields unchanged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_marketing: Option<Consent>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    pub group_id: Option<Id>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CustomerSort {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "last_name")]
    LastName,
}

/// The filters shared by the customer list and the export (query string).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_marketing: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_to: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<Id>,
}

// ---- Imports ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Receiving,
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Undone,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receiving => "receiving",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Undone => "undone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "receiving" => Self::Receiving,
            "queued" => Self::Queued,
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "undone" => Self::Undone,
            _ => return None,
        })
    }

    /// No further work will happen on an import in this state (undo aside).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::Undone
        )
    }
}

/// What to do when an imported email is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    #[default]
    Skip,
    Update,
    /// Only non-empty cells overwrite stored values.
    UpdateNonBlank,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Update => "update",
            Self::UpdateNonBlank => "update_non_blank",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "skip" => Self::Skip,
            "update" => Self::Update,
            "update_non_blank" => Self::UpdateNonBlank,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportCounts {
    pub received: i64,
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Import {
    pub id: Id,
    pub file_name: String,
    pub status: ImportStatus,
    pub group_id: Id,
    pub on_duplicate: OnDuplicate,
    pub counts: ImportCounts,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateImport {
    /// 1 to 255 characters, not all white space, no control characters (stored trimmed).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 255,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub file_name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    pub group_id: Option<Id>,
    #[serde(default)]
    pub on_duplicate: OnDuplicate,
    /// The column mapping the user chose, kept for the record and for resuming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<serde_json::Value>,
    /// The value mapping: what consent values mean and which group each group value goes
    /// to. The server applies it to every posted row (text consent values and groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<crate::import::ValueMap>,
}

/// A marketing-consent cell: the browser sends a boolean, scripts may send the raw text.
/// The server parses text with the same rules as the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Consent {
    Bool(bool),
    Text(String),
}

/// One normalised record as posted in a batch. `line` is the record's 1-based starting line
/// in the source file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRow {
    /// At most 9,223,372,036,854,775,807 (a signed 64-bit number).
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    #[serde(deserialize_with = "crate::whole::deserialize")]
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_marketing: Option<Consent>,
    /// A group name overriding the import's group; unknown names are created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRequest {
    pub rows: Vec<BatchRow>,
}

/// One problem with one field of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: Field,
    pub code: ErrorCode,
    /// The problem in English (kept for clients that show it as it is).
    pub message: String,
    /// What the message says beyond the code, to write it in another language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ErrorParams>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    pub line: u64,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 0, maximum = 4_294_967_295_i64))]
    pub seq: u32,
    pub accepted: u32,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitRequest {
    /// 0 to 4,294,967,295.
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 0, maximum = 4_294_967_295_i64))]
    #[serde(deserialize_with = "crate::whole::deserialize")]
    pub batch_count: u32,
    /// 0 to 18,446,744,073,709,551,615.
    #[cfg_attr(feature = "openapi", schema(maximum = 18_446_744_073_709_551_615_u64))]
    #[serde(deserialize_with = "crate::whole::deserialize")]
    pub row_count: u64,
}

// ---- Queue jobs ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: Id,
    pub kind: String,
    pub import_id: Id,
    pub status: ImportStatus,
    pub progress: f64,
    pub counts: ImportCounts,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// The import's file name.
    #[serde(default)]
    pub file_name: String,
    /// Who created the import: a user name (marked ` (API token)` when through one), `cli` for
    /// `intake import`; absent for imports from before this was recorded.
    #[serde(default)]
    pub started_by: Option<String>,
    /// A finished dry run's report (`kind` `dry_run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<DryRunReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobList {
    pub items: Vec<Job>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub database: String,
}

// ---- Webhooks ----

mod webhooks;
pub use webhooks::*;
