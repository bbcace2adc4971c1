//! The Argo CD pane over the sandbox's Applications.

use crossterm::event::KeyCode;

use super::keys::{key, state};

/// `:apps`: the apps needing attention first; enter opens the detail, esc closes it.
#[test]
fn apps_list_opens_the_detail_and_esc_closes_it() {
    let mut s = state();
    key(&mut s, KeyCode::Char('2'));
    assert_eq!(s.view().pane(), opsdeck::app::PaneId::Apps);
    let first = s.panes.apps.selected().expect("apps").clone();
    assert_eq!(
        first.attention,
        opsdeck::model::k8s::app_row::Attention::Critical
    );
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.apps.detail.as_deref(), Some(first.name.as_str()));
    assert!(s.panes.apps.detail_app().is_some());
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.apps.detail.is_none());
    assert_eq!(
        s.view().pane(),
        opsdeck::app::PaneId::Apps,
        "esc closed only the detail"
    );
}

mod actions {
    use std::sync::Arc;
    use std::time::Duration;

    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use opsdeck::actions::gate::Executor;
    use opsdeck::app::state::Modal;
    use opsdeck::app::{Cmd, Msg, State, update};
    use opsdeck::model::action::{ActionRequest, RolloutOp};
    use opsdeck::model::k8s::SyncState;
    use opsdeck::model::platform::OutcomeStatus;
    use opsdeck::screenshot::epoch;
    use opsdeck::sources::sandbox::apps::SandboxKubeExecutor;
    use opsdeck::sources::sandbox::{SandboxHandle, World};
    use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

    use super::super::keys::{key, state, typed};

    fn sandbox() -> (SandboxHandle, SandboxKubeExecutor) {
        let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
        let executor = SandboxKubeExecutor {
            sandbox: sandbox.clone(),
            user: "maya.cohen".into(),
        };
        (sandbox, executor)
    }

    /// The sandbox cluster as it is now, fed to the app as the kube source would.
    async fn feed(s: &mut State, sandbox: &SandboxHandle, n: u64) {
        let snapshot = sandbox.kube(n).await.expect("snapshot");
        update(
            s,
            Msg::Source(SourceEvent {
                source: SourceId::Kube,
                generation: s.generation,
                body: SourceBody::Kube(Arc::new(snapshot)),
            }),
        );
    }

    fn executed(cmds: &[Cmd]) -> ActionRequest {
        match cmds {
            [Cmd::Execute { request, .. }] => request.clone(),
            other => panic!("expected one Execute, got {other:?}"),
        }
    }

    /// `s`/`S` in the sandbox first asks for a dry run; this runs it with the sandbox's
    /// executor (as the gate would after the audit) and hands the outcome back, which opens
    /// the confirmation. Returns the commands that answer asked for.
    async fn run_dry_run(
        s: &mut State,
        executor: &SandboxKubeExecutor,
        cmds: &[Cmd],
        fail: Option<&str>,
    ) -> Vec<Cmd> {
        let request = executed(cmds);
        assert!(
            matches!(request, ActionRequest::SyncApp { dry_run: true, .. }),
            "{request:?}"
        );
        let result = match fail {
            Some(why) => opsdeck::actions::gate::ExecResult::failed(why.to_owned()),
            None => executor.execute(&request).await,
        };
        let report = opsdeck::app::msg::ActionReport {
            request,
            outcome: opsdeck::actions::gate::GateOutcome::Executed {
                event_id: "evt-dry-run".into(),
                result,
                delivery: opsdeck::actions::gate::Delivery::Sent,
            },
        };
        update(s, Msg::ActionDone(Box::new(report)))
    }

    fn confirm_details(s: &State) -> Vec<(String, String)> {
        match &s.modal {
            Some(Modal::Confirm(c)) => c.details.clone(),
            other => panic!("expected a confirmation, got {other:?}"),
        }
    }

    fn toast(s: &State) -> String {
        s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
    }

    fn busy(r: &opsdeck::model::k8s::AppRow) -> bool {
        use opsdeck::model::k8s::app_row::OperationPhase;
        matches!(
            r.operation,
            Some(OperationPhase::Running | OperationPhase::Terminating)
        )
    }

