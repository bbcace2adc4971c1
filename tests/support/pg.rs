//! A real PostgreSQL cluster for tests: `initdb` in a temp dir, `postgres` on a free
//! loopback port (its socket in the temp dir too), stopped on Drop.
//!
//! Reached as `support::pg` from a test binary that includes `tests/support/mod.rs`.
//!
//! - PostgreSQL refuses to run as root, so under euid 0 both `initdb` and `postgres` run
//!   through `runuser -u postgres --` in a temp dir chowned to that user.
//! - Binaries come from the highest `/usr/lib/postgresql/<major>/bin` (or `$OPSDECK_PG_BIN`).
//! - Under `CI=true` a cluster that cannot start panics with the reason: a test that needs
//!   a peer must never pass silently. Elsewhere [`shared`] returns `None` after a note on
//!   stderr and the caller skips.
//! - A watchdog shell stops the cluster if the test process dies without running Drop
//!   (abort, SIGKILL), so no orphaned postmaster outlives the run.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The PEM files of a TLS cluster (the test PKI's, `tests/support/tls_ca.rs`).
pub struct TlsFiles {
    /// Issued for `localhost` and `127.0.0.1`.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// The CA client certificates must come from.
    pub ca: PathBuf,
}

/// A running cluster. Superuser `postgres`, trust authentication, loopback only.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    child: Child,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster")
            .field("dir", &self.dir.path())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The cluster shared by every test of this process that is running at the moment; it
/// stops when the last user drops it. `None` means "skip" (outside CI only).
pub fn shared() -> Option<Arc<PgCluster>> {
    static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(cluster) = slot.upgrade() {
        return Some(cluster);
    }
    match PgCluster::start() {
        Ok(cluster) => {
            let cluster = Arc::new(cluster);
            *slot = Arc::downgrade(&cluster);
            Some(cluster)
        }
        Err(reason) => unavailable(&reason),
    }
}

/// Like [`shared`], for a cluster started with extra `settings`. One process uses one set
/// of settings: the first caller's settings start the cluster.
pub fn shared_with(settings: &[&str]) -> Option<Arc<PgCluster>> {
    static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(cluster) = slot.upgrade() {
        return Some(cluster);
    }
    match PgCluster::start_with(settings) {
        Ok(cluster) => {
            let cluster = Arc::new(cluster);
            *slot = Arc::downgrade(&cluster);
            Some(cluster)
        }
        Err(reason) => unavailable(&reason),
    }
}

/// Panics under CI, otherwise notes the skip and returns `None`.
#[expect(
    clippy::must_use_candidate,
    reason = "called for its panic or skip note; the `None` is there for `return unavailable(..)`"
)]
pub fn unavailable<T>(reason: &str) -> Option<T> {
    assert!(
        !in_ci(),
        "PostgreSQL is required under CI=true but cannot start: {reason}"
    );
    eprintln!("SKIP (PostgreSQL unavailable, set CI=true to make this fatal): {reason}");
    None
}

