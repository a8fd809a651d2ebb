//! Sign in, who am I, sign out.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use shared::api::{ErrorBody, LoginRequest, SessionResponse};
use tokio::sync::OwnedSemaphorePermit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{self, CurrentUser, Refusal, SESSION_COOKIE, SESSION_DAYS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientIp};

pub fn open_routes() -> OpenApiRouter<AppState> {
    // A sign-in is two short strings: a small body limit keeps huge names out at the edge.
    OpenApiRouter::new()
        .routes(routes!(login))
        .layer(DefaultBodyLimit::max(LOGIN_BODY_LIMIT))
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
        (status = 413, description = "The request body is over 64 KiB (`payload_too_large`)", body = ErrorBody),
        (status = 422, description = "A user name over 255 characters (`invalid_username`)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this user from this address, from this address, or (slowed down) for this user from addresses it never signed in from (`too_many_attempts`)", body = ErrorBody,
         headers(("retry-after" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many sign-ins at once (`busy`)", body = ErrorBody,
         headers(("retry-after" = u64, description = "Seconds to wait"))),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<SessionResponse>)> {
    // No account has a longer name: refused before it costs a hash or a limiter entry.
    if req.username.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::unprocessable(
            "invalid_username",
            format!("A user name has at most {MAX_USERNAME_CHARS} characters."),
        ));
    }
    let limiter = &state.login_limiter;
    let shown = LoggedName(&req.username);
    let refuse = |refusal: Refusal| {
        tracing::warn!(address = ?ip, user = %shown, reason = refusal.reason(), "sign-in refused");
        refused(refusal)
    };
    let attempt = limiter.reserve(ip, &req.username).map_err(refuse)?;
    let slot = limiter.hash_slot().await.map_err(refuse)?;
    // No user name holds NUL, and PostgreSQL refuses it in a parameter: no such user.
    let found = match req.username.contains('\0') {
        true => None,
        false => state.storage.user_with_hash(&req.username).await?,
    };
    // Verify against a dummy hash for unknown users so timing does not tell who exists.
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = verify_blocking(req.password.clone(), hash, slot).await;
            (Some(user), ok)
        }
        None => {
            verify_blocking(req.password.clone(), state.dummy_hash.clone(), slot).await;
            (None, false)
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        tracing::warn!(address = ?ip, user = %shown, "sign-in failed: wrong user name or password");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The user name or password is wrong.",
        ));
    };
    limiter.succeeded(attempt);
    tracing::info!(address = ?ip, user = %shown, "signed in");
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

/// Largest sign-in request body.
const LOGIN_BODY_LIMIT: usize = 64 * 1024;

/// Longest user name a sign-in may send: no account has a longer one.
const MAX_USERNAME_CHARS: usize = crate::rules::MAX_USERNAME_CHARS;

/// A submitted user name as the log shows it: at most 64 characters, control characters
/// escaped (it is the caller's text).
struct LoggedName<'a>(&'a str);

impl std::fmt::Display for LoggedName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut: String = self.0.chars().take(64).collect();
        write!(f, "{}", cut.escape_debug())
    }
}

fn refused(refusal: Refusal) -> ApiError {
    let wait = refusal.retry_after();
    let mut err = match refusal {
        Refusal::Busy { .. } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("Too many sign-ins at once. Try again in {wait} seconds."),
        ),
        _ => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("Too many failed sign-ins. Try again in {wait} seconds."),
        ),
    };
    err.retry_after = Some(wait);
    err
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// Argon2id on the blocking pool, holding its slot until the hash is done (even if the
/// caller has gone away meanwhile).
async fn verify_blocking(password: String, hash: String, slot: OwnedSemaphorePermit) -> bool {
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        auth::verify_password(&password, &hash)
    })
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
