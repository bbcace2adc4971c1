//! PostgreSQL store, for several server replicas sharing one database. Each write
//! transaction starts with `pg_advisory_xact_lock(CHAIN_LOCK)`: appends from every replica
//! are serialized in the database itself, so two replicas can never link to the same head.
//! The lock is released by commit or rollback, even if a replica dies mid-transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, Row, Transaction};

use crate::tls::postgres::{PgTls, split_dsn};

use crate::model::checkpoint::Checkpoint;
use crate::model::oncall::Shift;
use crate::model::platform::{ChainPoint, EventPage, Request, VerifyReport};
use crate::platform::chain::{ChainRow, GENESIS, Verifier};
use crate::platform::store::{
    EventFilter, ShiftFilter, StoreError, Tx, VERIFY_PAGE, WriteOp, WriteResult, logic, page_from,
};

/// Advisory lock key of the chain ("opsdeck" in ASCII, so it is recognisable in `pg_locks`).
const CHAIN_LOCK: i64 = 0x006f_7073_6465_636b;
/// Connections per server; writes serialize on the chain lock anyway, reads do not.
const POOL_SIZE: usize = 8;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_chain (
    seq        BIGINT PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    actor      TEXT,
    action     TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    intent_id  TEXT,
    ts_us      BIGINT NOT NULL,
    body       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_one_outcome ON audit_chain(intent_id) WHERE kind = 'outcome';
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_chain(actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_chain(action, seq);
CREATE INDEX IF NOT EXISTS audit_by_target ON audit_chain(target_ref, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_chain(ts_us);
CREATE OR REPLACE FUNCTION opsdeck_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_chain is append-only'; END $$;
CREATE OR REPLACE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION opsdeck_audit_append_only();
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    id         BIGSERIAL PRIMARY KEY,
    platform   TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    head       TEXT NOT NULL,
    time       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION opsdeck_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END $$;
CREATE OR REPLACE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION opsdeck_checkpoints_append_only();
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
    from_us    BIGINT NOT NULL,
    to_us      BIGINT NOT NULL,
    created_us BIGINT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS oncall_by_team ON oncall_shifts(team, to_us);
CREATE INDEX IF NOT EXISTS oncall_by_end ON oncall_shifts(to_us);
";

const ROW_COLUMNS: &str =
    "seq, event_id, kind, actor, action, target_ref, intent_id, ts_us, body, prev_hash, hash";

#[expect(
    clippy::needless_pass_by_value,
    reason = "a `map_err` adapter: `.map_err(db)` hands the error over"
)]
fn db(e: tokio_postgres::Error) -> StoreError {
    // The plain Display is often just "db error"; the server's message is what helps.
    match e.as_db_error() {
        Some(d) => StoreError::Backend(format!("{}: {}", d.code().code(), d.message())),
        None => StoreError::Backend(e.to_string()),
    }
}

/// A small pool of connections; a closed connection is replaced on next use.
#[derive(Debug, Clone)]
pub struct PgStore {
    config: Arc<tokio_postgres::Config>,
    tls: PgTls,
    conns: Arc<Vec<Mutex<Option<Client>>>>,
    next: Arc<AtomicUsize>,
}

impl PgStore {
    /// Opens the store at `url` (a `postgres://` URL or a keyword DSN), with the TLS its
    /// `ssl*` keys and the `PGSSL*` variables ask for, as the console's databases;
    /// `key_password` decrypts an encrypted `sslkey`.
    pub async fn open(url: &str, key_password: Option<&str>) -> Result<Self, StoreError> {
        let invalid = |e: String| StoreError::Invalid(format!("--store: {e}"));
        let (rest, params) = split_dsn(url).map_err(|e| invalid(e.to_string()))?;
        let params = params
            .with_env(|k| std::env::var(k).ok())
            .map_err(|e| invalid(e.to_string()))?;
        let config: tokio_postgres::Config = rest
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(e.to_string()))?;
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_owned());
        let key_password = key_password.map(str::to_owned);
        let tls = tokio::task::spawn_blocking(move || {
            PgTls::resolve(&params, key_password.as_deref(), home.as_deref())
        })
        .await
        .map_err(|e| invalid(e.to_string()))?
        .map_err(|e| invalid(e.to_string()))?;
        let store = Self {
            config: Arc::new(config),
            tls,
            conns: Arc::new((0..POOL_SIZE).map(|_| Mutex::new(None)).collect()),
            next: Arc::new(AtomicUsize::new(0)),
        };
        let mut conn = store.conn().await?;
        let client = client_of(&mut conn)?;
        let tx = client.transaction().await.map_err(db)?;
        // Replicas starting together would race on CREATE ... IF NOT EXISTS.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHAIN_LOCK])
            .await
            .map_err(db)?;
        tx.batch_execute(SCHEMA).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        drop(conn);
        Ok(store)
    }

    async fn conn(&self) -> Result<MutexGuard<'_, Option<Client>>, StoreError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // Prefer an idle connection; wait on the round-robin one only if all are busy.
        let mut guard = None;
        for i in 0..self.conns.len() {
            if let Ok(g) = self.conns[(start + i) % self.conns.len()].try_lock() {
                guard = Some(g);
                break;
            }
        }
        let mut guard = match guard {
            Some(g) => g,
            None => self.conns[start % self.conns.len()].lock().await,
        };
        if guard.as_ref().is_none_or(Client::is_closed) {
            let (client, connection) = crate::tls::postgres::connect(&self.config, &self.tls)
                .await
                .map_err(|e| match crate::tls::postgres::explain(&e, &self.tls) {
                    Some(text) => StoreError::Backend(text),
                    None => db(e),
                })?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "platform postgres connection ended");
                }
            });
            *guard = Some(client);
        }
        Ok(guard)
    }

    pub async fn write(&self, op: WriteOp) -> Result<WriteResult, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHAIN_LOCK])
            .await
            .map_err(db)?;
        let mut pg = PgTx { tx };
        let result = logic::write(&mut pg, op).await;
        if result.is_ok() {
            pg.tx.commit().await.map_err(db)?;
        } else {
            pg.tx.rollback().await.map_err(db)?;
        }
        result
    }

    pub async fn list_events(&self, f: EventFilter) -> Result<EventPage, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        let rows = client
            .query(
                "SELECT i.seq, i.hash, i.body, o.body FROM audit_chain i
                 LEFT JOIN audit_chain o ON o.kind = 'outcome' AND o.intent_id = i.event_id
                 WHERE i.kind <> 'outcome'
                   AND ($1::text IS NULL OR i.actor = $1::text)
                   AND ($2::text IS NULL OR i.action = $2::text)
                   AND ($3::text IS NULL OR i.target_ref = $3::text)
                   AND ($4::bigint IS NULL OR i.ts_us >= $4::bigint)
                   AND ($5::bigint IS NULL OR i.ts_us < $5::bigint)
                   AND ($6::bigint IS NULL OR i.seq < $6::bigint)
                 ORDER BY i.seq DESC LIMIT $7",
                &[
                    &f.actor,
                    &f.action,
                    &f.target,
                    &f.since_us,
                    &f.until_us,
                    &f.before_seq,
                    &(f.limit + 1),
                ],
            )
            .await
            .map_err(db)?;
        let rows = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(db)?;
        page_from(rows, f.limit)
    }

    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        let stmt = client
            .prepare(&format!(
                "SELECT {ROW_COLUMNS} FROM audit_chain WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .await
            .map_err(db)?;
        let mut verifier = Verifier::default();
        let mut after = 0_i64;
        loop {
            let rows = client
                .query(&stmt, &[&after, &VERIFY_PAGE])
                .await
                .map_err(db)?
                .iter()
                .map(row_from)
                .collect::<Result<Vec<_>, _>>()?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            if !rows.iter().all(|r| verifier.push(r)) {
                break;
            }
        }
        Ok(verifier.report())
    }

    /// The row at `seq`, or the last row with `None`.
    pub async fn chain_point(&self, seq: Option<i64>) -> Result<Option<ChainPoint>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        // Two statements, not `($1 IS NULL OR seq = $1)`: a generic plan for both would walk
        // the seq index down from the head to find an old row.
        let row = match seq {
            None => {
                client
                    .query_opt(
                        "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1",
                        &[],
                    )
                    .await
            }
            Some(seq) => {
                client
                    .query_opt("SELECT seq, hash FROM audit_chain WHERE seq = $1", &[&seq])
                    .await
            }
        }
        .map_err(db)?;
        row.map(|r| {
            Ok(ChainPoint {
                seq: r.try_get(0).map_err(db)?,
                hash: r.try_get(1).map_err(db)?,
            })
        })
        .transpose()
    }

    pub async fn insert_checkpoint(
        &self,
        c: &Checkpoint,
        public_key: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        client
            .execute(
                "INSERT INTO audit_checkpoints
                 (platform, seq, head, time, key_id, public_key, signature)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &c.platform,
                    &c.seq,
                    &c.head,
                    &c.time,
                    &c.key_id,
                    &public_key,
                    &c.signature,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    pub async fn checkpoints(&self, limit: i64) -> Result<Vec<Checkpoint>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        client
            .query(
                "SELECT platform, seq, head, time, key_id, signature FROM audit_checkpoints
                 ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                Ok(Checkpoint {
                    platform: r.try_get(0).map_err(db)?,
                    seq: r.try_get(1).map_err(db)?,
                    head: r.try_get(2).map_err(db)?,
                    time: r.try_get(3).map_err(db)?,
                    key_id: r.try_get(4).map_err(db)?,
                    signature: r.try_get(5).map_err(db)?,
                })
            })
            .collect()
    }

    pub async fn checkpoint_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        client
            .query(
                "SELECT key_id, public_key FROM audit_checkpoints
                 GROUP BY key_id, public_key ORDER BY MIN(id)",
                &[],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .collect()
    }

    pub async fn get_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        let row = client
            .query_opt("SELECT body FROM requests WHERE id = $1", &[&id])
            .await
            .map_err(db)?;
        row.map(|r| request_from(&r)).transpose()
    }

    pub async fn list_requests(&self, requester: Option<&str>) -> Result<Vec<Request>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        client
            .query(
                "SELECT body FROM requests WHERE ($1::text IS NULL OR requester = $1::text) ORDER BY id DESC",
                &[&requester],
            )
            .await
            .map_err(db)?
            .iter()
            .map(request_from)
            .collect()
    }
}

