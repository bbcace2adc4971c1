//! The requests and audit panes against the real platform server (in-process, SQLite):
//! keystrokes open forms, `update` emits platform calls, the calls run for real, and the
//! answers come back through `update`, exactly as the run loop does it.

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::msg::{PlatformCall, PlatformReply};
use opsdeck::app::state::{Modal, PaneId};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::platform::RequestState;
use opsdeck::platform::server::{LocalServer, spawn_local};
use opsdeck::runtime::platform_calls;
use opsdeck::sources::platform::{PlatformClient, Token};
use opsdeck::sources::platform_feed;
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, state, typed};

struct Platform {
    _server: LocalServer,
    client: PlatformClient,
    /// The key the sandbox platform signs checkpoints with.
    checkpoint_key: Option<opsdeck::model::checkpoint::PublicKey>,
    dir: tempfile::TempDir,
}

async fn platform() -> Platform {
    let dir = tempfile::tempdir().expect("tempdir");
    let setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "dev");
    let server = spawn_local(setup.options).await.expect("server starts");
    let client = PlatformClient::new(&server.url(), Token::new(setup.token)).expect("client");
    Platform {
        _server: server,
        client,
        checkpoint_key: setup.checkpoint_key,
        dir,
    }
}

/// Polls the platform once and feeds the snapshot to the state, as the feed source does.
async fn refresh(s: &mut State, client: &PlatformClient) {
    let snapshot = platform_feed::fetch(client).await.expect("snapshot");
    let event = SourceEvent {
        source: SourceId::Platform,
        generation: s.generation,
        body: SourceBody::Platform(Arc::new(snapshot)),
    };
    update(s, Msg::Source(event));
}

/// Carries out the platform calls among `cmds` and feeds the replies back.
async fn carry(s: &mut State, client: &PlatformClient, cmds: Vec<Cmd>) {
    for cmd in cmds {
        if let Cmd::Platform(call) = cmd {
            let reply = platform_calls::call(client, call).await;
            for follow_up in update(s, Msg::PlatformDone(Box::new(reply))) {
                if follow_up == Cmd::Refresh(vec![SourceId::Platform]) {
                    refresh(s, client).await;
                }
            }
        }
    }
}

fn form_field(s: &State, index: usize) -> String {
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("form open")
    };
    form.fields[index].value.clone()
}

/// Presses `v` in the audit pane after the sandbox signed its head (here on demand rather
/// than at its interval): verify holds the chain against that checkpoint with the sandbox's
/// key, as the run loop does, and the console keeps it.
async fn verify_against_a_checkpoint(s: &mut State, p: &Platform) {
    let checkpoint = p.client.sign_checkpoint().await.expect("signed");
    let cmds = typed(s, "v");
    assert_eq!(cmds, vec![Cmd::Platform(PlatformCall::Verify)]);
    let trust = platform_calls::Trust {
        keys: p.checkpoint_key.iter().cloned().collect(),
        data_dir: Some(p.dir.path().to_owned()),
    };
    let reply = platform_calls::call_with(&p.client, PlatformCall::Verify, &trust).await;
    update(s, Msg::PlatformDone(Box::new(reply)));
    let check = s
        .panes
        .audit
        .verify
        .clone()
        .expect("answered")
        .expect("verified");
    assert!(check.ok(), "{:?}", check.findings);
    assert!(check.report.checked >= 2);
    assert_eq!(
        check.summary(),
        format!(
            "chain ✓ ok ({} events, matches the checkpoint of seq {} signed at {})",
            check.report.checked, checkpoint.seq, checkpoint.time
        )
    );
    assert!(
        p.dir
            .path()
            .join(opsdeck::runtime::checkpoint_check::FILE)
            .exists(),
        "the console keeps it"
    );
}

