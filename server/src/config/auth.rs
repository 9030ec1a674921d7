//! How users sign in, as configured: the login methods, a trusted reverse proxy's header,
//! OpenID Connect.

use app::model::LoginMethod;
use ipnet::IpNet;

use super::{ConfigError, bad};

/// Sign-in through a reverse proxy that authenticates users and passes the name on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHeader {
    /// Request header carrying the username, e.g. `X-Remote-User`.
    pub header: String,
    /// Peers allowed to set it; requests from elsewhere are ignored.
    pub proxies: Vec<IpNet>,
}

/// Which ID-token claim names the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameClaim {
    PreferredUsername,
    Email,
    Subject,
}

/// Sign-in with an OpenID Connect provider (authorization-code flow with PKCE).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: `<public URL>/api/v1/auth/oidc/callback`.
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub username_claim: UsernameClaim,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<set>"))
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("username_claim", &self.username_claim)
            .finish()
    }
}

/// How users sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub primary: LoginMethod,
    pub enabled: Vec<LoginMethod>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`CUBIST_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
    pub trusted_header: Option<TrustedHeader>,
    pub oidc: Option<OidcConfig>,
}

impl AuthConfig {
    pub fn allows(&self, method: LoginMethod) -> bool {
        self.enabled.contains(&method)
    }
}

fn parse_method(var: &str, v: &str) -> Result<LoginMethod, ConfigError> {
    match v.trim() {
        "password" => Ok(LoginMethod::Password),
        "oidc" => Ok(LoginMethod::Oidc),
        "trusted-header" => Ok(LoginMethod::TrustedHeader),
        other => Err(bad(var, format!("unknown login method '{other}' (password, oidc, trusted-header)"))),
    }
}

pub(super) fn auth_config(
    methods: Option<String>,
    primary: Option<String>,
    header: Option<String>,
    proxies: Option<String>,
) -> Result<AuthConfig, ConfigError> {
    let enabled = match methods {
        None => vec![LoginMethod::Password],
        Some(list) => list
            .split(',')
            .filter(|m| !m.trim().is_empty())
            .map(|m| parse_method("CUBIST_LOGIN_METHODS", m))
            .collect::<Result<Vec<_>, _>>()?,
    };
    if enabled.is_empty() {
        return Err(bad("CUBIST_LOGIN_METHODS", "at least one login method is needed"));
    }
    let primary = match primary {
        Some(p) => parse_method("CUBIST_PRIMARY_LOGIN", &p)?,
        None => enabled[0],
    };
    if !enabled.contains(&primary) {
        return Err(bad("CUBIST_PRIMARY_LOGIN", "must be one of CUBIST_LOGIN_METHODS"));
    }
    let trusted_proxies = proxies
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| parse_net(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted_header = if enabled.contains(&LoginMethod::TrustedHeader) {
        let header = header.ok_or_else(|| bad("CUBIST_TRUSTED_HEADER", "required when trusted-header login is on"))?;
        if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(bad("CUBIST_TRUSTED_HEADER", format!("'{header}' is not a header name")));
        }
        if trusted_proxies.is_empty() {
            return Err(bad("CUBIST_TRUSTED_PROXIES", "required when trusted-header login is on"));
        }
        Some(TrustedHeader { header, proxies: trusted_proxies.clone() })
    } else {
        None
    };
    Ok(AuthConfig { primary, enabled, trusted_proxies, trusted_header, oidc: None })
}

/// The raw OpenID Connect settings.
pub(super) struct OidcVars {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redirect_url: Option<String>,
    pub scopes: Option<String>,
    pub username_claim: Option<String>,
}

pub(super) fn oidc_config(v: OidcVars) -> Result<OidcConfig, ConfigError> {
    let required = |var: &str, value: Option<String>| value.ok_or_else(|| bad(var, "required when oidc login is on"));
    let issuer = required("CUBIST_OIDC_ISSUER", v.issuer)?;
    let redirect_url = required("CUBIST_OIDC_REDIRECT_URL", v.redirect_url)?;
    for (var, value) in [("CUBIST_OIDC_ISSUER", &issuer), ("CUBIST_OIDC_REDIRECT_URL", &redirect_url)] {
        match url::Url::parse(value) {
            Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
            _ => return Err(bad(var, format!("'{value}' is not an http(s) URL"))),
        }
    }
    let username_claim = match v.username_claim.as_deref().unwrap_or("preferred_username") {
        "preferred_username" => UsernameClaim::PreferredUsername,
        "email" => UsernameClaim::Email,
        "sub" => UsernameClaim::Subject,
        other => {
            return Err(bad(
                "CUBIST_OIDC_USERNAME_CLAIM",
                format!("'{other}' is not preferred_username, email or sub"),
            ));
        }
    };
    let scopes = v.scopes.unwrap_or_else(|| "openid email profile".into());
    Ok(OidcConfig {
        issuer,
        client_id: required("CUBIST_OIDC_CLIENT_ID", v.client_id)?,
        client_secret: v.client_secret,
        redirect_url,
        scopes: scopes.split([' ', ',']).filter(|s| !s.is_empty() && *s != "openid").map(str::to_owned).collect(),
        username_claim,
    })
}

fn parse_net(p: &str) -> Result<IpNet, ConfigError> {
    p.parse::<IpNet>()
        .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| bad("CUBIST_TRUSTED_PROXIES", format!("'{p}' is not an IP address or CIDR range")))
}