impl PgStore {
    pub async fn list_shifts(&self, f: ShiftFilter) -> Result<Vec<Shift>, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        client
            .query(
                "SELECT body FROM oncall_shifts
                 WHERE ($1::text IS NULL OR team = $1::text)
                   AND ($2::bigint IS NULL OR to_us > $2::bigint)
                   AND ($3::bigint IS NULL OR from_us < $3::bigint)",
                &[&f.team, &f.from_us, &f.to_us],
            )
            .await
            .map_err(db)?
            .iter()
            .map(shift_from)
            .collect()
    }

    pub async fn team_has_shifts(&self, team: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let client = client_of(&mut conn)?;
        let row = client
            .query_opt(
                "SELECT 1 FROM oncall_shifts WHERE team = $1 LIMIT 1",
                &[&team],
            )
            .await
            .map_err(db)?;
        Ok(row.is_some())
    }
}

fn shift_from(r: &Row) -> Result<Shift, StoreError> {
    let body: String = r.try_get(0).map_err(db)?;
    Ok(serde_json::from_str(&body)?)
}

fn client_of<'a>(
    conn: &'a mut MutexGuard<'_, Option<Client>>,
) -> Result<&'a mut Client, StoreError> {
    conn.as_mut()
        .ok_or_else(|| StoreError::Backend("no postgres connection".into()))
}

