//! The Kafka pane over the sandbox's simulated cluster: topics, groups sorted by lag with a
//! trend, internal topics hidden by default, and the scope narrowing both lists.

use std::time::Duration;

use crossterm::event::KeyCode;
use opsdeck::app::panes::kafka::KafkaView;
use opsdeck::app::{Msg, State, update};
use opsdeck::screenshot::epoch;
use opsdeck::sources::sandbox::World;
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, state, typed};

fn feed(s: &mut State, world: &World) {
    let snapshot = world.kafka_snapshot();
    let event = SourceEvent {
        source: SourceId::Kafka,
        generation: s.generation,
        body: SourceBody::Kafka(snapshot.into()),
    };
    update(s, Msg::Source(event));
}

#[test]
fn lagging_group_sorts_first_and_scope_narrows() {
    let mut world = World::new(7, epoch());
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    for _ in 0..3 {
        world.advance(Duration::from_secs(10));
        feed(&mut s, &world);
    }
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    assert!(
        s.panes.kafka.table.visible.len() == snapshot.topics.iter().filter(|t| !t.internal).count()
    );
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.kafka.view, KafkaView::Groups);
    let first = s
        .panes
        .kafka
        .selected()
        .map(|i| snapshot.groups[i].name.clone());
    assert_eq!(
        first.as_deref(),
        Some("analytics-ingest-consumer"),
        "the lagging group is first"
    );
    let trend = s.panes.kafka.history.series("analytics-ingest-consumer");
    let n = trend.len();
    assert!(n >= 3);
    assert!(
        trend[n - 1] > trend[n - 3],
        "lag grows during the incident: {trend:?}"
    );
    typed(&mut s, ":scope checkout-api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('4'));
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.kafka.view, KafkaView::Topics);
    let names: Vec<String> = s
        .panes
        .kafka
        .table
        .visible
        .iter()
        .map(|&v| snapshot.topics[s.panes.kafka.row_index(v)].name.clone())
        .collect();
    assert_eq!(
        names,
        vec!["orders.placed.v1".to_owned()],
        "scoped to the service's topics"
    );
}

#[test]
fn enter_opens_partitions_and_group_lag_esc_closes() {
    let mut world = World::new(7, epoch());
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    world.advance(Duration::from_secs(30));
    feed(&mut s, &world);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.panes.kafka.detail.as_deref(),
        Some("analytics-ingest-consumer")
    );
    let text: String = opsdeck::screenshot::draw(&s)
        .expect("draws")
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(text.contains("lag per partition"), "{text}");
    key(&mut s, KeyCode::Esc);
    assert!(
        s.panes.kafka.detail.is_none(),
        "esc closes the detail first"
    );
    assert_eq!(s.view().pane(), opsdeck::app::PaneId::Kafka);
}

#[tokio::test]
async fn delete_a_topic_by_typing_its_name() {
    use crossterm::event::{Event, KeyEvent, KeyModifiers};
    use opsdeck::actions::gate::Executor;
    use opsdeck::app::Cmd;
    use opsdeck::app::state::Modal;
    use opsdeck::sources::sandbox::SandboxHandle;
    use opsdeck::sources::sandbox::kafka::SandboxKafkaExecutor;

    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    let name = {
        let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
        snapshot.topics[s.panes.kafka.selected().expect("selected")]
            .name
            .clone()
    };
    update(
        &mut s,
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char('d'),
            KeyModifiers::CONTROL,
        ))),
    );
    assert!(
        matches!(s.modal, Some(Modal::Confirm(_))),
        "ctrl-d asks first"
    );
    typed(&mut s, "wrong");
    assert!(
        key(&mut s, KeyCode::Enter).is_empty(),
        "a wrong name does nothing"
    );
    for _ in 0.."wrong".len() {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, &name);
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::Execute { request, .. }] = cmds.as_slice() else {
        panic!("execute: {cmds:?}")
    };
    let result = SandboxKafkaExecutor {
        sandbox: sandbox.clone(),
    }
    .execute(request)
    .await;
    assert_eq!(
        result.status,
        opsdeck::model::platform::OutcomeStatus::Succeeded,
        "{}",
        result.detail
    );
    let world_topics: Vec<String> = sandbox
        .kafka()
        .await
        .expect("snapshot")
        .topics
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert!(
        !world_topics.contains(&name),
        "{name} is gone from the cluster"
    );
}

/// A broker that dies after a good refresh: the pane keeps the data and says, in the pane,
/// that it is failing and how old the data is; other panes stay usable.
#[test]
fn a_failing_refresh_is_shown_in_the_pane_with_the_data_age() {
    use opsdeck::model::SourceHealth;
    let mut world = World::new(7, epoch());
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    world.advance(Duration::from_secs(10));
    feed(&mut s, &world);
    let taken = s.panes.kafka.snapshot.clone().expect("snapshot").taken_at;
    let event = SourceEvent {
        source: SourceId::Kafka,
        generation: s.generation,
        body: SourceBody::Health(SourceHealth::Error {
            message: "metadata: BrokerTransportFailure".into(),
            since: taken + jiff::SignedDuration::from_secs(60),
            // Later good polls found the same data: the snapshot kept its older time, the
            // age counts from the last good poll.
            last_good: Some(taken + jiff::SignedDuration::from_secs(57)),
        }),
    };
    update(&mut s, Msg::Source(event));
    update(
        &mut s,
        Msg::Now(taken + jiff::SignedDuration::from_secs(95)),
    );
    let screen = opsdeck::screenshot::draw(&s).expect("draw");
    let text: String = (0..screen.area.height)
        .map(|y| {
            (0..screen.area.width)
                .map(|x| screen[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("✗ metadata: BrokerTransportFailure · showing data from 38s ago"),
        "{text}"
    );
    // Idle, the ages keep counting: the run loop's tick asks for a frame while a source
    // fails, and for none once it is healthy again.
    s.dirty = false;
    update(&mut s, Msg::AgeTick);
    assert!(s.dirty, "a failing source's ages are redrawn");
    let healthy = SourceEvent {
        source: SourceId::Kafka,
        generation: s.generation,
        body: SourceBody::Health(SourceHealth::Ok {
            at: taken + jiff::SignedDuration::from_secs(96),
        }),
    };
    update(&mut s, Msg::Source(healthy));
    s.dirty = false;
    update(&mut s, Msg::AgeTick);
    assert!(!s.dirty, "no redraw when every source is healthy");
    assert!(s.panes.kafka.snapshot.is_some(), "the data is kept");
    key(&mut s, KeyCode::Char('1'));
    assert_eq!(s.view().pane(), opsdeck::app::PaneId::Catalog);
}
