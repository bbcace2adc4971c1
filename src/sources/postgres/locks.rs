//! One backend's locks, granted and awaited, with relation names resolved. This reads the
//! catalogs (`pg_class`, `pg_namespace`), so it runs only on demand, when the user opens a
//! session's detail, never in the periodic poll (monitoring polls that touch relations pile
//! up behind DDL: <https://github.com/nbari/pg_exporter/issues/23>).

use crate::model::error::BackendError;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio_postgres::{Client, Row};

use super::{LOCKS_APP, connect};
use crate::config::PgDatabase;
use crate::model::clean;
use crate::model::pg::PgLock;

/// `pg_locks` of one pid. Relation names resolve only for this database's relations and
/// shared catalogs: a relation oid from another database means nothing here. `waitstart`
/// is read through `to_jsonb` so the same statement works before PostgreSQL 14 (NULL then).
pub const LOCKS_SQL: &str = "SELECT l.locktype, l.mode, l.granted,
       CASE WHEN l.relation IS NOT NULL
             AND l.database IN (0, (SELECT oid FROM pg_database
                                     WHERE datname = current_database()))
            THEN (SELECT n.nspname || '.' || c.relname
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.oid = l.relation)
       END AS relation_name,
       l.relation::int8 AS relation_oid, l.page, l.tuple, l.virtualxid,
       l.transactionid::text AS xid, l.classid::int8 AS classid, l.objid::int8 AS objid,
       l.objsubid, (to_jsonb(l) ->> 'waitstart')::timestamptz AS wait_start
  FROM pg_locks l
 WHERE l.pid = $1
 ORDER BY l.granted, l.locktype, l.mode";

fn lock_from_row(row: &Row) -> Result<PgLock, tokio_postgres::Error> {
    let locktype: String = row.try_get("locktype")?;
    let name: Option<String> = row.try_get("relation_name")?;
    let oid: Option<i64> = row.try_get("relation_oid")?;
    let page: Option<i32> = row.try_get("page")?;
    let tuple: Option<i16> = row.try_get("tuple")?;
    let vxid: Option<String> = row.try_get("virtualxid")?;
    let xid: Option<String> = row.try_get("xid")?;
    let classid: Option<i64> = row.try_get("classid")?;
    let objid: Option<i64> = row.try_get("objid")?;
    let objsubid: Option<i16> = row.try_get("objsubid")?;
    let wait_start: Option<SystemTime> = row.try_get("wait_start")?;
    let detail = match locktype.as_str() {
        "page" => format!("page {}", page.unwrap_or_default()),
        "tuple" => format!(
            "page {}, tuple {}",
            page.unwrap_or_default(),
            tuple.unwrap_or_default()
        ),
        "transactionid" => format!("xid {}", xid.unwrap_or_default()),
        "virtualxid" => format!("vxid {}", vxid.unwrap_or_default()),
        "advisory" => advisory_key(classid, objid, objsubid),
        "object" => format!(
            "class {} object {}",
            classid.unwrap_or_default(),
            objid.unwrap_or_default()
        ),
        _ => String::new(),
    };
    // A relation we could not name (another database's, or dropped) still shows its oid.
    let detail = match (&name, oid) {
        (None, Some(oid)) if detail.is_empty() => format!("relation oid {oid}"),
        (None, Some(oid)) => format!("{detail}, relation oid {oid}"),
        _ => detail,
    };
    Ok(PgLock {
        locktype: clean(&locktype),
        mode: clean(
            &row.try_get::<_, Option<String>>("mode")?
                .unwrap_or_default(),
        ),
        granted: row.try_get::<_, Option<bool>>("granted")?.unwrap_or(false),
        relation: name.map(|n| clean(&n)),
        detail: clean(&detail),
        wait_start: wait_start.and_then(|t| Timestamp::try_from(t).ok()),
    })
}

/// The key as the user passed it: `pg_advisory_lock(bigint)` is stored as two 32-bit
/// halves with `objsubid = 1`, `pg_advisory_lock(int, int)` with `objsubid = 2`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "an int4 advisory key is stored as an oid: its low 32 bits, read back as signed"
)]
fn advisory_key(classid: Option<i64>, objid: Option<i64>, objsubid: Option<i16>) -> String {
    let (hi, lo) = (classid.unwrap_or_default(), objid.unwrap_or_default());
    match objsubid {
        Some(1) => format!("key {}", (hi << 32) | lo),
        Some(2) => format!("keys {}, {}", hi as i32, lo as i32),
        _ => format!("class {hi} object {lo}"),
    }
}

/// Every lock `pid` holds or waits for, waits first.
pub async fn locks_of(client: &Client, pid: i32) -> Result<Vec<PgLock>, tokio_postgres::Error> {
    let rows = client.query(LOCKS_SQL, &[&pid]).await?;
    rows.iter().map(lock_from_row).collect()
}

/// [`locks_of`] on a short-lived connection of its own (`application_name =
/// 'opsdeck-locks'`, same observer timeouts), so the monitor's cadence is never held up by
/// an on-demand read.
pub async fn fetch_locks(db: &PgDatabase, pid: i32) -> Result<Vec<PgLock>, BackendError> {
    let conn = connect(db, LOCKS_APP, Duration::from_secs(2)).await?;
    locks_of(&conn.client, pid)
        .await
        .map_err(|e| super::typed_error(&e, &format!("database {}: locks of {pid}", db.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_read_back_as_given() {
        // pg_advisory_lock(42): classid 0, objid 42, objsubid 1.
        assert_eq!(advisory_key(Some(0), Some(42), Some(1)), "key 42");
        // pg_advisory_lock(2^32 + 7).
        assert_eq!(
            advisory_key(Some(1), Some(7), Some(1)),
            format!("key {}", (1i64 << 32) + 7)
        );
        assert_eq!(advisory_key(Some(3), Some(4), Some(2)), "keys 3, 4");
        // Negative int4 keys are stored as their unsigned oid value.
        assert_eq!(
            advisory_key(Some(4_294_967_295), Some(1), Some(2)),
            "keys -1, 1"
        );
    }
}
