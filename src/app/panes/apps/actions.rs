//! Argo CD app actions from the `:apps` pane: sync (with prune, or only the marked
//! resources), refresh and hard refresh, rollback to a history id, and terminate. Each is
//! checked first the way Argo CD would check it (the in-progress guard, the auto-sync refusal,
//! the history lookup) and against RBAC, so a refused action says why before any dialog; the
//! confirmed action goes through the audit gate.

use crate::app::ctx::{Ctx, Focus, Intent, Permits};
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::apps::AppsPane;
use crate::app::panes::describe::Mode;
use crate::app::panes::pods::PodsFocus;
use crate::app::panes::{PaneId, select_row};
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::model::action::ActionRequest;
use crate::model::k8s::Application;
use crate::model::k8s::ObjectRef;
use crate::model::k8s::app_ops::cr_patch;
use crate::model::k8s::app_row::short_revision;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::SyncApp,
    crate::keymap::Action::SyncPrune,
    crate::keymap::Action::RefreshApp,
    crate::keymap::Action::HardRefresh,
    crate::keymap::Action::RollbackApp,
    crate::keymap::Action::TerminateOperation,
    crate::keymap::Action::MarkResource,
    crate::keymap::Action::AppDiff,
    crate::keymap::Action::Refresh,
    crate::keymap::Action::ShowYaml,
    crate::keymap::Action::CopyRow,
];

pub(super) fn namespace_of(app: &Application) -> String {
    app.metadata.namespace.clone().unwrap_or_default()
}

/// Why `request` cannot run now, by Argo CD's rules on the app as last seen, then RBAC.
fn refusal(permits: Permits<'_>, request: &ActionRequest, app: &Application) -> Option<String> {
    if let Err(e) = crate::actions::gate::allowed(request, permits.readonly) {
        return Some(e.reason);
    }
    if let Err(e) = cr_patch(request, app, permits.user) {
        return Some(e.to_string());
    }
    permits.access.denial(request)
}

/// Shows the refusal as a toast; true if there was one.
pub(super) fn refused(ctx: &mut Ctx<'_>, request: &ActionRequest, app: &Application) -> bool {
    match refusal(ctx.permits(), request, app) {
        Some(reason) => {
            ctx.toast(ToastLevel::Warn, format!("disabled: {reason}"));
            true
        }
        None => false,
    }
}

pub(super) fn no_app(ctx: &mut Ctx<'_>) {
    ctx.toast(ToastLevel::Info, "select an application first");
}

/// `r` / `R`: refresh (compare with git again) or hard refresh (regenerate manifests too).
pub fn ask_refresh(apps: &mut AppsPane, ctx: &mut Ctx<'_>, hard: bool) {
    let Some((app, row)) = apps.target() else {
        return no_app(ctx);
    };
    let request = ActionRequest::RefreshApp {
        namespace: namespace_of(&app),
        app: row.name.clone(),
        hard,
    };
    if refused(ctx, &request, &app) {
        return;
    }
    let word = if hard { "hard refresh" } else { "refresh" };
    let details = vec![
        ("app".to_owned(), format!("{} ({})", row.name, row.project)),
        (
            "effect".to_owned(),
            if hard {
                "manifests are generated again (cache skipped), then compared".to_owned()
            } else {
                "the live state is compared with git again".to_owned()
            },
        ),
    ];
    let confirm = Confirm::new(request, format!("{word} {}?", row.name), details);
    ctx.confirm(confirm);
}

/// `b`: roll back to a history id (asked for in a prompt that lists the history).
pub fn ask_rollback(apps: &mut AppsPane, ctx: &mut Ctx<'_>) {
    let Some((app, row)) = apps.target() else {
        return no_app(ctx);
    };
    let Some(last) = app.status.history.last() else {
        ctx.toast(ToastLevel::Info, format!("{} has no history yet", row.name));
        return;
    };
    // Probe with the newest id: the refusals that do not depend on the id show now.
    let probe = ActionRequest::RollbackApp {
        namespace: namespace_of(&app),
        app: row.name.clone(),
        history_id: last.id,
    };
    if refused(ctx, &probe, &app) {
        return;
    }
    let ids: Vec<String> = app
        .status
        .history
        .iter()
        .rev()
        .map(|h| format!("{} ({})", h.id, short_revision(&h.revision)))
        .collect();
    ctx.prompt(Prompt {
        title: format!("roll {} back to history id", row.name),
        input: String::new(),
        error: None,
        purpose: PromptPurpose::RollbackApp(row.name.clone()),
        hint: format!("one of {}", ids.join(", ")),
    });
}

