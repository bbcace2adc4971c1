//! `y` and `Y` in every pane of the demo console: what reaches the clipboard command (and
//! so the OSC 52 sequence), the toast that says what was copied, and the cap.

use base64::Engine as _;
use crossterm::event::KeyCode;
use opsdeck::app::copy::{Copied, MAX_COPY_BYTES, copy_cmd};
use opsdeck::app::state::{PaneId, ToastLevel};
use opsdeck::app::{Cmd, State};
use opsdeck::runtime::terminal::{clipboard_sequence, osc52};

use super::keys::{key, state, typed};

/// Shows `pane` the way a user does: `:command` and enter.
fn show(s: &mut State, pane: PaneId) {
    typed(s, &format!(":{}", pane.command()));
    key(s, KeyCode::Enter);
    assert_eq!(s.view().pane(), pane, "{pane:?} shows");
}

/// The text `keys` put on the clipboard (exactly one copy command).
fn copied(s: &mut State, keys: &str) -> String {
    let cmds = typed(s, keys);
    let copies: Vec<&String> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Copy(text) => Some(text),
            _ => None,
        })
        .collect();
    let [text] = copies.as_slice() else {
        panic!("one copy for {keys:?}, got {cmds:?}; toast {:?}", toast(s))
    };
    (*text).clone()
}

fn toast(s: &State) -> String {
    s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
}

/// The sequence the terminal gets carries exactly `expected`, base64-encoded.
fn assert_osc52(text: &str, expected: &str) {
    let base64 = base64::engine::general_purpose::STANDARD.encode(expected);
    assert_eq!(osc52(text), format!("\x1b]52;c;{base64}\x07"));
    assert_eq!(clipboard_sequence(text, false), osc52(text));
}

/// `y` copies `expected` in the shown pane, says what it copied, and `Y` copies a row that
/// holds the key.
fn y_and_row(s: &mut State, expected: &str, label: &str) -> String {
    let text = copied(s, "y");
    assert_eq!(text, expected);
    assert_osc52(&text, expected);
    let said = toast(s);
    assert!(
        said.starts_with("copied ") && said.contains(label),
        "{said}"
    );
    assert!(said.ends_with("(OSC 52)"), "{said}");
    let row = copied(s, "Y");
    assert!(row.contains(expected), "the row holds the key: {row}");
    row
}

#[test]
fn y_copies_the_service_in_the_catalog_and_on_its_card() {
    let mut s = state();
    let name = s.panes.catalog.selected().unwrap().name().to_owned();
    let row = y_and_row(&mut s, &name, &format!("service {name}"));
    assert!(row.starts_with(&format!("{name}\t")), "{row}");
    assert!(row.split('\t').count() >= 5, "{row}");
    key(&mut s, KeyCode::Enter);
    assert_eq!(copied(&mut s, "y"), name, "the card copies its service");
}

#[test]
fn y_copies_the_app_and_y_upper_asks_for_its_yaml() {
    let mut s = state();
    show(&mut s, PaneId::Apps);
    let name = s.panes.apps.selected().unwrap().name.clone();
    assert_eq!(copied(&mut s, "y"), name);
    assert_eq!(toast(&s), format!("copied app {name} (OSC 52)"));
    // `Y` keeps copying the Application's YAML: the describe view loads it, then copies.
    let cmds = typed(&mut s, "Y");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::LoadObject(r) if r.name == name)),
        "{cmds:?}"
    );
    assert!(s.panes.describe.copy_when_loaded);
    // In the describe view, `y` copies the object's name.
    assert_eq!(copied(&mut s, "y"), name);
}

#[test]
fn y_copies_the_rollout_and_the_pod() {
    let mut s = state();
    show(&mut s, PaneId::Rollouts);
    let name = s.panes.rollouts.selected().unwrap().row.name.clone();
    assert_eq!(copied(&mut s, "y"), name);
    assert_eq!(toast(&s), format!("copied rollout {name} (OSC 52)"));

    show(&mut s, PaneId::Pods);
    let pod = s.panes.pods.selected().unwrap().name.clone();
    assert_eq!(copied(&mut s, "y"), pod);
    assert_eq!(toast(&s), format!("copied pod {pod} (OSC 52)"));
}

