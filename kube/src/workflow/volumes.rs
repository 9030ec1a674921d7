//! The mount grammar as Kubernetes volumes. A `pvc` mount shows the user's own sub-directory
//! of the claim at its path (as on the local engine), `pvc-share` and `storage` the whole
//! claim, `memory` a sized in-memory `emptyDir`; config maps and secrets are read-only.

use app::domain::mounts::{Mount, MountSource};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, HostPathVolumeSource, NFSVolumeSource,
    PersistentVolumeClaimVolumeSource, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::names::slug;

/// The volume a mount needs, and how the container mounts it.
pub fn volume_of(mount: &Mount, user: &str) -> (Volume, VolumeMount) {
    let path = mount.mount_path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let claim = |claim: &str| PersistentVolumeClaimVolumeSource { claim_name: claim.to_owned(), read_only: None };
    let (name, mut volume, sub_path, read_only) = match &mount.source {
        MountSource::Pvc { claim: c } => (
            format!("pvc-{}", slug(c, 50)),
            Volume { persistent_volume_claim: Some(claim(c)), ..Volume::default() },
            Some(user.to_owned()),
            false,
        ),
        MountSource::PvcShare { claim: c } | MountSource::Storage { claim: c } => (
            format!("share-{}", slug(c, 50)),
            Volume { persistent_volume_claim: Some(claim(c)), ..Volume::default() },
            None,
            false,
        ),
        MountSource::HostPath { path: host } => (
            format!("host-{}", slug(host, 50)),
            Volume { host_path: Some(HostPathVolumeSource { path: host.clone(), type_: None }), ..Volume::default() },
            None,
            false,
        ),
        MountSource::Nfs { server, path: export } => (
            format!("nfs-{}", slug(&format!("{server}{export}"), 50)),
            Volume {
                nfs: Some(NFSVolumeSource { server: server.clone(), path: export.clone(), read_only: None }),
                ..Volume::default()
            },
            None,
            false,
        ),
        MountSource::ConfigMap { name } => (
            format!("cm-{}", slug(name, 50)),
            Volume {
                config_map: Some(ConfigMapVolumeSource { name: name.clone(), ..ConfigMapVolumeSource::default() }),
                ..Volume::default()
            },
            None,
            true,
        ),
        MountSource::Secret { name } => (
            format!("secret-{}", slug(name, 50)),
            Volume {
                secret: Some(SecretVolumeSource { secret_name: Some(name.clone()), ..SecretVolumeSource::default() }),
                ..Volume::default()
            },
            None,
            true,
        ),
        MountSource::Memory { gib } => (
            format!("memory-{}", slug(path, 50)),
            Volume {
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    size_limit: Some(Quantity(format!("{gib}Gi"))),
                    ..EmptyDirVolumeSource::default()
                }),
                ..Volume::default()
            },
            None,
            false,
        ),
    };
    volume.name.clone_from(&name);
    let mount = VolumeMount {
        name,
        mount_path: path.to_owned(),
        sub_path,
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    };
    (volume, mount)
}
