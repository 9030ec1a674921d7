//! Sign-in by a header set by an authenticating reverse proxy, honoured only from the
//! configured proxy addresses.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::config::TrustedHeader;

/// The username asserted by a trusted proxy, if this request comes from one and carries it.
pub fn asserted_user(config: &TrustedHeader, peer: IpAddr, headers: &HeaderMap) -> Option<String> {
    if !config.proxies.iter().any(|net| net.contains(&peer)) {
        return None;
    }
    let value = headers.get(config.header.as_str())?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_from_trusted_peers() {
        let config = TrustedHeader { header: "X-Remote-User".into(), proxies: vec!["10.0.0.0/8".parse().unwrap()] };
        let mut headers = HeaderMap::new();
        headers.insert("x-remote-user", "alice".parse().unwrap());
        assert_eq!(asserted_user(&config, "10.1.2.3".parse().unwrap(), &headers).as_deref(), Some("alice"));
        assert_eq!(asserted_user(&config, "192.168.1.1".parse().unwrap(), &headers), None);
        assert_eq!(asserted_user(&config, "10.1.2.3".parse().unwrap(), &HeaderMap::new()), None);
    }
}
