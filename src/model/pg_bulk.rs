//! Several PostgreSQL sessions at once: which sessions a selection ("idle in transaction for
//! more than 10 min", a user, an application) picks, the plan of a bulk cancel or terminate
//! (every target with its guard, or why it is left out), and each target's own outcome.
//!
//! The habits come from `pg_activity`, whose `space` tags and untags the current query and
//! whose `C`/`K` then cancel or kill every tagged one (`dalibo/pg_activity`,
//! `pgactivity/keys.py` at 03068d49: `PROCESS_PIN`, `PROCESS_CANCEL`, `PROCESS_KILL`), and
//! pgcenter, which cancels or terminates a whole group by state and age in one statement
//! (lesovsky/pgcenter, `internal/query/common.go` at 0310cbdc: `ExecCancelQueryGroup`,
//! `ExecTerminateBackendGroup`, which answer only a count). Unlike both, a target is never a
//! bare pid or a live filter: each one carries the `backend_start` (and, for a cancel, the
//! `query_start`) the user saw, the server refuses it when that no longer matches, and each
//! target's answer is kept.
//!
//! The outcome of the one audited action is a text whose first line sums up and whose
//! following lines give one target each ([`BulkReport::detail`]); the pane reads it back
//! with [`parse_detail`] to show every target's outcome beside its row.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::action::KillMode;
use crate::model::pg::{KillOutcome, PgRole, PgSession, advice, kill_permission, pin};
use crate::model::platform::OutcomeStatus;

/// Most targets one bulk action may carry: the plan must stay readable, and the audit
/// record and the policy's target ref stay bounded.
pub const MAX_TARGETS: usize = 100;

/// One backend of a bulk action, pinned as the guard checks it ([`pin`] strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedBackend {
    pub pid: i32,
    pub backend_start: String,
    /// Pins the statement of a cancel; `None` for a terminate.
    #[serde(default)]
    pub query_start: Option<String>,
}

/// A session state a selection may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWord {
    Active,
    Idle,
    /// `idle in transaction` and `idle in transaction (aborted)`.
    IdleInTransaction,
    /// Only `idle in transaction (aborted)`.
    Aborted,
    /// Waiting on a heavyweight lock.
    Waiting,
}

impl StateWord {
    fn matches(self, s: &PgSession) -> bool {
        match self {
            Self::Active => s.state == "active",
            Self::Idle => s.state == "idle",
            Self::IdleInTransaction => s.is_idle_in_transaction(),
            Self::Aborted => s.state == "idle in transaction (aborted)",
            Self::Waiting => s.is_waiting_on_lock(),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
            Self::IdleInTransaction => "idle in transaction",
            Self::Aborted => "idle in transaction (aborted)",
            Self::Waiting => "waiting on a lock",
        }
    }
}

/// Which clock an age limit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeOf {
    /// Time in the current state (`state_change`), as "idle in transaction for 10 min".
    State,
    /// The open transaction (`xact_start`).
    Transaction,
    /// The current or last statement (`query_start`).
    Query,
}

impl AgeOf {
    fn word(self) -> &'static str {
        match self {
            Self::State => "in that state",
            Self::Transaction => "in a transaction",
            Self::Query => "on the statement",
        }
    }
}

/// What `M` marks: sessions in any of `states` (all when empty), older than `older_than`
/// by `age_of`, of `user` and `application` (globs with `*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub states: Vec<StateWord>,
    pub older_than: Option<(AgeOf, Duration)>,
    pub user: Option<String>,
    pub application: Option<String>,
}

/// What the `M` prompt shows under its input.
pub const SELECTION_HINT: &str = "states: active idle idle-in-tx aborted waiting · age: >10m \
     (in state) xact>5m query>30s · user=NAME app=NAME (* globs) · e.g. idle-in-tx >10m";

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn duration(text: &str, token: &str) -> Result<Duration, String> {
    let text = text.trim_start_matches('=');
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    crate::model::metrics::parse_duration(text)
        .ok_or_else(|| format!("`{token}`: an age is a number and a unit, e.g. >10m, xact>1h"))
}

