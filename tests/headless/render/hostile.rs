//! Hostile external strings: Backstage entities whose fields carry terminal escapes (CSI,
//! OSC 52 clipboard writes, OSC 8 links), C0 and C1 controls, bidi overrides and invalid
//! UTF-8 are mapped through `sources::catalog_map`, rendered, and no cell may hold any of
//! those characters.

use std::sync::Arc;

use opsdeck::app::panes::catalog::card::CardState;
use opsdeck::app::state::View;
use opsdeck::model::{Catalog, CatalogEntry, clean_bytes};
use opsdeck::sources::catalog_map::{Origin, map_entities};
use ratatui::buffer::Buffer;
use serde_json::{Value, json};

use crate::render::{buffer, state, text};

/// Every trick at once.
fn evil(tag: &str) -> String {
    format!(
        "{tag}\x1b[31mred\x1b[0m\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\
         \x07bell\x08back\rcr\u{9b}2J\u{202e}desrever\u{2066}iso\u{2069}\u{202a}lre\u{202c}\
         \u{7f}del\u{85}nel\t{}",
        clean_bytes(b"\xff\xfe")
    )
}

fn entities() -> Vec<Value> {
    let annotations = json!({
        "opsdeck.io/oncall": evil("oncall"),
        "opsdeck.io/slo-target": "99.9",
        "argocd/app-name": evil("argo"),
        "backstage.io/kubernetes-namespace": evil("ns"),
        "opsdeck.io/workload": format!("rollout/{}", evil("wl")),
        "opsdeck.io/kafka-topics": format!("{},orders.v1", evil("topic")),
        "opsdeck.io/kafka-consumer-groups": evil("group"),
        "opsdeck.io/databases": evil("db"),
        "opsdeck.io/log-selector": evil("logs"),
        "opsdeck.io/trace-service": evil("trace"),
        "github.com/project-slug": evil("slug"),
        evil("key"): evil("value"),
    });
    vec![
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": evil("svc"),
                "title": evil("title"),
                "description": format!("{}\nsecond line {}", evil("about"), evil("more")),
                "labels": { "tier": evil("tier") },
                "annotations": annotations,
                "links": [
                    { "title": evil("Runbook"), "url": format!("https://runbook/{}", evil("rb")) },
                    { "title": evil("dash"), "url": evil("url") },
                ],
            },
            "spec": {
                "type": evil("type"),
                "lifecycle": evil("life"),
                "owner": format!("group:default/{}", evil("owner")),
                "system": evil("system"),
                "dependsOn": [format!("component:default/{}", evil("dep")), "component:default/evil-friend"],
            },
        }),
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": { "name": "evil-friend", "description": evil("friend") },
            "spec": {
                "type": "service",
                "lifecycle": "production",
                "owner": evil("friend-owner"),
                "dependsOn": [format!("component:default/{}", evil("svc"))],
            },
        }),
        // Invalid: no owner, so the row shows the entity and the message.
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": { "name": evil("broken"), "namespace": evil("ns") },
            "spec": { "type": "service", "lifecycle": evil("life") },
        }),
    ]
}

fn is_forbidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

fn assert_inert(buf: &Buffer, what: &str) {
    for (i, cell) in buf.content.iter().enumerate() {
        let width = buf.area.width as usize;
        assert!(
            !cell.symbol().chars().any(is_forbidden),
            "{what}: cell ({}, {}) holds {:?}",
            i % width,
            i / width,
            cell.symbol()
        );
    }
}

fn hostile_state(width: u16, height: u16) -> (opsdeck::app::State, String) {
    let values = entities();
    let entries = map_entities(&values, Origin::Backstage);
    assert_eq!(entries.len(), 3, "two services and one invalid row");
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, CatalogEntry::Invalid { .. })),
        "the ownerless entity is an invalid row"
    );
    let name = entries
        .iter()
        .filter_map(CatalogEntry::as_service)
        .find(|s| s.name.starts_with("svc"))
        .expect("the hostile service maps")
        .name
        .clone();
    let mut s = state(width, height);
    s.panes.catalog.set_catalog(Arc::new(Catalog::new(entries)));
    (s, name)
}

