//! The reference of what policy rules match: every audited action's name and the format of
//! its target ref, with an example ref built by the same code the console sends with. The
//! README's table and `opsdeck platform targets` are generated from [`markdown`], so the
//! documentation cannot drift from the refs the gate really sends.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::action::{ActionRequest, KillMode, RolloutOp, WorkloadKind};

/// One documented action: an example request and what it does, in the user's words.
pub struct Entry {
    pub request: ActionRequest,
    pub what: &'static str,
}

/// Calls that are not console actions but that policy also decides (self-service requests,
/// reading the whole trail): `(action, target format, example ref, what)`.
pub const OTHER_CALLS: &[(&str, &str, &str, &str)] = &[
    (
        "request.read_replica",
        "read_replica:<database>",
        "read_replica:payments-db",
        "submit a read-replica request (`:requests`, `r`)",
    ),
    (
        "request.kafka_topic",
        "kafka_topic:<topic>",
        "kafka_topic:payments.refunds.v1",
        "submit a topic request (`:requests`, `t`, or a create that needs approval)",
    ),
    (
        "request.approve`, `request.reject",
        "request:<id>",
        "request:0193f0c2-7d4e-7a51-9e0f-3c2b1a0d9e8f",
        "decide a request: granted by `approvers`, not by rules (recorded when refused)",
    ),
    (
        "audit.read",
        "audit",
        "audit",
        "read everyone's audit trail (approvers always may)",
    ),
    (
        "oncall.shift.declare",
        "oncall:<team>",
        "oncall:payments",
        "declare a rota shift (`:oncall`, `n`); team members or approvers only",
    ),
    (
        "oncall.shift.override",
        "oncall:<team>",
        "oncall:payments",
        "take over on call (`:oncall`, `t`); team members or approvers only",
    ),
    (
        "oncall.shift.remove",
        "oncall:<team>",
        "oncall:payments",
        "remove a shift (`DELETE /v1/oncall/<team>/shifts/<id>`); team members or approvers only",
    ),
];

/// The rollout operations each workload kind offers (a Deployment has no steps to
/// promote, abort or retry).
fn ops(kind: WorkloadKind) -> Vec<RolloutOp> {
    let all = [
        RolloutOp::Promote { full: false },
        RolloutOp::Abort,
        RolloutOp::Retry,
        RolloutOp::Pause,
        RolloutOp::Resume,
        RolloutOp::Restart,
        RolloutOp::Undo { revision: None },
        RolloutOp::Scale { replicas: 3 },
        RolloutOp::SkipStep,
    ];
    all.into_iter()
        .filter(|op| {
            kind == WorkloadKind::Rollout
                || !matches!(
                    op,
                    RolloutOp::Promote { .. }
                        | RolloutOp::Abort
                        | RolloutOp::Retry
                        | RolloutOp::SkipStep
                )
        })
        .collect()
}

