//! Mutating actions and the audit gate they all pass through.
//!
//! - [`request`]: [`ActionRequest`], every mutation as a typed value that knows its audit
//!   name, target, redacted parameters, danger and confirmation;
//! - [`gate`]: [`AuditGate`], which records the intent with the platform, runs the action
//!   only on `allow`, and reports the outcome; it fails closed;
//! - [`journal`]: the local, fsync'd outcome journal that makes reporting survive crashes
//!   and outages.
//!
//! Executing is someone else's job (the Postgres, Argo CD, Kubernetes and Kafka parts
//! implement [`Executor`]); this module only decides whether and records what happened.

pub mod gate;
pub mod held;
pub mod journal;

pub use crate::model::action::{ActionRequest, Confirmation, KillMode, RolloutOp, WorkloadKind};
pub use gate::{
    Admitted, AuditGate, Delivery, ExecResult, Executor, GateOutcome, Refusal, RefusalKind,
    allowed, local_client_info,
};
pub use journal::{Backoff, Journal, JournalEntry, ReplayReport};
