//! Serving the built UI: static files with long caching for hashed assets, `index.html` for
//! every page of the app (deep links), and a real 404 (still rendered by the app) for
//! anything else. Security headers go on every response.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::state::AppState;

/// Content-Security-Policy of every response: only our own origin, wasm allowed to compile.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Fallback handler: a static file if one exists, else the app shell.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let dir = state.config.static_dir.clone();
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") {
        return crate::api::error::ApiError::not_found("API route").into_response();
    }
    if path != "/" && !app::routes::is_page(&path) {
        let file = ServeDir::new(&dir).append_index_html_on_directories(false);
        match file.oneshot(req).await {
            Ok(resp) if resp.status() == StatusCode::OK => {
                return cache_assets(&path, resp.map(Body::new));
            }
            _ => return shell(&dir, StatusCode::NOT_FOUND).await,
        }
    }
    shell(&dir, StatusCode::OK).await
}

async fn shell(dir: &Path, status: StatusCode) -> Response {
    let index: PathBuf = dir.join("index.html");
    match tokio::fs::read(&index).await {
        Ok(bytes) => {
            (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], bytes)
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The UI is not built: {} is missing. Run scripts/run.sh.", index.display()),
        )
            .into_response(),
    }
}

/// Trunk names assets by content hash, so they may be cached for good.
fn cache_assets(path: &str, mut resp: Response) -> Response {
    let hashed = path
        .rsplit('/')
        .next()
        .is_some_and(|f| f.contains('-') && (f.ends_with(".wasm") || f.ends_with(".js") || f.ends_with(".css")));
    if hashed {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    resp
}

/// Middleware adding the security headers.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}
