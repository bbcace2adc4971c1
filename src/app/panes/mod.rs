//! The panes: one folder each, holding the pane's state and its update code, and the one
//! registration ([`panes!`]) that makes a pane part of the console.
//!
//! Every cross-pane operation (resize, back, cursor moves, context switch, the palette's
//! commands, help, tabs) loops over [`Panes`] or asks [`PaneId::info`]; none names a pane.
//! Adding a pane is one folder here (its state implementing [`Pane`], with a [`PaneInfo`]),
//! its view under `ui/panes/`, and one line in the [`panes!`] call below.

/// The accessors of a pane whose one table always shows (its `table` field).
macro_rules! always_table {
    () => {
        fn table(&self) -> Option<&$crate::app::table::TableState> {
            Some(&self.table)
        }

        fn table_mut(&mut self) -> Option<&mut $crate::app::table::TableState> {
            Some(&mut self.table)
        }
    };
}

/// The [`Pane`] methods a pane forwards to the same-named functions of its `actions`
/// module: `on_action` always, `focus` for panes other panes can point at.
macro_rules! delegate_to_actions {
    ($($method:ident),+) => {
        $(delegate_to_actions!(@one $method);)+
    };
    (@one on_action) => {
        fn on_action(
            &mut self,
            ctx: &mut $crate::app::ctx::Ctx<'_>,
            action: $crate::keymap::Action,
        ) -> Option<Vec<$crate::app::msg::Cmd>> {
            actions::on_action(self, ctx, action)
        }
    };
    (@one focus) => {
        fn focus(
            &mut self,
            ctx: &mut $crate::app::ctx::Ctx<'_>,
            focus: &$crate::app::ctx::Focus,
        ) -> Vec<$crate::app::msg::Cmd> {
            actions::focus(self, ctx, focus)
        }
    };
}

pub mod alerts;
pub mod apps;
pub mod attention;
pub mod audit;
pub mod catalog;
pub mod describe;
pub mod events;
pub mod forwards;
pub mod incident;
pub mod kafka;
pub mod logs;
pub mod oncall;
pub mod pods;
pub mod postgres;
pub mod requests;
pub mod rollouts;
pub mod silences;
pub mod traces;

use crossterm::event::KeyEvent;

use super::copy::{Copied, CopyKind};
use super::ctx::{Ctx, Focus};
use super::msg::Cmd;
use super::state::PromptPurpose;
use super::table::{SortKey, TableState};
use crate::keymap::{Action, KeyContext};
use crate::model::action::ActionRequest;

/// What the console knows of a pane without its state: names, title and key sections.
#[derive(Debug, Clone, Copy)]
pub struct PaneInfo {
    /// The palette command and tab label.
    pub command: &'static str,
    /// Other names the palette accepts.
    pub aliases: &'static [&'static str],
    pub title: &'static str,
    /// The keymap section of the pane's own keys (`[kafka]`).
    pub section: &'static str,
    /// The pane's own actions: what its section may bind and what the router lets reach
    /// [`Pane::on_action`] (with the global ones, and the `[table]` ones when `table`).
    pub actions: &'static [Action],
    /// The pane shows a table, so its views fall back to the `[table]` keys.
    pub table: bool,
    /// The keymap action that shows this pane from anywhere.
    pub goto: Action,
}

