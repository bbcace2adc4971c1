//! The Postgres pane's first aid driven by keys over the sandbox, at 80×24: marks that follow
//! a session's identity, `M` marking by state, the bulk plan and each target's outcome,
//! `ROLLBACK PREPARED` from the pid-0 line with the gid typed, the prepared list, and `y`
//! copying the selected query.

use crossterm::event::KeyCode;
use opsdeck::actions::gate::{Delivery, Executor, GateOutcome};
use opsdeck::app::msg::ActionReport;
use opsdeck::app::panes::postgres::PgView;
use opsdeck::app::state::{Modal, PaneId};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::action::{ActionRequest, KillMode};
use opsdeck::model::pg::PREPARED_PID;
use opsdeck::model::pg_bulk::TargetStatus;
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::screenshot::epoch;
use opsdeck::sources::sandbox::pg::SandboxExecutor;
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state, typed};

async fn feed(s: &mut State, sandbox: &SandboxHandle, database: &str) {
    let snapshot = sandbox.pg_snapshot(database).await.expect("snapshot");
    let event = SourceEvent {
        source: SourceId::Postgres,
        generation: s.generation,
        body: SourceBody::Postgres(snapshot),
    };
    update(s, Msg::Source(event));
}

/// The Postgres pane on `database` of a fresh sandbox.
async fn on(database: &str) -> (State, SandboxHandle) {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.view().pane(), PaneId::Postgres);
    feed(&mut s, &sandbox, database).await;
    s.panes.postgres.select_database(database);
    assert_eq!(s.panes.postgres.current_database(), Some(database));
    (s, sandbox)
}

/// The executed outcome the gate would report, as the run loop sends it.
fn done(request: &ActionRequest, result: opsdeck::actions::ExecResult) -> Msg {
    Msg::ActionDone(Box::new(ActionReport {
        request: request.clone(),
        outcome: GateOutcome::Executed {
            event_id: "e-1".into(),
            result,
            delivery: Delivery::Sent,
        },
    }))
}

/// `M` with a word it does not know (the prompt stays open with why), then `waiting`.
fn mark_waiting(s: &mut State) {
    // `M`: every session waiting on a lock.
    typed(s, "M");
    assert!(matches!(s.modal, Some(Modal::Prompt(_))));
    typed(s, "bogus");
    key(s, KeyCode::Enter);
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        panic!("the prompt stays open with why")
    };
    assert!(
        prompt
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("`bogus`")
    );
    for _ in 0..5 {
        key(s, KeyCode::Backspace);
    }
    typed(s, "waiting");
    key(s, KeyCode::Enter);
    assert!(s.modal.is_none());
}

#[tokio::test]
async fn marks_follow_identity_and_a_bulk_terminate_shows_each_target_s_outcome() {
    let (mut s, sandbox) = on("orders-db").await;
    mark_waiting(&mut s);
    let pg = &s.panes.postgres;
    let waiting: Vec<i32> = pg
        .shown
        .as_ref()
        .unwrap()
        .waiting()
        .map(|w| w.pid)
        .collect();
    assert!(waiting.len() >= 4, "{waiting:?}");
    assert_eq!(pg.marks.len(), waiting.len());
    let text = screen(&s);
    assert!(text.contains(&format!("✓{}", waiting[0])), "{text}");
    assert!(text.contains("marked"), "{text}");

    // `space` unmarks the session under the cursor (and moves down).
    let first = s.panes.postgres.selected_session().unwrap().clone();
    let was = s.panes.postgres.is_marked(&first);
    key(&mut s, KeyCode::Char(' '));
    assert_ne!(s.panes.postgres.is_marked(&first), was);
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.panes.postgres.is_marked(&first), was, "space again: back");

    // `x` with marks: the plan lists every target with its guard.
    typed(&mut s, "x");
    let view = s.panes.postgres.bulk.clone().expect("the plan");
    assert_eq!(view.mode, KillMode::Terminate);
    assert_eq!(view.rows.len(), waiting.len());
    let text = screen(&s);
    assert!(text.contains("terminate"), "{text}");
    assert!(text.contains("guard backend_start 20"), "{text}");
    // Up and down move within the plan, not the table below.
    key(&mut s, KeyCode::Down);
    assert_eq!(s.panes.postgres.bulk.as_ref().unwrap().selected, 1);

    // enter: one confirmation, one request with every target pinned.
    key(&mut s, KeyCode::Enter);
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("confirm")
    };
    assert!(
        confirm
            .title
            .contains(&format!("terminate {} backends", waiting.len()))
    );
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    let ActionRequest::BulkKill { targets, mode, .. } = request else {
        panic!("{request:?}")
    };
    assert_eq!(*mode, KillMode::Terminate);
    assert_eq!(targets.len(), waiting.len());

    // One target changes under the guard before it runs.
    let mut request = request.clone();
    if let ActionRequest::BulkKill { targets, .. } = &mut request {
        targets[0].backend_start = "2001-01-01T00:00:00.000000Z".into();
    }
    s.panes.postgres.bulk.as_mut().unwrap().request = Some(request.clone());
    let result = SandboxExecutor::new(sandbox.clone())
        .execute(&request)
        .await;
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    update(&mut s, done(&request, result));
    let view = s.panes.postgres.bulk.clone().expect("the outcome");
    let outcomes = view.outcomes.expect("each target's outcome");
    assert_eq!(outcomes.len(), waiting.len());
    assert_eq!(outcomes[0].status, TargetStatus::Refused);
    // The others end, or (the readers queued behind a terminated ALTER) got their lock and
    // finished first: gone, so refused. Never a failure.
    assert!(
        outcomes[1..]
            .iter()
            .any(|o| o.status == TargetStatus::Succeeded)
    );
    assert!(
        outcomes.iter().all(|o| o.status != TargetStatus::Failed),
        "{outcomes:?}"
    );
    assert!(s.panes.postgres.marks.is_empty(), "done: the marks go");
    let text = screen(&s);
    assert!(text.contains("≠ refused by guard"), "{text}");
    assert!(text.contains("✓ succeeded"), "{text}");
    assert!(text.contains("outcome"), "{text}");
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.postgres.bulk.is_none());
}

