//! The apps pane's diff view (`d` on an app): each managed resource that differs between
//! live and desired state, from the Argo CD API server's managed-resources, normalized and
//! diffed by [`crate::model::k8s::app_diff`]. Read once per open (or `ctrl-r`); `esc` goes
//! back to the list or the detail it was opened from. Without an API server the view says
//! that the diff needs one, and how to configure it.

use crate::app::ctx::Ctx;
use crate::app::msg::Cmd;
use crate::app::panes::apps::AppsPane;
use crate::app::state::ToastLevel;
use crate::model::k8s::app_diff::{AppDiff, build};

/// The open diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    /// The Application's namespace and name.
    pub namespace: String,
    pub app: String,
    /// `None` while the read runs; the reason whole when it failed.
    pub loaded: Option<Result<AppDiff, String>>,
    /// First line shown.
    pub scroll: usize,
}

impl DiffView {
    /// Lines the view has (headers and diff lines), for scrolling bounds.
    #[must_use]
    pub fn line_count(&self) -> usize {
        match &self.loaded {
            Some(Ok(d)) => d.resources.iter().map(|r| r.lines.len() + 1).sum(),
            _ => 0,
        }
    }
}

/// `d`: opens the diff of the app actions would target (the open detail's, else the
/// selected row's) and asks for its managed resources.
pub fn open(apps: &mut AppsPane, ctx: &mut Ctx<'_>) -> Vec<Cmd> {
    let Some((app, _)) = apps.target() else {
        ctx.toast(ToastLevel::Info, "select an app first");
        return Vec::new();
    };
    let namespace = app.metadata.namespace.clone().unwrap_or_default();
    let name = app.metadata.name.clone().unwrap_or_default();
    apps.diff = Some(DiffView {
        namespace: namespace.clone(),
        app: name.clone(),
        loaded: None,
        scroll: 0,
    });
    vec![Cmd::LoadAppDiff {
        namespace,
        app: name,
    }]
}

/// `ctrl-r` in the diff: read it again.
pub fn reload(apps: &mut AppsPane) -> Vec<Cmd> {
    let Some(view) = apps.diff.as_mut() else {
        return Vec::new();
    };
    view.loaded = None;
    vec![Cmd::LoadAppDiff {
        namespace: view.namespace.clone(),
        app: view.app.clone(),
    }]
}

/// What an answer of the managed resources changed.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The open diff view took it.
    pub view_changed: bool,
    /// The comparison a sync confirm asked for (`plan_for`), for its plan line.
    pub plan: Option<Result<AppDiff, String>>,
}

/// The managed resources arrived (or why not): for the open diff of that app, and for the
/// sync confirm that asked for them; an answer for neither is dropped.
pub fn on_loaded(
    apps: &mut AppsPane,
    namespace: &str,
    app: &str,
    result: Result<serde_json::Value, String>,
) -> Loaded {
    let loaded = result.and_then(|body| build(&body).map_err(|e| e.to_string()));
    let mut out = Loaded::default();
    if apps
        .plan_for
        .as_ref()
        .is_some_and(|(ns, name)| ns == namespace && name == app)
    {
        apps.plan_for = None;
        out.plan = Some(loaded.clone());
    }
    if let Some(view) = apps.diff.as_mut()
        && view.app == app
        && view.namespace == namespace
    {
        view.loaded = Some(loaded);
        view.scroll = 0;
        out.view_changed = true;
    }
    out
}

/// Scrolls the open diff; false when none is open.
pub fn scroll(apps: &mut AppsPane, delta: isize) -> bool {
    let Some(view) = apps.diff.as_mut() else {
        return false;
    };
    let last = view.line_count().saturating_sub(1);
    view.scroll = view.scroll.saturating_add_signed(delta).min(last);
    true
}
