//! OpenID Connect sign-in against a stand-in identity provider served in-process over HTTP:
//! discovery, the authorization-code flow with PKCE, a signed ID token with a nonce.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::model::{LoginMethod, Me};
use axum::extract::{Form, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenFields, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType, CoreTokenResponse,
    CoreTokenType,
};
use openidconnect::{
    AccessToken, Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, EmptyExtraTokenFields,
    EndUserUsername, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce, PrivateSigningKey, ResponseTypes,
    StandardClaims, SubjectIdentifier, TokenUrl,
};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use common::{Backend, TestApp};

const KEY: &str = include_str!("fixtures/oidc-test-key.pem");
const CLIENT_ID: &str = "cubist";

/// A code the provider issued: for which nonce, PKCE challenge and user.
struct Grant {
    nonce: String,
    challenge: String,
    username: String,
}

#[derive(Clone)]
struct Provider {
    issuer: String,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
}

fn signing_key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("test-key".into()))).unwrap()
}

async fn discovery(State(p): State<Provider>) -> Json<CoreProviderMetadata> {
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        AuthUrl::new(format!("{}/authorize", p.issuer)).unwrap(),
        JsonWebKeySetUrl::new(format!("{}/jwks", p.issuer)).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{}/token", p.issuer)).unwrap()));
    Json(metadata)
}

async fn jwks() -> Json<CoreJsonWebKeySet> {
    Json(CoreJsonWebKeySet::new(vec![signing_key().as_verification_key()]))
}

async fn token(
    State(p): State<Provider>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Json<CoreTokenResponse>, StatusCode> {
    let grant = p
        .grants
        .lock()
        .unwrap()
        .remove(form.get("code").ok_or(StatusCode::BAD_REQUEST)?)
        .ok_or(StatusCode::BAD_REQUEST)?;
    let verifier = form.get("code_verifier").ok_or(StatusCode::BAD_REQUEST)?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != grant.challenge {
        return Err(StatusCode::BAD_REQUEST);
    }
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(format!("sub-{}", grant.username)))
            .set_preferred_username(Some(EndUserUsername::new(grant.username.clone()))),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce)));
    let id_token =
        CoreIdToken::new(claims, &signing_key(), CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, None, None).unwrap();
    Ok(Json(CoreTokenResponse::new(
        AccessToken::new("access".into()),
        CoreTokenType::Bearer,
        CoreIdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
    )))
}

async fn start_provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider = Provider {
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        grants: Arc::new(Mutex::new(HashMap::new())),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    provider
}

async fn app_with(backend: Backend, provider: &Provider) -> TestApp {
    let issuer = provider.issuer.clone();
    TestApp::spawn_with(backend, move |c| {
        c.auth.enabled = vec![LoginMethod::Oidc];
        c.auth.primary = LoginMethod::Oidc;
        c.auth.oidc = Some(server::config::OidcConfig {
            issuer,
            client_id: CLIENT_ID.into(),
            client_secret: Some("client-secret".into()),
            redirect_url: "http://cubist.test/api/v1/auth/oidc/callback".into(),
            scopes: vec!["email".into(), "profile".into()],
            username_claim: server::config::UsernameClaim::PreferredUsername,
        });
    })
    .await
}

/// Follows `/oidc/start` and returns the parameters the provider was sent.
async fn start(client: &common::Client) -> HashMap<String, String> {
    let resp = client.http.get(format!("{}/api/v1/auth/oidc/start", client.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.path().ends_with("/authorize"));
    location.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

async fn callback(client: &common::Client, code: &str, state: &str) -> reqwest::Response {
    client
        .http
        .get(format!("{}/api/v1/auth/oidc/callback?code={code}&state={state}", client.base))
        .send()
        .await
        .unwrap()
}

async fn oidc_flow(backend: Backend) {
    let provider = start_provider().await;
    let app = app_with(backend, &provider).await;
    let client = app.anonymous();
    let (_, methods) = client.get("/api/v1/auth/methods").await;
    assert_eq!(methods["sso_url"], "/api/v1/auth/oidc/start");

    let params = start(&client).await;
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(params["scope"].contains("openid"));
    provider.grants.lock().unwrap().insert(
        "code-1".into(),
        Grant {
            nonce: params["nonce"].clone(),
            challenge: params["code_challenge"].clone(),
            username: "Olivia.Stone".into(),
        },
    );
    let resp = callback(&client, "code-1", &params["state"]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", resp.text().await.unwrap());
    let me: Me = client.get_as("/api/v1/me").await;
    assert_eq!(me.user.username, "oliviastone");
    assert!(me.roles.iter().any(|r| r.name == "Gamma") && me.projects[0].name == "public");

    // The callback only works in the browser that started the attempt, and only once.
    let replay = callback(&app.anonymous(), "code-1", &params["state"]).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let again = callback(&client, "code-1", &params["state"]).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "the attempt cookie is cleared after use");

    // A token whose nonce does not match the attempt is refused.
    let params = start(&client).await;
    provider.grants.lock().unwrap().insert(
        "code-2".into(),
        Grant { nonce: "forged".into(), challenge: params["code_challenge"].clone(), username: "mallory".into() },
    );
    let forged = callback(&client, "code-2", &params["state"]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A provider user named like a local account does not take it over.
    let params = start(&client).await;
    provider.grants.lock().unwrap().insert(
        "code-3".into(),
        Grant { nonce: params["nonce"].clone(), challenge: params["code_challenge"].clone(), username: "admin".into() },
    );
    let takeover = callback(&client, "code-3", &params["state"]).await;
    assert_eq!(takeover.status(), StatusCode::FORBIDDEN);
    let me: Me = client.get_as("/api/v1/me").await;
    assert_eq!(me.user.username, "oliviastone", "still the SSO user, not admin");

    // Password sign-in is off; administrators keep break-glass access.
    let (status, _) = app
        .anonymous()
        .post("/api/v1/auth/login", &serde_json::json!({"username": "admin", "password": common::ADMIN_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.anonymous();
    let (status, _) = admin
        .post("/api/v1/auth/break-glass", &serde_json::json!({"username": "admin", "password": common::ADMIN_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let log: serde_json::Value = admin.get_as("/api/v1/audit-log?username=oliviastone").await;
    assert_eq!(log["items"][0]["path"], "/api/v1/auth/oidc/callback", "SSO sign-ins are audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sqlite() {
    oidc_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_postgres() {
    oidc_flow(Backend::Postgres).await;
}
