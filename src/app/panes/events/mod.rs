//! State of the events view: the Warning events of the watched namespaces, grouped by the
//! object they are about, with count and last seen, newest first; filterable like every
//! table; enter describes the object (with all its events).

pub mod actions;

use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::k8s::events::{EventGroup, group};
use crate::model::k8s::snapshot::{KindHealth, KubeKind, KubeSnapshot};

/// The orders of the list: newest first (the default), count, object, reason.
pub const SORT_KEYS: [SortKey; 4] = [
    SortKey::on("LAST"),
    SortKey::on("COUNT"),
    SortKey::on("OBJECT"),
    SortKey::on("REASONS"),
];

/// The `:events` view.
#[derive(Debug, Clone, Default)]
pub struct EventsPane {
    pub groups: Vec<EventGroup>,
    pub health: Option<KindHealth>,
    pub loaded: bool,
    pub table: TableState,
    haystacks: Vec<String>,
    /// The generation of the snapshot the groups come from (a repeat is not regrouped).
    generation: Option<u64>,
}

impl EventsPane {
    pub fn set_snapshot(&mut self, snapshot: &Arc<KubeSnapshot>) {
        self.loaded = true;
        self.health = Some(snapshot.health(KubeKind::Events).clone());
        if self.generation == Some(snapshot.generation) {
            return;
        }
        self.generation = Some(snapshot.generation);
        self.groups = group(snapshot.events.iter().map(AsRef::as_ref));
        self.haystacks = self
            .groups
            .iter()
            .map(|g| {
                format!(
                    "{} {}/{} {} {}",
                    g.namespace,
                    g.kind,
                    g.name,
                    g.reasons.join(" "),
                    g.message
                )
                .to_lowercase()
            })
            .collect();
        self.refresh_view();
    }

    #[must_use]
    pub fn selected(&self) -> Option<&EventGroup> {
        self.table.selected_row().and_then(|i| self.groups.get(i))
    }
}

impl Pane for EventsPane {
    /// `y`: the object (`Kind/name`); `Y` its namespace, reasons, count and message.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let group = self.selected()?;
        let object = format!("{}/{}", group.kind, group.name);
        Some(match kind {
            CopyKind::Key => Copied::key("object", &object),
            CopyKind::Row => Copied::row(
                "object",
                &object,
                &[
                    group.namespace.clone(),
                    object.clone(),
                    group.reasons.join(","),
                    group.count.to_string(),
                    group.message.clone(),
                ],
            ),
        })
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        let g = &self.groups;
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| g[i].key(),
            |a, b| {
                let newest = g[b]
                    .last_seen
                    .cmp(&g[a].last_seen)
                    .then_with(|| g[a].key().cmp(&g[b].key()));
                match column {
                    1 => g[b].count.cmp(&g[a].count).then(newest),
                    2 => g[a].key().cmp(&g[b].key()),
                    3 => g[a].reasons.cmp(&g[b].reasons).then(newest),
                    _ => newest,
                }
            },
        );
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}
