//! PostgreSQL sessions, the blocking tree, locks and the outcome of a guarded cancel or
//! terminate. Plain data with no I/O: the real source (`sources::postgres`) and the sandbox
//! build these values, the app stores them and the Postgres pane draws them.
//!
//! The tree splits the work: the server's `pg_blocking_pids`
//! (<https://www.postgresql.org/docs/current/functions-info.html>) decides who blocks whom (it
//! knows the lock-conflict matrix), and the tree is assembled here, in Rust, rather than with
//! a recursive query on the server (such as the one in
//! <https://postgres.ai/blog/20211018-postgresql-lock-trees>, not meant for frequent polls).

use std::time::Duration;

use jiff::Timestamp;

use crate::model::action::KillMode;
use crate::model::platform::OutcomeStatus;
use crate::model::sanitize::clean_multiline;

/// Longest query text kept per session, in characters (the server already sends at most
/// this many with `left(query, 1024)`; the sandbox and cleaning are held to it too).
pub const QUERY_CHARS: usize = 1024;

/// Node id of a prepared transaction in `pg_blocking_pids` output: it has no backend.
pub const PREPARED_PID: i32 = 0;

/// Cleans and bounds a query text from the server. Newlines survive (the detail view shows
/// the statement's shape); every other control becomes a visible stand-in.
#[must_use]
pub fn clean_query(raw: &str) -> String {
    let cleaned = clean_multiline(raw);
    match cleaned.char_indices().nth(QUERY_CHARS) {
        Some((cut, _)) => cleaned[..cut].to_owned(),
        None => cleaned,
    }
}

/// A timestamp as the PID-reuse guard carries it (`ActionRequest::KillQuery`'s
/// `backend_start` and `query_start`): RFC 3339 in UTC with exactly six fractional digits.
/// PostgreSQL keeps microseconds, so this round-trips without loss.
#[must_use]
pub fn pin(ts: Timestamp) -> String {
    format!("{ts:.6}")
}

/// Reads a [`pin`] back (any RFC 3339 timestamp is accepted).
pub fn parse_pin(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>()
        .map_err(|e| format!("bad timestamp {text:?}: {e}"))
}

/// One backend as `pg_stat_activity` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSession {
    pub pid: i32,
    /// Set on parallel workers (PG13+): the leader whose query they serve.
    pub leader_pid: Option<i32>,
    /// `client backend`, `parallel worker`, `autovacuum worker`, ...
    pub backend_type: String,
    /// The session's role; `None` for processes without one (background workers).
    pub user: Option<String>,
    pub application: String,
    /// Client address, or `local` for a Unix socket.
    pub client: String,
    pub database: String,
    /// As PostgreSQL reports it: `active`, `idle in transaction`,
    /// `idle in transaction (aborted)`, `idle`, `fastpath function call`, `disabled`.
    pub state: String,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    pub backend_start: Timestamp,
    pub xact_start: Option<Timestamp>,
    pub query_start: Option<Timestamp>,
    pub state_change: Option<Timestamp>,
    /// Sanitized with [`clean_query`]: at most [`QUERY_CHARS`] characters, newlines kept.
    /// Use [`PgSession::query_line`] for a single-line cell.
    pub query: String,
    /// Who blocks this session (`pg_blocking_pids`, deduplicated, leader pids; 0 = a
    /// prepared transaction). Empty unless the session waits on a heavyweight lock.
    pub blocked_by: Vec<i32>,
    /// The blockers in `blocked_by` this session is only queued behind: they hold nothing
    /// it wants but asked first for a conflicting lock (soft blocking). The others hold
    /// the lock it waits for (hard blocking).
    pub soft_blockers: Vec<i32>,
    /// `pg_stat_activity.query_id` (PG14+, with `compute_query_id`): links the session to
    /// its `pg_stat_statements` entry.
    pub query_id: Option<i64>,
    /// The session's role is a superuser (only a superuser may signal it).
    pub superuser: bool,
    /// When the oldest ungranted lock request of this session started (PG14+).
    pub wait_start: Option<Timestamp>,
}

impl PgSession {
    /// Waits on a heavyweight lock (`wait_event_type = 'Lock'`), the only kind of wait that
    /// shows up in the blocking tree.
    #[must_use]
    pub fn is_waiting_on_lock(&self) -> bool {
        self.wait_event_type.as_deref() == Some("Lock")
    }