/// One example of every action the console can send (every rollout op of both kinds).
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "the reference table itself: one entry per action, read top to bottom"
)]
pub fn entries() -> Vec<Entry> {
    let app = |f: fn(String, String) -> ActionRequest, what| Entry {
        request: f("argocd".into(), "cart".into()),
        what,
    };
    let mut out = vec![
        Entry {
            request: kill(KillMode::Cancel),
            what: "cancel the backend's query (Postgres pane `c`)",
        },
        Entry {
            request: kill(KillMode::Terminate),
            what: "terminate the backend (Postgres pane `x`)",
        },
        Entry {
            request: bulk(KillMode::Cancel),
            what: "cancel the marked backends, each pinned (Postgres pane `space`/`M`, then `c`)",
        },
        Entry {
            request: bulk(KillMode::Terminate),
            what: "terminate the marked backends, each pinned (Postgres pane `space`/`M`, then `x`)",
        },
        Entry {
            request: ActionRequest::RollbackPrepared {
                database: "orders-db".into(),
                datname: "orders".into(),
                gid: "tx-42".into(),
                prepared: String::new(),
                owner: "app".into(),
            },
            what: "roll back a prepared transaction, its gid typed (Postgres pane `P`, or `x` on pid 0)",
        },
        app(
            |namespace, app| ActionRequest::SyncApp {
                namespace,
                app,
                prune: false,
                resources: Vec::new(),
                dry_run: false,
            },
            "sync an Argo CD app",
        ),
        app(
            |namespace, app| ActionRequest::SyncApp {
                namespace,
                app,
                prune: false,
                resources: Vec::new(),
                dry_run: true,
            },
            "dry-run a sync before confirming it (Argo CD API server; `s`/`S`)",
        ),
        app(
            |namespace, app| ActionRequest::RefreshApp {
                namespace,
                app,
                hard: false,
            },
            "refresh an Argo CD app",
        ),
        app(
            |namespace, app| ActionRequest::RollbackApp {
                namespace,
                app,
                history_id: 7,
            },
            "roll an Argo CD app back to a history entry",
        ),
        app(
            |namespace, app| ActionRequest::TerminateAppOperation { namespace, app },
            "stop an app's running operation",
        ),
    ];
    for kind in [WorkloadKind::Rollout, WorkloadKind::Deployment] {
        for op in ops(kind) {
            out.push(Entry {
                request: ActionRequest::RolloutAction {
                    namespace: "shop".into(),
                    name: "cart".into(),
                    kind,
                    op,
                },
                what: match kind {
                    WorkloadKind::Rollout => "an Argo Rollouts step (rollouts pane)",
                    WorkloadKind::Deployment => "a Deployment operation (rollouts pane)",
                },
            });
        }
    }
    out.push(Entry {
        request: ActionRequest::TerminateAnalysisRun {
            namespace: "shop".into(),
            name: "cart-7d9f8-3".into(),
            rollout: "cart".into(),
        },
        what: "terminate a running AnalysisRun (rollouts pane `t`)",
    });
    let topic = "orders.v1".to_owned();
    out.extend([
        Entry {
            request: ActionRequest::CreateTopic {
                name: topic.clone(),
                partitions: 6,
                replication: 3,
                configs: BTreeMap::new(),
            },
            what: "create a topic (Kafka pane `c`)",
        },
        Entry {
            request: ActionRequest::DeleteTopic {
                name: topic.clone(),
            },
            what: "delete a topic",
        },
        Entry {
            request: ActionRequest::AlterTopicConfigs {
                name: topic.clone(),
                set: BTreeMap::new(),
                delete: Vec::new(),
            },
            what: "change a topic's configs (Kafka pane `e`)",
        },
        Entry {
            request: ActionRequest::AddPartitions {
                name: topic,
                total: 12,
            },
            what: "add partitions (Kafka pane `+`)",
        },
        Entry {
            request: ActionRequest::DeleteGroup {
                group: "billing".into(),
            },
            what: "delete a consumer group",
        },
        Entry {
            request: ActionRequest::ResetGroupOffsets {
                group: "billing".into(),
                scope: crate::model::kafka_reset::ResetScope::AllTopics,
                target: crate::model::kafka_reset::ResetTarget::Earliest,
                plan: Vec::new(),
            },
            what: "reset an inactive group's offsets, the plan in the params (Kafka pane `R`)",
        },
        Entry {
            request: ActionRequest::ResetGroupOffsets {
                group: "billing".into(),
                scope: crate::model::kafka_reset::ResetScope::Partition {
                    topic: "orders".into(),
                    partition: 0,
                },
                target: crate::model::kafka_reset::ResetTarget::Skip,
                plan: Vec::new(),
            },
            what: "skip the message a group is stuck on (committed + 1; Kafka pane `K`)",
        },
        Entry {
            request: ActionRequest::PeekMessages {
                topic: "orders".into(),
                partition: 0,
                from: crate::model::kafka_peek::PeekFrom::Last { n: 20 },
                group: None,
            },
            what: "read messages of a partition, never joining a group (Kafka pane `m`)",
        },
        Entry {
            request: ActionRequest::CreateSilence {
                service: "checkout-api".into(),
                matchers: vec![crate::model::alerts::Matcher {
                    name: "service".into(),
                    value: "checkout-api".into(),
                    is_regex: false,
                    is_equal: true,
                }],
                duration_secs: 3600,
                comment: "known issue".into(),
            },
            what: "silence alerts (alerts pane `S`)",
        },
        Entry {
            request: ActionRequest::ExpireSilence {
                id: "5d1c…".into(),
                service: "checkout-api".into(),
            },
            what: "expire a silence (silences pane `x`)",
        },
        Entry {
            request: ActionRequest::DeletePod {
                namespace: "shop".into(),
                name: "cart-7d9f8c6b5-x2k4q".into(),
                uid: String::new(),
                grace_secs: None,
                production: false,
            },
            what: "delete a pod, pinned to its uid (pods pane `ctrl-d`)",
        },
        Entry {
            request: ActionRequest::ExecPod {
                namespace: "shop".into(),
                name: "cart-7d9f8c6b5-x2k4q".into(),
                container: "api".into(),
                command: crate::model::k8s::shell::shell_command(),
            },
            what: "a shell in a pod's container; start, end and exit status, not the content (pods pane `S`)",
        },
        Entry {
            request: ActionRequest::CustomCommand {
                name: "pod-shell".into(),
                argv: ["kubectl", "-n", "shop", "exec", "-it", "cart-7d9f8c6b5-x2k4q", "--", "sh"]
                    .map(str::to_owned)
                    .to_vec(),
                mode: "interactive".into(),
                dangerous: true,
                target: crate::model::action::CustomTarget {
                    kind: "kube.pod".into(),
                    namespace: Some("shop".into()),
                    name: "cart-7d9f8c6b5-x2k4q".into(),
                },
                database: None,
            },
            what: CUSTOM_WHAT,
        },
        Entry {
            request: ActionRequest::CustomCommand {
                name: "psql".into(),
                argv: ["psql", "host=orders-db.internal dbname=orders"]
                    .map(str::to_owned)
                    .to_vec(),
                mode: "interactive".into(),
                dangerous: true,
                target: crate::model::action::CustomTarget {
                    kind: "pg.database".into(),
                    namespace: None,
                    name: "orders-db".into(),
                },
                database: Some("orders-db".into()),
            },
            what: CUSTOM_WHAT,
        },
        Entry {
            request: ActionRequest::DebugPod {
                namespace: "shop".into(),
                name: "cart-7d9f8c6b5-x2k4q".into(),
                target: "api".into(),
                image: "busybox".into(),
                container: "debugger-x7k2p".into(),
            },
            what: "an ephemeral debug container attached with a TTY (pods pane `D`)",
        },
        Entry {
            request: ActionRequest::PortForward {
                context: "prod-eu".into(),
                namespace: "shop".into(),
                name: "cart-7d9f8c6b5-x2k4q".into(),
                port: 8080,
                local_port: 8080,
                service: None,
            },
            what: "a pod port on a loopback port; start, end, connections and bytes, not the traffic (pods pane `F`)",
        },
    ]);
    out
}

