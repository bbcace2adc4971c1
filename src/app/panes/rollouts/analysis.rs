//! `t` in the rollouts pane: terminate the selected rollout's running `AnalysisRun`, as
//! `kubectl argo rollouts terminate analysisrun` does (argoproj/argo-rollouts at 9f8d111d,
//! `pkg/kubectl-argo-rollouts/cmd/terminate/terminate.go`). Offered only for a Rollout with a
//! run that has not completed; refused with the reason by read-only mode and by RBAC (`patch`
//! on `analysisruns`), then confirmed and sent through the audit gate.

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::panes::rollouts::RolloutsPane;
use crate::app::state::ToastLevel;
use crate::model::action::ActionRequest;
use crate::model::k8s::RowKind;
use crate::model::k8s::patches::{terminable_run, terminate_analysis_run};

/// The request `t` would send for the selected workload, or why there is none.
pub fn request(rollouts: &RolloutsPane) -> Result<ActionRequest, String> {
    let entry = rollouts
        .target()
        .ok_or_else(|| "select a rollout first".to_owned())?;
    if entry.row.kind != RowKind::Rollout {
        return Err("only Argo Rollouts run AnalysisRuns".into());
    }
    let children = rollouts.children(&entry.key());
    let run = terminable_run(&children.analysis_runs)
        .ok_or_else(|| format!("rollout {} has no running AnalysisRun", entry.row.name))?;
    Ok(ActionRequest::TerminateAnalysisRun {
        namespace: entry.row.namespace.clone(),
        name: run.metadata.name.clone().unwrap_or_default(),
        rollout: entry.row.name.clone(),
    })
}

/// `t` was pressed: the confirmation, or why not.
pub fn ask(rollouts: &RolloutsPane, ctx: &mut Ctx<'_>) {
    let request = match request(rollouts) {
        Ok(r) => r,
        Err(why) => {
            ctx.toast(ToastLevel::Info, why);
            return;
        }
    };
    let refusal = {
        let permits = ctx.permits();
        crate::actions::gate::allowed(&request, permits.readonly)
            .err()
            .map(|e| e.reason)
            .or_else(|| permits.access.denial(&request))
    };
    if let Some(reason) = refusal {
        ctx.toast(ToastLevel::Warn, format!("terminate disabled: {reason}"));
        return;
    }
    let ActionRequest::TerminateAnalysisRun {
        namespace,
        name,
        rollout,
    } = &request
    else {
        return;
    };
    let entry = rollouts.target();
    let children = entry
        .map(|e| rollouts.children(&e.key()))
        .unwrap_or_default();
    let run = children
        .analysis_runs
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name.as_str()));
    let mut details = vec![
        ("analysisrun".to_owned(), format!("{namespace}/{name}")),
        ("rollout".to_owned(), rollout.clone()),
    ];
    if let Some(run) = run {
        details.push(("phase".to_owned(), run.label().to_string()));
        match terminate_analysis_run(run) {
            Ok(plan) => details.push(("patch".to_owned(), plan.patch.to_string())),
            Err(e) => {
                ctx.toast(ToastLevel::Warn, format!("terminate refused: {e}"));
                return;
            }
        }
    }
    let title = format!("terminate analysisrun {name}?");
    let confirm = Confirm::new(request.clone(), title, details).with_note(
        NoteLevel::Warn,
        "the run stops measuring and ends as Successful (\"Run Terminated\"): the rollout goes on without its verdict",
    );
    ctx.confirm(confirm);
}
