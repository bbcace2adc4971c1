//! Wire types of `/v1`, shared by the server and `sources::platform::PlatformClient` so the
//! two cannot disagree. `openapi.yaml` documents the same shapes for other clients.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Schema tag written into every audit event. Readers compare the major with `==` and the
/// minor with `>=` (the CloudTrail rule), so adding fields only bumps the minor.
pub const SCHEMA: &str = "opsdeck.audit/1.0";

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user: String,
    pub groups: Vec<String>,
    /// `approver` when the caller is in an approvers group.
    pub roles: Vec<String>,
}

/// `POST /v1/policy/check` body: what would policy say about this action, without
/// recording anything? Clients use it to choose between acting and filing a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCheck {
    pub action: String,
    pub target: Target,
}

/// The answer to a [`PolicyCheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAnswer {
    pub decision: Decision,
    pub reason: String,
}

/// What an action touches. `ref` is the string policies match their target globs against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// The client program that asked, as it claims (untrusted, recorded for context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub version: String,
    pub host: String,
}

/// `POST /v1/audit/events` body: an intent, recorded before anything runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentBody {
    /// Who the client says acts; the server records the authenticated user as the actor and
    /// keeps this only as `client_actor`.
    pub actor: String,
    pub action: String,
    pub target: Target,
    /// Already redacted by the client.
    #[serde(default)]
    pub params: Value,
    pub reason: String,
    pub client: ClientInfo,
}

/// The platform's answer to an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
    NeedsApproval,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentAnswer {
    pub event_id: String,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `needs_approval`: the approval request to watch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// How an executed action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Succeeded,
    Failed,
    /// It ran but changed nothing (e.g. the backend had already exited).
    Ineffective,
}

impl OutcomeStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Ineffective => "ineffective",
        }
    }
}

/// `POST /v1/audit/events/{id}/outcome` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeBody {
    pub status: OutcomeStatus,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeAnswer {
    /// The outcome's own event id (an outcome is its own row in the chain).
    pub event_id: String,
    pub intent_id: String,
    pub status: OutcomeStatus,
    pub detail: String,
    /// True when this exact outcome had already been recorded; nothing was appended.
    pub duplicate: bool,
}

/// Who did something, as authenticated by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub groups: Vec<String>,
}

/// One row of the audit chain, as hashed. `kind` tags the variant of [`EventBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub schema: String,
    pub event_id: String,
    /// RFC 3339, UTC, server clock.
    pub time: String,
    /// `None` only for calls whose token was missing or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    Intent {
        action: String,
        target: Target,
        params: Value,
        reason: String,
        client: ClientInfo,
        client_actor: String,
        decision: Decision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
    Outcome {
        intent_id: String,
        action: String,
        target: Target,
        status: OutcomeStatus,
        detail: String,
    },
    /// A self-service request was submitted or changed state.
    Request {
        request_id: String,
        /// `request.submitted`, `request.approved`, ...
        action: String,
        target: Target,
        state: RequestState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A call without a valid token (recorded, then answered 401).
    AuthDenied {
        method: String,
        path: String,
        reason: String,
        /// First 12 hex digits of the presented token's SHA-256, for correlation only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_fingerprint: Option<String>,
    },
    /// An authenticated call that policy refused outside the intent flow.
    Forbidden {
        action: String,
        target: Target,
        reason: String,
    },
    /// An on-call rota changed: a shift declared or removed (`oncall.shift.*`).
    OnCall {
        action: String,
        target: Target,
        shift: crate::model::oncall::Shift,
        /// Why it was allowed (team membership or approver, and the policy rule).
        reason: String,
    },
}

impl EventBody {
    /// The `kind` tag as stored in its own column.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Intent { .. } => "intent",
            Self::Outcome { .. } => "outcome",
            Self::Request { .. } => "request",
            Self::AuthDenied { .. } => "auth_denied",
            Self::Forbidden { .. } => "forbidden",
            Self::OnCall { .. } => "oncall",
        }
    }

    /// The action name the row is indexed under.
    #[must_use]
    pub fn action(&self) -> &str {
        match self {
            Self::Intent { action, .. }
            | Self::Outcome { action, .. }
            | Self::Request { action, .. }
            | Self::Forbidden { action, .. }
            | Self::OnCall { action, .. } => action,
            Self::AuthDenied { .. } => "auth.denied",
        }
    }

    /// The target ref the row is indexed under (the request path for denied calls).
    #[must_use]
    pub fn target_ref(&self) -> &str {
        match self {
            Self::Intent { target, .. }
            | Self::Outcome { target, .. }
            | Self::Request { target, .. }
            | Self::Forbidden { target, .. }
            | Self::OnCall { target, .. } => &target.reference,
            Self::AuthDenied { path, .. } => path,
        }
    }

    #[must_use]
    pub fn intent_id(&self) -> Option<&str> {
        match self {
            Self::Outcome { intent_id, .. } => Some(intent_id),
            _ => None,
        }
    }
}

