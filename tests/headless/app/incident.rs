//! The incident view from keystrokes: `:incident <service>`, tab through the panels, enter on
//! each opening its full pane with the service's item selected, esc coming back; and `i` on
//! the catalog and on the card.

use crossterm::event::KeyCode;
use opsdeck::app::panes::incident::Panel;
use opsdeck::app::panes::kafka::KafkaView;
use opsdeck::app::panes::postgres::PgView;
use opsdeck::app::state::{PaneId, View};
use opsdeck::app::{Cmd, State};
use opsdeck::model::logs::LevelGroup;

use super::keys::{key, state, typed};

const SERVICE: &str = "checkout-api";

fn open_incident(s: &mut State, service: &str) -> Vec<Cmd> {
    typed(s, &format!(":incident {service}"));
    key(s, KeyCode::Enter)
}

/// Enter on the focused panel, a check of the pane it opened, then esc back.
fn enter_and_back(s: &mut State, check: impl FnOnce(&State)) {
    key(s, KeyCode::Enter);
    check(s);
    key(s, KeyCode::Esc);
    // Panes with an open detail close it first; a second esc leaves them.
    if s.view().pane() != PaneId::Incident {
        key(s, KeyCode::Esc);
    }
    assert_eq!(*s.view(), View::Pane(PaneId::Incident), "esc returns");
}

#[test]
fn incident_command_scopes_and_asks_for_the_service_s_traces() {
    let mut s = state();
    let cmds = open_incident(&mut s, SERVICE);
    assert_eq!(*s.view(), View::Pane(PaneId::Incident));
    assert_eq!(s.scope.as_deref(), Some(SERVICE));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::SetScope(Some(n)) if n == SERVICE))
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::TraceSearch(q) if q.service.as_deref() == Some(SERVICE)))
    );
    assert_eq!(s.panes.postgres.current_database(), Some("orders-db"));
}

#[test]
fn each_panel_opens_its_pane_and_esc_comes_back() {
    let mut s = state();
    open_incident(&mut s, SERVICE);
    // The firing alerts come first: what paged the person looking.
    assert_eq!(s.panes.incident.focus, Panel::Alerts);
    enter_and_back(&mut s, |s| assert_eq!(s.view().pane(), PaneId::Alerts));
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Metrics);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Card);
    enter_and_back(&mut s, |s| {
        assert!(matches!(s.view(), View::Card(c) if c.service == SERVICE));
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Argo);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Apps);
        assert_eq!(
            s.panes.apps.selected().map(|r| r.name.as_str()),
            Some(SERVICE)
        );
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Rollout);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Rollouts);
        let open = s
            .panes
            .rollouts
            .detail
            .as_ref()
            .expect("the workload is opened");
        assert_eq!(open.name, SERVICE);
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Database);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Postgres);
        assert_eq!(s.panes.postgres.view, PgView::Tree);
        assert_eq!(s.panes.postgres.current_database(), Some("orders-db"));
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Lag);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Kafka);
        assert_eq!(s.panes.kafka.view, KafkaView::Groups);
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Logs);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Logs);
        assert!(s.panes.logs.levels.shows(LevelGroup::Error));
        assert!(!s.panes.logs.levels.shows(LevelGroup::Info), "errors only");
        assert_eq!(s.panes.logs.target.service.as_deref(), Some(SERVICE));
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Changes);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Traces);
    enter_and_back(&mut s, |s| {
        assert_eq!(s.view().pane(), PaneId::Traces);
        assert_eq!(s.panes.traces.service.as_deref(), Some(SERVICE));
    });
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.incident.focus, Panel::Alerts, "tab wraps");
    key(&mut s, KeyCode::BackTab);
    assert_eq!(s.panes.incident.focus, Panel::Traces);
    key(&mut s, KeyCode::Up);
    assert_eq!(s.panes.incident.focus, Panel::Logs);
    key(&mut s, KeyCode::Char('h'));
    assert_eq!(s.panes.incident.focus, Panel::Lag);
    key(&mut s, KeyCode::Char('k'));
    assert_eq!(s.panes.incident.focus, Panel::Rollout);
}

#[test]
fn the_lag_panel_selects_the_service_s_group() {
    let mut s = state();
    open_incident(&mut s, "analytics-ingest");
    s.panes.incident.focus = Panel::Lag;
    key(&mut s, KeyCode::Enter);
    let snapshot = s.panes.kafka.snapshot.clone().expect("a kafka snapshot");
    let i = s.panes.kafka.selected().expect("a selected group");
    assert_eq!(snapshot.groups[i].name, "analytics-ingest-consumer");
}

#[test]
fn i_opens_the_incident_view_from_the_catalog_and_the_card() {
    let mut s = state();
    let name = s
        .panes
        .catalog
        .selected()
        .map(|e| e.name().to_owned())
        .expect("a row");
    key(&mut s, KeyCode::Char('i'));
    assert_eq!(*s.view(), View::Pane(PaneId::Incident));
    assert_eq!(s.scope.as_deref(), Some(name.as_str()));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view().pane(), PaneId::Catalog);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view(), View::Card(_)));
    key(&mut s, KeyCode::Char('i'));
    assert_eq!(*s.view(), View::Pane(PaneId::Incident));
}

#[test]
fn without_a_service_enter_says_how_to_choose_one() {
    let mut s = state();
    typed(&mut s, ":incident");
    key(&mut s, KeyCode::Enter);
    assert_eq!(*s.view(), View::Pane(PaneId::Incident));
    key(&mut s, KeyCode::Enter);
    assert_eq!(*s.view(), View::Pane(PaneId::Incident));
    let toast = s.toast.as_ref().expect("a hint");
    assert!(toast.text.contains(":incident <service>"), "{}", toast.text);
}

#[test]
fn source_data_redraws_the_view_and_a_repeated_ok_does_not() {
    use opsdeck::app::{Msg, update};
    use opsdeck::model::SourceHealth;
    use opsdeck::sources::{SourceBody, SourceEvent, SourceId};
    let mut s = state();
    open_incident(&mut s, "analytics-ingest");
    let generation = s.generation;
    let event = |body| {
        Msg::Source(SourceEvent {
            source: SourceId::Kafka,
            generation,
            body,
        })
    };
    s.dirty = false;
    let ok = SourceHealth::Ok {
        at: opsdeck::screenshot::epoch(),
    };
    update(&mut s, event(SourceBody::Health(ok)));
    assert!(!s.dirty, "a repeated ok changes nothing on screen");
    let snapshot = s.panes.kafka.snapshot.clone().expect("a kafka snapshot");
    update(&mut s, event(SourceBody::Kafka(snapshot)));
    assert!(
        s.dirty,
        "new lag data is drawn while the incident view shows"
    );
}

#[test]
fn an_unknown_service_is_refused_where_the_user_is() {
    let mut s = state();
    open_incident(&mut s, "no-such-service");
    assert_eq!(s.view().pane(), PaneId::Catalog);
    assert_eq!(s.scope, None);
    let toast = s.toast.as_ref().expect("the reason");
    assert!(toast.text.contains("no-such-service"), "{}", toast.text);
}
