//! The request/response side of the Kubernetes peer through kube-rs: kubeconfig, discovery,
//! list (dynamic and typed, selectors, pages), get, patches to the right subresource with the
//! exact body, `SelfSubjectAccessReview`, and the error `Status`es (403, 404, 409, 415).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::kube::{application_resource, peer, rollouts};
use crate::support::kube::{ForbidRule, TOKEN, merge_patch};

const PAYMENTS_STATUS: &str =
    "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/payments-api/status";

fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn client_from_kubeconfig_sends_the_token_and_uses_the_context_namespace() {
    let (server, client) = peer().await;
    assert_eq!(client.default_namespace(), "shop");
    let info = client.apiserver_version().await.unwrap();
    assert_eq!(info.git_version, "v1.33.4");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/version");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn discovery_finds_the_argo_resources() {
    let (_server, client) = peer().await;
    let discovery = kube::discovery::Discovery::new(client).run().await.unwrap();
    assert!(discovery.has_group("argoproj.io"));
    let (rollout, caps) = discovery
        .groups()
        .flat_map(kube::discovery::ApiGroup::recommended_resources)
        .find(|(r, _)| r.kind == "Rollout")
        .unwrap();
    assert_eq!(rollout.plural, "rollouts");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    assert!(caps.subresources.iter().any(|(s, _)| s.plural == "status"));
}

#[tokio::test]
async fn lists_applications_as_dynamic_objects() {
    let (server, client) = peer().await;
    let apps: Api<DynamicObject> = Api::namespaced_with(client, "argocd", &application_resource());
    let list = apps.list(&ListParams::default()).await.unwrap();
    let names: Vec<&str> = list
        .items
        .iter()
        .map(|a| a.metadata.name.as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cart-service",
            "checkout-api",
            "payments-api",
            "search-api",
            "storefront"
        ]
    );
    assert_eq!(
        list.metadata.resource_version,
        Some(server.resource_version().to_string())
    );
    // Every item carries its own resourceVersion, older than the list's.
    for app in &list.items {
        let rv: u64 = app
            .metadata
            .resource_version
            .as_deref()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv <= server.resource_version());
    }
    let search = list
        .items
        .iter()
        .find(|a| a.metadata.name.as_deref() == Some("search-api"))
        .unwrap();
    assert_eq!(search.data["status"]["resourceHealthSource"], "appTree");
    let request = &server.requests()[0];
    assert_eq!(
        (request.verb.as_str(), request.path.as_str()),
        (
            "list",
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
        )
    );
}

#[tokio::test]
async fn lists_typed_deployments_and_pods_with_selectors_and_pages() {
    let (_server, client) = peer().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let list = deployments.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 4);
    let paused = list
        .items
        .iter()
        .find(|d| d.metadata.name.as_deref() == Some("recommendations"))
        .unwrap();
    assert_eq!(paused.spec.as_ref().unwrap().paused, Some(true));

    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let cart = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=cart-service"))
        .await
        .unwrap();
    let reasons: Vec<String> = cart
        .items
        .iter()
        .map(|p| {
            let cs = &p
                .status
                .as_ref()
                .unwrap()
                .container_statuses
                .as_ref()
                .unwrap()[0];
            cs.state
                .as_ref()
                .unwrap()
                .waiting
                .as_ref()
                .unwrap()
                .reason
                .clone()
                .unwrap()
        })
        .collect();
    assert_eq!(reasons, ["ErrImagePull", "ImagePullBackOff"]);

    let pending = pods
        .list(&ListParams::default().fields("status.phase=Pending"))
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 4);
    let one = pods
        .list(&ListParams::default().fields("metadata.name=inventory-worker-7b9d8c6f5-h4n7t"))
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);

    // Pages of 3 across every namespace, followed through `continue`.
    let all_pods: Api<Pod> = Api::all(client);
    let mut lp = ListParams::default().limit(3);
    let mut seen = Vec::new();
    loop {
        let page = all_pods.list(&lp).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|p| p.metadata.name.unwrap()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = lp.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 7);
}

#[tokio::test]
async fn get_missing_object_is_a_not_found_status() {
    let (_server, client) = peer().await;
    let deployments: Api<Deployment> = Api::namespaced(client, "shop");
    let status = api_error(deployments.get("nope").await);
    assert_eq!(status.code, 404);
    assert_eq!(status.reason, "NotFound");
    assert_eq!(status.message, "deployments.apps \"nope\" not found");
    assert!(deployments.get_opt("nope").await.unwrap().is_none());
}