fn kill(mode: KillMode) -> ActionRequest {
    ActionRequest::KillQuery {
        database: "orders-db".into(),
        pid: 4242,
        backend_start: String::new(),
        query_start: None,
        mode,
    }
}

fn bulk(mode: KillMode) -> ActionRequest {
    let pin = |pid| crate::model::pg_bulk::PinnedBackend {
        pid,
        backend_start: String::new(),
        query_start: None,
    };
    ActionRequest::BulkKill {
        database: "orders-db".into(),
        mode,
        targets: vec![pin(4242), pin(4243)],
    }
}

/// The target ref's format, in words a policy author fills in.
#[must_use]
pub fn target_format(request: &ActionRequest) -> &'static str {
    match request {
        ActionRequest::KillQuery { .. } => "pg.backend:<database>/<pid>",
        ActionRequest::BulkKill { .. } => "pg.backend:<database>/<pid>+<pid>+…",
        ActionRequest::RollbackPrepared { .. } => "pg.prepared:<database>/<gid>",
        ActionRequest::SyncApp { .. }
        | ActionRequest::RefreshApp { .. }
        | ActionRequest::RollbackApp { .. }
        | ActionRequest::TerminateAppOperation { .. } => "argocd.app:<app namespace>/<app>",
        ActionRequest::RolloutAction {
            kind: WorkloadKind::Rollout,
            ..
        } => "rollout:<namespace>/<name>",
        ActionRequest::RolloutAction {
            kind: WorkloadKind::Deployment,
            ..
        } => "deployment:<namespace>/<name>",
        ActionRequest::TerminateAnalysisRun { .. } => "analysisrun:<namespace>/<name>",
        ActionRequest::CreateTopic { .. }
        | ActionRequest::DeleteTopic { .. }
        | ActionRequest::AlterTopicConfigs { .. }
        | ActionRequest::AddPartitions { .. } => "kafka.topic:<topic>",
        ActionRequest::DeleteGroup { .. } | ActionRequest::ResetGroupOffsets { .. } => {
            "kafka.group:<group>"
        }
        ActionRequest::PeekMessages { .. } => "kafka.topic:<topic>:<partition>",
        ActionRequest::DeletePod { .. }
        | ActionRequest::ExecPod { .. }
        | ActionRequest::DebugPod { .. }
        | ActionRequest::PortForward { .. } => "kube.pod:<namespace>/<pod>",
        ActionRequest::CreateSilence { .. } | ActionRequest::ExpireSilence { .. } => {
            "alertmanager.silence:<service, else alertname>"
        }
        ActionRequest::CustomCommand { .. } => "<kind>:[<namespace>/]<name> of the selection",
    }
}

