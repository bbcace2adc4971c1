//! The Kafka pane: topics (under-replicated and offline partitions marked and counted),
//! consumer groups (total and worst lag with a trend across refreshes) and brokers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph};

use crate::app::State;
use crate::app::panes::kafka::{KafkaPane, KafkaView, TopicPage};
use crate::keymap::Action;
use crate::model::kafka::{ConfigSource, GroupInfo, KafkaSnapshot, TopicInfo};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

/// Refreshes the trend column shows (the newest ones).
const TREND_WIDTH: u16 = 12;

fn latest(series: &[u64], n: usize) -> &[u64] {
    &series[series.len().saturating_sub(n)..]
}

const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A small trend line over the series' own range; a flat series stays flat (low when zero).
#[must_use]
pub fn sparkline(values: &[u64]) -> String {
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    if max == min {
        let level = if max == 0 { SPARK[0] } else { SPARK[3] };
        return std::iter::repeat_n(level, values.len()).collect();
    }
    let span = max - min;
    values
        .iter()
        .map(|v| {
            SPARK[usize::try_from((v - min).saturating_mul(7) / span)
                .unwrap_or(7)
                .min(7)]
        })
        .collect()
}

fn retention(ms: Option<i64>) -> String {
    match ms {
        None => "-".into(),
        Some(v) if v < 0 => "∞".into(),
        Some(v) if v % 86_400_000 == 0 => format!("{}d", v / 86_400_000),
        Some(v) if v % 3_600_000 == 0 => format!("{}h", v / 3_600_000),
        Some(v) => format!("{}m", v / 60_000),
    }
}

/// Fits the cleanup policy in its column: `compact,delete` is both.
fn cleanup(policy: Option<&str>) -> String {
    match policy {
        None => "-".into(),
        Some(p) if p.contains("compact") && p.contains("delete") => "both".into(),
        Some(p) => p.to_owned(),
    }
}

fn topic_cells(t: &TopicInfo, theme: &Theme) -> Vec<Cell<'static>> {
    let urp = if t.under_replicated > 0 {
        Cell::from(Span::styled(
            format!("▲ {}", t.under_replicated),
            theme.style(Role::Warn),
        ))
    } else {
        Cell::from("0")
    };
    let offline = if t.offline > 0 {
        Cell::from(Span::styled(
            format!("✗ {}", t.offline),
            theme.style(Role::Error),
        ))
    } else {
        Cell::from("0")
    };
    vec![
        Cell::from(t.name.clone()),
        Cell::from(t.partitions.len().to_string()),
        Cell::from(t.replication.to_string()),
        urp,
        offline,
        Cell::from(t.messages.to_string()),
        Cell::from(retention(t.retention_ms)),
        Cell::from(cleanup(t.cleanup_policy.as_deref())),
    ]
}

fn group_cells(g: &GroupInfo, pane: &KafkaPane, theme: &Theme) -> Vec<Cell<'static>> {
    let worst = g.max_lag_per_topic.iter().max_by_key(|(_, lag)| **lag);
    let lag_role = if g.total_lag > 1_000 {
        Role::Warn
    } else {
        Role::Text
    };
    vec![
        Cell::from(g.name.clone()),
        Cell::from(g.state.clone()),
        Cell::from(g.members.len().to_string()),
        Cell::from(Span::styled(g.total_lag.to_string(), theme.style(lag_role))),
        Cell::from(behind(g, pane)),
        Cell::from(worst.map_or_else(|| "-".into(), |(t, lag)| format!("{lag} {t}"))),
        Cell::from(Span::styled(
            sparkline(latest(
                &pane.history.series(&g.name),
                usize::from(TREND_WIDTH),
            )),
            theme.style(Role::Accent),
        )),
    ]
}

/// The keys each view names under its list: the ones that act on it, so the line fits 80
/// columns.
fn footer_hints(view: KafkaView) -> &'static [(Action, &'static str)] {
    match view {
        KafkaView::Groups => &[
            (Action::ToggleView, "topics/groups/brokers"),
            (Action::ResetOffsets, "reset"),
            (Action::SkipMessage, "skip"),
            (Action::PeekMessages, "peek"),
            (Action::DeleteSelected, "delete"),
        ],
        _ => &[
            (Action::ToggleView, "topics/groups/brokers"),
            (Action::ToggleInternal, "internal"),
            (Action::CreateTopic, "create"),
            (Action::DeleteSelected, "delete"),
            (Action::PeekMessages, "peek"),
        ],
    }
}

