//! [`State`]: everything the screen shows, owned by the app task alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::ctx::{Ctx, Intent, Lent, Permits};
pub use super::panes::PaneId;
use super::panes::{Pane, Panes};
use super::table::TableState;
use crate::app::modal::form::Form;
use crate::app::modal::palette::PaletteState;
use crate::app::panes::catalog::card::CardState;
use crate::keymap::{KeyContext, Keymap};
use crate::model::SourceHealth;
use crate::model::source::SourceId;
use crate::theme::Theme;

/// Where the user is. History is a list of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Pane(PaneId),
    Card(CardState),
}

impl View {
    #[must_use]
    pub fn pane(&self) -> PaneId {
        match self {
            Self::Pane(p) => *p,
            Self::Card(_) => PaneId::Catalog,
        }
    }

    /// Keymap contexts searched for this view, most specific first.
    #[must_use]
    pub fn key_contexts(&self) -> &'static [KeyContext] {
        match self {
            Self::Pane(p) => p.key_contexts(),
            Self::Card(_) => &[KeyContext::Card, KeyContext::Global],
        }
    }

    /// Breadcrumb parts.
    #[must_use]
    pub fn crumbs(&self) -> Vec<String> {
        match self {
            Self::Pane(p) => vec![p.command().to_owned()],
            Self::Card(card) => vec![PaneId::Catalog.command().to_owned(), card.service.clone()],
        }
    }
}

/// Back/forward history of views, like a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    views: Vec<View>,
    index: usize,
}

impl History {
    /// At most this many views are remembered.
    const CAP: usize = 64;

    #[must_use]
    pub fn new(first: View) -> Self {
        Self {
            views: vec![first],
            index: 0,
        }
    }

    #[must_use]
    pub fn current(&self) -> &View {
        &self.views[self.index]
    }

    pub fn current_mut(&mut self) -> &mut View {
        &mut self.views[self.index]
    }

    /// Goes to a new view, dropping the forward part. Going to the current view is a no-op.
    pub fn push(&mut self, view: View) {
        if *self.current() == view {
            return;
        }
        self.views.truncate(self.index + 1);
        self.views.push(view);
        if self.views.len() > Self::CAP {
            self.views.remove(0);
        }
        self.index = self.views.len() - 1;
    }

    pub fn back(&mut self) -> bool {
        if self.index == 0 {
            return false;
        }
        self.index -= 1;
        true
    }

    pub fn forward(&mut self) -> bool {
        if self.index + 1 >= self.views.len() {
            return false;
        }
        self.index += 1;
        true
    }

    #[must_use]
    pub fn position(&self) -> (usize, usize) {
        (self.index + 1, self.views.len())
    }
}

/// Severity of a toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Info,
    Warn,
    Error,
}

/// A message shown until the next key press (no timers: idle means no frames), on the status
/// line or wrapped above it when longer; `:messages` keeps it after that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: ToastLevel,
    pub text: String,
}

/// What a one-line prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    /// Config changes of a topic (`key=value` sets, `-key` resets to the default).
    EditConfigs(String),
    /// A topic's new partition total.
    AddPartitions(String),
    /// A group's reset target and scope (`earliest orders:0`).
    ResetOffsets(String),
    /// The partition whose stuck message a group skips.
    SkipMessage(String),
    /// Where to peek (`topic:partition committed|@time|last N|offset`), from a group's
    /// commits when a group is named.
    PeekMessages(Option<String>),
    /// The history id an Argo CD app rolls back to.
    RollbackApp(String),
    /// The revision a workload goes back to (empty: the previous one).
    UndoRollout(crate::app::panes::rollouts::WorkloadKey),
    /// A workload's new replica count.
    ScaleWorkload(crate::app::panes::rollouts::WorkloadKey),
    /// The time the logs pane jumps to.
    JumpTime,
    /// The shortest trace the traces list shows.
    MinDuration,
    /// Which container, how far back, and previous logs, for the log source.
    LogOptions,
    /// The grace period of a pod's deletion (the pod pinned by its uid).
    DeletePod {
        namespace: String,
        name: String,
        uid: String,
    },
    /// Which Postgres sessions to mark (state and age, user, application).
    PgMarkWhere,
    /// The logs pane's time window (`@`).
    LogWindow,
    /// The traces pane's time window (`@`).
    TraceWindow,
    /// The traces pane's structured search (service, operation, tags, durations).
    TraceSearch,
    /// The logs pane's field predicate (`level=error duration_ms>500`).
    FieldFilter,
    /// The fields the logs pane shows as columns.
    FieldColumns,
    /// The format and path of a logs export.
    ExportLogs,
}

