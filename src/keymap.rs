//! Key bindings as data: the [`Action`] enum, key parsing, and loading of `keymaps/*.toml`.
//!
//! Shipped keymaps are compiled in. A user file with the same name in the config dir's
//! `keymaps/` folder overrides only the actions it names; a key the user gives to one action
//! is taken away from whichever action had it by default in that context. Help is generated
//! from the active table, so hints always match the bindings. A section binds only the
//! actions its views handle ([`KeyContext::accepts`]): global ones anywhere, cursor, filter
//! and sort keys where there is a table, and each pane's own actions in its own section.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use crate::app::panes::PaneId;
use crate::diagnostic::Diagnostic;

/// Shipped keymaps, compiled in: `(name, file contents)`.
pub const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../keymaps/default.toml")),
    ("vim", include_str!("../keymaps/vim.toml")),
    ("emacs", include_str!("../keymaps/emacs.toml")),
];

macro_rules! actions {
    ($( $variant:ident = $name:literal, $dangerous:literal, $desc:literal; )*) => {
        /// Everything a key can do. The serde name is what keymap files use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Action { $( $variant, )* }

        impl Action {
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The name used in keymap files and in help.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// One line for the help screen.
            #[must_use]
            pub fn description(self) -> &'static str {
                match self { $( Action::$variant => $desc, )* }
            }

            /// Dangerous actions mutate something and vanish under `--readonly`.
            #[must_use]
            pub fn is_dangerous(self) -> bool {
                match self { $( Action::$variant => $dangerous, )* }
            }
        }

        impl FromStr for Action {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $( $name => Ok(Action::$variant), )* _ => Err(()) }
            }
        }
    };
}

