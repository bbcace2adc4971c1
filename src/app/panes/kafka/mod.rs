//! State of the Kafka pane: the latest cluster snapshot, which view is shown (topics,
//! consumer groups, brokers), internal topics on or off, the lag trend per group, and the
//! open topic's configs (read on demand).

pub mod actions;
pub mod first_aid;

use crate::model::custom_command::Vars;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{RowKey, TableState};
use crate::model::kafka::{KafkaSnapshot, LagHistory, TopicConfig};

/// Which list the pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KafkaView {
    #[default]
    Topics,
    Groups,
    Brokers,
}

impl KafkaView {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Topics => Self::Groups,
            Self::Groups => Self::Brokers,
            Self::Brokers => Self::Topics,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Topics => "topics",
            Self::Groups => "consumer groups",
            Self::Brokers => "brokers",
        }
    }
}

/// Which part of an open topic is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicPage {
    #[default]
    Partitions,
    Configs,
    /// The groups that read it, by their lag on it; enter opens one.
    Readers,
}

/// One topic's configs as last read (`Err`: why they could not be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedConfigs {
    pub topic: String,
    pub result: Result<Vec<TopicConfig>, String>,
}

impl LoadedConfigs {
    /// The topic's own overrides, the keys an edit starts from.
    #[must_use]
    pub fn overrides(&self) -> Vec<&TopicConfig> {
        self.result.as_ref().map_or_else(
            |_| Vec::new(),
            |list| {
                list.iter()
                    .filter(|c| c.source == crate::model::kafka::ConfigSource::TopicOverride)
                    .collect()
            },
        )
    }
}

/// The Kafka side of a service scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaScope {
    pub topics: Vec<String>,
    pub groups: Vec<String>,
}

/// The Kafka pane.
#[derive(Debug, Clone, Default)]
pub struct KafkaPane {
    pub snapshot: Option<Arc<KafkaSnapshot>>,
    pub view: KafkaView,
    pub show_internal: bool,
    pub history: LagHistory,
    pub table: TableState,
    /// Topics and groups of the scoped service, when a scope is set.
    pub scope: Option<KafkaScope>,
    /// The topic or group opened with enter (by name, so it survives refreshes).
    pub detail: Option<String>,
    pub topic_page: TopicPage,
    /// The open topic's configs; `None` while they load.
    pub configs: Option<LoadedConfigs>,
    /// Each group's consume and produce rates between the last two snapshots.
    pub rates: std::collections::BTreeMap<String, crate::model::kafka_time_lag::GroupRates>,
    /// The cursor in the open topic's readers page.
    pub reader: usize,
    /// The last peek at messages, shown under the list until closed.
    pub peek: Option<first_aid::PeekView>,
    haystacks: Vec<String>,
    /// Indices into the snapshot's list of the current view, before filter and sort.
    rows: Vec<usize>,
}

impl KafkaPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<KafkaSnapshot>) {
        if let Some(prev) = &self.snapshot
            && snapshot.taken_at > prev.taken_at
        {
            self.rates = crate::model::kafka_time_lag::rates(prev, &snapshot);
        }
        self.history.record(&snapshot);
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    pub fn reset(&mut self) {
        let page = self.table.page;
        *self = Self::default();
        self.table.page = page;
    }

    /// Enter: open the selected topic's partitions or the selected group's lag. Returns the
    /// topic whose configs must be read.
    pub fn open_detail(&mut self) -> Option<String> {
        let (Some(snapshot), Some(i)) = (&self.snapshot, self.selected()) else {
            return None;
        };
        self.detail = match self.view {
            KafkaView::Topics => snapshot.topics.get(i).map(|t| t.name.clone()),
            KafkaView::Groups => snapshot.groups.get(i).map(|g| g.name.clone()),
            KafkaView::Brokers => None,
        };
        self.configs = None;
        self.open_topic().map(str::to_owned)
    }

    /// The topic whose detail is open.
    #[must_use]
    pub fn open_topic(&self) -> Option<&str> {
        self.detail
            .as_deref()
            .filter(|_| self.view == KafkaView::Topics)
    }

    /// Closes the detail and any peek; `false` when neither was open.
    pub fn close_detail(&mut self) -> bool {
        let peeked = self.peek.take().is_some();
        self.configs = None;
        self.detail.take().is_some() || peeked
    }

    /// The selected topic: the open one, else the one under the cursor.
    #[must_use]
    pub fn target_topic(&self) -> Option<String> {
        if let Some(t) = self.open_topic() {
            return Some(t.to_owned());
        }
        let snapshot = self.snapshot.as_ref()?;
        (self.view == KafkaView::Topics)
            .then(|| self.selected())
            .flatten()
            .and_then(|i| snapshot.topics.get(i))
            .map(|t| t.name.clone())
    }

