use super::*;
use std::collections::HashMap;

fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::load(&|k| map.get(k).cloned())
}

#[test]
fn defaults_are_embedded() {
    let c = load(&[]).unwrap();
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(c.database, DatabaseUrl::Sqlite(PathBuf::from("data/cubist.db")));
    assert_eq!(c.auth.enabled, vec![LoginMethod::Password]);
}

#[test]
fn an_https_public_url_makes_cookies_secure() {
    let plain = load(&[]).unwrap();
    assert!(!plain.secure_cookies && !plain.served_over_https());
    let https = load(&[("CUBIST_PUBLIC_URL", "https://cubist.example.com/")]).unwrap();
    assert!(https.secure_cookies && https.served_over_https());
    assert_eq!(https.public_url.as_deref(), Some("https://cubist.example.com"));
    let http = load(&[("CUBIST_PUBLIC_URL", "http://10.0.0.2:3000")]).unwrap();
    assert!(!http.secure_cookies && !http.served_over_https());
    let refused = load(&[("CUBIST_PUBLIC_URL", "https://c.example"), ("CUBIST_SECURE_COOKIES", "false")]);
    assert_eq!(refused.unwrap_err().variable, "CUBIST_SECURE_COOKIES");
    assert_eq!(load(&[("CUBIST_PUBLIC_URL", "cubist.example")]).unwrap_err().variable, "CUBIST_PUBLIC_URL");
}

#[test]
fn errors_name_the_variable() {
    assert_eq!(load(&[("CUBIST_ADDR", "nope")]).unwrap_err().variable, "CUBIST_ADDR");
    assert_eq!(load(&[("DATABASE_URL", "mysql://x")]).unwrap_err().variable, "DATABASE_URL");
    assert_eq!(load(&[("CUBIST_SECURE_COOKIES", "maybe")]).unwrap_err().variable, "CUBIST_SECURE_COOKIES");
    let e = load(&[("CUBIST_LOGIN_METHODS", "password,trusted-header")]).unwrap_err();
    assert_eq!(e.variable, "CUBIST_TRUSTED_HEADER");
    let e = load(&[("CUBIST_LOGIN_METHODS", "oidc"), ("CUBIST_OIDC_ISSUER", "https://id.example")]).unwrap_err();
    assert_eq!(e.variable, "CUBIST_OIDC_REDIRECT_URL");
    let e = load(&[
        ("CUBIST_LOGIN_METHODS", "oidc"),
        ("CUBIST_OIDC_ISSUER", "https://id.example"),
        ("CUBIST_OIDC_REDIRECT_URL", "https://cubist.example/api/v1/auth/oidc/callback"),
        ("CUBIST_OIDC_CLIENT_ID", "cubist"),
        ("CUBIST_OIDC_USERNAME_CLAIM", "nick"),
    ])
    .unwrap_err();
    assert_eq!(e.variable, "CUBIST_OIDC_USERNAME_CLAIM");
    let e = load(&[("CUBIST_CONFIG", "/nonexistent/cubist.toml")]).unwrap_err();
    assert_eq!(e.variable, "CUBIST_CONFIG");
}

#[test]
fn postgres_and_trusted_header() {
    let c = load(&[
        ("DATABASE_URL", "postgres://u:secret@db/cubist"),
        ("CUBIST_LOGIN_METHODS", "trusted-header,password"),
        ("CUBIST_TRUSTED_HEADER", "X-Remote-User"),
        ("CUBIST_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
    ])
    .unwrap();
    assert!(matches!(c.database, DatabaseUrl::Postgres(_)));
    assert_eq!(c.auth.primary, LoginMethod::TrustedHeader);
    assert_eq!(c.auth.trusted_header.unwrap().proxies.len(), 2);
    assert!(!format!("{:?}", load(&[("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap()).contains("hunter2"));
}

#[test]
fn host_shells_follow_the_bind_address_unless_set() {
    assert!(load(&[]).unwrap().host_shells, "loopback: a single-machine install");
    assert!(!load(&[("CUBIST_ADDR", "0.0.0.0:3000")]).unwrap().host_shells);
    assert!(load(&[("CUBIST_ADDR", "0.0.0.0:3000"), ("CUBIST_HOST_SHELLS", "true")]).unwrap().host_shells);
    assert!(!load(&[("CUBIST_HOST_SHELLS", "off")]).unwrap().host_shells);
    assert_eq!(load(&[("CUBIST_HOST_SHELLS", "sometimes")]).unwrap_err().variable, "CUBIST_HOST_SHELLS");
}
