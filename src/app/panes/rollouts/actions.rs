//! Rollout and Deployment actions from the `:rollouts` pane: promote (and promote fully),
//! abort, retry, pause, resume, restart, undo, scale and skip-step (Argo CD's
//! `skip-current-step`). Each is offered by Argo CD's discovery.lua rules (kubectl's for
//! Deployments) and by RBAC; the dialog shows the exact patches that will be sent, and the
//! confirmed action goes through the audit gate.

use crate::app::ctx::{Ctx, Focus, Intent, Permits};
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::describe::Mode;
use crate::app::panes::pods::PodsFocus;
use crate::app::panes::rollouts::{RolloutsPane, WorkloadEntry, WorkloadKey};
use crate::app::panes::{PaneId, select_row};
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::model::action::{ActionRequest, RolloutOp, WorkloadKind};
use crate::model::k8s::ObjectRef;
use crate::model::k8s::patches::{DEPLOYMENT_REVISION, ROLLOUT_REVISION, replica_set_revision};
use crate::model::k8s::{Enablement, RowKind, Workload, op_enablement, plan};

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::Promote,
    crate::keymap::Action::PromoteFull,
    crate::keymap::Action::AbortRollout,
    crate::keymap::Action::RetryRollout,
    crate::keymap::Action::PauseRollout,
    crate::keymap::Action::ResumeRollout,
    crate::keymap::Action::RestartWorkload,
    crate::keymap::Action::UndoRollout,
    crate::keymap::Action::ScaleWorkload,
    crate::keymap::Action::SkipStep,
    crate::keymap::Action::TerminateAnalysis,
    crate::keymap::Action::Describe,
    crate::keymap::Action::ShowYaml,
    crate::keymap::Action::CopyRow,
    crate::keymap::Action::NextPod,
    crate::keymap::Action::PrevPod,
    crate::keymap::Action::DeletePod,
    crate::keymap::Action::Shell,
    crate::keymap::Action::OpenK9s,
    crate::keymap::Action::DebugPod,
    crate::keymap::Action::PortForward,
];

/// The actions the pane offers, in menu order, with a probe op for enablement.
pub const OPS: [(&str, RolloutOp); 10] = [
    ("promote", RolloutOp::Promote { full: false }),
    ("promote-full", RolloutOp::Promote { full: true }),
    ("abort", RolloutOp::Abort),
    ("retry", RolloutOp::Retry),
    ("pause", RolloutOp::Pause),
    ("resume", RolloutOp::Resume),
    ("restart", RolloutOp::Restart),
    ("undo", RolloutOp::Undo { revision: None }),
    ("scale", RolloutOp::Scale { replicas: 1 }),
    ("skip-step", RolloutOp::SkipStep),
];

/// Why a `StatefulSet`, `DaemonSet` or Job row offers no action.
fn read_only(entry: &WorkloadEntry) -> String {
    format!(
        "{}s are shown read-only (status is Argo CD's health)",
        entry.row.kind.kind_name()
    )
}

/// `None` for a read-only row (a `StatefulSet`, `DaemonSet` or Job): no action targets it.
fn request(entry: &WorkloadEntry, op: RolloutOp) -> Option<ActionRequest> {
    Some(ActionRequest::RolloutAction {
        namespace: entry.row.namespace.clone(),
        name: entry.row.name.clone(),
        kind: entry.row.kind.workload()?,
        op,
    })
}

/// Why `op` is not offered for `workload` now: read-only mode, the discovery rules, RBAC.
fn refusal(
    permits: Permits<'_>,
    entry: &WorkloadEntry,
    workload: Workload<'_>,
    op: RolloutOp,
) -> Option<String> {
    let Some(request) = request(entry, op) else {
        return Some(format!(
            "{}s are shown read-only",
            entry.row.kind.kind_name()
        ));
    };
    if let Err(e) = crate::actions::gate::allowed(&request, permits.readonly) {
        return Some(e.reason);
    }
    if let Enablement::Disabled(reason) = op_enablement(workload, op) {
        return Some(reason);
    }
    permits.access.denial(&request)
}

