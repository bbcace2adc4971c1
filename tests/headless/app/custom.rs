//! Custom commands (`commands.toml`) driven by keys over the sandbox, at 80×24: the shipped
//! examples' command lines from the selection, the dangerous one confirmed and sent to the
//! audit gate as its own action with the whole command line, plain ones run at once,
//! read-only hiding and refusing the dangerous one, a missing placeholder said by name,
//! `?` listing them, and the captured output view.

use std::fmt::Write as _;
use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::state::{Modal, PaneId};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::commands::{CustomCommands, EXAMPLES, Mode};
use opsdeck::model::action::ActionRequest;
use opsdeck::screenshot::epoch;
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state, typed};

fn with_commands(s: &mut State, file: &str) {
    let commands = CustomCommands::parse("commands.toml", file).expect("the file parses");
    commands
        .check_keys(&s.ui.keymap)
        .expect("its keys are free");
    s.ui.commands = Arc::new(commands);
}

fn toast(s: &State) -> String {
    s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
}

/// The pods of the stuck rollout in the sandbox, with the shipped examples loaded.
async fn pods() -> State {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    with_commands(&mut s, EXAMPLES);
    let snapshot = sandbox.kube(1).await.expect("snapshot");
    let generation = s.generation;
    update(
        &mut s,
        Msg::Source(SourceEvent {
            source: SourceId::Kube,
            generation,
            body: SourceBody::Kube(Arc::new(snapshot)),
        }),
    );
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Pods);
    assert!(s.panes.pods.selected().is_some(), "a pod is selected");
    s
}

#[tokio::test]
async fn the_pod_shell_is_confirmed_with_its_command_line_and_sent_to_the_audit_gate() {
    let mut s = pods().await;
    let pod = s.panes.pods.selected().unwrap().clone();
    let cmds = typed(&mut s, "X");
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Cmd::Execute { .. } | Cmd::RunCustom(_))),
        "nothing runs before the confirmation: {cmds:?}"
    );
    let Some(Modal::Confirm(_)) = &s.modal else {
        panic!("the dangerous command asks first: {:?}", s.modal)
    };
    let line = format!(
        "kubectl --context sandbox-staging -n {} exec -it {} -c",
        pod.namespace, pod.name
    );
    let text = screen(&s);
    assert!(text.contains("run pod-shell"), "{text}");
    // The whole command line, wrapped at the dialog's width.
    for part in [
        format!(
            "kubectl --context sandbox-staging -n {} exec -it",
            pod.namespace
        ),
        format!("{} -c ", pod.name),
        "-- sh".to_owned(),
    ] {
        assert!(text.contains(&part), "{part} is shown:\n{text}");
    }

    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("expected one Execute, got {cmds:?}")
    };
    let ActionRequest::CustomCommand {
        name,
        argv,
        mode,
        dangerous,
        target,
        ..
    } = request
    else {
        panic!("a custom command request: {request:?}")
    };
    assert_eq!(request.action_name(), "custom.pod-shell");
    assert_eq!(name, "pod-shell");
    assert!(*dangerous);
    assert_eq!(mode, "interactive");
    // Each value is its own word: no shell ever reads the pod's name.
    assert_eq!(
        argv[..8],
        [
            "kubectl",
            "--context",
            "sandbox-staging",
            "-n",
            pod.namespace.as_str(),
            "exec",
            "-it",
            pod.name.as_str()
        ]
    );
    assert_eq!(argv[argv.len() - 2..], ["--", "sh"]);
    assert_eq!(target.kind, "kube.pod");
    assert_eq!(target.name, pod.name.as_str());
    // The audit record carries the command line.
    let target_ref = request.target();
    assert!(
        target_ref.reference.contains(pod.name.as_str()),
        "{target_ref:?}"
    );
    let params = serde_json::to_string(&request.params()).unwrap();
    assert!(params.contains(&line), "{params}");
}

