//! PostgreSQL: the sessions and blocking-tree source, on-demand lock lists, and the guarded
//! cancel/terminate.
//!
//! - [`monitor`]: one observer connection per database that polls `pg_stat_activity` on a
//!   cadence and emits [`SourceBody::Postgres`](super::SourceBody::Postgres) snapshots;
//! - [`locks`]: a backend's `pg_locks` rows with relation names, fetched only on demand;
//! - [`kill`]: `pg_cancel_backend` / `pg_terminate_backend` pinned to the exact backend and
//!   statement the user saw, and [`kill::PgExecutor`] for the audit gate.
//!
//! The observer rules (drawn from monitors that used up every connection:
//! <https://github.com/nbari/pg_exporter/issues/23>,
//! <https://github.com/innogames/igcollect/pull/192>) shape every connection made here:
//! `application_name` set, autocommit single statements, a short `lock_timeout` so a poll
//! never queues behind someone's `ALTER TABLE`, and a `statement_timeout` below the refresh
//! interval.

pub mod backend;
pub mod bulk_kill;
pub mod kill;
pub mod locks;
pub mod monitor;
pub mod prepared;
pub mod replication;
pub mod server;
pub mod statements;

use crate::model::error::{BackendError, ErrorKind};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use tokio_postgres::error::DbError;
use tokio_postgres::{AsyncMessage, Client, Config};

use crate::config::PgDatabase;
use crate::tls::postgres::{PgTls, TlsParams, split_dsn};

pub use kill::{KillReport, KillTarget, PgExecutor, kill};
pub use locks::{fetch_locks, locks_of};
pub use monitor::{Monitor, PgSettings, spawn};

/// `application_name` of the one monitoring connection per database. Tests and operators
/// count connections by it.
pub const MONITOR_APP: &str = "opsdeck";
/// `application_name` of the short-lived connections that signal backends.
pub const KILL_APP: &str = "opsdeck-kill";
/// `application_name` of the short-lived connection that rolls a prepared transaction back.
pub const ROLLBACK_APP: &str = "opsdeck-rollback";
/// `application_name` of the short-lived connections that list one backend's locks.
pub const LOCKS_APP: &str = "opsdeck-locks";

/// How long any statement of ours may wait for a lock before giving up (as in
/// <https://github.com/innogames/igcollect/pull/192>).
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the connection settings of `db`: its DSN (key=value or URL), with the libpq
/// environment variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
/// `PGCONNECT_TIMEOUT`) filling what the DSN leaves out, as libpq does. `password` (from
/// the database's `SecretRef`) wins over both. The TLS keys (`sslmode`, `sslrootcert`, ...)
/// come back apart, with the `PGSSL*` variables filling theirs, for [`crate::tls::postgres`].
pub fn pg_config(
    db: &PgDatabase,
    password: Option<&str>,
    application: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Config, TlsParams), String> {
    let (dsn, tls) = split_dsn(&db.dsn).map_err(|e| format!("database {}: DSN: {e}", db.name))?;
    let tls = tls
        .with_env(&env)
        .map_err(|e| format!("database {}: PGSSL* variables: {e}", db.name))?;
    let mut config = if dsn.trim().is_empty() {
        Config::new()
    } else {
        dsn.parse::<Config>()
            // The DSN is not echoed: a careless one could hold a password.
            .map_err(|e| format!("database {}: bad DSN: {e}", db.name))?
    };
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        match env("PGHOST") {
            Some(hosts) => {
                for h in hosts.split(',') {
                    config.host(h);
                }
            }
            None => {
                config.host(default_host());
            }
        }
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT")
    {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("PGPORT {port:?} is not a port"))?;
        config.port(port);
    }
    if config.get_user().is_none()
        && let Some(user) = env("PGUSER")
    {
        config.user(user);
    }
    if config.get_dbname().is_none()
        && let Some(dbname) = env("PGDATABASE")
    {
        config.dbname(dbname);
    }
    match password {
        Some(p) => {
            config.password(p);
        }
        None => {
            if config.get_password().is_none()
                && let Some(p) = env("PGPASSWORD")
            {
                config.password(p);
            }
        }
    }
    if config.get_connect_timeout().is_none() {
        let secs = env("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok());
        config.connect_timeout(secs.map_or(CONNECT_TIMEOUT, Duration::from_secs));
    }
    // Ours, whatever the DSN says: operators find and count opsdeck's sessions by it.
    config.application_name(application);
    Ok((config, tls))
}

/// libpq's default when no host is given: the local socket directory if one exists.
fn default_host() -> &'static str {
    ["/run/postgresql", "/var/run/postgresql"]
        .into_iter()
        .find(|d| Path::new(d).is_dir())
        .unwrap_or("localhost")
}

/// Notices (WARNINGs) the server sent on a connection, newest last; only the last few are
/// kept.
#[derive(Debug, Clone, Default)]
pub struct Notices(Arc<Mutex<VecDeque<DbError>>>);