impl Selection {
    /// Reads the `M` prompt: space-separated words, every one of which must hold
    /// (states among themselves: any of them). `idle in transaction` may be written out.
    ///
    /// # Errors
    /// The word that is not understood, with what is.
    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input
            .to_lowercase()
            .replace("idle in transaction (aborted)", "aborted")
            .replace("idle in transaction", "idle-in-tx");
        let mut out = Self::default();
        for token in text.split_whitespace() {
            let state = match token {
                "active" => Some(StateWord::Active),
                "idle" => Some(StateWord::Idle),
                "idle-in-tx" | "idle-in-transaction" | "iit" | "idle_in_transaction" => {
                    Some(StateWord::IdleInTransaction)
                }
                "aborted" => Some(StateWord::Aborted),
                "waiting" | "blocked" => Some(StateWord::Waiting),
                _ => None,
            };
            if let Some(state) = state {
                if !out.states.contains(&state) {
                    out.states.push(state);
                }
                continue;
            }
            let age = [
                ("xact>", AgeOf::Transaction),
                ("query>", AgeOf::Query),
                ("state>", AgeOf::State),
                (">", AgeOf::State),
            ]
            .into_iter()
            .find_map(|(prefix, of)| token.strip_prefix(prefix).map(|rest| (of, rest)));
            if let Some((of, rest)) = age {
                out.older_than = Some((of, duration(rest, token)?));
                continue;
            }
            // Names keep their case: take them from the original input.
            let original = input
                .split_whitespace()
                .find(|w| w.to_lowercase() == token)
                .unwrap_or(token);
            if let Some(name) = original
                .strip_prefix("user=")
                .or_else(|| original.strip_prefix("USER="))
            {
                out.user = Some(name.to_owned());
            } else if let Some(name) = original
                .strip_prefix("app=")
                .or_else(|| original.strip_prefix("APP="))
            {
                out.application = Some(name.to_owned());
            } else {
                return Err(format!("`{original}` is not understood. {SELECTION_HINT}"));
            }
        }
        if out == Self::default() {
            return Err(format!("say which sessions. {SELECTION_HINT}"));
        }
        Ok(out)
    }

    /// Whether `s` is picked at `now`. Only client backends are picked: a bulk action is
    /// never meant for autovacuum or a parallel worker (act on its leader).
    #[must_use]
    pub fn matches(&self, s: &PgSession, now: Timestamp) -> bool {
        if s.backend_type != "client backend" || s.is_parallel_worker() {
            return false;
        }
        if !self.states.is_empty() && !self.states.iter().any(|w| w.matches(s)) {
            return false;
        }
        if let Some((of, limit)) = self.older_than {
            let since = match of {
                AgeOf::State => s.state_change.or(s.query_start),
                AgeOf::Transaction => s.xact_start,
                AgeOf::Query => s.query_start,
            };
            let old = since.is_some_and(|t| {
                Duration::try_from(now.duration_since(t)).unwrap_or(Duration::ZERO) > limit
            });
            if !old {
                return false;
            }
        }
        if let Some(user) = &self.user
            && !s.user.as_deref().is_some_and(|u| glob(user, u))
        {
            return false;
        }
        if let Some(app) = &self.application
            && !glob(app, &s.application)
        {
            return false;
        }
        true
    }

    /// The selection in words, for the toast after marking.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.states.is_empty() {
            let words: Vec<&str> = self.states.iter().map(|s| s.word()).collect();
            parts.push(words.join(" or "));
        }
        if let Some((of, limit)) = self.older_than {
            parts.push(format!(
                "for more than {} {}",
                crate::model::silence::duration_words(limit),
                of.word()
            ));
        }
        if let Some(u) = &self.user {
            parts.push(format!("user {u}"));
        }
        if let Some(a) = &self.application {
            parts.push(format!("application {a}"));
        }
        parts.join(", ")
    }
}

/// Whether one planned target is sent, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Left out of the action (nothing is sent to it), for this reason.
    Skip(String),
}

/// One row of a bulk plan: the session as the user saw it, and its guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub pid: i32,
    pub user: String,
    pub application: String,
    pub state: String,
    /// Age in the current state at the snapshot's `now`.
    pub age: Option<Duration>,
    pub backend_start: Timestamp,
    /// Pinned for a cancel only.
    pub query_start: Option<Timestamp>,
    pub query: String,
    pub verdict: Verdict,
}