/// One broker's row. `DescribeCluster` names the controller; a cluster that does not answer
/// it leaves every row "unknown" rather than "no".
fn broker_cells(snapshot: &KafkaSnapshot, i: usize) -> Vec<Cell<'static>> {
    let b = &snapshot.brokers[i];
    let known = snapshot.brokers.iter().any(|b| b.controller);
    let controller = match (known, b.controller) {
        (_, true) => "★ yes",
        (true, false) => "no",
        (false, _) => "unknown",
    };
    vec![
        Cell::from(b.id.to_string()),
        Cell::from(format!("{}:{}", b.host, b.port)),
        Cell::from(controller),
    ]
}

/// How old the oldest unconsumed message was at the last refresh (`-`: nothing unconsumed
/// or not read).
fn behind(g: &GroupInfo, pane: &KafkaPane) -> String {
    match (g.oldest_unconsumed_ms, &pane.snapshot) {
        (Some(ms), Some(s)) => {
            let secs = (s.taken_at.as_millisecond() - ms).max(0) / 1000;
            #[expect(clippy::cast_precision_loss, reason = "seconds far below 2^52")]
            crate::model::kafka_time_lag::duration(secs as f64)
        }
        _ => "-".into(),
    }
}

/// The group detail's first line: the age of the oldest unconsumed message and where the
/// group is heading at the current rates.
fn time_lag_line(g: &GroupInfo, pane: &KafkaPane, now_ms: i64) -> String {
    use crate::model::kafka_time_lag::{CatchUp, age_words};
    let rates = pane.rates.get(&g.name).copied();
    let rate = rates.map_or(String::new(), |r| {
        format!(" (consume {:.1}/s, produce {:.1}/s)", r.consume, r.produce)
    });
    format!(
        "{} · {}{rate}",
        age_words(g.oldest_unconsumed_ms, now_ms),
        CatchUp::of(g.total_lag, rates).words()
    )
}

fn title(pane: &KafkaPane, snapshot: &KafkaSnapshot) -> String {
    let scope = if pane.scope.is_some() {
        " · scoped"
    } else {
        ""
    };
    format!(
        " Kafka · {} · {} topics · {} groups · {} brokers · {} under-replicated · {} offline{scope} ",
        pane.view.label(),
        snapshot.topics.len(),
        snapshot.groups.len(),
        snapshot.brokers.len(),
        snapshot.under_replicated(),
        snapshot.offline(),
    )
}

