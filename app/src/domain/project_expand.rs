//! The typed `expand` of project groups. Categories carry their `index`; org projects their
//! cluster, node selector, resource groups, mounts and namespace overrides. Values are
//! checked with the shared grammars; unknown keys are kept and reported as warnings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::mounts::{format_mounts, parse_mounts};
use super::node_selector::NodeSelector;
use super::validation::FieldErrors;
use crate::model::FieldError;

/// The workspace every project mounts unless it says otherwise.
pub const DEFAULT_VOLUME_MOUNT: &str = "kubeflow-user-workspace(pvc):/mnt";

/// `expand` of a template category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryExpand {
    /// Position of the category in the editor palette (ascending).
    pub index: i64,
    /// Keys this version does not know, kept as they were.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

/// Namespaces an org project uses instead of the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamespaceOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automl: Option<String>,
}

/// `expand` of an org project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgExpand {
    /// The cluster everything of the project runs in.
    pub cluster: String,
    /// Extra node-selector terms, `key=value;key=value`.
    pub node_selector: String,
    /// Resource group(s): the node label `org`, comma list allowed.
    pub org: String,
    /// Mounts added to every workload of the project.
    pub volume_mount: String,
    pub namespaces: NamespaceOverrides,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

impl OrgExpand {
    /// The settings of an org project created without any.
    pub fn default_for(clusters: &[String]) -> Self {
        check_org(Map::new(), clusters).map(|c| c.expand).unwrap_or_default()
    }

    /// The namespace the project's pipelines run in on its cluster.
    pub fn pipeline_namespace(&self) -> &str {
        self.namespaces.pipeline.as_deref().unwrap_or(DEFAULT_PIPELINE_NAMESPACE)
    }
}

/// Where pipelines run unless a project says otherwise.
pub const DEFAULT_PIPELINE_NAMESPACE: &str = "pipeline";

/// A checked expand and the warnings about keys that were kept unread.
#[derive(Debug)]
pub struct Checked<T> {
    pub expand: T,
    pub warnings: Vec<String>,
}

fn take_string(raw: &mut Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<String> {
    match raw.remove(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(&format!("expand.{key}"), "must be text");
            None
        }
    }
}

fn warnings(extra: &Map<String, Value>) -> Vec<String> {
    extra.keys().map(|k| format!("expand.{k} is not a known key; it is kept but not used")).collect()
}

fn is_namespace(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Checks a category's expand.
pub fn check_category(raw: Map<String, Value>) -> Result<Checked<CategoryExpand>, Vec<FieldError>> {
    let mut raw = raw;
    let mut errors = FieldErrors::new();
    let index = match raw.remove("index") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => s.trim().parse().unwrap_or_default(),
        Some(_) => {
            errors.add("expand.index", "must be a whole number");
            0
        }
    };
    errors.finish()?;
    Ok(Checked { warnings: warnings(&raw), expand: CategoryExpand { index, extra: raw } })
}

