//! The outer HTTP layer: `/api`, `/healthz`, the built UI from `--dist` with an index.html
//! fallback for client routes, security headers (a CSP that allows the WASM app and exactly
//! the inline scripts of the built index.html), request tracing. Part of `api` (it wraps
//! [`super::routes`]); exposed as [`super::router`], which `crate::app` composes.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The whole HTTP application: the API routes wrapped in the outer layer.
pub fn router(state: AppState) -> Router {
    let (mut app, _) = super::routes(Some(state.clone())).split_for_parts();
    app = app.method_not_allowed_fallback(|| async {
        crate::error::ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This route does not take this HTTP method.",
        )
    });
    let mut inline_hashes = Vec::new();
    if let Some(dist) = state.config.dist_dir.clone() {
        let index = dist.join("index.html");
        inline_hashes = inline_script_hashes(&index);
        app = app.fallback_service(ServeDir::new(&dist).fallback(ServeFile::new(index)));
    }
    // Inside the header layers, so a timeout's answer carries them too.
    app = app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        request_timeout,
    ));
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        inline_hashes
            .iter()
            .map(|h| format!(" '{h}'"))
            .collect::<String>()
    );
    let headers: [(HeaderName, String); 5] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::X_FRAME_OPTIONS, "DENY".into()),
        (header::REFERRER_POLICY, "no-referrer".into()),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin".into(),
        ),
    ];
    // Secure cookies mean the server is reached over HTTPS: browsers should never try
    // plain HTTP again (where the cookie would not go, and a network attacker could answer).
    let hsts = state.config.secure_cookies.then(|| {
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains".to_owned(),
        )
    });
    for (name, value) in headers.into_iter().chain(hsts) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            app = app.layer(SetResponseHeaderLayer::overriding(name, value));
        }
    }
    app.layer(TraceLayer::new_for_http()).with_state(state)
}

/// Bounds the time until a response starts. A streamed body (exports, error reports) is
/// not cut once its headers are out; raw CSV uploads, which read their whole body before
/// answering, are exempt (their size limit bounds them instead).
async fn request_timeout(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.method() == axum::http::Method::POST && req.uri().path() == "/api/imports/csv" {
        return next.run(req).await;
    }
    match tokio::time::timeout(state.config.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => crate::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "The request took too long and was stopped.",
        )
        .into_response(),
    }
}

/// `sha256-...` sources for each inline `<script>` of the built index.html (Trunk writes
/// its loader inline), so the CSP needs no 'unsafe-inline'.
fn inline_script_hashes(index: &Path) -> Vec<String> {
    let Ok(html) = std::fs::read_to_string(index) else {
        return Vec::new();
    };
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &after[body_start + close..];
    }
    hashes
}
