//! Serving the built UI: static files with long caching for hashed assets, `index.html` for
//! every page of the app (deep links), and a real 404 (still rendered by the app) for
//! anything else. Security headers go on every response; the Content-Security-Policy
//! allows exactly the inline start-up script Trunk writes into `index.html` (by hash).

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::state::AppState;

/// The built UI, read once at start.
pub struct WebAssets {
    pub dir: PathBuf,
    /// `index.html`, if the UI is built.
    index: Option<Vec<u8>>,
    csp: HeaderValue,
    /// Allowed portals may frame the UI (then `X-Frame-Options` is left out).
    framable: bool,
}

impl WebAssets {
    pub fn load(dir: PathBuf, embed: &crate::embedding::EmbedConfig) -> Arc<Self> {
        let index = std::fs::read(dir.join("index.html")).ok();
        let html = index.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        let hashes: Vec<String> = inline_scripts(&html)
            .into_iter()
            .map(|script| {
                format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script)))
            })
            .collect();
        let csp = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: https: http:; connect-src 'self'; {}; base-uri 'self'; form-action 'self'",
            hashes.join(" "),
            embed.csp_directives()
        );
        let csp = HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        let framable = !embed.frame_ancestors.is_empty();
        Arc::new(Self { dir, index, csp, framable })
    }
}

/// The bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let Some(close) = after.find("</script>") else { break };
        if !after[..open_end].contains("src=") && close > open_end {
            found.push(&after[open_end + 1..close]);
        }
        rest = &after[close + "</script>".len()..];
    }
    found
}

/// Fallback handler: a static file if one exists, else the app shell.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let web = state.web.clone();
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") {
        return crate::api::error::ApiError::not_found("API route").into_response();
    }
    if path != "/" && !app::routes::is_page(&path) {
        let file =
            ServeDir::new(&web.dir).append_index_html_on_directories(false).precompressed_br().precompressed_gzip();
        match file.oneshot(req).await {
            Ok(resp) if resp.status() == StatusCode::OK => {
                return cache_assets(&path, resp.map(Body::new));
            }
            _ => return shell(&web, StatusCode::NOT_FOUND),
        }
    }
    shell(&web, StatusCode::OK)
}

fn shell(web: &WebAssets, status: StatusCode) -> Response {
    match &web.index {
        Some(bytes) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
            bytes.clone(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The UI is not built: {} is missing. Run scripts/run.sh.", web.dir.join("index.html").display()),
        )
            .into_response(),
    }
}

/// Trunk names assets by content hash, so they may be cached for good.
fn cache_assets(path: &str, mut resp: Response) -> Response {
    // Precompressed copies are chosen by Accept-Encoding: caches must keep them apart.
    if !resp.headers().contains_key(header::VARY) {
        resp.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if path.rsplit('/').next().is_some_and(is_hashed) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    resp
}

/// Whether a file name carries Trunk's content hash (`name-<16 hex digits>.js`, `…_bg.wasm`),
/// so that it may be cached for good.
fn is_hashed(file: &str) -> bool {
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Middleware adding the security headers.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.web.csp.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !state.web.framable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if state.config.served_over_https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_inline_scripts() {
        let html = r#"<script type="module">a()</script><script src="/x.js"></script><p><script>b</script>"#;
        assert_eq!(inline_scripts(html), ["a()", "b"]);
        assert!(inline_scripts("<script>unterminated").is_empty());
    }

    #[test]
    fn only_content_hashed_names_are_cached_for_good() {
        assert!(is_hashed("cubist-frontend-6d2bfa28bdea7c90.js"));
        assert!(is_hashed("cubist-frontend-6d2bfa28bdea7c90_bg.wasm"));
        assert!(is_hashed("main-0123456789abcdef.css"));
        assert!(!is_hashed("addon-fit.js"), "a vendored file keeps its name across versions");
        assert!(!is_hashed("xterm.js"));
        assert!(!is_hashed("data-preparation.svg"));
        assert!(!is_hashed("name-6d2bfa28bdea7c9z.js"));
    }
}
