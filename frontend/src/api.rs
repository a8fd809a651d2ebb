//! The HTTP client: same-origin `/api`, `shared::api` types in and out, contract errors
//! turned into [`ApiFailure`] so pages can show them. Each endpoint is a function that names
//! its method, path and types; pages and the worker call those, never a path string.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use shared::api::{
    BatchRequest, BatchResponse, CommitRequest, CreateImport, Customer, CustomerInput, FieldError,
    Group, GroupName, Id, Import, Job, JobList, LoginRequest, NewProfile, Page, Profile,
    ProfileRename, SessionResponse,
};

/// An API call that did not succeed: the status (0 when the network failed) and the
/// server's message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The field errors of a validation error (its `details`: `{"errors": [...]}`).
    pub field_errors: Vec<FieldError>,
}

/// An error body (`shared::api::ErrorBody`) as the pages use it: of its `details`, only the
/// field errors are read (a `serde_json::Value` of the whole made the parse worker's wasm,
/// which shares this client, about 1.5 KB gzip larger).
#[derive(Deserialize)]
struct FailureBody {
    error: FailureInfo,
}

#[derive(Deserialize)]
struct FailureInfo {
    code: String,
    message: String,
    #[serde(default)]
    details: Option<FailureDetails>,
}

#[derive(Deserialize)]
struct FailureDetails {
    #[serde(default)]
    errors: Vec<FieldError>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiFailure {
    fn network(e: impl std::fmt::Display) -> Self {
        Self {
            status: 0,
            code: "network".into(),
            message: format!("The server could not be reached ({e})."),
            field_errors: Vec::new(),
        }
    }

    /// The message with each field error appended (in `lang`), for forms. In Bulgarian the
    /// field errors alone: the server's own sentence is English.
    pub fn with_field_messages(&self, lang: shared::messages::Lang) -> String {
        let fields: Vec<String> = self
            .field_errors
            .iter()
            .map(|e| shared::messages::render(e, lang))
            .collect();
        match (fields.is_empty(), lang) {
            (true, _) => self.message.clone(),
            (false, shared::messages::Lang::Bg) => fields.join(" "),
            (false, shared::messages::Lang::En) => format!("{} {}", self.message, fields.join(" ")),
        }
    }

    /// Worth retrying: the network or a server-side failure, not a refusal.
    pub fn is_transient(&self) -> bool {
        self.status == 0 || self.status >= 500 || self.status == 429
    }
}

async fn failure(res: Response) -> ApiFailure {
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    ApiFailure::from_error_body(status, &body)
}

impl ApiFailure {
    /// The failure an error response (`status`, `body`) describes; a body that is not the
    /// contract's error gives a message naming the status.
    pub fn from_error_body(status: u16, body: &str) -> ApiFailure {
        match serde_json::from_str::<FailureBody>(body) {
            Ok(body) => ApiFailure {
                status,
                code: body.error.code,
                message: body.error.message,
                field_errors: body.error.details.map(|d| d.errors).unwrap_or_default(),
            },
            Err(_) => ApiFailure {
                status,
                code: "http_error".into(),
                message: format!("The server answered {status}."),
                field_errors: Vec::new(),
            },
        }
    }
}

async fn json<T: DeserializeOwned>(res: Response) -> Result<T, ApiFailure> {
    if !res.ok() {
        return Err(failure(res).await);
    }
    res.json::<T>().await.map_err(|e| ApiFailure {
        status: res.status(),
        code: "bad_response".into(),
        message: format!("The server's answer could not be read: {e}"),
        field_errors: Vec::new(),
    })
}

/// The HTTP methods the API's state-changing calls use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn request(self, path: &str) -> RequestBuilder {
        match self {
            Method::Post => Request::post(path),
            Method::Put => Request::put(path),
            Method::Patch => Request::patch(path),
            Method::Delete => Request::delete(path),
        }
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let res = Request::get(path)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    json(res).await
}

fn with_csrf(builder: RequestBuilder, csrf: &str) -> RequestBuilder {
    builder.header("X-CSRF-Token", csrf)
}

/// A state-changing call with a JSON body.
async fn send<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
    csrf: &str,
) -> Result<T, ApiFailure> {
    let res = with_csrf(method.request(path), csrf)
        .json(body)
        .map_err(ApiFailure::network)?
        .send()
        .await
        .map_err(ApiFailure::network)?;
    json(res).await
}

