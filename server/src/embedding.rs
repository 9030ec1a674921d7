//! Embedding configuration: which portals may frame Cubist (`frame-ancestors`) and the
//! external panels (dashboards such as Grafana or the Argo UI) that Cubist frames in turn.
//! Both are parsed once at start; a bad entry stops the server naming its variable.

use app::model::Panel;

/// Portals allowed to frame Cubist, and the panels Cubist frames.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedConfig {
    /// Origins such as `https://portal.example.com`; empty: nobody frames Cubist.
    pub frame_ancestors: Vec<String>,
    pub panels: Vec<Panel>,
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
fn origin_of(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// `CUBIST_FRAME_ANCESTORS`: origins separated by spaces or commas.
pub fn parse_frame_ancestors(text: &str) -> Result<Vec<String>, String> {
    text.split([',', ' '])
        .filter(|o| !o.trim().is_empty())
        .map(|o| {
            let o = o.trim();
            match origin_of(o) {
                Some(origin) if origin == o.trim_end_matches('/') => Ok(origin),
                _ => Err(format!("'{o}' is not an origin like https://portal.example.com")),
            }
        })
        .collect()
}

/// `CUBIST_PANELS`: entries `id|Title|https://url` separated by `;`.
pub fn parse_panels(text: &str) -> Result<Vec<Panel>, String> {
    let mut panels: Vec<Panel> = Vec::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.splitn(3, '|').map(str::trim).collect();
        let [id, title, url] = parts[..] else {
            return Err(format!("'{entry}' is not id|Title|URL"));
        };
        if app::domain::username::check_username(id).is_err() {
            return Err(format!("panel id '{id}' must be lowercase letters, digits and '-'"));
        }
        if title.is_empty() || origin_of(url).is_none() {
            return Err(format!("panel '{id}' needs a title and an http(s) URL"));
        }
        if panels.iter().any(|p| p.id == id) {
            return Err(format!("panel id '{id}' is used twice"));
        }
        panels.push(Panel { id: id.to_owned(), title: title.to_owned(), url: url.to_owned() });
    }
    Ok(panels)
}

impl EmbedConfig {
    /// The CSP directives for framing: who may frame us, and whom we frame.
    pub fn csp_directives(&self) -> String {
        let ancestors =
            if self.frame_ancestors.is_empty() { "'none'".to_owned() } else { self.frame_ancestors.join(" ") };
        let mut frames: Vec<String> = self.panels.iter().filter_map(|p| origin_of(&p.url)).collect();
        frames.sort();
        frames.dedup();
        format!("frame-ancestors {ancestors}; frame-src 'self' {}", frames.join(" ")).trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(
            parse_frame_ancestors("https://portal.example.com, http://localhost:8080").unwrap(),
            ["https://portal.example.com", "http://localhost:8080"]
        );
        assert!(parse_frame_ancestors("https://portal.example.com/path").unwrap_err().contains("/path"));
        assert!(parse_frame_ancestors("*").is_err());
        assert!(parse_frame_ancestors("javascript:alert(1)").is_err());
    }

    #[test]
    fn panels_are_parsed_and_their_origins_framed() {
        let panels =
            parse_panels("grafana|Grafana|https://grafana.example.com/d/x?a=1; argo|Argo|http://argo:2746/").unwrap();
        assert_eq!(panels[1].title, "Argo");
        let config = EmbedConfig { frame_ancestors: vec![], panels };
        assert_eq!(
            config.csp_directives(),
            "frame-ancestors 'none'; frame-src 'self' http://argo:2746 https://grafana.example.com"
        );
        assert!(parse_panels("Bad Id|x|https://a").is_err());
        assert!(parse_panels("a|x|ftp://a").is_err());
        assert!(parse_panels("a|x").is_err());
        assert!(parse_panels("a|x|https://a;a|y|https://b").is_err());
    }
}
