//! The rollout detail as a tree, like `kubectl argo rollouts get rollout` (argoproj/argo-rollouts,
//! pkg/kubectl-argo-rollouts/cmd/get/get_rollout.go):
//! workload → revision → ReplicaSet → pods, with analysis runs under their revision, plus the
//! canary steps (current one marked), the blue-green services, and recent Warning events.
//! Plain data with a depth per node; the UI draws the branches.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::app_row::HealthState;
use super::deployment::deployment_phase;
use super::patches::{
    DEPLOYMENT_HASH_LABEL, DEPLOYMENT_REVISION, ROLLOUT_HASH_LABEL, ROLLOUT_REVISION,
    replica_set_revision,
};
use super::pod::{PodFacts, PodSummary};
use super::rollout::Rollout;
use super::status::{KindIcon, StatusIcon, StatusLabel};
use super::workload::{RowKind, WorkloadRow};

/// The `AnalysisRun` fields the tree shows. Read leniently like a Rollout: a malformed field
/// leaves a note instead of failing the whole watch list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisRun {
    pub metadata: ObjectMeta,
    pub status: AnalysisRunStatus,
    /// "cannot read <field>: <why>" per malformed value left out.
    pub notes: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AnalysisRunFields {
    metadata: ObjectMeta,
    status: AnalysisRunStatus,
}

impl<'de> Deserialize<'de> for AnalysisRun {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (fields, notes) =
            super::lenient::read_lenient::<AnalysisRunFields>(serde_json::Value::deserialize(d)?);
        Ok(Self {
            metadata: fields.metadata,
            status: fields.status,
            notes,
        })
    }
}

super::namespaced_crd!(
    AnalysisRun,
    "argoproj.io",
    "v1alpha1",
    "AnalysisRun",
    "analysisruns"
);

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AnalysisRunStatus {
    /// `Pending`, `Running`, `Successful`, `Failed`, `Error` or `Inconclusive`.
    pub phase: String,
    pub message: String,
}

impl AnalysisRun {
    /// The rollout revision the run belongs to (`rollout.argoproj.io/revision`, an
    /// annotation set by the controller; a label on some versions).
    #[must_use]
    pub fn revision(&self) -> Option<i64> {
        let meta = &self.metadata;
        [meta.annotations.as_ref(), meta.labels.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|m| m.get(ROLLOUT_REVISION))
            .and_then(|v| v.parse().ok())
    }

    #[must_use]
    pub fn label(&self) -> StatusLabel {
        // `analysisIcon` (argoproj/argo-rollouts pkg/kubectl-argo-rollouts/info/
        // experiment_info.go at 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d): Inconclusive is
        // the unknown icon, Error the warning one. The plugin leaves any other phase without
        // an icon; opsdeck shows `?` so the cell never relies on the word alone.
        let icon = match self.status.phase.as_str() {
            "Successful" => StatusIcon::Ok,
            "Failed" => StatusIcon::Bad,
            "Error" => StatusIcon::Warning,
            "Running" => StatusIcon::Progressing,
            "Pending" => StatusIcon::Waiting,
            _ => StatusIcon::Unknown,
        };
        let word = if self.status.phase.is_empty() {
            "Unknown"
        } else {
            &self.status.phase
        };
        StatusLabel::new(icon, word)
    }
}

/// One line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    /// 0 for the workload; children are one deeper than their parent.
    pub depth: usize,
    pub icon: KindIcon,
    /// `Rollout`, `Deployment`, `Revision`, ReplicaSet, `Pod`, `AnalysisRun`, `Step`,
    /// `Service`, `Event`, or a section heading (`Steps`, `Events`).
    pub kind: String,
    pub name: String,
    pub status: Option<StatusLabel>,
    /// The INFO column: `canary`, `stable,active`, `ready:1/1`, `current`, …
    pub info: Vec<String>,
    /// When the object was created (the AGE column), or the event last happened.
    pub time: Option<Timestamp>,
}