/// When the last refresh failed, the pane says so next to the data it keeps, with that
/// data's age: a dead broker must not pass for a quiet cluster.
fn trouble_note(state: &State, snapshot: &KafkaSnapshot) -> Option<Line<'static>> {
    let theme = &state.ui.theme;
    let age = |at: jiff::Timestamp| state.now.duration_since(at).as_secs().max(0);
    let (text, role) = match state.health.get(&crate::model::source::SourceId::Kafka)? {
        // The last good poll, not `taken_at`: an unchanged refresh keeps the older snapshot
        // (and its time), so that time overstated the age by as long as the data was quiet.
        crate::model::SourceHealth::Error {
            message, last_good, ..
        } => (
            format!(
                " ✗ {message} · showing data from {}s ago ",
                age(last_good.unwrap_or(snapshot.taken_at))
            ),
            Role::Error,
        ),
        crate::model::SourceHealth::Stale { reason, .. } => (
            format!(
                " ◐ stale: {reason} · data from {}s ago ",
                age(snapshot.taken_at)
            ),
            Role::Warn,
        ),
        _ => return None,
    };
    Some(Line::from(Span::styled(text, theme.style(role))))
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.kafka;
    let Some(snapshot) = pane.snapshot.clone() else {
        let why = match state.health.get(&crate::model::source::SourceId::Kafka) {
            Some(crate::model::SourceHealth::Error { message, .. }) => format!("✗ {message}"),
            Some(crate::model::SourceHealth::Off) => {
                super::setup::what_to_add(super::setup::Needs::Kafka, &state.context.name)
            }
            _ => "connecting…".into(),
        };
        super::notice(frame, area, theme, "Kafka", &why);
        return;
    };
    let hints = footer_hints(pane.view);
    let footer = Line::from(Span::styled(
        key_hints(&state.ui.keymap, state.view().key_contexts(), hints),
        theme.style(Role::Muted),
    ));
    let (columns, empty): (Vec<(&str, Constraint)>, &str) = match pane.view {
        KafkaView::Topics => (
            vec![
                ("TOPIC", Constraint::Fill(1)),
                ("PARTS", Constraint::Length(5)),
                ("RF", Constraint::Length(3)),
                ("URP", Constraint::Length(5)),
                ("OFFLINE", Constraint::Length(7)),
                ("MESSAGES", Constraint::Length(10)),
                ("RETAIN", Constraint::Length(6)),
                ("CLEANUP", Constraint::Length(7)),
            ],
            "no topics",
        ),
        KafkaView::Groups => (
            vec![
                ("GROUP", Constraint::Fill(3)),
                ("STATE", Constraint::Length(11)),
                ("MEMBERS", Constraint::Length(7)),
                ("LAG", Constraint::Length(9)),
                ("BEHIND", Constraint::Length(6)),
                ("WORST TOPIC", Constraint::Fill(2)),
                ("TREND", Constraint::Length(TREND_WIDTH)),
            ],
            "no consumer groups",
        ),
        KafkaView::Brokers => (
            vec![
                ("ID", Constraint::Length(6)),
                ("HOST", Constraint::Fill(1)),
                ("CONTROLLER", Constraint::Length(10)),
            ],
            "no brokers",
        ),
    };
    let [main, detail_area] = if (pane.detail.is_some() || pane.peek.is_some()) && area.height >= 14
    {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let view = TableView {
        title: title(pane, &snapshot),
        columns: &columns,
        empty,
        note: trouble_note(state, &snapshot),
        footer: Some(footer),
        sort_keys: &[],
    };
    data_table::render(frame, main, theme, &pane.table, &view, |v| {
        let i = pane.row_index(v);
        match pane.view {
            KafkaView::Topics => topic_cells(&snapshot.topics[i], theme),
            KafkaView::Groups => group_cells(&snapshot.groups[i], pane, theme),
            KafkaView::Brokers => broker_cells(&snapshot, i),
        }
    });
    if let Some(peek) = &pane.peek
        && detail_area.height > 0
    {
        super::kafka_peek::render(frame, detail_area, state, peek);
    } else if let Some(name) = &pane.detail
        && detail_area.height > 0
    {
        if pane.open_topic().is_some() && pane.topic_page == TopicPage::Configs {
            render_configs(frame, detail_area, state, name);
        } else if pane.open_topic().is_some() && pane.topic_page == TopicPage::Readers {
            render_readers(frame, detail_area, state, &snapshot, name);
        } else {
            render_detail(frame, detail_area, state, &snapshot, pane.view, name);
        }
    }
}

fn detail_hints(state: &State) -> String {
    key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::ToggleView, "partitions/configs/readers"),
            (Action::EditConfigs, "edit"),
            (Action::AddPartitions, "partitions"),
            (Action::Back, "close"),
        ],
    )
}

fn source_cell(source: ConfigSource) -> (&'static str, Role) {
    match source {
        ConfigSource::TopicOverride => ("● topic override", Role::Accent),
        ConfigSource::Broker => ("◆ broker", Role::Text),
        ConfigSource::Default => ("· default", Role::Muted),
        ConfigSource::Other => ("? other", Role::Muted),
    }
}

