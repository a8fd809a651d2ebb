//! Completion webhooks: the workers that deliver them. A delivery is a row queued in the
//! transaction that ends an import (`storage::Webhooks`); a worker claims it under a lease,
//! POSTs its body signed ([`sign`]) to an allowed target ([`target`]), logs the attempt,
//! and on anything but a 2xx answer schedules the next attempt with exponential back-off
//! ([`next_step`]) until [`WebhookConfig::max_attempts`]. Nothing is held in memory between
//! attempts, so a restart loses no delivery; a worker killed during an attempt leaves a
//! lease that expires, and the attempt is made again (receivers see at least once).

pub mod sign;
pub mod target;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use shared::api::DeliveryStatus;

use crate::storage::{AttemptRecord, DueDelivery, Storage};

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Deliver to loopback, link-local and private addresses (`--allow-private-webhooks`).
    pub allow_private: bool,
    /// Deliveries in flight at once.
    pub workers: usize,
    /// How often idle workers look for due deliveries.
    pub poll: Duration,
    /// Attempts before a delivery ends `failed`.
    pub max_attempts: i64,
    /// The wait after the first failed attempt; it doubles after each one, up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// The whole request, connecting included.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            workers: 4,
            poll: Duration::from_secs(1),
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookConfig {
    /// A claimed delivery's lease: well past the longest attempt.
    fn lease_secs(&self) -> i64 {
        (self.timeout.as_secs() as i64).saturating_mul(3).max(30)
    }
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NextStep {
    Delivered,
    RetryIn(Duration),
    GiveUp,
}

/// After attempt number `attempts` (1 for the first) answered with `status` (None: no
/// answer): a 2xx delivers; anything else is tried again after `retry_base * 2^(attempts-1)`
/// (at most `retry_cap`) until `max_attempts`.
pub fn next_step(status: Option<u16>, attempts: i64, config: &WebhookConfig) -> NextStep {
    if status.is_some_and(|s| (200..300).contains(&s)) {
        return NextStep::Delivered;
    }
    if attempts >= config.max_attempts {
        return NextStep::GiveUp;
    }
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let wait = config
        .retry_base
        .saturating_mul(1u32 << doublings)
        .min(config.retry_cap);
    NextStep::RetryIn(wait)
}

/// The client every delivery uses: no redirects followed, no proxy, short timeouts, and a
/// resolver that refuses inside addresses unless allowed.
pub fn client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .timeout(config.timeout)
        .user_agent(concat!("Intake-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(target::GuardedResolver {
            allow_private: config.allow_private,
        }))
        .build()
}

/// Runs `config.workers` delivery workers until `shutdown` resolves.
pub async fn run_deliveries(
    storage: Arc<dyn Storage>,
    config: WebhookConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let client = match client(&config) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "the webhook client cannot start; no webhooks are delivered");
            return;
        }
    };
    let mut handles = Vec::new();
    for n in 0..config.workers.max(1) {
        let owner = format!("hook-{}", crate::queue::worker_name(n));
        let (storage, config, client) = (storage.clone(), config.clone(), client.clone());
        let mut shutdown = shutdown.clone();
        handles.push(tokio::spawn(async move {
            loop {
                if *shutdown.borrow() {
                    break;
                }
                let claimed = storage
                    .claim_delivery(&owner, config.lease_secs(), config.max_attempts)
                    .await;
                match claimed {
                    Ok(Some(delivery)) => {
                        deliver(storage.as_ref(), &config, &client, &delivery).await;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "claiming a webhook delivery failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(config.poll) => {}
                    // A dropped sender means stop too (never a busy loop).
                    changed = shutdown.changed() => if changed.is_err() { break },
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
}

/// Make one attempt at a claimed delivery and record it.
pub async fn deliver(
    storage: &dyn Storage,
    config: &WebhookConfig,
    client: &reqwest::Client,
    delivery: &DueDelivery,
) {
    let attempted_at = Utc::now();
    let started = Instant::now();
    let answer = post(config, client, delivery).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match &answer {
        Ok(code) => (Some(*code), None),
        Err(e) => (None, Some(e.clone())),
    };
    let (status, retry_at) = match next_step(status_code, delivery.attempts, config) {
        NextStep::Delivered => (DeliveryStatus::Delivered, None),
        NextStep::GiveUp => (DeliveryStatus::Failed, None),
        NextStep::RetryIn(wait) => (
            DeliveryStatus::Pending,
            Some(Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)),
        ),
    };
    tracing::info!(
        delivery = delivery.id,
        event = delivery.event.as_str(),
        attempt = delivery.attempts,
        status_code,
        error = error.as_deref(),
        outcome = status.as_str(),
        "webhook attempt"
    );
    let record = AttemptRecord {
        attempted_at,
        status_code: status_code.map(i64::from),
        error,
        duration_ms,
        status,
        retry_at,
    };
    match storage.record_attempt(delivery, &record).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(delivery = delivery.id, "webhook lease lost"),
        // The lease expires and the delivery is attempted again.
        Err(e) => tracing::error!(error = %e, "recording a webhook attempt"),
    }
}

/// POST the body; the status the endpoint answered, or why there was no answer.
async fn post(
    config: &WebhookConfig,
    client: &reqwest::Client,
    delivery: &DueDelivery,
) -> Result<u16, String> {
    // Checked again: the allowed addresses may have changed since it was registered, and
    // an address written in the URL is connected to without the resolver.
    let url = target::check_url(&delivery.url, config.allow_private).map_err(|e| e.to_string())?;
    let t = Utc::now().timestamp();
    let body = delivery.payload.clone().into_bytes();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            sign::SIGNATURE_HEADER,
            sign::signature(&delivery.secret, t, &body),
        )
        .header("Intake-Event", delivery.event.as_str())
        .header("Intake-Delivery", delivery.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| error_text(&e))?;
    Ok(response.status().as_u16())
}

/// A client error and its causes on one line (the resolver's refusal is a cause).
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WebhookConfig {
        WebhookConfig {
            max_attempts: 5,
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(60),
            ..WebhookConfig::default()
        }
    }

    #[test]
    fn a_2xx_answer_delivers() {
        for s in [200, 201, 204, 299] {
            assert_eq!(next_step(Some(s), 1, &config()), NextStep::Delivered);
            assert_eq!(next_step(Some(s), 5, &config()), NextStep::Delivered);
        }
    }

    #[test]
    fn other_answers_back_off_exponentially_up_to_the_cap_then_give_up() {
        let c = config();
        let secs = |n| next_step(Some(500), n, &c);
        assert_eq!(secs(1), NextStep::RetryIn(Duration::from_secs(10)));
        assert_eq!(secs(2), NextStep::RetryIn(Duration::from_secs(20)));
        assert_eq!(secs(3), NextStep::RetryIn(Duration::from_secs(40)));
        assert_eq!(secs(4), NextStep::RetryIn(Duration::from_secs(60)));
        assert_eq!(secs(5), NextStep::GiveUp);
        for s in [None, Some(301), Some(404), Some(100)] {
            assert_eq!(
                next_step(s, 1, &c),
                NextStep::RetryIn(Duration::from_secs(10))
            );
        }
        let huge = WebhookConfig {
            max_attempts: i64::MAX,
            ..c
        };
        assert_eq!(
            next_step(None, 1_000, &huge),
            NextStep::RetryIn(Duration::from_secs(60))
        );
    }
}