/// A state-changing call without a body or answer (204).
async fn send_empty(method: Method, path: &str, csrf: &str) -> Result<(), ApiFailure> {
    let res = with_csrf(method.request(path), csrf)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    if res.ok() {
        Ok(())
    } else {
        Err(failure(res).await)
    }
}

/// An empty JSON object, the body of the calls that take none (cancel, undo).
fn no_body() -> serde_json::Value {
    serde_json::json!({})
}

// The endpoints, one function each: its method, its path and its types in one place.

/// `GET /api/session`: who is signed in.
pub async fn session() -> Result<SessionResponse, ApiFailure> {
    get("/api/session").await
}

/// `POST /api/session`: sign in (no CSRF token yet).
pub async fn sign_in(request: &LoginRequest) -> Result<SessionResponse, ApiFailure> {
    send(Method::Post, "/api/session", request, "").await
}

/// `DELETE /api/session`: sign out.
pub async fn sign_out(csrf: &str) -> Result<(), ApiFailure> {
    send_empty(Method::Delete, "/api/session", csrf).await
}

/// `GET /api/groups`.
pub async fn groups() -> Result<Vec<Group>, ApiFailure> {
    get("/api/groups").await
}

/// `POST /api/groups`.
pub async fn create_group(name: &GroupName, csrf: &str) -> Result<Group, ApiFailure> {
    send(Method::Post, "/api/groups", name, csrf).await
}

/// `PATCH /api/groups/{id}`: rename.
pub async fn rename_group(id: Id, name: &GroupName, csrf: &str) -> Result<Group, ApiFailure> {
    send(Method::Patch, &format!("/api/groups/{id}"), name, csrf).await
}

/// `DELETE /api/groups/{id}`, moving its customers to `reassign_to` first when given.
pub async fn delete_group(id: Id, reassign_to: Option<&str>, csrf: &str) -> Result<(), ApiFailure> {
    let path = match reassign_to {
        Some(to) => format!("/api/groups/{id}?reassign_to={to}"),
        None => format!("/api/groups/{id}"),
    };
    send_empty(Method::Delete, &path, csrf).await
}

/// `GET /api/profiles`: saved mapping profiles, the most recent first.
pub async fn profiles() -> Result<Vec<Profile>, ApiFailure> {
    get("/api/profiles").await
}

/// `POST /api/profiles`.
pub async fn create_profile(profile: &NewProfile, csrf: &str) -> Result<Profile, ApiFailure> {
    send(Method::Post, "/api/profiles", profile, csrf).await
}

/// `PATCH /api/profiles/{id}`: rename.
pub async fn rename_profile(
    id: Id,
    name: &ProfileRename,
    csrf: &str,
) -> Result<Profile, ApiFailure> {
    send(Method::Patch, &format!("/api/profiles/{id}"), name, csrf).await
}

/// `DELETE /api/profiles/{id}`.
pub async fn delete_profile(id: Id, csrf: &str) -> Result<(), ApiFailure> {
    send_empty(Method::Delete, &format!("/api/profiles/{id}"), csrf).await
}

/// `GET /api/webhooks`.
pub async fn webhooks() -> Result<Vec<shared::api::Webhook>, ApiFailure> {
    get("/api/webhooks").await
}

/// `POST /api/webhooks`: the answer has the secret, shown once.
pub async fn create_webhook(
    hook: &shared::api::NewWebhook,
    csrf: &str,
) -> Result<shared::api::CreatedWebhook, ApiFailure> {
    send(Method::Post, "/api/webhooks", hook, csrf).await
}

/// `DELETE /api/webhooks/{id}`.
pub async fn delete_webhook(id: Id, csrf: &str) -> Result<(), ApiFailure> {
    send_empty(Method::Delete, &format!("/api/webhooks/{id}"), csrf).await
}

/// `GET /api/webhooks/{id}/deliveries`: the latest deliveries with their attempts.
pub async fn webhook_deliveries(id: Id) -> Result<Vec<shared::api::WebhookDelivery>, ApiFailure> {
    get(&format!("/api/webhooks/{id}/deliveries")).await
}

/// `GET /api/customers?{query}` (the query string the customers page builds).
pub async fn customers(query: &str) -> Result<Page<Customer>, ApiFailure> {
    get(&format!("/api/customers?{query}")).await
}

/// The link of `GET /api/customers/export.csv?{query}` (a download, not a call).
pub fn customers_export_url(query: &str) -> String {
    format!("/api/customers/export.csv?{query}")
}

