//! The requests pane: my self-service requests with their live state, or the approval queue
//! for approvers, and the details of the selected request.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::requests::{params, state_glyph, summary};
use crate::keymap::Action;
use crate::model::platform::{Request, RequestState};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

fn state_role(state: RequestState) -> Role {
    match state {
        RequestState::Ready => Role::Ok,
        RequestState::Failed | RequestState::Rejected => Role::Error,
        RequestState::Submitted | RequestState::Approved | RequestState::Provisioning => Role::Warn,
    }
}

/// `2026-11-02T03:04:05Z` → `11-02 03:04`.
fn short_time(rfc3339: &str) -> String {
    rfc3339
        .get(5..16)
        .map_or_else(|| rfc3339.to_owned(), |s| s.replace('T', " "))
}

/// The last 8 characters: UUIDv7 ids share their time prefix, the tail tells them apart.
#[must_use]
pub fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    chars[chars.len().saturating_sub(8)..].iter().collect()
}

fn cells(r: &Request, theme: &Theme) -> Vec<Cell<'static>> {
    vec![
        Cell::from(short_id(&r.id)),
        Cell::from(r.spec.kind().to_owned()),
        Cell::from(summary(&r.spec)),
        Cell::from(Span::styled(
            format!("{} {}", state_glyph(r.state), r.state.as_str()),
            theme.style(state_role(r.state)),
        )),
        Cell::from(r.requester.clone()),
        Cell::from(short_time(&r.created)),
    ]
}

fn detail(r: &Request, next: &str, theme: &Theme) -> Vec<Line<'static>> {
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.style(Role::Muted)),
            Span::styled(value, theme.style(Role::Text)),
        ])
    };
    let mut lines = vec![
        field("Request", format!("{} · {}", r.id, r.spec.kind())),
        field("By", r.requester.clone()),
    ];
    // Every parameter the approver decides on, not only the summary in the row.
    lines.extend(
        params(&r.spec)
            .into_iter()
            .map(|(label, value)| field(label, crate::model::clean(&value))),
    );
    lines.extend([field(
        "State",
        format!(
            "{} {} (updated {})",
            state_glyph(r.state),
            r.state.as_str(),
            short_time(&r.updated)
        ),
    )]);
    if let Some(reason) = &r.state_reason {
        lines.push(field("Why", crate::model::clean(reason)));
    }
    // Who carries it out from here: the server, this console (and its key), or nobody yet.
    lines.push(field("Next", next.to_owned()));
    if let Some(by) = &r.decided_by {
        lines.push(field("Decided", by.clone()));
    }
    lines.push(field("Reason", crate::model::clean(r.spec.reason())));
    if let Some(result) = &r.result {
        lines.push(field("Result", crate::model::clean(&result.to_string())));
    }
    lines
}

/// What an empty list of my requests says: the keys that make one, from the active keymap
/// (a rebound key shows as bound; an unbound action, or a mutating one under --readonly, is
/// left out).
fn empty_hint(
    keymap: &crate::keymap::Keymap,
    contexts: &[crate::keymap::KeyContext],
    readonly: bool,
) -> String {
    let ways: Vec<String> = [
        (Action::NewTopicRequest, "a Kafka topic"),
        (Action::NewReplicaRequest, "a read replica"),
    ]
    .iter()
    .filter(|(action, _)| !(readonly && action.is_dangerous()))
    .filter_map(|(action, what)| {
        keymap
            .key_for(contexts, *action)
            .map(|k| format!("{k} requests {what}"))
    })
    .collect();
    if ways.is_empty() {
        "no requests yet".to_owned()
    } else {
        format!("no requests yet: {}", ways.join(", "))
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.requests;
    if !state.context.platform {
        let text = super::setup::what_to_add(super::setup::Needs::Platform, &state.context.name);
        super::notice(frame, area, theme, "Requests", &text);
        return;
    }
    let run_key = state
        .ui
        .keymap
        .key_for(state.view().key_contexts(), Action::RunApproved)
        .map_or_else(|| "its run key".to_owned(), |k| k.to_string());
    let details = pane.selected().map(|r| {
        let next = crate::model::approvals::next_step(r, &state.held_actions, &state.context.name)
            .words(&run_key);
        detail(r, &next, theme)
    });
    let show_detail = area.height >= 16 && details.is_some();
    // The panel grows with what the request holds (rows wrap at the panel's width), but
    // leaves the table at least 6 rows.
    let detail_height = details.as_ref().map_or(0, |lines| {
        let inner = usize::from(area.width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
        u16::try_from(rows + 2)
            .unwrap_or(u16::MAX)
            .min(area.height.saturating_sub(6))
    });
    let [table_area, detail_area] = if show_detail {
        Layout::vertical([Constraint::Min(6), Constraint::Length(detail_height)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let which = if pane.queue { "approval queue" } else { "mine" };
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::NewTopicRequest, "topic"),
            (Action::NewReplicaRequest, "replica"),
            (Action::ToggleQueue, "queue"),
            (Action::Approve, "approve"),
            (Action::Reject, "reject"),
            (Action::RunApproved, "run approved"),
        ],
    );
    let empty = if pane.snapshot.is_none() {
        "waiting for the platform…".to_owned()
    } else if pane.queue {
        "nothing waits for approval".to_owned()
    } else {
        empty_hint(
            &state.ui.keymap,
            state.view().key_contexts(),
            state.readonly,
        )
    };
    let columns = [
        ("ID", Constraint::Length(8)),
        ("KIND", Constraint::Length(12)),
        ("WHAT", Constraint::Fill(1)),
        ("STATE", Constraint::Length(14)),
        ("BY", Constraint::Length(10)),
        ("CREATED", Constraint::Length(11)),
    ];
    let view = TableView {
        title: format!(" Requests: {which} ({}) ", pane.rows.len()),
        columns: &columns,
        empty: &empty,
        note: None,
        sort_keys: &crate::app::panes::requests::SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        cells(&pane.rows[i], theme)
    });
    if show_detail && let Some(lines) = details {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(" request ", theme.style(Role::Title)));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            detail_area,
        );
    }
}
