//! Kafka first aid from the pane: reset a group's offsets (`R`), skip the message a group is
//! stuck on (`s`), and peek at a partition's messages (`m`).
//!
//! - reset and skip: a prompt (`<target> [<topic>[:<partition>]]`, as
//!   `kafka-consumer-groups --reset-offsets`) → the plan read from the cluster (refused while
//!   the group has members) → the confirmation showing the plan per partition → the gate, one
//!   intent with the plan in its params; a policy that wants approval makes it a request;
//! - peek: a prompt (`topic:partition` and where to start) → the gate (its own action kind,
//!   so policy can deny reading data) → the messages under the list, `v` cycling how values
//!   show, `↑`/`↓` moving between messages, `esc` closing.

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::kafka::{KafkaPane, KafkaView};
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::model::action::ActionRequest;
use crate::model::kafka::GroupInfo;
use crate::model::kafka_peek::{PeekFrom, PeekResult, ValueView};
use crate::model::kafka_reset::{self, ResetScope, ResetTarget};

/// Rows of a plan shown in the confirmation (the audit keeps all of them).
const PLAN_ROWS: usize = 12;

/// The messages of the last peek, and how they are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekView {
    pub read: Result<PeekResult, String>,
    pub view: ValueView,
    /// The message shown in full.
    pub selected: usize,
}

impl PeekView {
    #[must_use]
    pub fn new(read: Result<PeekResult, String>) -> Self {
        Self {
            read,
            view: ValueView::Auto,
            selected: 0,
        }
    }

    /// Moves the selection by `by` messages, within the list.
    pub fn step(&mut self, by: isize) {
        let n = self.read.as_ref().map_or(0, |r| r.messages.len());
        self.selected = self
            .selected
            .saturating_add_signed(by)
            .min(n.saturating_sub(1));
    }
}

/// The group the keys act on: the open one, else the one under the cursor.
pub(super) fn target_group(kafka: &KafkaPane) -> Option<GroupInfo> {
    let snapshot = kafka.snapshot.as_ref()?;
    if kafka.view != KafkaView::Groups {
        return None;
    }
    match &kafka.detail {
        Some(name) => snapshot.group(name).cloned(),
        None => kafka
            .selected()
            .and_then(|i| snapshot.groups.get(i))
            .cloned(),
    }
}

/// `topic:partition` of the group's partition with the most lag.
fn worst_partition(g: &GroupInfo) -> Option<String> {
    g.lag
        .iter()
        .max_by_key(|l| (l.lag, std::cmp::Reverse((&l.topic, l.partition))))
        .map(|l| format!("{}:{}", l.topic, l.partition))
}

/// Refuses early, from the snapshot, what the cluster would refuse anyway (the plan checks
/// the group's state again).
fn inactive_or_say(ctx: &mut Ctx<'_>, g: &GroupInfo) -> bool {
    match kafka_reset::check_inactive(&g.name, &g.state, g.members.len()) {
        Ok(()) => true,
        Err(why) => {
            ctx.toast(ToastLevel::Warn, why);
            false
        }
    }
}

fn probe(group: &str, target: ResetTarget) -> ActionRequest {
    ActionRequest::ResetGroupOffsets {
        group: group.to_owned(),
        scope: ResetScope::AllTopics,
        target,
        plan: Vec::new(),
    }
}

/// `R`: the reset prompt for the selected group.
pub fn ask_reset(kafka: &KafkaPane, ctx: &mut Ctx<'_>) {
    let Some(g) = target_group(kafka) else {
        ctx.toast(
            ToastLevel::Info,
            "select a consumer group first (tab to groups)",
        );
        return;
    };
    if ctx.refused(&probe(&g.name, ResetTarget::Earliest)) || !inactive_or_say(ctx, &g) {
        return;
    }
    ctx.prompt(Prompt {
        title: format!("reset offsets of {}", g.name),
        input: String::new(),
        error: None,
        purpose: PromptPurpose::ResetOffsets(g.name.clone()),
        hint: "earliest | latest | offset N | shift ±N | time 2026-12-07T01:00:00Z, then \
               topic or topic:partition (none: every topic); the plan comes first"
            .into(),
    });
}

