//! SQLite store for a single server. One writer connection serializes appends (SQLite
//! allows one writer anyway); a second connection reads concurrently thanks to WAL.
//! rusqlite is blocking, so every call runs on tokio's blocking pool.
//!
//! WAL with `synchronous=NORMAL` keeps an append well under a millisecond; a power cut may
//! lose the last transactions but never corrupts the chain (the SQLite WAL guarantee).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::model::checkpoint::Checkpoint;
use crate::model::oncall::Shift;
use crate::model::platform::{ChainPoint, EventPage, Request, VerifyReport};
use crate::platform::chain::{ChainRow, GENESIS, Verifier};
use crate::platform::store::{
    EventFilter, ShiftFilter, StoreError, Tx, VERIFY_PAGE, WriteOp, WriteResult, logic, page_from,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_chain (
    seq        INTEGER PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    actor      TEXT,
    action     TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    intent_id  TEXT,
    ts_us      INTEGER NOT NULL,
    body       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_one_outcome ON audit_chain(intent_id) WHERE kind = 'outcome';
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_chain(actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_chain(action, seq);
CREATE INDEX IF NOT EXISTS audit_by_target ON audit_chain(target_ref, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_chain(ts_us);
CREATE TRIGGER IF NOT EXISTS audit_chain_no_update BEFORE UPDATE ON audit_chain
    BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain
    BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    platform   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    head       TEXT NOT NULL,
    time       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TABLE IF NOT EXISTS idempotency (
    actor       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answer      TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);
CREATE TABLE IF NOT EXISTS requests (
    id        TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    kind      TEXT NOT NULL,
    state     TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_requester ON requests(requester, state);
CREATE TABLE IF NOT EXISTS oncall_shifts (
    id         TEXT PRIMARY KEY,
    team       TEXT NOT NULL,
    who        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_us    INTEGER NOT NULL,
    to_us      INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS oncall_by_team ON oncall_shifts(team, to_us);
CREATE INDEX IF NOT EXISTS oncall_by_end ON oncall_shifts(to_us);
";

const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

const ROW_COLUMNS: &str =
    "seq, event_id, kind, actor, action, target_ref, intent_id, ts_us, body, prev_hash, hash";

#[expect(
    clippy::needless_pass_by_value,
    reason = "a `map_err` adapter: `.map_err(db)` hands the error over"
)]
fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A SQLite-backed store; cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(db)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db)?;
    Ok(conn)
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        blocking(move || {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
            }
            let writer = connect(&path)?;
            writer.execute_batch(SCHEMA).map_err(db)?;
            // Checkpoints happen on a thread of their own, not inside whichever commit
            // crosses the threshold: that commit would pay for copying the whole WAL.
            writer
                .pragma_update(None, "wal_autocheckpoint", 0)
                .map_err(db)?;
            let reader = connect(&path)?;
            let writer = Arc::new(Mutex::new(writer));
            spawn_checkpointer(connect(&path)?, Arc::downgrade(&writer));
            Ok(Self {
                writer,
                reader: Arc::new(Mutex::new(reader)),
            })
        })
        .await
    }

    pub async fn write(&self, op: WriteOp) -> Result<WriteResult, StoreError> {
        let writer = Arc::clone(&self.writer);
        blocking(move || {
            let mut conn = lock(&writer)?;
            // IMMEDIATE takes the write lock up front, so the head read below cannot go stale.
            conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
            let result =
                futures::executor::block_on(logic::write(&mut SqliteTx { conn: &mut conn }, op));
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            conn.execute_batch(end).map_err(db)?;
            result
        })
        .await
    }

    fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> impl Future<Output = Result<R, StoreError>> + Send + 'static {
        let reader = Arc::clone(&self.reader);
        blocking(move || f(&*lock(&reader)?))
    }

    pub async fn list_events(&self, f: EventFilter) -> Result<EventPage, StoreError> {
        let limit = f.limit;
        let rows = self
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT i.seq, i.hash, i.body, o.body FROM audit_chain i
                         LEFT JOIN audit_chain o ON o.kind = 'outcome' AND o.intent_id = i.event_id
                         WHERE i.kind <> 'outcome'
                           AND (?1 IS NULL OR i.actor = ?1)
                           AND (?2 IS NULL OR i.action = ?2)
                           AND (?3 IS NULL OR i.target_ref = ?3)
                           AND (?4 IS NULL OR i.ts_us >= ?4)
                           AND (?5 IS NULL OR i.ts_us < ?5)
                           AND (?6 IS NULL OR i.seq < ?6)
                         ORDER BY i.seq DESC LIMIT ?7",
                    )
                    .map_err(db)?;
                let rows = stmt
                    .query_map(
                        params![
                            f.actor,
                            f.action,
                            f.target,
                            f.since_us,
                            f.until_us,
                            f.before_seq,
                            f.limit + 1
                        ],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db)?;
                Ok(rows)
            })
            .await?;
        page_from(rows, limit)
    }

    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.read(|conn| {
            let mut verifier = Verifier::default();
            let mut after = 0_i64;
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS} FROM audit_chain WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(db)?;
            loop {
                let rows = stmt
                    .query_map(params![after, VERIFY_PAGE], row_from)
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db)?;
                let Some(last) = rows.last() else { break };
                after = last.seq;
                if !rows.iter().all(|r| verifier.push(r)) {
                    break;
                }
            }
            Ok(verifier.report())
        })
        .await
    }

    /// The row at `seq`, or the last row with `None`.
    pub async fn chain_point(&self, seq: Option<i64>) -> Result<Option<ChainPoint>, StoreError> {
        // Two statements, not `(?1 IS NULL OR seq = ?1)`: one plan for both would walk the
        // seq index down from the head to find an old row.
        self.read(move |conn| {
            let read = |r: &rusqlite::Row<'_>| {
                Ok(ChainPoint {
                    seq: r.get(0)?,
                    hash: r.get(1)?,
                })
            };
            match seq {
                None => conn
                    .prepare_cached("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
                    .map_err(db)?
                    .query_row(params![], read),
                Some(seq) => conn
                    .prepare_cached("SELECT seq, hash FROM audit_chain WHERE seq = ?1")
                    .map_err(db)?
                    .query_row(params![seq], read),
            }
            .optional()
            .map_err(db)
        })
        .await
    }

    pub async fn insert_checkpoint(
        &self,
        c: &Checkpoint,
        public_key: &str,
    ) -> Result<(), StoreError> {
        let (c, public_key) = (c.clone(), public_key.to_owned());
        let writer = Arc::clone(&self.writer);
        blocking(move || {
            lock(&writer)?
                .prepare_cached(
                    "INSERT INTO audit_checkpoints
                     (platform, seq, head, time, key_id, public_key, signature)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db)?
                .execute(params![
                    c.platform,
                    c.seq,
                    c.head,
                    c.time,
                    c.key_id,
                    public_key,
                    c.signature
                ])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    pub async fn checkpoints(&self, limit: i64) -> Result<Vec<Checkpoint>, StoreError> {
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT platform, seq, head, time, key_id, signature FROM audit_checkpoints
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(db)?
            .query_map(params![limit], |r| {
                Ok(Checkpoint {
                    platform: r.get(0)?,
                    seq: r.get(1)?,
                    head: r.get(2)?,
                    time: r.get(3)?,
                    key_id: r.get(4)?,
                    signature: r.get(5)?,
                })
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
        })
        .await
    }

    pub async fn checkpoint_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT key_id, public_key FROM audit_checkpoints
                 GROUP BY key_id, public_key ORDER BY MIN(id)",
            )
            .map_err(db)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
        })
        .await
    }

    pub async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| request_by_id(conn, &id)).await
    }

    pub async fn list_requests(&self, requester: Option<&str>) -> Result<Vec<Request>, StoreError> {
        let requester = requester.map(str::to_owned);
        self.read(move |conn| {
            request_bodies(
                conn,
                "SELECT body FROM requests WHERE (?1 IS NULL OR requester = ?1) ORDER BY id DESC",
                requester.as_deref(),
            )
        })
        .await
    }

    pub async fn list_shifts(&self, f: ShiftFilter) -> Result<Vec<Shift>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM oncall_shifts
                     WHERE (?1 IS NULL OR team = ?1)
                       AND (?2 IS NULL OR to_us > ?2)
                       AND (?3 IS NULL OR from_us < ?3)",
                )
                .map_err(db)?;
            let bodies = stmt
                .query_map(params![f.team, f.from_us, f.to_us], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            bodies
                .iter()
                .map(|b| serde_json::from_str(b).map_err(StoreError::from))
                .collect()
        })
        .await
    }

    pub async fn team_has_shifts(&self, team: &str) -> Result<bool, StoreError> {
        let team = team.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT 1 FROM oncall_shifts WHERE team = ?1 LIMIT 1")
                .map_err(db)?
                .query_row(params![team], |_| Ok(()))
                .optional()
                .map(|found| found.is_some())
                .map_err(db)
        })
        .await
    }
}

