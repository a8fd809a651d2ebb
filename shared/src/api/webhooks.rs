//! Completion webhooks: endpoints an admin registers, the events they receive, and the log
//! of each delivery's attempts. The body each endpoint receives is [`WebhookPayload`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Id, ImportCounts, ImportStatus};

/// The longest webhook URL, in characters.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2000;

/// What happened, as the contract spells it (`import.completed`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    #[serde(rename = "import.completed")]
    ImportCompleted,
    #[serde(rename = "import.failed")]
    ImportFailed,
    #[serde(rename = "import.cancelled")]
    ImportCancelled,
    #[serde(rename = "import.undone")]
    ImportUndone,
    #[serde(rename = "dry_run.finished")]
    DryRunFinished,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 5] = [
        WebhookEvent::ImportCompleted,
        WebhookEvent::ImportFailed,
        WebhookEvent::ImportCancelled,
        WebhookEvent::ImportUndone,
        WebhookEvent::DryRunFinished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ImportCompleted => "import.completed",
            WebhookEvent::ImportFailed => "import.failed",
            WebhookEvent::ImportCancelled => "import.cancelled",
            WebhookEvent::ImportUndone => "import.undone",
            WebhookEvent::DryRunFinished => "dry_run.finished",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The event an import's new status sends, if any.
    pub fn of_status(status: ImportStatus) -> Option<WebhookEvent> {
        match status {
            ImportStatus::Completed => Some(WebhookEvent::ImportCompleted),
            ImportStatus::Failed => Some(WebhookEvent::ImportFailed),
            ImportStatus::Cancelled => Some(WebhookEvent::ImportCancelled),
            ImportStatus::Undone => Some(WebhookEvent::ImportUndone),
            _ => None,
        }
    }
}

/// A registered endpoint (its secret is shown once, when it is created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Id,
    pub url: String,
    /// The events it receives, in the order of [`WebhookEvent::ALL`].
    pub events: Vec<WebhookEvent>,
    pub created_at: DateTime<Utc>,
}

/// An endpoint to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// An `http://` or `https://` URL of at most 2,000 characters. Its host must not be
    /// (or, at delivery, resolve to) a loopback, link-local, private, shared (CGNAT),
    /// unspecified or multicast address unless the server runs with
    /// `--allow-private-webhooks` (422 `webhook_target_refused`).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = "^[Hh][Tt][Tt][Pp][Ss]?://")
    )]
    pub url: String,
    /// At least one event; repeats are ignored.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub events: Vec<WebhookEvent>,
}

/// An endpoint just registered, with the secret its deliveries are signed with. The secret
/// is never shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt was answered with a 2xx status.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed without an answer (refused target, timeout, connection error).
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event sent to one endpoint, and its attempts so far (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: Id,
    pub webhook_id: Id,
    pub event: WebhookEvent,
    pub import_id: Id,
    pub status: DeliveryStatus,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<WebhookAttempt>,
}

/// The JSON body POSTed to an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    pub event: WebhookEvent,
    /// When the event happened (the same in every attempt of a delivery).
    pub occurred_at: DateTime<Utc>,
    pub import: WebhookImport,
}

/// The import an event is about, as it was when the event happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookImport {
    pub id: Id,
    pub file_name: String,
    pub status: ImportStatus,
    pub counts: ImportCounts,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}
