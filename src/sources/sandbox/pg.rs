//! Simulated PostgreSQL databases: one per squad, with a realistic mix of sessions, and a
//! blocking chain on the database of every active [`IncidentKind::DbBlocking`] incident.
//!
//! The chain is the classic outage shape
//! (<https://postgres.ai/blog/20211018-postgresql-lock-trees>): an `idle in transaction` root
//! holding a row lock, two `UPDATE`s of the same row queued behind it, an `ALTER TABLE`
//! queued for an ACCESS EXCLUSIVE lock, and ever more `SELECT`s piling up behind the
//! `ALTER`. Kills follow the real server's rules and report the same [`KillOutcome`]s:
//! a cancel of the idle root is ineffective, a stale `backend_start` is refused, and
//! terminating the root ends the incident so every waiter finishes.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::fleet::{Rng, SERVICES, SQUADS};
use super::{IncidentKind, SandboxHandle, SandboxRequest, World};
use crate::actions::{ActionRequest, ExecResult, Executor, KillMode};
use crate::model::pg::{KillOutcome, PgLock, PgSession, PgSnapshot, clean_query, kill_permission};
use crate::sources::poller::{self, PollSettings};
use crate::sources::postgres::{KillReport, KillTarget};
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};

/// `server_version_num` the simulated servers report.
pub const SANDBOX_VERSION: i32 = 160_004;

/// How often the simulated pools change what they are doing.
const BUCKET: Duration = Duration::from_secs(2);

/// Connections of each database's application pool.
const POOL: i32 = 10;

/// What the user did to simulated sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgWorld {
    /// database -> pids terminated (they never come back).
    terminated: BTreeMap<String, BTreeSet<i32>>,
    /// database -> (pid, `query_start`) of cancelled statements (the session goes idle).
    cancelled: BTreeMap<String, BTreeSet<(i32, Timestamp)>>,
}

impl PgWorld {
    fn stopped(&self, database: &str, pid: i32, query_start: Option<Timestamp>) -> bool {
        self.terminated
            .get(database)
            .is_some_and(|t| t.contains(&pid))
            || query_start.is_some_and(|q| {
                self.cancelled
                    .get(database)
                    .is_some_and(|c| c.contains(&(pid, q)))
            })
    }
}

/// The databases of the simulated fleet, one per squad.
#[must_use]
pub fn databases() -> Vec<&'static str> {
    SQUADS.iter().map(|s| s.database).collect()
}

pub(super) fn tables(database: &str) -> &'static [&'static str] {
    match database {
        "payments-db" => &["payments", "ledger_entries", "refunds", "payouts"],
        "orders-db" => &["orders", "order_items", "carts", "promotions"],
        "catalog-db" => &["products", "inventory", "reviews", "media"],
        "identity-db" => &["users", "sessions", "permissions", "mfa_devices"],
        "logistics-db" => &["shipments", "carriers", "tracking_events"],
        "search-db" => &["queries", "synonyms", "rankings"],
        "platform-db" => &["flags", "config_values", "notifications"],
        _ => &["experiments", "events", "loyalty_points"],
    }
}

/// Stable small hash of a name (FNV-1a), to seed per-database randomness.
pub(super) fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn base_pid(index: usize) -> i32 {
    21_000 + i32::try_from(index).unwrap_or(0) * 1_371
}

/// The services (with their pool roles) that use `database`, as the catalog maps them.
fn users_of(database: &str) -> Vec<&'static str> {
    let squad = SQUADS.iter().find(|s| s.database == database);
    let users: Vec<&'static str> = SERVICES
        .iter()
        .filter(|t| squad.is_some_and(|s| s.name == t.1))
        .filter(|t| matches!(t.2, 1 | 2) && !t.0.ends_with("-worker"))
        .map(|t| t.0)
        .collect();
    if users.is_empty() { vec!["app"] } else { users }
}

fn blank(pid: i32, database: &str, backend_start: Timestamp) -> PgSession {
    PgSession {
        pid,
        leader_pid: None,
        backend_type: "client backend".into(),
        user: None,
        application: String::new(),
        client: String::new(),
        database: database.to_owned(),
        state: "active".into(),
        wait_event_type: None,
        wait_event: None,
        backend_start,
        xact_start: None,
        query_start: None,
        state_change: None,
        query: String::new(),
        blocked_by: Vec::new(),
        soft_blockers: Vec::new(),
        query_id: None,
        superuser: false,
        wait_start: None,
    }
}

