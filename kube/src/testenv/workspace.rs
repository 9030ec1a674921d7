//! The workspace claim every namespace Cubist runs in is expected to have
//! (`kubeflow-user-workspace`), bound to a volume of its own so pods that mount it schedule.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, ObjectReference, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

pub const CLAIM: &str = "kubeflow-user-workspace";

fn size() -> BTreeMap<String, Quantity> {
    BTreeMap::from([("storage".to_owned(), Quantity("10Gi".into()))])
}

/// Creates the volume and its claim in `namespace`, bound to each other.
pub async fn create(client: &Client, namespace: &str) -> Result<(), kube::Error> {
    let volume_name = format!("{namespace}-{CLAIM}");
    let volume = PersistentVolume {
        metadata: ObjectMeta { name: Some(volume_name.clone()), ..ObjectMeta::default() },
        spec: Some(PersistentVolumeSpec {
            capacity: Some(size()),
            access_modes: Some(vec!["ReadWriteMany".into()]),
            storage_class_name: Some(String::new()),
            host_path: Some(HostPathVolumeSource { path: "/data/k8s/kubeflow/pipeline/workspace".into(), type_: None }),
            claim_ref: Some(ObjectReference {
                namespace: Some(namespace.into()),
                name: Some(CLAIM.into()),
                ..ObjectReference::default()
            }),
            ..PersistentVolumeSpec::default()
        }),
        ..PersistentVolume::default()
    };
    Api::<PersistentVolume>::all(client.clone()).create(&PostParams::default(), &volume).await?;
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta { name: Some(CLAIM.into()), ..ObjectMeta::default() },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteMany".into()]),
            storage_class_name: Some(String::new()),
            volume_name: Some(volume_name),
            resources: Some(VolumeResourceRequirements {
                requests: Some(size()),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    };
    Api::<PersistentVolumeClaim>::namespaced(client.clone(), namespace).create(&PostParams::default(), &claim).await?;
    Ok(())
}
