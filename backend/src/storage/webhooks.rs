//! Completion webhooks (migration 0016): endpoints, the deliveries queued for them when an
//! import ends (in the transaction that ends it: [`Store::enqueue_webhooks`]), and each
//! delivery's attempts. Deliveries are rows, claimed as jobs are: a restart loses none.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{
    DeliveryStatus, Id, ImportCounts, ImportStatus, Webhook, WebhookAttempt, WebhookDelivery,
    WebhookEvent, WebhookImport, WebhookPayload,
};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::engine::{Engine, Store, Tx};
use super::{Result, StorageError, parse_stored};

/// A delivery a worker has claimed: what to send, where, and with which key.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Id,
    pub event: WebhookEvent,
    pub url: String,
    pub secret: String,
    /// The JSON body, exactly as sent (and signed).
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub owner: String,
}

/// How an attempt ended, and what comes next.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// `Pending` with `retry_at`, or a final status.
    pub status: DeliveryStatus,
    pub retry_at: Option<DateTime<Utc>>,
}

/// Webhook endpoints and their deliveries.
#[async_trait]
pub trait Webhooks: Send + Sync {
    async fn list_webhooks(&self) -> Result<Vec<Webhook>>;
    /// Register an endpoint; `secret` is kept to sign its deliveries.
    async fn create_webhook(
        &self,
        url: &str,
        events: &[WebhookEvent],
        secret: &str,
    ) -> Result<Webhook>;
    /// Remove an endpoint with its deliveries and their log.
    async fn delete_webhook(&self, id: Id) -> Result<()>;
    /// An endpoint's latest `limit` deliveries, the newest first, each with its attempts.
    async fn webhook_deliveries(&self, webhook_id: Id, limit: i64) -> Result<Vec<WebhookDelivery>>;
    /// Claim the next due delivery for `lease_secs`. One that already had `max_attempts`
    /// (its worker died during the last) is marked failed instead, and the claim goes on.
    async fn claim_delivery(
        &self,
        owner: &str,
        lease_secs: i64,
        max_attempts: i64,
    ) -> Result<Option<DueDelivery>>;
    /// Log an attempt and move the delivery on. False, writing nothing, when the lease was
    /// lost (another worker claimed it again).
    async fn record_attempt(&self, delivery: &DueDelivery, attempt: &AttemptRecord)
    -> Result<bool>;
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(e.to_string())
}

fn parse_events(id: Id, text: &str) -> Result<Vec<WebhookEvent>> {
    parse_stored(
        |v| serde_json::from_str(v).ok(),
        "webhook_endpoints",
        id,
        "events",
        text,
    )
}

type DeliveryCells = (Id, Id, String, Id, String, DateTime<Utc>, DateTime<Utc>);

type ImportCells = (
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
);