    /// The monochrome 80×24 demo state fed from `sandbox`, in `:apps` with a drifted app
    /// (`OutOfSync`, no operation running) selected; its name.
    async fn on_a_drifted_app(sandbox: &SandboxHandle) -> (State, String) {
        let mut s = opsdeck::screenshot::demo_state(7, 80, 24, opsdeck::theme::ColorDepth::Mono)
            .expect("demo state");
        feed(&mut s, sandbox, 1).await;
        key(&mut s, KeyCode::Char('2'));
        let drifted = s
            .panes
            .apps
            .rows
            .iter()
            .find(|r| r.sync == SyncState::OutOfSync && !busy(r))
            .expect("a drifted app")
            .name
            .clone();
        select_app(&mut s, &drifted);
        (s, drifted)
    }

    fn select_app(s: &mut State, name: &str) {
        let row = (0..s.panes.apps.table.visible.len())
            .find(|&v| s.panes.apps.rows[s.panes.apps.table.visible[v]].name == name)
            .unwrap_or_else(|| panic!("{name} is listed"));
        s.panes.apps.table.select(row);
    }

    /// Enter opens a drifted app; space marks its `ConfigMap`; `s` syncs only that resource,
    /// and the sandbox's Argo CD runs the operation.
    #[tokio::test]
    async fn a_selective_sync_of_marked_resources_runs_in_the_sandbox() {
        let (sandbox, executor) = sandbox();
        let mut s = state();
        feed(&mut s, &sandbox, 1).await;
        key(&mut s, KeyCode::Char('2'));
        let drifted = s
            .panes
            .apps
            .rows
            .iter()
            .find(|r| r.sync == SyncState::OutOfSync && !busy(r))
            .expect("a drifted app")
            .clone();
        select_app(&mut s, &drifted.name);
        key(&mut s, KeyCode::Enter);
        typed(&mut s, "jj");
        key(&mut s, KeyCode::Char(' '));
        assert_eq!(s.panes.apps.marked.len(), 1);
        let marked = s.panes.apps.marked.iter().next().cloned().expect("marked");
        assert!(marked.starts_with(":ConfigMap:"), "{marked}");
        let cmds = key(&mut s, KeyCode::Char('s'));
        run_dry_run(&mut s, &executor, &cmds, None).await;
        let details = confirm_details(&s);
        assert!(
            details.iter().any(|(k, v)| k == "dry run"
                && v.starts_with("0 created · 1 configured · 0 pruned")
                && v.contains("configured (dry run)")),
            "{details:?}"
        );
        assert!(
            details
                .iter()
                .any(|(k, v)| k == "resources" && *v == marked)
        );
        assert!(details.iter().any(|(k, v)| k == "prune" && v == "no"));
        let request = executed(&key(&mut s, KeyCode::Enter));
        assert_eq!(
            request,
            ActionRequest::SyncApp {
                namespace: "argocd".into(),
                app: drifted.name.clone(),
                prune: false,
                resources: vec![marked],
                dry_run: false,
            }
        );
        let r = executor.execute(&request).await;
        assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
        feed(&mut s, &sandbox, 2).await;
        let (app, _) = s.panes.apps.detail_app().expect("still open");
        let state = app.status.operation_state.as_ref().expect("an operation");
        assert_eq!(state.phase, "Running");
        // A second sync now meets Argo CD's in-progress guard before any dialog.
        key(&mut s, KeyCode::Char('s'));
        assert!(s.modal.is_none());
        assert_eq!(
            toast(&s),
            "disabled: another operation is already in progress"
        );
    }

