//! State of the audit pane: recent events, each intent shown with its outcome, and the result
//! of the last chain verification.

pub mod actions;

use std::sync::Arc;

use crate::app::panes::{Pane, PaneInfo};
use crate::app::table::TableState;
use crate::keymap::KeyContext;
use crate::model::platform::{AuditItem, EventBody, VerifyReport};
use crate::sources::platform_feed::PlatformSnapshot;

/// Columns of the audit table.
pub const COLUMNS: [&str; 6] = ["TIME", "ACTOR", "ACTION", "TARGET", "DECISION", "OUTCOME"];

/// The audit pane.
#[derive(Debug, Clone, Default)]
pub struct AuditPane {
    pub snapshot: Option<Arc<PlatformSnapshot>>,
    /// Outcome rows are shown joined to their intents, so they are not listed on their own.
    pub rows: Vec<AuditItem>,
    haystacks: Vec<String>,
    pub table: TableState,
    /// Last `verify` answer, or why it could not be asked.
    pub verify: Option<Result<VerifyReport, String>>,
    pub verifying: bool,
}

impl AuditPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<PlatformSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    pub fn reset(&mut self) {
        let page = self.table.page;
        *self = Self::default();
        self.table.page = page;
    }

    #[must_use]
    pub fn selected(&self) -> Option<&AuditItem> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }
}

/// The actor's name, or why there is none.
#[must_use]
pub fn actor(item: &AuditItem) -> String {
    item.event
        .actor
        .as_ref()
        .map_or_else(|| "(no token)".to_owned(), |a| a.user.clone())
}

impl AuditPane {
    pub const INFO: PaneInfo = PaneInfo {
        command: "audit",
        aliases: &["events"],
        title: "Audit",
        key_contexts: &[KeyContext::Audit, KeyContext::Table, KeyContext::Global],
        on_action: actions::on_action,
    };
}

impl Pane for AuditPane {
    fn info(&self) -> &'static PaneInfo {
        &Self::INFO
    }

    fn table(&self) -> Option<&TableState> {
        Some(&self.table)
    }

    fn table_mut(&mut self) -> Option<&mut TableState> {
        Some(&mut self.table)
    }

    fn sort_columns(&self) -> usize {
        COLUMNS.len()
    }

    fn refresh_view(&mut self) {
        self.rows = self
            .snapshot
            .as_ref()
            .map(|s| {
                s.events
                    .iter()
                    .filter(|i| !matches!(i.event.body, EventBody::Outcome { .. }))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        self.haystacks = self
            .rows
            .iter()
            .map(|i| {
                format!(
                    "{} {} {} {}",
                    actor(i),
                    i.event.body.action(),
                    i.event.body.target_ref(),
                    i.event.body.kind()
                )
                .to_lowercase()
            })
            .collect();
        let rows = &self.rows;
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].seq.to_string(),
            |a, b| {
                let (x, y) = (&rows[a], &rows[b]);
                match column {
                    1 => actor(x).cmp(&actor(y)),
                    2 => x.event.body.action().cmp(y.event.body.action()),
                    3 => x.event.body.target_ref().cmp(y.event.body.target_ref()),
                    // Newest first by default.
                    _ => y.seq.cmp(&x.seq),
                }
            },
        );
    }

    fn reset(&mut self) {
        Self::reset(self);
    }
}