impl PlanRow {
    /// The guard in words: what must still match for the signal to be sent.
    #[must_use]
    pub fn guard(&self) -> String {
        match self.query_start {
            Some(q) => format!(
                "backend_start {} + query_start {}",
                pin(self.backend_start),
                pin(q)
            ),
            None => format!("backend_start {}", pin(self.backend_start)),
        }
    }
}

/// The plan of a bulk `mode` on `sessions` (the marked ones, in order), as `role` may act.
/// Sessions the role may not signal, parallel workers, and (for a cancel) sessions running
/// no statement are listed with the reason they are left out.
#[must_use]
pub fn plan(
    role: &PgRole,
    sessions: &[&PgSession],
    mode: KillMode,
    now: Timestamp,
) -> Vec<PlanRow> {
    sessions
        .iter()
        .map(|s| {
            let verdict = if let Err(why) = kill_permission(role, s) {
                Verdict::Skip(why)
            } else if s.is_parallel_worker() {
                Verdict::Skip(format!(
                    "parallel worker of {}: mark its leader",
                    s.leader_pid.unwrap_or(s.pid)
                ))
            } else if mode == KillMode::Cancel && !advice(s).cancel_effective {
                Verdict::Skip(format!(
                    "{}: cancel would do nothing (no statement runs); terminate instead",
                    s.state
                ))
            } else {
                Verdict::Send
            };
            PlanRow {
                pid: s.pid,
                user: s.user.clone().unwrap_or_else(|| "-".into()),
                application: s.application.clone(),
                state: s.state.clone(),
                age: s
                    .state_change
                    .or(s.query_start)
                    .map(|t| Duration::try_from(now.duration_since(t)).unwrap_or(Duration::ZERO)),
                backend_start: s.backend_start,
                query_start: match mode {
                    KillMode::Cancel => s.query_start,
                    KillMode::Terminate => None,
                },
                query: s.query_line(),
                verdict,
            }
        })
        .collect()
}

/// The pinned targets of a plan: the rows that are sent.
#[must_use]
pub fn pinned(rows: &[PlanRow]) -> Vec<PinnedBackend> {
    rows.iter()
        .filter(|r| r.verdict == Verdict::Send)
        .map(|r| PinnedBackend {
            pid: r.pid,
            backend_start: pin(r.backend_start),
            query_start: r.query_start.map(pin),
        })
        .collect()
}

/// How one target of a bulk action ended, in the three words the user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// Signalled (a terminate: it exited).
    Succeeded,
    /// The guard refused it (it changed or is gone) or it had exited: nothing was done.
    Refused,
    /// Sent but it did nothing, or denied, or timed out.
    Failed,
}

impl TargetStatus {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Refused => "refused by guard",
            Self::Failed => "failed",
        }
    }

    /// A single-width glyph beside the word (never colour alone).
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Succeeded => "✓",
            Self::Refused => "≠",
            Self::Failed => "✗",
        }
    }

    fn of(outcome: &KillOutcome) -> Self {
        match outcome {
            KillOutcome::Signalled => Self::Succeeded,
            KillOutcome::GuardMismatch | KillOutcome::AlreadyGone => Self::Refused,
            KillOutcome::PermissionDenied(_) | KillOutcome::Timeout | KillOutcome::Ineffective => {
                Self::Failed
            }
        }
    }
}

/// One target's outcome: what the guarded statement said, or why it could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome {
    pub pid: i32,
    pub status: TargetStatus,
    /// A sentence with the server's own words when it said something.
    pub message: String,
}

impl TargetOutcome {
    /// The outcome of a guarded kill of `pid`, with the notices the server raised.
    #[must_use]
    pub fn from_kill(mode: KillMode, pid: i32, outcome: &KillOutcome, notices: &[String]) -> Self {
        let mut message = outcome.message(mode, pid);
        if !notices.is_empty() {
            let _ = write!(message, "; server: {}", notices.join("; "));
        }
        Self {
            pid,
            status: TargetStatus::of(outcome),
            message,
        }
    }

