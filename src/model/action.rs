//! [`ActionRequest`]: every mutation opsdeck can perform, as data. Each variant knows its
//! audit name, target, redacted parameters, danger and confirmation, so the menus, the
//! confirm dialog, `--readonly` and the audit gate all read one source of truth.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::platform::Target;

/// `pg_cancel_backend` or `pg_terminate_backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillMode {
    Cancel,
    Terminate,
}

/// A plain Deployment or an Argo Rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    Deployment,
    Rollout,
}

impl WorkloadKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "deployment",
            Self::Rollout => "rollout",
        }
    }
}

/// What to do to a Deployment or Rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RolloutOp {
    /// `full` skips the remaining steps and analysis.
    Promote {
        full: bool,
    },
    Abort,
    Retry,
    Pause,
    Resume,
    Restart,
    /// `None` means the previous revision.
    Undo {
        revision: Option<i64>,
    },
    Scale {
        replicas: i32,
    },
    /// Skip the current canary step: Argo CD's `skip-current-step` action (the plugin's
    /// deprecated skip), a status-subresource patch of `currentStepIndex`.
    SkipStep,
}

impl RolloutOp {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promote { .. } => "promote",
            Self::Abort => "abort",
            Self::Retry => "retry",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Restart => "restart",
            Self::Undo { .. } => "undo",
            Self::Scale { .. } => "scale",
            Self::SkipStep => "skip_step",
        }
    }
}

/// What the delete-pod prompt's answer means, the way kubectl reads `--now` and
/// `--grace-period` (kubernetes/kubernetes, staging/src/k8s.io/kubectl/pkg/cmd/delete/delete.go,
/// `DeleteOptions.Complete`): empty keeps the pod's own period; `now` is 1 s; 0 is turned into
/// 1 as kubectl does without `--force`, because 0 removes the pod from the API before the
/// kubelet has stopped it (a `StatefulSet` could then run two pods of one identity).
///
/// # Errors
/// The text is not empty, `now` or a number of seconds (0 to 86400).
pub fn parse_grace(input: &str) -> Result<Option<i64>, String> {
    match input.trim() {
        "" => Ok(None),
        "now" | "0" => Ok(Some(1)),
        text => match text.trim_end_matches('s').parse::<i64>() {
            Ok(n) if (0..=86_400).contains(&n) => Ok(Some(n)),
            _ => Err(format!(
                "`{text}`: empty for the pod's own period, `now`, or seconds (up to 86400)"
            )),
        },
    }
}

/// A pod deletion's grace period in words (`None`: the pod's own).
#[must_use]
pub fn grace_words(grace_secs: Option<i64>) -> String {
    match grace_secs {
        None => "its own grace period".to_owned(),
        Some(0) => "no grace period (forced)".to_owned(),
        Some(1) => "a 1s grace period (kubectl's --now)".to_owned(),
        Some(g) => format!("a {g}s grace period"),
    }
}

/// The Service a port-forward was asked through (`kubectl port-forward svc/<name> <port>`):
/// the pod and its port are chosen from it when the forward starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViaService {
    pub name: String,
    /// The Service's port (the pod's port is its `targetPort`).
    pub port: u16,
}

/// How the user confirms before the action runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    YesNo,
    /// The user must type this exact name (deletes and other irreversible actions).
    TypeName(String),
}