impl TreeNode {
    fn new(depth: usize, icon: KindIcon, kind: &str, name: impl Into<String>) -> Self {
        Self {
            depth,
            icon,
            kind: kind.to_owned(),
            name: name.into(),
            status: None,
            info: Vec::new(),
            time: None,
        }
    }

    fn status(mut self, label: StatusLabel) -> Self {
        self.status = Some(label);
        self
    }

    fn info(mut self, info: Vec<String>) -> Self {
        self.info = info;
        self
    }

    fn time(mut self, meta: &ObjectMeta) -> Self {
        self.time = meta.creation_timestamp.as_ref().map(|t| t.0);
        self
    }

    fn at(mut self, time: Option<Timestamp>) -> Self {
        self.time = time;
        self
    }
}

/// How many Warning events the tree lists.
pub const MAX_EVENTS: usize = 5;

/// The plugin's ReplicaSet status (`getReplicaSetHealth`, argoproj/argo-rollouts
/// pkg/kubectl-argo-rollouts/info/replicaset_info.go at
/// 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d): a generation not yet observed is Progressing;
/// a True `ReplicaFailure` condition is `ReplicaFailure` (the bad icon); fewer available than
/// `spec.replicas` is Progressing; then `ScaledDown` for 0 replicas, else Healthy.
fn replica_set_label(rs: &ReplicaSet) -> StatusLabel {
    let empty = k8s_openapi::api::apps::v1::ReplicaSetStatus::default();
    let status = rs.status.as_ref().unwrap_or(&empty);
    let progressing = StatusLabel::new(StatusIcon::Progressing, "Progressing");
    if rs.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return progressing;
    }
    let failure = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "ReplicaFailure");
    if failure.is_some_and(|c| c.status == "True") {
        return StatusLabel::new(StatusIcon::Bad, "ReplicaFailure");
    }
    let desired = rs.spec.as_ref().and_then(|s| s.replicas);
    if desired.is_some_and(|d| status.available_replicas.unwrap_or(0) < d) {
        return progressing;
    }
    if desired == Some(0) {
        StatusLabel::new(StatusIcon::Neutral, "ScaledDown")
    } else {
        StatusLabel::new(StatusIcon::Ok, "Healthy")
    }
}

/// A pod's line as the plugin prints it ([`pod_info`]: status word, `ready:N/M`,
/// `restarts:N`), unless Argo CD calls the pod Degraded where the word shows no problem (a
/// Running pod whose container terminated and is not ready): then Argo CD's verdict, with
/// the plugin's word and Argo CD's message kept in the INFO column.
fn pod_node(depth: usize, pod: &PodFacts) -> TreeNode {
    let line = pod.plugin_info();
    let mut info = vec![format!("ready:{}/{}", line.ready, line.total)];
    if line.restarts > 0 {
        info.push(format!("restarts:{}", line.restarts));
    }
    let label = line.label();
    let flagged = matches!(label.icon, StatusIcon::Bad | StatusIcon::Warning);
    let health = pod.health();
    let status = if flagged || health.state != HealthState::Degraded {
        label
    } else {
        info.push(line.status.clone());
        if !health.message.is_empty() {
            info.push(health.message.clone());
        }
        health.label()
    };
    TreeNode::new(depth, KindIcon::Pod, "Pod", pod.name.clone())
        .status(status)
        .info(info)
        .at(pod.created)
}

fn hash_of(rs: &ReplicaSet, label: &str) -> Option<String> {
    rs.metadata.labels.as_ref()?.get(label).cloned()
}

