//! `s` / `S` in the apps pane: sync the app (pruning with `S`; only the marked resources when
//! any are marked), checked first the way Argo CD would check it. Before the confirmation,
//! what the sync would do: with the Argo CD API server (and in the sandbox) a real dry run
//! (`dryRun: true`, audited as `argocd.app.sync.dry_run`, since it sets the app's operation)
//! whose result opens the confirmation; otherwise, or when it fails, the plan from the API
//! server's comparison (the open diff's, else read now). The app's sync windows are read too,
//! and a window that refuses the sync is named before anything is sent.

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::apps::AppsPane;
use crate::app::panes::apps::actions::{namespace_of, no_app, refused};
use crate::app::state::ToastLevel;
use crate::model::action::ActionRequest;
use crate::model::k8s::Application;
use crate::model::k8s::app_diff::{AppDiff, ResourceDiff};
use crate::model::k8s::app_row::AppRow;

/// Resources named in the plan line; the diff view (`d`) shows them all.
const NAMED: usize = 3;

/// `s` / `S`: the dry run first where one can run, else the confirmation at once.
pub fn ask_sync(apps: &mut AppsPane, ctx: &mut Ctx<'_>, prune: bool) -> Vec<Cmd> {
    let Some((app, row)) = apps.target() else {
        no_app(ctx);
        return Vec::new();
    };
    let resources: Vec<String> = if apps.detail.is_some() {
        apps.marked.iter().cloned().collect()
    } else {
        Vec::new()
    };
    let request = ActionRequest::SyncApp {
        namespace: namespace_of(&app),
        app: row.name.clone(),
        prune,
        resources: resources.clone(),
        dry_run: false,
    };
    if refused(ctx, &request, &app) {
        return Vec::new();
    }
    if ctx.argo_api() || ctx.context.sandbox {
        let dry_run = ActionRequest::SyncApp {
            namespace: namespace_of(&app),
            app: row.name.clone(),
            prune,
            resources,
            dry_run: true,
        };
        apps.dry_run_for = Some(request);
        ctx.toast(
            ToastLevel::Info,
            format!(
                "dry run of the sync of {}: asking the audit gate…",
                row.name
            ),
        );
        return vec![Cmd::Execute {
            request: dry_run,
            reason: "dry run before a sync".to_owned(),
        }];
    }
    open_confirm(apps, ctx, &app, &row, request, None)
}

/// A dry run ended (`Ok` with its summary, `Err` with why it failed or did not run): the
/// confirmation of the sync it was for opens with it, if that app still exists.
pub fn after_dry_run(
    apps: &mut AppsPane,
    ctx: &mut Ctx<'_>,
    dry_run: &ActionRequest,
    outcome: &Result<String, String>,
) -> Vec<Cmd> {
    let ActionRequest::SyncApp { app: ran_for, .. } = dry_run else {
        return Vec::new();
    };
    let Some(request) = apps
        .dry_run_for
        .take_if(|r| matches!(r, ActionRequest::SyncApp { app, .. } if app == ran_for))
    else {
        return Vec::new();
    };
    let Some(i) = apps.rows.iter().position(|r| r.name == *ran_for) else {
        ctx.toast(
            ToastLevel::Warn,
            format!("{ran_for} is gone; nothing to sync"),
        );
        return Vec::new();
    };
    let (Some(app), row) = (apps.apps.get(i).cloned(), apps.rows[i].clone()) else {
        return Vec::new();
    };
    open_confirm(apps, ctx, &app, &row, request, Some(outcome))
}

