//! What `update` consumes ([`Msg`]) and what it asks the run loop to do ([`Cmd`]).

use crossterm::event::Event;
use jiff::Timestamp;

use crate::actions::gate::{Delivery, GateOutcome};
use crate::diagnostic::Diagnostic;
use crate::model::action::ActionRequest;
use crate::model::platform::{KafkaTopicSpec, PolicyAnswer, Request, RequestSpec};
use crate::sources::{SourceEvent, SourceId};
use crate::theme::Theme;

/// Input to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A terminal event (key, resize, paste).
    Input(Event),
    Source(SourceEvent),
    /// An event of another context's summary source (the attention view).
    Summary {
        context: String,
        event: SourceEvent,
    },
    /// A theme loaded for `:theme`.
    ThemeLoaded(Result<Box<Theme>, Diagnostic>),
    /// The clock, stamped by the run loop on each batch.
    Now(Timestamp),
    /// A second passed with nothing else happening while a source is failing or stale: the
    /// ages on screen ("error 3s", "data from 12s ago") must keep counting without a key.
    AgeTick,
    /// The platform answered a call made for the user.
    PlatformDone(Box<PlatformReply>),
    /// The audit gate finished with an action.
    ActionDone(Box<ActionReport>),
    /// A context's startup secrets are resolved: its sources can start without waiting.
    ContextReady {
        name: String,
        generation: u64,
    },
    /// A Kubernetes object read whole, or the API's error.
    ObjectLoaded {
        reference: crate::model::k8s::ObjectRef,
        result: Result<crate::model::k8s::object_ref::ObjectDoc, String>,
    },
    /// An Argo CD app's managed resources (`ManagedResourcesResponse`), or why not.
    AppDiffLoaded {
        namespace: String,
        app: String,
        result: Result<serde_json::Value, String>,
    },
    /// An Argo CD app's sync windows (`ApplicationSyncWindowsResponse`), or why not.
    SyncWindowsLoaded {
        namespace: String,
        app: String,
        result: Result<serde_json::Value, String>,
    },
    /// One topic's configs with their sources, or why they could not be read.
    KafkaConfigs {
        topic: String,
        configs: Result<Vec<crate::model::kafka::TopicConfig>, String>,
    },
    /// The plan of a new topic was checked (by the broker's `validate_only` where it has
    /// one): `Ok` says how, `Err` why it would fail.
    TopicPlanned {
        request: ActionRequest,
        reason: String,
        plan: Result<String, String>,
    },
    /// A group's offset reset was planned: the request to confirm (the plan in it), or why
    /// not (the group has members, a shift without a commit, …).
    KafkaResetPlanned {
        group: String,
        result: Result<ActionRequest, String>,
    },
    /// Messages read by an admitted peek, or why they could not be.
    KafkaPeeked(Box<Result<crate::model::kafka_peek::PeekResult, String>>),
    /// One trace, or why it could not be loaded.
    TraceLoaded {
        trace_id: String,
        trace: Result<crate::model::traces::Trace, String>,
    },
    /// The service map asked for with `Cmd::LoadServiceMap`, or why none could be built.
    ServiceMapLoaded {
        request: u64,
        answer: Box<Result<crate::model::traces::service_map::MapAnswer, String>>,
    },
    /// Answers to access reviews asked with `Cmd::CheckAccess`.
    KubeAccess(
        Vec<(
            super::kube_access::AccessKey,
            super::kube_access::AccessAnswer,
        )>,
    ),
    /// Something the runtime has to say (an external program's end, or why it did not run).
    /// What a captured custom command printed: shown in a scrollable view.
    CommandOutput(Box<crate::app::custom::CommandOutput>),
    Notice {
        level: super::state::ToastLevel,
        text: String,
    },
    /// A port-forward started listening, carried a connection, or ended.
    Forward(crate::model::k8s::forward::ForwardEvent),
    /// The locks of a Postgres session, or why they could not be read.
    PgLocks {
        database: String,
        pid: i32,
        locks: Result<Vec<crate::model::pg::PgLock>, String>,
    },
}

