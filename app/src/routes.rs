//! The pages of the single-page app. The browser router and the server's deep-link fallback
//! both read this list, so a page that exists in the UI is served on reload and any other
//! path gets a real 404.

/// Every client-side page pattern; `:name` matches exactly one path segment.
pub const PAGES: &[&str] = &[
    "/",
    "/login",
    "/forbidden",
    "/account",
    "/account/tokens",
    "/inbox",
    "/projects/org",
    "/projects/categories",
    "/projects/new",
    "/projects/:id",
    "/repositories",
    "/repositories/new",
    "/repositories/:id",
    "/images",
    "/images/new",
    "/images/:id",
    "/job-templates",
    "/job-templates/new",
    "/job-templates/:id",
    "/security/users",
    "/security/users/new",
    "/security/users/:id",
    "/security/roles",
    "/security/roles/new",
    "/security/roles/:id",
    "/security/permissions",
    "/security/audit-log",
    "/pipelines",
    "/pipelines/:id",
    "/pipelines/:id/schedule",
    "/panels/:id",
    "/runs",
    "/runs/:id",
    "/tasks/:id/debug",
];

/// Whether `path` is one of the app's pages (ignoring a trailing slash).
pub fn is_page(path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    PAGES.iter().any(|pattern| matches(pattern, path))
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return true,
            (Some(p), Some(g)) if p.starts_with(':') && !g.is_empty() => {}
            (Some(p), Some(g)) if p == g => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_pages_and_parameters_match() {
        assert!(is_page("/"));
        assert!(is_page("/security/users"));
        assert!(is_page("/security/users/"));
        assert!(is_page("/security/users/42"));
        assert!(!is_page("/security/users/42/extra"));
        assert!(!is_page("/security/users//"));
        assert!(!is_page("/nope"));
        assert!(!is_page("/security"));
    }
}
