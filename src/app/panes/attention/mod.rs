//! State of the attention view (pane `0` with no service chosen, and where the console
//! opens): every service with something wrong now, across every configured context. The
//! active context's rows come from its panes; every other context's from its summary
//! sources ([`crate::app::summary`]). Each context keeps its own rows and freshness, so a
//! dead context shows its error and age and never hides the others.

pub mod actions;

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::attention::Row;

/// Columns of the attention table.
pub const COLUMNS: [&str; 7] = [
    "SEV", "CONTEXT", "SERVICE", "OWNER", "ON CALL", "SIGNALS", "SINCE",
];

/// The attention order (severity, production, tier, age) first, then per column.
pub const SORT_KEYS: [SortKey; 4] = [
    SortKey::OWN,
    SortKey::on("CONTEXT"),
    SortKey::on("SERVICE"),
    SortKey::on("SINCE"),
];

/// How fresh one context's rows are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Its sources have not reported yet.
    Waiting,
    /// Rows from this time.
    Fresh(Timestamp),
    /// A source failed: the message and when the rows were last good.
    Failing {
        message: String,
        last_good: Option<Timestamp>,
    },
}

/// One context's part of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRows {
    pub production: bool,
    pub rows: Vec<Row>,
    pub freshness: Freshness,
    /// The active context (its rows come from the panes).
    pub active: bool,
}

/// A context's rows as the view keeps them: shared, with their search text made once,
/// so a change in one context re-merges pointers instead of copying every row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    part: ContextRows,
    rows: Vec<Arc<Row>>,
    haystacks: Vec<String>,
}

fn haystack(r: &Row) -> String {
    let signals: Vec<&str> = r.signals.iter().map(|s| s.text.as_str()).collect();
    format!(
        "{} {} {} {} {}",
        r.context,
        r.service,
        r.owner,
        r.oncall.as_deref().unwrap_or_default(),
        signals.join(" ")
    )
    .to_lowercase()
}

/// The attention view.
#[derive(Debug, Clone, Default)]
pub struct AttentionPane {
    kept: BTreeMap<String, Kept>,
    /// Every context's rows, merged in the attention order (indices into it are the
    /// table's rows).
    pub rows: Vec<Arc<Row>>,
    haystacks: Vec<String>,
    pub table: TableState,
}

impl AttentionPane {
    /// Replaces one context's rows (they arrive sorted) and rebuilds the merged list.
    pub fn set_context(&mut self, context: &str, part: ContextRows) {
        if self.kept.get(context).is_some_and(|k| k.part == part) {
            return;
        }
        let rows = part.rows.iter().cloned().map(Arc::new).collect::<Vec<_>>();
        let haystacks = rows.iter().map(|r| haystack(r)).collect();
        self.kept.insert(
            context.to_owned(),
            Kept {
                part,
                rows,
                haystacks,
            },
        );
        self.refresh_view();
    }

    /// Every context's part, by name.
    pub fn contexts(&self) -> impl Iterator<Item = (&String, &ContextRows)> {
        self.kept.iter().map(|(name, k)| (name, &k.part))
    }

    /// How many contexts report.
    #[must_use]
    pub fn context_count(&self) -> usize {
        self.kept.len()
    }

    /// Marks which context is active; the others keep their rows until their summary
    /// sources report.
    pub fn set_active(&mut self, context: &str) {
        for (name, kept) in &mut self.kept {
            kept.part.active = name == context;
        }
    }

    /// Drops contexts that are no longer configured.
    pub fn retain_contexts(&mut self, names: &[String]) {
        let before = self.kept.len();
        self.kept.retain(|name, _| names.contains(name));
        if self.kept.len() != before {
            self.refresh_view();
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<&Row> {
        self.rows.get(self.table.selected_row()?).map(AsRef::as_ref)
    }
}

impl Pane for AttentionPane {
    /// `y`: the service; `Y` its context, owner, level, signals.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let row = self.selected()?;
        Some(match kind {
            CopyKind::Key => Copied::key("service", &row.service),
            CopyKind::Row => Copied::row(
                "service",
                &row.service,
                &[
                    row.context.clone(),
                    row.service.clone(),
                    row.owner.clone(),
                    row.level.label().1.to_owned(),
                    row.oncall.clone().unwrap_or_default(),
                    format!("{} signals", row.signals.len()),
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
        // Each context's rows arrive sorted: merge them by the same order, carrying each
        // row's search text along (made once per context change, never per merge).
        let mut merged: Vec<(&Arc<Row>, &String)> = self
            .kept
            .values()
            .flat_map(|k| k.rows.iter().zip(&k.haystacks))
            .collect();
        merged.sort_by(|a, b| crate::model::attention::order(a.0, b.0));
        self.rows = merged.iter().map(|(r, _)| Arc::clone(r)).collect();
        self.haystacks = merged.into_iter().map(|(_, h)| h.clone()).collect();
        let rows = &self.rows;
        let column = self.table.sort.column;
        // The merged list is already in the attention order: index order is that order.
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].key(),
            |a, b| match column {
                1 => rows[a].context.cmp(&rows[b].context).then(a.cmp(&b)),
                2 => rows[a].service.cmp(&rows[b].service).then(a.cmp(&b)),
                3 => rows[a].since.cmp(&rows[b].since).then(a.cmp(&b)),
                _ => a.cmp(&b),
            },
        );
    }

    /// A context switch keeps every context's rows: the old active one now reports
    /// through its summary sources.
    fn reset(&mut self) {}
}
