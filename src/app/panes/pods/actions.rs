//! The pods view's keys: enter describes the selected pod, `y` shows it as YAML and `Y`
//! copies that YAML (OSC 52). The first-aid actions on a pod are asked here too and carried
//! out by the router (they are the same wherever a pod is selected).

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::pods::PodsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::k8s::ObjectRef;

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::Describe, Action::ShowYaml, Action::CopyYaml];

/// The pods view's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut PodsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    let view = match action {
        Action::Select | Action::Describe => crate::app::panes::describe::Mode::Describe,
        Action::ShowYaml => crate::app::panes::describe::Mode::Yaml,
        Action::CopyYaml => crate::app::panes::describe::Mode::CopyYaml,
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

/// Another view asked for some pods.
pub fn focus(pane: &mut PodsPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Pods(wanted) = focus else {
        return Vec::new();
    };
    ctx.show(PaneId::Pods);
    pane.set_focus(wanted.clone());
    Vec::new()
}
