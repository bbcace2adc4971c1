//! The pane tabs as laid out on the tab row: which tabs show, their key and label, and the
//! columns each takes. The view draws them from this, and a mouse click on the row finds
//! its tab here, so the two never disagree.

use super::panes::PaneId;
use super::state::State;

/// One tab on the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    /// The pane's goto key in the keymap (`·` when it has none).
    pub key: String,
    pub label: &'static str,
    pub pane: PaneId,
    /// The tab of the view showing (bracketed, styled).
    pub current: bool,
    /// First column and width on the row.
    pub x: u16,
    pub width: u16,
}

/// The short labels of a narrow screen.
fn short(pane: PaneId) -> &'static str {
    match pane {
        PaneId::Rollouts => "ro",
        PaneId::Traces => "trc",
        PaneId::Requests => "req",
        PaneId::Incident => "inc",
        PaneId::Alerts => "alrt",
        PaneId::Silences => "sil",
        PaneId::Oncall => "onc",
        other => other.command(),
    }
}

/// The tabs on a row `width` columns wide, left to right.
#[must_use]
pub fn tabs(state: &State, width: u16) -> Vec<Tab> {
    let compact = width < 110;
    // The attention view is tab 0's (the incident tab without a service); it has no tab of
    // its own.
    let current = match state.view().pane() {
        PaneId::Attention => PaneId::Incident,
        other => other,
    };
    // Each tab shows its pane's key (1..0, `!` for alerts, `O` for on-call): the goto key
    // in the keymap, so a tab never shows a key that goes elsewhere.
    let all: Vec<(String, &'static str, PaneId)> = PaneId::ALL
        .iter()
        .copied()
        .filter(|pane| *pane != PaneId::Attention)
        .map(|pane| {
            let key = state
                .ui
                .keymap
                .key_for(&[crate::keymap::KeyContext::Global], pane.info().goto)
                .map_or_else(|| "·".to_owned(), |k| k.to_string());
            let label = match pane {
                // Pane 0 without a service is what is on fire everywhere.
                PaneId::Incident if state.scope.is_none() => "fire",
                _ if compact => short(pane),
                _ => pane.command(),
            };
            (key, label, pane)
        })
        .collect();
    let width_of = |key: &str, label: &str| key.chars().count() + label.chars().count() + 3;
    let fits_all = all.iter().map(|(k, l, _)| width_of(k, l)).sum::<usize>() <= usize::from(width);
    let mut x = 0usize;
    let mut out = Vec::new();
    for (i, (key, label, pane)) in all.into_iter().enumerate() {
        // On a narrow screen the tabs after the tenth give way when they do not all fit
        // (their panes stay one key or `:` command away), except the one showing.
        if i >= 10 && !fits_all && pane != current {
            continue;
        }
        let w = width_of(&key, label);
        out.push(Tab {
            x: u16::try_from(x).unwrap_or(u16::MAX),
            width: u16::try_from(w).unwrap_or(u16::MAX),
            current: pane == current,
            key,
            label,
            pane,
        });
        x += w;
    }
    out
}

/// The tab at column `column` of the tab row.
#[must_use]
pub fn tab_at(state: &State, width: u16, column: u16) -> Option<PaneId> {
    tabs(state, width)
        .into_iter()
        .find(|t| column >= t.x && column < t.x.saturating_add(t.width))
        .map(|t| t.pane)
}
