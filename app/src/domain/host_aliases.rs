//! Host aliases of a template: lines of `ip host [host…]`, written into the pod's hosts file.
//! Lines with the same address are merged.

use std::net::IpAddr;

/// Parses the lines; errors name the line.
pub fn parse_host_aliases(text: &str) -> Result<Vec<(IpAddr, Vec<String>)>, String> {
    let mut out: Vec<(IpAddr, Vec<String>)> = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let ip: IpAddr = words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("line {number}: expected an IP address first"))?;
        let hosts: Vec<String> = words.map(str::to_ascii_lowercase).collect();
        if hosts.is_empty() {
            return Err(format!("line {number}: name at least one host after the address"));
        }
        if let Some(bad) = hosts.iter().find(|h| {
            h.len() > 253
                || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                || h.starts_with(['-', '.'])
        }) {
            return Err(format!("line {number}: '{bad}' is not a host name"));
        }
        match out.iter_mut().find(|(a, _)| *a == ip) {
            Some((_, known)) => known.extend(hosts.into_iter().filter(|h| !known.contains(h)).collect::<Vec<_>>()),
            None => out.push((ip, hosts)),
        }
    }
    Ok(out)
}

/// The canonical text: one line per address.
pub fn format_host_aliases(aliases: &[(IpAddr, Vec<String>)]) -> String {
    aliases.iter().map(|(ip, hosts)| format!("{ip} {}", hosts.join(" "))).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn merges_lines_of_one_address() {
        let a = parse_host_aliases("10.0.0.1 git.corp\n# mirror\n10.0.0.2 pypi.corp\n10.0.0.1 Registry.corp git.corp")
            .unwrap();
        assert_eq!(format_host_aliases(&a), "10.0.0.1 git.corp registry.corp\n10.0.0.2 pypi.corp");
        assert_eq!(parse_host_aliases("nope host").unwrap_err(), "line 1: expected an IP address first");
        assert!(parse_host_aliases("10.0.0.1").is_err());
        assert!(parse_host_aliases("10.0.0.1 bad_host").is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,80}") {
            if let Ok(a) = parse_host_aliases(&s) {
                prop_assert_eq!(parse_host_aliases(&format_host_aliases(&a)).unwrap(), a);
            }
        }
    }
}
