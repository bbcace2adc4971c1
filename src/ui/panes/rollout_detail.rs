//! One workload in detail, like `kubectl argo rollouts get rollout`: status and message,
//! Argo CD's health of the same object, any field that could not be read, strategy, step,
//! weights, replicas and images; why it is stuck; the tree (revision →
//! ReplicaSet → pods, canary steps with the current one marked, blue-green services, analysis
//! runs, recent Warning events) drawn with branches; and every action with its key, or the
//! reason it is not offered, and for a Deployment where opsdeck's restart rule deliberately
//! differs from Argo CD's. Up and down scroll.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::apps::{role, since};
use crate::app::State;
use crate::app::panes::rollouts::WorkloadEntry;
use crate::keymap::Action;
use crate::model::k8s::{KindIcon, TreeNode};
use crate::theme::{Role, Theme};

/// Trees longer than this are cut (a workload with hundreds of pods).
const MAX_NODES: usize = 400;

fn head(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        text.to_owned(),
        theme.style(Role::TableHeader),
    ))
}

fn muted(text: String, theme: &Theme) -> Span<'static> {
    Span::styled(text, theme.style(Role::Muted))
}

fn text(text: String, theme: &Theme) -> Span<'static> {
    Span::styled(text, theme.style(Role::Text))
}

/// The branch drawing before each node: `├──`, `└──`, with `│  ` for open ancestors.
#[must_use]
pub fn branches(nodes: &[TreeNode]) -> Vec<String> {
    // Whether a later sibling follows at `depth` before the tree climbs above it.
    let continues = |from: usize, depth: usize| -> bool {
        nodes[from + 1..]
            .iter()
            .take_while(|n| n.depth >= depth)
            .any(|n| n.depth == depth)
    };
    nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            if node.depth == 0 {
                return String::new();
            }
            let mut prefix = String::new();
            for level in 1..node.depth {
                // The ancestor at `level` is the last node before `i` with that depth.
                let ancestor = nodes[..i].iter().rposition(|n| n.depth == level);
                let open = ancestor.is_some_and(|a| continues(a, level));
                prefix.push_str(if open { "│  " } else { "   " });
            }
            prefix.push_str(if continues(i, node.depth) {
                "├──"
            } else {
                "└──"
            });
            prefix
        })
        .collect()
}

fn action_of(word: &str) -> Option<Action> {
    Some(match word {
        "promote" => Action::Promote,
        "promote-full" => Action::PromoteFull,
        "abort" => Action::AbortRollout,
        "retry" => Action::RetryRollout,
        "pause" => Action::PauseRollout,
        "resume" => Action::ResumeRollout,
        "restart" => Action::RestartWorkload,
        "undo" => Action::UndoRollout,
        "scale" => Action::ScaleWorkload,
        "skip-step" => Action::SkipStep,
        _ => return None,
    })
}

/// The actions as lines: the offered ones with their keys on one line, then each refused one
/// with its reason. Shared with the app detail.
pub(super) fn action_lines(
    state: &State,
    actions: &[(&'static str, Option<String>)],
    key_of: impl Fn(&str) -> Option<Action>,
) -> Vec<Line<'static>> {
    let theme = &state.ui.theme;
    let contexts = state.view().key_contexts();
    let keymap = &state.ui.keymap;
    let key = |word: &str| {
        key_of(word)
            .and_then(|a| keymap.key_for(contexts, a))
            .map_or_else(String::new, |k| format!("{k} "))
    };
    let offered: Vec<String> = actions
        .iter()
        .filter(|(_, why)| why.is_none())
        .map(|(word, _)| format!("{}{word}", key(word)))
        .collect();
    let mut lines = vec![head("ACTIONS", theme)];
    if !offered.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("✓ ".to_owned(), theme.style(Role::Ok)),
            text(offered.join(" · "), theme),
        ]));
    }
    for (word, why) in actions {
        if let Some(why) = why {
            lines.push(Line::from(vec![
                Span::styled(format!("✗ {}{word}", key(word)), theme.style(Role::Muted)),
                muted(format!(" — {why}"), theme),
            ]));
        }
    }
    lines
}

