//! The Postgres pane driven by keys over the sandbox's simulated databases: the blocking
//! tree, the advice in the kill dialog, and the guarded kill through the sandbox executor.

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::actions::gate::Executor;
use opsdeck::app::panes::postgres::PgView;
use opsdeck::app::state::{Modal, PaneId};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::action::{ActionRequest, KillMode};
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

#[tokio::test]
async fn tree_root_cancel_is_ineffective_terminate_unblocks() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    typed(&mut s, ":scope checkout-api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.view().pane(), PaneId::Postgres);
    assert_eq!(
        s.panes.postgres.current_database(),
        Some("orders-db"),
        "scope picks the service's database"
    );
    feed(&mut s, &sandbox, "orders-db").await;
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.postgres.view, PgView::Tree);
    let root = s
        .panes
        .postgres
        .tree
        .first()
        .cloned()
        .expect("a blocking root");
    assert_eq!(root.depth, 0);
    assert!(
        root.blocks_total >= 4,
        "the root blocks the whole chain: {root:?}"
    );
    let text = screen(&s);
    assert!(text.contains(&format!("{} blocks", root.pid)), "{text}");
    assert!(text.contains("idle in tx"), "{text}");

    // Cancel on the idle-in-transaction root: the dialog says it will do nothing.
    typed(&mut s, "c");
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("confirm dialog")
    };
    assert!(
        confirm
            .notes
            .iter()
            .any(|(_, n)| n.contains("cancel will do nothing")),
        "{:?}",
        confirm.notes
    );
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    let executor = SandboxExecutor::new(sandbox.clone());
    let result = executor.execute(request).await;
    assert_eq!(
        result.status,
        OutcomeStatus::Ineffective,
        "{}",
        result.detail
    );

    // Terminate the root: its children finish.
    typed(&mut s, "x");
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    assert!(
        matches!(request, ActionRequest::KillQuery { mode: KillMode::Terminate, pid, .. } if *pid == root.pid)
    );
    let result = executor.execute(request).await;
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    feed(&mut s, &sandbox, "orders-db").await;
    assert!(
        s.panes.postgres.tree.is_empty(),
        "nothing is blocked any more: {:?}",
        s.panes.postgres.tree
    );
    assert!(screen(&s).contains("nothing is blocked"));
}

