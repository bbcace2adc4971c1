//! The Postgres pane: sessions (sortable, filterable, long transactions marked), the blocking
//! tree (roots with how many sessions they block), and a session's whole query and locks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::postgres::actions::short_age;
use crate::app::panes::postgres::{LONG_IDLE_XACT, LONG_XACT, PgView, PostgresPane};
use crate::keymap::Action;
use crate::model::pg::{BlockingLine, PREPARED_PID, PgSession, PgSnapshot, kill_permission};
use crate::theme::{Role, Theme};
use crate::ui::text::{fit, key_hints};
use crate::ui::widgets::data_table::{self, TableView};

/// Glyph, word and role of a session's state (never colour alone).
fn state_cell(s: &PgSession, now: jiff::Timestamp) -> (String, Role) {
    if s.is_waiting_on_lock() {
        return (
            format!("⧗ waiting {}", s.wait_event.as_deref().unwrap_or("lock")),
            Role::Warn,
        );
    }
    if s.is_idle_in_transaction() {
        let long = s.xact_age(now).is_some_and(|a| a >= LONG_IDLE_XACT);
        return (
            "⏸ idle in tx".to_owned(),
            if long { Role::Error } else { Role::Warn },
        );
    }
    match s.state.as_str() {
        "active" => ("● active".to_owned(), Role::Ok),
        "idle" => ("◌ idle".to_owned(), Role::Muted),
        other => (format!("· {other}"), Role::Text),
    }
}

fn age_cell(
    age: Option<std::time::Duration>,
    long: std::time::Duration,
    theme: &Theme,
) -> Cell<'static> {
    match age {
        Some(a) if a >= long => Cell::from(Span::styled(
            format!("▲{}", short_age(a)),
            theme.style(Role::Warn),
        )),
        Some(a) => Cell::from(short_age(a)),
        None => Cell::from("-"),
    }
}

fn columns(width: u16) -> Vec<(&'static str, Constraint)> {
    let mut cols = vec![
        ("PID", Constraint::Length(7)),
        ("USER", Constraint::Length(9)),
        ("APP", Constraint::Length(12)),
        ("CLIENT", Constraint::Length(15)),
        ("DB", Constraint::Length(10)),
        ("STATE", Constraint::Length(16)),
        ("XACT", Constraint::Length(7)),
        ("QUERY", Constraint::Length(7)),
        ("WAIT", Constraint::Length(16)),
        ("SQL", Constraint::Fill(1)),
    ];
    if width < 150 {
        cols.retain(|(c, _)| !matches!(*c, "CLIENT" | "DB"));
    }
    if width < 110 {
        cols.retain(|(c, _)| !matches!(*c, "APP" | "WAIT"));
    }
    cols
}

fn session_cells(
    s: &PgSession,
    marked: bool,
    cols: &[(&str, Constraint)],
    now: jiff::Timestamp,
    theme: &Theme,
) -> Vec<Cell<'static>> {
    cols.iter()
        .map(|(name, _)| match *name {
            // A mark reads without colour: `✓` before the pid.
            "PID" => Cell::from(if marked {
                format!("✓{}", s.pid)
            } else {
                s.pid.to_string()
            }),
            "USER" => Cell::from(s.user.clone().unwrap_or_else(|| "-".into())),
            "APP" => Cell::from(s.application.clone()),
            "CLIENT" => Cell::from(s.client.clone()),
            "DB" => Cell::from(s.database.clone()),
            "STATE" => {
                let (text, role) = state_cell(s, now);
                Cell::from(Span::styled(text, theme.style(role)))
            }
            "XACT" => age_cell(s.xact_age(now), LONG_XACT, theme),
            "QUERY" => age_cell(s.query_age(now), LONG_XACT, theme),
            "WAIT" => Cell::from(s.wait_label()),
            _ => Cell::from(s.query_line()),
        })
        .collect()
}

