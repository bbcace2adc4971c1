//! Which rollout actions are offered for a workload, and why not when they are greyed out.
//! Rollouts follow Argo CD's `discovery.lua` (argoproj/argo-cd at
//! 37ee0097cf851bc2dd7665fc081bbce61a7e836e,
//! `resource_customizations/argoproj.io/Rollout/actions/discovery.lua`, ported in
//! [`super::health_rules::rollout_actions`]); Deployments follow kubectl (restart refuses a
//! paused Deployment: kubernetes/kubernetes,
//! staging/src/k8s.io/kubectl/pkg/polymorphichelpers/objectrestarter.go), where Argo CD's
//! Deployment `restart` action does not (see [`RESTART_DIFFERS_FROM_ARGO_CD`]).

use super::deployment::is_paused;
use super::health_rules::rollout_actions;
use super::rollout::Rollout;
use super::workload::Workload;
use crate::model::action::RolloutOp;

/// Every action the rollout pane can offer. `SkipStep` is Argo CD's `skip-current-step` (the
/// plugin deprecated its own skip in favour of promote; Argo CD still offers it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadAction {
    Promote,
    PromoteFull,
    Abort,
    Retry,
    Pause,
    Resume,
    SkipStep,
    Restart,
    Undo,
    Scale,
}

impl WorkloadAction {
    #[must_use]
    pub fn from_op(op: RolloutOp) -> Self {
        match op {
            RolloutOp::Promote { full: false } => Self::Promote,
            RolloutOp::Promote { full: true } => Self::PromoteFull,
            RolloutOp::Abort => Self::Abort,
            RolloutOp::Retry => Self::Retry,
            RolloutOp::Pause => Self::Pause,
            RolloutOp::Resume => Self::Resume,
            RolloutOp::Restart => Self::Restart,
            RolloutOp::Undo { .. } => Self::Undo,
            RolloutOp::Scale { .. } => Self::Scale,
            RolloutOp::SkipStep => Self::SkipStep,
        }
    }
}

/// Offered, or greyed out with the reason the menu shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enablement {
    Enabled,
    Disabled(String),
}

impl Enablement {
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        matches!(self, Self::Enabled)
    }

    fn unless(disabled: bool, reason: &str) -> Self {
        if disabled {
            Self::Disabled(reason.to_owned())
        } else {
            Self::Enabled
        }
    }
}

/// kubectl's refusal, word for word (`objectrestarter.go`).
pub const RESTART_PAUSED: &str = "can't restart paused deployment (run rollout resume first)";

/// Where opsdeck's Deployment restart deliberately differs from Argo CD's, both rules in
/// words for the detail view. Argo CD: argoproj/argo-cd
/// `resource_customizations/apps/Deployment/actions/discovery.lua` offers `restart` always
/// and `restart/action.lua` sets the annotation whether or not the Deployment is paused.
pub const RESTART_DIFFERS_FROM_ARGO_CD: [&str; 2] = [
    "opsdeck follows kubectl: restart refuses a paused Deployment (\"can't restart paused deployment (run rollout resume first)\")",
    "Argo CD's restart action always runs: it sets kubectl.kubernetes.io/restartedAt even on a paused Deployment, which then restarts only when resumed",
];

/// `discovery.lua` for a Rollout, with the reason for each action it greys out.
fn rollout_enablement(r: &Rollout, action: WorkloadAction) -> Enablement {
    use Enablement as E;
    use WorkloadAction as A;
    const PROMOTED: &str = "rollout is already fully promoted";
    let lua = rollout_actions(&r.raw);
    if let Some(error) = &lua.error
        && !matches!(action, A::Restart | A::Undo | A::Scale)
    {
        return E::Disabled(format!("Argo CD's action discovery fails: {error}"));
    }
    let off = |offered: bool, reason: &str| E::unless(!offered, reason);
    match action {
        // Argo CD's `resume`; opsdeck's promote unpauses the same way.
        A::Promote | A::Resume => off(lua.resume, "rollout is not paused"),
        A::PromoteFull | A::Abort | A::Retry | A::Pause if lua.fully_promoted => {
            E::Disabled(PROMOTED.into())
        }
        A::PromoteFull => off(
            lua.promote_full,
            "Rollouts v0.9 (a hash in status.observedGeneration) fully promotes canaries only",
        ),
        A::Abort => off(lua.abort, "rollout is already aborted"),
        A::Retry => off(lua.retry, "rollout is not aborted"),
        A::Pause if lua.aborted => E::Disabled("rollout is aborted".into()),
        // Paused at a step (pause conditions) still offers pause, as Argo CD does: it sets
        // spec.paused, which keeps the rollout paused after the step is promoted.
        A::Pause => off(lua.pause, "rollout is already paused (spec.paused)"),
        A::SkipStep if r.spec.strategy.canary.is_none() => {
            E::Disabled("only canary rollouts have steps".into())
        }
        A::SkipStep => {
            let steps = &r.raw["spec"]["strategy"]["canary"]["steps"];
            let reason = if steps.is_null() {
                "rollout has no canary steps"
            } else {
                "rollout is at the last step"
            };
            off(lua.skip_current_step, reason)
        }
        A::Restart | A::Undo | A::Scale => E::Enabled,
    }
}

