//! State of the silences pane: the active and pending silences of the context's
//! Alertmanager, soonest ending first, with what each catches now; `x` expires one through
//! the audit gate.

pub mod actions;

use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{RowKey, SortKey, TableState};
use crate::model::alerts::{AlertsSnapshot, Silence, SilenceState};

/// Columns of the silences table.
pub const COLUMNS: [&str; 6] = ["STATE", "ENDS", "MATCHERS", "CATCHES", "BY", "COMMENT"];

/// One order per column; the first (soonest ending) is the default.
pub const SORT_KEYS: [SortKey; 6] = [
    SortKey::on("ENDS"),
    SortKey::on("STATE"),
    SortKey::on("MATCHERS"),
    SortKey::on("CATCHES"),
    SortKey::on("BY"),
    SortKey::on("COMMENT"),
];

/// The silences pane.
#[derive(Debug, Clone, Default)]
pub struct SilencesPane {
    pub snapshot: Option<Arc<AlertsSnapshot>>,
    /// The live silences (indices into the snapshot's) and how many alerts each mutes now.
    pub rows: Vec<(usize, usize)>,
    haystacks: Vec<String>,
    pub table: TableState,
}

/// Glyph and word of a silence's state.
#[must_use]
pub fn state_label(state: SilenceState) -> (&'static str, &'static str) {
    match state {
        SilenceState::Active => ("◌", "active"),
        SilenceState::Pending => ("…", "pending"),
        SilenceState::Expired => ("✓", "expired"),
    }
}

impl SilencesPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<AlertsSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    #[must_use]
    pub fn selected(&self) -> Option<(&Silence, usize)> {
        let (index, caught) = *self.rows.get(self.table.selected_row()?)?;
        Some((self.snapshot.as_ref()?.silences.get(index)?, caught))
    }
}

impl Pane for SilencesPane {
    /// `y`: the silence id; `Y` its matchers, state, author, end and comment.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let (silence, _) = self.selected()?;
        Some(match kind {
            CopyKind::Key => Copied::key("silence", &silence.id),
            CopyKind::Row => {
                let matchers: Vec<String> =
                    silence.matchers.iter().map(ToString::to_string).collect();
                Copied::row(
                    "silence",
                    &silence.id,
                    &[
                        silence.id.clone(),
                        matchers.join(","),
                        format!("{:?}", silence.state).to_lowercase(),
                        silence.created_by.clone(),
                        silence.ends_at.clone(),
                        silence.comment.clone(),
                    ],
                )
            }
        })
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        let Some(snapshot) = self.snapshot.clone() else {
            self.rows.clear();
            self.haystacks.clear();
            self.table.set_rows(Vec::new(), |_| RowKey::new());
            return;
        };
        self.rows = snapshot
            .silences
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state != SilenceState::Expired)
            .map(|(i, s)| {
                // What Alertmanager says the silence mutes, not what it would match.
                let caught = snapshot
                    .alerts
                    .iter()
                    .filter(|a| a.silenced_by.iter().any(|id| id == &s.id))
                    .count();
                (i, caught)
            })
            .collect();
        self.haystacks = self
            .rows
            .iter()
            .map(|&(i, _)| {
                let s = &snapshot.silences[i];
                format!(
                    "{} {} {} {}",
                    crate::model::silence::matchers_text(&s.matchers),
                    s.created_by,
                    s.comment,
                    s.id
                )
                .to_lowercase()
            })
            .collect();
        let rows = &self.rows;
        let silences = &snapshot.silences;
        let column = self.table.sort.column;
        let order = |a: usize, b: usize| {
            let (sa, sb) = (&silences[rows[a].0], &silences[rows[b].0]);
            let by_end = sa.ends_at.cmp(&sb.ends_at).then_with(|| sa.id.cmp(&sb.id));
            match column {
                1 => state_label(sa.state).1.cmp(state_label(sb.state).1),
                2 => crate::model::silence::matchers_text(&sa.matchers)
                    .cmp(&crate::model::silence::matchers_text(&sb.matchers)),
                3 => rows[b].1.cmp(&rows[a].1),
                4 => sa.created_by.cmp(&sb.created_by),
                5 => sa.comment.cmp(&sb.comment),
                _ => std::cmp::Ordering::Equal,
            }
            .then(by_end)
        };
        self.table
            .rebuild(&self.haystacks, |i| silences[rows[i].0].id.clone(), order);
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}