/// What every pane does the same way, so the router loops instead of naming panes. The
/// update methods get the pane's own state and a [`Ctx`]: a pane reads the shared facts and
/// asks for effects through it, and never writes another pane's state.
pub trait Pane {
    /// The pane's own keys, asked first while the pane shows: `None` for an action that is
    /// not the pane's, which then goes to the global keys (or nowhere).
    fn on_action(&mut self, _ctx: &mut Ctx<'_>, _action: Action) -> Option<Vec<Cmd>> {
        None
    }
    /// Another pane asked to show this one prepared for `focus` (always one of this
    /// pane's, [`Focus::pane`]).
    fn focus(&mut self, _ctx: &mut Ctx<'_>, _focus: &Focus) -> Vec<Cmd> {
        Vec::new()
    }
    /// The answer to one of the pane's prompts ([`PromptPurpose::pane`]); `Err` keeps the
    /// prompt open with the reason.
    fn on_prompt(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _purpose: &PromptPurpose,
        _input: &str,
    ) -> Result<Vec<Cmd>, String> {
        Ok(Vec::new())
    }
    /// An action went through the audit gate; every pane hears of every action.
    fn after_action(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _request: &ActionRequest,
        _succeeded: bool,
    ) -> Vec<Cmd> {
        Vec::new()
    }
    /// Keys go to the pane as text (a search being typed) instead of to the keymap.
    fn captures_keys(&self) -> bool {
        false
    }
    /// A key while [`Pane::captures_keys`].
    fn on_text_key(&mut self, _ctx: &mut Ctx<'_>, _key: KeyEvent) {}
    /// The table the pane shows now, if its current view is one.
    fn table(&self) -> Option<&TableState> {
        None
    }
    fn table_mut(&mut self) -> Option<&mut TableState> {
        None
    }
    /// The orders the table offers, in the order `s` cycles through them (the first is
    /// the default); none for a fixed order.
    fn sort_keys(&self) -> &'static [SortKey] {
        &[]
    }
    /// Re-applies filter and sort after either changed.
    fn refresh_view(&mut self) {}
    /// Re-applies the filter after only its text or mode changed; a pane with many rows
    /// answers from its table's kept order ([`TableState::refilter`]).
    fn refilter_view(&mut self) {
        self.refresh_view();
    }
    /// `esc`: closes what the pane has open over its list (a detail, a trace); true when it
    /// did, so `esc` goes no further.
    fn close(&mut self) -> bool {
        false
    }
    /// Moves the cursor of a view that is not the table (a tree, a detail); true when the
    /// pane took the move.
    fn move_other(&mut self, _delta: isize) -> bool {
        false
    }
    /// Sets the rows that fit on screen (learned from the layout).
    fn set_page(&mut self, page: usize) {
        for table in self.tables_mut() {
            table.page = page;
            table.scroll_into_view();
        }
    }
    /// Every table of the pane, shown or not, so a resize reaches all of them.
    fn tables_mut(&mut self) -> Vec<&mut TableState> {
        self.table_mut().into_iter().collect()
    }
    /// What `y` ([`CopyKind::Key`]: the selection's natural key) and `Y`
    /// ([`CopyKind::Row`]: the whole row) put on the clipboard, with the words the toast
    /// says; `None` when nothing is selected. [`crate::app::copy`] does the rest.
    fn copy_text(&self, _kind: CopyKind) -> Option<Copied> {
        None
    }
    /// Drops the data of the old context on a switch (view settings like the page stay).
    fn reset(&mut self);
    /// The custom commands' placeholders the selection gives (`{pod}`, `{topic}`...):
    /// what is under the cursor, or the detail that is open.
    fn command_vars(&self, _vars: &mut crate::model::custom_command::Vars) {}
}

/// A pod's placeholders: `{pod}`, `{namespace}` and the container a shell would pick.
pub fn pod_vars(
    pod: &crate::model::k8s::pod::PodFacts,
    vars: &mut crate::model::custom_command::Vars,
) {
    vars.set("pod", pod.name.as_str());
    vars.set("namespace", pod.namespace.as_str());
    if let Some(container) = crate::model::k8s::shell::shell_container(pod) {
        vars.set("container", container.name.as_str());
    }
}

/// Drops everything of a pane but the page size its table learned from the layout (a
/// context switch: the old context's rows, selection, filter and details all go).
pub(crate) fn reset_keeping_page<P: Pane + Default>(pane: &mut P) {
    let kept = pane.table().map(|t| t.page);
    *pane = P::default();
    if let (Some(kept), Some(table)) = (kept, pane.table_mut()) {
        table.page = kept;
    }
}

/// The `@` prompt of the logs and traces panes, prefilled with the current window.
#[must_use]
pub fn window_prompt(
    purpose: crate::app::state::PromptPurpose,
    which: &str,
    current: Option<crate::model::window::TimeWindow>,
) -> crate::app::state::Prompt {
    crate::app::state::Prompt {
        title: format!("time window of the {which}"),
        input: current.map(crate::model::window::TimeWindow::input).unwrap_or_default(),
        error: None,
        purpose,
        hint: "15m, 1h, 24h, 7d, or FROM..TO (2026-12-07 10:00..11:00, RFC 3339; UTC); empty: the default".into(),
    }
}

