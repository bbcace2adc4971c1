//! The diff's read against the Argo CD API peer: `GET …/managed-resources` with the bearer
//! token (and `appNamespace` for an app outside Argo CD's namespace), the body handed on as
//! it came and diffed by the model; Argo CD's RBAC denial in its words; and, with no API
//! server configured, the reason and how to configure one instead of silence.

use opsdeck::config::SecretRef;
use opsdeck::model::k8s::app_diff::{Change, build};
use opsdeck::sources::kube::exec::{ApiReadError, ArgoApi, KubeExecutor};
use serde_json::json;

use crate::support::argocd::{ArgoServer, Options, fixture_applications};

fn config_map(level: &str) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cart-config", "namespace": "shop", "uid": "u-1", "resourceVersion": "9"},
        "data": {"LOG_LEVEL": level}})
    .to_string()
}

async fn executor(argo: Option<&ArgoServer>) -> KubeExecutor {
    let (kube, _) = crate::kube::peer().await;
    let api = argo.map(|argo| ArgoApi {
        url: argo.url(),
        token: Some(SecretRef::Command(format!("printf %s {}", argo.token()))),
        tls: opsdeck::config::HttpTls::default(),
    });
    KubeExecutor::new(
        kube.client().await,
        vec!["argocd".into()],
        api,
        "alice".into(),
    )
}

#[tokio::test]
async fn managed_resources_are_read_with_the_token_and_diffed() {
    let argo = ArgoServer::start(fixture_applications(), Options::default()).await;
    argo.set_managed_resources(
        "cart-service",
        json!({"items": [{"kind": "ConfigMap", "namespace": "shop", "name": "cart-config",
            "liveState": config_map("debug"), "normalizedLiveState": config_map("debug"),
            "targetState": config_map("info"), "modified": true}]}),
    );
    let e = executor(Some(&argo)).await;
    let body = e
        .managed_resources("argocd", "cart-service")
        .await
        .expect("managed resources");
    let calls = argo.calls();
    let call = calls.last().expect("a call");
    assert_eq!(call.method, "GET");
    assert_eq!(
        call.path,
        "/api/v1/applications/cart-service/managed-resources"
    );
    assert_eq!(
        call.query, "",
        "an app in Argo CD's own namespace names no appNamespace"
    );
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {}", argo.token()).as_str())
    );
    assert_eq!(call.status, 200);
    let diff = build(&body).expect("diff");
    assert_eq!(diff.resources.len(), 1);
    assert_eq!(diff.resources[0].change, Change::Changed);
    let lines = diff.plain_lines();
    assert!(
        lines.contains(&"-  LOG_LEVEL: debug".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"+  LOG_LEVEL: info".to_owned()),
        "{lines:#?}"
    );

    // Apps in another namespace name it, as every other API call does.
    let _ = e.managed_resources("team-apps", "cart-service").await;
    let calls = argo.calls();
    assert_eq!(
        calls.last().expect("a call").query,
        "appNamespace=team-apps"
    );
}

#[tokio::test]
async fn argo_cd_rbac_denial_and_a_missing_api_server_are_said() {
    let argo = ArgoServer::start(fixture_applications(), Options::default()).await;
    argo.deny("get", "cart-service");
    let e = executor(Some(&argo)).await;
    let err = e
        .managed_resources("argocd", "cart-service")
        .await
        .expect_err("denied");
    let ApiReadError::Failed(message) = err else {
        panic!("expected the server's refusal, got {err:?}");
    };
    assert!(message.contains("403"), "{message}");
    assert!(message.contains("permission denied"), "{message}");

    let e = executor(None).await;
    let err = e
        .managed_resources("argocd", "cart-service")
        .await
        .expect_err("no API server");
    let ApiReadError::NoApiServer(message) = err else {
        panic!("expected the missing-server reason, got {err:?}");
    };
    assert!(
        message.starts_with("the diff needs the Argo CD API server"),
        "{message}"
    );
    assert!(message.contains("api_url"), "{message}");
}