/// `GET /api/customers/{id}`.
pub async fn customer(id: Id) -> Result<Customer, ApiFailure> {
    get(&format!("/api/customers/{id}")).await
}

/// `POST /api/customers`.
pub async fn create_customer(input: &CustomerInput, csrf: &str) -> Result<Customer, ApiFailure> {
    send(Method::Post, "/api/customers", input, csrf).await
}

/// `PATCH /api/customers/{id}`.
pub async fn update_customer(
    id: Id,
    input: &CustomerInput,
    csrf: &str,
) -> Result<Customer, ApiFailure> {
    send(Method::Patch, &format!("/api/customers/{id}"), input, csrf).await
}

/// `DELETE /api/customers/{id}`.
pub async fn delete_customer(id: Id, csrf: &str) -> Result<(), ApiFailure> {
    send_empty(Method::Delete, &format!("/api/customers/{id}"), csrf).await
}

/// `GET /api/jobs?per_page={per_page}`.
pub async fn jobs(per_page: u32) -> Result<JobList, ApiFailure> {
    get(&format!("/api/jobs?per_page={per_page}")).await
}

/// `POST /api/imports`.
pub async fn create_import(request: &CreateImport, csrf: &str) -> Result<Import, ApiFailure> {
    send(Method::Post, "/api/imports", request, csrf).await
}

/// `GET /api/imports/{id}`.
pub async fn import(id: Id) -> Result<Import, ApiFailure> {
    get(&format!("/api/imports/{id}")).await
}

/// `PUT /api/imports/{id}/batches/{seq}`.
pub async fn put_batch(
    id: Id,
    seq: u32,
    batch: &BatchRequest,
    csrf: &str,
) -> Result<BatchResponse, ApiFailure> {
    send(
        Method::Put,
        &format!("/api/imports/{id}/batches/{seq}"),
        batch,
        csrf,
    )
    .await
}

/// `POST /api/imports/{id}/commit` (its answer is not read: the page follows the import).
pub async fn commit_import(id: Id, commit: &CommitRequest, csrf: &str) -> Result<(), ApiFailure> {
    send::<_, IgnoredAny>(
        Method::Post,
        &format!("/api/imports/{id}/commit"),
        commit,
        csrf,
    )
    .await
    .map(|_| ())
}

/// `POST /api/imports/{id}/dry-run`: the dry run's job.
pub async fn dry_run(id: Id, csrf: &str) -> Result<Job, ApiFailure> {
    send(
        Method::Post,
        &format!("/api/imports/{id}/dry-run"),
        &no_body(),
        csrf,
    )
    .await
}

/// `GET /api/jobs/{id}`.
pub async fn job(id: Id) -> Result<Job, ApiFailure> {
    get(&format!("/api/jobs/{id}")).await
}

/// `POST /api/imports/{id}/cancel` (its answer is not read).
pub async fn cancel_import(id: Id, csrf: &str) -> Result<(), ApiFailure> {
    send::<_, IgnoredAny>(
        Method::Post,
        &format!("/api/imports/{id}/cancel"),
        &no_body(),
        csrf,
    )
    .await
    .map(|_| ())
}

/// `POST /api/imports/{id}/undo` (its answer is not read).
pub async fn undo_import(id: Id, csrf: &str) -> Result<(), ApiFailure> {
    send::<_, IgnoredAny>(
        Method::Post,
        &format!("/api/imports/{id}/undo"),
        &no_body(),
        csrf,
    )
    .await
    .map(|_| ())
}

/// The link of `GET /api/imports/{id}/outcomes.csv` (a download): what the import did to
/// each row.
pub fn import_outcomes_url(id: Id) -> String {
    format!("/api/imports/{id}/outcomes.csv")
}

/// The link of `GET /api/imports/{id}/errors.csv` (a download).
pub fn import_errors_url(id: Id) -> String {
    format!("/api/imports/{id}/errors.csv")
}

/// Encode a query string value.
pub fn encode(v: &str) -> String {
    String::from(js_sys::encode_uri_component(v))
}

/// Wait without blocking, in the page or in the worker (both have a global `setTimeout`).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = js_sys::Reflect::get(&global, &"setTimeout".into()) {
            let set_timeout: js_sys::Function = set_timeout.into();
            let _ = set_timeout.call2(&global, &resolve, &ms.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
