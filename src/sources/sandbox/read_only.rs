//! The sandbox's read-only workloads, so the rollouts pane shows a `StatefulSet`, a `DaemonSet`
//! and a Job with Argo CD's health in `opsdeck sandbox`: the payments squad's database
//! (a healthy `StatefulSet`), a log shipper (a `DaemonSet` one node short of available), and a
//! migration Job still running (a job-like pod: Argo CD calls it Progressing).

use jiff::Timestamp;
use serde_json::{Value, json};

const NAMESPACE: &str = "payments";

fn meta(kind: &str, name: &str, created: Timestamp) -> Value {
    json!({"name": name, "namespace": NAMESPACE, "uid": format!("uid-{kind}-{NAMESPACE}-{name}"),
           "generation": 2, "creationTimestamp": created.to_string()})
}

fn template(app: &str, image: &str, restart: &str) -> Value {
    json!({"metadata": {"labels": {"app": app}},
           "spec": {"restartPolicy": restart, "containers": [{"name": app, "image": image}]}})
}

/// A ready pod owned directly by `kind/owner`.
fn pod(
    kind: &str,
    owner: &str,
    name: &str,
    image: &str,
    restart: &str,
    ready: bool,
    created: Timestamp,
) -> Value {
    let state = if ready { "True" } else { "False" };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": format!("uid-pod-{name}"),
                     "creationTimestamp": created.to_string(),
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": owner,
                                          "uid": format!("uid-{kind}-{NAMESPACE}-{owner}"), "controller": true}]},
        "spec": {"restartPolicy": restart, "nodeName": "node-1",
                 "containers": [{"name": owner, "image": image}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": state}],
                   "containerStatuses": [{"name": owner, "image": image, "imageID": "", "ready": ready,
                                          "restartCount": 0, "state": {"running": {"startedAt": created.to_string()}}}]}
    })
}

/// `(stateful sets, daemon sets, jobs, their pods)` as the API would list them at `now`.
#[must_use]
pub fn objects(now: Timestamp) -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let long_ago = now - jiff::SignedDuration::from_hours(30);
    let minutes_ago = now - jiff::SignedDuration::from_mins(4);
    let db_image = "registry.acme.io/postgres:16.4";
    let stateful = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": meta("StatefulSet", "payments-db", long_ago),
        "spec": {"replicas": 2, "serviceName": "payments-db", "selector": {"matchLabels": {"app": "payments-db"}},
                 "updateStrategy": {"type": "RollingUpdate"},
                 "template": template("payments-db", db_image, "Always")},
        "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
                   "updatedReplicas": 2, "availableReplicas": 2,
                   "currentRevision": "payments-db-5d8f7c9b6", "updateRevision": "payments-db-5d8f7c9b6"}
    });
    let shipper_image = "registry.acme.io/log-shipper:3.2.0";
    let daemon = json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": meta("DaemonSet", "log-shipper", long_ago),
        "spec": {"selector": {"matchLabels": {"app": "log-shipper"}},
                 "updateStrategy": {"type": "RollingUpdate"},
                 "template": template("log-shipper", shipper_image, "Always")},
        "status": {"observedGeneration": 2, "desiredNumberScheduled": 3, "currentNumberScheduled": 3,
                   "updatedNumberScheduled": 3, "numberReady": 2, "numberAvailable": 2,
                   "numberMisscheduled": 0}
    });
    let migrate_image = "registry.acme.io/ledger-service:1.9.0";
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": meta("Job", "ledger-migrate", minutes_ago),
        "spec": {"completions": 1, "template": template("ledger-migrate", migrate_image, "Never")},
        "status": {"active": 1, "ready": 1, "startTime": minutes_ago.to_string()}
    });
    let pods = vec![
        pod(
            "StatefulSet",
            "payments-db",
            "payments-db-0",
            db_image,
            "Always",
            true,
            long_ago,
        ),
        pod(
            "StatefulSet",
            "payments-db",
            "payments-db-1",
            db_image,
            "Always",
            true,
            long_ago,
        ),
        pod(
            "Job",
            "ledger-migrate",
            "ledger-migrate-x7k2p",
            migrate_image,
            "Never",
            true,
            minutes_ago,
        ),
    ];
    (vec![stateful], vec![daemon], vec![job], pods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::WorkloadRow;

    /// Each object reads, and Argo CD's health of each is the one this scenario means.
    #[test]
    fn health_of_each_scenario() {
        let (sts, ds, jobs, pods) = objects(crate::screenshot::epoch());
        let word = |row: WorkloadRow| format!("{} {}", row.status, row.message);
        assert_eq!(
            word(WorkloadRow::from_stateful_set(
                &serde_json::from_value(sts[0].clone()).unwrap()
            )),
            "✔ Healthy statefulset rolling update complete 2 pods at revision payments-db-5d8f7c9b6..."
        );
        assert_eq!(
            word(WorkloadRow::from_daemon_set(
                &serde_json::from_value(ds[0].clone()).unwrap()
            )),
            "◌ Progressing Waiting for daemon set \"log-shipper\" rollout to finish: 2 of 3 updated pods are available..."
        );
        assert_eq!(
            word(WorkloadRow::from_job(
                &serde_json::from_value(jobs[0].clone()).unwrap()
            )),
            "◌ Progressing "
        );
        let job_pod: k8s_openapi::api::core::v1::Pod =
            serde_json::from_value(pods[2].clone()).unwrap();
        assert_eq!(
            crate::model::k8s::health_rules::pod_health(&job_pod).state,
            crate::model::k8s::HealthState::Progressing,
            "a running restartPolicy Never pod is job-like"
        );
    }
}
