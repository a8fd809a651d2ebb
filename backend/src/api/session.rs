//! Sign in, who am I, sign out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use shared::api::{ErrorBody, LoginRequest, SessionResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{self, CurrentUser, SESSION_COOKIE, SESSION_DAYS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientIp};

pub fn open_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login))
}

pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current, logout))
}

/// Sign in: sets the session cookie and returns the CSRF token for state-changing requests.
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, body = SessionResponse,
         headers(("set-cookie" = String, description = "intake_session: HttpOnly, SameSite=Strict"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Wrong user name or password (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins (`too_many_attempts`)", body = ErrorBody,
         headers(("retry-after" = u64, description = "Seconds to wait"))),
    )
)]
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

/// The signed-in user (and the session's CSRF token; empty for bearer tokens).
#[utoipa::path(get, path = "/session", tag = "session", responses((status = 200, body = SessionResponse)))]
async fn current(Extension(me): Extension<CurrentUser>) -> ApiResult<Json<SessionResponse>> {
    Ok(Json(SessionResponse {
        user: me.user,
        csrf_token: me.csrf_token.unwrap_or_default(),
    }))
}

/// Sign out: the session ends and its cookie is removed.
#[utoipa::path(delete, path = "/session", tag = "session", responses((status = 204, description = "Signed out")))]
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
