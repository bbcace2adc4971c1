//! opsdeck's own Kubernetes watch layer (`opsdeck::sources::kube`) against the test peer: the
//! client built from a kubeconfig and a named context, the coalesced snapshots of the
//! reflector stores (initial list, updates, re-list after 410 Expired, a 403 on one kind only,
//! bursts), and `can_i` through `SelfSubjectAccessReview`.

use std::sync::Arc;
use std::time::Duration;

use opsdeck::sources::kube::{
    Access, KindHealth, KubeKind, KubeSnapshot, KubeWatch, WatchScope, can_i, client_for_context,
};
use serde_json::json;
use tokio::sync::watch;

use crate::support;
use crate::support::kube::{ForbidRule, KubeServer};

/// A peer with every fixture, and a client built the way opsdeck builds it.
async fn start() -> (KubeServer, kube::Client, tempfile::TempDir) {
    let server = KubeServer::start(support::kube::fixtures()).await;
    server.clear_records();
    let dir = tempfile::tempdir().unwrap();
    let path = server.write_kubeconfig(dir.path());
    let client = client_for_context(support::kube::CONTEXT, Some(&path))
        .await
        .unwrap();
    (server, client, dir)
}

fn scope() -> WatchScope {
    WatchScope {
        argo_namespaces: vec!["argocd".into()],
        workload_namespaces: vec!["shop".into()],
    }
}

/// Waits (10 s at most) for a snapshot satisfying `pred` and returns it.
async fn wait_for(
    rx: &mut watch::Receiver<Arc<KubeSnapshot>>,
    what: &str,
    pred: impl Fn(&KubeSnapshot) -> bool,
) -> Arc<KubeSnapshot> {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let snapshot = Arc::clone(&rx.borrow_and_update());
            if pred(&snapshot) {
                return snapshot;
            }
            rx.changed().await.expect("the watch is running");
        }
    })
    .await;
    found.unwrap_or_else(|_elapsed| {
        panic!(
            "no snapshot with {what} within 10 s: {:?}",
            rx.borrow().health
        )
    })
}

fn names<K: kube::Resource>(objects: &[Arc<K>]) -> Vec<String> {
    objects
        .iter()
        .map(|o| o.meta().name.clone().unwrap_or_default())
        .collect()
}

fn fixture_names(server: &KubeServer, kind: &str, namespace: &str) -> Vec<String> {
    let mut names: Vec<String> = server
        .objects(kind)
        .into_iter()
        .filter(|o| o["metadata"]["namespace"] == namespace)
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn step_index(snapshot: &KubeSnapshot, name: &str) -> Option<i32> {
    snapshot
        .rollouts
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name))
        .and_then(|r| r.status.current_step_index)
}

fn all_ok(snapshot: &KubeSnapshot) -> bool {
    KubeKind::ALL
        .iter()
        .all(|&k| *snapshot.health(k) == KindHealth::Ok)
}

#[tokio::test]
async fn first_synced_snapshot_holds_the_fixtures() {
    let (server, client, _dir) = start().await;
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    let snapshot = wait_for(&mut rx, "every kind listed", all_ok).await;

    assert_eq!(
        names(&snapshot.applications),
        fixture_names(&server, "Application", "argocd")
    );
    assert!(!snapshot.applications.is_empty());
    assert_eq!(
        names(&snapshot.rollouts),
        ["payments-api", "search-api", "storefront"]
    );
    assert_eq!(
        names(&snapshot.deployments),
        fixture_names(&server, "Deployment", "shop")
    );
    assert_eq!(
        snapshot
            .pods
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>(),
        fixture_names(&server, "Pod", "shop")
    );
    assert!(!snapshot.pods.is_empty());
    assert_eq!(
        names(&snapshot.replica_sets),
        fixture_names(&server, "ReplicaSet", "shop")
    );
    assert_eq!(
        names(&snapshot.analysis_runs),
        fixture_names(&server, "AnalysisRun", "shop")
    );
    assert!(!snapshot.events.is_empty());
    assert!(
        snapshot
            .events
            .iter()
            .all(|e| e.type_.as_deref() == Some("Warning"))
    );
    // Pods are kept compact: the fields the panes read, within the 1.5 KB budget.
    for pod in &snapshot.pods {
        assert!(
            pod.footprint() <= 1536,
            "{}: {} bytes",
            pod.name,
            pod.footprint()
        );
        assert!(!pod.status_word.is_empty(), "{pod:?}");
        assert!(
            pod.containers.iter().all(|c| !c.image.is_empty()),
            "{pod:?}"
        );
    }
    // Only the namespaces in scope were asked for.
    for request in server.requests() {
        if request.verb == "list" || request.verb == "watch" {
            assert!(
                request.path.contains("/namespaces/shop/")
                    || request.path.contains("/namespaces/argocd/"),
                "{}",
                request.path
            );
        }
    }
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.resource == "applications")
            .all(|r| r.path.contains("/namespaces/argocd/"))
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.resource == "events" && r.query.contains("fieldSelector=type%3DWarning"))
    );
}

