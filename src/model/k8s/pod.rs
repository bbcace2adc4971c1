//! Pods as the panes read them: a compact struct ([`PodFacts`]) built once per watch event
//! from the API's `Pod`, so a 100,000-pod namespace costs well under 1.5 KB a pod instead of
//! the typed object's ~7.5 KB. From it come kubectl's STATUS word, READY and RESTARTS
//! columns (ported from kubernetes/kubernetes@51652d1c,
//! pkg/printers/internalversion/printers.go, `printPod`), the last termination of any
//! container, and the container or scheduling problems that keep a pod from becoming ready.
//! The describe and YAML views fetch the whole object on demand; nothing here has to hold it.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, ContainerStatus, Pod, PodStatus};

use super::health_rules::{Health, pod_health};
use super::pod_info::{PodInfo, pod_info};
use super::status::{StatusIcon, StatusLabel};

/// Longest container message kept (the scheduler's and kubelet's messages are a few hundred
/// bytes; the describe view fetches the object for anything longer).
pub const MESSAGE_CAP: usize = 1024;

fn capped(text: &str) -> String {
    if text.len() <= MESSAGE_CAP {
        return text.to_owned();
    }
    let mut end = MESSAGE_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// An owner reference: the controller chain is followed by uid, shown by kind and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: String,
    pub name: String,
    pub uid: String,
}

/// How a container run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// `OOMKilled`, `Error`, `Completed`, `ContainerCannotRun`, … (may be empty).
    pub reason: String,
    pub exit_code: i32,
    pub signal: i32,
    pub message: String,
    pub finished: Option<Timestamp>,
}

impl Termination {
    fn of(t: &ContainerStateTerminated) -> Self {
        Self {
            reason: t.reason.clone().unwrap_or_default(),
            exit_code: t.exit_code,
            signal: t.signal.unwrap_or(0),
            message: capped(t.message.as_deref().unwrap_or_default()),
            finished: t.finished_at.as_ref().map(|f| f.0),
        }
    }

    /// `OOMKilled (exit 137)`, `Error (exit 1)`, `signal 9`.
    #[must_use]
    pub fn words(&self) -> String {
        let code = if self.signal != 0 {
            format!("signal {}", self.signal)
        } else {
            format!("exit {}", self.exit_code)
        };
        if self.reason.is_empty() {
            code
        } else {
            format!("{} ({code})", self.reason)
        }
    }
}

/// A container's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Waiting {
        reason: String,
        message: String,
    },
    Running {
        since: Option<Timestamp>,
    },
    /// Boxed: most containers never show one, and the pod store holds many of them.
    Terminated(Box<Termination>),
    /// No status reported yet (the pod is not scheduled or not started).
    Unknown,
}

/// A declared container port, for port-forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: String,
}

/// One container (init, sidecar or regular) with its spec and status facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerFacts {
    pub name: String,
    pub image: String,
    pub init: bool,
    /// An init container with `restartPolicy: Always` (a sidecar): counted in READY.
    pub sidecar: bool,
    pub ready: bool,
    pub started: Option<bool>,
    pub restarts: i32,
    pub state: ContainerState,
    /// The previous run's end (`lastState.terminated`).
    pub last: Option<Box<Termination>>,
    /// Boxed slices, not `Vec`s: a `collect` from a filtering iterator reserves room for
    /// four, and the pod store holds 100,000 of these (see [`PodFacts`]).
    pub ports: Box<[ContainerPort]>,
}

