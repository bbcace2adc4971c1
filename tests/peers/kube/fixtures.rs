//! The fixtures are shaped like real objects: every built-in kind deserializes into its
//! k8s-openapi type (which rejects a wrong `apiVersion`/`kind` and wrong field types), and the
//! Argo CD and Argo Rollouts objects carry the states the panes must render.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use serde_json::Value;

use crate::support::kube::{fixture, fixtures, flatten};

fn of_kind(kind: &str) -> Vec<Value> {
    fixtures()
        .into_iter()
        .filter(|o| o["kind"] == kind)
        .collect()
}

fn named<'a>(objects: &'a [Value], name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
}

#[test]
fn built_in_kinds_deserialize_into_their_k8s_openapi_types() {
    let all = fixtures();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for object in &all {
        let kind = object["kind"].as_str().unwrap().to_owned();
        let parsed = match kind.as_str() {
            "Deployment" => serde_json::from_value::<Deployment>(object.clone()).map(drop),
            "ReplicaSet" => serde_json::from_value::<ReplicaSet>(object.clone()).map(drop),
            "Pod" => serde_json::from_value::<Pod>(object.clone()).map(drop),
            "Event" => serde_json::from_value::<Event>(object.clone()).map(drop),
            "Namespace" => serde_json::from_value::<Namespace>(object.clone()).map(drop),
            _ => Ok(()),
        };
        parsed.unwrap_or_else(|e| panic!("{kind} {}: {e}", object["metadata"]["name"]));
        *counts.entry(kind).or_default() += 1;
    }
    let counts: Vec<(&str, usize)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        counts,
        [
            ("AnalysisRun", 1),
            ("Application", 5),
            ("Deployment", 4),
            ("Event", 8),
            ("Namespace", 2),
            ("Pod", 7),
            ("ReplicaSet", 13),
            ("Rollout", 3),
        ]
    );
}

#[test]
fn every_object_has_identity_and_uids_are_unique() {
    let all = fixtures();
    let mut uids = std::collections::HashSet::new();
    for o in &all {
        let m = &o["metadata"];
        assert!(m["name"].is_string(), "{o}");
        assert!(
            uids.insert(m["uid"].as_str().unwrap().to_owned()),
            "duplicate uid in {}",
            m["name"]
        );
        if o["kind"] != "Namespace" {
            assert!(
                m["namespace"] == "shop" || m["namespace"] == "argocd",
                "{}",
                m["name"]
            );
        }
    }
}

#[test]
fn owner_references_point_at_fixture_objects_by_uid() {
    let all = fixtures();
    for o in &all {
        let Some(owners) = o["metadata"]["ownerReferences"].as_array() else {
            continue;
        };
        for owner in owners {
            let found = all.iter().any(|p| {
                p["kind"] == owner["kind"]
                    && p["metadata"]["name"] == owner["name"]
                    && p["metadata"]["uid"] == owner["uid"]
            });
            assert!(
                found,
                "{} owner {owner} is not a fixture",
                o["metadata"]["name"]
            );
        }
    }
}

