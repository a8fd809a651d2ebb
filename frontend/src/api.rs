//! The HTTP client: same-origin `/api`, `shared::api` types in and out, contract errors
//! turned into [`ApiFailure`] so pages can show them.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::ErrorBody;

/// An API call that did not succeed: the status (0 when the network failed) and the
/// server's message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The error's `details`; for validation errors `{"errors": [{field, code, message}]}`.
    pub details: Option<serde_json::Value>,
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
            details: None,
        }
    }

    /// The message with each field error appended, for forms.
    pub fn with_field_messages(&self) -> String {
        let fields: Vec<String> = self
            .details
            .as_ref()
            .and_then(|d| d.get("errors"))
            .and_then(|e| serde_json::from_value::<Vec<shared::api::FieldError>>(e.clone()).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.message)
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
    match res.json::<ErrorBody>().await {
        Ok(body) => ApiFailure {
            status,
            code: body.error.code,
            message: body.error.message,
            details: body.error.details,
        },
        Err(_) => ApiFailure {
            status,
            code: "http_error".into(),
            message: format!("The server answered {status}."),
            details: None,
        },
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
        details: None,
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