/// A pod, compact: what the pods, rollout and incident views and the first-aid actions read.
/// About 950 bytes for a one-container pod (456 inline, the rest its strings and slices);
/// lists are boxed slices so none keeps spare capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodFacts {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub owners: Box<[Owner]>,
    pub node: String,
    /// `status.phase` (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub phase: String,
    /// kubectl's STATUS column.
    pub status_word: String,
    /// kubectl's READY column.
    pub ready: usize,
    pub total: usize,
    /// kubectl's RESTARTS column and when the last restart ended.
    pub restarts: i32,
    pub last_restart: Option<Timestamp>,
    pub created: Option<Timestamp>,
    pub deleting: bool,
    /// `spec.restartPolicy` (`Always` when unset, the API default).
    pub restart_policy: String,
    /// The `Ready` condition is True.
    pub ready_condition: bool,
    /// The scheduler's message when `PodScheduled` is False with reason `Unschedulable`.
    pub unschedulable: Option<String>,
    /// `status.message` (e.g. an eviction's reason).
    pub message: String,
    pub containers: Box<[ContainerFacts]>,
    /// The `kubectl.kubernetes.io/default-container` annotation, kept only when it names one
    /// of the pod's containers (exec and debug start there).
    pub default_container: Option<String>,
    /// The Argo Rollouts plugin's line for the pod (its own port of the status word; the
    /// word is empty when it is kubectl's, see [`PodFacts::plugin_info`]).
    plugin: PodInfo,
    /// Argo CD's health of the pod (gitops-engine's pod check); its message is left empty
    /// when it is a container's waiting message (see [`PodFacts::health`]).
    health: Health,
    /// The container whose waiting message is the health message.
    health_from: Option<usize>,
}

/// A container that is waiting for a reason other than normal start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerProblem {
    pub container: String,
    pub image: String,
    /// `ImagePullBackOff`, `ErrImagePull`, `CrashLoopBackOff`, `CreateContainerConfigError`, …
    pub reason: String,
    pub message: String,
    pub restarts: i32,
    /// Exit code and reason of the last run, for crash loops.
    pub last_exit: Option<(i32, String)>,
}

/// One pod, summarised for the rollout tree and the stuck diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    pub name: String,
    pub status: StatusLabel,
    pub ready: usize,
    pub total: usize,
    pub restarts: i32,
    pub problems: Vec<ContainerProblem>,
    pub unschedulable: Option<String>,
    /// The ReplicaSet that owns the pod.
    pub owner: Option<String>,
}

/// Waiting reasons that are part of a normal start.
fn benign_waiting(reason: &str) -> bool {
    matches!(reason, "ContainerCreating" | "PodInitializing")
}

fn state_of(status: Option<&ContainerStatus>) -> ContainerState {
    let Some(state) = status.and_then(|s| s.state.as_ref()) else {
        return ContainerState::Unknown;
    };
    if let Some(w) = &state.waiting {
        ContainerState::Waiting {
            reason: w.reason.clone().unwrap_or_default(),
            message: capped(w.message.as_deref().unwrap_or_default()),
        }
    } else if let Some(t) = &state.terminated {
        ContainerState::Terminated(Box::new(Termination::of(t)))
    } else if let Some(r) = &state.running {
        ContainerState::Running {
            since: r.started_at.as_ref().map(|t| t.0),
        }
    } else {
        ContainerState::Unknown
    }
}

fn container(
    spec: &k8s_openapi::api::core::v1::Container,
    statuses: &[ContainerStatus],
    init: bool,
) -> ContainerFacts {
    let status = statuses.iter().find(|s| s.name == spec.name);
    ContainerFacts {
        name: spec.name.clone(),
        image: status
            .map(|s| s.image.clone())
            .filter(|i| !i.is_empty())
            .or_else(|| spec.image.clone())
            .unwrap_or_default(),
        init,
        sidecar: init && spec.restart_policy.as_deref() == Some("Always"),
        ready: status.is_some_and(|s| s.ready),
        started: status.and_then(|s| s.started),
        restarts: status.map_or(0, |s| s.restart_count),
        state: state_of(status),
        last: status
            .and_then(|s| s.last_state.as_ref())
            .and_then(|s| s.terminated.as_ref())
            .map(|t| Box::new(Termination::of(t))),
        ports: spec
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(ContainerPort {
                    name: p.name.clone(),
                    port: u16::try_from(p.container_port).ok()?,
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                })
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    }
}