/// Every mutating action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionRequest {
    /// `backend_start` (and `query_start`) pin the exact backend and query: a recycled pid
    /// or a new query must not be hit by a stale row.
    KillQuery {
        database: String,
        pid: i32,
        backend_start: String,
        query_start: Option<String>,
        mode: KillMode,
    },
    /// Cancels or terminates several backends of `database` in one audited action. Each
    /// target is pinned as [`ActionRequest::KillQuery`] pins its one, and gets its own
    /// outcome (one line each in the outcome's detail, `crate::model::pg_bulk`).
    BulkKill {
        database: String,
        mode: KillMode,
        targets: Vec<crate::model::pg_bulk::PinnedBackend>,
    },
    /// `ROLLBACK PREPARED gid`, run in the prepared transaction's own database `datname`
    /// (through the context's database `database`), and only while the transaction prepared
    /// at `prepared` (a [`crate::model::pg::pin`]) still holds that gid.
    RollbackPrepared {
        database: String,
        datname: String,
        gid: String,
        prepared: String,
        owner: String,
    },
    /// Argo CD app actions name the app's namespace too ("apps in any namespace"; empty in
    /// journals written before it was recorded).
    SyncApp {
        #[serde(default)]
        namespace: String,
        app: String,
        prune: bool,
        /// Empty means the whole app.
        resources: Vec<String>,
        /// Argo CD's dry run (`dryRun: true`): the controller applies with kubectl's client
        /// dry run and reports what it would do in `status.operationState.syncResult`.
        #[serde(default)]
        dry_run: bool,
    },
    RefreshApp {
        #[serde(default)]
        namespace: String,
        app: String,
        hard: bool,
    },
    RollbackApp {
        #[serde(default)]
        namespace: String,
        app: String,
        history_id: i64,
    },
    TerminateAppOperation {
        #[serde(default)]
        namespace: String,
        app: String,
    },
    RolloutAction {
        namespace: String,
        name: String,
        kind: WorkloadKind,
        op: RolloutOp,
    },
    /// `kubectl argo rollouts terminate analysisrun`: `spec.terminate` set on a running
    /// `AnalysisRun` of `rollout`.
    TerminateAnalysisRun {
        namespace: String,
        name: String,
        rollout: String,
    },
    CreateTopic {
        name: String,
        partitions: i32,
        replication: i16,
        configs: BTreeMap<String, String>,
    },
    DeleteTopic {
        name: String,
    },
    AlterTopicConfigs {
        name: String,
        set: BTreeMap<String, String>,
        delete: Vec<String>,
    },
    AddPartitions {
        name: String,
        /// The new total, not the increment (Kafka's API shape).
        total: i32,
    },
    DeleteGroup {
        group: String,
    },
    /// Commits new offsets for an inactive group (`kafka-consumer-groups --reset-offsets`);
    /// `plan` is what the user confirmed, and goes into the audit whole. The executor plans
    /// again and refuses a partition whose committed offset moved since (the guard).
    ResetGroupOffsets {
        group: String,
        scope: crate::model::kafka_reset::ResetScope,
        target: crate::model::kafka_reset::ResetTarget,
        plan: Vec<crate::model::kafka_reset::PlannedOffset>,
    },
    /// Reads messages of one partition without joining any group or committing: reading
    /// user data is access, so it is audited and policy may deny it.
    PeekMessages {
        topic: String,
        partition: i32,
        from: crate::model::kafka_peek::PeekFrom,
        /// The group whose stuck message this is, when peeking from a group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// A new Alertmanager silence from now for `duration_secs`. `service` is what the
    /// silence is about (the policy target): the service its alert maps to, else its
    /// `alertname`.
    CreateSilence {
        service: String,
        matchers: Vec<crate::model::alerts::Matcher>,
        duration_secs: u64,
        comment: String,
    },
    /// Ends a silence now (`DELETE /api/v2/silence/{id}`).
    ExpireSilence {
        id: String,
        service: String,
    },
    /// Deletes one pod. `uid` goes into `DeleteOptions.preconditions`, so a pod recreated
    /// under the same name (a `StatefulSet`'s) is not deleted by a stale row; `grace_secs`
    /// `None` keeps the pod's own `terminationGracePeriodSeconds`, `Some(0)` deletes now.
    DeletePod {
        namespace: String,
        name: String,
        uid: String,
        grace_secs: Option<i64>,
        /// The context is a production one: the name must be typed.
        #[serde(default)]
        production: bool,
    },
    /// An interactive shell in a pod's container (`pods/exec` with a TTY). The audit keeps
    /// who, which pod, container and command, and when it started and ended with its exit
    /// status, never what was typed or shown.
    ExecPod {
        namespace: String,
        name: String,
        container: String,
        command: Vec<String>,
    },
    /// An ephemeral debug container added to a pod (`pods/ephemeralcontainers`), sharing
    /// `target`'s processes, then attached with a TTY, as `kubectl debug -it --target`. It
    /// cannot be removed once added; the audit keeps the image and names, not the content.
    DebugPod {
        namespace: String,
        name: String,
        /// The container whose processes it shares.
        target: String,
        image: String,
        /// The debug container's own name (`debugger-xxxxx`).
        container: String,
    },
    /// A pod port forwarded to a loopback port (`pods/portforward`), for as long as the user
    /// keeps it (or opsdeck runs). The audit keeps who, which context, pod and ports, when
    /// it started and ended and how many connections and bytes it carried, never the bytes.
    PortForward {
        /// The context whose cluster the pod is in: a forward outlives a context switch.
        context: String,
        namespace: String,
        name: String,
        /// The pod's port.
        port: u16,
        /// The loopback port it listens on (the runtime writes the port it bound before the
        /// intent is recorded).
        local_port: u16,
        /// Asked through a Service: the runtime fills `name` and `port` with the pod and
        /// port it leads to before the intent is recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<ViaService>,
    },
    /// A custom command from the user's `commands.toml` (`crate::model::custom_command`),
    /// audited as its own action `custom.<name>` with the whole command line: the dangerous
    /// ones, and those the file marks `audit = true`.
    CustomCommand {
        name: String,
        /// The program and its arguments exactly as they run (`sh`, `-c`, line for shell
        /// lines).
        argv: Vec<String>,
        /// `interactive` or `capture`.
        mode: String,
        dangerous: bool,
        /// What the selection was: the policy target (`kube.pod`, `pg.database`, ...).
        target: CustomTarget,
        /// The configured database whose password the command gets in `PGPASSWORD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        database: Option<String>,
    },
}