#[tokio::test]
async fn a_marked_session_that_leaves_the_snapshot_loses_its_mark() {
    let (mut s, sandbox) = on("orders-db").await;
    let session = s.panes.postgres.selected_session().unwrap().clone();
    key(&mut s, KeyCode::Char(' '));
    assert!(s.panes.postgres.is_marked(&session));
    // A mark of a session that is gone (another backend_start: a reused pid is another
    // session) is dropped by the next snapshot; the live one stays.
    s.panes.postgres.marks.insert(format!(
        "pid {} (started 2001-01-01T00:00:00Z)",
        session.pid
    ));
    feed(&mut s, &sandbox, "orders-db").await;
    let live = s
        .panes
        .postgres
        .shown
        .as_ref()
        .unwrap()
        .session(session.pid)
        .is_some();
    assert_eq!(
        s.panes.postgres.marks.len(),
        usize::from(live),
        "{:?}",
        s.panes.postgres.marks
    );
}

#[tokio::test]
async fn x_on_pid_zero_offers_rollback_prepared_once_the_gid_is_typed() {
    let (mut s, sandbox) = on("logistics-db").await;
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.postgres.view, PgView::Tree);
    assert_eq!(s.panes.postgres.tree[0].pid, PREPARED_PID);
    assert!(screen(&s).contains("prepared transaction (pid 0)"));

    // Two prepared transactions: pid 0 stands for both, so x opens the list to choose.
    typed(&mut s, "x");
    assert!(s.panes.postgres.prepared_view.is_some());
    let text = screen(&s);
    assert!(text.contains("prepared transactions · 2"), "{text}");
    assert!(text.contains("xa:logistics:batch-2041"), "{text}");
    assert!(text.contains("logistics_batch"), "{text}");
    let oldest = s.panes.postgres.prepared_rows()[0].clone();
    assert_eq!(oldest.gid, "xa:logistics:batch-2041", "oldest first");

    typed(&mut s, "x");
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("confirm")
    };
    assert_eq!(
        confirm.required_name().as_deref(),
        Some(oldest.gid.as_str())
    );
    // A wrong gid: refused, nothing runs.
    typed(&mut s, "xa:logistics:label-print-77");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(
        cmds.iter().all(|c| !matches!(c, Cmd::Execute { .. })),
        "{cmds:?}"
    );
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("still open")
    };
    assert!(
        confirm
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("exactly")
    );
    for _ in 0.."xa:logistics:label-print-77".len() {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, &oldest.gid);
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    assert_eq!(request, &oldest.rollback_request("logistics-db"));
    let result = SandboxExecutor::new(sandbox.clone()).execute(request).await;
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    key(&mut s, KeyCode::Esc);
    feed(&mut s, &sandbox, "logistics-db").await;
    assert!(s.panes.postgres.tree.is_empty(), "the waiter got its lock");
    assert_eq!(s.panes.postgres.prepared_rows().len(), 1);

    // `P` lists the one left; `c` on it says what x does.
    typed(&mut s, "P");
    assert!(screen(&s).contains("prepared transactions · 1"));
    typed(&mut s, "P");
    assert!(s.panes.postgres.prepared_view.is_none());
}

#[tokio::test]
async fn y_copies_the_selected_query_and_read_only_refuses_a_bulk_terminate() {
    let (mut s, _sandbox) = on("orders-db").await;
    let session = s.panes.postgres.selected_session().unwrap().clone();
    let cmds = typed(&mut s, "y");
    let [Cmd::Copy(text)] = cmds.as_slice() else {
        panic!("copy: {cmds:?}")
    };
    assert_eq!(text, &session.query);
    assert!(!text.contains('\u{1b}'));

    s.readonly = true;
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.panes.postgres.marks.len(), 1);
    typed(&mut s, "x");
    assert!(
        s.panes.postgres.bulk.is_none(),
        "read-only: no plan to confirm"
    );
    let toast = s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("read-only"), "{toast}");
}