#[tokio::test]
async fn promote_patches_the_status_subresource_with_the_exact_merge_patch() {
    let (server, client) = peer().await;
    let before = server.object("Rollout", "shop", "payments-api").unwrap();
    let patch = json!({"status": {"pauseConditions": null}});
    let after = rollouts(&client)
        .patch_status(
            "payments-api",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();

    let patches = server.patches();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].path, PAYMENTS_STATUS);
    assert_eq!(patches[0].subresource.as_deref(), Some("status"));
    assert_eq!(patches[0].content_type, "application/merge-patch+json");
    assert_eq!(patches[0].body, patch);
    assert_eq!(patches[0].status, 200);

    assert!(after.data["status"].get("pauseConditions").is_none());
    assert_eq!(after.data["status"]["currentStepIndex"], 2);
    assert_eq!(after.data["spec"], before["spec"]);
    assert_ne!(
        after.metadata.resource_version.as_deref(),
        before["metadata"]["resourceVersion"].as_str()
    );
}

#[tokio::test]
async fn a_write_to_the_object_leaves_status_alone_and_bumps_generation() {
    let (server, client) = peer().await;
    // `pause`: spec only. The stray status field is dropped, as the real server does for a
    // type with a status subresource.
    let patch = json!({"spec": {"paused": true}, "status": {"abort": true}});
    let after = rollouts(&client)
        .patch(
            "payments-api",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();
    assert_eq!(after.data["spec"]["paused"], true);
    assert!(after.data["status"].get("abort").is_none());
    assert_eq!(after.metadata.generation, Some(10));
    let written = &server.patches()[0];
    assert_eq!(
        written.path,
        "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/payments-api"
    );
    assert_eq!(written.subresource, None);
}

#[tokio::test]
async fn applications_have_no_status_subresource() {
    let (server, client) = peer().await;
    let apps: Api<DynamicObject> = Api::namespaced_with(client, "argocd", &application_resource());
    let terminate = json!({"status": {"operationState": {"phase": "Terminating"}}});
    let status = api_error(
        apps.patch_status(
            "payments-api",
            &PatchParams::default(),
            &Patch::Merge(&terminate),
        )
        .await,
    );
    assert_eq!(status.code, 404);
    // On the object itself it works, as Argo CD's own server does it.
    let after = apps
        .patch(
            "payments-api",
            &PatchParams::default(),
            &Patch::Merge(&terminate),
        )
        .await
        .unwrap();
    assert_eq!(
        after.data["status"]["operationState"]["phase"],
        "Terminating"
    );
    assert_eq!(
        after.data["status"]["operationState"]["startedAt"],
        "2026-08-22T07:55:14Z"
    );
    let statuses: Vec<u16> = server.patches().iter().map(|p| p.status).collect();
    assert_eq!(statuses, [404, 200]);
}

#[tokio::test]
async fn forbidden_patch_is_an_api_error_with_the_real_message() {
    let (server, client) = peer().await;
    server.forbid(
        ForbidRule::new("patch", "argoproj.io", "rollouts")
            .subresource("status")
            .namespace("shop"),
    );
    let status = api_error(
        rollouts(&client)
            .patch_status(
                "payments-api",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"abort": true}})),
            )
            .await,
    );
    assert_eq!(status.code, 403);
    assert_eq!(status.reason, "Forbidden");
    assert_eq!(
        status.message,
        "rollouts.argoproj.io \"payments-api\" is forbidden: User \"dev\" cannot patch resource \"rollouts/status\" in API group \"argoproj.io\" in the namespace \"shop\""
    );
    // The refused patch is still recorded, and the object did not change.
    assert_eq!(server.patches()[0].status, 403);
    assert!(
        server.object("Rollout", "shop", "payments-api").unwrap()["status"]
            .get("abort")
            .is_none()
    );
    // The object itself stays patchable: only the subresource is forbidden.
    rollouts(&client)
        .patch(
            "payments-api",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"paused": true}})),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn self_subject_access_reviews_answer_per_rule() {
    let (server, client) = peer().await;
    server.allow_ssar("patch", "argoproj.io", "rollouts", "");
    server.forbid(ForbidRule::new("patch", "argoproj.io", "rollouts").subresource("status"));
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client);
    let ask = |subresource: &str| SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some("shop".into()),
                verb: Some("patch".into()),
                group: Some("argoproj.io".into()),
                resource: Some("rollouts".into()),
                subresource: (!subresource.is_empty()).then(|| subresource.to_owned()),
                name: Some("payments-api".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let object = reviews
        .create(&PostParams::default(), &ask(""))
        .await
        .unwrap();
    let status = object.status.unwrap();
    assert!(status.allowed);
    assert!(
        status
            .reason
            .unwrap()
            .starts_with("RBAC: allowed by RoleBinding")
    );

    let sub = reviews
        .create(&PostParams::default(), &ask("status"))
        .await
        .unwrap();
    assert!(!sub.status.unwrap().allowed);

    let asked = server.ssar_requests();
    assert_eq!(asked.len(), 2);
    assert_eq!(
        asked[1]["spec"]["resourceAttributes"]["subresource"],
        "status"
    );
}

