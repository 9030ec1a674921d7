//! Typed REST client for the browser: JSON in and out, the CSRF header on every write, and
//! the API's error body decoded into [`ClientError`].

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;

use crate::model::{ErrorBody, ErrorCode, ErrorResponse};

/// Why a request did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// The server answered with an error body.
    Api { status: u16, error: ErrorBody },
    /// The request never completed or the answer was not understood.
    Network(String),
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::Network(_) => None,
        }
    }

    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Api { error, .. } if error.code == ErrorCode::Forbidden)
    }

    /// The message for one field of a validation error.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Api { error, .. } => error.details.iter().find(|d| d.field == name).map(|d| d.message.clone()),
            Self::Network(_) => None,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api { error, .. } => f.write_str(&error.message),
            Self::Network(message) => write!(f, "network error: {message}"),
        }
    }
}

pub type ApiResult<T> = Result<T, ClientError>;

fn csrf_token() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let cookies = document.dyn_into::<web_sys::HtmlDocument>().ok()?.cookie().ok()?;
    cookies.split("; ").find_map(|kv| kv.strip_prefix("cubist_csrf=").map(str::to_owned))
}

fn with_csrf(builder: RequestBuilder) -> RequestBuilder {
    match csrf_token() {
        Some(token) => builder.header("X-CSRF-Token", &token),
        None => builder,
    }
}

async fn decode<T: DeserializeOwned>(resp: Response) -> ApiResult<T> {
    if resp.ok() {
        resp.json::<T>().await.map_err(|e| ClientError::Network(e.to_string()))
    } else {
        let status = resp.status();
        let error = match resp.json::<ErrorResponse>().await {
            Ok(body) => body.error,
            Err(_) => ErrorBody {
                code: ErrorCode::Internal,
                message: format!("HTTP {status} {}", resp.status_text()),
                details: Vec::new(),
            },
        };
        Err(ClientError::Api { status, error })
    }
}

async fn send(builder: RequestBuilder, body: Option<&impl Serialize>) -> ApiResult<Response> {
    let request = match body {
        Some(body) => builder.json(body).map_err(|e| ClientError::Network(e.to_string()))?,
        None => builder.build().map_err(|e| ClientError::Network(e.to_string()))?,
    };
    request.send().await.map_err(|e| ClientError::Network(e.to_string()))
}

pub async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    decode(send(Request::get(path), None::<&()>).await?).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    decode(send(with_csrf(Request::post(path)), Some(body)).await?).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    decode(send(with_csrf(Request::patch(path)), Some(body)).await?).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    decode(send(with_csrf(Request::put(path)), Some(body)).await?).await
}

/// A write whose success has no body (204).
pub async fn post_empty(path: &str) -> ApiResult<()> {
    expect_empty(send(with_csrf(Request::post(path)), None::<&()>).await?).await
}

pub async fn delete(path: &str) -> ApiResult<()> {
    expect_empty(send(with_csrf(Request::delete(path)), None::<&()>).await?).await
}

async fn expect_empty(resp: Response) -> ApiResult<()> {
    if resp.ok() { Ok(()) } else { decode::<serde_json::Value>(resp).await.map(|_| ()) }
}

/// A plain-text answer (logs).
pub async fn get_text(path: &str) -> ApiResult<String> {
    let resp = send(Request::get(path), None::<&()>).await?;
    if resp.ok() {
        resp.text().await.map_err(|e| ClientError::Network(e.to_string()))
    } else {
        decode::<String>(resp).await
    }
}