/// Revision → ReplicaSets (newest revision first) → pods, with extra children per revision.
fn revisions(
    replica_sets: &[ReplicaSet],
    pods: &[PodFacts],
    revision_annotation: &str,
    roles: &dyn Fn(&ReplicaSet) -> Vec<String>,
    extra: &dyn Fn(i64) -> Vec<TreeNode>,
) -> Vec<TreeNode> {
    let mut by_revision: BTreeMap<i64, Vec<&ReplicaSet>> = BTreeMap::new();
    for rs in replica_sets {
        let n = replica_set_revision(rs, revision_annotation).unwrap_or(0);
        by_revision.entry(n).or_default().push(rs);
    }
    let summaries: Vec<PodSummary> = pods.iter().map(PodSummary::of).collect();
    let mut nodes = Vec::new();
    for (revision, sets) in by_revision.into_iter().rev() {
        nodes.push(TreeNode::new(
            1,
            KindIcon::Revision,
            "Revision",
            format!("revision:{revision}"),
        ));
        for rs in sets {
            let name = rs.metadata.name.clone().unwrap_or_default();
            nodes.push(
                TreeNode::new(2, KindIcon::ReplicaSet, "ReplicaSet", name.clone())
                    .status(replica_set_label(rs))
                    .info(roles(rs))
                    .time(&rs.metadata),
            );
            for (pod, summary) in pods.iter().zip(&summaries) {
                if summary.owner.as_deref() != Some(name.as_str()) {
                    continue;
                }
                nodes.push(pod_node(3, pod));
            }
        }
        nodes.extend(extra(revision));
    }
    nodes
}

/// The most recent Warning events, newest first.
fn warning_events(events: &[Event]) -> Vec<TreeNode> {
    let mut warnings: Vec<(&Event, Option<Timestamp>)> = events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .map(|e| {
            let last = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0));
            (e, last)
        })
        .collect();
    warnings.sort_by_key(|w| std::cmp::Reverse(w.1));
    if warnings.is_empty() {
        return vec![];
    }
    let mut nodes = vec![TreeNode::new(1, KindIcon::Detail, "Events", "warnings")];
    for (e, last) in warnings.into_iter().take(MAX_EVENTS) {
        let object = format!(
            "{}/{}",
            e.involved_object
                .kind
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            e.involved_object.name.as_deref().unwrap_or_default()
        );
        let mut info = vec![object, e.message.clone().unwrap_or_default()];
        if let Some(count) = e.count.filter(|c| *c > 1) {
            info.push(format!("×{count}"));
        }
        let mut node = TreeNode::new(
            2,
            KindIcon::Detail,
            "Event",
            e.reason.clone().unwrap_or_default(),
        )
        .status(StatusLabel::new(StatusIcon::Warning, "Warning"))
        .info(info);
        node.time = last;
        nodes.push(node);
    }
    nodes
}

