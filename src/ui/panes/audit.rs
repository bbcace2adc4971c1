//! The audit pane: recent events with each intent's outcome beside it, filterable, with the
//! hash-chain verification result and the selected event's details.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::audit::actor;
use crate::keymap::Action;
use crate::model::platform::{AuditItem, Decision, EventBody, OutcomeStatus};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
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

fn detail(item: &AuditItem, theme: &Theme) -> Vec<Line<'static>> {
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<9}"), theme.style(Role::Muted)),
            Span::styled(crate::model::clean(&value), theme.style(Role::Text)),
        ])
    };
    let mut lines = vec![field(
        "Event",
        format!(
            "#{} {} ({})",
            item.seq,
            item.event.event_id,
            item.event.body.kind()
        ),
    )];
    match &item.event.body {
        EventBody::Intent {
            reason,
            params,
            decision_reason,
            ..
        } => {
            lines.push(field("Reason", reason.clone()));
            lines.push(field("Params", params.to_string()));
            if let Some(why) = decision_reason {
                lines.push(field("Decision", why.clone()));
            }
        }
        EventBody::Request {
            detail: Some(d), ..
        } => lines.push(field("Detail", d.clone())),
        EventBody::AuthDenied { reason, path, .. }
        | EventBody::Forbidden {
            reason,
            action: path,
            ..
        } => {
            lines.push(field("Denied", format!("{path}: {reason}")));
        }
        _ => {}
    }
    if let Some(EventBody::Outcome { detail, .. }) = item.outcome.as_ref().map(|o| &o.body) {
        lines.push(field("Outcome", detail.clone()));
    }
    lines.push(field("Hash", item.hash.clone()));
    lines
}

fn verify_note(state: &State, theme: &Theme) -> Line<'static> {
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[(Action::VerifyChain, "verify chain")],
    );
    let (text, role) = match (&state.panes.audit.verify, state.panes.audit.verifying) {
        (_, true) => ("verifying…".to_owned(), Role::Info),
        (Some(Ok(r)), _) if r.ok => (format!("chain ✓ ok ({} events)", r.checked), Role::Ok),
        (Some(Ok(r)), _) => (
            format!(
                "chain ✗ BROKEN at {}: {}",
                r.first_bad_event.as_deref().unwrap_or("?"),
                r.reason.as_deref().unwrap_or("hash mismatch")
            ),
            Role::Error,
        ),
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
        let text =
            "No platform API is configured in this context, so there is no audit trail to show.";
        super::notice(frame, area, theme, "Audit", text);
        return;
    }
    let show_detail = area.height >= 16 && pane.selected().is_some();
    let [table_area, detail_area] = if show_detail {
        Layout::vertical([Constraint::Min(6), Constraint::Length(7)]).areas(area)
    } else {
        [area, Rect::default()]
    };
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
        sorted: Some(pane.table.sort.column),
        note: Some(verify_note(state, theme)),
    };
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        cells(&pane.rows[i], theme)
    });
    if show_detail && let Some(item) = pane.selected() {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(" event ", theme.style(Role::Title)));
        frame.render_widget(
            Paragraph::new(detail(item, theme))
                .block(block)
                .wrap(Wrap { trim: false }),
            detail_area,
        );
    }
}