actions! {
    Quit = "quit", false, "quit opsdeck";
    Help = "help", false, "show help for this pane and the global keys";
    Palette = "palette", false, "open the : command palette";
    Filter = "filter", false, "filter the table (/ text, ! inverts, tab cycles mode)";
    Back = "back", false, "close, clear the filter, or go back";
    HistoryBack = "history_back", false, "previous view in history";
    HistoryForward = "history_forward", false, "next view in history";
    SwitchContext = "switch_context", false, "switch to another context (environment)";
    Refresh = "refresh", false, "refresh the current pane's sources now";
    ToggleDebug = "toggle_debug", false, "show or hide the debug overlay (frame counter)";
    Suspend = "suspend", false, "suspend to the shell (fg to resume)";
    Copy = "copy", false, "copy the selected row's key: name, id, query (OSC 52)";
    CopyRow = "copy_row", false, "copy the whole row, or the object as JSON/YAML (OSC 52)";
    PaneCatalog = "pane_catalog", false, "go to the service catalog";
    PaneApps = "pane_apps", false, "go to Argo CD apps";
    PaneRollouts = "pane_rollouts", false, "go to rollouts";
    PaneKafka = "pane_kafka", false, "go to Kafka";
    PanePostgres = "pane_pg", false, "go to Postgres";
    PaneLogs = "pane_logs", false, "go to logs";
    PaneTraces = "pane_traces", false, "go to traces";
    PaneRequests = "pane_requests", false, "go to self-service requests";
    PaneAudit = "pane_audit", false, "go to the audit trail";
    PaneIncident = "pane_incident", false, "go to the incident view";
    PaneAlerts = "pane_alerts", false, "go to the alerts";
    PaneSilences = "pane_silences", false, "go to the silences";
    PaneAttention = "pane_attention", false, "go to what is on fire in every context";
    Up = "up", false, "move up";
    Down = "down", false, "move down";
    PageUp = "page_up", false, "page up";
    PageDown = "page_down", false, "page down";
    Top = "top", false, "go to the first row";
    Bottom = "bottom", false, "go to the last row";
    Select = "select", false, "open the selected row";
    Expand = "expand", false, "expand the selected node";
    Collapse = "collapse", false, "collapse the selected node";
    SortNext = "sort_next", false, "sort by the next column";
    SortPrev = "sort_prev", false, "sort by the previous column";
    SortReverse = "sort_reverse", false, "reverse the sort order";
    Scope = "scope", false, "scope every pane to the selected service";
    ClearScope = "clear_scope", false, "clear the scope (all services)";
    NewTopicRequest = "new_topic_request", true, "request a new Kafka topic (form)";
    NewReplicaRequest = "new_replica_request", true, "request a read replica (form)";
    Approve = "approve", true, "approve the selected request (approvers)";
    Reject = "reject", true, "reject the selected request with a reason (approvers)";
    ToggleQueue = "toggle_queue", false, "switch between my requests and the approval queue";
    RunApproved = "run_approved", true, "run the selected approved action (asked from this console)";
    VerifyChain = "verify_chain", false, "verify the audit hash chain";
    ToggleView = "toggle_view", false, "switch view (sessions/tree; topics/groups/brokers; partitions/configs)";
    NextDatabase = "next_database", false, "list this context's databases (enter shows one)";
    Freeze = "freeze", false, "freeze or thaw the snapshot while you read it";
    FasterRefresh = "faster_refresh", false, "refresh more often (down to 0.5 s)";
    SlowerRefresh = "slower_refresh", false, "refresh less often (up to 10 s)";
    CancelQuery = "cancel_query", true, "cancel the selected session's statement (audited)";
    TerminateBackend = "terminate_backend", true, "terminate the selected backend (audited)";
    ToggleInternal = "toggle_internal", false, "show or hide internal topics (__*)";
    DeleteSelected = "delete", true, "delete the selected topic or empty group (type its name)";
    CreateTopic = "create_topic", true, "create a topic (plan first; a request when policy needs approval)";
    EditConfigs = "edit_configs", true, "change the selected topic's configs (diff before confirming)";
    AddPartitions = "add_partitions", true, "add partitions to the selected topic";
    ResetOffsets = "reset_offsets", true, "reset the selected group's offsets (plan first; group must be inactive)";
    SkipMessage = "skip_message", true, "skip the message the selected group is stuck on (committed + 1)";
    PeekMessages = "peek_messages", false, "read messages of a partition, read-only (from the commit, a time, or the last N)";
    ValueView = "value_view", false, "show peeked values as auto (JSON/text/hex), text or hex";
    SyncApp = "sync", true, "sync the app (only the marked resources, if any)";
    SyncPrune = "sync_prune", true, "sync and prune resources no longer in git";
    RefreshApp = "refresh_app", true, "refresh: compare the app with git again";
    HardRefresh = "hard_refresh", true, "hard refresh: regenerate manifests, then compare";
    RollbackApp = "rollback", true, "roll the app back to a history id (not under auto-sync)";
    TerminateOperation = "terminate_operation", true, "terminate the app's running operation";
    MarkResource = "mark", false, "mark or unmark a resource for a selective sync";
    AppDiff = "app_diff", false, "diff the app: live against desired, per resource (Argo CD API server)";
    Promote = "promote", true, "promote the rollout to its next step";
    PromoteFull = "promote_full", true, "promote fully: skip the remaining steps and analysis";
    AbortRollout = "abort", true, "abort the update: back to the stable version";
    RetryRollout = "retry", true, "retry an aborted rollout";
    PauseRollout = "pause", true, "pause the rollout or deployment";
    ResumeRollout = "resume", true, "resume a paused rollout or deployment";
    RestartWorkload = "restart", true, "restart the pods (a new template stamp)";
    UndoRollout = "undo", true, "undo to the previous (or a chosen) revision";
    ScaleWorkload = "scale", true, "scale to a number of replicas";
    SkipStep = "skip_step", true, "skip the current canary step (Argo CD's skip-current-step)";
    TerminateAnalysis = "terminate_analysis", true, "terminate the rollout's running AnalysisRun";
    ToggleErrors = "toggle_errors", false, "show or hide error lines (and fatal)";
    ToggleWarnings = "toggle_warnings", false, "show or hide warning lines";
    ToggleInfo = "toggle_info", false, "show or hide info lines (and lines without a level)";
    ToggleDebugLines = "toggle_debug_lines", false, "show or hide debug and trace lines";
    NextMatch = "next_match", false, "next line the search matches";
    PrevMatch = "prev_match", false, "previous line the search matches";
    OnlyMatching = "only_matching", false, "show only the lines the search matches, or all";
    Follow = "follow", false, "follow new lines, or stay on this one";
    Wrap = "wrap", false, "wrap long lines, or cut them";
    Timestamps = "timestamps", false, "show or hide timestamps";
    JumpTime = "jump_time", false, "jump to a time (HH:MM[:SS] or RFC 3339)";
    OpenTrace = "open_trace", false, "open the trace of the selected line (its trace_id)";
    LogOptions = "log_options", false, "pods: choose the container, how far back, previous logs";
    FieldFilter = "field_filter", false, "filter lines by fields (level=error duration_ms>500 msg~timeout)";
    FieldColumns = "field_columns", false, "show fields as columns before the message";
    ExportLines = "export_lines", false, "export the lines in view to a file (raw or JSON lines)";
    Histogram = "histogram", false, "focus the time histogram: left/right pick a bucket, enter jumps to it, esc returns";
    ToggleHistogram = "toggle_histogram", false, "show or hide the time histogram strip (lnav's i)";
    HistLeft = "hist_left", false, "histogram: the earlier bucket";
    HistRight = "hist_right", false, "histogram: the later bucket";
    NextError = "next_error", false, "jump to the next error line (wraps around)";
    PrevError = "prev_error", false, "jump to the previous error line (wraps around)";
    OpenLogs = "open_logs", false, "open the logs of this service or trace";
    OpenTraces = "open_traces", false, "open the traces of this service";
    ErrorsOnly = "errors_only", false, "show only errors (traces with errors; error and fatal lines), or all again";
    MinDuration = "min_duration", false, "show only traces slower than a duration";
    ServiceMap = "service_map", false, "service map of the traces in view (calls and errors between services)";
    TimeWindow = "time_window", false, "set the time window: 15m, 1h, 7d or FROM..TO (also :window)";
    SearchTraces = "search_traces", false, "search traces by service, operation, tags (http.status_code=500) and duration";
    OpenIncident = "open_incident", false, "open the incident view of this service";
    NextPanel = "next_panel", false, "focus the next panel";
    PrevPanel = "prev_panel", false, "focus the previous panel";
    PanelLeft = "panel_left", false, "focus the panel on the left";
    PanelRight = "panel_right", false, "focus the panel on the right";
    SilenceAlert = "silence", true, "silence the selected alert (matchers, duration, comment; audited)";
    ExpireSilence = "expire_silence", true, "expire the selected silence (audited)";
    PaneOncall = "pane_oncall", false, "go to who is on call (rotas, my shifts)";
    DeclareShift = "declare_shift", true, "declare an on-call shift (form)";
    TakeOncall = "take_oncall", true, "take on call for the selected team until its current shift ends";
    PanePods = "pane_pods", false, "go to the pods of the watched namespaces";
    PaneEvents = "pane_events", false, "go to the Warning events, grouped by object";
    PaneDescribe = "pane_describe", false, "go back to the last described object";
    Describe = "describe", false, "describe the selected object (containers, conditions, events)";
    ShowYaml = "show_yaml", false, "show the object as YAML (v again: back to describe)";
    NextPod = "next_pod", false, "select the next pod of the open tree (for the pod keys)";
    PrevPod = "prev_pod", false, "select the previous pod of the open tree";
    DeletePod = "delete_pod", true, "delete the selected pod: grace period, pinned to its uid (audited)";
    OpenK9s = "open_k9s", false, "open the selected pod's or workload's namespace in k9s (opsdeck waits)";
    DebugPod = "debug_pod", true, "add a debug container (config debug_image) to the selected pod and attach (audited)";
    Shell = "shell", true, "a shell in the selected pod (audited: who, container, start, end, exit status)";
    PortForward = "port_forward", true, "forward a pod's or a Service's port to 127.0.0.1 (audited: start, end, bytes)";
    PaneForwards = "pane_forwards", false, "go to the running port-forwards";
    StopForward = "stop_forward", false, "stop the selected port-forward (its listener closes)";
    MarkSession = "mark_session", false, "mark or unmark the selected session for a bulk cancel (c) or terminate (x)";
    MarkWhere = "mark_where", false, "mark sessions by state and age, user or app (e.g. idle-in-tx >10m)";
    ClearMarks = "clear_marks", false, "unmark every session";
    PreparedXacts = "prepared_xacts", false, "list prepared transactions (x: ROLLBACK PREPARED, gid typed, audited)";
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Keymap sections. A pane's own context is searched first, then `table` for list panes,
/// then `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyContext {
    Global,
    Table,
    /// The service card (a view of the catalog pane).
    Card,
    /// A pane's own section, named by its registration (`PaneInfo::section`).
    Pane(PaneId),
}