#[test]
fn hostile_strings_never_reach_a_cell() {
    for (w, h) in [(80, 24), (120, 40), (200, 60), (600, 60)] {
        let (mut s, name) = hostile_state(w, h);
        let buf = buffer(&s);
        assert_inert(&buf, &format!("catalog {w}×{h}"));
        let screen = text(&s);
        assert!(
            screen.contains("␛[31mred"),
            "escapes stay visible:\n{screen}"
        );

        s.history.push(View::Card(CardState::new(name.clone())));
        let buf = buffer(&s);
        assert_inert(&buf, &format!("card {w}×{h}"));
        let screen = text(&s);
        assert!(
            screen.contains("<U+202E>"),
            "bidi overrides are shown as stand-ins:\n{screen}"
        );
        assert!(screen.contains('\u{fffd}'), "invalid bytes show as U+FFFD");
        if w >= 600 {
            // Wide enough that no field wraps: the multi-line description is drawn too.
            assert!(
                screen.contains("about␛[31mred") && screen.contains("second line"),
                "the description is on the card:\n{screen}"
            );
        }

        // The friend's card lists the hostile dependency in its tree.
        s.history
            .push(View::Card(CardState::new("evil-friend".into())));
        assert_inert(&buffer(&s), &format!("friend card {w}×{h}"));
    }
}

#[test]
fn hostile_strings_in_the_filter_and_palette_stay_inert() {
    use crossterm::event::Event;
    use opsdeck::app::{Msg, update};
    let (mut s, _) = hostile_state(120, 40);
    // A paste is external text too.
    crate::render::typed(&mut s, "/");
    update(&mut s, Msg::Input(Event::Paste(evil("paste"))));
    assert_inert(&buffer(&s), "filter with a pasted escape");
    crate::render::key(&mut s, crossterm::event::KeyCode::Esc);
    crate::render::typed(&mut s, ":");
    update(&mut s, Msg::Input(Event::Paste(evil("palette"))));
    assert_inert(&buffer(&s), "palette with a pasted escape");
}

/// The check above is not vacuous: ratatui drops most controls by itself, but a bidi override
/// that skipped the model's sanitizing would reach a cell, and `assert_inert` would see it.
#[test]
fn unsanitized_text_would_be_caught() {
    let (mut s, _) = hostile_state(120, 40);
    let mut raw = s.panes.catalog.catalog.as_ref().clone();
    let svc = raw
        .entries
        .iter_mut()
        .find_map(|e| match e {
            CatalogEntry::Service(svc) => Some(svc),
            CatalogEntry::Invalid { .. } => None,
        })
        .unwrap();
    svc.owner = "raw\u{202e}nwo".into();
    s.panes.catalog.set_catalog(Arc::new(raw));
    let buf = buffer(&s);
    let caught = std::panic::catch_unwind(|| assert_inert(&buf, "raw owner"));
    assert!(caught.is_err(), "a raw bidi override is detected");
}

mod logs_fuzz {
    use std::sync::Arc;

    use opsdeck::app::state::{PaneId, View};
    use opsdeck::model::logs::parse_line;
    use opsdeck::sources::logs::{LogBatch, LogItem};
    use proptest::prelude::*;

    use super::assert_inert;
    use crate::render::{buffer, state};

    /// Bytes that look like what breaks terminals: escapes, C1 controls, bidi overrides,
    /// broken UTF-8, JSON fragments, and ordinary text.
    fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\x1b[31m".to_vec()),
            Just(b"\x1b]52;c;aGk=\x07".to_vec()),
            Just(b"\x1b[2J\x1b[H".to_vec()),
            Just("\u{202e}\u{2066}".as_bytes().to_vec()),
            Just(b"\xc2\x9b6n".to_vec()),
            Just(b"\xff\xfe\xc3".to_vec()),
            Just(b"{\"level\":\"error\",\"msg\":\"".to_vec()),
            Just(b"\r\x08\t\x00".to_vec()),
            "[a-z ]{0,12}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..16),
        ];
        prop::collection::vec(piece, 1..12).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever a log line holds, the logs pane (in the plain and the expanded view) draws
        /// only inert text and never panics.
        #[test]
        fn arbitrary_log_bytes_draw_inert(lines in prop::collection::vec(hostile_bytes(), 1..20)) {
            let mut s = state(100, 30);
            s.history.push(View::Pane(PaneId::Logs));
            s.panes.logs.clear();
            let source: Arc<str> = Arc::from("pod\u{1b}[31m");
            let items = lines
                .iter()
                .map(|l| LogItem::Line(parse_line(l, Arc::clone(&source))))
                .collect();
            s.panes.logs.ingest(&LogBatch::new(items));
            assert_inert(&buffer(&s), "log lines");
            s.panes.logs.move_by(-1);
            s.panes.logs.expanded = true;
            s.panes.logs.wrap = true;
            assert_inert(&buffer(&s), "expanded log line");
        }
    }
}