    /// `idle in transaction` or `idle in transaction (aborted)`: holds its locks while no
    /// statement runs, so a cancel has nothing to interrupt.
    #[must_use]
    pub fn is_idle_in_transaction(&self) -> bool {
        self.state.starts_with("idle in transaction")
    }

    /// `active` (or a fast-path call): a statement is running that a cancel can stop.
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(self.state.as_str(), "active" | "fastpath function call")
    }

    /// A parallel worker serving another backend's query.
    #[must_use]
    pub fn is_parallel_worker(&self) -> bool {
        self.backend_type == "parallel worker" || self.leader_pid.is_some_and(|l| l != self.pid)
    }

    /// The blocking-tree node this session belongs to: its leader for parallel workers.
    #[must_use]
    pub fn node_id(&self) -> i32 {
        self.leader_pid.unwrap_or(self.pid)
    }

    /// Age of the open transaction at `now`.
    #[must_use]
    pub fn xact_age(&self, now: Timestamp) -> Option<Duration> {
        self.xact_start.map(|t| age(t, now))
    }

    /// Age of the current (or last, when idle) statement at `now`.
    #[must_use]
    pub fn query_age(&self, now: Timestamp) -> Option<Duration> {
        self.query_start.map(|t| age(t, now))
    }

    /// How long the session has waited for its lock at `now`.
    #[must_use]
    pub fn wait_age(&self, now: Timestamp) -> Option<Duration> {
        self.wait_start.map(|t| age(t, now))
    }

    /// Age of the connection at `now`.
    #[must_use]
    pub fn backend_age(&self, now: Timestamp) -> Duration {
        age(self.backend_start, now)
    }

    /// The query on one line: runs of whitespace (newlines included) become one space.
    #[must_use]
    pub fn query_line(&self) -> String {
        self.query.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `wait_event_type:wait_event`, e.g. `Lock:transactionid`, or empty.
    #[must_use]
    pub fn wait_label(&self) -> String {
        match (&self.wait_event_type, &self.wait_event) {
            (Some(t), Some(e)) => format!("{t}:{e}"),
            (Some(t), None) => t.clone(),
            _ => String::new(),
        }
    }
}

/// Time from `from` to `now`, zero when the clocks disagree.
fn age(from: Timestamp, now: Timestamp) -> Duration {
    Duration::try_from(now.duration_since(from)).unwrap_or(Duration::ZERO)
}

/// The monitoring connection's own role and the privileges that matter to the pane.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PgRole {
    pub name: String,
    pub superuser: bool,
    /// Member of `pg_signal_backend`: may signal other non-superuser roles' backends.
    pub signal_backend: bool,
    /// Member of `pg_read_all_stats` (or `pg_monitor`): sees other roles' queries.
    pub read_all_stats: bool,
}

/// A prepared (two-phase) transaction: it can hold locks with no backend at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedXact {
    pub gid: String,
    pub prepared: Timestamp,
    pub owner: String,
    pub database: String,
}

/// Everything one refresh of one database saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSnapshot {
    /// The opsdeck name of the database (config or sandbox), not `datname`.
    pub database: String,
    /// `server_version_num`, e.g. 150018.
    pub server_version_num: i32,
    /// The server's clock when the snapshot was read; ages are measured against it.
    pub taken_at: Timestamp,
    /// Non-idle backends plus every blocker (idle ones included), sorted by pid.
    pub sessions: Vec<PgSession>,
    pub prepared: Vec<PreparedXact>,
    pub role: PgRole,
    /// Server-wide figures (connections, rates' counters, horizons), when read.
    pub facts: crate::model::pg_server::PgFacts,
}

impl PgSnapshot {
    #[must_use]
    pub fn session(&self, pid: i32) -> Option<&PgSession> {
        self.sessions.iter().find(|s| s.pid == pid)
    }

    /// Sessions waiting on a heavyweight lock.
    pub fn waiting(&self) -> impl Iterator<Item = &PgSession> {
        self.sessions.iter().filter(|s| s.is_waiting_on_lock())
    }