/// The answer to a window prompt: empty (or `default`) goes back to the source's default.
///
/// # Errors
/// What is wrong with the window typed.
pub fn parse_window_input(
    input: &str,
    now: jiff::Timestamp,
) -> Result<Option<crate::model::window::TimeWindow>, String> {
    let input = input.trim();
    if input.is_empty() || input == "default" {
        return Ok(None);
    }
    crate::model::window::TimeWindow::parse(input, now)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Puts a pane's cursor on data row `row`, clearing a filter that hides it.
pub fn select_row(pane: &mut dyn Pane, row: usize) {
    let Some(table) = pane.table_mut() else {
        return;
    };
    if !table.select_row(row) {
        table.filter.clear();
        pane.refresh_view();
        if let Some(table) = pane.table_mut() {
            table.select_row(row);
        }
    }
}

/// Declares the panes once: the [`PaneId`] enum in tab order, the [`Panes`] collection, and
/// the dispatch from one to the other.
macro_rules! panes {
    ($($variant:ident => $field:ident: $ty:ty { $($info:tt)* }),* $(,)?) => {
        /// The panes of the console, in tab order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum PaneId {
            $($variant),*
        }

        impl PaneId {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// Names, title and key sections of the pane.
            #[must_use]
            pub fn info(self) -> &'static PaneInfo {
                match self {
                    $(Self::$variant => {
                        const INFO: PaneInfo = PaneInfo { $($info)* };
                        &INFO
                    }),*
                }
            }

            /// Keymap sections searched while the pane shows, most specific first.
            #[must_use]
            pub fn key_contexts(self) -> &'static [KeyContext] {
                match self {
                    $(Self::$variant => {
                        const WITH_TABLE: &[KeyContext] = &[
                            KeyContext::Pane(PaneId::$variant),
                            KeyContext::Table,
                            KeyContext::Global,
                        ];
                        const WITHOUT: &[KeyContext] =
                            &[KeyContext::Pane(PaneId::$variant), KeyContext::Global];
                        if self.info().table { WITH_TABLE } else { WITHOUT }
                    }),*
                }
            }
        }

        /// The state of every pane.
        #[derive(Debug, Clone, Default)]
        pub struct Panes {
            $(pub $field: $ty),*
        }

        impl Panes {
            #[must_use]
            pub fn get(&self, id: PaneId) -> &dyn Pane {
                match id {
                    $(PaneId::$variant => &self.$field),*
                }
            }

            pub fn get_mut(&mut self, id: PaneId) -> &mut dyn Pane {
                match id {
                    $(PaneId::$variant => &mut self.$field),*
                }
            }

            /// Every pane, in tab order.
            pub fn all_mut(&mut self) -> Vec<&mut dyn Pane> {
                vec![$(&mut self.$field as &mut dyn Pane),*]
            }
        }
    };
}

