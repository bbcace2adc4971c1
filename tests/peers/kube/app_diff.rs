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

/// Sync windows: read with the token from `…/syncwindows`, parsed and decided as Argo CD's
/// `CanSync(true)` (a manual sync), naming the deny window; the server then refuses the sync
/// with its own words, which reach the user whole. Without an API server, the reason.
#[tokio::test]
async fn sync_windows_are_read_and_a_blocked_sync_is_refused_in_argo_cd_s_words() {
    use opsdeck::actions::gate::Executor as _;
    use opsdeck::model::action::ActionRequest;
    use opsdeck::model::k8s::sync_windows::{Verdict, decide, parse};

    let argo = ArgoServer::start(fixture_applications(), Options::default()).await;
    let freeze = json!({"kind": "deny", "schedule": "0 0 * * 5", "duration": "72h",
        "timeZone": "Europe/Berlin", "manualSync": false, "applications": ["cart-service"]});
    argo.set_sync_windows(
        "cart-service",
        json!({"assignedWindows": [freeze.clone()], "activeWindows": [freeze], "canSync": false}),
    );
    let e = executor(Some(&argo)).await;
    let body = e
        .sync_windows("argocd", "cart-service")
        .await
        .expect("sync windows");
    let calls = argo.calls();
    let call = calls.last().expect("a call");
    assert_eq!(
        (
            call.method.as_str(),
            call.path.as_str(),
            call.query.as_str()
        ),
        ("GET", "/api/v1/applications/cart-service/syncwindows", "")
    );
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {}", argo.token()).as_str())
    );
    let windows = parse(&body).expect("parsed");
    let verdict = decide(&windows, true);
    let Verdict::DeniedBy(window) = &verdict else {
        panic!("expected a deny, got {verdict:?}");
    };
    assert_eq!(
        window.describe(),
        "deny '0 0 * * 5' for 72h (Europe/Berlin), manual sync not allowed"
    );
    let r = e
        .execute(&ActionRequest::SyncApp {
            namespace: "argocd".into(),
            app: "cart-service".into(),
            prune: false,
            resources: Vec::new(),
        })
        .await;
    assert_eq!(
        r.status,
        opsdeck::model::platform::OutcomeStatus::Failed,
        "{}",
        r.detail
    );
    assert!(
        r.detail.contains("cannot sync: blocked by sync window"),
        "{}",
        r.detail
    );

    // An app with no window: an empty answer, no window applies.
    let body = e
        .sync_windows("argocd", "checkout-api")
        .await
        .expect("sync windows");
    assert_eq!(
        decide(&parse(&body).expect("parsed"), true),
        Verdict::NoWindows
    );

    let without = executor(None).await;
    match without.sync_windows("argocd", "cart-service").await {
        Err(ApiReadError::NoApiServer(why)) => {
            assert!(
                why.contains("sync windows need the Argo CD API server"),
                "{why}"
            );
            assert!(why.contains("api_url"), "{why}");
        }
        other => panic!("expected the missing API server named, got {other:?}"),
    }
}
