//! One Argo CD Application in detail: sync and health with the current or last operation,
//! conditions, the drift (`OutOfSync` resources), every managed resource with its sync and
//! health (or why health is not known), and the deployment history, newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::State;
use crate::keymap::Action;
use crate::model::k8s::app_row::{AppRow, drift, resource_rows, short_revision};
use crate::model::k8s::{Application, StatusLabel};
use crate::theme::{Role, Theme};

fn head(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        text.to_owned(),
        theme.style(Role::TableHeader),
    ))
}

fn label(label: &StatusLabel, theme: &Theme) -> Span<'static> {
    let style = theme.style(super::apps::role(label));
    Span::styled(label.to_string(), style)
}

/// Pads a span to `width` characters so the next column lines up.
fn padded(span: &Span<'static>, width: usize) -> Span<'static> {
    let content = format!("{:<width$}", span.content);
    Span::styled(content, span.style)
}

fn muted(text: String, theme: &Theme) -> Span<'static> {
    Span::styled(text, theme.style(Role::Muted))
}

fn text(text: String, theme: &Theme) -> Span<'static> {
    Span::styled(text, theme.style(Role::Text))
}

#[expect(
    clippy::too_many_lines,
    reason = "renders the view top to bottom; its sections share the layout and the cursor"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, app: &Application, row: &AppRow) {
    let theme = &state.ui.theme;
    let mut lines = vec![Line::from(vec![
        muted("sync ".into(), theme),
        label(&row.sync.label(), theme),
        muted(
            format!(
                "  {} → {}   health ",
                row.target_revision, row.synced_revision
            ),
            theme,
        ),
        label(&row.health.label(), theme),
        muted(format!("   {}", row.auto_sync.text()), theme),
    ])];
    if !row.health_message.is_empty() {
        lines.push(Line::from(text(format!("  {}", row.health_message), theme)));
    }
    if let Some(op) = row.operation {
        lines.push(Line::from(vec![
            muted("operation ".into(), theme),
            label(&op.label(), theme),
            text(format!("  {}", row.operation_message), theme),
        ]));
    }
    lines.extend(window_lines(state, row, theme));
    let actions = crate::app::panes::apps::actions::enablement(state.permits(), app);
    lines.extend(super::rollout_detail::action_lines(
        state, &actions, action_of,
    ));
    if !app.status.conditions.is_empty() {
        lines.push(head("CONDITIONS", theme));
        for c in &app.status.conditions {
            lines.push(Line::from(vec![
                Span::styled(format!("⚠ {} ", c.kind), theme.style(Role::Warn)),
                text(c.message.clone(), theme),
            ]));
        }
    }
    let drifted = drift(app);
    if !drifted.is_empty() {
        lines.push(head(&format!("DRIFT ({} OutOfSync)", drifted.len()), theme));
        for r in &drifted {
            lines.push(Line::from(text(
                format!("✖ {} {}/{}", r.kind, r.namespace, r.name),
                theme,
            )));
        }
    }
    let marked = &state.panes.apps.marked;
    lines.push(head(
        &format!(
            "  {:<12} {:<34} {:<12} HEALTH{}",
            "KIND",
            "NAME",
            "SYNC",
            if marked.is_empty() {
                String::new()
            } else {
                format!("   ({} marked for sync)", marked.len())
            }
        ),
        theme,
    ));
    let mut cursor_line = lines.len();
    for (i, r) in resource_rows(app).iter().enumerate() {
        let key = crate::model::k8s::SyncResource::from_row(r).key();
        let here = i == state.panes.apps.detail_cursor;
        let pointer = if here { "›" } else { " " };
        let mark = if marked.contains(&key) { "◆" } else { " " };
        let mut spans = vec![
            text(
                format!("{pointer}{mark}{:<12} {:<34} ", r.kind, r.name),
                theme,
            ),
            padded(&label(&r.sync.label(), theme), 13),
            label(&r.health.label(), theme),
        ];
        if here {
            cursor_line = lines.len();
            for s in &mut spans {
                s.style = s.style.patch(theme.style(Role::Selection));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(head("HISTORY (newest first)", theme));
    for h in app.status.history.iter().rev() {
        let by = if h.initiated_by.automated {
            "automated".to_owned()
        } else {
            h.initiated_by.username.clone()
        };
        let at = h.deployed_at.as_ref().map_or_else(
            || "-".to_owned(),
            |t| t.0.strftime("%Y-%m-%d %H:%M").to_string(),
        );
        lines.push(Line::from(text(
            format!("#{:<4} {:<9} {at}  {by}", h.id, short_revision(&h.revision)),
            theme,
        )));
    }
    // Keep the resource under the cursor on screen.
    let inner = usize::from(area.height.saturating_sub(2));
    let scroll = cursor_line.saturating_sub(inner.saturating_sub(2));
    let name = app.metadata.name.clone().unwrap_or_default();
    super::rollout_detail::scrolled_detail(
        frame,
        area,
        state,
        format!(" {name} · project {} ", row.project),
        lines,
        scroll,
        &[(Action::MarkResource, "mark"), (Action::Back, "close")],
    );
}

/// The app's sync windows: the verdict for a manual sync, then each active window.
fn window_lines(state: &State, row: &AppRow, theme: &Theme) -> Vec<Line<'static>> {
    let Some(read) = state
        .panes
        .apps
        .windows
        .as_ref()
        .filter(|w| w.app == row.name)
    else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    match (read.verdict(), &read.loaded) {
        (None, _) => lines.push(Line::from(vec![
            muted("windows ".into(), theme),
            muted("reading…".into(), theme),
        ])),
        (Some(Err(e)), _) => lines.push(Line::from(vec![
            muted("windows ".into(), theme),
            muted(format!("unknown: {e}"), theme),
        ])),
        (Some(Ok(verdict)), Some(Ok(windows))) => {
            let (mark, role) = if verdict.can_sync() {
                ("✔", Role::Ok)
            } else {
                ("✖", Role::Error)
            };
            lines.push(Line::from(vec![
                muted("windows ".into(), theme),
                Span::styled(format!("{mark} {}", verdict.sentence()), theme.style(role)),
            ]));
            for w in &windows.active {
                lines.push(Line::from(text(
                    format!("  active: {}", w.describe()),
                    theme,
                )));
            }
        }
        (Some(Ok(_)), _) => {}
    }
    lines
}

fn action_of(word: &str) -> Option<Action> {
    Some(match word {
        "sync" => Action::SyncApp,
        "refresh" => Action::RefreshApp,
        "rollback" => Action::RollbackApp,
        "terminate" => Action::TerminateOperation,
        _ => return None,
    })
}