#[test]
fn y_copies_the_topic_then_the_group() {
    let mut s = state();
    show(&mut s, PaneId::Kafka);
    let topic = s.panes.kafka.target_topic().unwrap();
    let row = y_and_row(&mut s, &topic, &format!("topic {topic}"));
    assert!(row.starts_with(&format!("{topic}\t")), "{row}");
    key(&mut s, KeyCode::Tab);
    let snapshot = s.panes.kafka.snapshot.clone().unwrap();
    let group = snapshot.groups[s.panes.kafka.selected().unwrap()]
        .name
        .clone();
    y_and_row(&mut s, &group, &format!("group {group}"));
}

#[test]
fn y_copies_the_query_and_y_upper_the_session_with_its_pid() {
    let mut s = state();
    show(&mut s, PaneId::Postgres);
    let session = s.panes.postgres.selected_session().unwrap().clone();
    assert!(!session.query.is_empty());
    assert_eq!(copied(&mut s, "y"), session.query);
    assert!(toast(&s).contains(&format!("the query of backend {}", session.pid)));
    let row = copied(&mut s, "Y");
    assert!(row.starts_with(&format!("{}\t", session.pid)), "{row}");
    assert!(!row.contains('\n'));
}

#[test]
fn y_copies_the_log_line_and_y_upper_it_as_json() {
    let mut s = state();
    show(&mut s, PaneId::Logs);
    let line = s.panes.logs.selected().unwrap().raw().to_owned();
    assert_eq!(copied(&mut s, "y"), line);
    let json: serde_json::Value = serde_json::from_str(&copied(&mut s, "Y")).unwrap();
    assert!(json.get("message").is_some(), "{json}");
}

#[test]
fn y_copies_the_trace_id() {
    let mut s = state();
    show(&mut s, PaneId::Traces);
    let id = s.panes.traces.selected().unwrap().trace_id.clone();
    y_and_row(&mut s, &id, &format!("trace id {id}"));
}

#[test]
fn y_copies_the_alert_fingerprint_and_the_silence_id() {
    let mut s = state();
    show(&mut s, PaneId::Alerts);
    let fingerprint = s.panes.alerts.selected().unwrap().0.fingerprint.clone();
    y_and_row(&mut s, &fingerprint, "the fingerprint of alert");

    show(&mut s, PaneId::Silences);
    let id = s.panes.silences.selected().unwrap().0.id.clone();
    y_and_row(&mut s, &id, &format!("silence {id}"));
}

#[test]
fn y_copies_the_service_on_fire_and_the_event_object() {
    let mut s = state();
    show(&mut s, PaneId::Attention);
    let service = s.panes.attention.selected().unwrap().service.clone();
    y_and_row(&mut s, &service, &format!("service {service}"));

    show(&mut s, PaneId::Events);
    let group = s.panes.events.selected().unwrap().clone();
    let object = format!("{}/{}", group.kind, group.name);
    y_and_row(&mut s, &object, &object);
}

#[test]
fn y_copies_the_person_on_call() {
    let mut s = state();
    show(&mut s, PaneId::Oncall);
    let row = s.panes.oncall.selected().unwrap().clone();
    let who = row.now.as_ref().map_or(row.team.clone(), |n| n.who.clone());
    assert_eq!(copied(&mut s, "y"), who);
    let json: serde_json::Value = serde_json::from_str(&copied(&mut s, "Y")).unwrap();
    assert_eq!(json["team"], row.team.as_str());
}

#[test]
fn y_with_nothing_selected_says_so_and_copies_nothing() {
    let mut s = state();
    show(&mut s, PaneId::Forwards);
    assert!(s.panes.forwards.selected().is_none());
    let cmds = typed(&mut s, "y");
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Copy(_))), "{cmds:?}");
    assert!(toast(&s).contains("nothing selected"), "{}", toast(&s));
}