    /// The statement could not be run for this target (connection lost, ...).
    #[must_use]
    pub fn not_sent(pid: i32, why: &str) -> Self {
        Self {
            pid,
            status: TargetStatus::Failed,
            message: format!("nothing sent to backend {pid}: {why}"),
        }
    }
}

/// Every target's outcome of one bulk action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkReport {
    pub mode: KillMode,
    pub targets: Vec<TargetOutcome>,
}

impl BulkReport {
    fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|t| t.status == status).count()
    }

    /// The one audit status: failed when any target failed, succeeded when at least one
    /// did (and none failed), ineffective when the guard refused every one. The detail
    /// says which target got what.
    #[must_use]
    pub fn status(&self) -> OutcomeStatus {
        if self.count(TargetStatus::Failed) > 0 {
            OutcomeStatus::Failed
        } else if self.count(TargetStatus::Succeeded) > 0 {
            OutcomeStatus::Succeeded
        } else {
            OutcomeStatus::Ineffective
        }
    }

    /// A first line that sums up, then one line per target: `pid 4242: succeeded · …`.
    #[must_use]
    pub fn detail(&self) -> String {
        let verb = match self.mode {
            KillMode::Cancel => "cancelled",
            KillMode::Terminate => "terminated",
        };
        let mut out = format!(
            "{} of {} {verb}, {} refused by guard, {} failed",
            self.count(TargetStatus::Succeeded),
            self.targets.len(),
            self.count(TargetStatus::Refused),
            self.count(TargetStatus::Failed),
        );
        for t in &self.targets {
            let _ = write!(
                out,
                "\npid {}: {} · {}",
                t.pid,
                t.status.word(),
                t.message.replace('\n', " ")
            );
        }
        out
    }
}

