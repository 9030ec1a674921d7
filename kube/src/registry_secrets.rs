//! Registry accounts as image pull Secrets (`kubernetes.io/dockerconfigjson`), written with
//! server-side apply under one field manager into every namespace a cluster runs Cubist's
//! work in, and removed from them. Each namespace answers for itself, so a cluster that is
//! down shows as such and can be tried again instead of being skipped silently.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams};
use kube::{Api, Client};
use serde::Serialize;

/// The field manager of everything Cubist applies.
pub const FIELD_MANAGER: &str = "cubist";
/// The label marking Secrets Cubist manages.
pub const MANAGED_LABEL: &str = "cubist.dev/registry-secret";

/// A registry account, as its pull Secret needs it.
#[derive(Debug, Clone)]
pub struct RegistryAccount<'a> {
    /// The Secret's name (the repository's `hubsecret`).
    pub secret_name: &'a str,
    pub server: &'a str,
    pub username: &'a str,
    pub password: &'a str,
}

#[derive(Serialize)]
struct DockerConfig<'a> {
    auths: BTreeMap<&'a str, DockerAuth<'a>>,
}

#[derive(Serialize)]
struct DockerAuth<'a> {
    username: &'a str,
    password: &'a str,
    auth: String,
}

/// The pull Secret of an account.
pub fn registry_secret(account: &RegistryAccount<'_>) -> Secret {
    let auth = STANDARD.encode(format!("{}:{}", account.username, account.password));
    let config = DockerConfig {
        auths: BTreeMap::from([(
            account.server,
            DockerAuth { username: account.username, password: account.password, auth },
        )]),
    };
    let json = serde_json::to_vec(&config).unwrap_or_default();
    Secret {
        metadata: ObjectMeta {
            name: Some(account.secret_name.to_owned()),
            labels: Some(BTreeMap::from([(MANAGED_LABEL.to_owned(), "true".to_owned())])),
            ..ObjectMeta::default()
        },
        type_: Some("kubernetes.io/dockerconfigjson".into()),
        data: Some(BTreeMap::from([(".dockerconfigjson".to_owned(), ByteString(json))])),
        ..Secret::default()
    }
}

/// Writes the account's Secret into each namespace; the outcome per namespace.
pub async fn apply(
    client: &Client,
    namespaces: &[String],
    account: &RegistryAccount<'_>,
) -> Vec<(String, Result<(), kube::Error>)> {
    let secret = registry_secret(account);
    let mut outcomes = Vec::with_capacity(namespaces.len());
    for namespace in namespaces {
        let api = Api::<Secret>::namespaced(client.clone(), namespace);
        let written = api
            .patch(account.secret_name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&secret))
            .await
            .map(|_| ());
        outcomes.push((namespace.clone(), written));
    }
    outcomes
}

/// Removes the Secret from each namespace (gone already counts as removed).
pub async fn remove(
    client: &Client,
    namespaces: &[String],
    secret_name: &str,
) -> Vec<(String, Result<(), kube::Error>)> {
    let mut outcomes = Vec::with_capacity(namespaces.len());
    for namespace in namespaces {
        let api = Api::<Secret>::namespaced(client.clone(), namespace);
        let removed = match api.delete(secret_name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        };
        outcomes.push((namespace.clone(), removed));
    }
    outcomes
}
