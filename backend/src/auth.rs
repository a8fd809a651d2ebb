//! Accounts: Argon2id passwords, session cookies with a CSRF token, bearer API tokens (stored
//! hashed), the sign-in limiter ([`limiter`]), and the middleware that guards every `/api`
//! route.

mod limiter;
mod token_use;

pub use limiter::{Attempt, LoginLimiter, Policy as LoginPolicy, Refusal};
pub use token_use::TokenUses;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::api::User;

use crate::AppState;
use crate::error::ApiError;
use crate::storage::TokenUser;

pub const SESSION_COOKIE: &str = "intake_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_DAYS: i64 = 7;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random secret, URL-safe.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Session and API tokens are high-entropy, so a fast hash is enough to keep them unusable
/// if the database leaks.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new API token's secret (shown once) and the hash stored for it; the API and
/// `intake token create` both mint them here.
pub fn mint_token() -> (String, String) {
    let secret = format!("intk_{}", random_token(32));
    let hash = token_hash(&secret);
    (secret, hash)
}

/// Compares a secret the caller sent with ours in time that does not depend on where they
/// differ (a byte-by-byte `==` stops at the first difference, which timing can reveal).
pub fn same_secret(sent: &str, ours: &str) -> bool {
    use subtle::ConstantTimeEq;
    sent.len() == ours.len() && bool::from(sent.as_bytes().ct_eq(ours.as_bytes()))
}

/// Who made a request, and how.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// The CSRF token of a cookie session; None for bearer tokens.
    pub csrf_token: Option<String>,
    /// The session token hash, to sign out.
    pub session_hash: Option<String>,
}

impl CurrentUser {
    /// Who started an import, as Queue jobs shows it: the user name, marked when the
    /// request came with an API token.
    pub fn starter(&self) -> String {
        match self.csrf_token {
            Some(_) => self.user.username.clone(),
            None => format!("{} (API token)", self.user.username),
        }
    }
}

/// Guards every protected `/api` route: a bearer token or a session cookie, and for
/// state-changing cookie requests the CSRF header.
pub async fn require_auth(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    match authenticate(&state, &jar, &method, req.headers()).await {
        Ok(current) => {
            req.extensions_mut().insert(current);
            next.run(req).await
        }
        Err(e) => {
            let (parts, body) = req.into_parts();
            crate::error::refuse_draining(e, &parts.headers, body.into_data_stream()).await
        }
    }
}

/// Who sends this request, or why it is refused.
async fn authenticate(
    state: &AppState,
    jar: &CookieJar,
    method: &Method,
    headers: &axum::http::HeaderMap,
) -> Result<CurrentUser, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let current = if let Some(token) = bearer {
        let found = state
            .storage
            .token_user(&token_hash(&token))
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        record_token_use(state, &found);
        CurrentUser {
            user: found.user,
            csrf_token: None,
            session_hash: None,
        }
    } else if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let hash = token_hash(cookie.value());
        let (user, csrf) = state
            .storage
            .session(&hash)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|sent| same_secret(sent, &csrf)) {
                return Err(ApiError::forbidden(
                    "csrf_token_invalid",
                    "This request changes data: send the X-CSRF-Token header from sign-in.",
                ));
            }
        }
        CurrentUser {
            user,
            csrf_token: Some(csrf),
            session_hash: Some(hash),
        }
    } else {
        return Err(ApiError::unauthorized());
    };
    Ok(current)
}

/// Note that a token was used (see [`token_use`]): at most once a minute per token, in the
/// background, a failure only logged.
fn record_token_use(state: &AppState, found: &TokenUser) {
    let now = chrono::Utc::now();
    if !token_use::due(found.last_used_at, now)
        || !state
            .token_uses
            .claim(found.token_id, std::time::Instant::now())
    {
        return;
    }
    let storage = state.storage.clone();
    let token_id = found.token_id;
    tokio::spawn(async move {
        let unless_since = token_use::unless_since(now);
        if let Err(e) = storage.record_token_use(token_id, now, unless_since).await {
            tracing::warn!(token_id, error = %e, "recording an API token's last use failed");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        let ours = random_token(24);
        assert!(same_secret(&ours.clone(), &ours));
        assert!(!same_secret("", &ours));
        assert!(!same_secret(&ours[..ours.len() - 1], &ours));
        let mut other = ours.clone().into_bytes();
        other[0] ^= 1;
        assert!(!same_secret(std::str::from_utf8(&other).unwrap(), &ours));
    }
}