/// The object a custom command is about, as policy matches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomTarget {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// Config keys whose values are secrets (OWASP: never log credentials or keys).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "jaas",
        "credential",
        "private",
        "keystore",
        "truststore",
    ]
    .iter()
    .any(|s| k.contains(s))
}

fn redacted(map: &BTreeMap<String, String>) -> Value {
    map.iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) {
                Value::String("***".into())
            } else {
                Value::String(v.clone())
            };
            (k.clone(), v)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn target(kind: &str, namespace: Option<&str>, name: &str) -> Target {
    let reference = match namespace {
        Some(ns) => format!("{kind}:{ns}/{name}"),
        None => format!("{kind}:{name}"),
    };
    Target {
        kind: kind.to_owned(),
        reference,
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
    }
}

impl ActionRequest {
    /// The direct creation a self-service topic request stands for.
    #[must_use]
    pub fn create_topic(spec: &crate::model::platform::KafkaTopicSpec) -> Self {
        Self::CreateTopic {
            name: spec.name.clone(),
            partitions: spec.partitions,
            replication: spec.replication,
            configs: spec.configs.clone(),
        }
    }

    /// The audit action name, e.g. `pg.terminate`, `argocd.app.sync`, `rollout.promote`.
    #[must_use]
    pub fn action_name(&self) -> String {
        match self {
            Self::KillQuery { mode, .. } => match mode {
                KillMode::Cancel => "pg.cancel".into(),
                KillMode::Terminate => "pg.terminate".into(),
            },
            Self::BulkKill { mode, .. } => match mode {
                KillMode::Cancel => "pg.cancel.bulk".into(),
                KillMode::Terminate => "pg.terminate.bulk".into(),
            },
            Self::RollbackPrepared { .. } => "pg.rollback_prepared".into(),
            Self::SyncApp { dry_run: true, .. } => "argocd.app.sync.dry_run".into(),
            Self::SyncApp { .. } => "argocd.app.sync".into(),
            Self::RefreshApp { .. } => "argocd.app.refresh".into(),
            Self::RollbackApp { .. } => "argocd.app.rollback".into(),
            Self::TerminateAppOperation { .. } => "argocd.app.terminate_operation".into(),
            Self::RolloutAction { kind, op, .. } => format!("{}.{}", kind.as_str(), op.as_str()),
            Self::TerminateAnalysisRun { .. } => "analysisrun.terminate".into(),
            Self::CreateTopic { .. } => "kafka.topic.create".into(),
            Self::DeleteTopic { .. } => "kafka.topic.delete".into(),
            Self::AlterTopicConfigs { .. } => "kafka.topic.alter_configs".into(),
            Self::AddPartitions { .. } => "kafka.topic.add_partitions".into(),
            Self::DeleteGroup { .. } => "kafka.group.delete".into(),
            Self::ResetGroupOffsets {
                target: crate::model::kafka_reset::ResetTarget::Skip,
                ..
            } => "kafka.group.skip_message".into(),
            Self::ResetGroupOffsets { .. } => "kafka.group.reset_offsets".into(),
            Self::PeekMessages { .. } => "kafka.messages.read".into(),
            Self::CreateSilence { .. } => "alertmanager.silence.create".into(),
            Self::ExpireSilence { .. } => "alertmanager.silence.expire".into(),
            Self::DeletePod { .. } => "kube.pod.delete".into(),
            Self::ExecPod { .. } => "kube.pod.exec".into(),
            Self::DebugPod { .. } => "kube.pod.debug".into(),
            Self::PortForward { .. } => "kube.pod.portforward".into(),
            Self::CustomCommand { name, .. } => format!("custom.{name}"),
        }
    }

