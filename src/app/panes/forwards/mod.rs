//! State of the forwards pane (`:forwards`, `f` from the pods and rollouts panes): the
//! port-forwards running now, whatever context they were started in, each with its local
//! address, pod, remote port, start, connections, bytes and last error; `x` stops the
//! selected one. Rows are keyed by the forward's number, so the cursor follows a forward,
//! not a row position, as others start and end.

pub mod actions;
pub mod form;

use jiff::Timestamp;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::k8s::forward::{ForwardEvent, ForwardStats};

/// Columns of the forwards table.
pub const COLUMNS: [&str; 8] = [
    "LOCAL",
    "POD",
    "NAMESPACE",
    "PORT",
    "STARTED",
    "CONNS",
    "OUT / IN",
    "LAST ERROR",
];

/// One order per column; the first (oldest started first) is the default.
pub const SORT_KEYS: [SortKey; 4] = [
    SortKey::on("STARTED"),
    SortKey::on("LOCAL"),
    SortKey::on("POD"),
    SortKey::on("NAMESPACE"),
];

/// One forward, as the app knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRow {
    /// The app's number for it (the runtime's key too).
    pub id: u64,
    pub context: String,
    pub namespace: String,
    pub pod: String,
    pub port: u16,
    /// `127.0.0.1:8080` once it listens; `None` while it binds and the audit answers.
    pub local: Option<String>,
    /// When `F` asked for it; replaced by when it started listening.
    pub started: Timestamp,
    pub stats: ForwardStats,
}

/// The forwards pane.
#[derive(Debug, Clone, Default)]
pub struct ForwardsPane {
    pub rows: Vec<ForwardRow>,
    /// The next forward's number.
    next_id: u64,
    haystacks: Vec<String>,
    pub table: TableState,
}

impl ForwardsPane {
    /// A number for a new forward (never reused while opsdeck runs).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Lists a forward that is starting.
    pub fn add(&mut self, row: ForwardRow) {
        self.rows.push(row);
        self.refresh_view();
    }

    /// The selected forward.
    #[must_use]
    pub fn selected(&self) -> Option<&ForwardRow> {
        self.rows.get(self.table.selected_row()?)
    }

    /// Applies the runtime's news; true when the list changed.
    pub fn on_event(&mut self, event: ForwardEvent, now: Timestamp) -> bool {
        match event {
            ForwardEvent::Listening {
                id,
                local,
                pod,
                port,
            } => {
                let Some(row) = self.rows.iter_mut().find(|r| r.id == id) else {
                    return false;
                };
                row.local = Some(local);
                row.pod = pod;
                row.port = port;
                row.started = now;
            }
            ForwardEvent::Stats { id, stats } => {
                let Some(row) = self.rows.iter_mut().find(|r| r.id == id) else {
                    return false;
                };
                row.stats = stats;
            }
            ForwardEvent::Ended { id } => {
                let before = self.rows.len();
                self.rows.retain(|r| r.id != id);
                if self.rows.len() == before {
                    return false;
                }
            }
        }
        self.refresh_view();
        true
    }
}

impl Pane for ForwardsPane {
    /// `y`: the local address (what a client connects to), else the pod; `Y` the row.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let row = self.selected()?;
        Some(match (kind, &row.local) {
            (CopyKind::Key, Some(local)) => Copied::key("local address", local),
            (CopyKind::Key, None) => Copied::key("pod", &row.pod),
            (CopyKind::Row, local) => Copied::row(
                "forward to",
                &row.pod,
                &[
                    row.context.clone(),
                    row.namespace.clone(),
                    row.pod.clone(),
                    row.port.to_string(),
                    local.clone().unwrap_or_default(),
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
        self.haystacks = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} {}",
                    r.local.as_deref().unwrap_or_default(),
                    r.pod,
                    r.namespace,
                    r.port,
                    r.context
                )
                .to_lowercase()
            })
            .collect();
        let rows = &self.rows;
        let column = self.table.sort.column;
        let order = |a: usize, b: usize| {
            let (ra, rb) = (&rows[a], &rows[b]);
            let by_start = ra.started.cmp(&rb.started).then(ra.id.cmp(&rb.id));
            match column {
                1 => ra.local.cmp(&rb.local),
                2 => ra.pod.cmp(&rb.pod),
                3 => ra.namespace.cmp(&rb.namespace),
                _ => std::cmp::Ordering::Equal,
            }
            .then(by_start)
        };
        self.table
            .rebuild(&self.haystacks, |i| rows[i].id.to_string(), order);
    }

    /// A context switch keeps the forwards: they run on (each on its own context's
    /// cluster) until stopped or opsdeck ends.
    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, pod: &str) -> ForwardRow {
        ForwardRow {
            id,
            context: "kind-shop".into(),
            namespace: "shop".into(),
            pod: pod.into(),
            port: 8080,
            local: None,
            started: Timestamp::UNIX_EPOCH,
            stats: ForwardStats::default(),
        }
    }

    #[test]
    fn the_cursor_follows_a_forward_as_others_end() {
        let mut pane = ForwardsPane::default();
        pane.table.page = 10;
        for (i, pod) in ["a", "b", "c"].iter().enumerate() {
            let id = pane.next_id();
            assert_eq!(id, i as u64 + 1);
            pane.add(row(id, pod));
        }
        pane.table.select_row(2);
        assert_eq!(pane.selected().map(|r| r.pod.as_str()), Some("c"));
        assert!(pane.on_event(ForwardEvent::Ended { id: 1 }, Timestamp::UNIX_EPOCH));
        assert_eq!(pane.selected().map(|r| r.pod.as_str()), Some("c"));
        assert!(pane.on_event(
            ForwardEvent::Listening {
                id: 3,
                local: "127.0.0.1:8080".into(),
                pod: "c".into(),
                port: 8080,
            },
            Timestamp::UNIX_EPOCH
        ));
        assert_eq!(
            pane.selected().and_then(|r| r.local.as_deref()),
            Some("127.0.0.1:8080")
        );
        assert!(
            !pane.on_event(ForwardEvent::Ended { id: 9 }, Timestamp::UNIX_EPOCH),
            "an unknown forward changes nothing"
        );
        pane.reset();
        assert_eq!(pane.rows.len(), 2, "a context switch keeps the forwards");
    }
}