/// What happened to one action sent through the audit gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    pub request: ActionRequest,
    pub outcome: GateOutcome,
}

impl ActionReport {
    /// One line for the user: what ran, and how it ended or why it did not run.
    #[must_use]
    pub fn summary(&self) -> String {
        let action = self.request.action_name();
        let target = self.request.target().reference;
        match &self.outcome {
            GateOutcome::Executed {
                result, delivery, ..
            } => {
                let audit = match delivery {
                    Delivery::Sent => "audited".to_owned(),
                    Delivery::Queued(why) => format!("outcome queued for the audit ({why})"),
                    Delivery::Rejected(why) => format!("audit refused the outcome: {why}"),
                    Delivery::NotJournaled { error, .. } => format!("journal failed: {error}"),
                };
                format!(
                    "{action} {target}: {} · {} · {audit}",
                    result.status.as_str(),
                    result.detail
                )
            }
            GateOutcome::NeedsApproval { request_id, .. } => format!(
                "{action} {target} needs approval: request {} created (see :requests)",
                request_id.as_deref().unwrap_or("?")
            ),
            GateOutcome::Refused(refusal) => format!("{action} {target} NOT executed: {refusal}"),
        }
    }
}

/// A call to the platform API made on the user's behalf (each is audited by the platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformCall {
    Create(RequestSpec),
    /// What policy says about creating this topic directly (nothing is recorded).
    CheckTopic(KafkaTopicSpec),
    /// What policy says about an action whose confirmation dialog is open.
    CheckAction(ActionRequest),
    Approve(String),
    Reject {
        id: String,
        reason: String,
    },
    Verify,
    /// Declare an on-call shift or an override in `team`'s rota.
    DeclareShift {
        team: String,
        body: crate::model::oncall::ShiftBody,
    },
    /// Remove a shift from `team`'s rota.
    RemoveShift {
        team: String,
        id: String,
    },
}

/// The answer to a [`PlatformCall`]; errors are messages for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformReply {
    Created(Result<Request, String>),
    Decided(Result<Request, String>),
    Verified(Result<Box<crate::model::checkpoint::ChainCheck>, String>),
    TopicPolicy {
        spec: KafkaTopicSpec,
        answer: Result<PolicyAnswer, String>,
    },
    ActionPolicy {
        request: ActionRequest,
        answer: Result<PolicyAnswer, String>,
    },
    /// A shift declared (`removed: false`) or removed, or the platform's refusal in full.
    Shift {
        removed: bool,
        result: Result<crate::model::oncall::Shift, String>,
    },
}