/// One item of `GET /v1/audit/events`: an event with its outcome joined when it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditItem {
    pub seq: i64,
    pub hash: String,
    pub event: AuditEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AuditEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub items: Vec<AuditItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Filters of `GET /v1/audit/events`. Results are newest first; `cursor` continues a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// RFC 3339, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// RFC 3339, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `GET /v1/audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub checked: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad_event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The `seq` of the first bad row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
    /// The chain's last row; absent for an empty chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<ChainPoint>,
    /// The rows asked for with `?at=SEQ,SEQ` that exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<ChainPoint>,
}

/// A row of the chain by its `seq` and `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: String,
}

/// Query of `GET /v1/audit/verify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyQuery {
    /// Also answer the hashes of the rows with these `seq`s, comma-separated (checkpoints').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Rows one `verify` may ask the hash of.
pub const VERIFY_AT_MAX: usize = 16;

impl VerifyQuery {
    /// The `seq`s of `at`, or why they are not.
    pub fn seqs(&self) -> Result<Vec<i64>, String> {
        let Some(text) = self.at.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(Vec::new());
        };
        let seqs = text
            .split(',')
            .map(|s| match s.trim().parse::<i64>() {
                Ok(seq) if seq >= 1 => Ok(seq),
                _ => Err(format!("at: {s:?} is not a seq (a whole number from 1)")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if seqs.len() > VERIFY_AT_MAX {
            return Err(format!("at: at most {VERIFY_AT_MAX} seqs"));
        }
        Ok(seqs)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReplicaSpec {
    pub database: String,
    pub size: String,
    /// How long the replica should live, e.g. `8h`; the provisioner interprets it.
    pub ttl: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaTopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication: i16,
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    pub owner_service: String,
    pub reason: String,
}

/// Created by the server when policy says an action needs approval; not submittable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionApprovalSpec {
    pub intent_event_id: String,
    pub action: String,
    pub target: Target,
    pub reason: String,
}

/// What a request asks for; `kind` is the tag on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestSpec {
    ReadReplica(ReadReplicaSpec),
    KafkaTopic(KafkaTopicSpec),
    Action(ActionApprovalSpec),
}

impl RequestSpec {
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ReadReplica(_) => "read_replica",
            Self::KafkaTopic(_) => "kafka_topic",
            Self::Action(_) => "action",
        }
    }

    /// What policy rules match the request against.
    #[must_use]
    pub fn target(&self) -> Target {
        match self {
            Self::ReadReplica(s) => Target {
                kind: "read_replica".into(),
                reference: format!("read_replica:{}", s.database),
                namespace: None,
                name: s.database.clone(),
            },
            Self::KafkaTopic(s) => Target {
                kind: "kafka_topic".into(),
                reference: format!("kafka_topic:{}", s.name),
                namespace: None,
                name: s.name.clone(),
            },
            Self::Action(s) => s.target.clone(),
        }
    }

    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Self::ReadReplica(s) => &s.reason,
            Self::KafkaTopic(s) => &s.reason,
            Self::Action(s) => &s.reason,
        }
    }
}

/// Lifecycle: submitted → approved → provisioning → ready | failed, or submitted → rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Submitted,
    Approved,
    Provisioning,
    Ready,
    Failed,
    Rejected,
}

impl RequestState {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Provisioning => "provisioning",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
        }
    }

    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::Rejected)
    }
}

/// A self-service request as stored and returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub spec: RequestSpec,
    pub requester: String,
    pub state: RequestState,
    /// Why it is in this state (e.g. "no provisioner configured").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// What fulfilment reported (the provisioner's JSON answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    pub created: String,
    pub updated: String,
}

/// `POST /v1/requests/{id}/reject` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectBody {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestList {
    pub items: Vec<Request>,
}

/// Body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}