/// Every action with whether it is offered, and why not (the detail lists them).
#[must_use]
pub fn enablement(
    rollouts: &RolloutsPane,
    permits: Permits<'_>,
    entry: &WorkloadEntry,
) -> Vec<(&'static str, Option<String>)> {
    let key = entry.key();
    let Some(workload) = rollouts.workload(&key) else {
        return vec![("actions", Some(read_only(entry)))];
    };
    OPS.iter()
        .filter(|(_, op)| {
            entry.row.kind == RowKind::Rollout
                || !matches!(
                    op,
                    RolloutOp::Promote { .. }
                        | RolloutOp::Abort
                        | RolloutOp::Retry
                        | RolloutOp::SkipStep
                )
        })
        .map(|(word, op)| (*word, refusal(permits, entry, workload, *op)))
        .collect()
}

/// A key for `op` was pressed: the prompt (undo, scale) or the confirmation, or why not.
pub fn ask(rollouts: &RolloutsPane, ctx: &mut Ctx<'_>, op: RolloutOp) {
    let Some(entry) = rollouts.target().cloned() else {
        ctx.toast(ToastLevel::Info, "select a rollout or deployment first");
        return;
    };
    let key = entry.key();
    let Some(workload) = rollouts.workload(&key) else {
        ctx.toast(ToastLevel::Info, read_only(&entry));
        return;
    };
    if let Some(reason) = refusal(ctx.permits(), &entry, workload, op) {
        ctx.toast(
            ToastLevel::Warn,
            format!("{} disabled: {reason}", op.as_str()),
        );
        return;
    }
    match op {
        RolloutOp::Undo { .. } => {
            let revisions = revisions(rollouts, &entry);
            ctx.prompt(Prompt {
                title: format!(
                    "undo {} {} to revision",
                    entry.row.kind.as_str(),
                    entry.row.name
                ),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::UndoRollout(key),
                hint: format!(
                    "empty for the previous one; revisions: {}",
                    revisions
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        RolloutOp::Scale { .. } => {
            ctx.prompt(Prompt {
                title: format!(
                    "scale {} {} (now {})",
                    entry.row.kind.as_str(),
                    entry.row.name,
                    entry.row.desired
                ),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::ScaleWorkload(key),
                hint: "replicas; 0 stops every pod (you will type the name)".into(),
            });
        }
        _ => confirm(rollouts, ctx, &entry, op),
    }
}

/// Revision numbers of the workload's ReplicaSets, newest first.
fn revisions(rollouts: &RolloutsPane, entry: &WorkloadEntry) -> Vec<i64> {
    let annotation = match entry.row.kind.workload() {
        Some(WorkloadKind::Rollout) => ROLLOUT_REVISION,
        Some(WorkloadKind::Deployment) => DEPLOYMENT_REVISION,
        None => return Vec::new(),
    };
    let mut out: Vec<i64> = rollouts
        .children(&entry.key())
        .replica_sets
        .iter()
        .filter_map(|rs| replica_set_revision(rs, annotation))
        .collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out
}

/// The undo prompt was answered.
pub fn undo_entered(
    rollouts: &RolloutsPane,
    ctx: &mut Ctx<'_>,
    key: &WorkloadKey,
    input: &str,
) -> Result<(), String> {
    let revision = match input.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| format!("`{text}`: type a revision number, or nothing"))?,
        ),
    };
    let entry = entry_for(rollouts, key)?;
    confirm(rollouts, ctx, &entry, RolloutOp::Undo { revision });
    Ok(())
}

/// The scale prompt was answered.
pub fn scale_entered(
    rollouts: &RolloutsPane,
    ctx: &mut Ctx<'_>,
    key: &WorkloadKey,
    input: &str,
) -> Result<(), String> {
    let replicas: i32 = input
        .trim()
        .parse()
        .map_err(|_| format!("`{}`: type a number of replicas", input.trim()))?;
    if !(0..=1000).contains(&replicas) {
        return Err(format!("{replicas}: between 0 and 1000 replicas"));
    }
    let entry = entry_for(rollouts, key)?;
    confirm(rollouts, ctx, &entry, RolloutOp::Scale { replicas });
    Ok(())
}

fn entry_for(rollouts: &RolloutsPane, key: &WorkloadKey) -> Result<WorkloadEntry, String> {
    rollouts
        .entries
        .iter()
        .find(|e| &e.key() == key)
        .cloned()
        .ok_or_else(|| format!("{} is no longer listed", key.name))
}

/// The confirmation, with the patches the action will send as computed on the object the pane
/// shows (the executor computes them again on the live object).
fn confirm(rollouts: &RolloutsPane, ctx: &mut Ctx<'_>, entry: &WorkloadEntry, op: RolloutOp) {
    let key = entry.key();
    let children = rollouts.children(&key);
    let Some(workload) = rollouts.workload(&key) else {
        return;
    };
    let planned = plan(workload, op, &children.replica_sets, ctx.now);
    let row = &entry.row;
    let mut details = vec![
        (
            row.kind.as_str().to_owned(),
            format!("{}/{} ({})", row.namespace, row.name, row.strategy.as_str()),
        ),
        (
            "status".to_owned(),
            format!("{} {}", row.status, row.message),
        ),
        (
            "replicas".to_owned(),
            format!(
                "desired {} · updated {} · ready {} · available {}",
                row.desired, row.updated, row.ready, row.available
            ),
        ),
        ("images".to_owned(), row.images.join(", ")),
    ];
    if let Some((n, m)) = row.step {
        details.push(("step".to_owned(), format!("{n}/{m}")));
    }
    let plans = match planned {
        Ok(plans) => plans,
        Err(e) => {
            ctx.toast(ToastLevel::Warn, format!("{} refused: {e}", op.as_str()));
            return;
        }
    };
    for p in &plans {
        let target = match p.subresource {
            Some(sub) => format!("patch {sub}"),
            None => "patch".to_owned(),
        };
        let text = if matches!(op, RolloutOp::Undo { .. }) {
            format!(
                "spec.template ← images {}",
                crate::model::k8s::workload::images(&p.patch["spec"]["template"]).join(", ")
            )
        } else {
            p.patch.to_string()
        };
        details.push((target, crate::model::text::fit(&text, 160)));
    }
    let title = format!("{} {} {}?", op.as_str(), row.kind.as_str(), row.name);
    let Some(request) = request(entry, op) else {
        return;
    };
    let mut confirm = Confirm::new(request, title, details);
    confirm = match op {
        RolloutOp::Abort => confirm.with_note(
            NoteLevel::Warn,
            "traffic and replicas go back to the stable version; the rollout shows Degraded until retried or updated",
        ),
        RolloutOp::Promote { full: true } => confirm.with_note(
            NoteLevel::Warn,
            "skips every remaining step and analysis",
        ),
        RolloutOp::Restart => confirm.with_note(
            NoteLevel::Info,
            "pods are replaced one by one under the workload's strategy",
        ),
        RolloutOp::Undo { .. } => confirm.with_note(
            NoteLevel::Warn,
            "the live template then differs from git: Argo CD shows OutOfSync (self-heal would revert it)",
        ),
        RolloutOp::Scale { replicas: 0 } => {
            confirm.with_note(NoteLevel::Warn, "every pod stops")
        }
        _ => confirm,
    };
    ctx.confirm(confirm);
}

/// Every rollout action of the listed workloads' namespaces and kinds, for access reviews.
#[must_use]
pub fn access_probes(rollouts: &RolloutsPane) -> Vec<ActionRequest> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for e in &rollouts.entries {
        if seen.insert((e.row.namespace.clone(), e.row.kind)) {
            for (_, op) in OPS {
                out.extend(request(e, op));
            }
            // The analysis-run review is per namespace; any run name asks the same question.
            if e.row.kind == RowKind::Rollout {
                out.push(ActionRequest::TerminateAnalysisRun {
                    namespace: e.row.namespace.clone(),
                    name: String::new(),
                    rollout: e.row.name.clone(),
                });
            }
        }
    }
    out
}