/// Requests from `update` to the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    /// Write the tours' progress to the data dir.
    SaveTourProgress(crate::tour::progress::ProgressMap),
    /// Write the history of `:logs`/`:traces` queries (`queries.json` in the data dir).
    SaveQueryHistory(crate::model::query_history::QueryHistory),
    /// Write the actions held for their approval (`held-actions.json` in the data dir).
    SaveHeldActions(crate::model::approvals::HeldActions),
    /// Stop the current context's sources and start `name`'s with `generation`.
    SwitchContext {
        name: String,
        generation: u64,
    },
    /// Start `name`'s sources (its secrets are ready) for `generation`.
    StartSources {
        name: String,
        generation: u64,
    },
    /// Tell every source to narrow to one service (`None` = all).
    SetScope(Option<String>),
    Refresh(Vec<SourceId>),
    /// Load a theme by name (files may be read).
    LoadTheme(String),
    /// Ctrl-Z: give the terminal back to the shell until resumed.
    Suspend,
    /// An interactive session (`ExecPod`): the audit's intent, then the terminal handed over
    /// to it until it ends, then its outcome; answered with `Msg::ActionDone`.
    Session {
        request: ActionRequest,
        reason: String,
    },
    /// `F`: forward a pod port (`PortForward`) to a loopback port, numbered `id` by the
    /// app: listen, the audit's intent, then connections until stopped, then the outcome;
    /// answered with `Msg::Forward` events and `Msg::ActionDone` at the end (or on refusal).
    PortForward {
        id: u64,
        request: ActionRequest,
        local: crate::model::k8s::forward::LocalPort,
        reason: String,
    },
    /// `x` in `:forwards`: stop forward `id` (answered with its `Msg::Forward` end).
    StopForward(u64),
    /// `K`: open `namespace` in k9s, suspending opsdeck while it runs; answered with
    /// `Msg::Notice`.
    OpenK9s {
        namespace: String,
    },
    /// Call the platform API; the answer comes back as `Msg::PlatformDone`.
    Platform(PlatformCall),
    /// Pause or resume one kind of source (a frozen view).
    Pause(SourceId, bool),
    /// Change one kind of source's polling interval.
    SetInterval(SourceId, std::time::Duration),
    /// Read one Kubernetes object whole, with its events (answered with
    /// `Msg::ObjectLoaded`).
    LoadObject(crate::model::k8s::ObjectRef),
    /// Read an Argo CD app's managed resources for the diff view (answered with
    /// `Msg::AppDiffLoaded`).
    LoadAppDiff {
        namespace: String,
        app: String,
    },
    /// Read an Argo CD app's sync windows for its detail and the sync confirmation (answered
    /// with `Msg::SyncWindowsLoaded`).
    LoadSyncWindows {
        namespace: String,
        app: String,
    },
    /// Load one topic's configs (answered with `Msg::KafkaConfigs`).
    LoadTopicConfigs {
        topic: String,
    },
    /// Check a new topic's plan without creating it (answered with `Msg::TopicPlanned`).
    PlanTopic {
        request: ActionRequest,
        reason: String,
    },
    /// Plan a group's offset reset (answered with `Msg::KafkaResetPlanned`).
    PlanReset {
        group: String,
        scope: crate::model::kafka_reset::ResetScope,
        target: crate::model::kafka_reset::ResetTarget,
    },
    /// Read messages through the gate (answered with `Msg::KafkaPeeked` and
    /// `Msg::ActionDone`).
    Peek {
        request: ActionRequest,
        reason: String,
    },
    /// Load the locks of one Postgres session (answered with `Msg::PgLocks`).
    LoadLocks {
        database: String,
        pid: i32,
    },
    /// Point the log source at this (restarts the reading).
    LogTarget(Box<crate::sources::logs::LogTarget>),
    /// Load one trace by id (answered with `Msg::TraceLoaded`).
    LoadTrace {
        trace_id: String,
    },
    /// Load these traces whole and build the service map of them (answered with
    /// `Msg::ServiceMapLoaded` carrying the same request number).
    LoadServiceMap {
        request: u64,
        trace_ids: Vec<String>,
    },
    /// Tell the traces source to search this from now on.
    TraceSearch(Box<crate::sources::traces::TraceSearch>),
    /// Run a custom command that needs no audit: on the terminal (interactive) or captured
    /// (answered with `Msg::CommandOutput`), else `Msg::Notice` with its exit status.
    RunCustom(Box<crate::app::custom::CustomRun>),
    /// Put this text on the terminal's clipboard (OSC 52, works over SSH).
    Copy(String),
    /// Write these log lines to `path` (relative: in the data dir) without overwriting a
    /// file; answered with `Msg::Notice` naming the full path and line count, or the error.
    ExportLogs {
        path: String,
        batch: crate::model::logs::export::ExportBatch,
    },
    /// Ask the cluster what RBAC allows (answered with `Msg::KubeAccess`).
    CheckAccess(Vec<super::kube_access::AccessKey>),
    /// Run a mutating action through the audit gate; the report comes back as
    /// `Msg::ActionDone`.
    Execute {
        request: ActionRequest,
        reason: String,
    },
}