    /// `server_version_num` as `15.18`.
    #[must_use]
    pub fn server_version(&self) -> String {
        let major = self.server_version_num / 10_000;
        let minor = self.server_version_num % 10_000;
        format!("{major}.{minor}")
    }
}

pub use crate::model::pg_tree::{BlockingLine, MAX_TREE_LINES, blocking_tree};

/// One row of `pg_locks` for a backend, with the relation name resolved on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgLock {
    /// `relation`, `transactionid`, `tuple`, `virtualxid`, `advisory`, ...
    pub locktype: String,
    /// `AccessShareLock`, `RowExclusiveLock`, ..., `AccessExclusiveLock`.
    pub mode: String,
    pub granted: bool,
    /// Schema-qualified relation name, for relation, page and tuple locks.
    pub relation: Option<String>,
    /// What the lock is on besides the relation: `xid 1234`, `page 3 tuple 7`,
    /// `advisory 42`, ...
    pub detail: String,
    /// When the wait began (ungranted rows, PG14+).
    pub wait_start: Option<Timestamp>,
}

/// How a guarded cancel or terminate ended (the answers of postgres/postgres,
/// src/backend/storage/ipc/signalfuncs.c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillOutcome {
    /// The signal was sent (terminate with a timeout: the process exited).
    Signalled,
    /// `false` with "is not a PostgreSQL backend process": it exited between the check and
    /// the signal.
    AlreadyGone,
    /// No row matched pid + `backend_start` (+ `query_start`): the pid is gone or now
    /// belongs to another connection or statement. Nothing was sent.
    GuardMismatch,
    /// SQLSTATE 42501, with the server's message.
    PermissionDenied(String),
    /// Terminate with a timeout: the process was still alive at the deadline.
    Timeout,
    /// Sent, but it cannot have done anything: a cancel to a session that is not running a
    /// statement (idle in transaction keeps its locks).
    Ineffective,
}

impl KillOutcome {
    /// One word (or short phrase) that says what happened, for toasts and the audit detail.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Self::Signalled => "signalled",
            Self::AlreadyGone => "already gone",
            Self::GuardMismatch => "target changed",
            Self::PermissionDenied(_) => "permission denied",
            Self::Timeout => "timed out",
            Self::Ineffective => "ineffective",
        }
    }

    /// A single-width glyph shown with [`KillOutcome::word`] (never colour alone).
    #[must_use]
    pub fn glyph(&self) -> &'static str {
        match self {
            Self::Signalled => "✓",
            Self::AlreadyGone => "○",
            Self::GuardMismatch => "≠",
            Self::PermissionDenied(_) => "✗",
            Self::Timeout => "◷",
            Self::Ineffective => "–",
        }
    }

    /// The audit outcome status.
    #[must_use]
    pub fn status(&self) -> OutcomeStatus {
        match self {
            Self::Signalled => OutcomeStatus::Succeeded,
            Self::Ineffective | Self::AlreadyGone | Self::GuardMismatch => {
                OutcomeStatus::Ineffective
            }
            Self::PermissionDenied(_) | Self::Timeout => OutcomeStatus::Failed,
        }
    }

    /// A sentence for the user and the audit record.
    #[must_use]
    pub fn message(&self, mode: KillMode, pid: i32) -> String {
        let verb = match mode {
            KillMode::Cancel => "cancel",
            KillMode::Terminate => "terminate",
        };
        match self {
            Self::Signalled => match mode {
                KillMode::Cancel => format!("cancel sent to backend {pid}"),
                KillMode::Terminate => format!("backend {pid} terminated"),
            },
            Self::AlreadyGone => format!("backend {pid} had already exited; nothing to {verb}"),
            Self::GuardMismatch => {
                format!("backend {pid} changed or is gone since the last refresh; nothing sent")
            }
            Self::PermissionDenied(m) => format!("not allowed to {verb} backend {pid}: {m}"),
            Self::Timeout => {
                format!("backend {pid} was signalled but still runs after the timeout")
            }
            Self::Ineffective => format!(
                "cancel had no effect on backend {pid}: it is not running a statement, so it \
                 keeps its transaction and locks; terminate it instead"
            ),
        }
    }
}

