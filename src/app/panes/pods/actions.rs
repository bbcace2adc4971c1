//! The pods view's keys: enter describes the selected pod, `v` shows it as YAML and `Y`
//! copies that YAML (OSC 52); `ctrl-d` deletes the selected pod (a grace-period prompt, then
//! the confirmation, then the audit gate). The delete is pinned to the pod's uid, so a pod
//! recreated under the same name is never the one deleted. `S` opens a shell in the pod
//! (the default container, else the first app container): the runtime hands the terminal
//! over and gives it back when the shell ends. `F` forwards one of its ports to a loopback
//! port (`crate::app::panes::forwards`).

use std::collections::BTreeSet;

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::pods::PodsPane;
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::keymap::Action;
use crate::model::action::{ActionRequest, grace_words, parse_grace};
use crate::model::k8s::shell::{debugger_name, shell_command, shell_container};
use crate::model::k8s::{ObjectRef, PodFacts};

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[
    Action::Describe,
    Action::ShowYaml,
    Action::CopyRow,
    Action::DeletePod,
    Action::Shell,
    Action::OpenK9s,
    Action::DebugPod,
    Action::PortForward,
];

/// The pods view's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut PodsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    let view = match action {
        Action::Select | Action::Describe => crate::app::panes::describe::Mode::Describe,
        Action::ShowYaml => crate::app::panes::describe::Mode::Yaml,
        Action::CopyRow => crate::app::panes::describe::Mode::CopyYaml,
        Action::OpenK9s => {
            let cmds = match pane.selected() {
                Some(pod) => vec![Cmd::OpenK9s {
                    namespace: pod.namespace.clone(),
                }],
                None => {
                    ctx.toast(ToastLevel::Info, "no pod selected");
                    Vec::new()
                }
            };
            return Some(cmds);
        }
        Action::DeletePod | Action::Shell | Action::DebugPod | Action::PortForward => {
            let cmds = match pane.selected().cloned() {
                Some(pod) if action == Action::PortForward => {
                    crate::app::panes::forwards::actions::ask_forward(ctx, &pod)
                }
                Some(pod) if action == Action::Shell => ask_shell(ctx, &pod),
                Some(pod) if action == Action::DebugPod => ask_debug(ctx, &pod),
                Some(pod) => ask_delete(ctx, &pod),
                None => {
                    ctx.toast(ToastLevel::Info, "no pod selected");
                    Vec::new()
                }
            };
            return Some(cmds);
        }
        _ => return None,
    };
    let Some(pod) = pane.selected() else {
        ctx.toast(ToastLevel::Info, "no pod selected");
        return Some(Vec::new());
    };
    let reference = ObjectRef::pod(&pod.namespace, &pod.name, Some(&pod.uid));
    ctx.intent(Intent::Focus(Focus::Object { reference, view }));
    Some(Vec::new())
}

/// The delete request for `pod` in this context.
#[must_use]
pub fn delete_request(ctx: &Ctx<'_>, pod: &PodFacts, grace_secs: Option<i64>) -> ActionRequest {
    ActionRequest::DeletePod {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        uid: pod.uid.clone(),
        grace_secs,
        production: ctx.context.production,
    }
}

/// `ctrl-d` on a pod: why not (read-only, RBAC), else the grace-period prompt. Asks the
/// access review when its answer is not known yet.
pub fn ask_delete(ctx: &mut Ctx<'_>, pod: &PodFacts) -> Vec<Cmd> {
    let probe = delete_request(ctx, pod, None);
    if ctx.refused(&probe) {
        return Vec::new();
    }
    if let Some(reason) = ctx.access_denial(&probe) {
        ctx.toast(ToastLevel::Warn, format!("delete pod disabled: {reason}"));
        return Vec::new();
    }
    let cmds = ctx.check_access(std::slice::from_ref(&probe));
    ctx.prompt(Prompt {
        title: format!("delete pod {}/{}: grace period", pod.namespace, pod.name),
        input: String::new(),
        error: None,
        purpose: PromptPurpose::DeletePod {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            uid: pod.uid.clone(),
        },
        hint: "empty: the pod's own; `now` (1s, kubectl --now); or seconds".into(),
    });
    cmds.into_iter().collect()
}

/// The shell request for `pod`'s `container`.
#[must_use]
pub fn shell_request(pod: &PodFacts, container: &str) -> ActionRequest {
    ActionRequest::ExecPod {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        container: container.to_owned(),
        command: shell_command(),
    }
}

/// `S` on a pod: why not (read-only, RBAC, not running, no app container), else the
/// session. No confirmation: a shell changes nothing by opening, and the audit records it
/// before the terminal is handed over.
pub fn ask_shell(ctx: &mut Ctx<'_>, pod: &PodFacts) -> Vec<Cmd> {
    let Some(container) = shell_container(pod).map(|c| c.name.clone()) else {
        ctx.toast(
            ToastLevel::Info,
            format!("{} has no app container to open a shell in", pod.name),
        );
        return Vec::new();
    };
    let request = shell_request(pod, &container);
    if ctx.refused(&request) {
        return Vec::new();
    }
    if let Some(reason) = ctx.access_denial(&request) {
        ctx.toast(ToastLevel::Warn, format!("shell disabled: {reason}"));
        return Vec::new();
    }
    // k9s opens a shell only in a Running pod ("%s is not in a running state":
    // derailed/k9s, internal/view/pod.go, `shellCmd`); the API server would refuse anyway.
    if pod.phase != "Running" || pod.deleting {
        ctx.toast(
            ToastLevel::Info,
            format!(
                "{} is not running ({}): no shell",
                pod.name, pod.status_word
            ),
        );
        return Vec::new();
    }
    ctx.toast(
        ToastLevel::Info,
        format!("shell in {}/{} ({container})", pod.namespace, pod.name),
    );
    vec![Cmd::Session {
        request,
        reason: String::new(),
    }]
}