#[async_trait]
impl<E> Webhooks for Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<(Id, String, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT id, url, events, created_at FROM webhook_endpoints ORDER BY id")
                .fetch_all(&self.read)
                .await?;
        rows.into_iter()
            .map(|(id, url, events, created_at)| {
                Ok(Webhook {
                    id,
                    url,
                    events: parse_events(id, &events)?,
                    created_at,
                })
            })
            .collect()
    }

    async fn create_webhook(
        &self,
        url: &str,
        events: &[WebhookEvent],
        secret: &str,
    ) -> Result<Webhook> {
        let mut events = events.to_vec();
        events.sort();
        events.dedup();
        let text = serde_json::to_string(&events).map_err(corrupt)?;
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        let (id,): (Id,) = sqlx::query_as(
            "INSERT INTO webhook_endpoints (url, events, secret, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(url)
        .bind(&text)
        .bind(secret)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Webhook {
            id,
            url: url.to_owned(),
            events,
            created_at: now,
        })
    }

    async fn delete_webhook(&self, id: Id) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Explicit, not left to the foreign keys' cascade.
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if E::rows_affected(&done) == 0 {
            return Err(StorageError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_deliveries(&self, webhook_id: Id, limit: i64) -> Result<Vec<WebhookDelivery>> {
        let exists: Option<(Id,)> =
            sqlx::query_as("SELECT id FROM webhook_endpoints WHERE id = $1")
                .bind(webhook_id)
                .fetch_optional(&self.read)
                .await?;
        if exists.is_none() {
            return Err(StorageError::NotFound);
        }
        let rows: Vec<DeliveryCells> = sqlx::query_as(
            "SELECT id, endpoint_id, event, import_id, status, created_at, next_attempt_at \
             FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let Some(oldest) = rows.last().map(|r| r.0) else {
            return Ok(Vec::new());
        };
        let attempts: Vec<(Id, DateTime<Utc>, Option<i64>, Option<String>, i64)> = sqlx::query_as(
            "SELECT a.delivery_id, a.attempted_at, a.status_code, a.error, a.duration_ms \
                 FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
                 WHERE d.endpoint_id = $1 AND d.id >= $2 ORDER BY a.id",
        )
        .bind(webhook_id)
        .bind(oldest)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(
                |(id, webhook_id, event, import_id, status, created_at, next)| {
                    let status = parse_stored(
                        DeliveryStatus::parse,
                        "webhook_deliveries",
                        id,
                        "status",
                        &status,
                    )?;
                    Ok(WebhookDelivery {
                        id,
                        webhook_id,
                        event: parse_stored(
                            WebhookEvent::parse,
                            "webhook_deliveries",
                            id,
                            "event",
                            &event,
                        )?,
                        import_id,
                        status,
                        created_at,
                        next_attempt_at: (status == DeliveryStatus::Pending).then_some(next),
                        attempts: attempts
                            .iter()
                            .filter(|a| a.0 == id)
                            .map(|a| WebhookAttempt {
                                attempted_at: a.1,
                                status_code: a.2,
                                error: a.3.clone(),
                                duration_ms: a.4,
                            })
                            .collect(),
                    })
                },
            )
            .collect()
    }

    async fn claim_delivery(
        &self,
        owner: &str,
        lease_secs: i64,
        max_attempts: i64,
    ) -> Result<Option<DueDelivery>> {
        loop {
            let mut tx = self.begin_write().await?;
            let now = Utc::now();
            let due: Option<(Id, String, String, i64, String, String)> = sqlx::query_as(
                "SELECT d.id, d.event, d.payload, d.attempts, e.url, e.secret \
                 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
                 ORDER BY d.next_attempt_at, d.id LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, event, payload, attempts, url, secret)) = due else {
                return Ok(None);
            };
            if attempts >= max_attempts {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'failed', finished_at = $1, \
                     lease_owner = NULL WHERE id = $2 AND status = 'pending'",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                continue;
            }
            // Guarded: on PostgreSQL another worker may have read the same row; only one
            // update finds it still due.
            let done = sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_owner = $1, \
                 next_attempt_at = $2 WHERE id = $3 AND status = 'pending' AND next_attempt_at <= $4",
            )
            .bind(owner)
            .bind(now + chrono::Duration::seconds(lease_secs))
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            if E::rows_affected(&done) != 1 {
                continue;
            }
            let event = parse_stored(
                WebhookEvent::parse,
                "webhook_deliveries",
                id,
                "event",
                &event,
            )?;
            return Ok(Some(DueDelivery {
                id,
                event,
                url,
                secret,
                payload,
                attempts: attempts + 1,
                owner: owner.to_owned(),
            }));
        }
    }

    async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &AttemptRecord,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let next = attempt.retry_at.unwrap_or(attempt.attempted_at);
        // finished_at is set when the status is final (no optional binds: the engines'
        // shared bounds carry none).
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, \
             finished_at = CASE WHEN $1 = 'pending' THEN NULL ELSE $3 END, \
             lease_owner = NULL WHERE id = $4 AND lease_owner = $5 AND status = 'pending'",
        )
        .bind(attempt.status.as_str())
        .bind(next)
        .bind(attempt.attempted_at)
        .bind(delivery.id)
        .bind(&delivery.owner)
        .execute(&mut *tx)
        .await?;
        if E::rows_affected(&done) != 1 {
            return Ok(false);
        }
        let insert = match attempt.status_code {
            Some(code) => sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, error, status_code) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(delivery.id)
            .bind(attempt.attempted_at)
            .bind(attempt.duration_ms)
            .bind(attempt.error.as_deref())
            .bind(code),
            None => sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, error) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(delivery.id)
            .bind(attempt.attempted_at)
            .bind(attempt.duration_ms)
            .bind(attempt.error.as_deref()),
        };
        insert.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl<E> Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    /// Queue `event` about `import_id` for every endpoint that wants it, in `tx` (the
    /// transaction that makes the event true, so the two commit together). The body is
    /// written now, from the import as `tx` sees it.
    pub(super) async fn enqueue_webhooks(
        tx: &mut Tx<E>,
        event: WebhookEvent,
        import_id: Id,
    ) -> Result<()> {
        let endpoints: Vec<(Id, String)> =
            sqlx::query_as("SELECT id, events FROM webhook_endpoints ORDER BY id")
                .fetch_all(&mut **tx)
                .await?;
        let mut wanted = Vec::new();
        for (id, events) in endpoints {
            // A corrupt endpoint (logged by `parse_stored`) gets nothing; it must not stop
            // the import's own change from committing.
            if parse_events(id, &events).is_ok_and(|events| events.contains(&event)) {
                wanted.push(id);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let cells: ImportCells = sqlx::query_as(
            "SELECT file_name, status, received, processed, created, updated, skipped, failed, \
             created_at, started_at, finished_at, error FROM imports WHERE id = $1",
        )
        .bind(import_id)
        .fetch_one(&mut **tx)
        .await?;
        let now = Utc::now();
        let payload = payload(event, now, import_id, cells)?;
        for endpoint in wanted {
            sqlx::query(
                "INSERT INTO webhook_deliveries \
                 (endpoint_id, event, import_id, payload, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
            )
            .bind(endpoint)
            .bind(event.as_str())
            .bind(import_id)
            .bind(&payload)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The JSON body of an event about an import.
fn payload(
    event: WebhookEvent,
    occurred_at: DateTime<Utc>,
    import_id: Id,
    cells: ImportCells,
) -> Result<String> {
    let (file_name, status, received, processed, created, updated, skipped, failed, c, s, f, e) =
        cells;
    let status = parse_stored(ImportStatus::parse, "imports", import_id, "status", &status)?;
    serde_json::to_string(&WebhookPayload {
        event,
        occurred_at,
        import: WebhookImport {
            id: import_id,
            file_name,
            status,
            counts: ImportCounts {
                received,
                processed,
                created,
                updated,
                skipped,
                failed,
            },
            created_at: c,
            started_at: s,
            finished_at: f,
            error: e,
        },
    })
    .map_err(corrupt)
}
