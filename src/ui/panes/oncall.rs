//! The `:oncall` pane: my upcoming shifts and my team's rota on top, who is on call per
//! team now and next below. Times are UTC. Overrides and the running shift are marked by
//! words and glyphs, never by colour alone.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::oncall::{OncallPane, SORT_KEYS};
use crate::keymap::Action;
use crate::model::oncall::{Shift, ShiftKind, TeamOnCall, short_span};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

/// `12-06 17:00` (UTC).
#[must_use]
pub fn clock(t: Timestamp) -> String {
    t.strftime("%m-%d %H:%M").to_string()
}

fn kind_word(kind: ShiftKind) -> &'static str {
    match kind {
        ShiftKind::Rota => "",
        ShiftKind::Override => " ⚑override",
    }
}

fn cells(row: &TeamOnCall, mine: bool, me: &str, theme: &Theme) -> Vec<Cell<'static>> {
    let team = if mine {
        format!("{} (mine)", row.team)
    } else {
        row.team.clone()
    };
    let (now, until) = match &row.now {
        Some(n) => {
            let you = if n.who == me { " (you)" } else { "" };
            (
                Cell::from(Span::styled(
                    format!("{}{you}{}", n.who, kind_word(n.kind)),
                    theme.style(Role::Accent),
                )),
                Cell::from(clock(n.until)),
            )
        }
        None => (
            Cell::from(Span::styled("✗ nobody", theme.style(Role::Warn))),
            Cell::from("-"),
        ),
    };
    let (next, from) = match &row.next {
        Some(n) => {
            let you = if n.who == me { " (you)" } else { "" };
            (
                Cell::from(format!("{}{you}{}", n.who, kind_word(n.kind))),
                Cell::from(clock(n.from)),
            )
        }
        None => (Cell::from("-"), Cell::from("-")),
    };
    vec![Cell::from(team), now, until, next, from]
}

fn shift_line(
    s: &Shift,
    now: Timestamp,
    me: &str,
    theme: &Theme,
    with_team: bool,
) -> Line<'static> {
    let when = if s.covers(now) {
        format!("● now, {} left", short_span(s.to.duration_since(now)))
    } else {
        format!("in {}", short_span(s.from.duration_since(now)))
    };
    let who = if with_team {
        s.team.clone()
    } else if s.who == me {
        format!("{} (you)", s.who)
    } else {
        s.who.clone()
    };
    let mut spans = vec![
        Span::styled(
            format!("  {} → {}  ", clock(s.from), clock(s.to)),
            theme.style(Role::Text),
        ),
        Span::styled(format!("{who:<16}"), theme.style(Role::Accent)),
        Span::styled(
            format!(
                " {}{}",
                s.kind.as_str(),
                if s.kind == ShiftKind::Override {
                    " ⚑"
                } else {
                    ""
                }
            ),
            theme.style(Role::Muted),
        ),
        Span::styled(format!("  {when}"), theme.style(Role::Muted)),
    ];
    if let Some(note) = &s.note {
        spans.push(Span::styled(
            format!(" · {}", crate::model::clean(note)),
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
}

/// The lines of the top box: my shifts, then my team's rota (each list capped).
fn mine_lines(pane: &OncallPane, now: Timestamp, theme: &Theme, room: usize) -> Vec<Line<'static>> {
    let me = pane.me().unwrap_or_default().to_owned();
    let heading = |text: String| Line::from(Span::styled(text, theme.style(Role::Title)));
    let mut lines = Vec::new();
    let shifts = pane.my_shifts(now);
    if shifts.is_empty() {
        lines.push(heading(format!("My shifts ({me}): none coming up")));
    } else {
        lines.push(heading(format!("My shifts ({me}):")));
        for s in shifts.iter().take(3) {
            lines.push(shift_line(s, now, &me, theme, true));
        }
        if shifts.len() > 3 {
            lines.push(Line::from(Span::styled(
                format!("  … {} more", shifts.len() - 3),
                theme.style(Role::Muted),
            )));
        }
    }
    match pane.team_rota(now) {
        Some((team, rota)) => {
            lines.push(heading(format!("Rota of {team} (UTC):")));
            let keep = room.saturating_sub(lines.len()).max(1);
            for s in rota.iter().take(keep) {
                lines.push(shift_line(s, now, &me, theme, false));
            }
            if rota.is_empty() {
                lines.push(Line::from(Span::styled(
                    "  no shifts ahead",
                    theme.style(Role::Muted),
                )));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "None of your groups is a team with a rota.",
            theme.style(Role::Muted),
        ))),
    }
    lines
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.oncall;
    if !state.context.platform {
        let text = super::setup::what_to_add(super::setup::Needs::Platform, &state.context.name);
        super::notice(frame, area, theme, "On call", &text);
        return;
    }
    let now = state.now;
    let show_mine = pane.snapshot.is_some() && area.height >= 14;
    let [mine_area, table_area] = if show_mine {
        // The table keeps at least 7 rows; the box takes what its lines need, up to 10.
        let room = area.height.saturating_sub(7).min(10);
        let lines = mine_lines(pane, now, theme, usize::from(room.saturating_sub(2)));
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(room);
        let [top, rest] =
            Layout::vertical([Constraint::Length(height), Constraint::Min(7)]).areas(area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(" mine ", theme.style(Role::Title)));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            top,
        );
        [top, rest]
    } else {
        [Rect::default(), area]
    };
    let _ = mine_area;
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::DeclareShift, "declare"),
            (Action::TakeOncall, "take"),
        ],
    );
    let fresh = pane
        .snapshot
        .as_ref()
        .map(|s| format!("platform {}", short_span(now.duration_since(s.fetched_at))));
    let empty = match (&pane.snapshot, pane.error()) {
        (None, _) => "waiting for the platform…".to_owned(),
        (Some(_), Some(e)) => format!("the platform gave no on-call answer: {e}"),
        (Some(_), None) => "no team has a rota yet: n declares a shift".to_owned(),
    };
    let columns = [
        ("TEAM", Constraint::Length(17)),
        ("ON CALL NOW", Constraint::Fill(1)),
        ("UNTIL", Constraint::Length(11)),
        ("NEXT", Constraint::Fill(1)),
        ("FROM", Constraint::Length(11)),
    ];
    let view = TableView {
        title: format!(" On call per team, UTC ({}) ", pane.rows.len()),
        columns: &columns,
        empty: &empty,
        note: fresh.map(|f| Line::from(Span::styled(format!(" {f} "), theme.style(Role::Muted)))),
        sort_keys: &SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    let mine: Vec<&str> = pane.my_teams();
    let me = pane.me().unwrap_or_default();
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let row = &pane.rows[i];
        cells(row, mine.contains(&row.team.as_str()), me, theme)
    });
}
