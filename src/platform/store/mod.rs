//! Persistence of the audit chain, idempotency keys and requests, in SQLite (one server)
//! or PostgreSQL (replicas sharing one database).
//!
//! Every write is one transaction that holds the chain lock (SQLite: `BEGIN IMMEDIATE` on a
//! single writer connection; PostgreSQL: `pg_advisory_xact_lock`), reads the chain head,
//! and appends. The rules of each write live once, in [`logic`], written against the small
//! [`Tx`] trait both backends implement, so the two stores cannot drift apart in meaning.

mod logic;
pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::path::PathBuf;

use serde_json::Value;

use crate::model::checkpoint::Checkpoint;
use crate::model::oncall::Shift;
use crate::model::platform::{
    Actor, AuditEvent, ChainPoint, EventPage, EventQuery, IntentAnswer, IntentBody, OutcomeAnswer,
    OutcomeBody, Request, RequestSpec, RequestState, VerifyReport,
};
use crate::platform::chain::ChainRow;
use crate::platform::policy::Verdict;

pub use logic::now;

/// Where the data lives: `sqlite://PATH` or `postgres://...` (`postgresql://` too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    /// A libpq-style URL, passed to tokio-postgres as is.
    Postgres(String),
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/opsdeck/platform.db"
                        .into(),
                );
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.to_owned()))
        } else {
            Err(format!(
                "unsupported store {s:?}: use sqlite://PATH or postgres://..."
            ))
        }
    }
}

impl std::fmt::Display for StoreUrl {
    /// Never prints a password that may be embedded in a PostgreSQL URL.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => {
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        format!("{}://***{}", &url[..scheme], &url[at..])
                    }
                    _ => url.clone(),
                };
                f.write_str(&shown)
            }
        }
    }
}

/// Failures of a store operation. The handlers map the kinds to HTTP statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Backend(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Backend(format!("json: {e}"))
    }
}

/// Recording an intent: who (authenticated), what, and what policy said.
#[derive(Debug, Clone)]
pub struct IntentCtx {
    pub actor: Actor,
    pub idempotency_key: Option<String>,
    pub body: IntentBody,
    pub verdict: Verdict,
}

/// A state change of a request, checked against the state it must come from.
#[derive(Debug, Clone)]
pub struct Transition {
    pub actor: Actor,
    pub request_id: String,
    pub from: Vec<RequestState>,
    pub to: RequestState,
    pub reason: Option<String>,
    pub result: Option<Value>,
    /// Sets `decided_by` (approve, reject).
    pub decision: bool,
}