impl KeyContext {
    /// Every section, in the order help and `opsdeck keys` list them: global, table, then
    /// each pane in tab order (the card after the catalog).
    #[must_use]
    pub fn all() -> &'static [Self] {
        static ALL: LazyLock<Vec<KeyContext>> = LazyLock::new(|| {
            let mut all = vec![KeyContext::Global, KeyContext::Table];
            for &pane in PaneId::ALL {
                all.push(KeyContext::Pane(pane));
                if pane == PaneId::Catalog {
                    all.push(KeyContext::Card);
                }
            }
            all
        });
        &ALL
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Table => "table",
            Self::Card => "card",
            Self::Pane(pane) => pane.info().section,
        }
    }
}

/// Actions that work in every view: `[global]` binds them, and any section may too (there
/// the binding applies only in that section's views).
const GLOBAL_ACTIONS: &[Action] = &[
    Action::Quit,
    Action::Help,
    Action::Palette,
    Action::Back,
    Action::HistoryBack,
    Action::HistoryForward,
    Action::SwitchContext,
    Action::Refresh,
    Action::ToggleDebug,
    Action::Suspend,
    Action::Copy,
    Action::CopyRow,
    Action::PaneCatalog,
    Action::PaneApps,
    Action::PaneRollouts,
    Action::PaneKafka,
    Action::PanePostgres,
    Action::PaneLogs,
    Action::PaneTraces,
    Action::PaneRequests,
    Action::PaneAudit,
    Action::PaneIncident,
    Action::PaneAlerts,
    Action::PaneSilences,
    Action::PaneAttention,
    Action::PaneOncall,
    Action::PanePods,
    Action::PaneEvents,
    Action::PaneDescribe,
    Action::PaneForwards,
    Action::ClearScope,
];

/// Cursor, selection, filter and sort: `[table]`, and the sections of panes that fall back
/// to it.
const TABLE_ACTIONS: &[Action] = &[
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::Select,
    Action::SortNext,
    Action::SortPrev,
    Action::SortReverse,
    Action::Filter,
];