fn tree_line(
    line: &BlockingLine,
    snapshot: &PgSnapshot,
    now: jiff::Timestamp,
    (selected, marked): (bool, bool),
    theme: &Theme,
) -> Line<'static> {
    let mut spans = vec![
        Span::styled(
            match (selected, marked) {
                (true, true) => "▶✓",
                (true, false) => "▶ ",
                (false, true) => " ✓",
                (false, false) => "  ",
            }
            .to_owned(),
            theme.style(Role::Accent),
        ),
        Span::styled(line.guide(), theme.style(Role::Border)),
    ];
    if line.depth > 0 {
        spans.push(Span::styled(
            format!("{} ", line.edge_label()),
            theme.style(if line.soft { Role::Muted } else { Role::Warn }),
        ));
    }
    let pid_style = if selected {
        theme.style(Role::Selection)
    } else {
        theme.style(Role::Title)
    };
    if line.pid == PREPARED_PID {
        spans.push(Span::styled(
            "prepared transaction (pid 0)".to_owned(),
            pid_style,
        ));
        if let Some(p) = snapshot.prepared.first() {
            spans.push(Span::styled(
                format!(" gid {} by {}", p.gid, p.owner),
                theme.style(Role::Muted),
            ));
        }
    } else if line.pointer {
        // Shown in full elsewhere: one line that says where.
        let home = match line.shown_under {
            Some(p) if p == PREPARED_PID => ", shown under the prepared transaction".to_owned(),
            Some(p) => format!(", shown under {p}"),
            None => ", shown as a root".to_owned(),
        };
        spans.push(Span::styled(format!("→ pid {}", line.pid), pid_style));
        spans.push(Span::styled(home, theme.style(Role::Muted)));
        if line.cycle {
            spans.push(Span::styled(" ↻ cycle".to_owned(), theme.style(Role::Warn)));
        }
        return Line::from(spans);
    } else {
        spans.push(Span::styled(format!("{}", line.pid), pid_style));
    }
    if line.blocks_total > 0 {
        spans.push(Span::styled(
            format!(" blocks {}/{}", line.blocks_direct, line.blocks_total),
            theme.style(Role::Error),
        ));
    }
    if !line.parallel_workers.is_empty() {
        spans.push(Span::styled(
            format!(" +{} workers", line.parallel_workers.len()),
            theme.style(Role::Muted),
        ));
    }
    if line.gone {
        spans.push(Span::styled(" ○ gone".to_owned(), theme.style(Role::Muted)));
    }
    if line.cycle {
        spans.push(Span::styled(" ↻ cycle".to_owned(), theme.style(Role::Warn)));
    }
    if let Some(s) = snapshot.session(line.pid) {
        let (state, role) = state_cell(s, now);
        spans.push(Span::styled(format!("  {state}"), theme.style(role)));
        let age = if line.depth == 0 {
            s.xact_age(now)
        } else {
            s.wait_age(now).or_else(|| s.query_age(now))
        };
        if let Some(age) = age {
            spans.push(Span::styled(
                format!(" {}", short_age(age)),
                theme.style(Role::Muted),
            ));
        }
        spans.push(Span::styled(
            format!(
                "  {} · {}",
                s.user.as_deref().unwrap_or("-"),
                fit(&s.query_line(), 120)
            ),
            theme.style(Role::Text),
        ));
    }
    Line::from(spans)
}

fn title(pg: &PostgresPane, snapshot: &PgSnapshot) -> String {
    let waiting = snapshot
        .sessions
        .iter()
        .filter(|s| s.is_waiting_on_lock())
        .count();
    let frozen = if pg.frozen { " · ❄ FROZEN" } else { "" };
    let marked = match pg.marks.len() {
        0 => String::new(),
        n => format!(" · ✓{n} marked"),
    };
    let view = pg.view.label();
    format!(
        " Postgres {} · {view} · {} sessions · {waiting} waiting · PG {}{frozen}{marked} ",
        snapshot.database,
        snapshot.sessions.len(),
        snapshot.server_version()
    )
}