/// `s`: skip the message the selected group is stuck on, on its worst partition.
pub fn ask_skip(kafka: &KafkaPane, ctx: &mut Ctx<'_>) {
    let Some(g) = target_group(kafka) else {
        ctx.toast(
            ToastLevel::Info,
            "select a consumer group first (tab to groups)",
        );
        return;
    };
    if ctx.refused(&probe(&g.name, ResetTarget::Skip)) || !inactive_or_say(ctx, &g) {
        return;
    }
    ctx.prompt(Prompt {
        title: format!("skip the stuck message of {}", g.name),
        input: worst_partition(&g).unwrap_or_default(),
        error: None,
        purpose: PromptPurpose::SkipMessage(g.name.clone()),
        hint: "topic:partition; its offset moves to committed + 1 (plan first)".into(),
    });
}

/// `m`: peek at the selected group's worst partition from its commit, or at the selected
/// topic's last messages.
pub fn ask_peek(kafka: &KafkaPane, ctx: &mut Ctx<'_>) {
    let (input, group) = if let Some(g) = target_group(kafka) {
        let place = worst_partition(&g).unwrap_or_default();
        (format!("{place} committed"), Some(g.name))
    } else if let Some(topic) = kafka.target_topic() {
        (format!("{topic}:0 last 20"), None)
    } else {
        ctx.toast(ToastLevel::Info, "select a topic or a consumer group first");
        return;
    };
    ctx.prompt(Prompt {
        title: "peek at messages (read-only, audited)".into(),
        input,
        error: None,
        purpose: PromptPurpose::PeekMessages(group),
        hint: "topic:partition, then committed | offset | @2026-12-07T01:00:00Z | last N".into(),
    });
}

/// A first-aid prompt was answered.
#[must_use]
pub fn on_prompt(
    kafka: &KafkaPane,
    purpose: &PromptPurpose,
    input: &str,
) -> Option<Result<Vec<Cmd>, String>> {
    Some(match purpose {
        PromptPurpose::ResetOffsets(group) => {
            kafka_reset::parse_request(input).map(|(target, scope)| {
                vec![Cmd::PlanReset {
                    group: group.clone(),
                    scope,
                    target,
                }]
            })
        }
        PromptPurpose::SkipMessage(group) => {
            kafka_reset::parse_request(&format!("skip {}", input.trim())).map(|(target, scope)| {
                vec![Cmd::PlanReset {
                    group: group.clone(),
                    scope,
                    target,
                }]
            })
        }
        PromptPurpose::PeekMessages(group) => {
            let committed = |topic: &str, partition: i32| {
                let snapshot = kafka.snapshot.as_ref()?;
                let g = snapshot.group(group.as_deref()?)?;
                g.lag
                    .iter()
                    .find(|l| l.topic == topic && l.partition == partition)
                    .and_then(|l| l.committed)
            };
            crate::model::kafka_peek::parse_request(input, committed).map(
                |(topic, partition, from)| {
                    vec![Cmd::Peek {
                        request: ActionRequest::PeekMessages {
                            topic,
                            partition,
                            from,
                            group: group
                                .clone()
                                .filter(|_| matches!(from, PeekFrom::Offset { .. })),
                        },
                        reason: "kafka.messages.read from the opsdeck console".into(),
                    }]
                },
            )
        }
        _ => return None,
    })
}