    /// Tab inside an open topic: partitions ⇄ configs.
    pub fn next_topic_page(&mut self) {
        self.topic_page = match self.topic_page {
            TopicPage::Partitions => TopicPage::Configs,
            TopicPage::Configs => TopicPage::Readers,
            TopicPage::Readers => TopicPage::Partitions,
        };
        self.reader = 0;
    }

    /// Stores configs read for `topic` if it is still the open one.
    pub fn set_configs(&mut self, topic: String, result: Result<Vec<TopicConfig>, String>) -> bool {
        if self.open_topic() != Some(topic.as_str()) {
            return false;
        }
        self.configs = Some(LoadedConfigs { topic, result });
        true
    }

    pub fn next_view(&mut self) {
        self.close_detail();
        self.view = self.view.next();
        self.table = self.table.emptied();
        self.refresh_view();
    }

    pub fn toggle_internal(&mut self) {
        self.show_internal = !self.show_internal;
        self.refresh_view();
    }

    /// The data row under the cursor (an index into the current view's snapshot list).
    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        self.table
            .selected_row()
            .and_then(|i| self.rows.get(i).copied())
    }

    /// Indices into the current view's list, in display order.
    #[must_use]
    pub fn row_index(&self, visible: usize) -> usize {
        self.rows[visible]
    }
}

impl Pane for KafkaPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(topic) = self.target_topic() {
            vars.set("topic", topic);
        }
        if let Some(group) = first_aid::target_group(self) {
            vars.set("group", group.name);
        }
    }

    /// `y`: the open topic or group, else the selected topic, group or broker; `Y` that
    /// row's cells.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let snapshot = self.snapshot.as_ref()?;
        let (what, name) = match (self.view, self.detail.as_deref()) {
            (KafkaView::Groups, Some(group)) => ("group", group.to_owned()),
            (_, Some(topic)) => ("topic", topic.to_owned()),
            (KafkaView::Topics, None) => {
                ("topic", snapshot.topics.get(self.selected()?)?.name.clone())
            }
            (KafkaView::Groups, None) => {
                ("group", snapshot.groups.get(self.selected()?)?.name.clone())
            }
            (KafkaView::Brokers, None) => {
                let broker = snapshot.brokers.get(self.selected()?)?;
                let address = format!("{}:{}", broker.host, broker.port);
                return Some(match kind {
                    CopyKind::Key => Copied::key("broker", &address),
                    CopyKind::Row => Copied::row(
                        "broker",
                        &address,
                        &[
                            broker.id.to_string(),
                            address.clone(),
                            broker.controller.to_string(),
                        ],
                    ),
                });
            }
        };
        if kind == CopyKind::Key {
            return Some(Copied::key(what, &name));
        }
        if what == "topic" {
            let topic = snapshot.topic(&name)?;
            return Some(Copied::row(
                what,
                &name,
                &[
                    topic.name.clone(),
                    topic.partitions.len().to_string(),
                    topic.replication.to_string(),
                    topic.under_replicated.to_string(),
                    topic.messages.to_string(),
                    topic.cleanup_policy.clone().unwrap_or_default(),
                ],
            ));
        }
        let group = snapshot.groups.iter().find(|g| g.name == name)?;
        Some(Copied::row(
            what,
            &name,
            &[
                group.name.clone(),
                group.state.clone(),
                group.members.len().to_string(),
                group.total_lag.to_string(),
            ],
        ))
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        actions::on_prompt(self, ctx, purpose, input)
    }

    fn after_action(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        request: &crate::model::action::ActionRequest,
        succeeded: bool,
    ) -> Vec<crate::app::msg::Cmd> {
        actions::after_action(self, ctx, request, succeeded)
    }

    always_table!();

    fn refresh_view(&mut self) {
        let Some(snapshot) = self.snapshot.clone() else {
            self.rows.clear();
            self.haystacks.clear();
            self.table.set_rows(Vec::new(), |_| RowKey::new());
            return;
        };
        let scope = self.scope.as_ref();
        let topic_in_scope = |name: &str| scope.is_none_or(|s| s.topics.iter().any(|n| n == name));
        let group_in_scope = |name: &str| scope.is_none_or(|s| s.groups.iter().any(|n| n == name));
        let (rows, haystacks): (Vec<usize>, Vec<String>) = match self.view {
            KafkaView::Topics => snapshot
                .topics
                .iter()
                .enumerate()
                .filter(|(_, t)| (self.show_internal || !t.internal) && topic_in_scope(&t.name))
                .map(|(i, t)| (i, t.name.to_lowercase()))
                .unzip(),
            KafkaView::Groups => snapshot
                .groups
                .iter()
                .enumerate()
                .filter(|(_, g)| group_in_scope(&g.name))
                .map(|(i, g)| (i, format!("{} {}", g.name, g.state).to_lowercase()))
                .unzip(),
            KafkaView::Brokers => snapshot
                .brokers
                .iter()
                .enumerate()
                .map(|(i, b)| (i, format!("{} {}", b.id, b.host)))
                .unzip(),
        };
        self.rows = rows;
        self.haystacks = haystacks;
        // Worst first: the lists are ordered by what needs attention.
        let rows = &self.rows;
        let view = self.view;
        let key = |v: usize| match view {
            KafkaView::Topics => snapshot.topics[rows[v]].name.clone(),
            KafkaView::Groups => snapshot.groups[rows[v]].name.clone(),
            KafkaView::Brokers => snapshot.brokers[rows[v]].id.to_string(),
        };
        self.table.rebuild(&self.haystacks, key, |a, b| match view {
            KafkaView::Topics => {
                let (x, y) = (&snapshot.topics[rows[a]], &snapshot.topics[rows[b]]);
                (std::cmp::Reverse(x.offline + x.under_replicated), &x.name)
                    .cmp(&(std::cmp::Reverse(y.offline + y.under_replicated), &y.name))
            }
            KafkaView::Groups => {
                let (x, y) = (&snapshot.groups[rows[a]], &snapshot.groups[rows[b]]);
                (std::cmp::Reverse(x.total_lag), &x.name)
                    .cmp(&(std::cmp::Reverse(y.total_lag), &y.name))
            }
            KafkaView::Brokers => snapshot.brokers[rows[a]]
                .id
                .cmp(&snapshot.brokers[rows[b]].id),
        });
    }

    /// Esc closes the peek first, then the detail under it.
    fn close(&mut self) -> bool {
        self.peek.take().is_some() || self.close_detail()
    }

    fn reset(&mut self) {
        Self::reset(self);
    }
}

