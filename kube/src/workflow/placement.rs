//! Where a task's pod may run: its effective node selector (already decided by the plan) as
//! a `nodeSelector`, except several resource groups (`org=a,b`), which become a required
//! node affinity; and a preference to spread one pipeline's tasks over machines.

use std::collections::BTreeMap;

use app::domain::node_selector::NodeSelector;
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector as NodeTerms, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm,
    PodAntiAffinity, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// The label every pod of a pipeline carries.
pub const PIPELINE_LABEL: &str = "pipeline-id";

/// The `nodeSelector` and affinity of a pod of pipeline `pipeline_id` with this selector.
pub fn placement(selector: &str, pipeline_id: i64) -> (BTreeMap<String, String>, Affinity) {
    let parsed = NodeSelector::parse(selector).unwrap_or_default();
    let orgs = parsed.orgs();
    let node_selector: BTreeMap<String, String> = parsed
        .terms()
        .filter(|(k, _)| !(*k == "org" && orgs.len() > 1))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let node_affinity = (orgs.len() > 1).then(|| NodeAffinity {
        required_during_scheduling_ignored_during_execution: Some(NodeTerms {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: "org".into(),
                    operator: "In".into(),
                    values: Some(orgs),
                }]),
                ..NodeSelectorTerm::default()
            }],
        }),
        ..NodeAffinity::default()
    });
    let spread = WeightedPodAffinityTerm {
        weight: 80,
        pod_affinity_term: PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(PIPELINE_LABEL.to_owned(), pipeline_id.to_string())])),
                ..LabelSelector::default()
            }),
            topology_key: "kubernetes.io/hostname".into(),
            ..PodAffinityTerm::default()
        },
    };
    let affinity = Affinity {
        node_affinity,
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![spread]),
            ..PodAntiAffinity::default()
        }),
        ..Affinity::default()
    };
    (node_selector, affinity)
}