/// Checks an org project's expand. `clusters` are the configured cluster names; the first
/// is the console's own, used when none is given.
pub fn check_org(raw: Map<String, Value>, clusters: &[String]) -> Result<Checked<OrgExpand>, Vec<FieldError>> {
    let mut raw = raw;
    let mut errors = FieldErrors::new();
    let cluster = take_string(&mut raw, "cluster", &mut errors)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| clusters.first().cloned().unwrap_or_default());
    if !clusters.contains(&cluster) {
        errors.add("expand.cluster", format!("'{cluster}' is not a configured cluster ({})", clusters.join(", ")));
    }
    let node_selector = take_string(&mut raw, "node_selector", &mut errors).unwrap_or_default();
    let node_selector = match NodeSelector::parse(&node_selector) {
        Ok(s) => s.to_string(),
        Err(m) => {
            errors.add("expand.node_selector", m);
            node_selector
        }
    };
    let org = take_string(&mut raw, "org", &mut errors).filter(|o| !o.is_empty()).unwrap_or_else(|| "public".into());
    let org: Vec<&str> = org.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
    if org.is_empty() || !org.iter().all(|o| is_namespace(o)) {
        errors.add("expand.org", "must be resource group names (lowercase letters, digits, '-'), comma separated");
    }
    let org = org.join(",");
    let mounts = take_string(&mut raw, "volume_mount", &mut errors).unwrap_or_else(|| DEFAULT_VOLUME_MOUNT.into());
    let volume_mount = match parse_mounts(&mounts) {
        Ok(m) => format_mounts(&m),
        Err(e) => {
            errors.add("expand.volume_mount", e.to_string());
            mounts
        }
    };
    let namespaces = match raw.remove("namespaces") {
        None | Some(Value::Null) => NamespaceOverrides::default(),
        Some(v) => match serde_json::from_value::<NamespaceOverrides>(v) {
            Ok(ns) => {
                for (key, value) in [
                    ("notebook", &ns.notebook),
                    ("pipeline", &ns.pipeline),
                    ("service", &ns.service),
                    ("automl", &ns.automl),
                ] {
                    if value.as_deref().is_some_and(|n| !is_namespace(n)) {
                        errors.add(&format!("expand.namespaces.{key}"), "is not a Kubernetes namespace name");
                    }
                }
                ns
            }
            Err(e) => {
                errors.add(
                    "expand.namespaces",
                    format!("must be an object with notebook, pipeline, service, automl: {e}"),
                );
                NamespaceOverrides::default()
            }
        },
    };
    errors.finish()?;
    Ok(Checked {
        warnings: warnings(&raw),
        expand: OrgExpand { cluster, node_selector, org, volume_mount, namespaces, extra: raw },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,40}".prop_map(Value::from),
            proptest::collection::hash_map("[a-z]{1,8}", "\\PC{0,12}", 0..3)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_accepted_values_recheck(
            entries in proptest::collection::vec(
                (prop_oneof![Just("cluster"), Just("node_selector"), Just("org"), Just("volume_mount"),
                    Just("namespaces"), Just("index"), Just("other")], any_value()),
                0..6,
            )
        ) {
            let raw: Map<String, Value> = entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let clusters = vec!["local".to_owned()];
            if let Ok(checked) = check_org(raw.clone(), &clusters) {
                let again = serde_json::to_value(&checked.expand).unwrap();
                let rechecked = check_org(again.as_object().cloned().unwrap(), &clusters).unwrap();
                prop_assert_eq!(rechecked.expand, checked.expand);
            }
            if let Ok(checked) = check_category(raw) {
                let again = serde_json::to_value(&checked.expand).unwrap();
                prop_assert_eq!(check_category(again.as_object().cloned().unwrap()).unwrap().expand, checked.expand);
            }
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn org_defaults_and_normalisation() {
        let clusters = vec!["local".to_owned(), "gpu".to_owned()];
        let c = check_org(Map::new(), &clusters).unwrap();
        assert_eq!(c.expand.cluster, "local");
        assert_eq!(c.expand.org, "public");
        assert_eq!(c.expand.volume_mount, DEFAULT_VOLUME_MOUNT);
        let c = check_org(
            obj(json!({"cluster": "gpu", "node_selector": "zone=a; disk=ssd", "org": "team-a, team-b",
                "volume_mount": "data(pvc):/data;4G(memory):/dev/shm", "namespaces": {"pipeline": "pipeline-a"}, "owner": "x"})),
            &clusters,
        )
        .unwrap();
        assert_eq!(c.expand.node_selector, "zone=a;disk=ssd");
        assert_eq!(c.expand.org, "team-a,team-b");
        assert_eq!(c.expand.volume_mount, "data(pvc):/data,4G(memory):/dev/shm");
        assert_eq!(c.expand.namespaces.pipeline.as_deref(), Some("pipeline-a"));
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(serde_json::to_value(&c.expand).unwrap()["owner"], "x");
    }

    #[test]
    fn org_errors_name_the_key() {
        let clusters = vec!["local".to_owned()];
        let e = check_org(
            obj(
                json!({"cluster": "mars", "node_selector": "novalue", "org": "Bad Org", "volume_mount": "x(bucket):/x",
                "namespaces": {"notebook": "NOPE"}}),
            ),
            &clusters,
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "expand.cluster",
                "expand.node_selector",
                "expand.org",
                "expand.volume_mount",
                "expand.namespaces.notebook"
            ]
        );
    }

    #[test]
    fn category_index() {
        assert_eq!(check_category(obj(json!({"index": 3}))).unwrap().expand.index, 3);
        assert_eq!(check_category(obj(json!({"index": "4"}))).unwrap().expand.index, 4);
        assert_eq!(check_category(Map::new()).unwrap().expand.index, 0);
        assert_eq!(check_category(obj(json!({"index": 1.5}))).unwrap_err()[0].field, "expand.index");
    }
}
