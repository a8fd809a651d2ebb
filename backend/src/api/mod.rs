//! The REST API: one router per feature, merged under `/api` behind the auth guard
//! (except `POST /api/session`).
//!
//! Every route is registered through [`routes`], which builds the axum router and the
//! OpenAPI document from the same `#[utoipa::path]` annotations (`utoipa_axum::routes!`), so a
//! route cannot exist without being documented. Feature modules never call axum's `route`
//! methods directly (a unit test below checks their source).
//!
//! The HTTP layer ends here: [`router`] (`web.rs`: the outer layer of headers, timeouts and
//! the UI's files around [`routes`]) is the whole application, and `crate::app` is the one
//! place outside this module that names it. Nothing outside `api` imports from `api`; the
//! domain (`ingest`, `export`) and `storage` are called from here, never the other way.

mod customers;
mod dry_run;
mod groups;
mod imports;
mod jobs;
mod outcomes;
mod profiles;
mod session;
mod tokens;
mod upload;
mod web;
mod webhooks;

use std::sync::LazyLock;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Json, middleware};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ResponseBuilder, SecurityRequirement};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::require_auth;
use crate::error::{ApiError, ApiResult};

pub use web::router;

/// JSON bodies (batches included) up to this size; raw CSV uploads have their own limit.
pub const JSON_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The security scheme names used in the document.
pub const SESSION_SCHEME: &str = "session_cookie";
pub const CSRF_SCHEME: &str = "csrf_header";
pub const BEARER_SCHEME: &str = "bearer_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Intake",
        description = "Customer CSV import and export for an online store's admin. \
            Errors always have the body `{\"error\": {\"code\", \"message\", \"details\"}}`. \
            Every `/api` route except `POST /api/session` needs a session cookie or a bearer \
            token (401 otherwise); a cookie-authenticated request that changes state must also \
            send the `X-CSRF-Token` header from sign-in (403 otherwise).",
    ),
    components(schemas(shared::api::ErrorBody)),
    tags(
        (name = "session", description = "Sign in, who am I, sign out"),
        (name = "tokens", description = "API tokens for scripts"),
        (name = "groups", description = "Customer groups"),
        (name = "profiles", description = "Mapping profiles: a saved mapping, applied to files with the same headers"),
        (name = "customers", description = "Customers, their list and the CSV export"),
        (name = "imports", description = "Imports: batches, commit, raw CSV upload, cancel, undo"),
        (name = "jobs", description = "The import queue"),
        (name = "webhooks", description = "Completion webhooks: endpoints, signed deliveries, the delivery log"),
        (name = "meta", description = "Health and this document"),
    )
)]
struct ApiDoc;

/// The one table of routes: `/healthz` and everything under `/api`. With `state`, the
/// protected part gets its guard and fallback; without, it is only read for its document.
pub fn routes(state: Option<AppState>) -> OpenApiRouter<AppState> {
    let mut protected = OpenApiRouter::new()
        .merge(session::protected_routes())
        .merge(tokens::routes())
        .merge(groups::routes())
        .merge(profiles::routes())
        .merge(customers::routes())
        .merge(imports::routes())
        .merge(upload::routes())
        .merge(jobs::routes())
        .merge(webhooks::routes())
        .merge(outcomes::routes())
        .merge(dry_run::routes())
        .routes(routes!(openapi_json));
    if let Some(state) = state {
        protected = protected
            .fallback(|| async {
                ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "route_not_found",
                    "There is no such API route.",
                )
            })
            .layer(middleware::from_fn_with_state(state, require_auth));
    }
    let api = OpenApiRouter::new()
        .merge(session::open_routes())
        .merge(protected)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .nest("/api", api)
}

/// The OpenAPI document of every route, with security requirements and the common error
/// responses filled in per operation.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes(None).into_openapi();
    let components = doc
        .components
        .get_or_insert_with(utoipa::openapi::Components::new);
    components.add_security_scheme(
        SESSION_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "The HttpOnly, SameSite=Strict session cookie set by POST /api/session.",
        ))),
    );
    components.add_security_scheme(
        CSRF_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The csrf_token from sign-in; required with the cookie on requests that change state.",
        ))),
    );
    components.add_security_scheme(
        BEARER_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token from POST /api/tokens or `intake token create`.",
                ))
                .build(),
        ),
    );
    let error = |text: &str| {
        ResponseBuilder::new()
            .description(text)
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", item.get.as_mut()),
            ("put", item.put.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("patch", item.patch.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            // Handler names repeat across features (`list`, `create`): qualify them by tag.
            if let (Some(tag), Some(id)) =
                (op.tags.as_ref().and_then(|t| t.first()), &op.operation_id)
            {
                op.operation_id = Some(format!("{tag}_{id}"));
            }
            add_request_errors(op, &error);
            if is_open(method, path) {
                op.security = Some(Vec::new());
                continue;
            }
            let changes_state = method != "get";
            let cookie = if changes_state {
                SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())
                    .add(CSRF_SCHEME, Vec::<String>::new())
            } else {
                SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())
            };
            op.security = Some(vec![
                cookie,
                SecurityRequirement::new(BEARER_SCHEME, Vec::<String>::new()),
            ]);
            let responses = &mut op.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| error("No session and no valid bearer token.").into());
            if changes_state {
                responses.entry("403".into()).or_insert_with(|| {
                    error("A cookie session without a valid X-CSRF-Token header.").into()
                });
            }
        }
    }
    doc
}