fn hints(state: &State) -> String {
    if !state.panes.postgres.marks.is_empty() {
        return key_hints(
            &state.ui.keymap,
            state.view().key_contexts(),
            &[
                (Action::CancelQuery, "cancel marked"),
                (Action::TerminateBackend, "terminate marked"),
                (Action::MarkSession, "mark"),
                (Action::ClearMarks, "unmark all"),
            ],
        );
    }
    key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::ToggleView, "view"),
            (Action::NextDatabase, "db"),
            (Action::Freeze, "freeze"),
            (Action::CancelQuery, "cancel"),
            (Action::TerminateBackend, "terminate"),
            (Action::MarkSession, "mark"),
        ],
    )
}

/// Why killing the selected session is not offered, if it is not.
fn disabled_reason(pg: &PostgresPane) -> Option<String> {
    let snapshot = pg.shown.as_ref()?;
    let session = pg.selected_session()?;
    kill_permission(&snapshot.role, session).err()
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pg = &state.panes.postgres;
    let Some(database) = pg.current_database() else {
        let text = super::setup::what_to_add(super::setup::Needs::Postgres, &state.context.name);
        super::notice(frame, area, theme, "Postgres", &text);
        return;
    };
    let Some(snapshot) = pg.shown.clone() else {
        let health = state.health.get(&crate::model::source::SourceId::Postgres);
        let why = match health {
            Some(crate::model::SourceHealth::Error { message, .. }) => format!("✗ {message}"),
            _ => "connecting…".to_owned(),
        };
        super::notice(frame, area, theme, &format!("Postgres {database}"), &why);
        return;
    };
    let health = state.health.get(&crate::model::source::SourceId::Postgres);
    let now =
        super::postgres_header::ages_now(health, pg.now.unwrap_or(snapshot.taken_at), state.now);
    let whole = area;
    let header_rows = super::postgres_header::height(area.height);
    let [header_area, area] =
        Layout::vertical([Constraint::Length(header_rows), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(super::postgres_header::lines(pg, &snapshot, now, theme)),
        header_area,
    );
    let trouble = super::postgres_header::stale_note(health, &snapshot, state.now, theme);
    let [main, detail_area] = if pg.detail.is_some() && area.height >= 14 {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let bottom = match disabled_reason(pg) {
        _ if trouble.is_some() => trouble.unwrap_or_default(),
        Some(reason) => Line::from(Span::styled(
            format!(" kill disabled: {reason} "),
            theme.style(Role::Disabled),
        )),
        None => Line::from(Span::styled(hints(state), theme.style(Role::Muted))),
    };
    if render_overlay(frame, main, theme, pg) {
        return;
    }
    match pg.view {
        PgView::Sessions => {
            let cols = columns(main.width);
            let view = TableView {
                title: title(pg, &snapshot),
                columns: &cols,
                empty: "no sessions besides idle ones",
                note: None,
                footer: Some(bottom),
                sort_keys: &crate::app::panes::postgres::SORT_KEYS,
            };
            data_table::render(frame, main, theme, &pg.table, &view, |i| {
                let s = &snapshot.sessions[i];
                let mut cells = session_cells(s, pg.is_marked(s), &cols, now, theme);
                // A maintenance command's progress goes with its session.
                if let Some(p) = snapshot.facts.progress.iter().find(|p| p.pid == s.pid)
                    && let Some(last) = cells.last_mut()
                {
                    *last = Cell::from(format!("[{}] {}", p.label(), s.query_line()));
                }
                cells
            });
        }
        PgView::Tree => {
            let bottom = match &pg.tree_vanished {
                Some(gone) => data_table::vanished_line(gone, theme),
                None => bottom,
            };
            let lines = tree_lines(pg, &snapshot, now, main.height, theme);
            frame.render_widget(
                Paragraph::new(lines).block(framed(pg, &snapshot, bottom, theme)),
                main,
            );
        }
        PgView::Statements => {
            let lines = super::postgres_statements::lines(&snapshot, theme);
            frame.render_widget(
                Paragraph::new(lines).block(framed(pg, &snapshot, bottom, theme)),
                main,
            );
        }
        PgView::Replication => {
            let lines = super::postgres_replication::lines(&snapshot, main.width, theme);
            frame.render_widget(
                Paragraph::new(lines).block(framed(pg, &snapshot, bottom, theme)),
                main,
            );
        }
    }
    if let Some(detail) = &pg.detail
        && detail_area.height > 0
    {
        render_detail(frame, detail_area, theme, &snapshot, detail);
    }
    super::postgres_databases::render(frame, whole, pg, theme);
}

/// The bulk plan and the prepared transactions cover the pane's view; true when one did.
fn render_overlay(frame: &mut Frame<'_>, area: Rect, theme: &Theme, pg: &PostgresPane) -> bool {
    if let Some(view) = &pg.bulk {
        super::pg_bulk::render(frame, area, theme, view);
        return true;
    }
    if pg.prepared_view.is_some() {
        super::pg_prepared::render(frame, area, theme, pg);
        return true;
    }
    false
}

/// The frame of the views that are not the sessions table.
fn framed(
    pg: &PostgresPane,
    snapshot: &PgSnapshot,
    bottom: Line<'static>,
    theme: &Theme,
) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(title(pg, snapshot), theme.style(Role::Title)))
        .title_bottom(bottom)
}