/// kubectl's STATUS, READY and RESTARTS for a pod, exactly as `printPod` computes them
/// (kubernetes/kubernetes@51652d1c, pkg/printers/internalversion/printers.go, `printPod`).
struct Printed {
    reason: String,
    ready: usize,
    total: usize,
    restarts: i32,
    last_restart: Option<Timestamp>,
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn condition_true(status: &PodStatus, kind: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == kind && c.status == "True")
}

fn terminated_word(t: &ContainerStateTerminated, prefix: &str) -> String {
    match t.reason.as_deref() {
        Some(r) if !r.is_empty() => format!("{prefix}{r}"),
        _ if t.signal.unwrap_or(0) != 0 => format!("{prefix}Signal:{}", t.signal.unwrap_or(0)),
        _ => format!("{prefix}ExitCode:{}", t.exit_code),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one function, in the order of kubectl's printPod, so the two can be read side by side"
)]
fn print_pod(pod: &Pod, status: &PodStatus) -> Printed {
    let spec_init = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let is_sidecar = |name: &str| {
        spec_init
            .iter()
            .any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"))
    };
    let mut total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    total += spec_init
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let phase = status.phase.clone().unwrap_or_default();
    let mut reason = match status.reason.as_deref() {
        Some(r) if !r.is_empty() => r.to_owned(),
        _ => phase.clone(),
    };
    if status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
    {
        reason = "SchedulingGated".into();
    }

    let mut initializing = false;
    let init_statuses = status.init_container_statuses.as_deref().unwrap_or(&[]);
    for (i, c) in init_statuses.iter().enumerate() {
        restarts += c.restart_count;
        let finished = c
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
            .map(|t| t.0);
        last_restart = later(last_restart, finished);
        let sidecar = is_sidecar(&c.name);
        if sidecar {
            sidecar_restarts += c.restart_count;
            last_sidecar_restart = later(last_sidecar_restart, finished);
        }
        let state = c.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        if terminated.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if sidecar && c.started == Some(true) {
            if c.ready {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = terminated_word(t, "Init:");
        } else if let Some(w) = waiting.filter(|w| {
            w.reason
                .as_deref()
                .is_some_and(|r| !r.is_empty() && r != "PodInitializing")
        }) {
            reason = format!("Init:{}", w.reason.as_deref().unwrap_or_default());
        } else {
            reason = format!("Init:{i}/{}", spec_init.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(status, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in status.container_statuses.iter().flatten().rev() {
            restarts += c.restart_count;
            let finished = c
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.finished_at.as_ref())
                .map(|t| t.0);
            last_restart = later(last_restart, finished);
            let state = c.state.as_ref();
            let waiting = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty());
            let terminated = state.and_then(|s| s.terminated.as_ref());
            if let Some(w) = waiting {
                w.clone_into(&mut reason);
            } else if let Some(t) = terminated {
                reason = terminated_word(t, "");
            } else if c.ready && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(status, "Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some() && status.reason.as_deref() == Some("NodeLost") {
        reason = "Unknown".into();
    } else if pod.metadata.deletion_timestamp.is_some()
        && !matches!(phase.as_str(), "Succeeded" | "Failed")
    {
        reason = "Terminating".into();
    }
    Printed {
        reason,
        ready,
        total,
        restarts,
        last_restart,
    }
}

impl PodFacts {
    /// Reads the fields the panes use; the `Pod` can be dropped afterwards.
    #[must_use]
    pub fn of(pod: &Pod) -> Self {
        let empty = PodStatus::default();
        let status = pod.status.as_ref().unwrap_or(&empty);
        let printed = print_pod(pod, status);
        let printed_word = printed.reason.clone();
        let spec = pod.spec.as_ref();
        let statuses = status.container_statuses.as_deref().unwrap_or(&[]);
        let init_statuses = status.init_container_statuses.as_deref().unwrap_or(&[]);
        let mut containers: Vec<ContainerFacts> = spec
            .and_then(|s| s.init_containers.as_deref())
            .unwrap_or(&[])
            .iter()
            .map(|c| container(c, init_statuses, true))
            .collect();
        containers.extend(
            spec.map_or(&[][..], |s| s.containers.as_slice())
                .iter()
                .map(|c| container(c, statuses, false)),
        );
        let unschedulable = status
            .conditions
            .iter()
            .flatten()
            .find(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
            .map(|c| capped(c.message.as_deref().unwrap_or_default()));
        // The health message is mostly a container's waiting message: kept once.
        let mut health = pod_health(pod);
        let health_from = containers.iter().position(|c| {
            matches!(&c.state, ContainerState::Waiting { message, .. }
                if !message.is_empty() && *message == health.message)
        });
        if health_from.is_some() {
            health.message = String::new();
        }
        let meta = &pod.metadata;
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            owners: meta
                .owner_references
                .iter()
                .flatten()
                .map(|o| Owner {
                    kind: o.kind.clone(),
                    name: o.name.clone(),
                    uid: o.uid.clone(),
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
            node: spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
            phase: status.phase.clone().unwrap_or_default(),
            status_word: printed.reason.clone(),
            ready: printed.ready,
            total: printed.total,
            restarts: printed.restarts,
            last_restart: printed.last_restart,
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            deleting: meta.deletion_timestamp.is_some(),
            restart_policy: spec
                .and_then(|s| s.restart_policy.clone())
                .unwrap_or_else(|| "Always".into()),
            ready_condition: condition_true(status, "Ready"),
            unschedulable,
            message: capped(status.message.as_deref().unwrap_or_default()),
            default_container: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get(super::shell::DEFAULT_CONTAINER_ANNOTATION))
                .filter(|wanted| containers.iter().any(|c| &c.name == *wanted))
                .cloned(),
            containers: containers.into_boxed_slice(),
            plugin: {
                // The plugin's word is kubectl's nearly always; keep it only when it differs.
                let mut info = pod_info(pod);
                if info.status == printed_word {
                    info.status = String::new();
                }
                info
            },
            health,
            health_from,
        }
    }

    /// Argo CD's health of the pod.
    #[must_use]
    pub fn health(&self) -> Health {
        let mut health = self.health.clone();
        if let Some(ContainerState::Waiting { message, .. }) = self
            .health_from
            .and_then(|i| self.containers.get(i))
            .map(|c| &c.state)
        {
            health.message.clone_from(message);
        }
        health
    }

    /// The Argo Rollouts plugin's line for the pod.
    #[must_use]
    pub fn plugin_info(&self) -> PodInfo {
        let mut info = self.plugin.clone();
        if info.status.is_empty() {
            info.status.clone_from(&self.status_word);
        }
        info
    }

    /// The uids of the pod's owners (a `ReplicaSet`, `StatefulSet`, `DaemonSet` or `Job`).
    pub fn owner_uids(&self) -> impl Iterator<Item = &str> {
        self.owners.iter().map(|o| o.uid.as_str())
    }

    /// The ReplicaSet that owns the pod.
    #[must_use]
    pub fn replica_set(&self) -> Option<&str> {
        self.owners
            .iter()
            .find(|o| o.kind == "ReplicaSet")
            .map(|o| o.name.as_str())
    }

    /// The regular (non-init) containers.
    pub fn app_containers(&self) -> impl Iterator<Item = &ContainerFacts> {
        self.containers.iter().filter(|c| !c.init)
    }

    /// The newest end of a container run: a container terminated now, else the last state
    /// of the container that ended most recently. With the container's name.
    #[must_use]
    pub fn last_termination(&self) -> Option<(&str, &Termination)> {
        let mut best: Option<(&str, &Termination)> = None;
        for c in &self.containers {
            let now = match &c.state {
                ContainerState::Terminated(t) if !(c.init && t.exit_code == 0) => Some(&**t),
                _ => None,
            };
            for t in now.into_iter().chain(c.last.as_deref()) {
                let newer = match best {
                    None => true,
                    Some((_, b)) => t.finished > b.finished,
                };
                if newer {
                    best = Some((c.name.as_str(), t));
                }
            }
        }
        best
    }

    /// Container problems: waiting for a reason other than a normal start.
    #[must_use]
    pub fn problems(&self) -> Vec<ContainerProblem> {
        self.containers
            .iter()
            .filter_map(|c| {
                let ContainerState::Waiting { reason, message } = &c.state else {
                    return None;
                };
                if reason.is_empty() || benign_waiting(reason) {
                    return None;
                }
                Some(ContainerProblem {
                    container: c.name.clone(),
                    image: c.image.clone(),
                    reason: reason.clone(),
                    message: message.clone(),
                    restarts: c.restarts,
                    last_exit: c.last.as_ref().map(|t| (t.exit_code, t.reason.clone())),
                })
            })
            .collect()
    }

    /// The images of the regular containers, comma-separated.
    #[must_use]
    pub fn images(&self) -> String {
        let images: Vec<&str> = self.app_containers().map(|c| c.image.as_str()).collect();
        images.join(",")
    }

    /// Bytes this pod holds, struct and heap, for the memory budget (≤ 1.5 KB a pod).
    #[must_use]
    pub fn footprint(&self) -> usize {
        fn s(text: &str) -> usize {
            text.len()
        }
        fn t(t: &Termination) -> usize {
            size_of::<Termination>() + s(&t.reason) + s(&t.message)
        }
        let containers: usize = self
            .containers
            .iter()
            .map(|c| {
                size_of::<ContainerFacts>()
                    + s(&c.name)
                    + s(&c.image)
                    + c.last.as_deref().map_or(0, t)
                    + match &c.state {
                        ContainerState::Waiting { reason, message } => s(reason) + s(message),
                        ContainerState::Terminated(x) => t(x),
                        _ => 0,
                    }
                    + c.ports.len() * size_of::<ContainerPort>()
                    + c.ports
                        .iter()
                        .map(|p| p.name.as_deref().map_or(0, s) + s(&p.protocol))
                        .sum::<usize>()
            })
            .sum();
        let owners: usize = self
            .owners
            .iter()
            .map(|o| size_of::<Owner>() + s(&o.kind) + s(&o.name) + s(&o.uid))
            .sum();
        size_of::<Self>()
            + s(&self.namespace)
            + s(&self.name)
            + s(&self.uid)
            + s(&self.node)
            + s(&self.phase)
            + s(&self.status_word)
            + s(&self.restart_policy)
            + s(&self.message)
            + s(&self.plugin.status)
            + s(&self.health.message)
            + self.unschedulable.as_deref().map_or(0, s)
            + owners
            + containers
    }
}

impl PodSummary {
    /// The rollout tree's view of a pod: kubectl's status word with the plugin's icon.
    #[must_use]
    pub fn of(pod: &PodFacts) -> Self {
        let problems = pod.problems();
        let word = pod.status_word.as_str();
        let label = if pod.deleting {
            StatusLabel::new(StatusIcon::Progressing, word)
        } else if let Some(p) = problems.first() {
            StatusLabel::new(StatusIcon::Warning, p.reason.clone())
        } else if pod.unschedulable.is_some() {
            StatusLabel::new(StatusIcon::Warning, "Unschedulable")
        } else {
            let icon = match word {
                "Running" if pod.ready == pod.total => StatusIcon::Ok,
                "Running" | "ContainerCreating" | "PodInitializing" => StatusIcon::Progressing,
                "Pending" => StatusIcon::Waiting,
                "Completed" | "Succeeded" => StatusIcon::Ok,
                "Failed" | "Error" | "OOMKilled" | "NotReady" | "Evicted" => StatusIcon::Bad,
                w if w.starts_with("Init:")
                    || w.starts_with("ExitCode:")
                    || w.starts_with("Signal:") =>
                {
                    StatusIcon::Warning
                }
                _ => StatusIcon::Unknown,
            };
            let word = if word == "Succeeded" {
                "Completed"
            } else {
                word
            };
            StatusLabel::new(icon, word)
        };
        Self {
            name: pod.name.clone(),
            status: label,
            ready: pod.ready,
            total: pod.total,
            restarts: pod.restarts,
            problems,
            unschedulable: pod.unschedulable.clone(),
            owner: pod.replica_set().map(str::to_owned),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::*;

    pub(crate) fn pod(name: &str, owner: &str, status: &Value) -> PodFacts {
        PodFacts::of(&raw_pod(name, owner, status))
    }

    pub(crate) fn raw_pod(name: &str, owner: &str, status: &Value) -> Pod {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": owner, "uid": "u-1", "controller": true}]},
            "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:v2"}]},
            "status": status
        }))
        .expect("fixture parses")
    }

    pub(crate) fn image_pull_backoff(name: &str, owner: &str) -> PodFacts {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"registry.example.com/api:v2\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/api:v2\": failed to resolve reference \"registry.example.com/api:v2\": registry.example.com/api:v2: not found"}}}]}),
        )
    }

    pub(crate) fn crash_loop(name: &str, owner: &str) -> PodFacts {
        pod(
            name,
            owner,
            &json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off 5m0s restarting failed container=api pod=api-7c9d8f6b5-abcde_shop"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        )
    }

    pub(crate) fn config_error(name: &str, owner: &str) -> PodFacts {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "CreateContainerConfigError",
                                      "message": "secret \"api-db\" not found"}}}]}),
        )
    }

    pub(crate) fn unschedulable(name: &str, owner: &str) -> PodFacts {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}),
        )
    }

    pub(crate) fn running(name: &str, owner: &str) -> PodFacts {
        pod(
            name,
            owner,
            &json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v1", "imageID": "", "ready": true,
                "restartCount": 0, "state": {"running": {"startedAt": "2026-08-20T08:00:00Z"}}}]}),
        )
    }

    #[test]
    fn summaries() {
        let s = PodSummary::of(&image_pull_backoff("api-1", "api-7c9d8f6b5"));
        assert_eq!(s.status.to_string(), "⚠ ImagePullBackOff");
        assert_eq!((s.ready, s.total), (0, 1));
        assert_eq!(s.owner.as_deref(), Some("api-7c9d8f6b5"));
        let s = PodSummary::of(&crash_loop("api-2", "api-7c9d8f6b5"));
        assert_eq!(s.restarts, 7);
        assert_eq!(s.problems[0].last_exit, Some((1, "Error".into())));
        let s = PodSummary::of(&unschedulable("api-3", "api-7c9d8f6b5"));
        assert_eq!(s.status.to_string(), "⚠ Unschedulable");
        assert_eq!(
            PodSummary::of(&running("api-4", "api-6b7c8d9e0"))
                .status
                .to_string(),
            "✔ Running"
        );
    }
}

