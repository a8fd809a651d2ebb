//! Sign in, who am I, sign out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use shared::api::{LoginRequest, SessionResponse};

use crate::AppState;
use crate::auth::{self, CurrentUser, SESSION_COOKIE, SESSION_DAYS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientIp};

pub fn open_routes() -> Router<AppState> {
    Router::new().route("/session", post(login))
}

pub fn protected_routes() -> Router<AppState> {
    Router::new().route("/session", get(current).delete(logout))
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<SessionResponse>)> {
    if let Some(wait) = state.login_limiter.retry_after(ip, &req.username) {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("Too many failed sign-ins. Try again in {wait} seconds."),
        );
        err.retry_after = Some(wait);
        return Err(err);
    }
    let found = state.storage.user_with_hash(&req.username).await?;
    // Verify against a dummy hash for unknown users so timing does not tell who exists.
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = verify_blocking(req.password.clone(), hash).await;
            (Some(user), ok)
        }
        None => {
            verify_blocking(req.password.clone(), state.dummy_hash.clone()).await;
            (None, false)
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.login_limiter.record_failure(ip, &req.username);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The user name or password is wrong.",
        ));
    };
    state.login_limiter.record_success(ip, &req.username);
    let token = auth::random_token(32);
    let csrf = auth::random_token(24);
    let expires = chrono::Utc::now() + chrono::Duration::days(SESSION_DAYS);
    state
        .storage
        .create_session(&auth::token_hash(&token), user.id, &csrf, expires)
        .await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(time_days(SESSION_DAYS))
        .secure(state.config.secure_cookies)
        .build();
    Ok((
        jar.add(cookie),
        Json(SessionResponse {
            user,
            csrf_token: csrf,
        }),
    ))
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

async fn current(Extension(me): Extension<CurrentUser>) -> ApiResult<Json<SessionResponse>> {
    Ok(Json(SessionResponse {
        user: me.user,
        csrf_token: me.csrf_token.unwrap_or_default(),
    }))
}

async fn logout(
    State(state): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    jar: CookieJar,
) -> ApiResult<(StatusCode, CookieJar)> {
    if let Some(hash) = me.session_hash {
        state.storage.delete_session(&hash).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
    ))
}
