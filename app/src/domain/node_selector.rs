//! Node-selector strings (`key=value;key=value`) and the platform's placement rule: the
//! platform, not the user, decides which machines run a workload, from its accelerator,
//! its kind, and its project's resource group.

use std::fmt;

use super::resources::Gpu;

/// A parsed selector: ordered `key=value` terms, one per key (the last one wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSelector {
    terms: Vec<(String, String)>,
}

/// What kind of workload is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    Train,
    Notebook,
    Service,
}

impl Workload {
    fn label(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Notebook => "notebook",
            Self::Service => "service",
        }
    }
}

fn is_label_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ','))
}

impl NodeSelector {
    /// Parses `key=value` terms separated by `;`, newlines or tabs. `org=a,b` names several
    /// resource groups.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut selector = Self::default();
        for term in text.split([';', '\n', '\t']).map(str::trim).filter(|t| !t.is_empty()) {
            let (key, value) = term.split_once('=').ok_or_else(|| format!("'{term}' is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            if !is_label_part(key) || key.contains(',') {
                return Err(format!("'{key}' is not a node label key"));
            }
            if !is_label_part(value) || (value.contains(',') && key != "org") {
                return Err(format!("'{value}' is not a node label value"));
            }
            selector.set(key, value);
        }
        Ok(selector)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.terms.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets a term, replacing the key's earlier value.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.terms.iter_mut().find(|(k, _)| k == key) {
            Some(term) => term.1 = value.to_owned(),
            None => self.terms.push((key.to_owned(), value.to_owned())),
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.terms.retain(|(k, _)| k != key);
    }

    /// The resource groups (`org`), `public` when none is named.
    pub fn orgs(&self) -> Vec<String> {
        self.get("org").map_or_else(|| vec!["public".to_owned()], |o| o.split(',').map(str::to_owned).collect())
    }

    /// The plain `key=value` terms (all but a multi-group `org`, which becomes a node affinity).
    pub fn terms(&self) -> impl Iterator<Item = (&str, &str)> {
        self.terms.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Display for NodeSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(";"))
    }
}

/// Where a workload may run: the project's selector, then the accelerator class
/// (`cpu`, `gpu` or `vgpu` = true), the workload kind (`train`, `notebook`, `service` = true),
/// the resource group (`org`, default `public`) and the card model (`gpu-type`).
pub fn placement(project: &NodeSelector, gpu: &Gpu, workload: Workload) -> NodeSelector {
    let mut selector = project.clone();
    for class in ["cpu", "gpu", "vgpu"] {
        selector.remove(class);
    }
    let class = if gpu.is_virtual() {
        "vgpu"
    } else if gpu.needs_gpu_node() {
        "gpu"
    } else {
        "cpu"
    };
    selector.set(class, "true");
    selector.set(workload.label(), "true");
    if selector.get("org").is_none() {
        selector.set("org", "public");
    }
    if let Gpu::Cards { card_type: Some(model), .. } = gpu {
        selector.set("gpu-type", model);
    }
    selector
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resources::parse_gpu;
    use proptest::prelude::*;

    #[test]
    fn parse_and_print() {
        let s = NodeSelector::parse("org=public; cpu=true\ntrain=true;org=team-a").unwrap();
        assert_eq!(s.to_string(), "org=team-a;cpu=true;train=true");
        assert_eq!(NodeSelector::parse("org=a,b").unwrap().orgs(), ["a", "b"]);
        assert_eq!(NodeSelector::parse("").unwrap().orgs(), ["public"]);
        for bad in ["org", "=x", "a b=c", "zone=a,b", "k=v v"] {
            assert!(NodeSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placement_follows_the_accelerator() {
        let project = NodeSelector::parse("org=team-a;cpu=true").unwrap();
        let cpu = placement(&project, &parse_gpu("0").unwrap(), Workload::Train);
        assert_eq!(cpu.to_string(), "org=team-a;cpu=true;train=true");
        let gpu = placement(&project, &parse_gpu("2(V100)").unwrap(), Workload::Notebook);
        assert_eq!(gpu.to_string(), "org=team-a;gpu=true;notebook=true;gpu-type=V100");
        let vgpu = placement(&NodeSelector::default(), &parse_gpu("0.5").unwrap(), Workload::Service);
        assert_eq!(vgpu.to_string(), "vgpu=true;service=true;org=public");
        let shared = placement(&NodeSelector::default(), &parse_gpu("-1").unwrap(), Workload::Train);
        assert_eq!(shared.get("gpu"), Some("true"));
    }

    proptest! {
        #[test]
        fn never_panics_and_reparses(s in "\\PC{0,80}") {
            if let Ok(sel) = NodeSelector::parse(&s) {
                prop_assert_eq!(NodeSelector::parse(&sel.to_string()).unwrap(), sel);
            }
        }
    }
}