/// The statements the simulated pools run, `k` in 0..4.
pub(super) fn pool_query(table: &str, k: usize) -> String {
    match k {
        0 => format!("SELECT * FROM {table} WHERE id = $1"),
        1 => format!("UPDATE {table} SET updated_at = now() WHERE id = $1"),
        2 => format!("INSERT INTO {table} (id, payload) VALUES ($1, $2)"),
        _ => format!(
            "SELECT count(*)\n  FROM {table}\n WHERE created_at > now() - interval '1 hour'"
        ),
    }
}

/// The simulated `query_id` of a statement text (stable across runs).
pub(super) fn query_id(query: &str) -> i64 {
    i64::from_ne_bytes(name_hash(query).to_ne_bytes()) >> 1
}

/// A service's pool role name as DBAs write it: `checkout_api`.
fn role_of(service: &str) -> String {
    service.replace('-', "_")
}

/// Members of one blocking chain, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Root,
    FirstUpdate,
    SecondUpdate,
    Alter,
    Reader(u32),
}

impl World {
    /// The active `DbBlocking` incidents of `database` with their index (pids derive from
    /// it, so a later incident never reuses a terminated pid).
    fn blocking_incidents(&self, database: &str) -> Vec<(usize, Timestamp)> {
        self.incidents
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                matches!(&i.kind, IncidentKind::DbBlocking { database: d, .. } if d == database)
                    && i.starts_after <= self.elapsed
                    && i.ends_after.is_none_or(|end| end > self.elapsed)
            })
            .map(|(n, i)| (n, self.started + i.starts_after))
            .collect()
    }

    fn database_index(database: &str) -> Result<usize, String> {
        SQUADS
            .iter()
            .position(|s| s.database == database)
            .ok_or_else(|| format!("no database {database} in the sandbox"))
    }

    /// The sessions a monitoring poll of `database` would see now.
    pub fn pg_snapshot(&self, database: &str) -> Result<PgSnapshot, String> {
        let index = Self::database_index(database)?;
        let now = self.now();
        let mut sessions = self.pool_sessions(database, index, now);
        sessions.extend(self.fixtures(database, index));
        for (incident, t0) in self.blocking_incidents(database) {
            sessions.extend(self.chain(database, index, incident, t0, now));
        }
        sessions.extend(self.pg_prepared_waiters(database, base_pid(index)));
        sessions.retain(|s| !self.pg.stopped(database, s.pid, s.query_start));
        // A cancelled or terminated leader takes its parallel workers with it.
        let alive: BTreeSet<i32> = sessions.iter().map(|s| s.pid).collect();
        sessions.retain(|s| {
            s.leader_pid
                .is_none_or(|l| l == s.pid || alive.contains(&l))
        });
        sessions.sort_by_key(|s| s.pid);
        for s in &mut sessions {
            if !s.query.is_empty() && s.backend_type == "client backend" {
                s.query_id = Some(query_id(&s.query));
            }
        }
        let server = self.pg_server(database, &sessions, POOL.unsigned_abs(), now);
        let progress = self.pg_progress(&sessions);
        Ok(PgSnapshot {
            database: database.to_owned(),
            server_version_num: SANDBOX_VERSION,
            taken_at: now,
            sessions,
            prepared: self.pg_prepared(database),
            role: Self::pg_role(database),
            facts: crate::model::pg_server::PgFacts {
                server: Some(server),
                replication: Some(self.pg_replication(database)),
                statements: Some(self.pg_statements(database)),
                progress,
            },
        })
    }

    /// The application pool: each connection is idle (not shown), running a short
    /// statement, or briefly idle in transaction, changing every [`BUCKET`].
    fn pool_sessions(&self, database: &str, index: usize, now: Timestamp) -> Vec<PgSession> {
        let users = users_of(database);
        let tables = tables(database);
        let bucket = u64::try_from(self.elapsed.as_millis() / BUCKET.as_millis()).unwrap_or(0);
        let bucket_start = self.started + Duration::from_millis(bucket.saturating_mul(2_000));
        let mut out = Vec::new();
        for slot in 0..POOL {
            let slot_u = u64::try_from(slot).unwrap_or(0);
            let mut rng = Rng::new(
                self.seed ^ name_hash(database) ^ bucket.wrapping_mul(0x9E37) ^ (slot_u << 48),
            );
            let pid = base_pid(index) + slot;
            let service = users[usize::try_from(slot).unwrap_or(0) % users.len()];
            let backend_start = self.started - ms(1_800_000 + slot_u * 420_000 + slot_u * 37);
            let mut s = blank(pid, database, backend_start);
            s.user = Some(role_of(service));
            service.clone_into(&mut s.application);
            s.client = format!("10.42.{index}.{}", 10 + slot);
            let table = *rng.pick(tables);
            // Slot 0 is always busy so no database ever looks dead.
            let roll = if slot == 0 { 0.5 } else { rng.unit() };
            let offset = if slot == 0 {
                Duration::ZERO
            } else {
                ms(rng.next_u64() % 1_500)
            };
            let started = bucket_start + offset;
            if roll < 0.45 || started > now {
                continue; // idle: the real poll filters these out too
            }
            if roll < 0.88 {
                s.state = "active".into();
                s.query_start = Some(started);
                s.state_change = Some(started);
                s.query = clean_query(&pool_query(table, rng.below(4)));
                if rng.below(3) == 0 {
                    s.xact_start = Some(started - ms(rng.next_u64() % 400));
                } else {
                    s.xact_start = Some(started);
                }
                if rng.below(6) == 0 {
                    s.wait_event_type = Some("IO".into());
                    s.wait_event = Some("DataFileRead".into());
                }
            } else {
                s.state = "idle in transaction".into();
                s.xact_start = Some(started - ms(rng.next_u64() % 900));
                s.query_start = Some(started);
                s.state_change = Some(started + ms(3));
                s.wait_event_type = Some("Client".into());
                s.wait_event = Some("ClientRead".into());
                s.query = clean_query(&format!("SELECT * FROM {table} WHERE id = $1 FOR UPDATE"));
            }
            out.push(s);
        }
        out
    }

    /// Long-lived sessions that make the pane worth exploring: an autovacuum worker, a
    /// superuser's backup (the pane must refuse to signal it), and a parallel report.
    fn fixtures(&self, database: &str, index: usize) -> Vec<PgSession> {
        let base = base_pid(index) + 60;
        let tables = tables(database);
        let mut out = Vec::new();
        let since = |s: u64| self.started - Duration::from_secs(s);
        if index.is_multiple_of(3) {
            let mut av = blank(base, database, since(95));
            av.backend_type = "autovacuum worker".into();
            av.xact_start = Some(since(94));
            av.query_start = Some(since(94));
            av.state_change = Some(since(94));
            av.query = clean_query(&format!("autovacuum: VACUUM ANALYZE public.{}", tables[0]));
            out.push(av);
        }
        if database == "platform-db" {
            let mut dump = blank(base + 1, database, since(300));
            dump.user = Some("postgres".into());
            dump.superuser = true;
            dump.application = "pg_dump".into();
            dump.client = "local".into();
            dump.xact_start = Some(since(298));
            dump.query_start = Some(since(120));
            dump.state_change = Some(since(120));
            dump.query =
                clean_query("COPY public.config_values (key, value, updated_at) TO stdout;");
            out.push(dump);
        }
        if database == "growth-db" {
            let mut leader = blank(base + 2, database, since(1_200));
            leader.user = Some("analytics_ingest".into());
            leader.application = "metabase".into();
            leader.client = "10.42.7.200".into();
            leader.xact_start = Some(since(40));
            leader.query_start = Some(since(40));
            leader.state_change = Some(since(40));
            leader.query = clean_query(
                "SELECT experiment_id, variant, count(*)\n  FROM events\n GROUP BY 1, 2",
            );
            for w in 1..=2 {
                let mut worker = leader.clone();
                worker.pid = base + 2 + w;
                worker.leader_pid = Some(leader.pid);
                worker.backend_type = "parallel worker".into();
                worker.backend_start = since(40);
                worker.client = String::new();
                worker.wait_event_type = Some("IO".into());
                worker.wait_event = Some("DataFileRead".into());
                out.push(worker);
            }
            out.push(leader);
        }
        out
    }

    fn chain_pid(index: usize, incident: usize, link: Link) -> i32 {
        let base = base_pid(index) + 100 + 40 * i32::try_from(incident).unwrap_or(0);
        base + match link {
            Link::Root => 0,
            Link::FirstUpdate => 1,
            Link::SecondUpdate => 2,
            Link::Alter => 3,
            Link::Reader(k) => 10 + i32::try_from(k).unwrap_or(0),
        }
    }

    /// The blocking chain of one incident that started at `t0`.
    #[expect(
        clippy::too_many_lines,
        reason = "the chain's members and their locks, in the order the incident builds them"
    )]
    fn chain(
        &self,
        database: &str,
        index: usize,
        incident: usize,
        t0: Timestamp,
        now: Timestamp,
    ) -> Vec<PgSession> {
        let table = tables(database)[0];
        let service = users_of(database)[0];
        let pid = |link| Self::chain_pid(index, incident, link);
        let at = |secs_before: u64| t0 - Duration::from_secs(secs_before);
        // When each member's statement started: a cancel is recorded against it.
        let query_start = |link| match link {
            Link::Root => at(180),
            Link::FirstUpdate => at(120),
            Link::SecondUpdate => at(100),
            Link::Alter => at(60),
            Link::Reader(k) => at(30) + Duration::from_secs(20 * u64::from(k)),
        };
        let alive = |link| {
            !self
                .pg
                .stopped(database, pid(link), Some(query_start(link)))
        };
        let member = |link, start: Timestamp, user: &str, app: &str, query: String| {
            let mut s = blank(pid(link), database, start);
            s.user = Some(user.to_owned());
            app.clone_into(&mut s.application);
            s.client = format!("10.42.{index}.{}", 50 + (pid(link) % 50));
            s.query = clean_query(&query);
            s
        };
        let waiting = |s: &mut PgSession, event: &str, since: Timestamp, blocked_by: Vec<i32>| {
            s.state = "active".into();
            s.xact_start = Some(since);
            s.query_start = Some(since);
            s.state_change = Some(since);
            s.wait_event_type = Some("Lock".into());
            s.wait_event = Some(event.to_owned());
            s.wait_start = Some(since + ms(1));
            s.blocked_by = blocked_by;
        };
        let mut out = Vec::new();

        let mut root = member(
            Link::Root,
            at(2_400),
            &role_of(service),
            service,
            format!("UPDATE {table} SET status = 'paid' WHERE id = 918273"),
        );
        root.state = "idle in transaction".into();
        root.xact_start = Some(at(185));
        root.query_start = Some(query_start(Link::Root));
        root.state_change = Some(query_start(Link::Root));
        root.wait_event_type = Some("Client".into());
        root.wait_event = Some("ClientRead".into());
        out.push(root);

        let live_updates: Vec<i32> = [Link::Root, Link::FirstUpdate, Link::SecondUpdate]
            .into_iter()
            .filter(|l| alive(*l))
            .map(pid)
            .collect();

        if alive(Link::FirstUpdate) {
            let mut b = member(
                Link::FirstUpdate,
                at(3_000),
                &role_of(service),
                service,
                format!("UPDATE {table} SET status = 'cancelled' WHERE id = 918273"),
            );
            waiting(
                &mut b,
                "transactionid",
                query_start(Link::FirstUpdate),
                vec![pid(Link::Root)],
            );
            out.push(b);
        }
        if alive(Link::SecondUpdate) {
            let mut c = member(
                Link::SecondUpdate,
                at(3_100),
                &role_of(service),
                service,
                format!("UPDATE {table} SET shipped_at = now() WHERE id = 918273"),
            );
            // The tuple lock queues behind the first UPDATE while it lives.
            let (event, blocker) = if alive(Link::FirstUpdate) {
                ("tuple", pid(Link::FirstUpdate))
            } else {
                ("transactionid", pid(Link::Root))
            };
            waiting(
                &mut c,
                event,
                query_start(Link::SecondUpdate),
                vec![blocker],
            );
            out.push(c);
        }
        if alive(Link::Alter) {
            let mut d = member(
                Link::Alter,
                at(70),
                "migrator",
                "flyway",
                format!("ALTER TABLE {table} ADD COLUMN gift_note text"),
            );
            // Every session holding ROW EXCLUSIVE on the table blocks ACCESS EXCLUSIVE.
            waiting(&mut d, "relation", query_start(Link::Alter), live_updates);
            out.push(d);
            // Readers pile up behind the queued ALTER: two at first, one more every 20 s.
            let piled = (now.duration_since(t0).as_secs().max(0) / 20).min(6);
            for k in 0..2 + u32::try_from(piled).unwrap_or(0) {
                let since = query_start(Link::Reader(k));
                if since > now {
                    break;
                }
                let reader_service =
                    users_of(database)[usize::try_from(k).unwrap_or(0) % users_of(database).len()];
                let mut r = member(
                    Link::Reader(k),
                    at(1_500) + Duration::from_secs(u64::from(k)),
                    &role_of(reader_service),
                    reader_service,
                    format!("SELECT id, status FROM {table} WHERE customer_id = $1"),
                );
                waiting(&mut r, "relation", since, vec![pid(Link::Alter)]);
                // Readers want ACCESS SHARE, which no holder blocks: they queue behind the
                // ALTER's earlier ACCESS EXCLUSIVE request (soft blocking).
                r.soft_blockers = vec![pid(Link::Alter)];
                out.push(r);
            }
        }
        out
    }

    /// Cancels or terminates a simulated backend with the real server's rules: the guard
    /// must match, the monitoring role must be allowed, and a cancel only stops a running
    /// statement. Terminating an incident's root ends that incident.
    pub fn pg_kill(&mut self, database: &str, target: &KillTarget) -> Result<KillReport, String> {
        let snapshot = self.pg_snapshot(database)?;
        let report = |outcome, state_before: Option<String>| KillReport {
            outcome,
            notices: Vec::new(),
            state_before,
        };
        let Some(session) = snapshot.session(target.pid) else {
            return Ok(report(KillOutcome::GuardMismatch, None));
        };
        let statement_moved =
            target.mode == KillMode::Cancel && session.query_start != target.query_start;
        if session.backend_start != target.backend_start || statement_moved {
            return Ok(report(KillOutcome::GuardMismatch, None));
        }
        let state = Some(session.state.clone());
        if let Err(why) = kill_permission(&snapshot.role, session) {
            let verb = match target.mode {
                KillMode::Cancel => "cancel query",
                KillMode::Terminate => "terminate process",
            };
            return Ok(report(
                KillOutcome::PermissionDenied(format!(
                    "permission denied to {verb} (42501): {why}"
                )),
                state,
            ));
        }
        match target.mode {
            KillMode::Cancel => {
                if !session.is_running() {
                    return Ok(report(KillOutcome::Ineffective, state));
                }
                if let Some(q) = session.query_start {
                    self.pg
                        .cancelled
                        .entry(database.to_owned())
                        .or_default()
                        .insert((session.pid, q));
                }
            }
            KillMode::Terminate => {
                self.pg
                    .terminated
                    .entry(database.to_owned())
                    .or_default()
                    .insert(session.pid);
                let index = Self::database_index(database)?;
                let elapsed = self.elapsed;
                let roots: Vec<usize> = self
                    .blocking_incidents(database)
                    .into_iter()
                    .filter(|(n, _)| Self::chain_pid(index, *n, Link::Root) == target.pid)
                    .map(|(n, _)| n)
                    .collect();
                // The root's transaction rolls back: every waiter gets its lock and finishes.
                for n in roots {
                    if let Some(incident) = self.incidents.get_mut(n) {
                        incident.ends_after = Some(elapsed);
                    }
                }
            }
        }
        Ok(report(KillOutcome::Signalled, state))
    }

    /// Plausible `pg_locks` rows for a simulated session.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per link of the chain: the rows `pg_locks` shows for that session"
    )]
    pub fn pg_locks(&self, database: &str, pid: i32) -> Result<Vec<PgLock>, String> {
        let snapshot = self.pg_snapshot(database)?;
        let Some(session) = snapshot.session(pid) else {
            return Ok(Vec::new());
        };
        let index = Self::database_index(database)?;
        let table = format!("public.{}", tables(database)[0]);
        let lock =
            |locktype: &str, mode: &str, granted: bool, relation: bool, detail: String| PgLock {
                locktype: locktype.into(),
                mode: mode.into(),
                granted,
                relation: relation.then(|| table.clone()),
                detail,
                wait_start: (!granted).then_some(session.wait_start).flatten(),
            };
        let vxid = lock(
            "virtualxid",
            "ExclusiveLock",
            true,
            false,
            format!("vxid {}/{}", 3 + pid % 40, 1_000 + pid),
        );
        let xid_of = |p: i32| 48_000 + i64::from(p % 1_000);
        let mut out = Vec::new();
        let chain = self
            .blocking_incidents(database)
            .into_iter()
            .find_map(|(n, _)| {
                [
                    Link::Root,
                    Link::FirstUpdate,
                    Link::SecondUpdate,
                    Link::Alter,
                ]
                .into_iter()
                .chain((0..8).map(Link::Reader))
                .find(|l| Self::chain_pid(index, n, *l) == pid)
                .map(|l| (l, Self::chain_pid(index, n, Link::Root)))
            });
        match chain {
            Some((Link::Root, _)) => {
                out.push(lock(
                    "relation",
                    "RowExclusiveLock",
                    true,
                    true,
                    String::new(),
                ));
                out.push(lock(
                    "transactionid",
                    "ExclusiveLock",
                    true,
                    false,
                    format!("xid {}", xid_of(pid)),
                ));
            }
            Some((Link::FirstUpdate, root)) => {
                out.push(lock(
                    "transactionid",
                    "ShareLock",
                    false,
                    false,
                    format!("xid {}", xid_of(root)),
                ));
                out.push(lock(
                    "relation",
                    "RowExclusiveLock",
                    true,
                    true,
                    String::new(),
                ));
                out.push(lock(
                    "tuple",
                    "ExclusiveLock",
                    true,
                    true,
                    "page 12, tuple 7".into(),
                ));
            }
            Some((Link::SecondUpdate, _)) => {
                out.push(lock(
                    "tuple",
                    "ExclusiveLock",
                    false,
                    true,
                    "page 12, tuple 7".into(),
                ));
                out.push(lock(
                    "relation",
                    "RowExclusiveLock",
                    true,
                    true,
                    String::new(),
                ));
            }
            Some((Link::Alter, _)) => {
                out.push(lock(
                    "relation",
                    "AccessExclusiveLock",
                    false,
                    true,
                    String::new(),
                ));
            }
            Some((Link::Reader(_), _)) => {
                out.push(lock(
                    "relation",
                    "AccessShareLock",
                    false,
                    true,
                    String::new(),
                ));
            }
            None if session.is_running() || session.is_idle_in_transaction() => {
                out.push(lock(
                    "relation",
                    "AccessShareLock",
                    true,
                    true,
                    String::new(),
                ));
            }
            None => {}
        }
        out.push(vxid);
        Ok(out)
    }
}