/// The service card's keys: its own cursor over the dependency tree, and the service's
/// pivots.
const CARD_ACTIONS: &[Action] = &[
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::Select,
    Action::Expand,
    Action::Collapse,
    Action::Scope,
    Action::OpenIncident,
    Action::OpenLogs,
    Action::OpenTraces,
];

impl KeyContext {
    /// The actions only this section's views handle (global and table ones aside): a
    /// pane's are declared with the pane (`PaneInfo::actions`).
    fn own_actions(self) -> &'static [Action] {
        match self {
            Self::Global | Self::Table => &[],
            Self::Card => CARD_ACTIONS,
            Self::Pane(pane) => pane.info().actions,
        }
    }

    /// The views of this section fall back to `[table]` (the card has no table; a pane
    /// says whether it has one).
    fn has_table(self) -> bool {
        match self {
            Self::Global | Self::Card => false,
            Self::Table => true,
            Self::Pane(pane) => pane.info().table,
        }
    }

    /// Whether `action` does something in this section's views, so a keymap may bind it
    /// here. The app routes actions by the same rule: an action no section of the current
    /// view accepts does nothing (Postgres's `freeze` cannot reach a hidden pane).
    #[must_use]
    pub fn accepts(self, action: Action) -> bool {
        GLOBAL_ACTIONS.contains(&action)
            || (self.has_table() && TABLE_ACTIONS.contains(&action))
            || self.own_actions().contains(&action)
    }
}

/// Action names of earlier versions that user keymaps may still use: `y` copied in three
/// panes under three names before it copied in every pane.
const RENAMED: &[(&str, Action)] = &[
    ("copy_line", Action::Copy),
    ("copy_query", Action::Copy),
    ("copy_yaml", Action::CopyRow),
];

impl Action {
    /// The action an old name stands for now (`copy_line` is `copy`), so a user keymap
    /// written for an earlier version keeps working; `opsdeck keys` shows the new name.
    #[must_use]
    pub fn renamed(old: &str) -> Option<Self> {
        RENAMED
            .iter()
            .find(|(name, _)| *name == old)
            .map(|&(_, a)| a)
    }

    /// The keymap sections that may bind this action.
    #[must_use]
    pub fn contexts(self) -> Vec<KeyContext> {
        KeyContext::all()
            .iter()
            .copied()
            .filter(|c| c.accepts(self))
            .collect()
    }
}

impl FromStr for KeyContext {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::all()
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or(())
    }
}

/// A key with its modifiers, as written in keymap files (`ctrl-c`, `G`, `enter`, `?`), or the
/// second key of a two-key sequence (`] e`: `lead` is `]`), vim-unimpaired style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyCombo {
    pub code: KeyCode2,
    pub ctrl: bool,
    pub alt: bool,
    /// The key typed first, for a sequence; `None` for a single key.
    pub lead: Option<Lead>,
}

/// The first key of a two-key sequence (a [`KeyCombo`] without a lead of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lead {
    pub code: KeyCode2,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyCombo {
    /// `self` typed after `lead`: the combo a sequence binding is stored as.
    #[must_use]
    pub fn after(self, lead: Self) -> Self {
        Self {
            lead: Some(Lead {
                code: lead.code,
                ctrl: lead.ctrl,
                alt: lead.alt,
            }),
            ..self
        }
    }

    /// The lead of a sequence as a key of its own.
    #[must_use]
    pub fn lead_key(self) -> Option<Self> {
        self.lead.map(|l| Self {
            code: l.code,
            ctrl: l.ctrl,
            alt: l.alt,
            lead: None,
        })
    }
}

/// The key part of a [`KeyCombo`]; our own type so it can be ordered and hashed in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyCode2 {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

const NAMED_KEYS: &[(&str, KeyCode2)] = &[
    ("enter", KeyCode2::Enter),
    ("esc", KeyCode2::Esc),
    ("tab", KeyCode2::Tab),
    ("backtab", KeyCode2::BackTab),
    ("shift-tab", KeyCode2::BackTab),
    ("backspace", KeyCode2::Backspace),
    ("delete", KeyCode2::Delete),
    ("insert", KeyCode2::Insert),
    ("up", KeyCode2::Up),
    ("down", KeyCode2::Down),
    ("left", KeyCode2::Left),
    ("right", KeyCode2::Right),
    ("pgup", KeyCode2::PageUp),
    ("pgdown", KeyCode2::PageDown),
    ("home", KeyCode2::Home),
    ("end", KeyCode2::End),
    ("space", KeyCode2::Char(' ')),
];

