//! The pods view: kubectl's columns (READY, STATUS, RESTARTS with the last restart's age),
//! the last termination in words (`OOMKilled (exit 137)`), age, and at 120 columns the node
//! and images; the selected pod's containers underneath.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::pods::{SORT_KEYS, attention};
use crate::keymap::Action;
use crate::model::k8s::{ContainerState, PodFacts};
use crate::model::text::short_age;
use crate::theme::Role;
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

fn age(state: &State, at: Option<jiff::Timestamp>) -> String {
    at.map_or_else(
        || "-".into(),
        |t| short_age(state.now.duration_since(t).as_secs()),
    )
}

/// The status word with a glyph that says the same for `NO_COLOR` users.
fn status(pod: &PodFacts) -> (String, Role) {
    let (glyph, role) = match attention(pod) {
        0 => ("✖", Role::Error),
        1 => ("◌", Role::Warn),
        2 => ("⚠", Role::Warn),
        _ => ("✔", Role::Ok),
    };
    (format!("{glyph} {}", pod.status_word), role)
}

fn restarts(state: &State, pod: &PodFacts) -> String {
    match (pod.restarts, pod.last_restart) {
        (0, _) | (_, None) => pod.restarts.to_string(),
        (n, Some(t)) => format!("{n} ({} ago)", age(state, Some(t))),
    }
}

fn last_termination(pod: &PodFacts) -> String {
    pod.last_termination()
        .map_or_else(|| "-".into(), |(_, t)| t.words())
}

fn container_line(pod: &PodFacts) -> String {
    let parts: Vec<String> = pod
        .containers
        .iter()
        .map(|c| {
            let state = match &c.state {
                ContainerState::Running { .. } if c.ready => "running, ready".to_owned(),
                ContainerState::Running { .. } => "running, not ready".to_owned(),
                ContainerState::Waiting { reason, .. } => format!("waiting: {reason}"),
                ContainerState::Terminated(t) => format!("terminated: {}", t.words()),
                ContainerState::Unknown => "no status".to_owned(),
            };
            let last = c
                .last
                .as_ref()
                .map(|t| format!(", last {}", t.words()))
                .unwrap_or_default();
            let kind = if c.init { "init " } else { "" };
            format!(
                "{kind}{} ({}): {state}, {} restarts{last}",
                c.name, c.image, c.restarts
            )
        })
        .collect();
    parts.join(" · ")
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.pods;
    if pane.snapshot.is_none() {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Kube,
            "Pods",
            super::setup::Needs::Kubernetes,
            "connecting…",
        );
        return;
    }
    let wide = area.width >= 120;
    let mut columns: Vec<(&str, Constraint)> = vec![
        ("NAME", Constraint::Fill(2)),
        ("READY", Constraint::Length(5)),
        ("STATUS", Constraint::Length(18)),
        ("RESTARTS", Constraint::Length(if wide { 12 } else { 8 })),
        ("LAST TERMINATION", Constraint::Length(20)),
        ("AGE", Constraint::Length(4)),
    ];
    if wide {
        columns.push(("NODE", Constraint::Length(10)));
        columns.push(("IMAGES", Constraint::Fill(1)));
    }
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::Select, "describe"),
            (Action::Shell, "shell"),
            (Action::DebugPod, "debug"),
            (Action::PortForward, "forward"),
            (Action::DeletePod, "delete"),
            (Action::Back, "back"),
        ],
    );
    let bad = pane.failing();
    let note =
        super::kind_error_note(pane.health.as_ref(), theme).filter(|_| !pane.pods.is_empty());
    let empty = super::empty_or_error(pane.health.as_ref(), "no pods");
    let view = TableView {
        title: format!(
            " {} · {} pods · {bad} failing ",
            pane.focus.title(),
            pane.pods.len()
        ),
        columns: &columns,
        empty: &empty,
        note,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
        sort_keys: &SORT_KEYS,
    };
    let [table_area, detail_area] = super::list_and_detail(area, false, 40);
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let pod = &pane.pods[i];
        let (word, role) = status(pod);
        let mut cells = vec![
            Cell::from(pane.short_name(pod).to_owned()),
            Cell::from(format!("{}/{}", pod.ready, pod.total)),
            Cell::from(Span::styled(word, theme.style(role))),
            Cell::from(if wide {
                restarts(state, pod)
            } else {
                pod.restarts.to_string()
            }),
            Cell::from(Span::styled(
                last_termination(pod),
                theme.style(
                    if pod
                        .last_termination()
                        .is_some_and(|(_, t)| t.exit_code != 0)
                    {
                        Role::Warn
                    } else {
                        Role::Text
                    },
                ),
            )),
            Cell::from(age(state, pod.created)),
        ];
        if wide {
            cells.push(Cell::from(pod.node.clone()));
            cells.push(Cell::from(pod.images()));
        }
        cells
    });
    selected_pod(frame, detail_area, state);
}

/// The selected pod's containers, under the table.
fn selected_pod(frame: &mut Frame<'_>, detail_area: Rect, state: &State) {
    let theme = &state.ui.theme;
    if detail_area.height > 0
        && let Some(pod) = state.panes.pods.selected()
    {
        let mut text = container_line(pod);
        if let Some(m) = &pod.unschedulable {
            text = format!("unschedulable: {m} · {text}");
        }
        super::selected_summary(
            frame,
            detail_area,
            theme,
            format!(
                " {} · {} · node {} ",
                pod.name,
                pod.namespace,
                if pod.node.is_empty() { "-" } else { &pod.node }
            ),
            text,
        );
    }
}
