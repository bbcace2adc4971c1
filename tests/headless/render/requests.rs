//! The requests pane as an approver and a newcomer see it: what a topic request asks for in
//! the approval queue, the confirmation of a decision, and an empty list that names the keys
//! that make a request.

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::state::Modal;
use opsdeck::keymap::Keymap;
use opsdeck::model::platform::{Me, Request};
use opsdeck::sources::platform_feed::PlatformSnapshot;
use opsdeck::theme::ColorDepth;

use crate::render::{key, state_in, text, typed};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// A topic request of sam's waiting in the queue; `dev` (the sandbox user) approves.
fn queued_topic() -> Vec<Request> {
    serde_json::from_value(serde_json::json!([
        {"id": "01a2013b-1a2e-7c04-8ec6-11cf4da23f01", "requester": "sam", "state": "submitted",
         "spec": {"kind": "kafka_topic", "name": "payments.refunds.v1", "partitions": 12,
                  "replication": 3,
                  "configs": {"retention.ms": "259200000", "cleanup.policy": "compact"},
                  "owner_service": "payments-api", "reason": "refunds for the new returns flow"},
         "created": "2026-11-02T02:58:13Z", "updated": "2026-11-02T02:58:13Z"}
    ]))
    .expect("fixture")
}

fn with_requests(width: u16, height: u16, requests: Vec<Request>) -> opsdeck::app::State {
    let mut s = state_in("requests", width, height, ColorDepth::TrueColor);
    // A list of its own, not a change of the demo's: no "is gone" note.
    s.panes.requests.table.forget_selection();
    s.panes.requests.set_snapshot(Arc::new(PlatformSnapshot {
        me: Me {
            user: "dev".into(),
            groups: vec!["approvers".into()],
            roles: vec!["approver".into()],
        },
        requests,
        events: Vec::new(),
        oncall: Err("no on-call in this test".into()),
        my_rotas: Vec::new(),
        fetched_at: jiff::Timestamp::UNIX_EPOCH,
    }));
    s
}

#[test]
fn the_queue_shows_what_a_topic_request_asks_for() {
    for (w, h) in SIZES {
        let mut s = with_requests(w, h, queued_topic());
        key(&mut s, KeyCode::Tab);
        assert!(s.panes.requests.queue);
        let screen = text(&s);
        for needle in [
            "payments.refunds.v1",
            "12 partitions · replication 3",
            "retention 3d · cleanup compact",
            "payments-api",
            "sam",
        ] {
            assert!(screen.contains(needle), "{needle} at {w}x{h}:\n{screen}");
        }
        insta::assert_snapshot!(format!("requests_queue_topic_{w}x{h}"), screen);
    }
}

#[test]
fn approving_shows_what_is_approved_before_anything_is_sent() {
    for (w, h) in SIZES {
        let mut s = with_requests(w, h, queued_topic());
        key(&mut s, KeyCode::Tab);
        typed(&mut s, "a");
        assert!(matches!(&s.modal, Some(Modal::Decide(d)) if d.approve));
        let screen = text(&s);
        for needle in [
            "approve kafka_topic request payments.refunds.v1",
            "Requester",
            "retention 3d · cleanup compact",
            "Owner",
            "enter: approve",
            "esc: cancel",
        ] {
            assert!(screen.contains(needle), "{needle} at {w}x{h}:\n{screen}");
        }
        insta::assert_snapshot!(format!("requests_approve_dialog_{w}x{h}"), screen);
    }
    let mut s = with_requests(80, 24, queued_topic());
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "x");
    let screen = text(&s);
    assert!(screen.contains("reason (audited)"), "{screen}");
    assert!(screen.contains("enter: reject"), "{screen}");
}

#[test]
fn an_empty_list_names_the_keys_that_make_a_request() {
    for (w, h) in SIZES {
        let s = with_requests(w, h, Vec::new());
        let screen = text(&s);
        assert!(
            screen.contains("t requests a Kafka topic, r requests a read replica"),
            "{w}x{h}:\n{screen}"
        );
        insta::assert_snapshot!(format!("requests_empty_{w}x{h}"), screen);
    }
    // A rebound key shows as bound.
    let mut s = with_requests(120, 40, Vec::new());
    let overlay = Keymap::parse(
        "mine",
        "keymaps/mine.toml",
        "[requests]\nnew_topic_request = \"T\"\n",
    )
    .expect("overlay parses");
    Arc::make_mut(&mut s.ui.keymap).apply(&overlay);
    let screen = text(&s);
    assert!(screen.contains("T requests a Kafka topic"), "{screen}");
    // Under --readonly no request can be made: no key is offered.
    s.readonly = true;
    let screen = text(&s);
    assert!(!screen.contains("requests a Kafka topic"), "{screen}");
}
