//! The audit pane: recent events with each intent's outcome beside it, filterable, with the
//! hash-chain verification result and the selected event's details. Enter opens the
//! event's detail over most of the pane, every field wrapped in full; j/k scroll it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph};

use crate::app::State;
use crate::app::panes::audit::actor;
use crate::keymap::Action;
use crate::model::platform::{AuditItem, Decision, EventBody, OutcomeStatus};
use crate::theme::{Role, Theme};
use crate::ui::text::{key_hints, wrap_all};
use crate::ui::widgets::data_table::{self, TableView};

fn decision(item: &AuditItem) -> (String, Role) {
    match &item.event.body {
        EventBody::Intent { decision, .. } => match decision {
            Decision::Allow => ("✓ allow".into(), Role::Ok),
            Decision::Deny => ("✗ deny".into(), Role::Error),
            Decision::NeedsApproval => ("… approval".into(), Role::Warn),
        },
        EventBody::Request { state, .. } => (format!("· {}", state.as_str()), Role::Info),
        EventBody::AuthDenied { .. } => ("✗ 401".into(), Role::Error),
        EventBody::Forbidden { .. } => ("✗ 403".into(), Role::Error),
        EventBody::OnCall { .. } => ("✓ on-call".into(), Role::Ok),
        EventBody::Outcome { .. } => ("-".into(), Role::Muted),
    }
}

fn outcome(item: &AuditItem) -> (String, Role) {
    match item.outcome.as_ref().map(|o| &o.body) {
        Some(EventBody::Outcome { status, .. }) => match status {
            OutcomeStatus::Succeeded => ("✓ succeeded".into(), Role::Ok),
            OutcomeStatus::Failed => ("✗ failed".into(), Role::Error),
            OutcomeStatus::Ineffective => ("◐ ineffective".into(), Role::Warn),
        },
        _ => match &item.event.body {
            EventBody::Intent {
                decision: Decision::Allow,
                ..
            } => ("… pending".into(), Role::Warn),
            _ => ("-".into(), Role::Muted),
        },
    }
}

fn cells(item: &AuditItem, theme: &Theme) -> Vec<Cell<'static>> {
    let (d, d_role) = decision(item);
    let (o, o_role) = outcome(item);
    vec![
        Cell::from(
            item.event
                .time
                .get(5..19)
                .unwrap_or(&item.event.time)
                .replace('T', " "),
        ),
        Cell::from(actor(item)),
        Cell::from(item.event.body.action().to_owned()),
        Cell::from(item.event.body.target_ref().to_owned()),
        Cell::from(Span::styled(d, theme.style(d_role))),
        Cell::from(Span::styled(o, theme.style(o_role))),
    ]
}

/// Columns of a detail field's label.
const LABEL: usize = 9;

/// One field of the detail: its label, then its value wrapped under itself (never cut).
fn field(lines: &mut Vec<Line<'static>>, theme: &Theme, width: u16, name: &str, value: &str) {
    let rows = wrap_all(
        &crate::model::clean(value),
        usize::from(width).saturating_sub(LABEL),
    );
    for (i, row) in rows.into_iter().enumerate() {
        let label = if i == 0 {
            format!("{name:<LABEL$}")
        } else {
            " ".repeat(LABEL)
        };
        lines.push(Line::from(vec![
            Span::styled(label, theme.style(Role::Muted)),
            Span::styled(row, theme.style(Role::Text)),
        ]));
    }
}

/// The event's detail, wrapped to `width` columns.
fn detail(item: &AuditItem, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut add = |name: &str, value: String| field(&mut lines, theme, width, name, &value);
    add(
        "Event",
        format!(
            "#{} {} ({})",
            item.seq,
            item.event.event_id,
            item.event.body.kind()
        ),
    );
    match &item.event.body {
        EventBody::Intent {
            reason,
            params,
            decision_reason,
            ..
        } => {
            add("Reason", reason.clone());
            add("Params", params.to_string());
            if let Some(why) = decision_reason {
                add("Decision", format!("{}: {why}", decision(item).0));
            }
        }
        EventBody::Request {
            detail: Some(d), ..
        } => add("Detail", d.clone()),
        EventBody::OnCall { shift, reason, .. } => {
            add(
                "Shift",
                format!(
                    "{} {} · {} → {} ({})",
                    shift.kind.as_str(),
                    shift.who,
                    shift.from,
                    shift.to,
                    shift.id
                ),
            );
            add("Allowed", reason.clone());
        }
        EventBody::AuthDenied { reason, path, .. }
        | EventBody::Forbidden {
            reason,
            action: path,
            ..
        } => {
            add("Denied", format!("{path}: {reason}"));
        }
        _ => {}
    }
    if let Some(EventBody::Outcome { detail, .. }) = item.outcome.as_ref().map(|o| &o.body) {
        add("Outcome", format!("{}: {detail}", outcome(item).0));
    }
    add("Hash", item.hash.clone());
    lines
}