/// The reference as a Markdown table (README, `opsdeck platform targets`).
#[must_use]
pub fn markdown() -> String {
    let mut out = String::from("| action | target ref | example ref | what |\n|---|---|---|---|\n");
    // Rollout ops share their row's format and text: one row per kind lists them all.
    let mut seen = Vec::new();
    for entry in entries() {
        let format = target_format(&entry.request);
        if seen.contains(&(format, entry.what)) {
            continue;
        }
        seen.push((format, entry.what));
        let names: Vec<String> = entries()
            .iter()
            .filter(|e| target_format(&e.request) == format && e.what == entry.what)
            .map(|e| format!("`{}`", e.request.action_name()))
            .collect();
        let _ = writeln!(
            out,
            "| {} | `{format}` | `{}` | {} |",
            names.join(", "),
            entry.request.target().reference,
            entry.what,
        );
    }
    for (action, format, example, what) in OTHER_CALLS {
        let _ = writeln!(out, "| `{action}` | `{format}` | `{example}` | {what} |");
    }
    out
}

/// What the reference says of a custom command's row.
const CUSTOM_WHAT: &str = "a custom command of `commands.toml` (`custom.NAME`), dangerous or `audit = true`: its whole command line; the target is the selection's pod, database (`pg.database:<name>`), topic, group, app, workload, trace or service";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_describe_the_refs_the_console_sends() {
        for entry in entries() {
            let format = target_format(&entry.request);
            let reference = entry.request.target().reference;
            if let ActionRequest::CustomCommand { target, .. } = &entry.request {
                // The kind is the selection's; `<namespace>/` only when it has one.
                let expected = match &target.namespace {
                    Some(ns) => format!("{}:{ns}/{}", target.kind, target.name),
                    None => format!("{}:{}", target.kind, target.name),
                };
                assert_eq!(reference, expected);
                continue;
            }
            let (kind, _) = format.split_once(':').expect("kind:rest");
            assert!(
                reference.starts_with(&format!("{kind}:")),
                "{reference} does not follow {format}"
            );
            // As many `/`-separated parts as the format has.
            assert_eq!(
                reference.matches('/').count(),
                format.matches('/').count(),
                "{reference} vs {format}"
            );
        }
    }

    #[test]
    fn every_action_name_is_documented_once() {
        let table = markdown();
        for entry in entries() {
            let name = format!("`{}`", entry.request.action_name());
            assert_eq!(table.matches(&name).count(), 1, "{name} in\n{table}");
        }
    }
}