fn tree_lines(state: &State, nodes: &[TreeNode], room: usize) -> Vec<Line<'static>> {
    let theme = &state.ui.theme;
    let nodes = &nodes[..nodes.len().min(MAX_NODES)];
    let prefixes = branches(nodes);
    // The pod tab selected for the pod keys is marked with `>` (readable without colour).
    let chosen = state.panes.rollouts.tree_pod.as_deref();
    let labels: Vec<String> = nodes
        .iter()
        .zip(&prefixes)
        .map(|(n, p)| {
            let mark = if n.icon == KindIcon::Pod && chosen == Some(n.name.as_str()) {
                ">"
            } else {
                ""
            };
            format!("{p}{mark}{} {}", n.icon.glyph(), n.name)
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(56)
        // Leave the kind, status and age columns on screen.
        .min(room.saturating_sub(36).max(16));
    nodes
        .iter()
        .zip(labels)
        .map(|(n, label)| {
            let label = crate::ui::text::fit(&label, width);
            let mut spans = vec![
                text(format!("{label:<width$}  "), theme),
                muted(format!("{:<11} ", n.kind), theme),
            ];
            match &n.status {
                Some(status) => spans.push(Span::styled(
                    format!("{:<18} ", status.to_string()),
                    theme.style(role(status)),
                )),
                None => spans.push(text(format!("{:<18} ", ""), theme)),
            }
            spans.push(muted(format!("{:>4} ", since(state, n.time)), theme));
            spans.push(text(n.info.join(","), theme));
            Line::from(spans)
        })
        .collect()
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, entry: &WorkloadEntry) {
    let theme = &state.ui.theme;
    let r = &entry.row;
    let mut lines = vec![Line::from(vec![
        muted("status ".into(), theme),
        Span::styled(r.status.to_string(), theme.style(role(&r.status))),
        text(format!("  {}", r.message), theme),
    ])];
    // Argo CD may judge the same object differently (e.g. Suspended for Paused).
    let health = &r.argocd_health;
    let mut argo = vec![
        muted("argo cd ".into(), theme),
        Span::styled(
            health.label().to_string(),
            theme.style(role(&health.label())),
        ),
    ];
    if !health.message.is_empty() {
        argo.push(text(format!("  {}", health.message), theme));
    }
    lines.push(Line::from(argo));
    for note in &r.notes {
        lines.push(Line::from(Span::styled(
            format!("⚠ {note}"),
            theme.style(Role::Warn),
        )));
    }
    let mut facts = format!("strategy {}", r.strategy.as_str());
    if let Some((n, m)) = r.step {
        let _ = write!(facts, " · step {n}/{m}");
    }
    if let Some(set) = r.set_weight {
        let _ = write!(
            facts,
            " · weight set {set} actual {}",
            r.actual_weight
                .map_or_else(|| "-".into(), |a| a.to_string())
        );
    }
    lines.push(Line::from(muted(facts, theme)));
    lines.push(Line::from(muted(
        format!(
            "replicas desired {} updated {} ready {} available {}",
            r.desired, r.updated, r.ready, r.available
        ),
        theme,
    )));
    lines.push(Line::from(muted(
        format!("images {}", r.images.join(", ")),
        theme,
    )));
    if !entry.stuck.is_empty() {
        lines.push(head("STUCK", theme));
        for s in &entry.stuck {
            lines.push(Line::from(vec![
                Span::styled(format!("⚠ {}", s.message), theme.style(Role::Warn)),
                muted(format!("  ({})", s.object), theme),
            ]));
        }
    }
    lines.push(head("TREE", theme));
    let room = usize::from(area.width.saturating_sub(2));
    lines.extend(tree_lines(state, &state.panes.rollouts.detail_tree, room));
    let actions = crate::app::panes::rollouts::actions::enablement(
        &state.panes.rollouts,
        state.permits(),
        entry,
    );
    lines.extend(action_lines(state, &actions, action_of));
    if r.kind == crate::model::k8s::RowKind::Deployment {
        lines.push(head("RESTART · OPSDECK DIFFERS FROM ARGO CD", theme));
        for rule in crate::model::k8s::enablement::RESTART_DIFFERS_FROM_ARGO_CD {
            lines.push(Line::from(muted(format!("• {rule}"), theme)));
        }
    }
    let inner = area.height.saturating_sub(2) as usize;
    let scroll = state
        .panes
        .rollouts
        .detail_scroll
        .min(lines.len().saturating_sub(inner));
    scrolled_detail(
        frame,
        area,
        state,
        format!(" {} {}/{} ", r.kind.as_str(), r.namespace, r.name),
        lines,
        scroll,
        detail_hints(state),
    );
}

/// The detail's key hints; with a pod chosen (tab), its first-aid keys too.
fn detail_hints(state: &State) -> &'static [(Action, &'static str)] {
    if state.panes.rollouts.tree_pod.is_some() {
        &[
            (Action::NextPod, "pod"),
            (Action::Shell, "shell"),
            (Action::DebugPod, "debug"),
            (Action::PortForward, "forward"),
            (Action::DeletePod, "delete"),
            (Action::Back, "close"),
        ]
    } else {
        &[
            (Action::Down, "scroll"),
            (Action::NextPod, "pod"),
            (Action::Back, "close"),
        ]
    }
}

/// A bordered detail view of `lines` from line `scroll` on, with its title and the key hints
/// of `hints` (from the active keymap) in the bottom border. Shared by the app and rollout
/// details.
pub(super) fn scrolled_detail(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    title: String,
    lines: Vec<Line<'static>>,
    scroll: usize,
    hints: &[(Action, &str)],
) {
    let theme = &state.ui.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(
            Line::from(muted(
                crate::ui::text::key_hints(&state.ui.keymap, state.view().key_contexts(), hints),
                theme,
            ))
            .right_aligned(),
        );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::KindIcon;

    fn node(depth: usize) -> TreeNode {
        TreeNode {
            depth,
            icon: KindIcon::Pod,
            kind: "Pod".into(),
            name: "p".into(),
            status: None,
            info: Vec::new(),
            time: None,
        }
    }

    #[test]
    fn branches_close_the_last_sibling_and_keep_open_ancestors() {
        let nodes: Vec<TreeNode> = [0, 1, 2, 3, 1, 2].into_iter().map(node).collect();
        assert_eq!(
            branches(&nodes),
            vec!["", "├──", "│  └──", "│     └──", "└──", "   └──"]
        );
    }
}
