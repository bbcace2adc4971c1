//! Kafka first aid in the pane over the sandbox: the stopped group `ledger-replay` is reset
//! (prompt → plan → confirmation showing it → the gate's request), a live group is refused
//! before any prompt, and a peek's messages show with hostile bytes inert.

use crossterm::event::KeyCode;
use opsdeck::app::panes::kafka::KafkaView;
use opsdeck::app::state::Modal;
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::action::ActionRequest;
use opsdeck::screenshot::epoch;
use opsdeck::sources::backend::KafkaBackend;
use opsdeck::sources::sandbox::backend::SandboxBackend;
use opsdeck::sources::sandbox::kafka_first_aid::STOPPED_GROUP;
use opsdeck::sources::sandbox::{SandboxHandle, World};

use super::keys::{key, screen, state, typed};

/// The sandbox's cluster as the pane's snapshot, so the pane and the backend agree.
async fn feed(s: &mut State, sandbox: &SandboxHandle) {
    let snapshot = sandbox.kafka().await.expect("snapshot");
    let event = opsdeck::sources::SourceEvent {
        source: opsdeck::sources::SourceId::Kafka,
        generation: s.generation,
        body: opsdeck::sources::SourceBody::Kafka(snapshot),
    };
    update(s, Msg::Source(event));
}

/// The groups view with `group` under the cursor.
fn select_group(s: &mut State, group: &str) {
    key(s, KeyCode::Char('4'));
    while s.panes.kafka.view != KafkaView::Groups {
        key(s, KeyCode::Tab);
    }
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    let index = snapshot
        .groups
        .iter()
        .position(|g| g.name == group)
        .expect("group");
    let visible = (0..s.panes.kafka.table.visible.len())
        .find(|&v| s.panes.kafka.row_index(s.panes.kafka.table.visible[v]) == index)
        .expect("visible");
    s.panes.kafka.table.select(visible);
}

fn backend(sandbox: &SandboxHandle) -> SandboxBackend {
    SandboxBackend::new(sandbox.clone(), "dev".into())
}

#[tokio::test]
async fn a_stopped_group_is_reset_after_its_plan_is_shown() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    feed(&mut s, &sandbox).await;
    select_group(&mut s, STOPPED_GROUP);
    key(&mut s, KeyCode::Char('R'));
    assert!(
        matches!(s.modal, Some(Modal::Prompt(_))),
        "R asks for the target: {:?} {:?}",
        s.modal,
        s.toast
    );
    typed(&mut s, "earliest");
    let cmds = key(&mut s, KeyCode::Enter);
    let [
        Cmd::PlanReset {
            group,
            scope,
            target,
        },
    ] = cmds.as_slice()
    else {
        panic!("plan: {cmds:?}")
    };
    let planned = backend(&sandbox)
        .plan_reset(group.clone(), scope.clone(), *target)
        .await
        .map_err(String::from);
    let ActionRequest::ResetGroupOffsets { plan, .. } = planned.as_ref().expect("a plan") else {
        panic!("{planned:?}")
    };
    assert!(
        plan.iter()
            .all(|r| r.new == r.low && r.lag_after >= r.lag_before)
    );
    update(
        &mut s,
        Msg::KafkaResetPlanned {
            group: group.clone(),
            result: planned.clone(),
        },
    );
    assert!(
        matches!(s.modal, Some(Modal::Confirm(_))),
        "the plan is confirmed first"
    );
    let text = screen(&s);
    assert!(text.contains("COMMITTED →"), "{text}");
    assert!(text.contains(" over 6 partition(s)"), "{text}");
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    assert_eq!(request.action_name(), "kafka.group.reset_offsets");
    let done = opsdeck::actions::gate::Executor::execute(
        &opsdeck::sources::backend::Backends {
            kafka: std::sync::Arc::new(backend(&sandbox)),
            ..opsdeck::sources::backend::Backends::default()
        },
        request,
    )
    .await;
    assert_eq!(
        done.status,
        opsdeck::model::platform::OutcomeStatus::Succeeded,
        "{}",
        done.detail
    );
    let after = sandbox.kafka().await.expect("snapshot");
    let g = after.group(STOPPED_GROUP).expect("group");
    assert!(g.lag.iter().all(|l| l.committed == Some(l.low)), "{g:?}");
}

#[test]
fn a_group_with_members_is_refused_with_the_reason() {
    let mut s = state();
    select_group(&mut s, "analytics-ingest-consumer");
    key(&mut s, KeyCode::Char('R'));
    assert!(s.modal.is_none(), "no prompt for a live group");
    let text = screen(&s);
    assert!(text.contains("inactive"), "{text}");
}

#[tokio::test]
async fn a_peek_shows_messages_with_hostile_bytes_inert() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    feed(&mut s, &sandbox).await;
    select_group(&mut s, STOPPED_GROUP);
    key(&mut s, KeyCode::Char('m'));
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        panic!("m asks where: {:?}", s.modal)
    };
    assert!(prompt.input.ends_with(" committed"), "{}", prompt.input);
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Peek { request, .. }] = cmds.as_slice() else {
        panic!("peek: {cmds:?}")
    };
    assert_eq!(request.action_name(), "kafka.messages.read");
    assert!(!request.dangerous(), "a read, which policy decides on");
    let read = backend(&sandbox).peek(request).await.map_err(String::from);
    assert!(
        read.as_ref().is_ok_and(|r| !r.messages.is_empty()),
        "{read:?}"
    );
    update(&mut s, Msg::KafkaPeeked(Box::new(read)));
    let mut seen_hex = false;
    for _ in 0..40 {
        let text = screen(&s);
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
        seen_hex |= text.contains("binary, hex");
        key(&mut s, KeyCode::Down);
    }
    assert!(seen_hex, "the binary record shows as hex");
    key(&mut s, KeyCode::Char('v'));
    assert!(screen(&s).contains("text view"), "v cycles the value view");
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.kafka.peek.is_none(), "esc closes the peek");
}

#[test]
fn a_topic_lists_its_readers_by_lag_and_enter_opens_one() {
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    // The stopped group reads the first topic: a topic with at least one reader.
    let topic = snapshot
        .groups
        .iter()
        .find(|g| g.name == STOPPED_GROUP)
        .and_then(|g| g.lag.first())
        .map(|l| l.topic.clone())
        .expect("a read topic");
    let index = snapshot
        .topics
        .iter()
        .position(|t| t.name == topic)
        .unwrap();
    let visible = (0..s.panes.kafka.table.visible.len())
        .find(|&v| s.panes.kafka.row_index(s.panes.kafka.table.visible[v]) == index)
        .expect("visible");
    s.panes.kafka.table.select(visible);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    let readers = snapshot.readers(&topic);
    assert!(!readers.is_empty());
    assert!(
        readers.windows(2).all(|w| w[0].1 >= w[1].1),
        "most lag first"
    );
    let text = screen(&s);
    assert!(text.contains("LAG HERE"), "{text}");
    key(&mut s, KeyCode::Down);
    let second = readers
        .get(1)
        .map_or(&readers[0].0.name, |r| &r.0.name)
        .clone();
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.kafka.view, KafkaView::Groups);
    assert_eq!(s.panes.kafka.detail.as_deref(), Some(second.as_str()));
}
