//! Registry pull Secrets fanned out over two clusters with three namespaces each (two
//! clients of the one test API server), updated, removed, and a cluster that is down
//! reported per namespace instead of skipped.

#![allow(clippy::unwrap_used)]

use cubist_kube::registry_secrets::{self, RegistryAccount};
use cubist_kube::testenv;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, Config};

fn account(password: &str) -> RegistryAccount<'_> {
    RegistryAccount { secret_name: "hubsecret-ann", server: "harbor.example.com", username: "robot", password }
}

async fn docker_config(client: &Client, namespace: &str) -> Option<serde_json::Value> {
    let secret = Api::<Secret>::namespaced(client.clone(), namespace).get_opt("hubsecret-ann").await.unwrap()?;
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
    let bytes = &secret.data.unwrap()[".dockerconfigjson"].0;
    Some(serde_json::from_slice(bytes).unwrap())
}

#[tokio::test]
async fn pull_secrets_reach_every_namespace_of_every_cluster() {
    let plane = testenv::shared().unwrap();
    let clusters = [plane.client().await.unwrap(), plane.client().await.unwrap()];
    let mut namespaces = Vec::new();
    for (i, client) in clusters.iter().enumerate() {
        let mut of_cluster = Vec::new();
        for kind in ["pipeline", "notebook", "service"] {
            of_cluster.push(plane.namespace(client, &format!("c{i}-{kind}")).await.unwrap());
        }
        namespaces.push(of_cluster);
    }
    for (client, of_cluster) in clusters.iter().zip(&namespaces) {
        let outcomes = registry_secrets::apply(client, of_cluster, &account("first")).await;
        assert!(outcomes.iter().all(|(_, r)| r.is_ok()), "{outcomes:?}");
    }
    for (client, of_cluster) in clusters.iter().zip(&namespaces) {
        for namespace in of_cluster {
            let config = docker_config(client, namespace).await.unwrap();
            assert_eq!(config["auths"]["harbor.example.com"]["password"], "first", "{namespace}");
            assert_eq!(config["auths"]["harbor.example.com"]["auth"], "cm9ib3Q6Zmlyc3Q=", "base64 of robot:first");
        }
    }
    registry_secrets::apply(&clusters[0], &namespaces[0], &account("second")).await;
    let config = docker_config(&clusters[0], &namespaces[0][2]).await.unwrap();
    assert_eq!(config["auths"]["harbor.example.com"]["password"], "second", "an update replaces it");

    for (client, of_cluster) in clusters.iter().zip(&namespaces) {
        let outcomes = registry_secrets::remove(client, of_cluster, "hubsecret-ann").await;
        assert!(outcomes.iter().all(|(_, r)| r.is_ok()), "{outcomes:?}");
        for namespace in of_cluster {
            assert!(docker_config(client, namespace).await.is_none(), "{namespace}");
        }
    }
    let again = registry_secrets::remove(&clusters[0], &namespaces[0], "hubsecret-ann").await;
    assert!(again.iter().all(|(_, r)| r.is_ok()), "removing twice is fine");

    let mut down = Config::new("https://127.0.0.1:9".parse().unwrap());
    down.accept_invalid_certs = true;
    down.connect_timeout = Some(std::time::Duration::from_secs(2));
    let down = Client::try_from(down).unwrap();
    let outcomes = registry_secrets::apply(&down, &namespaces[0], &account("x")).await;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|(_, r)| r.is_err()), "a cluster that is down says so for each namespace");
}