impl FromStr for KeyCombo {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        // `] e`: two keys, the first one typed, then the second.
        if let Some((first, second)) = raw.split_once(' ') {
            if second.contains(' ') {
                return Err(format!("`{raw}`: a sequence is two keys (`] e`)"));
            }
            let lead: Self = first.parse()?;
            let key: Self = second.parse()?;
            return Ok(key.after(lead));
        }
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = raw;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == rest) {
            *code
        } else if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!("unknown key `{raw}` (function keys are f1 to f12)"));
            }
            KeyCode2::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => KeyCode2::Char(c),
                _ => {
                    return Err(format!(
                        "unknown key `{raw}` (use one character, a name such as `enter` or \
                         `pgdown`, or a modifier such as `ctrl-c`)"
                    ));
                }
            }
        };
        Ok(Self {
            code,
            ctrl,
            alt,
            lead: None,
        })
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(lead) = self.lead_key() {
            write!(f, "{lead} ")?;
        }
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode2::Char(' ') => f.write_str("space"),
            KeyCode2::Char(c) => write!(f, "{c}"),
            KeyCode2::F(n) => write!(f, "f{n}"),
            other => {
                let name = NAMED_KEYS
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

impl KeyCombo {
    /// Converts a terminal key event; `None` for releases and keys we never bind.
    #[must_use]
    pub fn from_event(event: &KeyEvent) -> Option<Self> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) => KeyCode2::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCode2::F(n),
            KeyCode::Enter => KeyCode2::Enter,
            KeyCode::Esc => KeyCode2::Esc,
            KeyCode::Tab => KeyCode2::Tab,
            KeyCode::BackTab => KeyCode2::BackTab,
            KeyCode::Backspace => KeyCode2::Backspace,
            KeyCode::Delete => KeyCode2::Delete,
            KeyCode::Insert => KeyCode2::Insert,
            KeyCode::Up => KeyCode2::Up,
            KeyCode::Down => KeyCode2::Down,
            KeyCode::Left => KeyCode2::Left,
            KeyCode::Right => KeyCode2::Right,
            KeyCode::PageUp => KeyCode2::PageUp,
            KeyCode::PageDown => KeyCode2::PageDown,
            KeyCode::Home => KeyCode2::Home,
            KeyCode::End => KeyCode2::End,
            _ => return None,
        };
        Some(Self {
            code,
            ctrl,
            alt,
            lead: None,
        })
    }
}

/// One keymap file's raw form: `[context] action = "key" | ["key", ...]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum KeysValue {
    One(String),
    Many(Vec<String>),
}

type RawKeymap = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<KeysValue>>>;

/// The active bindings: per context, action → keys (in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub name: String,
    bindings: BTreeMap<KeyContext, Vec<(Action, Vec<KeyCombo>)>>,
}

impl Keymap {
    /// Parses one keymap file. Errors name the file, line, column and key.
    pub fn parse(name: &str, file: &str, source: &str) -> Result<Self, Diagnostic> {
        let raw: RawKeymap =
            toml::from_str(source).map_err(|e| Diagnostic::from_toml(file, source, &e))?;
        let mut bindings: BTreeMap<KeyContext, Vec<(Action, Vec<KeyCombo>)>> = BTreeMap::new();
        // Walk in file order, so "duplicate" is reported on the later of the two lines.
        let mut contexts: Vec<_> = raw.into_iter().collect();
        contexts.sort_by_key(|(name, _)| name.span().start);
        for (context_name, actions) in contexts {
            let context = KeyContext::from_str(context_name.get_ref()).map_err(|()| {
                let known: Vec<_> = KeyContext::all().iter().map(|c| c.name()).collect();
                Diagnostic::at(
                    file,
                    source,
                    Some(context_name.span()),
                    Some(context_name.get_ref().clone()),
                    format!("unknown context; expected one of {}", known.join(", ")),
                )
            })?;
            let mut seen: BTreeMap<KeyCombo, Action> = BTreeMap::new();
            let list = bindings.entry(context).or_default();
            let mut actions: Vec<_> = actions.into_iter().collect();
            actions.sort_by_key(|(name, _)| name.span().start);
            for (action_name, keys) in actions {
                let path = format!("{}.{}", context.name(), action_name.get_ref());
                let action = Action::from_str(action_name.get_ref())
                    .or_else(|()| Action::renamed(action_name.get_ref()).ok_or(()))
                    .map_err(|()| {
                        Diagnostic::at(
                            file,
                            source,
                            Some(action_name.span()),
                            Some(path.clone()),
                            format!(
                                "unknown action `{}`; `opsdeck keys` lists them",
                                action_name.get_ref()
                            ),
                        )
                    })?;
                if !context.accepts(action) {
                    let sections: Vec<String> = action
                        .contexts()
                        .iter()
                        .map(|c| format!("[{}]", c.name()))
                        .collect();
                    return Err(Diagnostic::at(
                        file,
                        source,
                        Some(action_name.span()),
                        Some(path),
                        format!(
                            "`{action}` does nothing in [{}]; bind it in {}",
                            context.name(),
                            sections.join(", ")
                        ),
                    ));
                }
                let key_strings = match keys.get_ref() {
                    KeysValue::One(k) => vec![k.clone()],
                    KeysValue::Many(ks) => ks.clone(),
                };
                let mut combos = Vec::with_capacity(key_strings.len());
                for raw_key in key_strings {
                    let combo = KeyCombo::from_str(&raw_key).map_err(|msg| {
                        Diagnostic::at(file, source, Some(keys.span()), Some(path.clone()), msg)
                    })?;
                    if let Some(other) = seen.insert(combo, action) {
                        return Err(Diagnostic::at(
                            file,
                            source,
                            Some(keys.span()),
                            Some(path),
                            format!(
                                "duplicate key `{combo}` in [{}]: already bound to `{other}`",
                                context.name()
                            ),
                        ));
                    }
                    combos.push(combo);
                }
                list.push((action, combos));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            bindings,
        })
    }