#[tokio::test]
async fn stale_resource_version_is_a_conflict() {
    let (server, client) = peer().await;
    let api = rollouts(&client);
    let read = api.get("storefront").await.unwrap();
    server.modify("Rollout", "shop", "storefront", |r| {
        r["spec"]["replicas"] = json!(4);
    });
    // A guarded write: the merge patch carries the resourceVersion that was read.
    let guarded = json!({"metadata": {"resourceVersion": read.metadata.resource_version}, "spec": {"paused": true}});
    let status = api_error(
        api.patch(
            "storefront",
            &PatchParams::default(),
            &Patch::Merge(&guarded),
        )
        .await,
    );
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, "Conflict");
    let status = api_error(
        api.replace("storefront", &PostParams::default(), &read)
            .await,
    );
    assert_eq!(status.code, 409);
}

#[tokio::test]
async fn json_patch_applies_and_strategic_merge_is_refused_on_custom_resources() {
    let (server, client) = peer().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let restart = json!([{
        "op": "add",
        "path": "/spec/template/metadata/annotations",
        "value": {"kubectl.kubernetes.io/restartedAt": "2026-08-22T08:00:00Z"},
    }]);
    // `json_patch::Patch` is not nameable from here (kube does not re-export it), but it
    // deserializes from the RFC 6902 array.
    let after = deployments
        .patch(
            "checkout-api",
            &PatchParams::default(),
            &Patch::<()>::Json(serde_json::from_value(restart.clone()).unwrap()),
        )
        .await
        .unwrap();
    let annotations = after
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap();
    assert_eq!(
        annotations["kubectl.kubernetes.io/restartedAt"],
        "2026-08-22T08:00:00Z"
    );
    assert_eq!(
        server.patches()[0].content_type,
        "application/json-patch+json"
    );
    assert_eq!(server.patches()[0].body, restart);

    let status = api_error(
        rollouts(&client)
            .patch(
                "storefront",
                &PatchParams::default(),
                &Patch::Strategic(json!({"spec": {"paused": true}})),
            )
            .await,
    );
    assert_eq!(status.code, 415);
}

/// The kubectl plugin's merge patches (argoproj/argo-rollouts, pkg/kubectl-argo-rollouts/cmd/),
/// each to its subresource: the peer records them verbatim and applies them as the real server
/// would.
#[tokio::test]
async fn documented_rollout_patches_land_on_the_right_subresource() {
    let (server, client) = peer().await;
    let api = rollouts(&client);
    let pp = PatchParams::default();
    let cases = [
        (
            "promote",
            true,
            json!({"status": {"pauseConditions": null}}),
        ),
        (
            "promote mid-step",
            true,
            json!({"status": {"pauseConditions": null, "currentStepIndex": 3}}),
        ),
        (
            "promote --full",
            true,
            json!({"status": {"promoteFull": true}}),
        ),
        ("abort", true, json!({"status": {"abort": true}})),
        ("retry", true, json!({"status": {"abort": false}})),
        (
            "restart",
            false,
            json!({"spec": {"restartAt": "2026-08-22T08:00:00Z"}}),
        ),
        ("pause", false, json!({"spec": {"paused": true}})),
    ];
    for (action, status, patch) in &cases {
        let result = if *status {
            api.patch_status("payments-api", &pp, &Patch::Merge(patch))
                .await
        } else {
            api.patch("payments-api", &pp, &Patch::Merge(patch)).await
        };
        let after = result.unwrap_or_else(|e| panic!("{action}: {e}"));
        let recorded = server.patches().pop().unwrap();
        let want = if *status {
            PAYMENTS_STATUS.to_owned()
        } else {
            PAYMENTS_STATUS.trim_end_matches("/status").to_owned()
        };
        assert_eq!(recorded.path, want, "{action}");
        assert_eq!(&recorded.body, patch, "{action}");
        // What was patched now reads back as patched (nulls removed).
        let mut expected = serde_json::to_value(&after).unwrap();
        merge_patch(&mut expected, patch);
        assert_eq!(serde_json::to_value(&after).unwrap(), expected, "{action}");
    }
    let now = server.object("Rollout", "shop", "payments-api").unwrap();
    assert_eq!(now["status"]["abort"], false);
    assert_eq!(now["status"]["currentStepIndex"], 3);
    assert_eq!(now["spec"]["restartAt"], "2026-08-22T08:00:00Z");

    // `abort` falls back to the object when the status subresource is a 404 (v0.9 CRDs).
    server.set_status_subresource("rollouts", false);
    let abort = json!({"status": {"abort": true}});
    assert_eq!(
        api_error(
            api.patch_status("storefront", &pp, &Patch::Merge(&abort))
                .await
        )
        .code,
        404
    );
    let after = api
        .patch("storefront", &pp, &Patch::Merge(&abort))
        .await
        .unwrap();
    assert_eq!(after.data["status"]["abort"], true);
}
