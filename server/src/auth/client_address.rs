//! Who is calling: the peer of the connection, or, when that peer is a configured reverse
//! proxy, the client it names in `X-Forwarded-For`. Per-client limits (the sign-in throttle)
//! key on this, so one client behind a proxy cannot lock out everyone behind it.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address: the peer unless it is a trusted proxy; then, reading
/// `X-Forwarded-For` from the right, the first address that is not a trusted proxy (each
/// proxy appends the address it saw, so only entries added by trusted proxies are believed).
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !is_trusted(&client) {
        return client;
    }
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let hop = hop.trim();
        let parsed = hop.parse::<IpAddr>().or_else(|_| hop.parse::<std::net::SocketAddr>().map(|a| a.ip()));
        let Ok(ip) = parsed else { break };
        client = ip;
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn believes_only_what_trusted_proxies_added() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/24".parse().expect("a net")];
        let direct = client_address(ip("203.0.113.9"), Some("1.2.3.4"), &proxies);
        assert_eq!(direct, ip("203.0.113.9"), "a client cannot name itself someone else");
        let proxied = client_address(ip("10.0.0.5"), Some("1.2.3.4, 198.51.100.7"), &proxies);
        assert_eq!(proxied, ip("198.51.100.7"), "the address the proxy saw, not what the client claimed");
        let chained = client_address(ip("10.0.0.5"), Some("198.51.100.7, 10.0.0.6"), &proxies);
        assert_eq!(chained, ip("198.51.100.7"), "through two trusted proxies");
        assert_eq!(client_address(ip("10.0.0.5"), None, &proxies), ip("10.0.0.5"));
        assert_eq!(client_address(ip("10.0.0.5"), Some("garbage"), &proxies), ip("10.0.0.5"));
        assert_eq!(client_address(ip("10.0.0.5"), Some("198.51.100.7:5123"), &proxies), ip("198.51.100.7"));
        assert_eq!(client_address(ip("10.0.0.5"), Some("198.51.100.7"), &[]), ip("10.0.0.5"), "no proxy trusted");
    }
}