impl SandboxHandle {
    /// The current snapshot of a simulated database.
    pub async fn pg_snapshot(&self, database: &str) -> Result<Arc<PgSnapshot>, String> {
        self.ask(|reply| SandboxRequest::Postgres(database.to_owned(), reply))
            .await?
    }

    /// Cancels or terminates a simulated backend.
    pub async fn pg_kill(&self, database: &str, target: KillTarget) -> Result<KillReport, String> {
        self.ask(|reply| SandboxRequest::Kill {
            database: database.to_owned(),
            pid: target.pid,
            backend_start: target.backend_start,
            query_start: target.query_start,
            mode: target.mode,
            reply,
        })
        .await?
    }

    /// Runs a bulk kill or a `ROLLBACK PREPARED` in the simulated world.
    pub async fn pg_action(&self, request: ActionRequest) -> Result<ExecResult, String> {
        self.ask(|reply| SandboxRequest::PgAction(request, reply))
            .await
    }

    /// The locks of a simulated backend.
    pub async fn pg_locks(&self, database: &str, pid: i32) -> Result<Vec<PgLock>, String> {
        self.ask(|reply| SandboxRequest::PgLocks(database.to_owned(), pid, reply))
            .await?
    }
}

/// Starts the sessions source of one simulated database, at the real source's default
/// cadence.
#[must_use]
pub fn spawn_postgres(
    sandbox: SandboxHandle,
    database: String,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Postgres, generation, events);
    let settings = PollSettings {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
    };
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let sandbox = sandbox.clone();
        let database = database.clone();
        async move {
            sandbox
                .pg_snapshot(&database)
                .await
                .map(SourceBody::Postgres)
        }
    }));
    SourceHandle::new(SourceId::Postgres, control_tx, task)
}