    /// `d` on a drifted app opens its diff, one key from the list (the attention order puts
    /// drifted apps near the top); the sandbox answers as the API server's managed-resources,
    /// and the drawn lines keep their `-`/`+` markers with no colour at all (`NO_COLOR`);
    /// esc goes back to the list.
    #[tokio::test]
    async fn d_opens_the_diff_of_a_drifted_app_readable_without_colour() {
        let (sandbox, executor) = sandbox();
        let (mut s, drifted) = on_a_drifted_app(&sandbox).await;
        let cmds = key(&mut s, KeyCode::Char('d'));
        let (namespace, app) = match cmds.as_slice() {
            [Cmd::LoadAppDiff { namespace, app }] => (namespace.clone(), app.clone()),
            other => panic!("expected one LoadAppDiff, got {other:?}"),
        };
        assert_eq!(app, drifted);
        let result = sandbox.managed_resources(app.clone()).await;
        update(
            &mut s,
            Msg::AppDiffLoaded {
                namespace,
                app,
                result,
            },
        );
        let view = s.panes.apps.diff.as_ref().expect("the diff is open");
        let diff = view
            .loaded
            .as_ref()
            .expect("loaded")
            .as_ref()
            .expect("a diff");
        let lines = diff.plain_lines();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("===== /ConfigMap ") && l.ends_with("(changed) =====")),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"-  LOG_LEVEL: debug".to_owned()),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"+  LOG_LEVEL: info".to_owned()),
            "{lines:#?}"
        );
        let screen = crate::render::text(&s);
        assert!(screen.contains("-  LOG_LEVEL: debug"), "{screen}");
        assert!(screen.contains("+  LOG_LEVEL: info"), "{screen}");
        let buffer = crate::render::buffer(&s);
        assert!(
            buffer
                .content
                .iter()
                .all(|c| c.fg == ratatui::style::Color::Reset
                    && c.bg == ratatui::style::Color::Reset),
            "no colour under NO_COLOR: the markers carry it all"
        );
        // `s` from the diff, when the dry run cannot run: the confirmation carries why, and
        // the plan the diff shows, naming the resource, with nothing read again.
        let cmds = key(&mut s, KeyCode::Char('s'));
        let cmds = run_dry_run(&mut s, &executor, &cmds, Some("Argo CD API: timed out")).await;
        assert!(
            !cmds.iter().any(|c| matches!(c, Cmd::LoadAppDiff { .. })),
            "the open diff is not read again: {cmds:?}"
        );
        assert!(
            cmds.iter()
                .any(|c| matches!(c, Cmd::LoadSyncWindows { app, .. } if *app == drifted)),
            "the windows are read: {cmds:?}"
        );
        let details = confirm_details(&s);
        assert!(
            details
                .iter()
                .any(|(k, v)| k == "dry run" && v == "failed: Argo CD API: timed out"),
            "{details:?}"
        );
        let named = format!("/{drifted}-config (changed)");
        assert!(
            details.iter().any(|(k, v)| k == "plan"
                && v.starts_with("0 created · 1 changed · 0 left (no prune): /ConfigMap ")
                && v.ends_with(&named)),
            "{details:?}"
        );
        key(&mut s, KeyCode::Esc);
        assert!(s.modal.is_none());
        assert!(s.panes.apps.diff.is_some(), "esc closed only the dialog");
        key(&mut s, KeyCode::Esc);
        assert!(s.panes.apps.diff.is_none());
        assert_eq!(s.view().pane(), opsdeck::app::PaneId::Apps);
    }

    /// `S` from the list with no diff open, when the dry run fails: the confirmation opens
    /// and reads the comparison; its plan line fills in when the answer arrives (and an
    /// answer for another app changes nothing).
    #[tokio::test]
    async fn s_fills_the_sync_plan_from_the_comparison_it_reads() {
        let (sandbox, executor) = sandbox();
        let (mut s, drifted) = on_a_drifted_app(&sandbox).await;
        let cmds = key(&mut s, KeyCode::Char('S'));
        let cmds = run_dry_run(&mut s, &executor, &cmds, Some("dry run refused")).await;
        let (namespace, app) = cmds
            .iter()
            .find_map(|c| match c {
                Cmd::LoadAppDiff { namespace, app } => Some((namespace.clone(), app.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("expected a LoadAppDiff, got {cmds:?}"));
        assert!(
            cmds.iter()
                .any(|c| matches!(c, Cmd::LoadSyncWindows { app: of, .. } if *of == app)),
            "the windows are read too: {cmds:?}"
        );
        assert_eq!(app, drifted);
        let plan = |s: &State| {
            confirm_details(s)
                .into_iter()
                .find(|(k, _)| k == "plan")
                .map(|(_, v)| v)
                .expect("a plan line")
        };
        assert_eq!(plan(&s), "reading the comparison…");
        assert!(s.panes.apps.diff.is_none(), "no diff view opened");
        let other = sandbox.managed_resources(app.clone()).await;
        update(
            &mut s,
            Msg::AppDiffLoaded {
                namespace: namespace.clone(),
                app: "some-other-app".to_owned(),
                result: other,
            },
        );
        assert_eq!(plan(&s), "reading the comparison…");
        let result = sandbox.managed_resources(app.clone()).await;
        update(
            &mut s,
            Msg::AppDiffLoaded {
                namespace,
                app,
                result,
            },
        );
        let filled = plan(&s);
        assert!(
            filled.starts_with("0 created · 1 changed · 0 pruned: /ConfigMap ")
                && filled.ends_with(&format!("/{drifted}-config (changed)")),
            "{filled}"
        );
        let screen = crate::render::text(&s);
        assert!(
            screen.contains("0 created · 1 changed · 0 pruned"),
            "{screen}"
        );
    }

    /// The sandbox's frozen app: its detail shows the deny window, and `s` puts the refusal,
    /// naming the window, in the confirmation before anything is sent.
    #[tokio::test]
    async fn a_sync_window_that_refuses_is_named_in_the_detail_and_the_confirmation() {
        let (sandbox, executor) = sandbox();
        let mut s = opsdeck::screenshot::demo_state(7, 120, 40, opsdeck::theme::ColorDepth::Mono)
            .expect("demo state");
        feed(&mut s, &sandbox, 1).await;
        key(&mut s, KeyCode::Char('2'));
        let mut frozen = None;
        for row in s.panes.apps.rows.clone() {
            let body = sandbox
                .sync_windows(row.name.clone())
                .await
                .expect("windows");
            if body["canSync"] == serde_json::json!(false) {
                frozen = Some(row.name);
            }
        }
        let frozen = frozen.expect("the sandbox freezes one app");
        select_app(&mut s, &frozen);
        let cmds = key(&mut s, KeyCode::Enter);
        let [Cmd::LoadSyncWindows { namespace, app }] = cmds.as_slice() else {
            panic!("the detail reads the windows: {cmds:?}");
        };
        assert_eq!(*app, frozen);
        let answer = |namespace: &str, app: &str, result| Msg::SyncWindowsLoaded {
            namespace: namespace.to_owned(),
            app: app.to_owned(),
            result,
        };
        let result = sandbox.sync_windows(app.clone()).await;
        update(&mut s, answer(namespace, app, result));
        let screen = crate::render::text(&s);
        assert!(
            screen.contains("✖ Sync Denied by the active window deny '0 0 * * *' for 24h"),
            "{screen}"
        );
        assert!(screen.contains("active: deny '0 0 * * *'"), "{screen}");
        let cmds = key(&mut s, KeyCode::Char('s'));
        // Argo CD refuses the dry run too, in its words; the confirmation opens with them.
        let cmds = run_dry_run(&mut s, &executor, &cmds, None).await;
        assert!(
            confirm_details(&s)
                .iter()
                .any(|(k, v)| k == "dry run" && v == "failed: cannot sync: blocked by sync window"),
            "{:?}",
            confirm_details(&s)
        );
        let Some((namespace, app)) = cmds.iter().find_map(|c| match c {
            Cmd::LoadSyncWindows { namespace, app } => Some((namespace, app)),
            _ => None,
        }) else {
            panic!("the sync reads the windows again: {cmds:?}");
        };
        let result = sandbox.sync_windows(app.clone()).await;
        update(&mut s, answer(namespace, app, result));
        let Some(Modal::Confirm(confirm)) = &s.modal else {
            panic!("expected the confirmation");
        };
        let windows = &confirm
            .details
            .iter()
            .find(|(k, _)| k == "windows")
            .expect("windows")
            .1;
        assert!(windows.starts_with("Sync Denied"), "{windows}");
        assert!(
            confirm
                .notes
                .iter()
                .any(|(_, n)| n.starts_with("Argo CD will refuse this sync")
                    && n.contains("manual sync not allowed")),
            "{:?}",
            confirm.notes
        );
    }

    /// In an app's detail, `enter` on its workload opens the workload's pods (k9s's enter),
    /// `enter` on another resource describes it (the sandbox serves the live state the API
    /// server compares), and `y` shows a resource's YAML.
    #[tokio::test]
    async fn enter_on_an_app_resource_opens_its_pods_or_describes_it() {
        let (sandbox, _) = sandbox();
        let (mut s, drifted) = on_a_drifted_app(&sandbox).await;
        key(&mut s, KeyCode::Enter);
        let (app, _) = s.panes.apps.detail_app().expect("the detail is open");
        let rows = opsdeck::model::k8s::app_row::resource_rows(app);
        let workload = rows
            .iter()
            .position(|r| matches!(r.kind.as_str(), "Deployment" | "Rollout"))
            .expect("the app's workload");
        let config = rows
            .iter()
            .position(|r| r.kind == "ConfigMap")
            .expect("the app's ConfigMap");
        let config_name = rows[config].name.clone();
        let workload_name = rows[workload].name.clone();

        s.panes.apps.detail_cursor = workload;
        key(&mut s, KeyCode::Enter);
        assert_eq!(s.view().pane(), opsdeck::app::PaneId::Pods);
        assert!(
            matches!(&s.panes.pods.focus,
                opsdeck::app::panes::pods::PodsFocus::Workload { name, .. } if *name == workload_name),
            "{:?}",
            s.panes.pods.focus
        );
        key(&mut s, KeyCode::Esc);
        assert_eq!(s.view().pane(), opsdeck::app::PaneId::Apps);
        assert_eq!(s.panes.apps.detail.as_deref(), Some(drifted.as_str()));

        s.panes.apps.detail_cursor = config;
        let cmds = key(&mut s, KeyCode::Enter);
        assert_eq!(s.view().pane(), opsdeck::app::PaneId::Describe);
        let reference = cmds
            .iter()
            .find_map(|c| match c {
                Cmd::LoadObject(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("the object is read: {cmds:?}"));
        assert_eq!(
            (reference.kind.as_str(), reference.name.as_str()),
            ("ConfigMap", config_name.as_str())
        );
        let result = sandbox.kube_object(reference.clone()).await;
        assert!(
            result.is_ok(),
            "the sandbox serves the ConfigMap: {result:?}"
        );
        update(&mut s, Msg::ObjectLoaded { reference, result });
        let screen = crate::render::text(&s);
        assert!(screen.contains(&config_name), "{screen}");
        assert!(screen.contains("LOG_LEVEL"), "{screen}");
        key(&mut s, KeyCode::Esc);

        // `v` on the same resource: its YAML (already read, so nothing is read again).
        key(&mut s, KeyCode::Char('v'));
        assert_eq!(s.view().pane(), opsdeck::app::PaneId::Describe);
        assert!(s.panes.describe.yaml);
        let screen = crate::render::text(&s);
        assert!(screen.contains("kind: ConfigMap"), "{screen}");
    }

    #[test]
    fn rollback_under_auto_sync_is_refused_with_argo_cd_s_reason() {
        let mut s = state();
        key(&mut s, KeyCode::Char('2'));
        let automated = s
            .panes
            .apps
            .rows
            .iter()
            .find(|r| r.auto_sync.enabled)
            .expect("an automated app")
            .name
            .clone();
        select_app(&mut s, &automated);
        key(&mut s, KeyCode::Char('b'));
        assert!(s.modal.is_none());
        assert_eq!(
            toast(&s),
            "disabled: rollback cannot be initiated when auto-sync is enabled"
        );
        // A manual app gets the prompt with its history ids, then the confirmation.
        let manual = s
            .panes
            .apps
            .rows
            .iter()
            .find(|r| !r.auto_sync.enabled && !busy(r))
            .expect("a manual app")
            .name
            .clone();
        select_app(&mut s, &manual);
        key(&mut s, KeyCode::Char('b'));
        let Some(Modal::Prompt(prompt)) = &s.modal else {
            panic!("a prompt: {:?}", s.modal)
        };
        assert!(prompt.hint.contains("42"), "{}", prompt.hint);
        typed(&mut s, "99");
        key(&mut s, KeyCode::Enter);
        let Some(Modal::Prompt(prompt)) = &s.modal else {
            panic!("the prompt stays: {:?}", s.modal)
        };
        assert_eq!(
            prompt.error.as_deref(),
            Some(format!("application {manual} does not have deployment with id 99").as_str())
        );
        key(&mut s, KeyCode::Backspace);
        key(&mut s, KeyCode::Backspace);
        typed(&mut s, "41");
        key(&mut s, KeyCode::Enter);
        let request = executed(&key(&mut s, KeyCode::Enter));
        assert!(matches!(
            request,
            ActionRequest::RollbackApp { history_id: 41, .. }
        ));
    }

    /// The stuck rollout: abort (the dialog shows the plugin's patch), then undo to the
    /// previous revision; it is Healthy again a few seconds later.
    #[tokio::test(start_paused = true)]
    async fn abort_then_undo_recovers_the_stuck_rollout() {
        let (sandbox, executor) = sandbox();
        let mut s = state();
        feed(&mut s, &sandbox, 1).await;
        key(&mut s, KeyCode::Char('3'));
        let first = s.panes.rollouts.selected().expect("rows").clone();
        assert_eq!(first.row.name, "shipping-api");
        assert!(first.stuck[0].message.contains("ImagePullBackOff"));
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Char('a'));
        let details = confirm_details(&s);
        assert!(
            details
                .iter()
                .any(|(k, v)| k == "patch status" && v == r#"{"status":{"abort":true}}"#),
            "{details:?}"
        );
        let request = executed(&key(&mut s, KeyCode::Enter));
        let r = executor.execute(&request).await;
        assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
        feed(&mut s, &sandbox, 2).await;
        let entry = s.panes.rollouts.target().expect("open").clone();
        assert!(
            entry.row.message.starts_with("RolloutAborted"),
            "{:?}",
            entry.row
        );
        key(&mut s, KeyCode::Char('a'));
        assert_eq!(
            toast(&s),
            "abort disabled: rollout is already aborted",
            "discovery.lua: no abort twice"
        );

        key(&mut s, KeyCode::Char('b'));
        assert!(matches!(s.modal, Some(Modal::Prompt(_))));
        key(&mut s, KeyCode::Enter);
        let request = executed(&key(&mut s, KeyCode::Enter));
        assert_eq!(
            request,
            ActionRequest::RolloutAction {
                namespace: entry.row.namespace.clone(),
                name: "shipping-api".into(),
                kind: entry.row.kind.workload().expect("a Rollout has actions"),
                op: RolloutOp::Undo { revision: None },
            }
        );
        let r = executor.execute(&request).await;
        assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
        tokio::time::advance(Duration::from_secs(5)).await;
        feed(&mut s, &sandbox, 3).await;
        let entry = s.panes.rollouts.target().expect("open");
        assert_eq!(entry.row.status.word, "Healthy", "{:?}", entry.row);
        assert!(entry.stuck.is_empty(), "{:?}", entry.stuck);
    }

    #[test]
    fn scale_to_zero_needs_the_name_typed() {
        let mut s = state();
        key(&mut s, KeyCode::Char('3'));
        let name = s.panes.rollouts.selected().expect("rows").row.name.clone();
        key(&mut s, KeyCode::Char('s'));
        typed(&mut s, "0");
        key(&mut s, KeyCode::Enter);
        assert!(matches!(s.modal, Some(Modal::Confirm(_))));
        assert!(
            key(&mut s, KeyCode::Enter).is_empty(),
            "not without the name"
        );
        typed(&mut s, &name);
        let request = executed(&key(&mut s, KeyCode::Enter));
        assert!(matches!(
            request,
            ActionRequest::RolloutAction {
                op: RolloutOp::Scale { replicas: 0 },
                ..
            }
        ));
        let _ = update(
            &mut s,
            Msg::Input(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE))),
        );
    }
}
