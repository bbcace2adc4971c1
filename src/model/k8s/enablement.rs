//! Which rollout actions are offered for a workload, and why not when they are greyed out.
//! Rollouts follow Argo CD's `discovery.lua` (argoproj/argo-cd,
//! `resource_customizations/argoproj.io/Rollout/actions/discovery.lua`); Deployments follow
//! kubectl (restart refuses a paused Deployment: kubernetes/kubernetes,
//! staging/src/k8s.io/kubectl/pkg/polymorphichelpers/objectrestarter.go).

use super::deployment::is_paused;
use super::workload::Workload;
use crate::model::action::RolloutOp;

/// Every action the rollout pane can offer. `SkipStep` has no [`RolloutOp`] yet (the plugin
/// deprecated it in favour of promote), but Argo CD still offers it, so it is judged here.
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

/// Whether `action` is offered for `workload` right now.
#[must_use]
pub fn enablement(workload: Workload<'_>, action: WorkloadAction) -> Enablement {
    use Enablement as E;
    use WorkloadAction as A;
    match workload {
        Workload::Rollout(r) => {
            const PROMOTED: &str = "rollout is already fully promoted";
            let promoted = r.fully_promoted();
            let aborted = r.status.abort;
            let paused = r.paused();
            match action {
                A::Promote | A::Resume => E::unless(!paused, "rollout is not paused"),
                A::PromoteFull => E::unless(promoted, PROMOTED),
                A::Abort | A::Retry | A::Pause if promoted => E::Disabled(PROMOTED.into()),
                A::Abort => E::unless(aborted, "rollout is already aborted"),
                A::Retry => E::unless(!aborted, "rollout is not aborted"),
                A::Pause if aborted => E::Disabled("rollout is aborted".into()),
                A::Pause => E::unless(paused, "rollout is already paused"),
                A::SkipStep => {
                    let steps = r.steps().len();
                    if r.spec.strategy.canary.is_none() {
                        E::Disabled("only canary rollouts have steps".into())
                    } else if steps == 0 {
                        E::Disabled("rollout has no canary steps".into())
                    } else if r
                        .status
                        .current_step_index
                        .and_then(|i| usize::try_from(i).ok())
                        .is_some_and(|i| i >= steps)
                    {
                        E::Disabled("rollout is at the last step".into())
                    } else {
                        E::Enabled
                    }
                }
                A::Restart | A::Undo | A::Scale => E::Enabled,
            }
        }
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
                (A::Pause, off("rollout is already paused")),
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