/// Whether the monitoring role may signal `target`; `Err` holds the reason to show next to
/// the disabled action (`pg_signal_backend()` in postgres/postgres,
/// src/backend/storage/ipc/signalfuncs.c, and
/// <https://www.postgresql.org/docs/current/predefined-roles.html>).
pub fn kill_permission(role: &PgRole, target: &PgSession) -> Result<(), String> {
    if role.superuser {
        return Ok(());
    }
    let Some(user) = target.user.as_deref() else {
        return Err(format!(
            "{} has no role; only a superuser may signal it",
            target.backend_type
        ));
    };
    if target.superuser {
        return Err(format!(
            "{user} is a superuser; only a superuser may signal its sessions"
        ));
    }
    if target.backend_type == "autovacuum worker" {
        return Err(
            "only a superuser (or pg_signal_autovacuum_worker, PG18) may signal an \
                    autovacuum worker"
                .into(),
        );
    }
    if user == role.name || role.signal_backend {
        return Ok(());
    }
    Err(format!(
        "{} may not signal {user}'s sessions: grant it pg_signal_backend (or membership in \
         {user})",
        role.name
    ))
}

/// Which operation fits a target, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillAdvice {
    /// The operation to preselect in the dialog.
    pub recommended: KillMode,
    /// Whether a cancel can do anything at all (false: offering it would be a no-op).
    pub cancel_effective: bool,
    /// One or two sentences for the dialog.
    pub reason: String,
}