impl Notices {
    const KEEP: usize = 16;

    fn push(&self, notice: DbError) {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if q.len() == Self::KEEP {
            q.pop_front();
        }
        q.push_back(notice);
    }

    /// Takes every notice received so far.
    #[must_use]
    pub fn take(&self) -> Vec<DbError> {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        q.drain(..).collect()
    }
}

/// An open connection: the client, and the notices its driver task collected.
#[derive(Debug)]
pub struct Connected {
    pub client: Client,
    pub notices: Notices,
    /// The TLS it was made with; a cancel request for it is made the same way.
    pub tls: PgTls,
}

/// The connection settings and resolved TLS of `db`. The secrets (password, key
/// passphrase) are resolved and the TLS files read here, off the async threads (a secret
/// command may take a while).
pub async fn settings(db: &PgDatabase, application: &str) -> Result<(Config, PgTls), BackendError> {
    let db = db.clone();
    let application = application.to_owned();
    tokio::task::spawn_blocking(move || settings_blocking(&db, &application))
        .await
        .map_err(|e| BackendError::other(format!("secret task: {e}")))?
}

fn settings_blocking(db: &PgDatabase, application: &str) -> Result<(Config, PgTls), BackendError> {
    let resolve = |secret: &Option<crate::config::SecretRef>, what: &str| {
        secret
            .as_ref()
            .map(crate::config::SecretRef::resolve)
            .transpose()
            .map_err(|e| {
                BackendError::new(
                    ErrorKind::Auth,
                    format!("database {}: {what}: {e}", db.name),
                )
            })
    };
    let password = resolve(&db.password, "password")?;
    let key_password = resolve(&db.ssl_password, "sslpassword")?;
    let (config, params) = pg_config(db, password.as_deref(), application, |k| {
        std::env::var(k).ok()
    })
    .map_err(|e| BackendError::new(ErrorKind::Invalid, e))?;
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_owned());
    let tls = PgTls::resolve(&params, key_password.as_deref(), home.as_deref())
        .map_err(|e| BackendError::new(ErrorKind::Invalid, format!("database {}: {e}", db.name)))?;
    Ok((config, tls))
}

/// A connection failure as a [`BackendError`]; a TLS failure says which check failed.
#[must_use]
pub fn connect_error(e: &tokio_postgres::Error, tls: &PgTls, context: &str) -> BackendError {
    match crate::tls::postgres::explain(e, tls) {
        Some(text) => BackendError::new(ErrorKind::Unreachable, format!("{context}: {text}")),
        None => typed_error(e, context),
    }
}

/// Connects to `db` as `application` and applies the observer settings
/// (`lock_timeout`, `statement_timeout`), with the TLS its DSN asks for.
pub async fn connect(
    db: &PgDatabase,
    application: &str,
    statement_timeout: Duration,
) -> Result<Connected, BackendError> {
    connect_to(db, None, application, statement_timeout).await
}

/// [`connect`], to another database of the same server when `datname` is given (the same
/// host, role, password and TLS): `ROLLBACK PREPARED` must run in the prepared
/// transaction's own database.
pub async fn connect_to(
    db: &PgDatabase,
    datname: Option<&str>,
    application: &str,
    statement_timeout: Duration,
) -> Result<Connected, BackendError> {
    let (mut config, tls) = settings(db, application).await?;
    if let Some(datname) = datname {
        config.dbname(datname);
    }
    let connecting = crate::tls::postgres::connect(&config, &tls);
    let (client, mut connection) = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
        .await
        .map_err(|_| {
            BackendError::new(
                ErrorKind::Timeout,
                format!(
                    "database {}: no connection within {} s",
                    db.name,
                    CONNECT_TIMEOUT.as_secs()
                ),
            )
        })?
        .map_err(|e| connect_error(&e, &tls, &format!("database {}", db.name)))?;
    let notices = Notices::default();
    let sink = notices.clone();
    // Driving the connection through `poll_message` is the only way to see notices: the
    // WARNING that says a signalled pid was not a backend arrives as one.
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notice(notice)) => sink.push(notice),
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "postgres connection ended");
                    break;
                }
            }
        }
    });
    let setup = format!(
        "SET lock_timeout = '{}ms'; SET statement_timeout = '{}ms'",
        LOCK_TIMEOUT.as_millis(),
        statement_timeout.as_millis()
    );
    client
        .batch_execute(&setup)
        .await
        .map_err(|e| typed_error(&e, &format!("database {}: setup", db.name)))?;
    Ok(Connected {
        client,
        notices,
        tls,
    })
}

/// A tokio-postgres error as a [`BackendError`]: `context: message`, with its kind read from
/// the SQLSTATE class the server sent (PostgreSQL's "PostgreSQL Error Codes" appendix,
/// <https://www.postgresql.org/docs/current/errcodes-appendix.html>) or, without one, from
/// whether the connection itself failed.
#[must_use]
pub fn typed_error(e: &tokio_postgres::Error, context: &str) -> BackendError {
    BackendError::new(error_kind(e), format!("{context}: {}", error_text(e)))
}