/// The tree for an Argo Rollout. `replica_sets`, `pods`, `analysis_runs` and `events` are
/// the rollout's own (the source selects them by owner and selector).
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "builds the tree level by level with the lookups every level shares"
)]
pub fn rollout_tree(
    rollout: &Rollout,
    replica_sets: &[ReplicaSet],
    pods: &[PodFacts],
    analysis_runs: &[AnalysisRun],
    events: &[Event],
) -> Vec<TreeNode> {
    let status = &rollout.status;
    let mut nodes = vec![
        TreeNode::new(0, KindIcon::Rollout, "Rollout", rollout.name())
            .status(rollout.status_label().0)
            .time(&rollout.metadata),
    ];

    if rollout.spec.strategy.canary.is_some() && !rollout.steps().is_empty() {
        nodes.push(TreeNode::new(1, KindIcon::Detail, "Steps", "steps"));
        let current = usize::try_from(status.current_step_index.unwrap_or(0)).unwrap_or(0);
        for (i, step) in rollout.steps().iter().enumerate() {
            let label = match i.cmp(&current) {
                std::cmp::Ordering::Less => StatusLabel::new(StatusIcon::Ok, "done"),
                std::cmp::Ordering::Equal if status.abort => {
                    StatusLabel::new(StatusIcon::Bad, "aborted")
                }
                std::cmp::Ordering::Equal if rollout.paused() => {
                    StatusLabel::new(StatusIcon::Paused, "current")
                }
                std::cmp::Ordering::Equal => StatusLabel::new(StatusIcon::Progressing, "current"),
                std::cmp::Ordering::Greater => StatusLabel::new(StatusIcon::Neutral, "pending"),
            };
            let info = if i == current {
                vec!["current".into()]
            } else {
                vec![]
            };
            nodes.push(
                TreeNode::new(
                    2,
                    KindIcon::Detail,
                    "Step",
                    format!("{}. {}", i + 1, step.describe()),
                )
                .status(label)
                .info(info),
            );
        }
    }
    if let Some(bg) = &rollout.spec.strategy.blue_green {
        nodes.push(
            TreeNode::new(1, KindIcon::Service, "Service", bg.active_service.clone()).info(vec![
                "active".into(),
                format!("selector:{}", status.blue_green.active_selector),
            ]),
        );
        if let Some(preview) = &bg.preview_service {
            nodes.push(
                TreeNode::new(1, KindIcon::Service, "Service", preview.clone()).info(vec![
                    "preview".into(),
                    format!("selector:{}", status.blue_green.preview_selector),
                ]),
            );
        }
    }

    let canary = rollout.spec.strategy.canary.is_some();
    let roles = |rs: &ReplicaSet| {
        let Some(hash) = hash_of(rs, ROLLOUT_HASH_LABEL) else {
            return vec![];
        };
        let mut roles = Vec::new();
        if hash == status.stable_rs {
            roles.push("stable".to_owned());
        } else if canary && hash == status.current_pod_hash {
            roles.push("canary".to_owned());
        }
        if hash == status.blue_green.active_selector {
            roles.push("active".to_owned());
        }
        if hash == status.blue_green.preview_selector {
            roles.push("preview".to_owned());
        }
        if roles.is_empty() {
            vec![]
        } else {
            vec![roles.join(",")]
        }
    };
    let runs = |revision: i64| {
        analysis_runs
            .iter()
            .filter(|a| a.revision() == Some(revision))
            .map(|a| {
                TreeNode::new(
                    2,
                    KindIcon::AnalysisRun,
                    "AnalysisRun",
                    a.metadata.name.clone().unwrap_or_default(),
                )
                .status(a.label())
                .info(a.notes.clone())
                .time(&a.metadata)
            })
            .collect()
    };
    nodes.extend(revisions(
        replica_sets,
        pods,
        ROLLOUT_REVISION,
        &roles,
        &runs,
    ));
    nodes.extend(warning_events(events));
    nodes
}

/// The same tree for a plain Deployment: revisions, ReplicaSets (the newest is `current`),
/// pods and Warning events.
#[must_use]
pub fn deployment_tree(
    deployment: &Deployment,
    replica_sets: &[ReplicaSet],
    pods: &[PodFacts],
    events: &[Event],
) -> Vec<TreeNode> {
    let mut nodes = vec![
        TreeNode::new(
            0,
            KindIcon::Deployment,
            "Deployment",
            deployment.metadata.name.clone().unwrap_or_default(),
        )
        .status(deployment_phase(deployment).0.label())
        .time(&deployment.metadata),
    ];
    let newest = replica_sets
        .iter()
        .filter_map(|rs| replica_set_revision(rs, DEPLOYMENT_REVISION))
        .max();
    let roles = |rs: &ReplicaSet| {
        let is_newest = newest.is_some() && replica_set_revision(rs, DEPLOYMENT_REVISION) == newest;
        if is_newest && hash_of(rs, DEPLOYMENT_HASH_LABEL).is_some() {
            vec!["current".to_owned()]
        } else {
            vec![]
        }
    };
    nodes.extend(revisions(
        replica_sets,
        pods,
        DEPLOYMENT_REVISION,
        &roles,
        &|_| vec![],
    ));
    nodes.extend(warning_events(events));
    nodes
}