    /// What the action touches; `ref` is what policy target globs match.
    #[must_use]
    pub fn target(&self) -> Target {
        match self {
            Self::KillQuery { database, pid, .. } => {
                target("pg.backend", Some(database), &pid.to_string())
            }
            // Every pid in the ref, so a rule on `pg.backend:payments-*` covers a bulk too.
            Self::BulkKill {
                database, targets, ..
            } => {
                let pids: Vec<String> = targets.iter().map(|t| t.pid.to_string()).collect();
                target("pg.backend", Some(database), &pids.join("+"))
            }
            Self::RollbackPrepared { database, gid, .. } => {
                target("pg.prepared", Some(database), gid)
            }
            Self::SyncApp { namespace, app, .. }
            | Self::RefreshApp { namespace, app, .. }
            | Self::RollbackApp { namespace, app, .. }
            | Self::TerminateAppOperation { namespace, app } => target(
                "argocd.app",
                Some(namespace)
                    .filter(|ns| !ns.is_empty())
                    .map(String::as_str),
                app,
            ),
            Self::RolloutAction {
                namespace,
                name,
                kind,
                ..
            } => target(kind.as_str(), Some(namespace), name),
            Self::TerminateAnalysisRun {
                namespace, name, ..
            } => target("analysisrun", Some(namespace), name),
            Self::CreateTopic { name, .. }
            | Self::DeleteTopic { name }
            | Self::AlterTopicConfigs { name, .. }
            | Self::AddPartitions { name, .. } => target("kafka.topic", None, name),
            Self::DeleteGroup { group } | Self::ResetGroupOffsets { group, .. } => {
                target("kafka.group", None, group)
            }
            Self::PeekMessages {
                topic, partition, ..
            } => target("kafka.topic", None, &format!("{topic}:{partition}")),
            Self::CreateSilence { service, .. } | Self::ExpireSilence { service, .. } => {
                target("alertmanager.silence", None, service)
            }
            Self::DeletePod {
                namespace, name, ..
            }
            | Self::ExecPod {
                namespace, name, ..
            }
            | Self::DebugPod {
                namespace, name, ..
            }
            | Self::PortForward {
                namespace, name, ..
            } => target("kube.pod", Some(namespace), name),
            Self::CustomCommand { target: t, .. } => {
                target(&t.kind, t.namespace.as_deref(), &t.name)
            }
        }
    }

    /// The whole command line of a custom command, as it runs and as a shell would read it
    /// back; the DSN placeholder never holds a password (it goes by environment).
    fn custom_params(&self) -> Value {
        match self {
            Self::CustomCommand {
                argv,
                mode,
                database,
                ..
            } => json!({
                "command": crate::model::custom_command::display_line(argv),
                "argv": argv,
                "mode": mode,
                "database": database,
            }),
            _ => Value::Null,
        }
    }