/// Runs admitted `KillQuery` actions against the simulated world.
#[derive(Debug, Clone)]
pub struct SandboxExecutor {
    sandbox: SandboxHandle,
}

impl SandboxExecutor {
    #[must_use]
    pub fn new(sandbox: SandboxHandle) -> Self {
        Self { sandbox }
    }
}

impl Executor for SandboxExecutor {
    fn execute(&self, request: &ActionRequest) -> impl Future<Output = ExecResult> + Send {
        let job = KillTarget::from_request(request);
        let sandbox = self.sandbox.clone();
        let other = matches!(
            request,
            ActionRequest::BulkKill { .. } | ActionRequest::RollbackPrepared { .. }
        )
        .then(|| request.clone());
        async move {
            if let Some(request) = other {
                return sandbox
                    .pg_action(request)
                    .await
                    .unwrap_or_else(|e| ExecResult::failed(format!("nothing sent: {e}")));
            }
            let (database, target) = match job {
                Ok(job) => job,
                Err(e) => return ExecResult::failed(e),
            };
            match sandbox.pg_kill(&database, target.clone()).await {
                Ok(report) => report.exec_result(&target),
                Err(e) => ExecResult::failed(format!("nothing sent: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pg::{blocking_tree, pin};
    use crate::model::platform::OutcomeStatus;

    fn world() -> World {
        let mut w = World::new(42, Timestamp::from_second(1_750_000_000).unwrap());
        w.advance(Duration::from_secs(45));
        w
    }

    fn target(s: &PgSession, mode: KillMode) -> KillTarget {
        KillTarget {
            pid: s.pid,
            backend_start: s.backend_start,
            query_start: s.query_start,
            mode,
        }
    }

    fn root_of(w: &World) -> PgSession {
        let snap = w.pg_snapshot("orders-db").unwrap();
        let tree = blocking_tree(&snap);
        snap.session(tree[0].pid).unwrap().clone()
    }

    #[test]
    fn every_squad_database_has_sessions_and_unknown_ones_fail() {
        let w = world();
        for db in databases() {
            let snap = w.pg_snapshot(db).unwrap();
            assert_eq!(snap.database, db);
            assert!(!snap.sessions.is_empty(), "{db}");
            assert!(snap.sessions.windows(2).all(|p| p[0].pid < p[1].pid));
        }
        assert!(w.pg_snapshot("nope-db").is_err());
        // Sessions of other databases show no tree.
        assert!(blocking_tree(&w.pg_snapshot("search-db").unwrap()).is_empty());
    }

    #[test]
    fn the_incident_database_has_the_classic_chain() {
        let w = world();
        let snap = w.pg_snapshot("orders-db").unwrap();
        let tree = blocking_tree(&snap);
        let roots: Vec<_> = tree.iter().filter(|l| l.depth == 0).collect();
        assert_eq!(roots.len(), 1, "{tree:#?}");
        let root = snap.session(roots[0].pid).unwrap();
        assert_eq!(root.state, "idle in transaction");
        // Two UPDATEs, the ALTER and at least two readers behind the root.
        assert!(roots[0].blocks_total >= 5, "{tree:#?}");
        assert_eq!(roots[0].blocks_direct, 2, "first UPDATE and the ALTER");
        let alter = snap
            .sessions
            .iter()
            .find(|s| s.query.starts_with("ALTER TABLE"))
            .unwrap();
        assert_eq!(alter.blocked_by.len(), 3);
        let readers = snap
            .sessions
            .iter()
            .filter(|s| s.blocked_by == vec![alter.pid])
            .count();
        assert!(readers >= 2);
        assert!(tree.iter().map(|l| l.depth).max().unwrap() >= 3);
    }

    #[test]
    fn readers_pile_up_over_time() {
        let mut w = world();
        let before = w.pg_snapshot("orders-db").unwrap().waiting().count();
        w.advance(Duration::from_mins(2));
        let after = w.pg_snapshot("orders-db").unwrap().waiting().count();
        assert!(after > before, "{before} -> {after}");
    }

    #[test]
    fn cancel_on_the_idle_root_is_ineffective() {
        let mut w = world();
        let root = root_of(&w);
        let r = w
            .pg_kill("orders-db", &target(&root, KillMode::Cancel))
            .unwrap();
        assert_eq!(r.outcome, KillOutcome::Ineffective);
        assert_eq!(r.state_before.as_deref(), Some("idle in transaction"));
        assert!(!blocking_tree(&w.pg_snapshot("orders-db").unwrap()).is_empty());
    }

    #[test]
    fn a_stale_backend_start_is_refused() {
        let mut w = world();
        let root = root_of(&w);
        let mut t = target(&root, KillMode::Terminate);
        t.backend_start += Duration::from_micros(1);
        let r = w.pg_kill("orders-db", &t).unwrap();
        assert_eq!(r.outcome, KillOutcome::GuardMismatch);
        assert_eq!(root_of(&w).pid, root.pid, "nothing happened");
    }

    #[test]
    fn terminating_the_root_lets_every_waiter_finish() {
        let mut w = world();
        let root = root_of(&w);
        let r = w
            .pg_kill("orders-db", &target(&root, KillMode::Terminate))
            .unwrap();
        assert_eq!(r.outcome, KillOutcome::Signalled);
        let snap = w.pg_snapshot("orders-db").unwrap();
        assert!(blocking_tree(&snap).is_empty());
        assert_eq!(snap.waiting().count(), 0);
        assert!(snap.session(root.pid).is_none());
        assert!(
            !w.active_incidents()
                .any(|i| matches!(i.kind, IncidentKind::DbBlocking { .. }))
        );
        // Terminating it again: the pid is gone, nothing is sent.
        let again = w
            .pg_kill("orders-db", &target(&root, KillMode::Terminate))
            .unwrap();
        assert_eq!(again.outcome, KillOutcome::GuardMismatch);
    }

    #[test]
    fn cancelling_the_alter_frees_the_readers_but_not_the_updates() {
        let mut w = world();
        let snap = w.pg_snapshot("orders-db").unwrap();
        let alter = snap
            .sessions
            .iter()
            .find(|s| s.query.starts_with("ALTER TABLE"))
            .unwrap()
            .clone();
        let r = w
            .pg_kill("orders-db", &target(&alter, KillMode::Cancel))
            .unwrap();
        assert_eq!(r.outcome, KillOutcome::Signalled);
        let snap = w.pg_snapshot("orders-db").unwrap();
        assert_eq!(snap.waiting().count(), 2, "only the two UPDATEs still wait");
        assert_eq!(blocking_tree(&snap)[0].blocks_total, 2);
    }

    #[test]
    fn the_superuser_backup_cannot_be_signalled() {
        let mut w = world();
        let snap = w.pg_snapshot("platform-db").unwrap();
        let dump = snap
            .sessions
            .iter()
            .find(|s| s.application == "pg_dump")
            .unwrap()
            .clone();
        assert!(kill_permission(&snap.role, &dump).is_err());
        let r = w
            .pg_kill("platform-db", &target(&dump, KillMode::Terminate))
            .unwrap();
        assert!(matches!(r.outcome, KillOutcome::PermissionDenied(ref m) if m.contains("42501")));
        assert!(
            w.pg_snapshot("platform-db")
                .unwrap()
                .session(dump.pid)
                .is_some()
        );
    }

    #[test]
    fn parallel_workers_fold_under_their_leader() {
        let w = world();
        let snap = w.pg_snapshot("growth-db").unwrap();
        let workers: Vec<_> = snap
            .sessions
            .iter()
            .filter(|s| s.is_parallel_worker())
            .collect();
        assert_eq!(workers.len(), 2);
        assert!(workers.iter().all(|s| snap.session(s.node_id()).is_some()));
    }

    #[test]
    fn snapshots_are_stable_within_a_bucket() {
        // A kill pins query_start from the snapshot the user saw: it must still match a
        // moment later.
        let mut w = world();
        let a = w.pg_snapshot("payments-db").unwrap();
        w.advance(Duration::from_millis(1));
        let b = w.pg_snapshot("payments-db").unwrap();
        for s in &a.sessions {
            if let Some(same) = b.session(s.pid) {
                assert_eq!(same.query_start, s.query_start);
                assert_eq!(same.backend_start, s.backend_start);
            }
        }
    }

    #[test]
    fn locks_describe_the_chain() {
        let w = world();
        let root = root_of(&w);
        let locks = w.pg_locks("orders-db", root.pid).unwrap();
        assert!(locks.iter().all(|l| l.granted));
        assert!(locks.iter().any(|l| l.locktype == "transactionid"));
        let snap = w.pg_snapshot("orders-db").unwrap();
        let alter = snap
            .sessions
            .iter()
            .find(|s| s.query.starts_with("ALTER TABLE"))
            .unwrap();
        let locks = w.pg_locks("orders-db", alter.pid).unwrap();
        assert!(
            locks
                .iter()
                .any(|l| !l.granted && l.mode == "AccessExclusiveLock")
        );
    }

    #[tokio::test]
    async fn executor_kills_through_the_actor() {
        let handle = SandboxHandle::spawn(world());
        let exec = SandboxExecutor::new(handle.clone());
        let snap = handle.pg_snapshot("orders-db").await.unwrap();
        let root = snap.session(blocking_tree(&snap)[0].pid).unwrap().clone();
        let request = |mode| ActionRequest::KillQuery {
            database: "orders-db".into(),
            pid: root.pid,
            backend_start: pin(root.backend_start),
            query_start: root.query_start.map(pin),
            mode,
        };
        let cancel = exec.execute(&request(KillMode::Cancel)).await;
        assert_eq!(cancel.status, OutcomeStatus::Ineffective);
        assert!(
            cancel.detail.contains("idle in transaction"),
            "{}",
            cancel.detail
        );
        let terminate = exec.execute(&request(KillMode::Terminate)).await;
        assert_eq!(
            terminate.status,
            OutcomeStatus::Succeeded,
            "{}",
            terminate.detail
        );
        let after = handle.pg_snapshot("orders-db").await.unwrap();
        assert_eq!(after.waiting().count(), 0);
        let locks = handle.pg_locks("orders-db", root.pid).await.unwrap();
        assert!(locks.is_empty());
        let wrong = exec
            .execute(&ActionRequest::DeleteTopic { name: "x".into() })
            .await;
        assert_eq!(wrong.status, OutcomeStatus::Failed);
    }
}