panes! {
    Catalog => catalog: catalog::CatalogPane {
        command: "svc",
        aliases: &["services", "service", "catalog", "cat"],
        title: "Services",
        section: "catalog",
        actions: catalog::actions::ACTIONS,
        table: true,
        goto: Action::PaneCatalog,
    },
    Apps => apps: apps::AppsPane {
        command: "apps",
        aliases: &["app", "argo", "argocd", "applications"],
        title: "Argo CD apps",
        section: "apps",
        actions: apps::actions::ACTIONS,
        table: true,
        goto: Action::PaneApps,
    },
    Rollouts => rollouts: rollouts::RolloutsPane {
        command: "rollouts",
        aliases: &["rollout", "ro", "deploy", "deployments"],
        title: "Rollouts",
        section: "rollouts",
        actions: rollouts::actions::ACTIONS,
        table: true,
        goto: Action::PaneRollouts,
    },
    Kafka => kafka: kafka::KafkaPane {
        command: "kafka",
        aliases: &["topics", "topic", "groups", "kf"],
        title: "Kafka",
        section: "kafka",
        actions: kafka::actions::ACTIONS,
        table: true,
        goto: Action::PaneKafka,
    },
    Postgres => postgres: postgres::PostgresPane {
        command: "pg",
        aliases: &["postgres", "db", "sessions", "locks"],
        title: "Postgres",
        section: "pg",
        actions: postgres::actions::ACTIONS,
        table: true,
        goto: Action::PanePostgres,
    },
    Logs => logs: logs::LogsPane {
        command: "logs",
        aliases: &["log"],
        title: "Logs",
        section: "logs",
        actions: logs::actions::ACTIONS,
        table: true,
        goto: Action::PaneLogs,
    },
    Traces => traces: traces::TracesPane {
        command: "traces",
        aliases: &["trace", "tr"],
        title: "Traces",
        section: "traces",
        actions: traces::actions::ACTIONS,
        table: true,
        goto: Action::PaneTraces,
    },
    Requests => requests: requests::RequestsPane {
        command: "requests",
        aliases: &["request", "req", "reqs"],
        title: "Requests",
        section: "requests",
        actions: requests::actions::ACTIONS,
        table: true,
        goto: Action::PaneRequests,
    },
    Audit => audit: audit::AuditPane {
        command: "audit",
        aliases: &["trail"],
        title: "Audit",
        section: "audit",
        actions: audit::actions::ACTIONS,
        table: true,
        goto: Action::PaneAudit,
    },
    Incident => incident: incident::IncidentState {
        command: "incident",
        aliases: &["inc"],
        title: "Incident",
        section: "incident",
        actions: incident::actions::ACTIONS,
        table: false,
        goto: Action::PaneIncident,
    },
    Alerts => alerts: alerts::AlertsPane {
        command: "alerts",
        aliases: &["alert", "al", "alertmanager"],
        title: "Alerts",
        section: "alerts",
        actions: alerts::actions::ACTIONS,
        table: true,
        goto: Action::PaneAlerts,
    },
    Attention => attention: attention::AttentionPane {
        command: "fire",
        aliases: &["attention", "onfire", "everywhere", "0"],
        title: "On fire everywhere",
        section: "attention",
        actions: attention::actions::ACTIONS,
        table: true,
        goto: Action::PaneAttention,
    },
    Silences => silences: silences::SilencesPane {
        command: "silences",
        aliases: &["silence", "sil"],
        title: "Silences",
        section: "silences",
        actions: silences::actions::ACTIONS,
        table: true,
        goto: Action::PaneSilences,
    },
    Pods => pods: pods::PodsPane {
        command: "pods",
        aliases: &["pod", "po"],
        title: "Pods",
        section: "pods",
        actions: pods::actions::ACTIONS,
        table: true,
        goto: Action::PanePods,
    },
    Events => events: events::EventsPane {
        command: "events",
        aliases: &["ev", "warnings"],
        title: "Warning events",
        section: "events",
        actions: events::actions::ACTIONS,
        table: true,
        goto: Action::PaneEvents,
    },
    Describe => describe: describe::DescribePane {
        command: "describe",
        aliases: &["yaml"],
        title: "Describe",
        section: "describe",
        actions: describe::actions::ACTIONS,
        table: false,
        goto: Action::PaneDescribe,
    },
    Oncall => oncall: oncall::OncallPane {
        command: "oncall",
        aliases: &["on-call", "rota", "pager"],
        title: "On call",
        section: "oncall",
        actions: oncall::actions::ACTIONS,
        table: true,
        goto: Action::PaneOncall,
    },
    Forwards => forwards: forwards::ForwardsPane {
        command: "forwards",
        aliases: &["pf", "portforward", "fwd"],
        title: "Port-forwards",
        section: "forwards",
        actions: forwards::actions::ACTIONS,
        table: true,
        goto: Action::PaneForwards,
    },
}

impl PaneId {
    /// The palette command and tab label.
    #[must_use]
    pub fn command(self) -> &'static str {
        self.info().command
    }

    /// Other names the palette accepts.
    #[must_use]
    pub fn aliases(self) -> &'static [&'static str] {
        self.info().aliases
    }

    #[must_use]
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// Looks a pane up by command or alias.
    #[must_use]
    pub fn from_command(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.command() == word || p.aliases().contains(&word))
    }
}