/// The tree's visible lines in a frame `height` rows tall: the legend, then a page of the
/// tree that keeps the cursor in view.
fn tree_lines(
    pg: &PostgresPane,
    snapshot: &PgSnapshot,
    now: jiff::Timestamp,
    height: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if pg.tree.is_empty() {
        return vec![Line::from(Span::styled(
            "✓ nothing is blocked",
            theme.style(Role::Ok),
        ))];
    }
    // The legend takes the first row of the frame's inside.
    let page = usize::from(height.saturating_sub(3)).max(1);
    let offset = pg.tree_selected.saturating_sub(page - 1);
    std::iter::once(Line::from(Span::styled(
        crate::model::pg_tree::EDGE_LEGEND,
        theme.style(Role::Muted),
    )))
    .chain(
        pg.tree
            .iter()
            .enumerate()
            .skip(offset)
            .take(page)
            .map(|(i, l)| {
                let marked = snapshot.session(l.pid).is_some_and(|s| pg.is_marked(s));
                tree_line(l, snapshot, now, (i == pg.tree_selected, marked), theme)
            }),
    )
    .collect()
}

fn render_detail(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    snapshot: &PgSnapshot,
    detail: &crate::app::panes::postgres::SessionDetail,
) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    match snapshot.session(detail.pid) {
        Some(s) => {
            for l in s.query.lines() {
                lines.push(Line::from(Span::styled(
                    l.to_owned(),
                    theme.style(Role::Text),
                )));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "this session is gone",
            theme.style(Role::Muted),
        ))),
    }
    lines.push(Line::default());
    match &detail.locks {
        None => lines.push(Line::from(Span::styled(
            "loading locks…",
            theme.style(Role::Muted),
        ))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            format!("✗ locks: {e}"),
            theme.style(Role::Error),
        ))),
        Some(Ok(locks)) if locks.is_empty() => lines.push(Line::from(Span::styled(
            "no locks",
            theme.style(Role::Muted),
        ))),
        Some(Ok(locks)) => {
            lines.push(Line::from(Span::styled(
                "LOCK TYPE      MODE                   GRANTED   RELATION / DETAIL",
                theme.style(Role::TableHeader),
            )));
            for l in locks {
                let granted = if l.granted {
                    ("✓ granted", Role::Ok)
                } else {
                    ("⧗ waiting", Role::Warn)
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{:<14} {:<22} ", l.locktype, l.mode),
                        theme.style(Role::Text),
                    ),
                    Span::styled(format!("{:<9} ", granted.0), theme.style(granted.1)),
                    Span::styled(
                        format!("{} {}", l.relation.as_deref().unwrap_or(""), l.detail),
                        theme.style(Role::Text),
                    ),
                ]));
            }
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            format!(" session {} · query and locks · esc closes ", detail.pid),
            theme.style(Role::Title),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