/// The rollouts pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(
    rollouts: &mut RolloutsPane,
    ctx: &mut Ctx<'_>,
    action: crate::keymap::Action,
) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    let op = match action {
        // The list opens the workload's tree; the tree opens its pods (k9s's enter).
        Action::Select => {
            match rollouts.detail.clone() {
                Some(key) => ctx.intent(Intent::Focus(Focus::Pods(PodsFocus::Workload {
                    kind: key.kind.kind_name().to_owned(),
                    namespace: key.namespace,
                    name: key.name,
                }))),
                None => rollouts.open_detail(),
            }
            return Some(Vec::new());
        }
        Action::Describe | Action::ShowYaml | Action::CopyRow => {
            let view = match action {
                Action::Describe => Mode::Describe,
                Action::ShowYaml => Mode::Yaml,
                _ => Mode::CopyYaml,
            };
            match rollouts.target() {
                Some(e) => {
                    let kind = e.row.kind.kind_name();
                    let group = match e.row.kind {
                        RowKind::Rollout => "argoproj.io",
                        RowKind::Job => "batch",
                        _ => "apps",
                    };
                    let reference = ObjectRef::new(group, kind, &e.row.namespace, &e.row.name);
                    ctx.intent(Intent::Focus(Focus::Object { reference, view }));
                }
                None => ctx.toast(ToastLevel::Info, "no workload selected"),
            }
            return Some(Vec::new());
        }
        // The pod keys act on the tree's pod node that tab selected (as in the pods view).
        Action::NextPod | Action::PrevPod => {
            if rollouts.detail.is_none() {
                ctx.toast(ToastLevel::Info, "open a workload's tree (enter) first");
            } else {
                rollouts.move_tree_pod(if action == Action::NextPod { 1 } else { -1 });
                if rollouts.tree_pod.is_none() {
                    ctx.toast(ToastLevel::Info, "this tree has no pods");
                }
            }
            return Some(Vec::new());
        }
        // k9s opens on the namespace of the workload (its pods view, `-c pods`).
        Action::OpenK9s => {
            let cmds = match rollouts.target() {
                Some(entry) => vec![Cmd::OpenK9s {
                    namespace: entry.row.namespace.clone(),
                }],
                None => {
                    ctx.toast(ToastLevel::Info, "no workload selected");
                    Vec::new()
                }
            };
            return Some(cmds);
        }
        Action::DeletePod | Action::Shell | Action::DebugPod | Action::PortForward => {
            let cmds = match rollouts.tree_pod_facts().cloned() {
                Some(pod) if action == Action::PortForward => {
                    crate::app::panes::forwards::actions::ask_forward(ctx, &pod)
                }
                Some(pod) if action == Action::Shell => {
                    crate::app::panes::pods::actions::ask_shell(ctx, &pod)
                }
                Some(pod) if action == Action::DebugPod => {
                    crate::app::panes::pods::actions::ask_debug(ctx, &pod)
                }
                Some(pod) => crate::app::panes::pods::actions::ask_delete(ctx, &pod),
                None => {
                    ctx.toast(
                        ToastLevel::Info,
                        "select a pod first: enter opens the tree, tab moves among its pods",
                    );
                    Vec::new()
                }
            };
            return Some(cmds);
        }
        Action::Promote => RolloutOp::Promote { full: false },
        Action::PromoteFull => RolloutOp::Promote { full: true },
        Action::AbortRollout => RolloutOp::Abort,
        Action::RetryRollout => RolloutOp::Retry,
        Action::PauseRollout => RolloutOp::Pause,
        Action::ResumeRollout => RolloutOp::Resume,
        Action::RestartWorkload => RolloutOp::Restart,
        Action::UndoRollout => RolloutOp::Undo { revision: None },
        Action::ScaleWorkload => RolloutOp::Scale { replicas: 0 },
        Action::SkipStep => RolloutOp::SkipStep,
        Action::TerminateAnalysis => {
            super::analysis::ask(rollouts, ctx);
            return Some(Vec::new());
        }
        _ => return None,
    };
    ask(rollouts, ctx, op);
    Some(Vec::new())
}

/// The rows are built only while the pane shows (they cost a pass over every pod): builds
/// them when a snapshot waits, and asks the access reviews its actions need.
pub fn apply_pending(rollouts: &mut RolloutsPane, ctx: &mut Ctx<'_>) -> Option<Vec<Cmd>> {
    rollouts.apply_pending().then(|| {
        ctx.check_access(&access_probes(rollouts))
            .into_iter()
            .collect()
    })
}

/// The incident view's rollout panel: the service's workload, selected and opened.
pub fn focus(rollouts: &mut RolloutsPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Workload(wanted) = focus else {
        return Vec::new();
    };
    ctx.show(PaneId::Rollouts);
    // The rows are built when the pane shows; build them now to select the workload.
    let cmds = apply_pending(rollouts, ctx).unwrap_or_default();
    let row = rollouts.entries.iter().position(|e| {
        e.row.name == wanted.name
            && wanted
                .namespace
                .as_deref()
                .is_none_or(|ns| ns == e.row.namespace)
    });
    if let Some(row) = row {
        select_row(rollouts, row);
        rollouts.open_detail();
    }
    cmds
}