/// The open topic's configs: overrides first, then broker values, then defaults.
fn render_configs(frame: &mut Frame<'_>, area: Rect, state: &State, name: &str) {
    let theme = &state.ui.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!("{:<34} {:<24} SOURCE", "CONFIG", "VALUE"),
        theme.style(Role::TableHeader),
    ))];
    let mut overrides = 0;
    match state.panes.kafka.configs.as_ref().map(|c| &c.result) {
        None => lines.push(Line::from(Span::styled(
            "reading configs…",
            theme.style(Role::Muted),
        ))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            format!("✗ {e}"),
            theme.style(Role::Error),
        ))),
        Some(Ok(configs)) => {
            let mut sorted: Vec<_> = configs.iter().collect();
            sorted.sort_by_key(|c| {
                let rank = match c.source {
                    ConfigSource::TopicOverride => 0,
                    ConfigSource::Broker => 1,
                    ConfigSource::Default | ConfigSource::Other => 2,
                };
                (rank, c.name.as_str())
            });
            overrides = sorted
                .iter()
                .filter(|c| c.source == ConfigSource::TopicOverride)
                .count();
            let room = usize::from(area.height.saturating_sub(3));
            let shown = if sorted.len() > room {
                room.saturating_sub(1)
            } else {
                sorted.len()
            };
            for c in &sorted[..shown] {
                let (word, role) = source_cell(c.source);
                let value = c.value.as_deref().unwrap_or("(sensitive, hidden)");
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{:<34} {:<24} ", c.name, value),
                        theme.style(if c.source == ConfigSource::Default {
                            Role::Muted
                        } else {
                            Role::Text
                        }),
                    ),
                    Span::styled(word, theme.style(role)),
                ]));
            }
            if shown < sorted.len() {
                lines.push(Line::from(Span::styled(
                    format!("… {} more", sorted.len() - shown),
                    theme.style(Role::Muted),
                )));
            }
        }
    }
    let title = format!(" topic {name} · configs · overrides: {overrides} ");
    frame.render_widget(
        Paragraph::new(lines).block(detail_block(state, title)),
        area,
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "renders the panel's sections in order over one layout"
)]
fn render_detail(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    snapshot: &KafkaSnapshot,
    view: KafkaView,
    name: &str,
) {
    let theme = &state.ui.theme;
    let head = |text: &str| {
        Line::from(Span::styled(
            text.to_owned(),
            theme.style(Role::TableHeader),
        ))
    };
    let mut lines = Vec::new();
    let title = match view {
        KafkaView::Groups => {
            lines.push(head(
                "TOPIC                          PART  COMMITTED       HIGH        LAG  MEMBER",
            ));
            match snapshot.group(name) {
                Some(g) => {
                    let pane = &state.panes.kafka;
                    lines.insert(
                        0,
                        Line::from(Span::styled(
                            time_lag_line(g, pane, snapshot.taken_at.as_millisecond()),
                            theme.style(Role::Muted),
                        )),
                    );
                    for p in &g.lag {
                        let committed = p
                            .committed
                            .map_or_else(|| "no commit".to_owned(), |c| c.to_string());
                        let role = if p.lag > 0 { Role::Warn } else { Role::Text };
                        let member = member_words(g, p.member.as_deref());
                        lines.push(Line::from(vec![
                            Span::styled(
                                format!(
                                    "{:<30} {:>4} {:>10} {:>10} ",
                                    p.topic, p.partition, committed, p.high
                                ),
                                theme.style(Role::Text),
                            ),
                            Span::styled(format!("{:>10}", p.lag), theme.style(role)),
                            Span::styled(format!("  {member}"), theme.style(Role::Muted)),
                        ]));
                    }
                }
                None => lines.push(Line::from(Span::styled(
                    "this group is gone",
                    theme.style(Role::Muted),
                ))),
            }
            format!(" group {name} · lag per partition ")
        }
        _ => {
            lines.push(head(
                "PART  LEADER  REPLICAS        ISR             LOW         HIGH",
            ));
            match snapshot.topic(name) {
                Some(t) => {
                    for p in &t.partitions {
                        let list = |v: &[i32]| {
                            v.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(",")
                        };
                        let (mark, role) = if p.offline() {
                            ("✗ offline", Role::Error)
                        } else if p.under_replicated() {
                            ("▲ under-replicated", Role::Warn)
                        } else {
                            ("", Role::Text)
                        };
                        lines.push(Line::from(vec![
                            Span::styled(
                                format!(
                                    "{:>4} {:>7}  {:<15} {:<15} {:>10} {:>12} ",
                                    p.id,
                                    p.leader,
                                    list(&p.replicas),
                                    list(&p.isr),
                                    p.low,
                                    p.high
                                ),
                                theme.style(Role::Text),
                            ),
                            Span::styled(mark, theme.style(role)),
                        ]));
                    }
                    lines.push(Line::default());
                    let readers = snapshot.readers(name);
                    if readers.is_empty() {
                        lines.push(Line::from(vec![
                            Span::styled("read by  ", theme.style(Role::Muted)),
                            Span::styled("no consumer group", theme.style(Role::Text)),
                        ]));
                    } else {
                        lines.push(head(
                            "READ BY (most lag on this topic first)     LAG  STATE",
                        ));
                        for (g, lag) in readers {
                            lines.push(Line::from(Span::styled(
                                format!("{:<36} {:>8}  {}", g.name, lag, g.state),
                                theme.style(if lag > 0 { Role::Warn } else { Role::Text }),
                            )));
                        }
                    }
                }
                None => lines.push(Line::from(Span::styled(
                    "this topic is gone",
                    theme.style(Role::Muted),
                ))),
            }
            format!(" topic {name} · partitions ")
        }
    };
    frame.render_widget(
        Paragraph::new(lines).block(detail_block(state, title)),
        area,
    );
}