/// The rollback prompt was answered: confirm the rollback to that id.
pub fn rollback_entered(
    apps: &AppsPane,
    ctx: &mut Ctx<'_>,
    name: &str,
    input: &str,
) -> Result<(), String> {
    let id: i64 = input
        .trim()
        .parse()
        .map_err(|_| format!("`{}`: type a history id (a number)", input.trim()))?;
    let (app, row) = apps
        .target()
        .filter(|(_, row)| row.name == name)
        .ok_or_else(|| format!("{name} is no longer listed"))?;
    let request = ActionRequest::RollbackApp {
        namespace: namespace_of(&app),
        app: name.to_owned(),
        history_id: id,
    };
    if let Some(reason) = refusal(ctx.permits(), &request, &app) {
        return Err(reason);
    }
    let entry = app.status.history.iter().find(|h| h.id == id);
    let details = vec![
        ("app".to_owned(), format!("{} ({})", row.name, row.project)),
        (
            "to".to_owned(),
            entry.map_or_else(
                || format!("history #{id}"),
                |h| {
                    format!(
                        "history #{id}: revision {} deployed {}",
                        short_revision(&h.revision),
                        h.deployed_at.as_ref().map_or_else(
                            || "-".to_owned(),
                            |t| t.0.strftime("%Y-%m-%d %H:%M").to_string()
                        )
                    )
                },
            ),
        ),
        ("from".to_owned(), row.synced_revision.clone()),
    ];
    let confirm = Confirm::new(request, format!("roll {name} back?"), details).with_note(
        NoteLevel::Warn,
        "the app then differs from git until git is fixed; auto-sync stays off",
    );
    ctx.confirm(confirm);
    Ok(())
}

/// `ctrl-k`: terminate the running operation.
pub fn ask_terminate(apps: &mut AppsPane, ctx: &mut Ctx<'_>) {
    let Some((app, row)) = apps.target() else {
        return no_app(ctx);
    };
    let request = ActionRequest::TerminateAppOperation {
        namespace: namespace_of(&app),
        app: row.name.clone(),
    };
    if refused(ctx, &request, &app) {
        return;
    }
    let details = vec![
        ("app".to_owned(), format!("{} ({})", row.name, row.project)),
        (
            "operation".to_owned(),
            format!(
                "{} {}",
                row.operation
                    .map_or_else(|| "-".to_owned(), |p| p.label().to_string()),
                row.operation_message
            ),
        ),
    ];
    let confirm = Confirm::new(
        request,
        format!("terminate {}'s operation?", row.name),
        details,
    )
    .with_note(
        NoteLevel::Warn,
        "resources already applied stay as they are; the operation ends as Failed",
    );
    ctx.confirm(confirm);
}

/// `space` in the detail: mark or unmark the resource under the cursor.
pub fn toggle_mark(apps: &mut AppsPane, ctx: &mut Ctx<'_>) {
    let Some(key) = apps.cursor_resource() else {
        ctx.toast(
            ToastLevel::Info,
            "open an app (enter), then mark its resources",
        );
        return;
    };
    if !apps.marked.remove(&key) {
        apps.marked.insert(key);
    }
}

/// The app actions with whether each is offered now, and why not: the detail lists them.
#[must_use]
pub fn enablement(permits: Permits<'_>, app: &Application) -> Vec<(&'static str, Option<String>)> {
    let namespace = namespace_of(app);
    let name = app.metadata.name.clone().unwrap_or_default();
    let history_id = app.status.history.last().map_or(0, |h| h.id);
    let requests = [
        (
            "sync",
            ActionRequest::SyncApp {
                namespace: namespace.clone(),
                app: name.clone(),
                prune: false,
                resources: Vec::new(),
                dry_run: false,
            },
        ),
        (
            "refresh",
            ActionRequest::RefreshApp {
                namespace: namespace.clone(),
                app: name.clone(),
                hard: false,
            },
        ),
        (
            "rollback",
            ActionRequest::RollbackApp {
                namespace: namespace.clone(),
                app: name.clone(),
                history_id,
            },
        ),
        (
            "terminate",
            ActionRequest::TerminateAppOperation {
                namespace,
                app: name,
            },
        ),
    ];
    requests
        .into_iter()
        .map(|(word, request)| (word, refusal(permits, &request, app)))
        .collect()
}

