//! How each named cluster is reached (`CUBIST_KUBECONFIGS`): `name=path` or
//! `name=path#context`, comma-separated, for clusters named in `CUBIST_CLUSTERS` other than
//! `local`. When the server runs in a pod, its own cluster (the first named) needs no
//! kubeconfig: it uses the pod's service account.

use std::path::PathBuf;

use cubist_kube::clusters::{ClusterSettings, LOCAL, Source};

use crate::config::ConfigError;

const VARIABLE: &str = "CUBIST_KUBECONFIGS";

fn bad(problem: String) -> ConfigError {
    ConfigError { variable: VARIABLE.into(), problem }
}

/// The Kubernetes clusters among the configured names (all but the server's own engine).
pub fn kubernetes(names: &[String]) -> Vec<String> {
    names.iter().filter(|n| n.as_str() != LOCAL).cloned().collect()
}

/// The settings of every cluster that can be reached; `in_pod` when the server runs in a
/// Kubernetes pod.
pub fn parse(names: &[String], text: Option<&str>, in_pod: bool) -> Result<Vec<ClusterSettings>, ConfigError> {
    let mut settings: Vec<ClusterSettings> = Vec::new();
    for entry in text.unwrap_or_default().split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, rest) = entry.split_once('=').ok_or_else(|| bad(format!("'{entry}' is not name=path")))?;
        let name = name.trim();
        if name == LOCAL {
            return Err(bad("'local' is the server's own engine and takes no kubeconfig".into()));
        }
        if !names.iter().any(|n| n == name) {
            return Err(bad(format!("'{name}' is not a cluster named in CUBIST_CLUSTERS")));
        }
        if settings.iter().any(|s| s.name == name) {
            return Err(bad(format!("'{name}' is given twice")));
        }
        let (path, context) = match rest.split_once('#') {
            Some((path, context)) => (path.trim(), Some(context.trim().to_owned()).filter(|c| !c.is_empty())),
            None => (rest.trim(), None),
        };
        if path.is_empty() {
            return Err(bad(format!("'{name}' has no kubeconfig path")));
        }
        settings.push(ClusterSettings {
            name: name.into(),
            source: Source::Kubeconfig { path: PathBuf::from(path), context },
        });
    }
    if let Some(own) = names.first().filter(|n| in_pod && *n != LOCAL && !settings.iter().any(|s| &s.name == *n)) {
        settings.push(ClusterSettings { name: own.clone(), source: Source::InCluster });
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["local", "gpu-east", "cpu-west"].map(String::from).to_vec()
    }

    #[test]
    fn kubeconfigs_name_their_cluster_and_context() {
        let parsed =
            parse(&names(), Some("gpu-east=/etc/k/east.yaml#admin, cpu-west=/etc/k/west.yaml"), false).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            parsed[0].source,
            Source::Kubeconfig { path: "/etc/k/east.yaml".into(), context: Some("admin".into()) }
        );
        assert_eq!(parsed[1].source, Source::Kubeconfig { path: "/etc/k/west.yaml".into(), context: None });
        assert!(parse(&names(), None, false).unwrap().is_empty());
    }

    #[test]
    fn the_console_cluster_uses_its_pod_when_in_one() {
        let names = ["gpu-east", "local"].map(String::from).to_vec();
        let parsed = parse(&names, None, true).unwrap();
        assert_eq!(parsed, [ClusterSettings { name: "gpu-east".into(), source: Source::InCluster }]);
        assert!(parse(&self::names(), None, true).unwrap().is_empty(), "local needs nothing");
    }

    #[test]
    fn mistakes_are_refused_naming_the_variable() {
        for text in ["gpu-east", "mars=/k.yaml", "local=/k.yaml", "gpu-east=", "gpu-east=/a,gpu-east=/b"] {
            assert_eq!(parse(&names(), Some(text), false).unwrap_err().variable, VARIABLE, "{text}");
        }
    }
}