/// The newest installed server binaries.
pub fn find_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("OPSDECK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let root = Path::new("/usr/lib/postgresql");
    let entries = std::fs::read_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let major: f64 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((major, bin))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no PostgreSQL server under {}", root.display()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl PgCluster {
    /// `Command` for a server binary, as the `postgres` user when we are root.
    fn server_cmd(bin: &Path, as_postgres: bool, program: &str) -> Command {
        let path = bin.join(program);
        if as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    pub fn start() -> Result<Self, String> {
        Self::start_with(&[])
    }

    /// Like [`PgCluster::start`], with extra server settings (`name=value`, passed as
    /// `-c`; later ones win over the harness defaults, e.g. `max_connections=2100`).
    pub fn start_with(settings: &[&str]) -> Result<Self, String> {
        Self::start_inner(settings, None)
    }

    /// A cluster that speaks only TLS over TCP, as managed databases do: `ssl=on` with
    /// `pki`'s server certificate, client certificates checked against `pki`'s CA, and `pg_hba.conf` with `hostssl` lines only (so a plain
    /// TCP connection is refused with "no encryption"). Roles: `postgres` (trust), `certuser`
    /// (trust, but only with a client certificate of `pki`'s CA) and `scramuser` (password
    /// `scram-pw`, SCRAM, for channel binding).
    pub fn start_tls(pki: &TlsFiles) -> Result<Self, String> {
        let cluster = Self::start_inner(
            &[
                "ssl=on",
                "ssl_cert_file=server.pem",
                "ssl_key_file=server.key",
                "ssl_ca_file=ca.pem",
                "password_encryption=scram-sha-256",
            ],
            Some(pki),
        )?;
        cluster.psql("CREATE ROLE certuser LOGIN SUPERUSER")?;
        cluster.psql("CREATE ROLE scramuser LOGIN SUPERUSER PASSWORD 'scram-pw'")?;
        Ok(cluster)
    }

    /// Puts `pki`'s files in the data dir (postgres insists its key is private to it) and
    /// writes a hostssl-only `pg_hba.conf`.
    fn install_tls(data: &Path, as_postgres: bool, pki: &TlsFiles) -> Result<(), String> {
        for (from, to) in [
            (&pki.server_cert, "server.pem"),
            (&pki.server_key, "server.key"),
            (&pki.ca, "ca.pem"),
        ] {
            std::fs::copy(from, data.join(to)).map_err(|e| format!("copy {to}: {e}"))?;
        }
        let hba = "local all all trust\n\
                   hostssl all certuser 127.0.0.1/32 trust clientcert=verify-ca\n\
                   hostssl all scramuser 127.0.0.1/32 scram-sha-256\n\
                   hostssl all all 127.0.0.1/32 trust\n";
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| format!("pg_hba: {e}"))?;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .map_err(|e| format!("chmod server.key: {e}"))?;
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(data)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown postgres {} failed", data.display()));
            }
        }
        Ok(())
    }

    fn start_inner(settings: &[&str], tls: Option<&TlsFiles>) -> Result<Self, String> {
        let bin = find_bin()?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pg-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "chown postgres {} failed ({status}); is there a `postgres` user?",
                    dir.path().display()
                ));
            }
        }
        let data = dir.path().join("data");
        let out = Self::server_cmd(&bin, as_postgres, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if let Some(pki) = tls {
            Self::install_tls(&data, as_postgres, pki)?;
        }
        // The port is free now but could be taken before postgres binds it; retry then.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            match Self::launch(&bin, as_postgres, dir.path(), &data, port, settings) {
                Ok(child) => {
                    let cluster = Self {
                        dir,
                        bin,
                        port,
                        as_postgres,
                        child,
                    };
                    cluster.spawn_watchdog();
                    return Ok(cluster);
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn launch(
        bin: &Path,
        as_postgres: bool,
        dir: &Path,
        data: &Path,
        port: u16,
        settings: &[&str],
    ) -> Result<Child, String> {
        let log_path = dir.join(format!("postgres-{port}.log"));
        let log = File::create(&log_path).map_err(|e| format!("log file: {e}"))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut child = Self::server_cmd(bin, as_postgres, "postgres")
            .arg("-D")
            .arg(data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ])
            .args(settings.iter().flat_map(|s| ["-c", s]))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("postgres exited ({status}): {log}"));
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(child);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("postgres not ready after 30 s: {log}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the cluster when this process is gone, even if Drop never runs.
    fn spawn_watchdog(&self) {
        let stop = format!(
            "{} {} -D {} stop -m immediate",
            if self.as_postgres {
                "runuser -u postgres --"
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.dir.path().join("data").display()
        );
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1",
            std::process::id()
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Directory holding the Unix socket.
    #[must_use]
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// URL of `database` as the superuser over TCP.
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL with `psql` against the `postgres` database.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-c", sql])
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A streaming standby of this cluster, made as the docs' `app-pgbasebackup.html`
    /// describes it (first-aid reference §5.6): `pg_basebackup -X stream -R -C -S slot`
    /// copies the data and writes `standby.signal` and `primary_conninfo`, and creates the
    /// physical slot `slot` on this primary; the copy then starts on a port of its own.
    /// initdb's default `pg_hba.conf` already lets loopback replication in (trust), and
    /// `wal_level=replica` and `max_wal_senders=10` are the defaults. `settings` must repeat
    /// the primary's `max_*` settings: a standby refuses lower ones.
    pub fn standby(&self, slot: &str, settings: &[&str]) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pg-standby-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        if self.as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown postgres {} failed", dir.path().display()));
            }
        }
        let data = dir.path().join("data");
        let out = self
            .base_backup(&data)
            .args(["-X", "stream", "-R", "-C", "-S", slot, "--no-sync"])
            .output()
            .map_err(|e| format!("pg_basebackup: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "pg_basebackup failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut settings = settings.to_vec();
        // The standby's walreceiver reports as this name in the primary's
        // pg_stat_replication (`application_name` defaults to `cluster_name`).
        let name = format!("cluster_name={slot}");
        settings.push(&name);
        let port = free_port()?;
        let child = Self::launch(
            &self.bin,
            self.as_postgres,
            dir.path(),
            &data,
            port,
            &settings,
        )?;
        let standby = Self {
            dir,
            bin: self.bin.clone(),
            port,
            as_postgres: self.as_postgres,
            child,
        };
        standby.spawn_watchdog();
        Ok(standby)
    }

    /// `pg_basebackup` of this cluster as `postgres` into `data`; the caller adds the mode.
    fn base_backup(&self, data: &Path) -> Command {
        let mut cmd = Self::server_cmd(&self.bin, self.as_postgres, "pg_basebackup");
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ])
        .arg("-D")
        .arg(data);
        cmd
    }

    /// A throttled `pg_basebackup` of this cluster into a temp dir, left running (its
    /// progress shows in `pg_stat_progress_basebackup`); kill the child when done.
    pub fn slow_base_backup(&self) -> Result<(Child, tempfile::TempDir), String> {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pg-backup-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        if self.as_postgres {
            let _ = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status();
        }
        let child = self
            .base_backup(&dir.path().join("data"))
            .args(["-X", "none", "--max-rate=32k", "--no-sync"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("pg_basebackup: {e}"))?;
        Ok((child, dir))
    }

    /// Creates a database with a unique name and returns its URL, so tests sharing the
    /// cluster do not see each other's data.
    pub fn fresh_database(&self, prefix: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = self.psql(&format!("CREATE DATABASE {name}")) {
            panic!("CREATE DATABASE {name}: {e}");
        }
        self.url(&name)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Self::server_cmd(&self.bin, self.as_postgres, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["stop", "-m", "immediate", "-w"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
