//! State of the audit pane: recent events, each intent shown with its outcome, and the result
//! of the last chain verification.

pub mod actions;

use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::checkpoint::ChainCheck;
use crate::model::platform::{AuditItem, EventBody};
use crate::sources::platform_feed::PlatformSnapshot;

/// Columns of the audit table.
pub const COLUMNS: [&str; 6] = ["TIME", "ACTOR", "ACTION", "TARGET", "DECISION", "OUTCOME"];

/// The orders of the list: one per column.
pub const SORT_KEYS: [SortKey; 6] = SortKey::per_column(COLUMNS);

/// The audit pane.
#[derive(Debug, Clone, Default)]
pub struct AuditPane {
    pub snapshot: Option<Arc<PlatformSnapshot>>,
    /// Outcome rows are shown joined to their intents, so they are not listed on their own.
    pub rows: Vec<AuditItem>,
    haystacks: Vec<String>,
    pub table: TableState,
    /// Last `verify` answer, or why it could not be asked.
    pub verify: Option<Result<Box<ChainCheck>, String>>,
    pub verifying: bool,
    /// The event whose detail is open (enter), by its sequence number; j/k scroll it.
    pub detail: Option<i64>,
    /// First row of the open detail shown.
    pub detail_scroll: usize,
}

impl AuditPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<PlatformSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    #[must_use]
    pub fn selected(&self) -> Option<&AuditItem> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }

    /// Enter: reads the selected event in full.
    pub fn open_detail(&mut self) {
        self.detail = self.selected().map(|item| item.seq);
        self.detail_scroll = 0;
    }

    /// Closes the detail; false when none was open.
    pub fn close_detail(&mut self) -> bool {
        self.detail.take().is_some()
    }

    /// The event whose detail is open (it stays open across refreshes).
    #[must_use]
    pub fn open_item(&self) -> Option<&AuditItem> {
        let seq = self.detail?;
        self.rows.iter().find(|item| item.seq == seq)
    }

    /// Scrolls the open detail by `delta` rows, within `0..=max`.
    pub fn scroll_detail(&mut self, delta: isize, max: usize) {
        self.detail_scroll = self
            .detail_scroll
            .min(max)
            .saturating_add_signed(delta)
            .min(max);
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

/// No detail is this long; scrolling stops here even before the view clamps it.
const DETAIL_SCROLL_CAP: usize = 10_000;

impl Pane for AuditPane {
    /// `y`: the event id; `Y` the event (with its outcome) as JSON.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let item = match self.detail {
            Some(seq) => self.rows.iter().find(|i| i.seq == seq)?,
            None => self.selected()?,
        };
        match kind {
            CopyKind::Key => Some(Copied::key("audit event", &item.event.event_id)),
            CopyKind::Row => Copied::json("audit event", &item.event.event_id, item),
        }
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
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

    fn close(&mut self) -> bool {
        self.close_detail()
    }

    /// Scrolls the open detail; the view clamps it to the rows the detail has at the
    /// screen's width (which only the view knows).
    fn move_other(&mut self, delta: isize) -> bool {
        if self.open_item().is_none() {
            return false;
        }
        self.scroll_detail(delta, DETAIL_SCROLL_CAP);
        true
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}
