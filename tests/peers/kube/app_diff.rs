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
            dry_run: false,
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

/// The dry run before a sync: `POST …/sync` with `dryRun: true` (and the chosen prune), then
/// the Application read until the controller wrote its result; the result counted and named
/// in gitops-engine's words; nothing left pending on the app. Audited as its own action name.
#[tokio::test]
async fn a_dry_run_sync_is_sent_and_its_result_read_back_from_the_app() {
    use opsdeck::actions::gate::Executor as _;
    use opsdeck::model::action::ActionRequest;

    let argo = ArgoServer::start(fixture_applications(), Options::default()).await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "shop"}})
    .to_string();
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "old-token", "namespace": "shop"}})
    .to_string();
    argo.set_managed_resources(
        "cart-service",
        json!({"items": [
            {"kind": "ConfigMap", "namespace": "shop", "name": "cart-config",
             "liveState": config_map("debug"), "targetState": config_map("info"), "modified": true},
            {"group": "batch", "kind": "Job", "namespace": "shop", "name": "migrate",
             "targetState": job, "modified": true},
            {"kind": "Secret", "namespace": "shop", "name": "old-token",
             "liveState": secret, "modified": true}
        ]}),
    );
    let e = executor(Some(&argo)).await;
    let request = ActionRequest::SyncApp {
        namespace: "argocd".into(),
        app: "cart-service".into(),
        prune: false,
        resources: Vec::new(),
        dry_run: true,
    };
    assert_eq!(request.action_name(), "argocd.app.sync.dry_run");
    assert!(!request.dangerous(), "a dry run changes nothing");
    let r = e.execute(&request).await;
    assert_eq!(
        r.status,
        opsdeck::model::platform::OutcomeStatus::Succeeded,
        "{}",
        r.detail
    );
    assert_eq!(
        r.detail,
        "dry run: 1 created · 1 configured · 0 pruned · 0 unchanged · 1 left (no prune) — \
         ConfigMap shop/cart-config: configmap/cart-config configured (dry run); \
         Job shop/migrate: job/migrate created (dry run); \
         Secret shop/old-token: ignored (requires pruning)"
    );
    let calls = argo.calls();
    let post = calls
        .iter()
        .find(|c| c.method == "POST")
        .expect("the sync call");
    assert_eq!(post.path, "/api/v1/applications/cart-service/sync");
    assert_eq!(post.body["dryRun"], json!(true));
    assert_eq!(post.body["prune"], json!(false));
    assert!(
        calls
            .iter()
            .any(|c| c.method == "GET" && c.path == "/api/v1/applications/cart-service"),
        "the result is read back: {calls:?}"
    );
    let app = argo.application("cart-service").expect("app");
    assert!(
        app.get("operation").is_none(),
        "nothing left pending: {app}"
    );

    // With prune, the Secret git no longer has is pruned (in the dry run only).
    let pruning = ActionRequest::SyncApp {
        namespace: "argocd".into(),
        app: "cart-service".into(),
        prune: true,
        resources: Vec::new(),
        dry_run: true,
    };
    let r = e.execute(&pruning).await;
    assert!(
        r.detail
            .starts_with("dry run: 1 created · 1 configured · 1 pruned"),
        "{}",
        r.detail
    );
    assert!(
        r.detail.contains("Secret shop/old-token: pruned (dry run)"),
        "{}",
        r.detail
    );

    // The CR path cannot read a dry run's result back: it says so instead of guessing.
    let (kube, _) = crate::kube::peer().await;
    let cr = KubeExecutor::new(
        kube.client().await,
        vec!["argocd".into()],
        None,
        "alice".into(),
    );
    let r = cr.execute(&request).await;
    assert!(
        r.detail
            .contains("a dry run of a sync needs the Argo CD API server"),
        "{}",
        r.detail
    );
}
