//! The events view's keys: enter (or `d`) describes the object a group is about, with every
//! event of it; `v` shows that object as YAML.

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::describe::Mode;
use crate::app::panes::events::EventsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::k8s::ObjectRef;

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::Describe, Action::ShowYaml];

/// The API group of a kind events name (events carry `apiVersion`, but the watch keeps
/// only kind and name for grouping; these are the kinds the workload views show).
fn group_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps",
        "Job" | "CronJob" => "batch",
        "Rollout" | "AnalysisRun" | "Application" => "argoproj.io",
        _ => "",
    }
}

/// The events view's own keys.
pub fn on_action(pane: &mut EventsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    let view = match action {
        Action::Select | Action::Describe => Mode::Describe,
        Action::ShowYaml => Mode::Yaml,
        _ => return None,
    };
    let Some(g) = pane.selected() else {
        ctx.toast(ToastLevel::Info, "no event selected");
        return Some(Vec::new());
    };
    let reference = ObjectRef::new(group_of(&g.kind), &g.kind, &g.namespace, &g.name);
    ctx.intent(Intent::Focus(Focus::Object { reference, view }));
    Some(Vec::new())
}
