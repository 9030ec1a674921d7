//! Single sign-on with an OpenID Connect provider: the authorization-code flow with PKCE and
//! a nonce, the ID token verified against the provider's published keys.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::config::{OidcConfig, UsernameClaim};

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Why single sign-on failed; the message is safe to show.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the identity provider's answer did not verify: {0}")]
    Verification(String),
    #[error("the ID token has no {0} claim to name the user")]
    MissingClaim(&'static str),
    #[error("the identity provider has not verified this e-mail address")]
    UnverifiedEmail,
}

/// Who the provider says signed in.
pub struct Asserted {
    /// The claim chosen to name the user.
    pub name: String,
    /// `oidc:<issuer>:<subject>`, stable across renames.
    pub external_id: String,
}

/// A configured, discovered provider.
pub struct OidcProvider {
    config: OidcConfig,
    metadata: CoreProviderMetadata,
    http: openidconnect::reqwest::Client,
}

/// What the browser is sent off with, and what must be kept until it comes back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl OidcProvider {
    /// Fetches the provider's discovery document.
    pub async fn discover(config: OidcConfig) -> Result<Self, OidcError> {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| OidcError::Provider(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery failed: {e}")))?;
        Ok(Self { config, metadata, http })
    }

    fn client(&self) -> Result<Client, OidcError> {
        let redirect =
            RedirectUrl::new(self.config.redirect_url.clone()).map_err(|e| OidcError::Provider(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser to sign in.
    pub fn authorize(&self) -> Result<Authorization, OidcError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client()?;
        let mut request =
            client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code, verifies the ID token, and returns who it asserts.
    pub async fn finish(&self, code: String, nonce: String, pkce_verifier: String) -> Result<Asserted, OidcError> {
        let client = self.client()?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("token exchange failed: {e}")))?;
        let _ = response.access_token();
        let id_token =
            response.id_token().ok_or_else(|| OidcError::Verification("no ID token in the response".into()))?;
        let claims: &CoreIdTokenClaims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(|e| OidcError::Verification(e.to_string()))?;
        let name = match self.config.username_claim {
            UsernameClaim::PreferredUsername => claims
                .preferred_username()
                .map(|u| u.as_str().to_owned())
                .ok_or(OidcError::MissingClaim("preferred_username"))?,
            UsernameClaim::Email => {
                if claims.email_verified() != Some(true) {
                    return Err(OidcError::UnverifiedEmail);
                }
                claims.email().map(|e| e.as_str().to_owned()).ok_or(OidcError::MissingClaim("email"))?
            }
            UsernameClaim::Subject => claims.subject().as_str().to_owned(),
        };
        let external_id = format!("oidc:{}:{}", claims.issuer().as_str(), claims.subject().as_str());
        Ok(Asserted { name, external_id })
    }
}