#[test]
fn applications_cover_the_argo_cd_states() {
    let apps = of_kind("Application");
    let checkout = named(&apps, "checkout-api");
    assert_eq!(checkout["status"]["sync"]["status"], "Synced");
    assert_eq!(checkout["status"]["health"]["status"], "Healthy");
    let ids: Vec<i64> = checkout["status"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [7, 8, 9], "history is oldest first");

    let cart = named(&apps, "cart-service");
    assert_eq!(cart["status"]["sync"]["status"], "OutOfSync");
    assert_eq!(cart["status"]["health"]["status"], "Degraded");
    let conditions: Vec<&str> = cart["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(conditions, ["ComparisonError", "SyncError"]);
    let out_of_sync = cart["status"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "OutOfSync")
        .count();
    assert_eq!(out_of_sync, 2);

    let payments = named(&apps, "payments-api");
    assert!(payments["operation"]["sync"].is_object());
    assert_eq!(payments["status"]["operationState"]["phase"], "Running");

    let storefront = named(&apps, "storefront");
    assert!(storefront["spec"]["syncPolicy"]["automated"].is_object());

    let search = named(&apps, "search-api");
    assert_eq!(search["status"]["resourceHealthSource"], "appTree");
    assert!(
        search["status"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("health").is_none()),
        "Argo CD 3.x does not persist per-resource health"
    );
}

#[test]
fn rollouts_cover_canary_blue_green_and_aborted() {
    let canary = fixture("rollout-payments-api-canary-paused");
    let s = &canary["status"];
    assert_eq!(
        canary["spec"]["strategy"]["canary"]["steps"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(s["currentStepIndex"], 2);
    assert_eq!(s["pauseConditions"][0]["reason"], "CanaryPauseStep");
    // setWeight 20 was the last weight step; 1 of 2 canary pods is available (the other is in
    // CrashLoopBackOff), so the actual weight is 10%.
    assert_eq!(
        canary["spec"]["strategy"]["canary"]["steps"][1]["setWeight"],
        20
    );
    let canary_rs = flatten(fixture("replicasets-rollouts"));
    let rs = named(&canary_rs, "payments-api-6d9f8b7c5d");
    assert_eq!(rs["status"]["availableReplicas"], 1);
    assert_eq!(
        rs["metadata"]["annotations"]["rollout.argoproj.io/revision"],
        "12"
    );
    assert_eq!(
        rs["metadata"]["labels"]["rollouts-pod-template-hash"],
        "6d9f8b7c5d"
    );

    let bg = fixture("rollout-storefront-bluegreen-paused");
    assert_eq!(
        bg["status"]["pauseConditions"][0]["reason"],
        "BlueGreenPause"
    );
    assert_ne!(
        bg["status"]["blueGreen"]["activeSelector"],
        bg["status"]["blueGreen"]["previewSelector"]
    );

    let aborted = fixture("rollout-search-api-aborted");
    assert_eq!(aborted["status"]["abort"], true);
    assert_eq!(aborted["status"]["phase"], "Degraded");
    let run = fixture("analysisrun-search-api-failed");
    assert_eq!(run["status"]["phase"], "Failed");
}

#[test]
fn pods_cover_every_stuck_state() {
    let pods: Vec<Pod> = flatten(fixture("pods-stuck"))
        .into_iter()
        .map(|p| serde_json::from_value(p).unwrap())
        .collect();
    let waiting: Vec<String> = pods
        .iter()
        .filter_map(|p| {
            let cs = p.status.as_ref()?.container_statuses.as_ref()?.first()?;
            cs.state.as_ref()?.waiting.as_ref()?.reason.clone()
        })
        .collect();
    for reason in [
        "ImagePullBackOff",
        "ErrImagePull",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
    ] {
        assert!(
            waiting.iter().any(|w| w == reason),
            "no pod in {reason}: {waiting:?}"
        );
    }
    let crash = pods
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("payments-api-6d9f8b7c5d-q8w2r"))
        .unwrap();
    let cs = &crash
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert_eq!(cs.restart_count, 7);
    assert!(cs.last_state.as_ref().unwrap().terminated.is_some());

    let unschedulable = pods.iter().any(|p| {
        let status = p.status.as_ref().unwrap();
        status.phase.as_deref() == Some("Pending")
            && status.conditions.iter().flatten().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
    });
    assert!(unschedulable);
}

#[test]
fn deployments_cover_complete_rolling_paused_and_deadline_exceeded() {
    let d = |stem: &str| serde_json::from_value::<Deployment>(fixture(stem)).unwrap();
    let progressing = |d: &Deployment| {
        let c = d.status.as_ref().unwrap().conditions.as_ref().unwrap();
        c.iter()
            .find(|c| c.type_ == "Progressing")
            .unwrap()
            .reason
            .clone()
            .unwrap()
    };
    assert_eq!(
        progressing(&d("deployment-checkout-api-complete")),
        "NewReplicaSetAvailable"
    );
    assert_eq!(
        progressing(&d("deployment-inventory-worker-rolling")),
        "ReplicaSetUpdated"
    );
    assert_eq!(
        progressing(&d("deployment-recommendations-paused")),
        "DeploymentPaused"
    );
    assert_eq!(
        d("deployment-recommendations-paused").spec.unwrap().paused,
        Some(true)
    );
    assert_eq!(
        progressing(&d("deployment-cart-service-deadline-exceeded")),
        "ProgressDeadlineExceeded"
    );
    let events: Vec<Event> = flatten(fixture("events-warnings"))
        .into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect();
    assert!(events.iter().all(|e| e.type_.as_deref() == Some("Warning")));
}