    /// The audit params of a pod session: names, image, command and ports, never the
    /// content.
    fn session_params(&self) -> Value {
        match self {
            Self::ExecPod {
                namespace,
                name,
                container,
                command,
            } => json!({
                "namespace": namespace, "name": name, "container": container,
                "command": command, "tty": true, "stdin": true,
            }),
            Self::DebugPod {
                namespace,
                name,
                target,
                image,
                container,
            } => json!({
                "namespace": namespace, "name": name, "target_container": target,
                "image": image, "debug_container": container, "tty": true, "stdin": true,
            }),
            Self::PortForward {
                context,
                namespace,
                name,
                port,
                local_port,
                service,
            } => {
                let mut params = json!({
                    "context": context, "namespace": namespace, "name": name, "port": port,
                    "local_address": format!("{}:{local_port}", crate::model::k8s::forward::LOOPBACK),
                });
                if let Some(via) = service {
                    params["service"] = json!(via.name);
                    params["service_port"] = json!(via.port);
                }
                params
            }
            _ => Value::Null,
        }
    }

    /// The audit params of the Postgres actions beyond one kill: the whole target list of a
    /// bulk action (each with its pins), and a rollback's gid, database and pin.
    fn pg_params(&self) -> Value {
        match self {
            Self::KillQuery {
                database,
                pid,
                backend_start,
                query_start,
                mode,
            } => json!({
                "database": database, "pid": pid, "backend_start": backend_start,
                "query_start": query_start, "mode": mode,
            }),
            Self::BulkKill {
                database,
                mode,
                targets,
            } => json!({
                "database": database, "mode": mode, "count": targets.len(), "targets": targets,
            }),
            Self::RollbackPrepared {
                database,
                datname,
                gid,
                prepared,
                owner,
            } => json!({
                "database": database, "datname": datname, "gid": gid, "prepared": prepared,
                "owner": owner,
            }),
            _ => Value::Null,
        }
    }

    /// Parameters for the audit record, with secret-looking config values replaced by `***`.
    #[must_use]
    pub fn params(&self) -> Value {
        match self {
            Self::KillQuery { .. } | Self::BulkKill { .. } | Self::RollbackPrepared { .. } => {
                self.pg_params()
            }
            Self::SyncApp {
                namespace,
                app,
                prune,
                resources,
                dry_run,
            } => {
                json!({"namespace": namespace, "app": app, "prune": prune, "resources": resources,
                    "dry_run": dry_run})
            }
            Self::RefreshApp {
                namespace,
                app,
                hard,
            } => json!({"namespace": namespace, "app": app, "hard": hard}),
            Self::RollbackApp {
                namespace,
                app,
                history_id,
            } => json!({"namespace": namespace, "app": app, "history_id": history_id}),
            Self::TerminateAppOperation { namespace, app } => {
                json!({"namespace": namespace, "app": app})
            }
            Self::RolloutAction {
                namespace,
                name,
                kind,
                op,
            } => json!({"namespace": namespace, "name": name, "kind": kind, "op": op}),
            Self::TerminateAnalysisRun {
                namespace,
                name,
                rollout,
            } => json!({"namespace": namespace, "name": name, "rollout": rollout}),
            Self::CreateTopic {
                name,
                partitions,
                replication,
                configs,
            } => json!({
                "name": name, "partitions": partitions, "replication": replication,
                "configs": redacted(configs),
            }),
            Self::DeleteTopic { name } => json!({"name": name}),
            Self::AlterTopicConfigs { name, set, delete } => {
                json!({"name": name, "set": redacted(set), "delete": delete})
            }
            Self::AddPartitions { name, total } => json!({"name": name, "total": total}),
            Self::DeleteGroup { group } => json!({"group": group}),
            Self::ResetGroupOffsets {
                group,
                scope,
                target,
                plan,
            } => json!({"group": group, "scope": scope, "target": target, "plan": plan}),
            Self::PeekMessages {
                topic,
                partition,
                from,
                group,
            } => json!({"topic": topic, "partition": partition, "from": from, "group": group}),
            Self::CreateSilence {
                service,
                matchers,
                duration_secs,
                comment,
            } => json!({
                "service": service,
                "matchers": crate::model::silence::matchers_text(matchers),
                "duration": crate::model::silence::duration_words(
                    std::time::Duration::from_secs(*duration_secs)
                ),
                "comment": comment,
            }),
            Self::ExpireSilence { id, service } => json!({"id": id, "service": service}),
            Self::DeletePod {
                namespace,
                name,
                uid,
                grace_secs,
                production,
            } => json!({
                "namespace": namespace, "name": name, "uid": uid,
                "grace_period_seconds": grace_secs, "production": production,
            }),
            Self::ExecPod { .. } | Self::DebugPod { .. } | Self::PortForward { .. } => {
                self.session_params()
            }
            Self::CustomCommand { .. } => self.custom_params(),
        }
    }

