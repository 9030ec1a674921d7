//! A task's resource strings as container requests and limits: `a~b` is request `a`, limit
//! `b`; whole GPUs become the vendor's extended resource (requests equal limits, as
//! Kubernetes wants); a task without GPUs is told so (`NVIDIA_VISIBLE_DEVICES=none`), so a
//! GPU image cannot see the node's cards.

use std::collections::BTreeMap;

use app::domain::resources::{Gpu, parse_cpu, parse_gpu, parse_memory};
use app::model::TaskResources;
use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The extended resource of each accelerator vendor; `gpu` (and no vendor) is the default.
#[derive(Debug, Clone)]
pub struct GpuResources(pub BTreeMap<String, String>);

impl Default for GpuResources {
    fn default() -> Self {
        Self(BTreeMap::from([("gpu".to_owned(), "nvidia.com/gpu".to_owned())]))
    }
}

impl GpuResources {
    fn name(&self, vendor: Option<&str>) -> String {
        let default = || self.0.get("gpu").cloned().unwrap_or_else(|| "nvidia.com/gpu".to_owned());
        vendor.and_then(|v| self.0.get(v).cloned()).unwrap_or_else(default)
    }
}

fn milli(m: u32) -> Quantity {
    Quantity(if m.is_multiple_of(1000) { (m / 1000).to_string() } else { format!("{m}m") })
}

/// Requests and limits, and the variables that go with them.
pub fn requirements(resources: &TaskResources, gpus: &GpuResources) -> (ResourceRequirements, Vec<EnvVar>) {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Ok(cpu) = parse_cpu(&resources.cpu) {
        requests.insert("cpu".to_owned(), milli(cpu.request_milli));
        limits.insert("cpu".to_owned(), milli(cpu.limit_milli));
    }
    if let Ok(memory) = parse_memory(&resources.memory) {
        requests.insert("memory".to_owned(), Quantity(format!("{}M", memory.request_mb)));
        limits.insert("memory".to_owned(), Quantity(format!("{}M", memory.limit_mb)));
    }
    let gpu = parse_gpu(&resources.gpu).unwrap_or(Gpu::None);
    let mut env = Vec::new();
    match &gpu {
        Gpu::Cards { vendor, .. } if gpu.whole_cards() > 0 => {
            let cards = Quantity(gpu.whole_cards().to_string());
            let name = gpus.name(vendor.as_deref());
            requests.insert(name.clone(), cards.clone());
            limits.insert(name, cards);
        }
        Gpu::None => {
            env.push(EnvVar { name: "NVIDIA_VISIBLE_DEVICES".into(), value: Some("none".into()), ..EnvVar::default() })
        }
        _ => {}
    }
    let requirements = ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..ResourceRequirements::default()
    };
    (requirements, env)
}