#[test]
fn a_copy_longer_than_osc52_carries_is_cut_and_the_toast_says_so() {
    let mut s = state();
    let long = "é".repeat(MAX_COPY_BYTES);
    let cmds = copy_cmd(&mut s, Copied::new("the big one", long.clone()));
    let [Cmd::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(text.len() <= MAX_COPY_BYTES && text.len() > MAX_COPY_BYTES - 2);
    assert!(long.starts_with(text.as_str()));
    assert!(osc52(text).len() <= 100_000);
    let toast = s.toast.clone().unwrap();
    assert_eq!(toast.level, ToastLevel::Warn);
    assert!(toast.text.contains("capped"), "{}", toast.text);
    assert!(
        toast.text.contains(&format!("of {} bytes", long.len())),
        "{}",
        toast.text
    );
}

#[test]
fn y_copies_the_request_id_and_y_upper_the_request_as_json() {
    let mut s = state();
    show(&mut s, PaneId::Requests);
    let request = s.panes.requests.selected().expect("a demo request").clone();
    assert_eq!(copied(&mut s, "y"), request.id);
    assert_eq!(toast(&s), format!("copied request {} (OSC 52)", request.id));
    let json: serde_json::Value = serde_json::from_str(&copied(&mut s, "Y")).unwrap();
    assert_eq!(json["id"], request.id.as_str(), "{json}");
}

#[test]
fn y_copies_the_audit_event_id_and_y_upper_the_event_as_json() {
    let mut s = state();
    show(&mut s, PaneId::Audit);
    let item = s
        .panes
        .audit
        .selected()
        .expect("a demo audit event")
        .clone();
    assert_eq!(copied(&mut s, "y"), item.event.event_id);
    let json: serde_json::Value = serde_json::from_str(&copied(&mut s, "Y")).unwrap();
    assert!(
        json.to_string().contains(&item.event.event_id),
        "the event's id is in its JSON: {json}"
    );
}

#[test]
fn y_in_the_incident_view_copies_its_service() {
    let mut s = state();
    let name = s.panes.catalog.selected().unwrap().name().to_owned();
    typed(&mut s, &format!(":incident {name}"));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Incident);
    assert_eq!(copied(&mut s, "y"), name);
    assert_eq!(copied(&mut s, "Y"), name, "the view is about one service");
}

#[test]
fn y_upper_on_a_pod_and_a_rollout_asks_for_the_yaml_to_copy() {
    let mut s = state();
    for pane in [PaneId::Pods, PaneId::Rollouts] {
        show(&mut s, pane);
        let cmds = typed(&mut s, "Y");
        assert!(
            cmds.iter().any(|c| matches!(c, Cmd::LoadObject(_))),
            "{pane:?}: {cmds:?}"
        );
        assert!(s.panes.describe.copy_when_loaded, "{pane:?}");
        key(&mut s, KeyCode::Esc);
    }
}

#[test]
fn v_shows_the_yaml_where_y_used_to() {
    let mut s = state();
    show(&mut s, PaneId::Pods);
    let cmds = typed(&mut s, "v");
    assert_eq!(s.view().pane(), PaneId::Describe);
    assert!(s.panes.describe.yaml, "{cmds:?}");
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Copy(_))));
}

#[test]
fn y_copies_the_forward_s_local_address_once_it_listens() {
    let mut s = state();
    let id = s.panes.forwards.next_id();
    s.panes
        .forwards
        .add(opsdeck::app::panes::forwards::ForwardRow {
            id,
            context: "sandbox-staging".into(),
            namespace: "shop".into(),
            pod: "checkout-api-7f9c".into(),
            port: 8080,
            local: None,
            started: jiff::Timestamp::UNIX_EPOCH,
            stats: opsdeck::model::k8s::forward::ForwardStats::default(),
        });
    show(&mut s, PaneId::Forwards);
    assert_eq!(
        copied(&mut s, "y"),
        "checkout-api-7f9c",
        "the pod while it binds"
    );
    s.panes.forwards.rows[0].local = Some("127.0.0.1:18080".into());
    let row = y_and_row(&mut s, "127.0.0.1:18080", "local address 127.0.0.1:18080");
    assert!(row.contains("checkout-api-7f9c\t8080"), "{row}");
}
