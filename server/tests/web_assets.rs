//! Serving the built UI: precompressed copies go to browsers that accept them, content-hashed
//! files are cached for good and vendored files are not.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};

use common::TestApp;

on_both_backends!(precompressed_assets_are_sent_to_browsers_that_accept_them, async |app: TestApp| {
    let dist = app.data_dir.join("dist");
    std::fs::create_dir_all(dist.join("vendor")).unwrap();
    let script = "console.log('the app');".repeat(50);
    std::fs::write(dist.join("app-0123456789abcdef.js"), &script).unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js.br"), b"brotli bytes").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js.gz"), b"gzip bytes").unwrap();
    std::fs::write(dist.join("vendor").join("term.js"), "term()").unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = http.get(format!("{}{path}", app.base));
        if let Some(encoding) = encoding {
            request = request.header(ACCEPT_ENCODING, encoding);
        }
        request.send()
    };

    let response = get("/app-0123456789abcdef.js", Some("gzip, deflate, br")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "br");
    assert!(response.headers()[VARY].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"));
    assert!(response.headers()[CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"brotli bytes");

    let response = get("/app-0123456789abcdef.js", Some("gzip")).await.unwrap();
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"gzip bytes");

    let response = get("/app-0123456789abcdef.js", None).await.unwrap();
    assert!(response.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(response.text().await.unwrap(), script);

    let response = get("/vendor/term.js", Some("br")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(CACHE_CONTROL).is_none_or(|v| !v.to_str().unwrap().contains("immutable")));
});