    /// Destroys data, interrupts work, or cannot be undone. Hidden under `--readonly`.
    #[must_use]
    pub fn dangerous(&self) -> bool {
        match self {
            Self::KillQuery { mode, .. } | Self::BulkKill { mode, .. } => {
                *mode == KillMode::Terminate
            }
            // A dry run changes nothing in the cluster, pruning or not.
            Self::SyncApp { prune, dry_run, .. } => *prune && !*dry_run,
            // Silencing mutes pages but deletes nothing and ends by itself; expiring
            // brings the alerts back. Policy decides who may, not read-only mode.
            Self::RefreshApp { .. }
            | Self::CreateTopic { .. }
            | Self::CreateSilence { .. }
            | Self::ExpireSilence { .. }
            // Reads, changes nothing; policy decides who may read data.
            | Self::PeekMessages { .. } => false,
            Self::RolloutAction { op, .. } => matches!(
                op,
                RolloutOp::Promote { full: true }
                    | RolloutOp::Abort
                    | RolloutOp::Restart
                    | RolloutOp::Undo { .. }
                    | RolloutOp::Scale { .. }
                    // It passes a canary gate (an analysis, a pause) without its verdict.
                    | RolloutOp::SkipStep
            ),
            // A terminated run ends as Successful ("Run Terminated"): the rollout goes on
            // without the analysis' verdict.
            Self::RollbackApp { .. }
            | Self::TerminateAppOperation { .. }
            | Self::TerminateAnalysisRun { .. }
            // Its work is thrown away and cannot be committed afterwards.
            | Self::RollbackPrepared { .. }
            | Self::DeleteTopic { .. }
            | Self::AlterTopicConfigs { .. }
            | Self::AddPartitions { .. }
            | Self::DeleteGroup { .. }
            // Moves where a service reads: messages are skipped or processed again.
            | Self::ResetGroupOffsets { .. }
            | Self::DeletePod { .. }
            // A shell can change anything the container can: read-only mode refuses it.
            | Self::ExecPod { .. }
            | Self::DebugPod { .. }
            // It opens a path into the pod's network from this machine: read-only refuses it
            // (no typed name: it changes nothing in the cluster).
            | Self::PortForward { .. } => true,
            // The user's file says.
            Self::CustomCommand { dangerous, .. } => *dangerous,
        }
    }