/// Reads [`BulkReport::detail`] back: each target's pid, status and message (lines that
/// are not a target's are skipped).
#[must_use]
pub fn parse_detail(detail: &str) -> Vec<TargetOutcome> {
    detail
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("pid ")?;
            let (pid, rest) = rest.split_once(": ")?;
            let pid = pid.parse().ok()?;
            let (word, message) = rest.split_once(" · ")?;
            let status = [
                TargetStatus::Succeeded,
                TargetStatus::Refused,
                TargetStatus::Failed,
            ]
            .into_iter()
            .find(|s| s.word() == word)?;
            Some(TargetOutcome {
                pid,
                status,
                message: message.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn session(pid: i32, state: &str, user: &str, app: &str, since: i64) -> PgSession {
        PgSession {
            pid,
            leader_pid: None,
            backend_type: "client backend".into(),
            user: Some(user.into()),
            application: app.into(),
            client: "10.0.0.1".into(),
            database: "orders".into(),
            state: state.into(),
            wait_event_type: None,
            wait_event: None,
            backend_start: ts(0),
            xact_start: Some(ts(since - 5)),
            query_start: Some(ts(since)),
            state_change: Some(ts(since)),
            query: "SELECT 1".into(),
            blocked_by: vec![],
            superuser: false,
            wait_start: None,
            soft_blockers: Vec::new(),
            query_id: None,
        }
    }

    #[test]
    fn selections_read_states_ages_and_names() {
        let s = Selection::parse("idle in transaction >10m").unwrap();
        assert_eq!(s.states, vec![StateWord::IdleInTransaction]);
        assert_eq!(s.older_than, Some((AgeOf::State, Duration::from_mins(10))));
        let s = Selection::parse("active xact>90 user=Report_* app=metabase").unwrap();
        assert_eq!(
            s.older_than,
            Some((AgeOf::Transaction, Duration::from_secs(90)))
        );
        assert_eq!(s.user.as_deref(), Some("Report_*"), "names keep their case");
        assert_eq!(s.application.as_deref(), Some("metabase"));
        assert!(Selection::parse("").is_err());
        assert!(Selection::parse("sleepy").unwrap_err().contains("`sleepy`"));
        assert!(Selection::parse(">soon").is_err());
        assert_eq!(
            Selection::parse("idle-in-tx >10m").unwrap().describe(),
            "idle in transaction, for more than 10m in that state"
        );
    }

    #[test]
    fn selections_match_by_state_age_user_and_app() {
        let now = ts(1_000);
        let old_iit = session(1, "idle in transaction", "app", "checkout", 0);
        let new_iit = session(2, "idle in transaction", "app", "checkout", 900);
        let active = session(3, "active", "report_ro", "metabase", 0);
        let mut worker = session(4, "active", "report_ro", "metabase", 0);
        worker.backend_type = "parallel worker".into();
        worker.leader_pid = Some(3);
        let mut av = session(5, "active", "postgres", "", 0);
        av.backend_type = "autovacuum worker".into();
        let sel = Selection::parse("idle-in-tx >10m").unwrap();
        assert!(sel.matches(&old_iit, now));
        assert!(!sel.matches(&new_iit, now), "100 s in the state only");
        assert!(!sel.matches(&active, now));
        let sel = Selection::parse("user=report_*").unwrap();
        assert!(sel.matches(&active, now));
        assert!(!sel.matches(&worker, now), "workers go with their leader");
        assert!(!sel.matches(&old_iit, now));
        assert!(!Selection::parse("active").unwrap().matches(&av, now));
        assert!(Selection::parse("app=meta*").unwrap().matches(&active, now));
        assert!(!Selection::parse("app=meta").unwrap().matches(&active, now));
        assert!(glob("a*c*e", "abcde") && !glob("a*c*e", "abcd"));
    }

    #[test]
    fn the_plan_pins_each_target_and_says_why_one_is_left_out() {
        let role = PgRole {
            name: "opsdeck".into(),
            superuser: false,
            signal_backend: true,
            read_all_stats: true,
        };
        let iit = session(1, "idle in transaction", "app", "checkout", 0);
        let active = session(2, "active", "app", "checkout", 10);
        let mut boss = session(3, "active", "postgres", "psql", 10);
        boss.superuser = true;
        let rows = plan(&role, &[&iit, &active, &boss], KillMode::Cancel, ts(100));
        assert!(matches!(&rows[0].verdict, Verdict::Skip(w) if w.contains("terminate instead")));
        assert_eq!(rows[1].verdict, Verdict::Send);
        assert!(rows[1].guard().contains("query_start"));
        assert!(matches!(&rows[2].verdict, Verdict::Skip(w) if w.contains("superuser")));
        let pins = pinned(&rows);
        assert_eq!(pins.len(), 1);
        assert_eq!(pins[0].pid, 2);
        assert!(pins[0].query_start.is_some());
        let rows = plan(&role, &[&iit, &active], KillMode::Terminate, ts(100));
        assert!(rows.iter().all(|r| r.verdict == Verdict::Send));
        assert!(!rows[0].guard().contains("query_start"));
        assert_eq!(rows[0].age, Some(Duration::from_secs(100)));
    }

    #[test]
    fn each_target_keeps_its_own_outcome_through_the_detail() {
        let report = BulkReport {
            mode: KillMode::Terminate,
            targets: vec![
                TargetOutcome::from_kill(KillMode::Terminate, 11, &KillOutcome::Signalled, &[]),
                TargetOutcome::from_kill(KillMode::Terminate, 12, &KillOutcome::GuardMismatch, &[]),
                TargetOutcome::from_kill(
                    KillMode::Terminate,
                    13,
                    &KillOutcome::PermissionDenied("permission denied (42501)".into()),
                    &["a; b".into()],
                ),
                TargetOutcome::not_sent(14, "connection lost"),
            ],
        };
        assert_eq!(report.status(), OutcomeStatus::Failed);
        let detail = report.detail();
        assert!(
            detail.starts_with("1 of 4 terminated, 1 refused by guard, 2 failed\n"),
            "{detail}"
        );
        let back = parse_detail(&detail);
        assert_eq!(back, report.targets);
        let refused = BulkReport {
            mode: KillMode::Cancel,
            targets: vec![report.targets[1].clone()],
        };
        assert_eq!(refused.status(), OutcomeStatus::Ineffective);
        let mixed = BulkReport {
            mode: KillMode::Cancel,
            targets: report.targets[..2].to_vec(),
        };
        assert_eq!(mixed.status(), OutcomeStatus::Succeeded);
    }
}
