//! The silences pane: active and pending silences, soonest ending first, what each mutes
//! now, who made it and why; the selected one in full below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::silences::{SORT_KEYS, state_label};
use crate::keymap::Action;
use crate::model::alerts::{Silence, SilenceState};
use crate::model::silence::matchers_text;
use crate::model::source::SourceId;
use crate::model::text::short_age as age_words;
use crate::theme::Role;
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

/// How long until the silence ends (or starts, when pending).
fn ends_in(silence: &Silence, now: jiff::Timestamp) -> String {
    let at = match silence.state {
        SilenceState::Pending => &silence.starts_at,
        _ => &silence.ends_at,
    };
    match at.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let secs = t.duration_since(now).as_secs();
            match silence.state {
                SilenceState::Pending => format!("starts in {}", age_words(secs)),
                _ => format!("in {}", age_words(secs)),
            }
        }
        Err(_) => at.clone(),
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.silences;
    let Some(snapshot) = &pane.snapshot else {
        super::unavailable(
            frame,
            area,
            state,
            SourceId::Alerts,
            "Silences",
            super::setup::Needs::Alerts,
            "waiting for Alertmanager…",
        );
        return;
    };
    let [table_area, detail_area] = super::list_and_detail(area, false, 40);
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::ExpireSilence, "expire"),
            (Action::PaneAlerts, "alerts"),
        ],
    );
    let columns = [
        ("STATE", Constraint::Length(10)),
        ("ENDS", Constraint::Length(16)),
        ("MATCHERS", Constraint::Fill(2)),
        ("CATCHES", Constraint::Length(8)),
        ("BY", Constraint::Length(12)),
        ("COMMENT", Constraint::Fill(1)),
    ];
    let view = TableView {
        title: format!(" Silences: {} active or pending ", pane.rows.len()),
        columns: &columns,
        empty: "no active or pending silence",
        note: None,
        sort_keys: &SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let (index, caught) = pane.rows[i];
        let s = &snapshot.silences[index];
        let (glyph, word) = state_label(s.state);
        vec![
            Cell::from(Span::styled(
                format!("{glyph} {word}"),
                theme.style(if s.state == SilenceState::Active {
                    Role::Ok
                } else {
                    Role::Warn
                }),
            )),
            Cell::from(ends_in(s, state.now)),
            Cell::from(matchers_text(&s.matchers)),
            Cell::from(caught.to_string()),
            Cell::from(s.created_by.clone()),
            Cell::from(s.comment.clone()),
        ]
    });
    if detail_area.height > 0
        && let Some((s, caught)) = pane.selected()
    {
        super::selected_summary(
            frame,
            detail_area,
            theme,
            format!(" silence {} ", s.id),
            format!(
                "{} · mutes {caught} now · until {} · by {}: {}",
                matchers_text(&s.matchers),
                s.ends_at,
                s.created_by,
                s.comment
            ),
        );
    }
}