/// Every app action of the listed apps, for the access reviews.
#[must_use]
pub fn access_probes(apps: &AppsPane) -> Vec<ActionRequest> {
    // Runs on every snapshot: a set of borrowed names, not one String per app.
    let namespaces: std::collections::BTreeSet<&str> = apps
        .apps
        .iter()
        .filter_map(|a| a.metadata.namespace.as_deref())
        .collect();
    namespaces
        .into_iter()
        .map(|namespace| ActionRequest::RefreshApp {
            namespace: namespace.to_owned(),
            app: String::new(),
            hard: false,
        })
        .collect()
}

/// The Argo CD apps pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(
    apps: &mut AppsPane,
    ctx: &mut Ctx<'_>,
    action: crate::keymap::Action,
) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    match action {
        Action::AppDiff => return Some(super::diff::open(apps, ctx)),
        Action::Refresh if apps.diff.is_some() => return Some(super::diff::reload(apps)),
        // The diff shows no list or resource cursor to act on; sync works from it.
        Action::Select | Action::MarkResource if apps.diff.is_some() => {}
        Action::Select if apps.detail.is_some() => open_resource(apps, ctx, None),
        Action::Select => {
            apps.open_detail();
            return Some(detail_reads(apps));
        }
        Action::ShowYaml | Action::CopyRow if apps.diff.is_none() => {
            let mode = if action == Action::ShowYaml {
                Mode::Yaml
            } else {
                Mode::CopyYaml
            };
            if apps.detail.is_some() {
                open_resource(apps, ctx, Some(mode));
            } else if let Some((_, row)) = apps.target() {
                // On the list: the Application itself.
                let namespace = apps
                    .target()
                    .and_then(|(app, _)| app.metadata.namespace.clone())
                    .unwrap_or_default();
                let reference = ObjectRef::new("argoproj.io", "Application", &namespace, &row.name);
                ctx.intent(Intent::Focus(Focus::Object {
                    reference,
                    view: mode,
                }));
            }
        }
        Action::SyncApp => return Some(super::sync::ask_sync(apps, ctx, false)),
        Action::SyncPrune => return Some(super::sync::ask_sync(apps, ctx, true)),
        Action::RefreshApp => ask_refresh(apps, ctx, false),
        Action::HardRefresh => ask_refresh(apps, ctx, true),
        Action::RollbackApp => ask_rollback(apps, ctx),
        Action::TerminateOperation => ask_terminate(apps, ctx),
        Action::MarkResource => toggle_mark(apps, ctx),
        _ => return None,
    }
    Some(Vec::new())
}

/// `enter` on a resource of the open app: a workload's pods (k9s's enter), one Pod, else the
/// object described; `v` shows its YAML, `Y` copies it (`view`).
fn open_resource(apps: &AppsPane, ctx: &mut Ctx<'_>, view: Option<Mode>) {
    let Some((app, _)) = apps.detail_app() else {
        return;
    };
    let rows = crate::model::k8s::app_row::resource_rows(app);
    let Some(r) = rows.get(apps.detail_cursor) else {
        ctx.toast(ToastLevel::Info, "the app has no resources");
        return;
    };
    let focus = match (view, r.kind.as_str()) {
        (None, "Deployment" | "Rollout" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job") => {
            Focus::Pods(PodsFocus::Workload {
                kind: r.kind.clone(),
                namespace: r.namespace.clone(),
                name: r.name.clone(),
            })
        }
        (None, "Pod") if r.group.is_empty() => Focus::Pods(PodsFocus::Named {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        }),
        (view, _) => Focus::Object {
            reference: ObjectRef::new(&r.group, &r.kind, &r.namespace, &r.name),
            view: view.unwrap_or(Mode::Describe),
        },
    };
    ctx.intent(Intent::Focus(focus));
}

/// What the detail just opened reads: the app's sync windows.
fn detail_reads(apps: &mut AppsPane) -> Vec<Cmd> {
    let Some((app, row)) = apps.detail_app() else {
        return Vec::new();
    };
    let namespace = namespace_of(app);
    let name = row.name.clone();
    vec![super::windows::read(&mut apps.windows, &namespace, &name)]
}

/// The incident view's Argo CD panel: the service's app, selected.
pub fn focus(apps: &mut AppsPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    if let Focus::App(name) = focus {
        ctx.show(PaneId::Apps);
        let row = apps.rows.iter().position(|r| &r.name == name);
        if let Some(row) = row {
            select_row(apps, row);
        }
    }
    Vec::new()
}