impl PromptPurpose {
    /// The pane that asked, and gets the answer.
    #[must_use]
    pub fn pane(&self) -> PaneId {
        match self {
            Self::EditConfigs(_)
            | Self::AddPartitions(_)
            | Self::ResetOffsets(_)
            | Self::SkipMessage(_)
            | Self::PeekMessages(_) => PaneId::Kafka,
            Self::RollbackApp(_) => PaneId::Apps,
            Self::UndoRollout(_) | Self::ScaleWorkload(_) => PaneId::Rollouts,
            Self::JumpTime
            | Self::LogOptions
            | Self::LogWindow
            | Self::FieldFilter
            | Self::FieldColumns
            | Self::ExportLogs => PaneId::Logs,
            Self::MinDuration | Self::TraceWindow | Self::TraceSearch => PaneId::Traces,
            Self::DeletePod { .. } => PaneId::Pods,
            Self::PgMarkWhere => PaneId::Postgres,
        }
    }
}

/// A one-line text prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub title: String,
    pub input: String,
    pub error: Option<String>,
    pub purpose: PromptPurpose,
    /// What to type, shown under the input.
    pub hint: String,
}

/// A dialog over the panes; keys go to it first.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Palette(PaletteState),
    Help {
        scroll: usize,
    },
    Form(Form),
    Prompt(Prompt),
    Confirm(Box<crate::app::modal::confirm::Confirm>),
    /// An approver's decision on a request, waiting for enter.
    Decide(Box<crate::app::modal::decide::Decide>),
    /// The `:tour` list; the index of the selected tour.
    Tours {
        selected: usize,
    },
    /// `:messages`: the message history; the first row shown.
    Messages {
        scroll: usize,
    },
    /// What a custom command with `mode = "capture"` printed.
    Output(Box<crate::app::custom::CommandOutput>),
}

/// The console's current environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts about the context; no two of them make a state"
)]
pub struct ContextInfo {
    pub name: String,
    pub production: bool,
    pub sandbox: bool,
    /// Every context the user can switch to.
    pub available: Vec<String>,
    /// Kafka brokers known in this context (the replication limit in forms).
    pub kafka_brokers: usize,
    /// A platform API is configured (requests and audit can work).
    pub platform: bool,
    /// Argo CD app actions go to an Argo CD API server.
    pub argo_api: bool,
    /// The context names no Argo CD (`argocd` unset, not the sandbox): the apps pane says
    /// what to add instead of "no applications".
    pub no_argocd: bool,
    /// The contexts marked production (the attention view marks their rows).
    pub production_contexts: Vec<String>,
    /// The alert labels that name a service, per context that configures its own.
    pub alert_labels: BTreeMap<String, Vec<String>>,
    /// The image of a debug container (config `debug_image`; empty: `busybox`).
    pub debug_image: String,
    /// Why `:logs <LogQL>` cannot run here (no Loki: pods or local files); `None`: it can.
    pub no_logql: Option<String>,
    /// The context's custom-command placeholders (`{context}`, `{brokers}`...).
    pub command_vars: crate::model::custom_command::Vars,
    /// Each configured database's DSN (no password), for `{dsn}`.
    pub dsns: BTreeMap<String, String>,
}

/// Appearance and key bindings in force.
#[derive(Debug, Clone)]
pub struct Ui {
    pub theme: Arc<Theme>,
    pub keymap: Arc<Keymap>,
    /// Names offered by `:theme`.
    pub theme_names: Vec<String>,
    /// The user's custom commands (`commands.toml`).
    pub commands: Arc<crate::commands::CustomCommands>,
}

/// The one owner of mutable state.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches of the console; no two of them make a state"
)]
pub struct State {
    /// Wall-clock time of the last message batch; rendering uses it instead of the clock.
    pub now: Timestamp,
    pub size: (u16, u16),
    pub history: History,
    pub context: ContextInfo,
    /// Bumped on every context switch; source events of older generations are dropped.
    pub generation: u64,
    pub user: String,
    pub scope: Option<String>,
    pub readonly: bool,
    /// Every pane's own state.
    pub panes: Panes,
    /// What RBAC allows in the current context's cluster.
    pub kube_access: super::kube_access::KubeAccess,
    /// Forms cancelled with esc, restored when reopened so typing is never lost.
    pub drafts: Vec<Form>,
    /// Actions sent to the audit gate and not answered yet.
    pub actions_in_flight: usize,
    /// The last action's report, shown in its pane.
    pub last_action: Option<super::msg::ActionReport>,
    /// The tour in progress.
    pub tour: Option<crate::tour::run::TourRun>,
    /// The tours on offer (`:tour`).
    pub tours: Arc<crate::tour::library::TourLibrary>,
    /// Saved progress of every tour.
    pub tour_progress: crate::tour::progress::ProgressMap,
    /// The `:logs`/`:traces` queries run, per context (saved in the data dir).
    pub query_history: crate::model::query_history::QueryHistory,
    /// Actions this console asked approval for, by request id (saved in the data dir).
    pub held_actions: crate::model::approvals::HeldActions,
    /// Tours may run actions outside the sandbox (`opsdeck tour --allow-writes`).
    pub tour_allow_writes: bool,
    pub health: BTreeMap<SourceId, SourceHealth>,
    /// Every other context, as its summary sources see it (the attention view).
    pub summaries: BTreeMap<String, crate::app::summary::ContextSummary>,
    pub modal: Option<Modal>,
    pub toast: Option<Toast>,
    /// Every toast of the session (`:messages`).
    pub messages: super::messages::Messages,
    pub debug: bool,
    /// Mouse events are taken (`--mouse`, config `mouse`; off by default): the terminal
    /// sends them only then, and the app ignores any that come otherwise.
    pub mouse: bool,
    pub frames: u64,
    pub ui: Ui,
    /// The first key of a two-key sequence, waiting for the second (`app::keyseq`).
    pub pending_key: Option<crate::keymap::KeyCombo>,
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

impl State {
    #[must_use]
    pub fn new(context: ContextInfo, user: String, ui: Ui, now: Timestamp) -> Self {
        Self {
            now,
            size: (80, 24),
            history: History::new(View::Pane(PaneId::Catalog)),
            context,
            generation: 1,
            user,
            scope: None,
            readonly: false,
            panes: Panes::default(),
            kube_access: super::kube_access::KubeAccess::default(),
            drafts: Vec::new(),
            actions_in_flight: 0,
            last_action: None,
            tour: None,
            tours: Arc::default(),
            tour_progress: crate::tour::progress::ProgressMap::new(),
            query_history: crate::model::query_history::QueryHistory::default(),
            held_actions: crate::model::approvals::HeldActions::new(),
            tour_allow_writes: false,
            health: BTreeMap::new(),
            summaries: BTreeMap::new(),
            modal: None,
            toast: None,
            messages: super::messages::Messages::default(),
            debug: false,
            mouse: false,
            frames: 0,
            ui,
            pending_key: None,
            quit: false,
            dirty: true,
        }
    }

