//! State of the requests pane: my requests with their live status, and for approvers the
//! queue of submitted requests to approve or reject.

pub mod actions;

use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::platform::{Request, RequestSpec, RequestState};
use crate::sources::platform_feed::PlatformSnapshot;

/// Columns of the requests table.
pub const COLUMNS: [&str; 6] = ["ID", "KIND", "WHAT", "STATE", "BY", "CREATED"];

/// The orders of the list: one per column.
pub const SORT_KEYS: [SortKey; 6] = SortKey::per_column(COLUMNS);

/// The requests pane.
#[derive(Debug, Clone, Default)]
pub struct RequestsPane {
    pub snapshot: Option<Arc<PlatformSnapshot>>,
    /// Show the approval queue instead of my requests.
    pub queue: bool,
    /// The rows currently listed (mine or the queue).
    pub rows: Vec<Request>,
    haystacks: Vec<String>,
    pub table: TableState,
}

/// What a request is about, in a few words.
#[must_use]
pub fn summary(spec: &RequestSpec) -> String {
    match spec {
        RequestSpec::ReadReplica(s) => {
            format!("{} replica of {} for {}", s.size, s.database, s.ttl)
        }
        RequestSpec::KafkaTopic(s) => {
            format!("topic {} ×{} r{}", s.name, s.partitions, s.replication)
        }
        RequestSpec::Action(s) => format!("{} on {}", s.action, s.target.reference),
    }
}

/// Glyph and word of a request state (never colour alone).
#[must_use]
pub fn state_glyph(state: RequestState) -> &'static str {
    match state {
        RequestState::Submitted => "…",
        RequestState::Approved => "◐",
        RequestState::Provisioning => "⟳",
        RequestState::Ready => "✓",
        RequestState::Failed => "✗",
        RequestState::Rejected => "⊘",
    }
}

impl RequestsPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<PlatformSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    #[must_use]
    pub fn is_approver(&self) -> bool {
        self.snapshot.as_ref().is_some_and(|s| s.is_approver())
    }

    #[must_use]
    pub fn selected(&self) -> Option<&Request> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }

    fn rebuild_rows(&mut self) {
        let Some(snapshot) = &self.snapshot else {
            self.rows.clear();
            self.haystacks.clear();
            return;
        };
        let me = &snapshot.me.user;
        self.rows = snapshot
            .requests
            .iter()
            .filter(|r| {
                if self.queue {
                    r.state == RequestState::Submitted
                } else {
                    &r.requester == me
                }
            })
            .cloned()
            .collect();
        self.haystacks = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} {}",
                    r.id,
                    r.spec.kind(),
                    summary(&r.spec),
                    r.state.as_str(),
                    r.requester
                )
                .to_lowercase()
            })
            .collect();
    }
}

impl Pane for RequestsPane {
    delegate_to_actions!(on_action);

    fn on_prompt(
        &mut self,
        _ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        actions::on_prompt(purpose, input)
    }

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        self.rebuild_rows();
        let rows = &self.rows;
        let column = self.table.sort.column;
        let key = |r: &Request| -> String {
            match column {
                0 => r.id.clone(),
                1 => r.spec.kind().to_owned(),
                2 => summary(&r.spec),
                3 => r.state.as_str().to_owned(),
                4 => r.requester.clone(),
                _ => String::new(),
            }
        };
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].id.clone(),
            |a, b| match column {
                // Newest first by default: the creation time sorts descending.
                5 => rows[b].created.cmp(&rows[a].created),
                _ => key(&rows[a]).cmp(&key(&rows[b])),
            },
        );
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}
