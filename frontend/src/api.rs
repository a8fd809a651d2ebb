//! The HTTP client: same-origin `/api`, `shared::api` types in and out, contract errors
//! turned into [`ApiFailure`] so pages can show them.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::api::FieldError;

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

    /// The message with each field error appended, for forms.
    pub fn with_field_messages(&self) -> String {
        let fields: Vec<&str> = self
            .field_errors
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        if fields.is_empty() {
            self.message.clone()
        } else {
            format!("{} {}", self.message, fields.join(" "))
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

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
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
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
    csrf: &str,
) -> Result<T, ApiFailure> {
    let builder = match method {
        "POST" => Request::post(path),
        "PUT" => Request::put(path),
        "PATCH" => Request::patch(path),
        _ => Request::delete(path),
    };
    let res = with_csrf(builder, csrf)
        .json(body)
        .map_err(ApiFailure::network)?
        .send()
        .await
        .map_err(ApiFailure::network)?;
    json(res).await
}

/// A state-changing call without a body or answer (204).
pub async fn send_empty(method: &str, path: &str, csrf: &str) -> Result<(), ApiFailure> {
    let builder = match method {
        "POST" => Request::post(path),
        _ => Request::delete(path),
    };
    let res = with_csrf(builder, csrf)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    if res.ok() {
        Ok(())
    } else {
        Err(failure(res).await)
    }
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
