//! Saving a repository writes its pull Secret into every pipeline namespace of every
//! Kubernetes cluster (the namespaces of the org projects on it), on the real test control
//! plane; a cluster that cannot be reached is shown as `failed` with the reason; a new
//! password and a new Secret name reach the cluster; deleting the repository removes them.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use cubist_kube::clusters::{ClusterSettings, Source};
use cubist_kube::testenv;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client as KubeClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Backend, Client, TestApp};

/// The password in the named Secret of `namespace`, if the Secret is there.
async fn password_in(kube: &KubeClient, namespace: &str, name: &str) -> Option<String> {
    let secret = Api::<Secret>::namespaced(kube.clone(), namespace).get_opt(name).await.unwrap()?;
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
    let config: Value = serde_json::from_slice(&secret.data.unwrap()[".dockerconfigjson"].0).unwrap();
    Some(config["auths"]["harbor.example.com"]["password"].as_str().unwrap().to_owned())
}

/// Waits until the repository's syncs satisfy `done`; returns them by cluster.
async fn syncs_when(client: &Client, id: &Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let repo: Value = client.get_as(&format!("/api/v1/repositories/{id}")).await;
        if done(&repo["secret_syncs"]) {
            return repo["secret_syncs"].clone();
        }
        assert!(Instant::now() < deadline, "the syncs did not get there: {repo}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn state_of<'a>(syncs: &'a Value, cluster: &str) -> &'a str {
    syncs.as_array().unwrap().iter().find(|s| s["cluster"] == cluster).map_or("", |s| s["state"].as_str().unwrap())
}

/// Waits until `check` holds for the Secret's password in every namespace.
async fn secrets_when(kube: &KubeClient, namespaces: &[String], name: &str, check: impl Fn(Option<&str>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for namespace in namespaces {
        while !check(password_in(kube, namespace, name).await.as_deref()) {
            assert!(Instant::now() < deadline, "{namespace}/{name} did not get there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

on_both_databases!(a_repository_reaches_every_pipeline_namespace_of_every_cluster, fan_out);

async fn fan_out(backend: Backend) {
    let plane = testenv::shared().unwrap();
    let kube = plane.client().await.unwrap();
    let mut namespaces = Vec::new();
    for prefix in ["team-a", "team-b"] {
        namespaces.push(plane.namespace(&kube, prefix).await.unwrap());
    }
    let kubeconfig = plane.kubeconfig.clone();
    let app = TestApp::spawn_with(backend, move |c| {
        c.clusters = ["local", "testenv", "offline"].map(String::from).to_vec();
        c.cluster_settings = vec![ClusterSettings {
            name: "testenv".into(),
            source: Source::Kubeconfig { path: kubeconfig, context: None },
        }];
    })
    .await;
    let admin = app.admin().await;
    for (i, namespace) in namespaces.iter().enumerate() {
        let expand = json!({"cluster": "testenv", "namespaces": {"pipeline": namespace}});
        let body = json!({"name": format!("team-{i}"), "kind": "org", "expand": expand});
        let (status, project) = admin.post("/api/v1/projects", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{project}");
    }
    let body = json!({"name": "harbor", "server": "harbor.example.com", "username": "robot", "password": "first",
        "hubsecret": "harbor-pull"});
    let (status, repo) = admin.post("/api/v1/repositories", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{repo}");
    let id = repo["id"].clone();

    let syncs =
        syncs_when(&admin, &id, |s| state_of(s, "testenv") == "applied" && state_of(s, "offline") == "failed").await;
    assert_eq!(syncs.as_array().unwrap().len(), 2, "one per Kubernetes cluster, none for local: {syncs}");
    let offline = syncs.as_array().unwrap().iter().find(|s| s["cluster"] == "offline").unwrap();
    assert!(offline["message"].as_str().unwrap().contains("offline"), "the reason is shown: {offline}");
    secrets_when(&kube, &namespaces, "harbor-pull", |p| p == Some("first")).await;
    assert!(!repo.to_string().contains("first"), "the password never leaves the server: {repo}");

    let (status, _) = admin.patch(&format!("/api/v1/repositories/{id}"), &json!({"password": "second"})).await;
    assert_eq!(status, StatusCode::OK);
    secrets_when(&kube, &namespaces, "harbor-pull", |p| p == Some("second")).await;

    let (status, _) = admin.patch(&format!("/api/v1/repositories/{id}"), &json!({"hubsecret": "harbor-pull-2"})).await;
    assert_eq!(status, StatusCode::OK);
    secrets_when(&kube, &namespaces, "harbor-pull-2", |p| p == Some("second")).await;
    secrets_when(&kube, &namespaces, "harbor-pull", |p| p.is_none()).await;

    // A project made later on the cluster gets the Secret in its namespace too.
    let later = plane.namespace(&kube, "team-c").await.unwrap();
    let expand = json!({"cluster": "testenv", "namespaces": {"pipeline": later}});
    let (status, _) = admin.post("/api/v1/projects", &json!({"name": "team-c", "kind": "org", "expand": expand})).await;
    assert_eq!(status, StatusCode::CREATED);
    secrets_when(&kube, std::slice::from_ref(&later), "harbor-pull-2", |p| p == Some("second")).await;
    namespaces.push(later);

    // Two repositories may share a Secret name: the last saved is written; deleting it
    // hands the Secret back to the other instead of removing it.
    let body = json!({"name": "harbor-2", "server": "harbor.example.com", "username": "robot", "password": "third",
        "hubsecret": "harbor-pull-2"});
    let (status, second) = admin.post("/api/v1/repositories", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    secrets_when(&kube, &namespaces, "harbor-pull-2", |p| p == Some("third")).await;
    let (status, _) = admin.delete(&format!("/api/v1/repositories/{}", second["id"])).await;
    assert_eq!(status.as_u16() / 100, 2);
    secrets_when(&kube, &namespaces, "harbor-pull-2", |p| p == Some("second")).await;

    let (status, _) = admin.delete(&format!("/api/v1/repositories/{id}")).await;
    assert_eq!(status.as_u16() / 100, 2);
    secrets_when(&kube, &namespaces, "harbor-pull-2", |p| p.is_none()).await;
}
