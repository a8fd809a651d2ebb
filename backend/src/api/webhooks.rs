//! Completion webhooks: register, list, delete, and each endpoint's delivery log. Delivery
//! itself is `crate::webhooks`'s.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{
    CreatedWebhook, ErrorBody, Id, MAX_WEBHOOK_URL_CHARS, NewWebhook, Webhook, WebhookDelivery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Path};
use crate::webhooks::{sign, target};

/// Deliveries shown per endpoint, the newest.
const LOGGED_DELIVERIES: i64 = 100;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
        .routes(routes!(deliveries))
}

/// Every webhook endpoint (their secrets are never shown again).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", responses((status = 200, body = Vec<Webhook>)))]
async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(state.storage.list_webhooks().await?))
}

/// Register an endpoint for these events. The answer has the secret its deliveries are
/// signed with: shown this once.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    request_body = NewWebhook,
    responses(
        (status = 201, body = CreatedWebhook),
        (status = 422, description = "Not an http(s) URL with a host, or over 2,000 characters (`invalid_webhook_url`); no events (`invalid_webhook_events`); a loopback, link-local, private, shared, unspecified or multicast address without --allow-private-webhooks (`webhook_target_refused`)", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    if req.url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return Err(invalid_url(target::TargetError::NotHttp));
    }
    let url =
        target::check_url(&req.url, state.config.allow_private_webhooks).map_err(|e| match e {
            target::TargetError::Refused(_) => {
                ApiError::unprocessable("webhook_target_refused", e.to_string())
            }
            other => invalid_url(other),
        })?;
    if req.events.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_webhook_events",
            "Choose at least one event.",
        ));
    }
    let secret = sign::new_secret();
    let webhook = state
        .storage
        .create_webhook(url.as_str(), &req.events, &secret)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook { webhook, secret }),
    ))
}

fn invalid_url(e: target::TargetError) -> ApiError {
    ApiError::unprocessable("invalid_webhook_url", e.to_string())
}

/// Delete an endpoint, its pending deliveries and its delivery log.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
async fn remove(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult<StatusCode> {
    state.storage.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's latest 100 deliveries, the newest first, each with every attempt: when,
/// the status code answered or the error, and how long it took.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 404, body = ErrorBody))
)]
async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    Ok(Json(
        state
            .storage
            .webhook_deliveries(id, LOGGED_DELIVERIES)
            .await?,
    ))
}