    /// Deletes (and scaling to zero, which removes every pod) need the name typed.
    #[must_use]
    pub fn confirmation(&self) -> Confirmation {
        match self {
            Self::DeleteTopic { name }
            | Self::DeleteGroup { group: name }
            | Self::RolloutAction {
                name,
                op: RolloutOp::Scale { replicas: 0 },
                ..
            }
            | Self::DeletePod {
                name,
                production: true,
                ..
            } => Confirmation::TypeName(name.clone()),
            // The gid typed: a prepared transaction's work is lost for good.
            Self::RollbackPrepared { gid, .. } => Confirmation::TypeName(gid.clone()),
            _ => Confirmation::YesNo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_targets_and_confirmations() {
        let kill = ActionRequest::KillQuery {
            database: "orders".into(),
            pid: 4242,
            backend_start: "2025-01-01T00:00:00Z".into(),
            query_start: None,
            mode: KillMode::Terminate,
        };
        assert_eq!(kill.action_name(), "pg.terminate");
        assert_eq!(kill.target().reference, "pg.backend:orders/4242");
        assert!(kill.dangerous());
        assert_eq!(kill.confirmation(), Confirmation::YesNo);

        let promote = ActionRequest::RolloutAction {
            namespace: "shop".into(),
            name: "cart".into(),
            kind: WorkloadKind::Rollout,
            op: RolloutOp::Promote { full: false },
        };
        assert_eq!(promote.action_name(), "rollout.promote");
        assert_eq!(promote.target().reference, "rollout:shop/cart");
        assert!(!promote.dangerous());

        let delete = ActionRequest::DeleteTopic {
            name: "orders.v1".into(),
        };
        assert_eq!(delete.action_name(), "kafka.topic.delete");
        assert_eq!(
            delete.confirmation(),
            Confirmation::TypeName("orders.v1".into())
        );
    }

    /// The audit records of the Part 11 rollout actions: `rollout.skip_step` on the rollout,
    /// `analysisrun.terminate` on the run (its rollout in the params), both dangerous.
    #[test]
    fn skip_step_and_terminate_analysis_audit_records() {
        let skip = ActionRequest::RolloutAction {
            namespace: "shop".into(),
            name: "cart".into(),
            kind: WorkloadKind::Rollout,
            op: RolloutOp::SkipStep,
        };
        assert_eq!(skip.action_name(), "rollout.skip_step");
        assert_eq!(skip.target().reference, "rollout:shop/cart");
        assert_eq!(skip.params()["op"], json!({"op": "skip_step"}));
        assert!(skip.dangerous());
        let terminate = ActionRequest::TerminateAnalysisRun {
            namespace: "shop".into(),
            name: "cart-6d8f9c7b4-3".into(),
            rollout: "cart".into(),
        };
        assert_eq!(terminate.action_name(), "analysisrun.terminate");
        assert_eq!(
            terminate.target().reference,
            "analysisrun:shop/cart-6d8f9c7b4-3"
        );
        assert_eq!(
            terminate.params(),
            json!({"namespace": "shop", "name": "cart-6d8f9c7b4-3", "rollout": "cart"})
        );
        assert!(terminate.dangerous());
        assert_eq!(terminate.confirmation(), Confirmation::YesNo);
    }

    #[test]
    fn a_pod_delete_pins_the_uid_and_needs_the_name_in_production() {
        let delete = |production| ActionRequest::DeletePod {
            namespace: "shop".into(),
            name: "cart-7d9f-x2k4q".into(),
            uid: "u-1".into(),
            grace_secs: Some(0),
            production,
        };
        assert_eq!(delete(false).action_name(), "kube.pod.delete");
        assert_eq!(
            delete(false).target().reference,
            "kube.pod:shop/cart-7d9f-x2k4q"
        );
        assert!(delete(false).dangerous());
        assert_eq!(delete(false).confirmation(), Confirmation::YesNo);
        assert_eq!(
            delete(true).confirmation(),
            Confirmation::TypeName("cart-7d9f-x2k4q".into())
        );
        let params = delete(true).params();
        assert_eq!(params["uid"], "u-1");
        assert_eq!(params["grace_period_seconds"], 0);
    }

    #[test]
    fn grace_periods_are_read_as_kubectl_reads_them() {
        assert_eq!(parse_grace(""), Ok(None));
        assert_eq!(parse_grace("now"), Ok(Some(1)));
        assert_eq!(
            parse_grace("0"),
            Ok(Some(1)),
            "kubectl turns 0 into 1 without --force"
        );
        assert_eq!(parse_grace("30"), Ok(Some(30)));
        assert_eq!(parse_grace(" 45s "), Ok(Some(45)));
        assert!(parse_grace("-3").is_err());
        assert!(parse_grace("soon").is_err());
        assert_eq!(grace_words(Some(1)), "a 1s grace period (kubectl's --now)");
    }

    #[test]
    fn secret_configs_are_redacted() {
        let req = ActionRequest::AlterTopicConfigs {
            name: "t".into(),
            set: BTreeMap::from([
                ("retention.ms".into(), "1000".into()),
                ("sasl.jaas.config".into(), "user=x password=y".into()),
                ("ssl.key.password".into(), "hunter2".into()),
            ]),
            delete: vec![],
        };
        let params = req.params().to_string();
        assert!(params.contains("1000"));
        assert!(
            !params.contains("hunter2") && !params.contains("password=y"),
            "{params}"
        );
    }
}