/// Locks a connection. A panic while holding it (a bug) must not disable the audit for
/// good: the lock is taken back and any transaction it left open is rolled back.
/// Checkpoints the WAL every second (PASSIVE: never blocks the writer) until the store
/// is dropped.
fn spawn_checkpointer(conn: Connection, alive: std::sync::Weak<Mutex<Connection>>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(CHECKPOINT_EVERY);
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::warn!(error = %e, "sqlite checkpoint failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no sqlite checkpoint thread; the WAL will grow");
    }
}

fn lock(m: &Mutex<Connection>) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
    let conn = m.lock().unwrap_or_else(|poisoned| {
        tracing::error!("sqlite connection recovered after a panic");
        m.clear_poison();
        poisoned.into_inner()
    });
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK").map_err(db)?;
    }
    Ok(conn)
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
) -> Result<R, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task: {e}")))?
}

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChainRow> {
    Ok(ChainRow {
        seq: r.get(0)?,
        event_id: r.get(1)?,
        kind: r.get(2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        target_ref: r.get(5)?,
        intent_id: r.get(6)?,
        ts_us: r.get(7)?,
        body: r.get(8)?,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

fn request_by_id(conn: &Connection, id: &str) -> Result<Option<Request>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM requests WHERE id = ?1")
        .map_err(db)?
        .query_row(params![id], |r| r.get(0))
        .optional()
        .map_err(db)?;
    body.map(|b| serde_json::from_str(&b).map_err(StoreError::from))
        .transpose()
}

/// The writer connection inside `BEGIN IMMEDIATE`. Its futures never suspend: they run
/// synchronously under `block_on` on the blocking pool.
struct SqliteTx<'a> {
    conn: &'a mut Connection,
}

impl Tx for SqliteTx<'_> {
    async fn head(&mut self) -> Result<(i64, String), StoreError> {
        let head = self
            .conn
            .prepare_cached("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
            .map_err(db)?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?;
        Ok(head.unwrap_or_else(|| (0, GENESIS.to_owned())))
    }

    async fn insert_row(&mut self, row: &ChainRow) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO audit_chain ({ROW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .map_err(db)?
            .execute(params![
                row.seq,
                row.event_id,
                row.kind,
                row.actor,
                row.action,
                row.target_ref,
                row.intent_id,
                row.ts_us,
                row.body,
                row.prev_hash,
                row.hash
            ])
            .map_err(db)?;
        Ok(())
    }

    async fn idem_get(
        &mut self,
        actor: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT fingerprint, answer FROM idempotency WHERE actor = ?1 AND key = ?2",
            )
            .map_err(db)?
            .query_row(params![actor, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)
    }

    async fn idem_put(
        &mut self,
        actor: &str,
        key: &str,
        fingerprint: &str,
        answer: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO idempotency (actor, key, fingerprint, answer) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db)?
            .execute(params![actor, key, fingerprint, answer])
            .map_err(db)?;
        Ok(())
    }

    async fn event(&mut self, event_id: &str) -> Result<Option<ChainRow>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM audit_chain WHERE event_id = ?1"
            ))
            .map_err(db)?
            .query_row(params![event_id], row_from)
            .optional()
            .map_err(db)
    }

    async fn outcome_of(&mut self, intent_id: &str) -> Result<Option<ChainRow>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM audit_chain WHERE kind = 'outcome' AND intent_id = ?1"
            ))
            .map_err(db)?
            .query_row(params![intent_id], row_from)
            .optional()
            .map_err(db)
    }

    async fn request(&mut self, id: &str) -> Result<Option<Request>, StoreError> {
        request_by_id(self.conn, id)
    }

    async fn put_request(&mut self, request: &Request, insert: bool) -> Result<(), StoreError> {
        let body = serde_json::to_string(request)?;
        let sql = if insert {
            "INSERT INTO requests (id, requester, kind, state, body) VALUES (?1, ?2, ?3, ?4, ?5)"
        } else {
            "UPDATE requests SET requester = ?2, kind = ?3, state = ?4, body = ?5 WHERE id = ?1"
        };
        self.conn
            .prepare_cached(sql)
            .map_err(db)?
            .execute(params![
                request.id,
                request.requester,
                request.spec.kind(),
                request.state.as_str(),
                body
            ])
            .map_err(db)?;
        Ok(())
    }

    async fn approved_actions(&mut self, requester: &str) -> Result<Vec<Request>, StoreError> {
        request_bodies(
            self.conn,
            "SELECT body FROM requests WHERE requester = ?1 AND kind = 'action' AND state = 'approved'",
            Some(requester),
        )
    }

    async fn insert_shift(&mut self, shift: &Shift) -> Result<(), StoreError> {
        let body = serde_json::to_string(shift)?;
        self.conn
            .prepare_cached(
                "INSERT INTO oncall_shifts (id, team, who, kind, from_us, to_us, created_us, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(db)?
            .execute(params![
                shift.id,
                shift.team,
                shift.who,
                shift.kind.as_str(),
                micros(shift.from),
                micros(shift.to),
                micros(shift.created_at),
                body
            ])
            .map_err(db)?;
        Ok(())
    }

    async fn shift(&mut self, id: &str) -> Result<Option<Shift>, StoreError> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM oncall_shifts WHERE id = ?1")
            .map_err(db)?
            .query_row(params![id], |r| r.get(0))
            .optional()
            .map_err(db)?;
        body.map(|b| serde_json::from_str(&b).map_err(StoreError::from))
            .transpose()
    }

    async fn delete_shift(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM oncall_shifts WHERE id = ?1")
            .map_err(db)?
            .execute(params![id])
            .map_err(db)?;
        Ok(())
    }
}

/// Microseconds since the epoch, the column type of shift times.
fn micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

/// Requests stored as JSON bodies, selected by `sql` with the requester as `?1`.
fn request_bodies(
    conn: &rusqlite::Connection,
    sql: &str,
    requester: Option<&str>,
) -> Result<Vec<Request>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let bodies = stmt
        .query_map(params![requester], |r| r.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(StoreError::from))
        .collect()
}