/// The open topic's readers page: each group that reads it with its total lag on it (most
/// first), its oldest unconsumed message and state; `▶` marks the one enter opens.
fn render_readers(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    snapshot: &KafkaSnapshot,
    name: &str,
) {
    let theme = &state.ui.theme;
    let pane = &state.panes.kafka;
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<34} {:>10} {:>7}  STATE",
            "GROUP", "LAG HERE", "BEHIND"
        ),
        theme.style(Role::TableHeader),
    ))];
    let readers = snapshot.readers(name);
    if readers.is_empty() {
        lines.push(Line::from(Span::styled(
            "no consumer group reads this topic",
            theme.style(Role::Muted),
        )));
    }
    let room = usize::from(area.height.saturating_sub(3));
    let first = pane.reader.saturating_sub(room.saturating_sub(1));
    for (i, (g, lag)) in readers.iter().enumerate().skip(first).take(room) {
        let mark = if i == pane.reader { "▶" } else { " " };
        let role = if i == pane.reader {
            Role::Selection
        } else if *lag > 0 {
            Role::Warn
        } else {
            Role::Text
        };
        lines.push(Line::from(Span::styled(
            format!(
                "{mark} {:<34} {:>10} {:>7}  {}",
                g.name,
                lag,
                behind(g, pane),
                g.state
            ),
            theme.style(role),
        )));
    }
    let title = format!(
        " topic {name} · read by {} group(s) · enter opens one ",
        readers.len()
    );
    frame.render_widget(
        Paragraph::new(lines).block(detail_block(state, title)),
        area,
    );
}

/// Who owns a partition: the member's client id and host (its id when they are empty). A
/// partition no assignment names, in a group with members whose assignments could not be
/// read (a non-consumer protocol, a broker that sends none), says so instead of `-`.
fn member_words(g: &GroupInfo, member: Option<&str>) -> String {
    if let Some(m) = member.and_then(|id| g.members.iter().find(|m| m.id == id)) {
        return member_label(m);
    }
    if let Some(id) = member {
        return id.to_owned();
    }
    if !g.members.is_empty() && g.members.iter().all(|m| m.assignment.is_empty()) {
        return match g.members.as_slice() {
            [only] => format!("{} (assignment not reported)", member_label(only)),
            many => format!("? {} members, assignment not reported", many.len()),
        };
    }
    "- unassigned".into()
}

fn member_label(m: &crate::model::kafka::GroupMember) -> String {
    match (m.client_id.is_empty(), m.host.is_empty()) {
        (false, false) => format!("{} {}", m.client_id, m.host.trim_start_matches('/')),
        (false, true) => m.client_id.clone(),
        _ => m.id.clone(),
    }
}

/// The detail's frame: its title on top, the keys that act on it at the bottom.
fn detail_block(state: &State, title: String) -> Block<'static> {
    let theme = &state.ui.theme;
    let hints = if state.panes.kafka.open_topic().is_some() {
        detail_hints(state)
    } else {
        key_hints(
            &state.ui.keymap,
            state.view().key_contexts(),
            &[
                (Action::ResetOffsets, "reset"),
                (Action::SkipMessage, "skip"),
                (Action::PeekMessages, "peek"),
                (Action::DeleteSelected, "delete if empty"),
                (Action::Back, "close"),
            ],
        )
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Line::from(Span::styled(hints, theme.style(Role::Muted))).right_aligned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_named_by_client_and_host_or_said_unknown() {
        use crate::model::kafka::GroupMember;
        let member = |id: &str, client: &str, host: &str, parts: Vec<i32>| GroupMember {
            id: id.into(),
            client_id: client.into(),
            host: host.into(),
            assignment: if parts.is_empty() {
                vec![]
            } else {
                vec![("t".into(), parts)]
            },
        };
        let g = |members| GroupInfo {
            members,
            ..GroupInfo::default()
        };
        let live = g(vec![member("m-1", "worker", "/10.0.0.7", vec![0])]);
        assert_eq!(member_words(&live, Some("m-1")), "worker 10.0.0.7");
        let tansu = g(vec![member("worker-9f", "", "", vec![])]);
        assert_eq!(
            member_words(&tansu, None),
            "worker-9f (assignment not reported)"
        );
        let two = g(vec![
            member("a", "", "", vec![]),
            member("b", "", "", vec![]),
        ]);
        assert_eq!(
            member_words(&two, None),
            "? 2 members, assignment not reported"
        );
        assert_eq!(member_words(&live, None), "- unassigned");
        assert_eq!(member_words(&g(vec![]), None), "- unassigned");
    }

    #[test]
    fn sparkline_scales_to_its_max() {
        assert_eq!(sparkline(&[0, 7, 14]), "▁▄█");
        assert_eq!(sparkline(&[5, 5]), "▄▄");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
