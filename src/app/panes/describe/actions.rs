//! The describe view's keys: `v` switches between describe and YAML, `Y` copies the YAML
//! (OSC 52, works over SSH), `ctrl-r` reads the object again, `F` forwards a described
//! Service's port; and how other views open it.

use crate::app::ctx::{Ctx, Focus};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::describe::{DescribePane, Mode};
use crate::app::state::ToastLevel;
use crate::keymap::Action;

/// The pane's own keys (besides the global ones).
pub const ACTIONS: &[Action] = &[
    Action::Refresh,
    Action::ShowYaml,
    Action::CopyRow,
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::PortForward,
];

/// Copies `yaml` with a toast that says so (cut to what OSC 52 carries).
fn copy(pane: &DescribePane, ctx: &mut Ctx<'_>, yaml: String) -> Vec<Cmd> {
    let label = pane.target.as_ref().map_or_else(
        || "the YAML".to_owned(),
        |t| format!("the YAML of {} {}", t.kind, t.name),
    );
    crate::app::copy::copy_with(crate::app::copy::Copied::new(label, yaml), |level, text| {
        ctx.toast(level, text);
    })
}

/// The describe view's own keys.
pub fn on_action(pane: &mut DescribePane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    let rows = isize::try_from(ctx.size.1.saturating_sub(6).max(1)).unwrap_or(1);
    match action {
        Action::ShowYaml => {
            pane.yaml = !pane.yaml;
            pane.scroll = 0;
            Some(Vec::new())
        }
        Action::CopyRow => Some(match pane.yaml_text() {
            Some(yaml) => copy(pane, ctx, yaml),
            None => {
                pane.copy_when_loaded = true;
                Vec::new()
            }
        }),
        Action::Refresh => Some(load(pane)),
        Action::PortForward => Some(forward(pane, ctx)),
        Action::Up => Some(scroll(pane, -1)),
        Action::Down => Some(scroll(pane, 1)),
        Action::PageUp => Some(scroll(pane, -rows)),
        Action::PageDown => Some(scroll(pane, rows)),
        Action::Top => Some(scroll(pane, isize::MIN / 2)),
        Action::Bottom => Some(scroll(pane, isize::MAX / 2)),
        _ => None,
    }
}

/// `F` on a described Service: the form on its ports (`kubectl port-forward svc/…`).
fn forward(pane: &DescribePane, ctx: &mut Ctx<'_>) -> Vec<Cmd> {
    let Some(target) = pane.target.as_ref().filter(|t| t.kind == "Service") else {
        ctx.toast(
            ToastLevel::Info,
            "F here forwards a Service's port; a pod's is F in :pods",
        );
        return Vec::new();
    };
    let Some(Ok(loaded)) = &pane.loaded else {
        ctx.toast(ToastLevel::Info, "the Service is not read yet");
        return Vec::new();
    };
    crate::app::panes::forwards::actions::ask_service_forward(
        ctx,
        &target.namespace,
        &target.name,
        &loaded.service_ports,
    )
}

fn scroll(pane: &mut DescribePane, delta: isize) -> Vec<Cmd> {
    crate::app::panes::Pane::move_other(pane, delta);
    Vec::new()
}

fn load(pane: &mut DescribePane) -> Vec<Cmd> {
    match pane.target.clone() {
        Some(reference) => {
            pane.loaded = None;
            vec![Cmd::LoadObject(reference)]
        }
        None => Vec::new(),
    }
}

/// Another view asked to describe (or show the YAML of) an object.
pub fn focus(pane: &mut DescribePane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Object { reference, view } = focus else {
        return Vec::new();
    };
    ctx.show(PaneId::Describe);
    pane.yaml = *view != Mode::Describe;
    let same = pane.target.as_ref() == Some(reference);
    let mut cmds = Vec::new();
    if !same || !matches!(pane.loaded, Some(Ok(_))) {
        pane.target = Some(reference.clone());
        pane.scroll = 0;
        cmds = load(pane);
    }
    if *view == Mode::CopyYaml {
        match pane.yaml_text() {
            Some(yaml) => cmds.extend(copy(pane, ctx, yaml)),
            None => pane.copy_when_loaded = true,
        }
    }
    cmds
}