/// `D` on a pod: why not (read-only, RBAC, not running, no app container), else an
/// ephemeral debug container sharing the shell's container's processes, attached at once.
pub fn ask_debug(ctx: &mut Ctx<'_>, pod: &PodFacts) -> Vec<Cmd> {
    let Some(target) = shell_container(pod).map(|c| c.name.clone()) else {
        ctx.toast(
            ToastLevel::Info,
            format!("{} has no app container to debug", pod.name),
        );
        return Vec::new();
    };
    let image = if ctx.context.debug_image.is_empty() {
        "busybox".to_owned()
    } else {
        ctx.context.debug_image.clone()
    };
    // The app has no random source: the clock and the pod's uid pick the name's letters.
    let seed = pod.uid.bytes().fold(
        u64::try_from(ctx.now.as_millisecond()).unwrap_or_default(),
        |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)),
    );
    let request = ActionRequest::DebugPod {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        target,
        image,
        container: debugger_name(seed),
    };
    if ctx.refused(&request) {
        return Vec::new();
    }
    if let Some(reason) = ctx.access_denial(&request) {
        ctx.toast(
            ToastLevel::Warn,
            format!("debug container disabled: {reason}"),
        );
        return Vec::new();
    }
    if pod.phase != "Running" || pod.deleting {
        ctx.toast(
            ToastLevel::Info,
            format!(
                "{} is not running ({}): no debug container",
                pod.name, pod.status_word
            ),
        );
        return Vec::new();
    }
    vec![Cmd::Session {
        request,
        reason: String::new(),
    }]
}

/// The grace period was typed: the confirmation, on the pod as listed now.
///
/// # Errors
/// The answer is not a grace period, or the pod (that uid) is no longer listed.
pub fn delete_entered(
    pane: &PodsPane,
    ctx: &mut Ctx<'_>,
    (namespace, name, uid): (&str, &str, &str),
    input: &str,
) -> Result<(), String> {
    let grace_secs = parse_grace(input)?;
    let pod = pane
        .latest_snapshot()
        .and_then(|s| {
            s.pods
                .iter()
                .find(|p| p.namespace == namespace && p.name == name && p.uid == uid)
        })
        .cloned()
        .ok_or_else(|| format!("pod {namespace}/{name} (uid {uid}) is gone"))?;
    let request = delete_request(ctx, &pod, grace_secs);
    if let Some(reason) = ctx.access_denial(&request) {
        return Err(reason);
    }
    let mut details = vec![
        ("pod".to_owned(), format!("{namespace}/{name}")),
        ("uid".to_owned(), format!("{uid} (precondition)")),
        (
            "status".to_owned(),
            format!(
                "{} · ready {}/{} · restarts {}",
                pod.status_word, pod.ready, pod.total, pod.restarts
            ),
        ),
        ("node".to_owned(), pod.node.clone()),
        ("grace".to_owned(), grace_words(grace_secs)),
    ];
    if let Some(owner) = pod.owners.first() {
        details.push(("owner".to_owned(), format!("{} {}", owner.kind, owner.name)));
    }
    let note = if pod.owners.is_empty() {
        (
            NoteLevel::Warn,
            "no controller owns this pod: it is gone for good",
        )
    } else {
        (
            NoteLevel::Info,
            "its controller creates a replacement (a new name, unless a StatefulSet's)",
        )
    };
    let confirm =
        Confirm::new(request, format!("delete pod {name}?"), details).with_note(note.0, note.1);
    ctx.confirm(confirm);
    Ok(())
}

/// The rows follow snapshots only while the pane shows (a pass over up to every pod):
/// brings them up to date when a snapshot waits, and asks the access reviews its actions
/// need, like the rollouts pane's.
pub fn apply_pending(pane: &mut PodsPane, ctx: &mut Ctx<'_>) -> Option<Vec<Cmd>> {
    pane.apply_pending()
        .then(|| ctx.check_access(&access_probes(pane)).into_iter().collect())
}

/// One delete, one exec and one port-forward probe per namespace of the listed pods, for access reviews.
#[must_use]
pub fn access_probes(pane: &PodsPane) -> Vec<ActionRequest> {
    let mut namespaces: BTreeSet<&str> = BTreeSet::new();
    let mut last = None;
    for pod in &pane.pods {
        // Listed by namespace: one set insert per run of pods, not per pod.
        if last != Some(pod.namespace.as_str()) {
            last = Some(pod.namespace.as_str());
            namespaces.insert(pod.namespace.as_str());
        }
    }
    namespaces
        .into_iter()
        .flat_map(|namespace| {
            [
                ActionRequest::DeletePod {
                    namespace: namespace.to_owned(),
                    name: String::new(),
                    uid: String::new(),
                    grace_secs: None,
                    production: false,
                },
                ActionRequest::ExecPod {
                    namespace: namespace.to_owned(),
                    name: String::new(),
                    container: String::new(),
                    command: Vec::new(),
                },
                ActionRequest::PortForward {
                    context: String::new(),
                    namespace: namespace.to_owned(),
                    name: String::new(),
                    port: 0,
                    local_port: 0,
                    service: None,
                },
            ]
        })
        .collect()
}

/// Another view asked for some pods.
pub fn focus(pane: &mut PodsPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Pods(wanted) = focus else {
        return Vec::new();
    };
    ctx.show(PaneId::Pods);
    pane.set_focus(wanted.clone());
    ctx.check_access(&access_probes(pane)).into_iter().collect()
}