fn open_confirm(
    apps: &mut AppsPane,
    ctx: &mut Ctx<'_>,
    app: &Application,
    row: &AppRow,
    request: ActionRequest,
    dry_run: Option<&Result<String, String>>,
) -> Vec<Cmd> {
    let ActionRequest::SyncApp {
        prune, resources, ..
    } = &request
    else {
        return Vec::new();
    };
    let (prune, resources) = (*prune, resources.clone());
    let drift = crate::model::k8s::app_row::drift(app).len();
    let mut details = vec![
        ("app".to_owned(), format!("{} ({})", row.name, row.project)),
        (
            "revision".to_owned(),
            format!("{} → {}", row.synced_revision, row.target_revision),
        ),
        (
            "state".to_owned(),
            format!(
                "{} · {} · {drift} OutOfSync",
                row.sync.label(),
                row.health.label()
            ),
        ),
        (
            "resources".to_owned(),
            if resources.is_empty() {
                "all".to_owned()
            } else {
                resources.join(", ")
            },
        ),
        (
            "prune".to_owned(),
            if prune { "yes" } else { "no" }.to_owned(),
        ),
    ];
    let namespace = namespace_of(app);
    let mut cmds = Vec::new();
    match dry_run {
        Some(Ok(summary)) => details.push((
            "dry run".to_owned(),
            summary
                .strip_prefix("dry run: ")
                .unwrap_or(summary)
                .to_owned(),
        )),
        failed_or_none => {
            if let Some(Err(why)) = failed_or_none {
                details.push(("dry run".to_owned(), format!("failed: {why}")));
            }
            // The comparison the dry run would have applied: the open diff's when it is
            // this app's, else read now (the backend says why when it cannot be).
            let plan = match open_diff(apps, &row.name) {
                Some(loaded) => plan_words(loaded.as_ref(), prune),
                None => {
                    apps.plan_for = Some((namespace.clone(), row.name.clone()));
                    cmds.push(Cmd::LoadAppDiff {
                        namespace: namespace.clone(),
                        app: row.name.clone(),
                    });
                    plan_words(None, prune)
                }
            };
            details.push(("plan".to_owned(), plan));
        }
    }
    details.push(("windows".to_owned(), "reading…".to_owned()));
    cmds.push(super::windows::read(
        &mut apps.windows,
        &namespace,
        &row.name,
    ));
    if ctx.argo_api() {
        details.push(("via".to_owned(), "Argo CD API server".to_owned()));
    }
    let mut confirm = Confirm::new(request, format!("sync {}?", row.name), details);
    if prune {
        confirm = confirm.with_note(
            NoteLevel::Warn,
            "prune deletes live resources that are no longer in git",
        );
    }
    if !resources.is_empty() {
        confirm = confirm.with_note(
            NoteLevel::Info,
            "only the marked resources are synced (space marks them in the detail)",
        );
    }
    ctx.confirm(confirm);
    cmds
}

/// The open sync confirmation of `app` gets its plan line from the comparison it asked
/// for. True when it changed.
pub fn fill_plan(confirm: &mut Confirm, app: &str, plan: &Result<AppDiff, String>) -> bool {
    let ActionRequest::SyncApp {
        app: target, prune, ..
    } = &confirm.request
    else {
        return false;
    };
    if target != app {
        return false;
    }
    let words = plan_words(Some(plan), *prune);
    match confirm
        .details
        .iter_mut()
        .find(|(label, _)| label == "plan")
    {
        Some(row) => {
            row.1 = words;
            true
        }
        None => false,
    }
}

/// The comparison of `app` in the open diff view, if that view is this app's.
fn open_diff<'a>(apps: &'a AppsPane, app: &str) -> Option<&'a Option<Result<AppDiff, String>>> {
    apps.diff
        .as_ref()
        .filter(|d| d.app == app)
        .map(|d| &d.loaded)
}

/// What the sync would create, change and prune, from the API server's managed-resources
/// comparison (the one its dry run applies), with the first resources named.
#[must_use]
pub fn plan_words(loaded: Option<&Result<AppDiff, String>>, prune: bool) -> String {
    match loaded {
        Some(Ok(diff)) => {
            let c = diff.counts();
            let pruned = if prune {
                format!("{} pruned", c.prune)
            } else {
                format!("{} left (no prune)", c.prune)
            };
            let mut text = format!("{} created · {} changed · {pruned}", c.create, c.change);
            let named: Vec<String> = diff
                .resources
                .iter()
                .take(NAMED)
                .map(ResourceDiff::header)
                .collect();
            if !named.is_empty() {
                text.push_str(": ");
                text.push_str(&named.join(", "));
                if diff.resources.len() > NAMED {
                    let more = diff.resources.len() - NAMED;
                    text.push_str(" and ");
                    text.push_str(&more.to_string());
                    text.push_str(" more (d shows all)");
                }
            }
            text
        }
        Some(Err(e)) => format!("unknown: {e}"),
        None => "reading the comparison…".to_owned(),
    }
}