/// Ctrl-D: deleting the selected topic or empty group, with its name typed to confirm.
pub fn ask_delete(pane: &KafkaPane, ctx: &mut crate::app::ctx::Ctx<'_>) {
    use crate::app::modal::confirm::{Confirm, NoteLevel};
    use crate::app::state::ToastLevel;
    use crate::model::action::ActionRequest;
    let (Some(snapshot), Some(i)) = (pane.snapshot.clone(), pane.selected()) else {
        return;
    };
    let confirm = match pane.view {
        KafkaView::Topics => {
            let t = &snapshot.topics[i];
            if t.internal {
                ctx.toast(
                    ToastLevel::Warn,
                    format!("{} is internal to Kafka: not deleted", t.name),
                );
                return;
            }
            let readers: Vec<&str> = snapshot
                .groups
                .iter()
                .filter(|g| g.max_lag_per_topic.contains_key(&t.name))
                .map(|g| g.name.as_str())
                .collect();
            let details = vec![
                ("topic".to_owned(), t.name.clone()),
                (
                    "holds".to_owned(),
                    format!(
                        "{} messages in {} partitions",
                        t.messages,
                        t.partitions.len()
                    ),
                ),
                (
                    "read by".to_owned(),
                    if readers.is_empty() {
                        "no consumer group".into()
                    } else {
                        readers.join(", ")
                    },
                ),
            ];
            Confirm::new(
                ActionRequest::DeleteTopic {
                    name: t.name.clone(),
                },
                format!("delete topic {}?", t.name),
                details,
            )
            .with_note(
                NoteLevel::Warn,
                "every message in it is lost; this cannot be undone",
            )
        }
        KafkaView::Groups => {
            let g = &snapshot.groups[i];
            if !g.members.is_empty() {
                let n = g.members.len();
                ctx.toast(
                    ToastLevel::Warn,
                    format!(
                        "{} has {n} members: only empty groups can be deleted",
                        g.name
                    ),
                );
                return;
            }
            let details = vec![
                ("group".to_owned(), g.name.clone()),
                ("lag".to_owned(), g.total_lag.to_string()),
            ];
            Confirm::new(
                ActionRequest::DeleteGroup {
                    group: g.name.clone(),
                },
                format!("delete group {}?", g.name),
                details,
            )
            .with_note(NoteLevel::Warn, "its committed offsets are lost")
        }
        KafkaView::Brokers => return,
    };
    ctx.confirm(confirm);
}