/// The kind of a tokio-postgres error.
#[must_use]
pub fn error_kind(e: &tokio_postgres::Error) -> ErrorKind {
    let Some(db) = e.as_db_error() else {
        // No server answer: the socket failed, or the connection closed under us.
        return if e.is_closed() || std::error::Error::source(e).is_some() {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Other
        };
    };
    sqlstate_kind(db.code().code())
}

/// The kind of a SQLSTATE: by its class (the first two characters), with the few codes whose
/// class says too little looked at one by one.
#[must_use]
pub fn sqlstate_kind(code: &str) -> ErrorKind {
    match code {
        // invalid_password, and the class of invalid_authorization_specification.
        "28P01" => ErrorKind::Auth,
        "42501" => ErrorKind::Denied, // insufficient_privilege
        // query_canceled (statement_timeout), lock_not_available (lock_timeout).
        "57014" | "55P03" => ErrorKind::Timeout,
        "3D000" | "42P01" | "42704" | "42883" => ErrorKind::NotFound,
        // too_many_connections; admin_shutdown, crash_shutdown, cannot_connect_now.
        "53300" | "57P01" | "57P02" | "57P03" => ErrorKind::Unreachable,
        _ => match code.get(..2) {
            Some("28") => ErrorKind::Auth,
            Some("08") => ErrorKind::Unreachable, // connection_exception
            Some("22" | "42" | "23") => ErrorKind::Invalid,
            _ => ErrorKind::Other,
        },
    }
}

/// A tokio-postgres error as one sanitized line: the server's message (and SQLSTATE) when
/// there is one, else the client's description.
#[must_use]
pub fn error_text(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut t = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                t.push_str(": ");
                t.push_str(detail);
            }
            t
        }
        None => e.to_string(),
    };
    crate::model::clean(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_kinds_by_class_and_code() {
        assert_eq!(sqlstate_kind("28P01"), ErrorKind::Auth);
        assert_eq!(sqlstate_kind("28000"), ErrorKind::Auth);
        assert_eq!(sqlstate_kind("42501"), ErrorKind::Denied);
        assert_eq!(sqlstate_kind("57014"), ErrorKind::Timeout);
        assert_eq!(sqlstate_kind("55P03"), ErrorKind::Timeout);
        assert_eq!(sqlstate_kind("3D000"), ErrorKind::NotFound);
        assert_eq!(sqlstate_kind("08006"), ErrorKind::Unreachable);
        assert_eq!(sqlstate_kind("53300"), ErrorKind::Unreachable);
        assert_eq!(sqlstate_kind("42601"), ErrorKind::Invalid);
        assert_eq!(sqlstate_kind("XX000"), ErrorKind::Other);
    }

    fn db(dsn: &str) -> PgDatabase {
        PgDatabase {
            name: "orders".into(),
            dsn: dsn.into(),
            password: None,
            ssl_password: None,
        }
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn dsn_wins_over_environment() {
        let (c, _) = pg_config(
            &db("host=db1 port=6432 user=ops dbname=orders application_name=psql"),
            None,
            MONITOR_APP,
            env(&[("PGHOST", "other"), ("PGUSER", "nobody"), ("PGPORT", "1")]),
        )
        .unwrap();
        assert_eq!(c.get_user(), Some("ops"));
        assert_eq!(c.get_ports(), &[6432]);
        assert_eq!(c.get_dbname(), Some("orders"));
        assert_eq!(c.get_application_name(), Some("opsdeck"));
    }

    #[test]
    fn environment_fills_an_empty_dsn() {
        let (c, _) = pg_config(
            &db(""),
            None,
            MONITOR_APP,
            env(&[
                ("PGHOST", "db2"),
                ("PGPORT", "5433"),
                ("PGUSER", "monitor"),
                ("PGDATABASE", "app"),
                ("PGPASSWORD", "pw"),
            ]),
        )
        .unwrap();
        assert_eq!(c.get_hosts().len(), 1);
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(c.get_user(), Some("monitor"));
        assert_eq!(c.get_dbname(), Some("app"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        assert_eq!(c.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
    }

    #[test]
    fn secret_password_wins_and_bad_input_is_reported_without_echo() {
        let (c, _) = pg_config(
            &db("postgres://ops@db1/orders"),
            Some("s3cret"),
            KILL_APP,
            env(&[("PGPASSWORD", "other")]),
        )
        .unwrap();
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        let err = pg_config(
            &db("host=db1 password=hunter2 bogus"),
            None,
            MONITOR_APP,
            env(&[]),
        )
        .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err = pg_config(&db(""), None, MONITOR_APP, env(&[("PGPORT", "x")])).unwrap_err();
        assert!(err.contains("PGPORT"));
    }
}