/// The table's and the detail box's areas in the pane's `area`: a small box under the table
/// for the selected event, most of the pane for the open one (all of it when short).
fn split(area: Rect, open: bool, selected: bool) -> [Rect; 2] {
    if open && area.height >= 16 {
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area)
    } else if open {
        [Rect::default(), area]
    } else if area.height >= 16 && selected {
        Layout::vertical([Constraint::Min(6), Constraint::Length(7)]).areas(area)
    } else {
        [area, Rect::default()]
    }
}

fn verify_note(state: &State, theme: &Theme) -> Line<'static> {
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[(Action::VerifyChain, "verify chain")],
    );
    let (text, role) = match (&state.panes.audit.verify, state.panes.audit.verifying) {
        (_, true) => ("verifying…".to_owned(), Role::Info),
        (Some(Ok(check)), _) if check.ok() => (check.summary(), Role::Ok),
        (Some(Ok(check)), _) => (check.summary(), Role::Error),
        (Some(Err(e)), _) => (format!("verify ✗ {e}"), Role::Error),
        (None, false) => (String::new(), Role::Muted),
    };
    Line::from(vec![
        Span::styled(
            format!(" {} ", crate::model::clean(&text)),
            theme.style(role),
        ),
        Span::styled(hints, theme.style(Role::Muted)),
    ])
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.audit;
    if !state.context.platform {
        let text = super::setup::what_to_add(super::setup::Needs::Platform, &state.context.name);
        super::notice(frame, area, theme, "Audit", &text);
        return;
    }
    let open = pane.open_item();
    let [table_area, detail_area] = split(area, open.is_some(), pane.selected().is_some());
    let columns = [
        ("TIME", Constraint::Length(14)),
        ("ACTOR", Constraint::Length(10)),
        ("ACTION", Constraint::Length(20)),
        ("TARGET", Constraint::Fill(1)),
        ("DECISION", Constraint::Length(11)),
        ("OUTCOME", Constraint::Length(13)),
    ];
    let view = TableView {
        title: format!(" Audit ({}) ", pane.rows.len()),
        columns: &columns,
        empty: if pane.snapshot.is_none() {
            "waiting for the platform…"
        } else {
            "no events yet"
        },
        footer: None,
        sort_keys: &crate::app::panes::audit::SORT_KEYS,
        note: Some(verify_note(state, theme)),
    };
    if table_area.height > 0 {
        data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
            cells(&pane.rows[i], theme)
        });
    }
    if detail_area.height == 0 {
        return;
    }
    let Some(item) = open.or_else(|| pane.selected()) else {
        return;
    };
    let lines = detail(item, theme, detail_area.width.saturating_sub(2));
    let inner_height = usize::from(detail_area.height.saturating_sub(2));
    let max = lines.len().saturating_sub(inner_height);
    let contexts = state.view().key_contexts();
    let (title, scroll, hints) = if open.is_some() {
        let scroll = pane.detail_scroll.min(max);
        let position = if max > 0 {
            let last = (scroll + inner_height).min(lines.len());
            format!("rows {}–{last} of {} · ", scroll + 1, lines.len())
        } else {
            String::new()
        };
        let hints = key_hints(
            &state.ui.keymap,
            contexts,
            &[(Action::Down, "scroll"), (Action::Back, "close")],
        );
        (
            format!(" event #{} ", item.seq),
            scroll,
            format!(" {position}{}", hints.trim_start()),
        )
    } else if max > 0 {
        let hints = key_hints(
            &state.ui.keymap,
            contexts,
            &[(Action::Select, "read it all")],
        );
        (" event ".to_owned(), 0, hints)
    } else {
        (" event ".to_owned(), 0, String::new())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Line::from(Span::styled(hints, theme.style(Role::Muted))).right_aligned());
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        detail_area,
    );
}
