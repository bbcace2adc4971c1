//! A fresh setup: every pane whose backend is not configured says which config key to add
//! and which README section explains it, instead of waiting for a source that never comes.

use opsdeck::app::panes::Panes;
use opsdeck::app::state::{PaneId, View};
use opsdeck::model::SourceHealth;
use opsdeck::sources::SourceId;

use crate::render::{state, text};

#[test]
fn panes_without_a_backend_say_what_to_add() {
    let mut s = state(100, 30);
    s.panes = Panes::default();
    s.context.name = "fresh".into();
    s.context.platform = false;
    for id in SourceId::ALL {
        s.health.insert(id, SourceHealth::Off);
    }
    for (pane, key) in [
        (PaneId::Catalog, "catalog = { dir"),
        (PaneId::Apps, "argocd = { namespaces"),
        (PaneId::Rollouts, "kube_context"),
        (PaneId::Kafka, "[contexts.fresh.kafka]"),
        (PaneId::Postgres, "[[contexts.fresh.postgres]]"),
        (PaneId::Logs, "loki = { url"),
        (PaneId::Traces, "tempo = { url"),
        (PaneId::Requests, "platform = { url"),
        (PaneId::Audit, "platform = { url"),
    ] {
        s.history.push(View::Pane(pane));
        s.dirty = true;
        let screen = text(&s);
        let flat = screen
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains(key),
            "{pane:?} does not name {key}:\n{screen}"
        );
        assert!(
            flat.contains("README ›"),
            "{pane:?} names no README section:\n{screen}"
        );
        assert!(!flat.contains("waiting for"), "{pane:?} waits:\n{screen}");
    }
}