/// Whether `action` is offered for `workload` right now.
#[must_use]
pub fn enablement(workload: Workload<'_>, action: WorkloadAction) -> Enablement {
    use Enablement as E;
    use WorkloadAction as A;
    match workload {
        Workload::Rollout(r) => rollout_enablement(r, action),
        Workload::Deployment(d) => {
            let paused = is_paused(d);
            match action {
                A::Promote | A::PromoteFull | A::Abort | A::Retry | A::SkipStep => {
                    E::Disabled("only Argo Rollouts have this action".into())
                }
                A::Pause => E::unless(paused, "deployment is already paused"),
                A::Resume => E::unless(!paused, "deployment is not paused"),
                A::Restart => E::unless(paused, RESTART_PAUSED),
                A::Undo | A::Scale => E::Enabled,
            }
        }
    }
}

/// Whether the [`RolloutOp`] of an action request is offered.
#[must_use]
pub fn op_enablement(workload: Workload<'_>, op: RolloutOp) -> Enablement {
    if let RolloutOp::Scale { replicas } = op
        && replicas < 0
    {
        return Enablement::Disabled("replicas cannot be negative".into());
    }
    enablement(workload, WorkloadAction::from_op(op))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::deployment::tests as dep;
    use crate::model::k8s::rollout::tests as ro;

    fn reasons(w: Workload<'_>) -> Vec<(WorkloadAction, Enablement)> {
        use WorkloadAction as A;
        [
            A::Promote,
            A::PromoteFull,
            A::Abort,
            A::Retry,
            A::Pause,
            A::Resume,
            A::SkipStep,
            A::Restart,
        ]
        .into_iter()
        .map(|a| (a, enablement(w, a)))
        .collect()
    }

    fn off(reason: &str) -> Enablement {
        Enablement::Disabled(reason.into())
    }

    #[test]
    fn canary_paused_mid_steps() {
        use WorkloadAction as A;
        let r = ro::canary_paused();
        assert_eq!(
            reasons(Workload::Rollout(&r)),
            vec![
                (A::Promote, Enablement::Enabled),
                (A::PromoteFull, Enablement::Enabled),
                (A::Abort, Enablement::Enabled),
                (A::Retry, off("rollout is not aborted")),
                // Argo CD offers pause at a pause step: argo-cd
                // resource_customizations/argoproj.io/Rollout/actions/action_test.yaml,
                // has_pause_condition_rollout.yaml (pause disabled: false).
                (A::Pause, Enablement::Enabled),
                (A::Resume, Enablement::Enabled),
                (A::SkipStep, Enablement::Enabled),
                (A::Restart, Enablement::Enabled),
            ]
        );
    }

    #[test]
    fn aborted_rollout() {
        use WorkloadAction as A;
        let r = ro::canary_aborted();
        let w = Workload::Rollout(&r);
        assert_eq!(enablement(w, A::Abort), off("rollout is already aborted"));
        assert_eq!(enablement(w, A::Retry), Enablement::Enabled);
        assert_eq!(enablement(w, A::Pause), off("rollout is aborted"));
        assert_eq!(enablement(w, A::Promote), off("rollout is not paused"));
    }

    #[test]
    fn fully_promoted_rollout() {
        use WorkloadAction as A;
        let r = ro::canary_promoted();
        let w = Workload::Rollout(&r);
        for a in [A::PromoteFull, A::Abort, A::Retry, A::Pause] {
            assert_eq!(
                enablement(w, a),
                off("rollout is already fully promoted"),
                "{a:?}"
            );
        }
        assert_eq!(
            enablement(w, A::SkipStep),
            off("rollout is at the last step")
        );
        assert_eq!(enablement(w, A::Restart), Enablement::Enabled);
    }

    /// `discovery.lua` on a Rollout without status fails (`obj.status.currentPodHash`), and
    /// Argo CD then offers none of its actions; opsdeck says why.
    #[test]
    fn rollout_without_status_offers_only_opsdeck_actions() {
        let r = ro::rollout(serde_json::json!({
            "metadata": {"name": "new", "generation": 1},
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 10}]}}}
        }));
        let w = Workload::Rollout(&r);
        let Enablement::Disabled(why) = enablement(w, WorkloadAction::Abort) else {
            panic!("abort offered")
        };
        assert!(
            why.starts_with("Argo CD's action discovery fails: "),
            "{why}"
        );
        assert!(enablement(w, WorkloadAction::Restart).is_enabled());
    }

    #[test]
    fn blue_green_has_no_steps_to_skip() {
        let r = ro::blue_green_paused();
        let w = Workload::Rollout(&r);
        assert_eq!(
            enablement(w, WorkloadAction::SkipStep),
            off("only canary rollouts have steps")
        );
        assert!(enablement(w, WorkloadAction::Promote).is_enabled());
    }

    #[test]
    fn deployments() {
        use WorkloadAction as A;
        let paused = dep::paused();
        let w = Workload::Deployment(&paused);
        assert_eq!(
            enablement(w, A::Restart),
            off("can't restart paused deployment (run rollout resume first)")
        );
        assert_eq!(enablement(w, A::Pause), off("deployment is already paused"));
        assert!(enablement(w, A::Resume).is_enabled());
        let running = dep::rolling();
        let w = Workload::Deployment(&running);
        assert!(enablement(w, A::Restart).is_enabled());
        assert_eq!(enablement(w, A::Resume), off("deployment is not paused"));
        assert_eq!(
            enablement(w, A::Abort),
            off("only Argo Rollouts have this action")
        );
        assert_eq!(
            op_enablement(w, RolloutOp::Scale { replicas: -1 }),
            off("replicas cannot be negative")
        );
        assert!(op_enablement(w, RolloutOp::Undo { revision: None }).is_enabled());
    }
}