#[tokio::test]
async fn an_update_shows_up_in_a_later_snapshot() {
    let (server, client, _dir) = start().await;
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    let first = wait_for(&mut rx, "every kind listed", all_ok).await;
    assert_ne!(step_index(&first, "payments-api"), Some(7));

    server.modify("Rollout", "shop", "payments-api", |r| {
        r["status"]["currentStepIndex"] = json!(7);
    });
    let later = wait_for(&mut rx, "the new step", |s| {
        step_index(s, "payments-api") == Some(7)
    })
    .await;
    assert!(later.generation > first.generation);
}

/// A Rollout whose `status.conditions` is not a list (an old or hand-edited object) used to
/// fail its own deserialization and with it the whole list of Rollouts. Now the list reads,
/// and the object carries a "cannot read" note naming the field.
#[tokio::test]
async fn a_malformed_rollout_is_listed_with_a_note_and_hides_nothing() {
    let (server, client, _dir) = start().await;
    server.modify("Rollout", "shop", "payments-api", |r| {
        r["status"]["conditions"] = json!("not a list");
    });
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    let snapshot = wait_for(&mut rx, "every kind listed", all_ok).await;
    assert_eq!(
        names(&snapshot.rollouts),
        fixture_names(&server, "Rollout", "shop"),
        "every Rollout is listed"
    );
    let broken = snapshot
        .rollouts
        .iter()
        .find(|r| r.name() == "payments-api")
        .expect("the malformed Rollout is listed");
    assert_eq!(
        broken.notes,
        ["cannot read status.conditions: invalid type: string \"not a list\", expected a sequence"]
    );
    assert!(broken.status.conditions.is_empty());
}