/// Which of cancel and terminate fits `target` (postgres/postgres: `ProcessInterrupts` in
/// src/backend/tcop/postgres.c, and src/backend/storage/ipc/signalfuncs.c).
#[must_use]
pub fn advice(target: &PgSession) -> KillAdvice {
    if target.is_parallel_worker() {
        let leader = target.leader_pid.unwrap_or(target.pid);
        return KillAdvice {
            recommended: KillMode::Cancel,
            cancel_effective: true,
            reason: format!(
                "parallel worker of backend {leader}: act on the leader; cancelling the \
                 worker fails the leader's whole query"
            ),
        };
    }
    if target.is_idle_in_transaction() {
        return KillAdvice {
            recommended: KillMode::Terminate,
            cancel_effective: false,
            reason: format!(
                "{}: no statement is running, so cancel does nothing and the transaction \
                 keeps its locks. Terminate closes the connection and rolls the transaction \
                 back.",
                target.state
            ),
        };
    }
    if target.is_running() {
        return KillAdvice {
            recommended: KillMode::Cancel,
            cancel_effective: true,
            reason: "active: cancel stops the running statement (its transaction aborts, \
                     the connection stays); terminate closes the connection."
                .into(),
        };
    }
    KillAdvice {
        recommended: KillMode::Terminate,
        cancel_effective: false,
        reason: format!(
            "{}: no statement is running, so cancel does nothing. Locks held outside a \
             transaction (session advisory locks) go only when the connection closes.",
            if target.state.is_empty() {
                "no state"
            } else {
                target.state.as_str()
            }
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    /// A client backend in `state`, waiting on `blocked_by` (shared with the tree's tests).
    pub(crate) fn session(pid: i32, state: &str, blocked_by: &[i32]) -> PgSession {
        PgSession {
            pid,
            leader_pid: None,
            backend_type: "client backend".into(),
            user: Some("app".into()),
            application: "svc".into(),
            client: "10.0.0.1".into(),
            database: "orders".into(),
            state: state.into(),
            wait_event_type: (!blocked_by.is_empty()).then(|| "Lock".into()),
            wait_event: (!blocked_by.is_empty()).then(|| "transactionid".into()),
            backend_start: ts(0),
            xact_start: Some(ts(10)),
            query_start: Some(ts(20)),
            state_change: Some(ts(20)),
            query: "SELECT 1".into(),
            blocked_by: blocked_by.to_vec(),
            soft_blockers: Vec::new(),
            query_id: None,
            superuser: false,
            wait_start: None,
        }
    }

    #[test]
    fn pins_round_trip_at_microseconds() {
        let t = Timestamp::from_microsecond(1_700_000_000_123_456).unwrap();
        assert_eq!(pin(t), "2023-11-14T22:13:20.123456Z");
        assert_eq!(parse_pin(&pin(t)).unwrap(), t);
        let whole = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(pin(whole), "2023-11-14T22:13:20.000000Z");
        assert!(parse_pin("yesterday").is_err());
    }

    #[test]
    fn session_helpers() {
        let s = session(1, "idle in transaction (aborted)", &[]);
        assert!(s.is_idle_in_transaction());
        assert!(!s.is_waiting_on_lock());
        assert_eq!(s.xact_age(ts(70)), Some(Duration::from_mins(1)));
        assert_eq!(s.query_age(ts(70)), Some(Duration::from_secs(50)));
        assert_eq!(s.query_age(ts(0)), Some(Duration::ZERO), "clock skew");
        let w = session(2, "active", &[1]);
        assert!(w.is_waiting_on_lock());
        assert_eq!(w.wait_label(), "Lock:transactionid");
        let mut q = session(3, "active", &[]);
        q.query = "SELECT *\n  FROM t\n WHERE x".into();
        assert_eq!(q.query_line(), "SELECT * FROM t WHERE x");
    }

    #[test]
    fn clean_query_bounds_and_sanitizes() {
        let long = "x".repeat(5000);
        assert_eq!(clean_query(&long).chars().count(), QUERY_CHARS);
        let evil = "SELECT 1 -- \u{1b}]52;c;ZXZpbA==\u{7}\u{202e}\nFROM t";
        let c = clean_query(evil);
        assert!(!c.contains('\u{1b}') && !c.contains('\u{202e}'));
        assert!(c.contains('\n'));
    }

    #[test]
    fn permissions() {
        let monitor = PgRole {
            name: "opsdeck".into(),
            superuser: false,
            signal_backend: false,
            read_all_stats: true,
        };
        let mut target = session(1, "active", &[]);
        assert!(
            kill_permission(&monitor, &target)
                .unwrap_err()
                .contains("pg_signal_backend")
        );
        target.user = Some("opsdeck".into());
        assert!(kill_permission(&monitor, &target).is_ok(), "own sessions");
        target.user = Some("app".into());
        let signaller = PgRole {
            signal_backend: true,
            ..monitor.clone()
        };
        assert!(kill_permission(&signaller, &target).is_ok());
        target.superuser = true;
        assert!(
            kill_permission(&signaller, &target)
                .unwrap_err()
                .contains("superuser")
        );
        let su = PgRole {
            superuser: true,
            ..monitor.clone()
        };
        assert!(kill_permission(&su, &target).is_ok());
        let mut worker = session(2, "active", &[]);
        worker.user = None;
        worker.backend_type = "logical replication worker".into();
        assert!(
            kill_permission(&signaller, &worker)
                .unwrap_err()
                .contains("no role")
        );
        assert!(kill_permission(&su, &worker).is_ok());
    }

    #[test]
    fn advice_for_each_state() {
        let idle_tx = advice(&session(1, "idle in transaction", &[]));
        assert_eq!(idle_tx.recommended, KillMode::Terminate);
        assert!(!idle_tx.cancel_effective);
        assert!(idle_tx.reason.contains("cancel does nothing"));
        let active = advice(&session(2, "active", &[]));
        assert_eq!(active.recommended, KillMode::Cancel);
        assert!(active.cancel_effective);
        let idle = advice(&session(3, "idle", &[]));
        assert_eq!(idle.recommended, KillMode::Terminate);
        assert!(!idle.cancel_effective);
    }

    #[test]
    fn outcomes_map_to_audit_status() {
        use OutcomeStatus as S;
        let cases = [
            (KillOutcome::Signalled, S::Succeeded),
            (KillOutcome::AlreadyGone, S::Ineffective),
            (KillOutcome::GuardMismatch, S::Ineffective),
            (KillOutcome::Ineffective, S::Ineffective),
            (KillOutcome::PermissionDenied("x".into()), S::Failed),
            (KillOutcome::Timeout, S::Failed),
        ];
        for (outcome, status) in cases {
            assert_eq!(outcome.status(), status, "{outcome:?}");
            assert!(!outcome.word().is_empty());
            assert_eq!(unicode_width::UnicodeWidthStr::width(outcome.glyph()), 1);
            assert!(outcome.message(KillMode::Terminate, 7).contains('7'));
        }
    }
}