fn row_from(r: &Row) -> Result<ChainRow, StoreError> {
    let get = || -> Result<ChainRow, tokio_postgres::Error> {
        Ok(ChainRow {
            seq: r.try_get(0)?,
            event_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            actor: r.try_get(3)?,
            action: r.try_get(4)?,
            target_ref: r.try_get(5)?,
            intent_id: r.try_get(6)?,
            ts_us: r.try_get(7)?,
            body: r.try_get(8)?,
            prev_hash: r.try_get(9)?,
            hash: r.try_get(10)?,
        })
    };
    get().map_err(db)
}

fn request_from(r: &Row) -> Result<Request, StoreError> {
    let body: String = r.try_get(0).map_err(db)?;
    Ok(serde_json::from_str(&body)?)
}

struct PgTx<'a> {
    tx: Transaction<'a>,
}

impl Tx for PgTx<'_> {
    async fn head(&mut self) -> Result<(i64, String), StoreError> {
        let row = self
            .tx
            .query_opt(
                "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(db)?;
        match row {
            Some(r) => Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)),
            None => Ok((0, GENESIS.to_owned())),
        }
    }

    async fn insert_row(&mut self, row: &ChainRow) -> Result<(), StoreError> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO audit_chain ({ROW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ),
                &[
                    &row.seq,
                    &row.event_id,
                    &row.kind,
                    &row.actor,
                    &row.action,
                    &row.target_ref,
                    &row.intent_id,
                    &row.ts_us,
                    &row.body,
                    &row.prev_hash,
                    &row.hash,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn idem_get(
        &mut self,
        actor: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = self
            .tx
            .query_opt(
                "SELECT fingerprint, answer FROM idempotency WHERE actor = $1 AND key = $2",
                &[&actor, &key],
            )
            .await
            .map_err(db)?;
        row.map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .transpose()
    }

    async fn idem_put(
        &mut self,
        actor: &str,
        key: &str,
        fingerprint: &str,
        answer: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO idempotency (actor, key, fingerprint, answer) VALUES ($1, $2, $3, $4)",
                &[&actor, &key, &fingerprint, &answer],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn event(&mut self, event_id: &str) -> Result<Option<ChainRow>, StoreError> {
        let row = self
            .tx
            .query_opt(
                &format!("SELECT {ROW_COLUMNS} FROM audit_chain WHERE event_id = $1"),
                &[&event_id],
            )
            .await
            .map_err(db)?;
        row.as_ref().map(row_from).transpose()
    }

    async fn outcome_of(&mut self, intent_id: &str) -> Result<Option<ChainRow>, StoreError> {
        let row = self
            .tx
            .query_opt(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM audit_chain WHERE kind = 'outcome' AND intent_id = $1"
                ),
                &[&intent_id],
            )
            .await
            .map_err(db)?;
        row.as_ref().map(row_from).transpose()
    }

    async fn request(&mut self, id: &str) -> Result<Option<Request>, StoreError> {
        let row = self
            .tx
            .query_opt("SELECT body FROM requests WHERE id = $1", &[&id])
            .await
            .map_err(db)?;
        row.as_ref().map(request_from).transpose()
    }

    async fn put_request(&mut self, request: &Request, insert: bool) -> Result<(), StoreError> {
        let body = serde_json::to_string(request)?;
        let sql = if insert {
            "INSERT INTO requests (id, requester, kind, state, body) VALUES ($1, $2, $3, $4, $5)"
        } else {
            "UPDATE requests SET requester = $2, kind = $3, state = $4, body = $5 WHERE id = $1"
        };
        self.tx
            .execute(
                sql,
                &[
                    &request.id,
                    &request.requester,
                    &request.spec.kind(),
                    &request.state.as_str(),
                    &body,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn approved_actions(&mut self, requester: &str) -> Result<Vec<Request>, StoreError> {
        self.tx
            .query(
                "SELECT body FROM requests WHERE requester = $1 AND kind = 'action' AND state = 'approved'",
                &[&requester],
            )
            .await
            .map_err(db)?
            .iter()
            .map(request_from)
            .collect()
    }

    async fn insert_shift(&mut self, shift: &Shift) -> Result<(), StoreError> {
        let body = serde_json::to_string(shift)?;
        self.tx
            .execute(
                "INSERT INTO oncall_shifts (id, team, who, kind, from_us, to_us, created_us, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &shift.id,
                    &shift.team,
                    &shift.who,
                    &shift.kind.as_str(),
                    &shift.from.as_microsecond(),
                    &shift.to.as_microsecond(),
                    &shift.created_at.as_microsecond(),
                    &body,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn shift(&mut self, id: &str) -> Result<Option<Shift>, StoreError> {
        let row = self
            .tx
            .query_opt("SELECT body FROM oncall_shifts WHERE id = $1", &[&id])
            .await
            .map_err(db)?;
        row.as_ref().map(shift_from).transpose()
    }

    async fn delete_shift(&mut self, id: &str) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM oncall_shifts WHERE id = $1", &[&id])
            .await
            .map_err(db)?;
        Ok(())
    }
}