    /// A shipped keymap by name.
    #[must_use]
    pub fn shipped(name: &str) -> Option<Result<Self, Diagnostic>> {
        SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, src)| Self::parse(n, &format!("keymaps/{n}.toml (built in)"), src))
    }

    /// Loads `name`: the shipped keymap (or `default` when the name is only a user file),
    /// then the user's `<config_dir>/keymaps/<name>.toml` over it.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Self, Diagnostic> {
        let user_path = config_dir.map(|d| d.join("keymaps").join(format!("{name}.toml")));
        let user_exists = user_path.as_ref().is_some_and(|p| p.exists());
        let mut base = match Self::shipped(name) {
            Some(result) => result?,
            None if user_exists => Self::shipped("default").ok_or_else(missing_default)??,
            None => {
                let known: Vec<_> = SHIPPED.iter().map(|(n, _)| *n).collect();
                return Err(Diagnostic {
                    file: format!("keymap `{name}`"),
                    line: 0,
                    column: 0,
                    key: None,
                    message: format!("no such keymap; shipped: {}", known.join(", ")),
                });
            }
        };
        name.clone_into(&mut base.name);
        if let (Some(path), true) = (user_path, user_exists) {
            let file = path.display().to_string();
            let source = std::fs::read_to_string(&path).map_err(|e| Diagnostic {
                file: file.clone(),
                line: 0,
                column: 0,
                key: None,
                message: format!("cannot read: {e}"),
            })?;
            let overlay = Self::parse(name, &file, &source)?;
            base.apply(&overlay);
        }
        Ok(base)
    }

    /// Applies a user overlay: each named action takes exactly the keys given, and those keys
    /// are removed from other actions of the same context.
    pub fn apply(&mut self, overlay: &Self) {
        for (context, overrides) in &overlay.bindings {
            let list = self.bindings.entry(*context).or_default();
            for (action, keys) in overrides {
                for (other, other_keys) in list.iter_mut() {
                    if other != action {
                        other_keys.retain(|k| !keys.contains(k));
                    }
                }
                match list.iter_mut().find(|(a, _)| a == action) {
                    Some((_, existing)) => existing.clone_from(keys),
                    None => list.push((*action, keys.clone())),
                }
            }
        }
    }

    /// The action bound to `key`, searching `contexts` in order.
    #[must_use]
    pub fn lookup(&self, contexts: &[KeyContext], key: KeyCombo) -> Option<Action> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .get(ctx)?
                .iter()
                .find(|(_, keys)| keys.contains(&key))
                .map(|(action, _)| *action)
        })
    }

    /// Whether `key` is the first key of a two-key sequence bound in `contexts` (the app then
    /// waits for the second key).
    #[must_use]
    pub fn is_lead(&self, contexts: &[KeyContext], key: KeyCombo) -> bool {
        key.lead.is_none() && !self.sequences_after(contexts, key).is_empty()
    }

    /// The sequences `lead` starts in `contexts` (second key, action), for the status line.
    #[must_use]
    pub fn sequences_after(
        &self,
        contexts: &[KeyContext],
        lead: KeyCombo,
    ) -> Vec<(KeyCombo, Action)> {
        let mut out = Vec::new();
        for ctx in contexts {
            for (action, keys) in self.bindings.get(ctx).map_or(&[][..], Vec::as_slice) {
                for k in keys {
                    if k.lead_key() == Some(lead) {
                        out.push((KeyCombo { lead: None, ..*k }, *action));
                    }
                }
            }
        }
        out
    }

    /// Bindings of one context, for help and `opsdeck keys`.
    #[must_use]
    pub fn context(&self, context: KeyContext) -> &[(Action, Vec<KeyCombo>)] {
        self.bindings.get(&context).map_or(&[], Vec::as_slice)
    }

    /// The first key bound to `action` in any of `contexts`, for hints.
    #[must_use]
    pub fn key_for(&self, contexts: &[KeyContext], action: Action) -> Option<KeyCombo> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .get(ctx)?
                .iter()
                .find(|(a, keys)| *a == action && !keys.is_empty())
                .and_then(|(_, keys)| keys.first().copied())
        })
    }
}