/// The tree of a read-only row (a `StatefulSet`, `DaemonSet` or Job): the object with Argo
/// CD's health, the pods it owns directly (no ReplicaSets in between), and Warning events.
#[must_use]
pub fn owner_tree(
    row: &WorkloadRow,
    meta: &ObjectMeta,
    pods: &[PodFacts],
    events: &[Event],
) -> Vec<TreeNode> {
    let icon = if row.kind == RowKind::Job {
        KindIcon::Job
    } else {
        KindIcon::Deployment
    };
    let mut nodes = vec![
        TreeNode::new(0, icon, row.kind.kind_name(), row.name.clone())
            .status(row.status.clone())
            .time(meta),
    ];
    nodes.extend(pods.iter().map(|pod| pod_node(1, pod)));
    nodes.extend(warning_events(events));
    nodes
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::k8s::deployment::tests as dep;
    use crate::model::k8s::pod::tests as pods;
    use crate::model::k8s::rollout::tests as ro;

    fn rs(
        name: &str,
        hash: &str,
        revision: i64,
        replicas: i32,
        available: i32,
        annotation: &str,
        label: &str,
    ) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop",
                         "labels": {label: hash},
                         "annotations": {annotation: revision.to_string()},
                         "creationTimestamp": "2026-08-13T10:00:00Z"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "checkout"}}},
            "status": {"replicas": replicas, "availableReplicas": available}
        }))
        .expect("fixture parses")
    }

    fn run(name: &str, revision: i64, phase: &str) -> AnalysisRun {
        serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": {"rollout.argoproj.io/revision": revision.to_string()}},
            "status": {"phase": phase}
        }))
        .expect("fixture parses")
    }

    fn event(
        reason: &str,
        kind: &str,
        name: &str,
        message: &str,
        count: i32,
        last: &str,
        type_: &str,
    ) -> Event {
        serde_json::from_value(json!({
            "metadata": {"name": format!("{name}.1"), "namespace": "shop"},
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop"},
            "reason": reason, "message": message, "count": count,
            "lastTimestamp": last, "type": type_
        }))
        .expect("fixture parses")
    }

    fn lines(nodes: &[TreeNode]) -> Vec<String> {
        nodes
            .iter()
            .map(|n| {
                let status = n
                    .status
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                format!(
                    "{}{} {} {} | {} | {}",
                    "  ".repeat(n.depth),
                    n.icon.glyph(),
                    n.kind,
                    n.name,
                    status,
                    n.info.join(" ")
                )
            })
            .collect()
    }

    #[test]
    fn aborted_canary_tree() {
        let r = ro::canary_aborted();
        let sets = [
            rs(
                "checkout-8a7b6c5d4",
                "8a7b6c5d4",
                9,
                0,
                0,
                ROLLOUT_REVISION,
                ROLLOUT_HASH_LABEL,
            ),
            rs(
                "checkout-5c7d8e9f1",
                "5c7d8e9f1",
                8,
                5,
                5,
                ROLLOUT_REVISION,
                ROLLOUT_HASH_LABEL,
            ),
        ];
        let pod_list = [pods::running(
            "checkout-5c7d8e9f1-q2w3e",
            "checkout-5c7d8e9f1",
        )];
        let runs = [
            run("checkout-8a7b6c5d4-9-0", 9, "Failed"),
            run("checkout-5c7d8e9f1-8-0", 8, "Successful"),
        ];
        let events = [
            event(
                "AnalysisRunFailed",
                "Rollout",
                "checkout",
                "Analysis Run 'checkout-8a7b6c5d4-9-0' Status New: 'Failed' Previous: 'Running'",
                1,
                "2026-08-20T11:59:00Z",
                "Warning",
            ),
            event(
                "RolloutAborted",
                "Rollout",
                "checkout",
                "Rollout aborted update to revision 9",
                1,
                "2026-08-20T12:00:00Z",
                "Warning",
            ),
            event(
                "RolloutUpdated",
                "Rollout",
                "checkout",
                "Rollout updated to revision 9",
                1,
                "2026-08-20T11:50:00Z",
                "Normal",
            ),
        ];
        let tree = rollout_tree(&r, &sets, &pod_list, &runs, &events);
        let text = lines(&tree);
        let expected: Vec<&str> = vec![
            "⟳ Rollout checkout | ✖ Degraded | ",
            "  · Steps steps |  | ",
            "    · Step 1. setWeight: 20 | ✖ aborted | current",
            "    · Step 2. pause | • pending | ",
            "    · Step 3. setWeight: 40 | • pending | ",
            "    · Step 4. pause: 10m | • pending | ",
            "    · Step 5. analysis | • pending | ",
            "    · Step 6. setWeight: 80 | • pending | ",
            "    · Step 7. pause: 60 | • pending | ",
            "    · Step 8. setWeight: 100 | • pending | ",
            "  # Revision revision:9 |  | ",
            "    ⧉ ReplicaSet checkout-8a7b6c5d4 | • ScaledDown | canary",
            "    α AnalysisRun checkout-8a7b6c5d4-9-0 | ✖ Failed | ",
            "  # Revision revision:8 |  | ",
            "    ⧉ ReplicaSet checkout-5c7d8e9f1 | ✔ Healthy | stable",
            "      □ Pod checkout-5c7d8e9f1-q2w3e | ✔ Running | ready:1/1",
            "    α AnalysisRun checkout-5c7d8e9f1-8-0 | ✔ Successful | ",
            "  · Events warnings |  | ",
            "    · Event RolloutAborted | ⚠ Warning | rollout/checkout Rollout aborted update to revision 9",
            "    · Event AnalysisRunFailed | ⚠ Warning | rollout/checkout Analysis Run 'checkout-8a7b6c5d4-9-0' Status New: 'Failed' Previous: 'Running'",
        ];
        assert_eq!(text, expected);
        assert_eq!(tree[0].time, None);
        assert_eq!(
            tree[11].time,
            Some("2026-08-13T10:00:00Z".parse().expect("ts"))
        );
    }

    #[test]
    fn paused_canary_marks_the_current_step_paused() {
        let r = ro::canary_paused();
        let text = lines(&rollout_tree(&r, &[], &[], &[], &[]));
        assert_eq!(text[2], "    · Step 1. setWeight: 20 | ✔ done | ");
        assert_eq!(text[3], "    · Step 2. pause | ॥ current | current");
    }

    #[test]
    fn blue_green_tree_shows_services_and_roles() {
        let r = ro::blue_green_paused();
        let sets = [
            rs(
                "web-7fbd9c5d6",
                "7fbd9c5d6",
                4,
                2,
                2,
                ROLLOUT_REVISION,
                ROLLOUT_HASH_LABEL,
            ),
            rs(
                "web-5b9c8d7e6",
                "5b9c8d7e6",
                3,
                2,
                2,
                ROLLOUT_REVISION,
                ROLLOUT_HASH_LABEL,
            ),
        ];
        let text = lines(&rollout_tree(&r, &sets, &[], &[], &[]));
        assert_eq!(
            text,
            vec![
                "⟳ Rollout web | ॥ Paused | ",
                "  ⑃ Service web-active |  | active selector:5b9c8d7e6",
                "  ⑃ Service web-preview |  | preview selector:7fbd9c5d6",
                "  # Revision revision:4 |  | ",
                "    ⧉ ReplicaSet web-7fbd9c5d6 | ✔ Healthy | preview",
                "  # Revision revision:3 |  | ",
                "    ⧉ ReplicaSet web-5b9c8d7e6 | ✔ Healthy | stable,active",
            ]
        );
    }

    /// argo-rollouts `info/replicaset_info.go` `getReplicaSetHealth`: a True `ReplicaFailure`
    /// (e.g. a quota) is bad even with no replica wanted yet available; an unobserved
    /// generation is Progressing before anything else.
    #[test]
    fn replica_set_failure_and_unobserved_generation() {
        let mut failing = rs(
            "api-7c9d8f6b5",
            "7c9d8f6b5",
            6,
            1,
            0,
            DEPLOYMENT_REVISION,
            DEPLOYMENT_HASH_LABEL,
        );
        failing.status.get_or_insert_default().conditions =
            Some(vec![k8s_openapi::api::apps::v1::ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some("FailedCreate".into()),
                message: Some("exceeded quota".into()),
                ..Default::default()
            }]);
        assert_eq!(replica_set_label(&failing).to_string(), "✖ ReplicaFailure");
        failing.metadata.generation = Some(9);
        failing.status.get_or_insert_default().observed_generation = Some(8);
        assert_eq!(replica_set_label(&failing).to_string(), "◌ Progressing");
    }

    #[test]
    fn pods_running_with_a_dead_container_read_degraded() {
        // gitops-engine pkg/health/health_pod.go: Running, restartPolicy Always, not ready,
        // and a container terminated before is Degraded, though kubectl says "Running".
        let d = dep::rolling();
        let sets = [rs(
            "api-7c9d8f6b5",
            "7c9d8f6b5",
            6,
            1,
            0,
            DEPLOYMENT_REVISION,
            DEPLOYMENT_HASH_LABEL,
        )];
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "api-7c9d8f6b5-x1", "ownerReferences": [{"apiVersion": "apps/v1",
                "kind": "ReplicaSet", "name": "api-7c9d8f6b5", "uid": "u"}]},
            "spec": {"restartPolicy": "Always", "containers": [{"name": "api"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "api", "image": "api:v2", "imageID": "", "ready": false,
                    "restartCount": 1, "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
        }))
        .expect("pod");
        let text = lines(&deployment_tree(&d, &sets, &[PodFacts::of(&pod)], &[]));
        assert_eq!(
            text[3],
            "      □ Pod api-7c9d8f6b5-x1 | ✖ Degraded | ready:0/1 restarts:1 Running"
        );
    }

    #[test]
    fn deployment_tree_with_a_failing_pod() {
        let d = dep::deadline_exceeded();
        let sets = [
            rs(
                "api-7c9d8f6b5",
                "7c9d8f6b5",
                6,
                1,
                0,
                DEPLOYMENT_REVISION,
                DEPLOYMENT_HASH_LABEL,
            ),
            rs(
                "api-6b7c8d9e0",
                "6b7c8d9e0",
                5,
                3,
                3,
                DEPLOYMENT_REVISION,
                DEPLOYMENT_HASH_LABEL,
            ),
        ];
        let pod_list = [pods::image_pull_backoff(
            "api-7c9d8f6b5-9wf5r",
            "api-7c9d8f6b5",
        )];
        let events = [event(
            "Failed",
            "Pod",
            "api-7c9d8f6b5-9wf5r",
            "Error: ImagePullBackOff",
            14,
            "2026-08-20T12:10:00Z",
            "Warning",
        )];
        let text = lines(&deployment_tree(&d, &sets, &pod_list, &events));
        assert_eq!(
            text,
            vec![
                "⟳ Deployment api | ✖ Degraded | ",
                "  # Revision revision:6 |  | ",
                "    ⧉ ReplicaSet api-7c9d8f6b5 | ◌ Progressing | current",
                "      □ Pod api-7c9d8f6b5-9wf5r | ⚠ ImagePullBackOff | ready:0/1",
                "  # Revision revision:5 |  | ",
                "    ⧉ ReplicaSet api-6b7c8d9e0 | ✔ Healthy | ",
                "  · Events warnings |  | ",
                "    · Event Failed | ⚠ Warning | pod/api-7c9d8f6b5-9wf5r Error: ImagePullBackOff ×14",
            ]
        );
    }

    #[test]
    fn a_malformed_analysis_run_still_reads() {
        let a: AnalysisRun = serde_json::from_value(json!({
            "metadata": {"name": "x"}, "status": {"phase": ["Failed"]}
        }))
        .expect("never fails");
        assert_eq!(a.metadata.name.as_deref(), Some("x"));
        assert_eq!(a.notes.len(), 1, "{:?}", a.notes);
        assert!(a.notes[0].starts_with("cannot read status.phase: "));
    }

    #[test]
    fn analysis_run_revision_from_a_label_too() {
        let a: AnalysisRun = serde_json::from_value(json!({
            "metadata": {"name": "x", "labels": {"rollout.argoproj.io/revision": "3"}},
            "status": {"phase": "Inconclusive"}
        }))
        .expect("parses");
        assert_eq!(a.revision(), Some(3));
        assert_eq!(a.label().to_string(), "? Inconclusive");
    }
}