/// One write, run inside one chain-locked transaction.
#[derive(Debug, Clone)]
pub enum WriteOp {
    Intent(Box<IntentCtx>),
    Outcome {
        actor: Actor,
        intent_id: String,
        body: OutcomeBody,
    },
    CreateRequest {
        actor: Actor,
        spec: RequestSpec,
    },
    Transition(Box<Transition>),
    /// A standalone event (denied authentication, refused calls).
    Record(Box<AuditEvent>),
    /// Store an on-call shift and append its `oncall.shift.declare|override` event.
    DeclareShift {
        actor: Actor,
        shift: Box<Shift>,
        /// Why it was allowed, recorded in the event.
        reason: String,
    },
    /// Store fixture shifts (the sandbox's rota) without events: nobody declared them, and
    /// only in-process setups can ask for it (`ServeOptions::oncall_seed`; no CLI flag).
    SeedShifts(Vec<Shift>),
    /// Remove a shift of `team` and append its `oncall.shift.remove` event.
    RemoveShift {
        actor: Actor,
        team: String,
        id: String,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub enum WriteResult {
    Intent(IntentAnswer),
    Outcome(OutcomeAnswer),
    Request(Box<Request>),
    Recorded(String),
    Shift(Box<Shift>),
    Seeded(usize),
}

/// The primitive operations of a write transaction, implemented by each backend. The
/// transaction already holds the chain lock when these are called.
pub trait Tx: Send {
    /// `(seq, hash)` of the last row, `(0, GENESIS)` for an empty chain.
    fn head(&mut self) -> impl Future<Output = Result<(i64, String), StoreError>> + Send;
    fn insert_row(&mut self, row: &ChainRow)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// `(fingerprint, answer_json)` stored for an idempotency key.
    fn idem_get(
        &mut self,
        actor: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<(String, String)>, StoreError>> + Send;
    fn idem_put(
        &mut self,
        actor: &str,
        key: &str,
        fingerprint: &str,
        answer: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn event(
        &mut self,
        event_id: &str,
    ) -> impl Future<Output = Result<Option<ChainRow>, StoreError>> + Send;
    fn outcome_of(
        &mut self,
        intent_id: &str,
    ) -> impl Future<Output = Result<Option<ChainRow>, StoreError>> + Send;
    fn request(
        &mut self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Request>, StoreError>> + Send;
    fn put_request(
        &mut self,
        request: &Request,
        insert: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Approved, not yet used approval requests of one requester.
    fn approved_actions(
        &mut self,
        requester: &str,
    ) -> impl Future<Output = Result<Vec<Request>, StoreError>> + Send;
    fn insert_shift(
        &mut self,
        shift: &Shift,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn shift(&mut self, id: &str)
    -> impl Future<Output = Result<Option<Shift>, StoreError>> + Send;
    fn delete_shift(&mut self, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Which shifts to list: of one team (or all), overlapping `[from_us, to_us)` (microseconds
/// since the epoch; `None` leaves that side open).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShiftFilter {
    pub team: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// An opened store.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl Store {
    /// Opens the store and creates its schema if needed; `key_password` decrypts a
    /// postgres store's encrypted `sslkey`.
    pub async fn open(url: &StoreUrl, key_password: Option<&str>) -> Result<Self, StoreError> {
        match url {
            StoreUrl::Sqlite(path) => Ok(Self::Sqlite(sqlite::SqliteStore::open(path).await?)),
            StoreUrl::Postgres(url) => Ok(Self::Postgres(
                postgres::PgStore::open(url, key_password).await?,
            )),
        }
    }

    pub async fn write(&self, op: WriteOp) -> Result<WriteResult, StoreError> {
        match self {
            Self::Sqlite(s) => s.write(op).await,
            Self::Postgres(s) => s.write(op).await,
        }
    }

    pub async fn record_intent(&self, ctx: IntentCtx) -> Result<IntentAnswer, StoreError> {
        match self.write(WriteOp::Intent(Box::new(ctx))).await? {
            WriteResult::Intent(answer) => Ok(answer),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn record_outcome(
        &self,
        actor: Actor,
        intent_id: String,
        body: OutcomeBody,
    ) -> Result<OutcomeAnswer, StoreError> {
        match self
            .write(WriteOp::Outcome {
                actor,
                intent_id,
                body,
            })
            .await?
        {
            WriteResult::Outcome(answer) => Ok(answer),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn create_request(
        &self,
        actor: Actor,
        spec: RequestSpec,
    ) -> Result<Request, StoreError> {
        match self.write(WriteOp::CreateRequest { actor, spec }).await? {
            WriteResult::Request(r) => Ok(*r),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn transition(&self, t: Transition) -> Result<Request, StoreError> {
        match self.write(WriteOp::Transition(Box::new(t))).await? {
            WriteResult::Request(r) => Ok(*r),
            other => Err(unexpected(&other)),
        }
    }

    /// Appends a standalone event; returns its id.
    pub async fn record(&self, event: AuditEvent) -> Result<String, StoreError> {
        match self.write(WriteOp::Record(Box::new(event))).await? {
            WriteResult::Recorded(id) => Ok(id),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn list_events(&self, query: &EventQuery) -> Result<EventPage, StoreError> {
        let filter = EventFilter::from_query(query)?;
        match self {
            Self::Sqlite(s) => s.list_events(filter).await,
            Self::Postgres(s) => s.list_events(filter).await,
        }
    }

    /// Walks the whole chain; also answers its head, and the rows at `at` that exist.
    pub async fn verify(&self, at: &[i64]) -> Result<VerifyReport, StoreError> {
        let mut report = match self {
            Self::Sqlite(s) => s.verify().await?,
            Self::Postgres(s) => s.verify().await?,
        };
        report.head = self.chain_head().await?;
        for &seq in at {
            report.at.extend(self.row_at(seq).await?);
        }
        Ok(report)
    }

    /// The chain's last row, `None` when it is empty.
    pub async fn chain_head(&self) -> Result<Option<ChainPoint>, StoreError> {
        match self {
            Self::Sqlite(s) => s.chain_point(None).await,
            Self::Postgres(s) => s.chain_point(None).await,
        }
    }

    /// The row with this `seq`, if there is one.
    pub async fn row_at(&self, seq: i64) -> Result<Option<ChainPoint>, StoreError> {
        match self {
            Self::Sqlite(s) => s.chain_point(Some(seq)).await,
            Self::Postgres(s) => s.chain_point(Some(seq)).await,
        }
    }

    /// Stores a signed checkpoint with the public key that signed it.
    pub async fn insert_checkpoint(
        &self,
        checkpoint: &Checkpoint,
        public_key: &str,
    ) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.insert_checkpoint(checkpoint, public_key).await,
            Self::Postgres(s) => s.insert_checkpoint(checkpoint, public_key).await,
        }
    }

    /// The newest `limit` checkpoints, newest first.
    pub async fn checkpoints(&self, limit: i64) -> Result<Vec<Checkpoint>, StoreError> {
        match self {
            Self::Sqlite(s) => s.checkpoints(limit).await,
            Self::Postgres(s) => s.checkpoints(limit).await,
        }
    }

    /// `(key id, base64 public key)` of every key that signed a stored checkpoint.
    pub async fn checkpoint_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        match self {
            Self::Sqlite(s) => s.checkpoint_keys().await,
            Self::Postgres(s) => s.checkpoint_keys().await,
        }
    }

    pub async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        match self {
            Self::Sqlite(s) => s.get_request(id).await,
            Self::Postgres(s) => s.get_request(id).await,
        }
    }

    /// Declares a shift (already validated and authorized); appends its audit event in the
    /// same transaction.
    pub async fn declare_shift(
        &self,
        actor: Actor,
        shift: Shift,
        reason: String,
    ) -> Result<Shift, StoreError> {
        match self
            .write(WriteOp::DeclareShift {
                actor,
                shift: Box::new(shift),
                reason,
            })
            .await?
        {
            WriteResult::Shift(s) => Ok(*s),
            other => Err(unexpected(&other)),
        }
    }

    /// Stores fixture shifts without audit events (see [`WriteOp::SeedShifts`]).
    pub async fn seed_shifts(&self, shifts: Vec<Shift>) -> Result<usize, StoreError> {
        match self.write(WriteOp::SeedShifts(shifts)).await? {
            WriteResult::Seeded(n) => Ok(n),
            other => Err(unexpected(&other)),
        }
    }

    /// Removes a shift of `team`; returns it. Appends its audit event in the same
    /// transaction.
    pub async fn remove_shift(
        &self,
        actor: Actor,
        team: String,
        id: String,
        reason: String,
    ) -> Result<Shift, StoreError> {
        match self
            .write(WriteOp::RemoveShift {
                actor,
                team,
                id,
                reason,
            })
            .await?
        {
            WriteResult::Shift(s) => Ok(*s),
            other => Err(unexpected(&other)),
        }
    }

    /// Shifts matching `filter`, ordered by start then declaration.
    pub async fn list_shifts(&self, filter: ShiftFilter) -> Result<Vec<Shift>, StoreError> {
        let mut shifts = match self {
            Self::Sqlite(s) => s.list_shifts(filter).await?,
            Self::Postgres(s) => s.list_shifts(filter).await?,
        };
        shifts.sort_by(|a, b| (a.from, a.created_at, &a.id).cmp(&(b.from, b.created_at, &b.id)));
        Ok(shifts)
    }

    /// Whether any shift, past or future, was ever stored for `team`.
    pub async fn team_has_shifts(&self, team: &str) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(s) => s.team_has_shifts(team).await,
            Self::Postgres(s) => s.team_has_shifts(team).await,
        }
    }

    /// Requests of one requester, or everyone's with `None`; newest first.
    pub async fn list_requests(&self, requester: Option<&str>) -> Result<Vec<Request>, StoreError> {
        match self {
            Self::Sqlite(s) => s.list_requests(requester).await,
            Self::Postgres(s) => s.list_requests(requester).await,
        }
    }
}

fn unexpected(result: &WriteResult) -> StoreError {
    StoreError::Backend(format!("unexpected write result {result:?}"))
}

/// Rows fetched per page when walking the whole chain.
pub(crate) const VERIFY_PAGE: i64 = 1000;

/// [`EventQuery`] validated and converted to column values.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub since_us: Option<i64>,
    pub until_us: Option<i64>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

impl EventFilter {
    pub const DEFAULT_LIMIT: i64 = 100;
    pub const MAX_LIMIT: i64 = 1000;

    pub fn from_query(q: &EventQuery) -> Result<Self, StoreError> {
        let time = |name: &str, v: &Option<String>| -> Result<Option<i64>, StoreError> {
            v.as_deref()
                .map(|s| {
                    crate::platform::chain::parse_time_us(s).ok_or_else(|| {
                        StoreError::Invalid(format!("{name}: {s:?} is not an RFC 3339 time"))
                    })
                })
                .transpose()
        };
        let before_seq = q
            .cursor
            .as_deref()
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| StoreError::Invalid(format!("bad cursor {c:?}")))
            })
            .transpose()?;
        let limit = q.limit.map_or(Self::DEFAULT_LIMIT, i64::from);
        Ok(Self {
            actor: q.actor.clone().filter(|s| !s.is_empty()),
            action: q.action.clone().filter(|s| !s.is_empty()),
            target: q.target.clone().filter(|s| !s.is_empty()),
            since_us: time("since", &q.since)?,
            until_us: time("until", &q.until)?,
            before_seq,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        })
    }
}

/// Builds a page from rows fetched with `limit + 1` (the extra row says a next page exists).
pub(crate) fn page_from(
    mut rows: Vec<(i64, String, String, Option<String>)>,
    limit: i64,
) -> Result<EventPage, StoreError> {
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more {
        rows.last().map(|r| r.0.to_string())
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|(seq, hash, body, outcome)| {
            Ok(crate::model::platform::AuditItem {
                seq,
                hash,
                event: serde_json::from_str(&body)?,
                outcome: outcome.map(|o| serde_json::from_str(&o)).transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(EventPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_and_hide_passwords() {
        assert_eq!(
            "sqlite:///tmp/a.db".parse::<StoreUrl>(),
            Ok(StoreUrl::Sqlite("/tmp/a.db".into()))
        );
        let pg: StoreUrl = "postgres://u:pw@db:5432/audit".parse().expect("parses");
        assert_eq!(pg.to_string(), "postgres://***@db:5432/audit");
        assert!("mysql://x".parse::<StoreUrl>().is_err());
        assert!("sqlite://".parse::<StoreUrl>().is_err());
    }
}