/// The active table as text, for `opsdeck keys` and the README.
#[must_use]
pub fn describe(keymap: &Keymap) -> String {
    use std::fmt::Write;
    let mut out = format!("keymap: {}\n", keymap.name);
    for &context in KeyContext::all() {
        let rows = keymap.context(context);
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[{}]", context.name());
        for (action, keys) in rows {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "  {:<22} {:<20} {}",
                keys.join(", "),
                action.name(),
                action.description()
            );
        }
    }
    out
}

/// The keymap as Markdown: one table (keys, action, description) per context, for
/// `opsdeck keys --markdown` and the README's keys section.
#[must_use]
pub fn markdown_table(keymap: &Keymap) -> String {
    use std::fmt::Write;
    // A key as inline code; `|` is escaped so it cannot end a table cell.
    fn code(key: &str) -> String {
        let key = key.replace('|', "\\|");
        if key.contains('`') {
            format!("`` {key} ``")
        } else {
            format!("`{key}`")
        }
    }
    let mut out = String::new();
    for &context in KeyContext::all() {
        let rows = keymap.context(context);
        if rows.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "**`[{}]`**\n", context.name());
        out.push_str("| keys | action | description |\n|---|---|---|\n");
        for (action, keys) in rows {
            let keys: Vec<String> = keys.iter().map(|k| code(&k.to_string())).collect();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                keys.join(", "),
                action.name(),
                action.description().replace('|', "\\|")
            );
        }
    }
    out
}

