//! The audit gate: no mutation runs without an intent the platform accepted.
//!
//! 1. Record the intent (`POST /v1/audit/events`). A timeout, 5xx, transport error, any
//!    other refusal or a `deny` means nothing runs, and the user is told why (fail
//!    closed, like the Kubernetes `blocking-strict` audit mode). `needs_approval` returns
//!    the approval request without running anything.
//! 2. Execute, only with an [`Admitted`] in hand, which only [`AuditGate::admit`] makes.
//! 3. Journal the outcome locally (fsync'd), then post it; if posting fails the journal's
//!    resender delivers it later.
//!
//! The three steps are public so tests can stop between them, as a crash would.

use std::future::Future;

use crate::actions::journal::{Journal, JournalEntry};
use crate::model::action::ActionRequest;
use crate::model::platform::{ClientInfo, Decision, IntentBody, OutcomeStatus};
use crate::sources::platform::{ClientError, PlatformClient};

/// How an executed action ended, as reported by its executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    pub status: OutcomeStatus,
    pub detail: String,
}

impl ExecResult {
    /// The action failed, for this reason.
    #[must_use]
    pub fn failed(detail: String) -> Self {
        Self {
            status: OutcomeStatus::Failed,
            detail,
        }
    }
}

/// `Ok(detail)`: succeeded; `Err(detail)`: failed.
impl From<Result<String, String>> for ExecResult {
    fn from(result: Result<String, String>) -> Self {
        match result {
            Ok(detail) => Self {
                status: OutcomeStatus::Succeeded,
                detail,
            },
            Err(detail) => Self::failed(detail),
        }
    }
}

/// Carries out admitted actions (the Postgres, Argo CD, Kubernetes and Kafka parts).
pub trait Executor: Send + Sync {
    fn execute(&self, request: &ActionRequest) -> impl Future<Output = ExecResult> + Send;
}

/// Why the gate did not run an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// `--readonly` forbids this action.
    Readonly,
    /// The platform did not answer in time.
    Timeout,
    /// No connection (refused, DNS, TLS...).
    Unreachable,
    /// The platform answered 5xx.
    ServerError,
    /// Policy said no.
    Denied,
    /// The platform refused the call itself (4xx: bad token, malformed intent...).
    Rejected,
    /// The answer could not be understood.
    Protocol,
}

/// A refusal with the reason to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// How the outcome reached the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Journaled; the resender will deliver it. Holds why the first try failed.
    Queued(String),
    /// The platform refused the outcome for good (e.g. it holds a different one); the
    /// journal keeps the refusal and does not retry.
    Rejected(String),
    /// The journal could not be written: the outcome is not durable locally (it may still
    /// have been posted; `sent` says whether).
    NotJournaled {
        error: String,
        sent: bool,
    },
}

/// What [`AuditGate::run`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOutcome {
    Executed {
        event_id: String,
        result: ExecResult,
        delivery: Delivery,
    },
    NeedsApproval {
        event_id: String,
        request_id: Option<String>,
        reason: Option<String>,
    },
    Refused(Refusal),
}

impl GateOutcome {
    #[must_use]
    pub fn executed(&self) -> bool {
        matches!(self, Self::Executed { .. })
    }
}

/// Proof that the platform allowed one action; only [`AuditGate::admit`] creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    event_id: String,
    request: ActionRequest,
}

impl Admitted {
    #[must_use]
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    #[must_use]
    pub fn request(&self) -> &ActionRequest {
        &self.request
    }
}

/// `--readonly` refuses dangerous actions (they are also hidden from menus and help).
pub fn allowed(request: &ActionRequest, readonly: bool) -> Result<(), Refusal> {
    if readonly && request.dangerous() {
        return Err(Refusal {
            kind: RefusalKind::Readonly,
            reason: format!("{} is disabled in read-only mode", request.action_name()),
        });
    }
    Ok(())
}

/// This program as the audit record's `client`.
#[must_use]
pub fn local_client_info() -> ClientInfo {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into());
    ClientInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        host,
    }
}

fn refusal(e: &ClientError) -> Refusal {
    let (kind, what) = match e {
        ClientError::Timeout(_) => (RefusalKind::Timeout, "platform unreachable/timeout"),
        ClientError::Unreachable(_) | ClientError::Transport(_) | ClientError::Url(_) => {
            (RefusalKind::Unreachable, "platform unreachable")
        }
        ClientError::Status { status, .. } if *status >= 500 => {
            (RefusalKind::ServerError, "platform error")
        }
        ClientError::Status { .. } => (RefusalKind::Rejected, "platform refused the intent"),
        ClientError::Decode(_) => (RefusalKind::Protocol, "platform answer not understood"),
    };
    Refusal {
        kind,
        reason: format!("{what} ({e}); nothing was executed"),
    }
}

/// The gate of one user session.
#[derive(Debug, Clone)]
pub struct AuditGate {
    client: PlatformClient,
    journal: Journal,
    actor: String,
    client_info: ClientInfo,
    readonly: bool,
}

/// The refusal when a context has no audit gate (no platform API): nothing may run, and
/// `nothing` says what did not happen ("nothing ran", "nothing was read").
#[must_use]
pub fn no_gate(nothing: &str) -> GateOutcome {
    GateOutcome::Refused(Refusal {
        kind: RefusalKind::Unreachable,
        reason: format!("no platform API in this context, so no audit: {nothing}"),
    })
}