#[tokio::test]
async fn a_capture_command_runs_at_once_and_its_output_is_a_scrollable_clean_view() {
    let mut s = pods().await;
    let pod = s.panes.pods.selected().unwrap().clone();
    let cmds = typed(&mut s, "B");
    let [Cmd::RunCustom(run)] = cmds.as_slice() else {
        panic!("describe-pod runs without a confirmation: {cmds:?}")
    };
    assert_eq!(run.mode, Mode::Capture);
    assert_eq!(
        run.argv,
        [
            "kubectl",
            "--context",
            "sandbox-staging",
            "-n",
            pod.namespace.as_str(),
            "describe",
            "pod",
            pod.name.as_str()
        ]
    );
    assert!(toast(&s).contains("describe-pod"), "{}", toast(&s));

    // The run loop answers with the output: hostile bytes arrive inert.
    let mut body = String::from("Name: web\x1b]52;c;aGk=\x07\nEvents:\x1b[2J\n");
    for i in 0..60 {
        writeln!(body, "line {i}").unwrap();
    }
    let output = opsdeck::app::custom::CommandOutput::new("describe-pod".into(), body.as_bytes());
    update(&mut s, Msg::CommandOutput(Box::new(output)));
    let text = screen(&s);
    assert!(text.contains("Name: web"), "{text}");
    assert!(!text.contains('\x1b'), "{text}");
    assert!(!text.contains("line 59"), "only a page is shown");
    key(&mut s, KeyCode::Char('G'));
    let text = screen(&s);
    assert!(text.contains("line 59"), "G goes to the end:\n{text}");
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none(), "esc closes the view");
}

/// Every line `?` shows for the current view, scrolled through.
fn help_text(s: &mut State) -> String {
    typed(s, "?");
    let mut text = String::new();
    for _ in 0..60 {
        text.push_str(&screen(s));
        key(s, KeyCode::Char('j'));
    }
    key(s, KeyCode::Esc);
    text
}

#[tokio::test]
async fn read_only_hides_the_dangerous_command_from_help_and_refuses_its_key() {
    let mut s = pods().await;
    let text = help_text(&mut s);
    assert!(text.contains("custom commands (commands.toml)"), "{text}");
    assert!(
        text.contains("a shell in the selected pod (kubectl exec;"),
        "{text}"
    );
    assert!(
        text.contains("kubectl describe of the selected pod"),
        "{text}"
    );

    s.readonly = true;
    let text = help_text(&mut s);
    assert!(
        !text.contains("a shell in the selected pod (kubectl exec;"),
        "hidden in read-only:\n{text}"
    );
    assert!(
        text.contains("kubectl describe of the selected pod"),
        "{text}"
    );
    let cmds = typed(&mut s, "X");
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(s.modal.is_none());
    assert!(toast(&s).contains("read-only"), "{}", toast(&s));
}

#[tokio::test]
async fn a_placeholder_the_selection_does_not_give_is_named_and_nothing_runs() {
    let mut s = pods().await;
    with_commands(
        &mut s,
        r#"
[[command]]
name = "trace"
description = "needs a trace id"
key = "Z"
panes = ["pods"]
command = "echo {trace_id}"
"#,
    );
    let cmds = typed(&mut s, "Z");
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(toast(&s).contains("trace_id"), "{}", toast(&s));
}

#[tokio::test]
async fn shell_commands_quote_every_value() {
    let mut s = pods().await;
    let pod = s.panes.pods.selected().unwrap().clone();
    with_commands(
        &mut s,
        r#"
[[command]]
name = "logs-grep"
description = "grep the pod's logs"
key = "Z"
panes = ["pods"]
command = "kubectl -n {namespace} logs {pod} | grep -c error"
shell = true
mode = "capture"
"#,
    );
    let cmds = typed(&mut s, "Z");
    let [Cmd::RunCustom(run)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(run.argv[..2], ["sh", "-c"]);
    assert_eq!(
        run.argv[2],
        format!(
            "kubectl -n '{}' logs '{}' | grep -c error",
            pod.namespace, pod.name
        )
    );
}

#[tokio::test]
async fn psql_runs_on_the_database_the_postgres_pane_shows() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    with_commands(&mut s, EXAMPLES);
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.view().pane(), PaneId::Postgres);
    let snapshot = sandbox.pg_snapshot("orders-db").await.expect("snapshot");
    let generation = s.generation;
    update(
        &mut s,
        Msg::Source(SourceEvent {
            source: SourceId::Postgres,
            generation,
            body: SourceBody::Postgres(snapshot),
        }),
    );
    s.panes.postgres.select_database("orders-db");
    let cmds = typed(&mut s, "C");
    let [Cmd::RunCustom(run)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(run.name, "psql");
    assert_eq!(run.mode, Mode::Interactive);
    assert_eq!(run.database.as_deref(), Some("orders-db"));
    assert_eq!(run.argv[0], "psql");
    assert_eq!(run.argv.len(), 2, "{:?}", run.argv);
    assert!(
        run.argv[1].contains("orders"),
        "the sandbox's DSN: {:?}",
        run.argv
    );
}