/// The plan came back: the confirmation with it, or why there is none.
pub fn on_reset_planned(
    ctx: &mut Ctx<'_>,
    group: &str,
    result: Result<ActionRequest, String>,
) -> Vec<Cmd> {
    let request = match result {
        Ok(r) => r,
        Err(why) => {
            ctx.toast(ToastLevel::Error, format!("no reset of {group}: {why}"));
            return Vec::new();
        }
    };
    let ActionRequest::ResetGroupOffsets {
        scope,
        target,
        plan,
        ..
    } = &request
    else {
        return Vec::new();
    };
    let (n, before, after, clamped) = kafka_reset::totals(plan);
    let mut details = vec![
        ("scope".to_owned(), scope.words()),
        (
            "lag".to_owned(),
            format!("{before} → {after} over {n} partition(s)"),
        ),
        (
            "PARTITION".to_owned(),
            format!("{:>9} → {:<9} {:>7} → LAG AFTER", "COMMITTED", "NEW", "LAG"),
        ),
    ];
    for r in plan.iter().take(PLAN_ROWS) {
        let current = r
            .current
            .map_or_else(|| "none".to_owned(), |c| c.to_string());
        let clamp = r
            .clamped
            .map_or(String::new(), |c| format!(" ({})", c.words()));
        details.push((
            format!("{}:{}", r.topic, r.partition),
            format!(
                "{current:>9} → {:<9} {:>7} → {}{clamp}",
                r.new, r.lag_before, r.lag_after
            ),
        ));
    }
    if n > PLAN_ROWS {
        details.push((
            "…".into(),
            format!("{} more partitions (all in the audit)", n - PLAN_ROWS),
        ));
    }
    let title = if *target == ResetTarget::Skip {
        format!("skip the stuck message of {group}?")
    } else {
        format!("reset {group} {}?", target.words())
    };
    let mut confirm = Confirm::new(request.clone(), title, details).with_note(
        NoteLevel::Warn,
        "the group must stay stopped until this is done; it re-reads or skips messages",
    );
    if clamped > 0 {
        confirm = confirm.with_note(
            NoteLevel::Info,
            format!(
                "{clamped} offset(s) clamped into the log's range, as kafka-consumer-groups does"
            ),
        );
    }
    ctx.confirm(confirm);
    Vec::new()
}

/// Keys on an open topic's readers page: `↑`/`↓` choose a group, enter opens it (its lag
/// per partition, where `R`, `s` and `m` act on it); `None` lets the key through.
pub fn on_readers_key(kafka: &mut KafkaPane, action: crate::keymap::Action) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    if kafka.topic_page != crate::app::panes::kafka::TopicPage::Readers {
        return None;
    }
    let topic = kafka.open_topic()?.to_owned();
    let snapshot = kafka.snapshot.clone()?;
    let readers = snapshot.readers(&topic);
    match action {
        Action::Up => kafka.reader = kafka.reader.saturating_sub(1),
        Action::Down => kafka.reader = (kafka.reader + 1).min(readers.len().saturating_sub(1)),
        Action::Select => {
            let (group, _) = readers.get(kafka.reader)?;
            let name = group.name.clone();
            kafka.close_detail();
            while kafka.view != KafkaView::Groups {
                kafka.next_view();
            }
            if let Some(index) = snapshot.groups.iter().position(|g| g.name == name)
                && let Some(v) = (0..kafka.table.visible.len())
                    .find(|&v| kafka.row_index(kafka.table.visible[v]) == index)
            {
                kafka.table.select(v);
            }
            kafka.detail = Some(name);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Keys while a peek is shown; `None` lets the key through.
pub fn on_peek_key(kafka: &mut KafkaPane, action: crate::keymap::Action) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    let peek = kafka.peek.as_mut()?;
    match action {
        Action::ValueView => peek.view = peek.view.next(),
        Action::Up => peek.step(-1),
        Action::Down => peek.step(1),
        Action::PageUp => peek.step(-10),
        Action::PageDown => peek.step(10),
        _ => return None,
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_selection_stays_in_the_list() {
        let mut p = PeekView::new(Err("x".into()));
        p.step(3);
        assert_eq!(p.selected, 0);
        let r = PeekResult {
            topic: "t".into(),
            partition: 0,
            from: PeekFrom::Last { n: 2 },
            start: 0,
            low: 0,
            high: 2,
            messages: vec![
                crate::model::kafka_peek::PeekMessage {
                    partition: 0,
                    offset: 0,
                    timestamp: None,
                    key: None,
                    headers: vec![],
                    value: None,
                    value_len: 0,
                };
                2
            ],
            note: None,
        };
        let mut p = PeekView::new(Ok(r));
        p.step(5);
        assert_eq!(p.selected, 1);
        p.step(-9);
        assert_eq!(p.selected, 0);
    }
}
