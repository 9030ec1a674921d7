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

/// A volume name: the kind, a readable part of the source, and a short hash of the whole
/// source, so sources that read alike (`data.set`, `data_set`) never share a volume.
fn named(kind: &str, source: &str) -> String {
    // FNV-1a: stable across builds, unlike the standard library's hasher.
    let hash = source.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let readable = slug(source, 40);
    if readable.is_empty() {
        format!("{kind}-{:08x}", hash as u32)
    } else {
        format!("{kind}-{readable}-{:08x}", hash as u32)
    }
}

/// The volume a mount needs, and how the container mounts it.
pub fn volume_of(mount: &Mount, user: &str) -> (Volume, VolumeMount) {
    let path = mount.mount_path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let claim = |claim: &str| PersistentVolumeClaimVolumeSource { claim_name: claim.to_owned(), read_only: None };
    let (name, mut volume, sub_path, read_only) = match &mount.source {
        MountSource::Pvc { claim: c } => (
            named("pvc", c),
            Volume { persistent_volume_claim: Some(claim(c)), ..Volume::default() },
            Some(user.to_owned()),
            false,
        ),
        MountSource::PvcShare { claim: c } | MountSource::Storage { claim: c } => {
            (named("share", c), Volume { persistent_volume_claim: Some(claim(c)), ..Volume::default() }, None, false)
        }
        MountSource::HostPath { path: host } => (
            named("host", host),
            Volume { host_path: Some(HostPathVolumeSource { path: host.clone(), type_: None }), ..Volume::default() },
            None,
            false,
        ),
        MountSource::Nfs { server, path: export } => (
            named("nfs", &format!("{server}{export}")),
            Volume {
                nfs: Some(NFSVolumeSource { server: server.clone(), path: export.clone(), read_only: None }),
                ..Volume::default()
            },
            None,
            false,
        ),
        MountSource::ConfigMap { name } => (
            named("cm", name),
            Volume {
                config_map: Some(ConfigMapVolumeSource { name: name.clone(), ..ConfigMapVolumeSource::default() }),
                ..Volume::default()
            },
            None,
            true,
        ),
        MountSource::Secret { name } => (
            named("secret", name),
            Volume {
                secret: Some(SecretVolumeSource { secret_name: Some(name.clone()), ..SecretVolumeSource::default() }),
                ..Volume::default()
            },
            None,
            true,
        ),
        MountSource::Memory { gib } => (
            named("memory", &format!("{gib}:{path}")),
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