#[tokio::test]
async fn stale_screen_cannot_hit_another_session() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char('5'));
    feed(&mut s, &sandbox, "payments-db").await;
    let d = s
        .panes
        .postgres
        .databases
        .iter()
        .position(|d| d == "payments-db")
        .expect("listed");
    // `d` lists the databases; enter shows the one under the cursor.
    key(&mut s, KeyCode::Char('d'));
    let at = s.panes.postgres.database_list.expect("the list opens");
    for _ in 0..at {
        key(&mut s, KeyCode::Up);
    }
    for _ in 0..d {
        key(&mut s, KeyCode::Down);
    }
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.postgres.current, d);
    let session = s
        .panes
        .postgres
        .selected_session()
        .cloned()
        .expect("a session");
    let request = ActionRequest::KillQuery {
        database: "payments-db".into(),
        pid: session.pid,
        backend_start: opsdeck::model::pg::pin(
            session.backend_start + std::time::Duration::from_micros(1),
        ),
        query_start: None,
        mode: KillMode::Terminate,
    };
    let result = SandboxExecutor::new(sandbox).execute(&request).await;
    assert_eq!(result.status, OutcomeStatus::Ineffective);
    assert!(
        result.detail.contains("changed") || result.detail.contains("nothing sent"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn freeze_keeps_the_snapshot_and_enter_loads_locks() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    typed(&mut s, ":scope checkout-api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('5'));
    feed(&mut s, &sandbox, "orders-db").await;
    let shown = s.panes.postgres.shown.clone().expect("shown");
    let cmds = typed(&mut s, "p");
    assert_eq!(cmds, vec![Cmd::Pause(SourceId::Postgres, true)]);
    feed(&mut s, &sandbox, "orders-db").await;
    assert!(
        Arc::ptr_eq(&shown, s.panes.postgres.shown.as_ref().expect("shown")),
        "frozen view keeps its snapshot"
    );
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::LoadLocks { database, pid }] = cmds.as_slice() else {
        panic!("load locks: {cmds:?}")
    };
    let locks = sandbox.pg_locks(database, *pid).await;
    update(
        &mut s,
        Msg::PgLocks {
            database: database.clone(),
            pid: *pid,
            locks,
        },
    );
    let detail = s.panes.postgres.detail.clone().expect("detail open");
    assert!(detail.locks.is_some_and(|l| l.is_ok()));
    key(&mut s, KeyCode::Esc);
    assert!(
        s.panes.postgres.detail.is_none(),
        "esc closes the detail first"
    );
    assert_eq!(s.view().pane(), PaneId::Postgres);
}

#[test]
fn readonly_refuses_kills() {
    let mut s = state();
    s.readonly = true;
    key(&mut s, KeyCode::Char('5'));
    assert!(typed(&mut s, "x").is_empty());
    assert!(s.modal.is_none());
}

/// The kill dialog asks the real platform's policy (the example files) as it opens: for
/// alice, terminate is denied up front and enter runs nothing; for sam it is allowed.
#[tokio::test]
async fn the_kill_dialog_says_what_policy_decides_before_confirming() {
    use opsdeck::app::modal::confirm::PolicyView;
    use opsdeck::app::msg::PlatformCall;
    use opsdeck::platform::auth::Tokens;
    use opsdeck::platform::examples::{POLICY_EXAMPLE, TOKENS_EXAMPLE};
    use opsdeck::platform::policy::Policy;
    use opsdeck::platform::{ServeOptions, Source, StoreUrl, spawn_local};
    use opsdeck::sources::platform::{PlatformClient, Token};

    let dir = tempfile::tempdir().expect("tempdir");
    let options = ServeOptions::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        StoreUrl::Sqlite(dir.path().join("platform.db")),
        Source::Value(Tokens::parse(TOKENS_EXAMPLE).expect("tokens")),
        Source::Value(Policy::parse(POLICY_EXAMPLE).expect("policy")),
    );
    let server = spawn_local(options).await.expect("server starts");
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));

    for (user, denied) in [("alice", true), ("sam", false)] {
        let client =
            PlatformClient::new(&server.url(), Token::new(format!("{user}-example-token")))
                .expect("client");
        let mut s = state();
        typed(&mut s, ":scope checkout-api");
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Char('5'));
        feed(&mut s, &sandbox, "orders-db").await;
        key(&mut s, KeyCode::Tab);
        let cmds = typed(&mut s, "x");
        let Some(Cmd::Platform(call @ PlatformCall::CheckAction(_))) = cmds.last().cloned() else {
            panic!("the dialog asks the policy: {cmds:?}")
        };
        let Some(Modal::Confirm(confirm)) = &s.modal else {
            panic!("confirm dialog")
        };
        assert_eq!(confirm.policy, PolicyView::Asking);
        let reply = opsdeck::runtime::platform_calls::call(&client, call).await;
        update(&mut s, Msg::PlatformDone(Box::new(reply)));
        let Some(Modal::Confirm(confirm)) = &s.modal else {
            panic!("the dialog stays open")
        };
        let text = screen(&s);
        if denied {
            assert!(
                matches!(&confirm.policy, PolicyView::Denied(r) if r.contains("pg.terminate")),
                "{:?}",
                confirm.policy
            );
            assert!(text.contains("✗ policy denies it"), "{text}");
            let cmds = key(&mut s, KeyCode::Enter);
            assert!(
                !cmds.iter().any(|c| matches!(c, Cmd::Execute { .. })),
                "a denied action never runs: {cmds:?}"
            );
            assert!(matches!(&s.modal, Some(Modal::Confirm(c)) if c.error.is_some()));
        } else {
            assert!(
                matches!(&confirm.policy, PolicyView::Allowed(_)),
                "{:?}",
                confirm.policy
            );
            assert!(text.contains("✓ policy allows it"), "{text}");
            let cmds = key(&mut s, KeyCode::Enter);
            assert!(
                cmds.iter().any(|c| matches!(c, Cmd::Execute { .. })),
                "{cmds:?}"
            );
        }
    }
}

/// With the platform shown down, the dialog says at once that nothing can be audited,
/// instead of asking a platform that will not answer.
#[tokio::test]
async fn the_kill_dialog_says_when_the_platform_is_down() {
    use opsdeck::app::modal::confirm::PolicyView;
    use opsdeck::model::SourceHealth;

    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char('5'));
    feed(&mut s, &sandbox, "orders-db").await;
    s.health.insert(
        SourceId::Platform,
        SourceHealth::Error {
            message: "connection refused".into(),
            since: epoch(),
            last_good: None,
        },
    );
    let cmds = typed(&mut s, "x");
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::Platform(_))),
        "{cmds:?}"
    );
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("confirm dialog")
    };
    assert!(
        matches!(&confirm.policy, PolicyView::Blocked(r) if r.contains("connection refused")),
        "{:?}",
        confirm.policy
    );
    assert!(
        screen(&s).contains("platform API is down"),
        "{}",
        screen(&s)
    );
}