#[tokio::test]
async fn request_a_topic_approve_it_and_see_it_ready_and_audited() {
    let p = platform().await;
    let mut s = state();
    refresh(&mut s, &p.client).await;
    key(&mut s, KeyCode::Char('8'));
    assert_eq!(s.view().pane(), PaneId::Requests);
    typed(&mut s, "t");
    assert!(matches!(s.modal, Some(Modal::Form(_))));
    typed(&mut s, "ledger.audit.v1");
    // Enter with no reason: refused locally, nothing sent, input kept.
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(cmds.is_empty(), "an invalid form sends nothing");
    assert_eq!(form_field(&s, 0), "ledger.audit.v1");
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("still open")
    };
    assert_eq!(form.focus, 6, "focus moved to the reason field");
    typed(&mut s, "compliance audit stream");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Platform(PlatformCall::Create(_))]
    ));
    carry(&mut s, &p.client, cmds).await;
    assert!(
        s.modal.is_none(),
        "the form closes once the platform accepted it"
    );
    assert_eq!(s.panes.requests.rows.len(), 1);
    assert_eq!(s.panes.requests.rows[0].state, RequestState::Submitted);

    // The sandbox user is an approver: the queue lists it, `a` opens the dialog that shows
    // what is approved, and only its enter sends the approval.
    key(&mut s, KeyCode::Tab);
    assert!(s.panes.requests.queue);
    let cmds = typed(&mut s, "a");
    assert!(cmds.is_empty(), "nothing is sent before the confirmation");
    let Some(Modal::Decide(decide)) = &s.modal else {
        panic!("approve asks for confirmation")
    };
    assert!(decide.approve);
    let screen = crate::render::text(&s);
    for needle in [
        "ledger.audit.v1",
        "kafka_topic",
        "retention 7d",
        "cleanup delete",
    ] {
        assert!(screen.contains(needle), "{needle} in the dialog:\n{screen}");
    }
    // Esc cancels: nothing sent, the request still waits.
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.modal.is_none());
    typed(&mut s, "a");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Platform(PlatformCall::Approve(_))]
    ));
    carry(&mut s, &p.client, cmds).await;
    key(&mut s, KeyCode::Tab);
    // No topic creator on this server: approved, with the reason shown.
    let request = &s.panes.requests.rows[0];
    assert_eq!(request.state, RequestState::Approved);
    assert!(
        request
            .state_reason
            .as_deref()
            .unwrap_or_default()
            .contains("no Kafka brokers")
    );

    // The audit pane shows the transitions and verifies the chain.
    key(&mut s, KeyCode::Char('9'));
    let actions: Vec<&str> = s
        .panes
        .audit
        .rows
        .iter()
        .map(|i| i.event.body.action())
        .collect();
    assert!(actions.contains(&"request.submitted"), "{actions:?}");
    assert!(actions.contains(&"request.approved"), "{actions:?}");
    verify_against_a_checkpoint(&mut s, &p).await;
}

#[tokio::test]
async fn reject_needs_a_reason_and_is_recorded() {
    let p = platform().await;
    let mut s = state();
    refresh(&mut s, &p.client).await;
    key(&mut s, KeyCode::Char('8'));
    typed(&mut s, "r");
    for _ in 0..3 {
        key(&mut s, KeyCode::Tab);
    }
    typed(&mut s, "month-end report for finance");
    let cmds = key(&mut s, KeyCode::Enter);
    carry(&mut s, &p.client, cmds).await;
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "x");
    assert!(matches!(&s.modal, Some(Modal::Decide(d)) if !d.approve));
    typed(&mut s, "no");
    assert!(
        key(&mut s, KeyCode::Enter).is_empty(),
        "a two-letter reason is refused"
    );
    typed(&mut s, " replica needed, use the warehouse");
    let cmds = key(&mut s, KeyCode::Enter);
    carry(&mut s, &p.client, cmds).await;
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.requests.rows[0].state, RequestState::Rejected);
}

#[tokio::test]
async fn platform_errors_keep_the_form_and_its_input() {
    let mut s = state();
    key(&mut s, KeyCode::Char('8'));
    typed(&mut s, "t");
    typed(&mut s, "orders.retry.v1");
    key(&mut s, KeyCode::Tab);
    for _ in 0..5 {
        key(&mut s, KeyCode::Tab);
    }
    typed(&mut s, "retry queue for payments");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Platform(PlatformCall::Create(_))]
    ));
    // The platform is down: the client's error comes back.
    let dead = PlatformClient::new("http://127.0.0.1:9", Token::new("x")).expect("client");
    let Cmd::Platform(call) = cmds.into_iter().next().expect("one") else {
        unreachable!()
    };
    let reply = platform_calls::call(&dead, call).await;
    assert!(matches!(reply, PlatformReply::Created(Err(_))));
    update(&mut s, Msg::PlatformDone(Box::new(reply)));
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("form stays open")
    };
    assert!(
        form.error
            .as_deref()
            .unwrap_or_default()
            .contains("unreachable")
    );
    assert!(!form.submitting);
    assert_eq!(form.fields[0].value, "orders.retry.v1");
    // Esc keeps a draft; reopening restores it.
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    typed(&mut s, "t");
    assert_eq!(form_field(&s, 0), "orders.retry.v1");
}

#[test]
fn readonly_hides_and_refuses_request_actions() {
    let mut s = state();
    s.readonly = true;
    key(&mut s, KeyCode::Char('8'));
    let cmds = typed(&mut s, "t");
    assert!(cmds.is_empty());
    assert!(s.modal.is_none(), "no form under --readonly");
    let help = opsdeck::ui::widgets::help::sections(&s.ui.keymap, s.view().key_contexts(), true);
    let all: Vec<String> = help
        .into_iter()
        .flat_map(|(_, rows)| rows.into_iter().map(|r| r.1))
        .collect();
    assert!(
        !all.iter().any(|d| d.contains("request a new Kafka topic")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|d| d.contains("approval queue")),
        "harmless keys stay"
    );
}