/// kubectl's STATUS/READY/RESTARTS, checked against kubectl's own table tests
/// (kubernetes/kubernetes@51652d1c, `pkg/printers/internalversion/printers_test.go`,
/// `TestPrintPod`, `TestPrintPodWithRestartableInitContainer`; each case names its row).
#[cfg(test)]
mod kubectl_printer {
    use serde_json::{Value, json};

    use super::*;

    fn status(name: &str, ready: bool, restarts: i32, state: &Value, last: &Value) -> Value {
        json!({"name": name, "image": "img", "imageID": "", "ready": ready,
               "restartCount": restarts, "state": state, "lastState": last})
    }

    fn pod(init: &[&str], containers: usize, status: &Value, deleting: bool) -> PodFacts {
        let init: Vec<Value> = init
            .iter()
            .enumerate()
            .map(|(i, policy)| {
                let mut c = json!({"name": format!("i{i}")});
                if !policy.is_empty() {
                    c["restartPolicy"] = json!(policy);
                }
                c
            })
            .collect();
        let containers: Vec<Value> = (0..containers)
            .map(|i| json!({"name": format!("c{i}")}))
            .collect();
        let mut meta = json!({"name": "test", "namespace": "ns"});
        if deleting {
            meta["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        let pod: Pod = serde_json::from_value(json!({
            "metadata": meta,
            "spec": {"initContainers": init, "containers": containers},
            "status": status,
        }))
        .expect("fixture parses");
        PodFacts::of(&pod)
    }

    fn columns(p: &PodFacts) -> (String, String, i32) {
        (
            format!("{}/{}", p.ready, p.total),
            p.status_word.clone(),
            p.restarts,
        )
    }

    fn ended(at: &str) -> Value {
        json!({"terminated": {"exitCode": 0, "finishedAt": at}})
    }

    #[test]
    fn a_completed_container_beside_a_running_one_is_not_ready_without_the_ready_condition() {
        // TestPrintPod "test6" (both variants).
        let statuses = json!([
            status(
                "c0",
                true,
                3,
                &json!({"terminated": {"reason": "Completed", "exitCode": 0}}),
                &json!({})
            ),
            status("c1", true, 3, &json!({"running": {}}), &json!({})),
        ]);
        let p = pod(
            &[],
            2,
            &json!({"phase": "Running", "containerStatuses": statuses}),
            false,
        );
        assert_eq!(columns(&p), ("1/2".into(), "NotReady".into(), 6));
        let p = pod(
            &[],
            2,
            &json!({"phase": "Running", "containerStatuses": statuses,
                    "conditions": [{"type": "Ready", "status": "True"}]}),
            false,
        );
        assert_eq!(columns(&p), ("1/2".into(), "Running".into(), 6));
    }

    #[test]
    fn init_containers_show_their_progress_and_count_their_restarts() {
        // TestPrintPod "test7": one init container restarting.
        let p = pod(
            &[""],
            1,
            &json!({"phase": "podPhase",
                "initContainerStatuses": [status("i0", false, 3, &json!({"running": {}}), &ended("2026-01-01T00:00:00Z"))],
                "containerStatuses": [status("c0", false, 0, &json!({"waiting": {}}), &json!({}))]}),
            false,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Init:0/1".into(), 3));
        assert!(p.last_restart.is_some());
        // "test10": the first init container completed after 2 restarts, the second restarting.
        let p = pod(
            &["", ""],
            1,
            &json!({"phase": "podPhase",
                "initContainerStatuses": [
                    status("i0", false, 2, &json!({"terminated": {"exitCode": 0}}), &ended("2026-01-01T00:00:00Z")),
                    status("i1", false, 3, &json!({"running": {}}), &ended("2026-01-01T00:01:50Z"))],
                "containerStatuses": [status("c0", false, 0, &json!({"waiting": {}}), &json!({}))]}),
            false,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Init:1/2".into(), 5));
        // "test11": init done (Running phase, not initializing): only app restarts count.
        let p = pod(
            &[""],
            1,
            &json!({"phase": "Running",
                "initContainerStatuses": [status("i0", false, 2, &json!({"terminated": {"exitCode": 0}}), &ended("2026-01-01T00:00:00Z"))],
                "containerStatuses": [status("c0", false, 4, &json!({"running": {}}), &ended("2026-01-01T00:01:40Z"))]}),
            false,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Running".into(), 4));
    }

    #[test]
    fn restarts_add_up_across_containers() {
        // TestPrintPod "test14": 6 + 3 restarts.
        let p = pod(
            &[],
            2,
            &json!({"phase": "Running", "containerStatuses": [
                status("c0", true, 6, &json!({"running": {}}), &ended("2026-01-05T00:00:00Z")),
                status("c1", true, 3, &json!({"running": {}}), &ended("2025-12-20T00:00:00Z"))]}),
            false,
        );
        assert_eq!(columns(&p), ("2/2".into(), "Running".into(), 9));
        assert_eq!(
            p.last_restart.map(|t| t.to_string()),
            Some("2026-01-05T00:00:00Z".into())
        );
    }

    #[test]
    fn phase_reason_gating_and_deletion() {
        // TestPrintPod "test15": SchedulingGated.
        let p = pod(
            &[],
            2,
            &json!({"phase": "podPhase", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
            false,
        );
        assert_eq!(columns(&p), ("0/2".into(), "SchedulingGated".into(), 0));
        // "test16"/"test17": terminated containers name the status.
        let done = json!({"terminated": {"reason": "Completed", "exitCode": 0}});
        let p = pod(
            &[],
            1,
            &json!({"phase": "Succeeded", "containerStatuses": [status("c0", false, 0, &done, &json!({}))]}),
            false,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Completed".into(), 0));
        let failed = json!({"terminated": {"reason": "Error", "exitCode": 1}});
        let p = pod(
            &[],
            1,
            &json!({"phase": "Failed", "containerStatuses": [status("c0", false, 0, &failed, &json!({}))]}),
            false,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Error".into(), 0));
        // "test18": a succeeded pod being deleted stays Completed; "test19"/"test20": others
        // are Terminating.
        let p = pod(
            &[],
            1,
            &json!({"phase": "Succeeded", "containerStatuses": [status("c0", false, 0, &done, &json!({}))]}),
            true,
        );
        assert_eq!(p.status_word, "Completed");
        let running = json!({"running": {}});
        let p = pod(
            &[],
            1,
            &json!({"phase": "Running", "containerStatuses": [status("c0", false, 0, &running, &json!({}))]}),
            true,
        );
        assert_eq!(columns(&p), ("0/1".into(), "Terminating".into(), 0));
        let p = pod(&[], 1, &json!({"phase": "Pending"}), true);
        assert_eq!(columns(&p), ("0/1".into(), "Terminating".into(), 0));
    }

    #[test]
    fn restartable_init_containers_count_in_ready() {
        // TestPrintPodWithRestartableInitContainer "test1": sidecars not started yet.
        let p = pod(
            &["Always", "Always"],
            1,
            &json!({"phase": "Pending",
                "initContainerStatuses": [
                    {"name": "i0", "image": "img", "imageID": "", "ready": false, "restartCount": 3,
                     "started": false, "state": {"running": {}}, "lastState": ended("2026-01-01T00:00:00Z")},
                    {"name": "i1", "image": "img", "imageID": "", "ready": false, "restartCount": 0,
                     "started": false, "state": {"waiting": {}}}],
                "containerStatuses": [status("c0", false, 0, &json!({"waiting": {}}), &json!({}))],
                "conditions": [{"type": "Initialized", "status": "False"}]}),
            false,
        );
        assert_eq!(columns(&p), ("0/3".into(), "Init:0/2".into(), 3));
    }

    #[test]
    fn an_oom_killed_restart_is_the_last_termination() {
        let p = pod(
            &[],
            1,
            &json!({"phase": "Running", "containerStatuses": [status("c0", true, 4, &json!({"running": {}}),
                &json!({"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-01-01T00:00:00Z"}}))]}),
            false,
        );
        let (container, t) = p.last_termination().expect("a termination");
        assert_eq!(
            (container, t.words()),
            ("c0", "OOMKilled (exit 137)".to_owned())
        );
        assert!(p.footprint() < 1536, "{} bytes", p.footprint());
    }
}