    #[must_use]
    pub fn view(&self) -> &View {
        self.history.current()
    }

    /// The pane of the current view (the card belongs to the catalog).
    #[must_use]
    pub fn pane(&self) -> &dyn Pane {
        self.panes.get(self.view().pane())
    }

    pub fn pane_mut(&mut self) -> &mut dyn Pane {
        let id = self.view().pane();
        self.panes.get_mut(id)
    }

    /// The table of the current view, when it shows one (the card does not).
    #[must_use]
    pub fn active_table(&self) -> Option<&TableState> {
        match self.view() {
            View::Pane(_) => self.pane().table(),
            View::Card(_) => None,
        }
    }

    /// The pane of the current view when it shows a table.
    pub fn table_pane_mut(&mut self) -> Option<&mut dyn Pane> {
        match self.view() {
            View::Pane(_) if self.pane().table().is_some() => Some(self.pane_mut()),
            _ => None,
        }
    }

    pub fn active_table_mut(&mut self) -> Option<&mut TableState> {
        match self.view() {
            View::Pane(_) => self.pane_mut().table_mut(),
            View::Card(_) => None,
        }
    }

    /// The service the scope names, when the catalog has it (the incident view's).
    #[must_use]
    pub fn scoped_service(&self) -> Option<&crate::model::Service> {
        self.scope
            .as_deref()
            .and_then(|name| self.panes.catalog.catalog.service(name))
    }

    /// What the incident view reads: every pane's state, the sources' health, the time.
    #[must_use]
    pub fn seen(&self) -> crate::app::panes::incident::Seen<'_> {
        crate::app::panes::incident::Seen {
            panes: &self.panes,
            health: &self.health,
            now: self.now,
        }
    }

    /// Who acts and what they may do (views ask it to show why an action is off).
    #[must_use]
    pub fn permits(&self) -> Permits<'_> {
        Permits {
            readonly: self.readonly,
            user: &self.user,
            access: &self.kube_access,
        }
    }

    /// Lends the panes and a [`Ctx`] over the rest of the state to `f` (the router, which
    /// hands one pane and the `Ctx` to that pane's code); applies the toasts asked for and
    /// returns the intents for the router to carry out.
    pub fn lend<R>(&mut self, f: impl FnOnce(&mut Panes, &mut Ctx<'_>) -> R) -> (R, Vec<Intent>) {
        let catalog = Arc::clone(&self.panes.catalog.catalog);
        let catalog_loaded = self.panes.catalog.loaded;
        let Self {
            now,
            size,
            context,
            user,
            scope,
            readonly,
            panes,
            kube_access,
            health,
            modal,
            drafts,
            held_actions,
            ..
        } = self;
        let mut ctx = Ctx::new(Lent {
            now: *now,
            size: *size,
            context,
            user,
            scope: scope.as_deref(),
            readonly: *readonly,
            catalog,
            catalog_loaded,
            held_actions,
            health,
            kube_access,
            modal,
            drafts,
        });
        let out = f(panes, &mut ctx);
        let asked = ctx.finish();
        for (level, text) in asked.toasts {
            self.toast(level, text);
        }
        (out, asked.intents)
    }

    /// Shows a toast until the next key, and keeps it in the message history.
    pub fn toast(&mut self, level: ToastLevel, text: impl Into<String>) {
        let text = text.into();
        self.messages.push(self.now, level, &text);
        self.toast = Some(Toast { level, text });
    }
}