/// The refusals the extractors give before a handler runs (`crate::extract`), on every
/// operation that has what they read: a path or query value that does not parse (400), and
/// for a JSON body, one that is not JSON (400), not sent as JSON (415), over the limit (413)
/// or not of the body's shape (422).
fn add_request_errors(
    op: &mut utoipa::openapi::path::Operation,
    error: &dyn Fn(&str) -> utoipa::openapi::Response,
) {
    use utoipa::openapi::path::ParameterIn;
    let params = op.parameters.as_deref().unwrap_or_default();
    let mut refusals: Vec<(&str, &str)> = Vec::new();
    if params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path))
    {
        refusals.push(("400", "A path value that is not valid (`invalid_path`)"));
    }
    if params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
    {
        refusals.push((
            "400",
            "A query value that is not valid (`invalid_query`, or a code naming the parameter)",
        ));
    }
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    if json_body {
        refusals.extend([
            ("400", "The body is not JSON (`malformed_json`)"),
            (
                "413",
                "The body is over the size limit (`payload_too_large`)",
            ),
            (
                "415",
                "The body is not sent as `application/json` (`unsupported_media_type`)",
            ),
            (
                "422",
                "The body is not of the documented shape (`invalid_body`)",
            ),
        ]);
    }
    let responses = &mut op.responses.responses;
    for (status, text) in refusals {
        responses
            .entry(status.into())
            .or_insert_with(|| error(text).into());
    }
}

/// Routes that need no authentication.
pub fn is_open(method: &str, path: &str) -> bool {
    (method.eq_ignore_ascii_case("post") && path == "/api/session") || !path.starts_with("/api/")
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
});

/// The OpenAPI 3 document of this API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
}

/// Liveness and the database engine in use. Open to everyone.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses(
        (status = 200, body = shared::api::Health),
        (status = 500, description = "The database does not answer", body = shared::api::ErrorBody)
    )
)]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<shared::api::Health>> {
    state.storage.ping().await?;
    Ok(Json(shared::api::Health {
        status: "ok".into(),
        database: state.storage.engine().into(),
    }))
}

/// The last page a list may ask for: its offset, `(page - 1) * per_page`, then fits any
/// engine's OFFSET with room to spare (near `i64::MAX` it overflowed).
pub const MAX_PAGE: i64 = 1_000_000;

/// `page` from 1 to [`MAX_PAGE`] and `per_page` up to `max`, with defaults.
pub fn paging(page: Option<i64>, per_page: Option<i64>, max: i64) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!("page must be between 1 and {MAX_PAGE}."),
        ));
    }
    if !(1..=max).contains(&per_page) {
        return Err(ApiError::bad_request(
            "invalid_per_page",
            format!("per_page must be between 1 and {max}."),
        ));
    }
    Ok((page, per_page))
}

#[cfg(test)]
mod tests {
    /// Routes go through `routes!` only, so the router and its document cannot drift apart.
    #[test]
    fn feature_modules_register_routes_only_through_the_documented_table() {
        for (name, src) in [
            ("session", include_str!("session.rs")),
            ("tokens", include_str!("tokens.rs")),
            ("groups", include_str!("groups.rs")),
            ("profiles", include_str!("profiles.rs")),
            ("customers", include_str!("customers.rs")),
            ("imports", include_str!("imports.rs")),
            ("upload", include_str!("upload.rs")),
            ("jobs", include_str!("jobs.rs")),
            ("mod", include_str!("mod.rs")),
            ("web", include_str!("web.rs")),
        ] {
            for needle in [concat!(".route", "("), concat!(".route_service", "(")] {
                assert!(
                    !src.contains(needle),
                    "{name}.rs registers a route with {needle}: use routes!(...) so it is documented"
                );
            }
        }
    }

    /// Nothing outside `api` imports from it: `lib.rs`, whose `app` composes the router, is
    /// the one file outside this module that names it.
    #[test]
    fn nothing_outside_the_api_module_imports_from_it() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src.clone()];
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path == src.join("api") || path == src.join("lib.rs") {
                    continue;
                }
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for needle in ["crate::api", "super::api", "intake::api"] {
                        assert!(
                            !text.contains(needle),
                            "{} names {needle}: only `crate::app` composes the api module",
                            path.display()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 10,
            "only {checked} source files found under {src:?}"
        );
    }

    #[test]
    fn every_operation_has_a_security_requirement_and_an_error_response() {
        let doc = super::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.len() >= 15, "{paths:?}");
        let mut ids = std::collections::HashSet::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(
                    ids.insert(id.clone()),
                    "operationId {id} repeats ({method} {path})"
                );
                assert!(op.get("security").is_some(), "{method} {path}");
                if !super::is_open(method, path) {
                    assert!(op["responses"].get("401").is_some(), "{method} {path}");
                }
            }
        }
    }
}