#[tokio::test]
async fn a_410_expired_watch_relists_and_keeps_delivering() {
    let (server, client, _dir) = start().await;
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    wait_for(&mut rx, "every kind listed", all_ok).await;
    assert_eq!(server.request_count("list", "rollouts"), 1);

    // Mid-stream 410 on every open watch: each watcher lists again.
    server.expire_watches();
    tokio::time::timeout(Duration::from_secs(10), async {
        while server.request_count("list", "rollouts") < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a re-list after the 410");
    server.modify("Rollout", "shop", "storefront", |r| {
        r["status"]["currentStepIndex"] = json!(11);
    });
    let snapshot = wait_for(&mut rx, "the change after the re-list", |s| {
        step_index(s, "storefront") == Some(11)
    })
    .await;
    // The 410 is routine, not an error a pane should show.
    assert!(all_ok(&snapshot), "{:?}", snapshot.health);

    // A 410 on the next watch opened (the one after a clean close).
    server.set_expire_next_watch();
    server.close_watches();
    server.modify("Rollout", "shop", "storefront", |r| {
        r["status"]["currentStepIndex"] = json!(12);
    });
    let snapshot = wait_for(&mut rx, "the change after the second 410", |s| {
        step_index(s, "storefront") == Some(12)
    })
    .await;
    assert!(all_ok(&snapshot), "{:?}", snapshot.health);
    let deleted = server.delete("Rollout", "shop", "search-api");
    assert!(deleted.is_some());
    wait_for(&mut rx, "the deletion", |s| {
        names(&s.rollouts) == ["payments-api", "storefront"]
    })
    .await;
}

#[tokio::test]
async fn a_forbidden_kind_reports_the_403_and_the_others_stay_ok() {
    let (server, client, _dir) = start().await;
    server.forbid(ForbidRule::new("list", "argoproj.io", "rollouts"));
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    let snapshot = wait_for(&mut rx, "the rollouts error and the rest listed", |s| {
        matches!(s.health(KubeKind::Rollouts), KindHealth::Error(_))
            && KubeKind::ALL
                .iter()
                .filter(|&&k| k != KubeKind::Rollouts)
                .all(|&k| *s.health(k) == KindHealth::Ok)
    })
    .await;
    let KindHealth::Error(message) = snapshot.health(KubeKind::Rollouts) else {
        unreachable!()
    };
    assert!(message.starts_with("403 Forbidden: "), "{message}");
    assert!(
        message.contains("cannot list resource \"rollouts\" in API group \"argoproj.io\""),
        "{message}"
    );
    assert!(snapshot.rollouts.is_empty());
    assert!(!snapshot.pods.is_empty());
    assert!(!snapshot.applications.is_empty());
}

#[tokio::test]
async fn a_burst_of_updates_is_coalesced() {
    let (server, client, _dir) = start().await;
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    let first = wait_for(&mut rx, "every kind listed", all_ok).await;

    for i in 0..200 {
        server.modify("Rollout", "shop", "payments-api", |r| {
            r["status"]["currentStepIndex"] = json!(1000 + i);
        });
    }
    let last = wait_for(&mut rx, "the last update", |s| {
        step_index(s, "payments-api") == Some(1199)
    })
    .await;
    let published = last.generation - first.generation;
    assert!(
        (1..=20).contains(&published),
        "200 events gave {published} snapshots"
    );
}

#[tokio::test]
async fn dropping_the_watch_closes_every_stream() {
    let (server, client, _dir) = start().await;
    let watch = KubeWatch::spawn(&client, &scope());
    let mut rx = watch.subscribe();
    wait_for(&mut rx, "every kind listed", all_ok).await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while server.open_watches() < KubeKind::ALL.len() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("one watch per kind and namespace");
    drop(watch);
    tokio::time::timeout(Duration::from_secs(10), async {
        while server.open_watches() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the watches close after drop");
}

#[tokio::test]
async fn can_i_asks_a_self_subject_access_review() {
    let (server, client, _dir) = start().await;
    server.allow_ssar("patch", "argoproj.io", "rollouts", "");
    server.deny_ssar("patch", "argoproj.io", "rollouts", "status");
    let allowed = can_i(
        &client,
        "patch",
        "argoproj.io",
        "rollouts",
        "",
        Some("shop"),
        Some("payments-api"),
    )
    .await
    .unwrap();
    assert_eq!(allowed, Access::Allowed);
    let denied = can_i(
        &client,
        "patch",
        "argoproj.io",
        "rollouts",
        "status",
        Some("shop"),
        Some("payments-api"),
    )
    .await
    .unwrap();
    assert!(matches!(denied, Access::Denied(_)), "{denied:?}");

    let asked = server.ssar_requests();
    assert_eq!(asked.len(), 2);
    let attrs = &asked[0]["spec"]["resourceAttributes"];
    assert_eq!(attrs["namespace"], "shop");
    assert_eq!(attrs["name"], "payments-api");
    assert_eq!(attrs["verb"], "patch");
    assert!(
        attrs
            .get("subresource")
            .is_none_or(serde_json::Value::is_null)
    );
    assert_eq!(
        asked[1]["spec"]["resourceAttributes"]["subresource"],
        "status"
    );
}

#[tokio::test]
async fn an_unknown_context_is_an_error_naming_it() {
    let server = KubeServer::start(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = server.write_kubeconfig(dir.path());
    let Err(error) = client_for_context("prod-eu", Some(&path)).await else {
        panic!("a client for a context the kubeconfig lacks");
    };
    assert!(error.contains("\"prod-eu\""), "{error}");
    assert!(error.contains(support::kube::CONTEXT), "{error}");
    let missing = dir.path().join("nope");
    let Err(error) = client_for_context("prod-eu", Some(&missing)).await else {
        panic!("a client from a missing kubeconfig");
    };
    assert!(
        error.contains("\"prod-eu\"") && error.contains("nope"),
        "{error}"
    );
}

/// The app-facing source: snapshots arrive as `SourceBody::Kube` events and fill the
/// `:apps` rows; a kube context that does not exist is the source's error, by name.
#[tokio::test]
async fn the_source_feeds_the_apps_pane_and_names_a_bad_context() {
    use opsdeck::app::panes::apps::AppsPane;
    use opsdeck::model::SourceHealth;
    use opsdeck::sources::{SourceBody, SourceId};

    let server = KubeServer::start(support::kube::fixtures()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = server.write_kubeconfig(dir.path());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let _handle = opsdeck::sources::kube::source::spawn(
        Some(path.clone()),
        support::kube::CONTEXT.into(),
        scope(),
        3,
        tx,
    );
    let mut pane = AppsPane::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !pane.loaded {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a snapshot in time")
            .expect("source alive");
        assert_eq!((event.source, event.generation), (SourceId::Kube, 3));
        if let SourceBody::Kube(snapshot) = event.body
            && !snapshot.applications.is_empty()
        {
            pane.set_snapshot(&snapshot);
        }
    }
    assert!(pane.rows.len() >= 5, "{} apps", pane.rows.len());
    let first = pane.selected().expect("a row");
    assert!(
        matches!(
            first.attention,
            opsdeck::model::k8s::app_row::Attention::Critical
        ),
        "the degraded app first: {first:?}"
    );

    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let _bad =
        opsdeck::sources::kube::source::spawn(Some(path), "no-such-context".into(), scope(), 4, tx);
    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an answer")
        .expect("an event");
    let SourceBody::Health(SourceHealth::Error { message, .. }) = event.body else {
        panic!("an error: {:?}", event.body)
    };
    assert!(message.contains("no-such-context"), "{message}");
}

/// A kubeconfig whose user is an exec credential plugin (as EKS's `aws eks get-token`, GKE's
/// `gke-gcloud-auth-plugin` and OIDC's `kubelogin` write them): the client runs the command,
/// reads the `ExecCredential` it prints, and sends its token; the plugin sees the `env` the
/// kubeconfig gives it.
#[tokio::test]
async fn an_exec_credential_plugin_in_the_kubeconfig_is_run_and_its_token_sent() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = KubeServer::start(support::kube::fixtures()).await;
    server.clear_records();
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("plugin-ran");
    let plugin = dir.path().join("get-token");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho \"$CLUSTER_NAME\" > {ran}\n\
             printf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\
             \"kind\":\"ExecCredential\",\"status\":{{\"token\":\"exec-token-'\"$CLUSTER_NAME\"'\",\
             \"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}}}'\n",
            ran = ran.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let context = support::kube::CONTEXT;
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {context}\n\
         clusters:\n- name: {context}\n  cluster:\n    server: {url}\n\
         contexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: eks-user\n\
         users:\n- name: eks-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n\
         \x20     command: {plugin}\n      args: [\"--cluster\", \"shop\"]\n\
         \x20     env:\n      - name: CLUSTER_NAME\n        value: shop\n\
         \x20     interactiveMode: Never\n",
        url = server.url(),
        plugin = plugin.display()
    );
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig).unwrap();
    let client = client_for_context(context, Some(&path)).await.unwrap();
    let access = can_i(
        &client,
        "patch",
        "argoproj.io",
        "rollouts",
        "",
        Some("shop"),
        None,
    )
    .await;
    assert!(access.is_ok(), "the call went through: {access:?}");
    assert_eq!(std::fs::read_to_string(&ran).unwrap().trim(), "shop");
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.authorization.as_deref(),
            Some("Bearer exec-token-shop"),
            "{} {}",
            r.method,
            r.path
        );
    }
}