fn missing_default() -> Diagnostic {
    Diagnostic {
        file: "keymaps/default.toml".into(),
        line: 0,
        column: 0,
        key: None,
        message: "the built-in default keymap is missing".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> KeyCombo {
        raw.parse().expect("a key")
    }

    #[test]
    fn every_shipped_keymap_loads() {
        for (name, _) in SHIPPED {
            let km = Keymap::shipped(name).expect("listed").expect("parses");
            assert!(
                !km.context(KeyContext::Global).is_empty(),
                "{name} has global keys"
            );
            let quit = km.key_for(&[KeyContext::Global], Action::Quit);
            assert!(quit.is_some(), "{name} can quit");
        }
    }

    #[test]
    fn key_strings_round_trip() {
        for raw in [
            "q",
            "ctrl-c",
            "alt-x",
            "enter",
            "shift-tab",
            "f5",
            "?",
            "G",
            "space",
            "] e",
            "alt-g n",
        ] {
            let combo: KeyCombo = raw.parse().expect(raw);
            let shown = combo.to_string();
            let again: KeyCombo = shown.parse().expect("display parses");
            assert_eq!(combo, again);
        }
        assert!("ctrl-".parse::<KeyCombo>().is_err());
        assert!("f13".parse::<KeyCombo>().is_err());
        assert!("hyper-x".parse::<KeyCombo>().is_err());
        assert!(
            "] e x".parse::<KeyCombo>().is_err(),
            "a sequence is two keys"
        );
        let seq: KeyCombo = "] e".parse().expect("sequence");
        assert_eq!(seq.to_string(), "] e");
        assert_eq!(seq.lead_key(), Some("]".parse().expect("key")));
    }

    #[test]
    fn sequences_have_a_lead_key_in_their_contexts_only() {
        let km = Keymap::shipped("default").expect("listed").expect("parses");
        let logs = [
            KeyContext::Pane(PaneId::Logs),
            KeyContext::Table,
            KeyContext::Global,
        ];
        let bracket: KeyCombo = "]".parse().expect("key");
        let e: KeyCombo = "e".parse().expect("key");
        assert!(km.is_lead(&logs, bracket));
        assert!(
            !km.is_lead(&[KeyContext::Global], bracket),
            "] alone elsewhere"
        );
        assert_eq!(km.lookup(&logs, e.after(bracket)), Some(Action::NextError));
        assert_eq!(km.lookup(&logs, bracket), Some(Action::HistoryForward));
        assert_eq!(km.sequences_after(&logs, bracket), [(e, Action::NextError)]);
    }

    #[test]
    fn unknown_action_names_line_and_key() {
        let src = "[global]\nquit = \"q\"\nfly = \"f\"\n";
        let err = Keymap::parse("t", "t.toml", src).expect_err("unknown action");
        assert_eq!((err.line, err.key.as_deref()), (3, Some("global.fly")));
        assert!(err.message.contains("unknown action `fly`"));
    }

    #[test]
    fn the_old_copy_action_names_still_bind_the_new_actions() {
        let src = "[pg]\ncopy_query = \"c\"\n[logs]\ncopy_line = \"ctrl-y\"\n\
                   [pods]\ncopy_yaml = \"alt-y\"\n";
        let user = Keymap::parse("t", "t.toml", src).expect("old names are accepted");
        let mut keymap = Keymap::shipped("default").unwrap().unwrap();
        keymap.apply(&user);
        let pg = PaneId::Postgres.key_contexts();
        assert_eq!(keymap.lookup(pg, key("c")), Some(Action::Copy));
        assert_eq!(
            keymap.lookup(pg, key("y")),
            Some(Action::Copy),
            "y still copies"
        );
        let logs = PaneId::Logs.key_contexts();
        assert_eq!(keymap.lookup(logs, key("ctrl-y")), Some(Action::Copy));
        let pods = PaneId::Pods.key_contexts();
        assert_eq!(keymap.lookup(pods, key("alt-y")), Some(Action::CopyRow));
        assert_eq!(keymap.lookup(pods, key("v")), Some(Action::ShowYaml));
    }

    #[test]
    fn y_copies_in_every_pane_of_every_shipped_keymap() {
        for (name, _) in SHIPPED {
            let keymap = Keymap::shipped(name).unwrap().unwrap();
            for &pane in PaneId::ALL {
                let contexts = pane.key_contexts();
                assert_eq!(
                    keymap.lookup(contexts, key("y")),
                    Some(Action::Copy),
                    "{name} {pane:?}"
                );
                assert_eq!(
                    keymap.lookup(contexts, key("Y")),
                    Some(Action::CopyRow),
                    "{name} {pane:?}"
                );
            }
        }
    }

    #[test]
    fn an_action_outside_its_sections_is_refused() {
        let src = "[global]\nquit = \"q\"\nfreeze = \"F\"\n";
        let err = Keymap::parse("t", "t.toml", src).expect_err("wrong section");
        assert_eq!((err.line, err.key.as_deref()), (3, Some("global.freeze")));
        assert_eq!(
            err.message,
            "`freeze` does nothing in [global]; bind it in [pg]"
        );
        let src = "[kafka]\nfreeze = \"F\"\n";
        assert!(
            Keymap::parse("t", "t.toml", src).is_err(),
            "not in another pane"
        );
        let src = "[global]\nup = \"k\"\n";
        let err = Keymap::parse("t", "t.toml", src).expect_err("cursor keys are not global");
        assert!(err.message.contains("[table]"), "{err}");
        for src in [
            "[pg]\nfreeze = \"F\"\n",
            "[pg]\nquit = \"Q\"\n",
            "[pg]\nup = \"w\"\n",
            "[card]\nup = \"w\"\n",
        ] {
            Keymap::parse("t", "t.toml", src).expect(src);
        }
    }

    #[test]
    fn every_action_belongs_somewhere_and_pane_actions_are_not_global() {
        for &action in Action::ALL {
            assert!(!action.contexts().is_empty(), "{action} has a section");
            if !KeyContext::Global.accepts(action) {
                assert!(
                    action.contexts().len() < KeyContext::all().len(),
                    "{action}"
                );
            }
        }
        for action in [Action::Freeze, Action::DeleteSelected, Action::SyncApp] {
            assert!(!KeyContext::Global.accepts(action), "{action}");
            assert!(!KeyContext::Table.accepts(action), "{action}");
        }
        assert_eq!(
            Action::Freeze.contexts(),
            [KeyContext::Pane(PaneId::Postgres)]
        );
        assert_eq!(
            Action::ToggleView.contexts(),
            [
                KeyContext::Pane(PaneId::Kafka),
                KeyContext::Pane(PaneId::Postgres)
            ]
        );
    }

    #[test]
    fn duplicate_key_in_context_is_refused() {
        let src = "[global]\nquit = \"q\"\nhelp = [\"?\", \"q\"]\n";
        let err = Keymap::parse("t", "t.toml", src).expect_err("duplicate");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("duplicate key `q`"), "{err}");
    }

    #[test]
    fn user_overlay_changes_only_what_it_names() {
        let mut km = Keymap::shipped("default").expect("exists").expect("parses");
        let overlay = Keymap::parse("u", "u.toml", "[global]\nhelp = \"q\"\n").expect("parses");
        km.apply(&overlay);
        let q: KeyCombo = "q".parse().expect("key");
        assert_eq!(km.lookup(&[KeyContext::Global], q), Some(Action::Help));
        let ctrl_c: KeyCombo = "ctrl-c".parse().expect("key");
        assert_eq!(km.lookup(&[KeyContext::Global], ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn markdown_table_has_one_table_per_context_and_every_binding() {
        let km = Keymap::shipped("default").expect("listed").expect("parses");
        let md = markdown_table(&km);
        assert!(
            md.starts_with("**`[global]`**\n\n| keys | action | description |\n|---|---|---|\n")
        );
        for &context in KeyContext::all() {
            let rows = km.context(context);
            let heading = format!("**`[{}]`**", context.name());
            assert_eq!(md.contains(&heading), !rows.is_empty(), "{heading}");
        }
        assert!(md.contains("| `q`, `ctrl-c` | `quit` | quit opsdeck |"));
        let bindings: usize = KeyContext::all().iter().map(|c| km.context(*c).len()).sum();
        let table_rows = md.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(table_rows, bindings);
        // Every row has exactly four unescaped cell separators.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            let bars = line.replace("\\|", "").matches('|').count();
            assert_eq!(bars, 4, "{line}");
        }
    }
}