/// [`AuditGate::admit`] on the context's gate, or [`no_gate`] without one.
///
/// # Errors
/// The outcome to show instead: refused, needs approval, or no gate.
pub async fn admit_on(
    gate: Option<&AuditGate>,
    request: ActionRequest,
    reason: &str,
    nothing: &str,
) -> Result<Admitted, GateOutcome> {
    match gate {
        Some(gate) => gate.admit(request, reason).await,
        None => Err(no_gate(nothing)),
    }
}

impl AuditGate {
    #[must_use]
    pub fn new(
        client: PlatformClient,
        journal: Journal,
        actor: impl Into<String>,
        client_info: ClientInfo,
    ) -> Self {
        Self {
            client,
            journal,
            actor: actor.into(),
            client_info,
            readonly: false,
        }
    }

    #[must_use]
    pub fn with_readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    #[must_use]
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Records the intent, executes on allow, journals and reports the outcome.
    pub async fn run<E: Executor>(
        &self,
        request: ActionRequest,
        reason: String,
        executor: &E,
    ) -> GateOutcome {
        let admitted = match self.admit(request, &reason).await {
            Ok(admitted) => admitted,
            Err(outcome) => return outcome,
        };
        let (result, journaled) = self.execute_and_journal(&admitted, executor).await;
        self.conclude(admitted, result, journaled).await
    }

    /// Steps 2-3 for an action that ran outside an [`Executor`] (an interactive session,
    /// whose end is known only when the user leaves it): journal and report `result`.
    pub async fn finish(&self, admitted: Admitted, result: ExecResult) -> GateOutcome {
        let entry = JournalEntry {
            event_id: admitted.event_id.clone(),
            status: result.status,
            detail: result.detail.clone(),
            at: jiff::Timestamp::now().to_string(),
        };
        let journaled = self.journal.record(&entry).await.map(|()| entry);
        self.conclude(admitted, result, journaled).await
    }

    /// Delivers a journaled outcome (or sends it directly when the journal failed).
    async fn conclude(
        &self,
        admitted: Admitted,
        result: ExecResult,
        journaled: std::io::Result<JournalEntry>,
    ) -> GateOutcome {
        let delivery = match journaled {
            Ok(entry) => self.deliver(&entry).await,
            Err(error) => {
                tracing::error!(event = %admitted.event_id, %error, "cannot journal an outcome");
                let entry = JournalEntry {
                    event_id: admitted.event_id.clone(),
                    status: result.status,
                    detail: result.detail.clone(),
                    at: jiff::Timestamp::now().to_string(),
                };
                let sent = self
                    .client
                    .record_outcome(&entry.event_id, &entry.body())
                    .await
                    .is_ok();
                Delivery::NotJournaled {
                    error: error.to_string(),
                    sent,
                }
            }
        };
        GateOutcome::Executed {
            event_id: admitted.event_id,
            result,
            delivery,
        }
    }

    /// Step 1: the intent. `Err` carries the outcome to show (refused or needs approval).
    pub async fn admit(
        &self,
        request: ActionRequest,
        reason: &str,
    ) -> Result<Admitted, GateOutcome> {
        allowed(&request, self.readonly).map_err(GateOutcome::Refused)?;
        let body = IntentBody {
            actor: self.actor.clone(),
            action: request.action_name(),
            target: request.target(),
            params: request.params(),
            reason: reason.to_owned(),
            client: self.client_info.clone(),
        };
        // One key per attempt: a retried POST of this same intent cannot record it twice.
        let key = uuid::Uuid::now_v7().to_string();
        let answer = match self.client.record_intent(&key, &body).await {
            Ok(answer) => answer,
            Err(e) => {
                let refusal = refusal(&e);
                tracing::warn!(action = %body.action, reason = %refusal.reason, "audit gate refused");
                return Err(GateOutcome::Refused(refusal));
            }
        };
        match answer.decision {
            Decision::Allow => Ok(Admitted {
                event_id: answer.event_id,
                request,
            }),
            Decision::Deny => Err(GateOutcome::Refused(Refusal {
                kind: RefusalKind::Denied,
                reason: answer
                    .reason
                    .unwrap_or_else(|| "denied by platform policy".into()),
            })),
            Decision::NeedsApproval => Err(GateOutcome::NeedsApproval {
                event_id: answer.event_id,
                request_id: answer.request_id,
                reason: answer.reason,
            }),
        }
    }

    /// Step 2 and the first half of 3: execute, then journal the result durably.
    pub async fn execute_and_journal<E: Executor>(
        &self,
        admitted: &Admitted,
        executor: &E,
    ) -> (ExecResult, std::io::Result<JournalEntry>) {
        let result = executor.execute(&admitted.request).await;
        let entry = JournalEntry {
            event_id: admitted.event_id.clone(),
            status: result.status,
            detail: result.detail.clone(),
            at: jiff::Timestamp::now().to_string(),
        };
        let journaled = self.journal.record(&entry).await.map(|()| entry);
        (result, journaled)
    }

    /// Second half of 3: post the journaled outcome, or leave it to the resender.
    pub async fn deliver(&self, entry: &JournalEntry) -> Delivery {
        match self.journal.send(&self.client, entry).await {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_retryable() => {
                self.journal.wake();
                Delivery::Queued(e.to_string())
            }
            Err(e) => Delivery::Rejected(e.to_string()),
        }
    }
}
