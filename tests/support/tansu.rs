//! A real Kafka-protocol broker for tests: tansu 0.6.0 (`~/.cargo/bin/tansu`, built with
//! the `dynostore` feature) with in-memory storage on a free loopback port, killed on Drop.
//!
//! Reached as `support::tansu` from a test binary that includes `tests/support/mod.rs`.
//!
//! - Each [`Tansu::start`] is a broker of its own (it is ready in milliseconds), so tests
//!   never see each other's topics and one test may stop its broker.
//! - It runs in an empty temp dir: tansu loads any `.env` in its working directory.
//! - Under `CI=true` a broker that cannot start panics with the reason: a test that needs a
//!   peer must never pass silently. Elsewhere [`Tansu::start`] returns `None` after a note
//!   on stderr and the caller skips.
//! - Kafka over TLS: tansu 0.6.0 takes `--cert`/`--key` but never uses them (its broker
//!   builds a `TlsAcceptor` and serves plain TCP all the same), so a TLS front (stunnel,
//!   `tests/support/stunnel.rs`) goes in front of it and [`Tansu::start_advertising`] points
//!   the metadata at the front's port: a client follows the metadata's broker address, which
//!   must be the TLS port or the client would bypass TLS after bootstrapping.
//!
//! Self-contained (`benches/kafka.rs` includes this file alone).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// A running broker.
pub struct Tansu {
    dir: tempfile::TempDir,
    port: u16,
    /// The port clients are pointed at in metadata: `port`, or a TLS front's.
    advertised: u16,
    child: Option<Child>,
}

impl std::fmt::Debug for Tansu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tansu")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where `tests/run` installs it (`$OPSDECK_TANSU` overrides).
#[must_use]
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OPSDECK_TANSU") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cargo/bin/tansu")
}

/// A loopback port free right now.
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

impl Tansu {
    /// Starts a broker, or `None` (outside CI) when it cannot.
    #[must_use]
    pub fn start() -> Option<Self> {
        Self::start_advertising(None)
    }

    /// Starts a broker whose metadata sends clients to `127.0.0.1:advertised` (a TLS
    /// front's port; `None`: its own port); `None` (outside CI) when it cannot start.
    #[must_use]
    pub fn start_advertising(advertised: Option<u16>) -> Option<Self> {
        match Self::try_start(advertised) {
            Ok(t) => Some(t),
            Err(reason) => {
                unavailable(&reason);
                None
            }
        }
    }

    fn try_start(advertised: Option<u16>) -> Result<Self, String> {
        let bin = binary();
        if !bin.exists() {
            return Err(format!(
                "{} not found; install it with `OPSDECK_NEED_TANSU=1 ./tests/run` or \
                 `cargo install tansu --version 0.6.0 --features dynostore --locked`",
                bin.display()
            ));
        }
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port()?;
        let mut tansu = Self {
            dir,
            port,
            advertised: advertised.unwrap_or(port),
            child: None,
        };
        tansu.spawn()?;
        tansu.wait_ready()?;
        Ok(tansu)
    }

    /// Spawns the broker on `self.port`, appending to the log.
    fn spawn(&mut self) -> Result<(), String> {
        let bin = binary();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("tansu.log"))
            .map_err(|e| format!("log file: {e}"))?;
        let err = log.try_clone().map_err(|e| format!("log file: {e}"))?;
        let child = Command::new(&bin)
            .arg("broker")
            .args(["--listener-url", &url])
            .args(["--advertised-listener-url", &advertised])
            .args(["--storage-engine", "memory://tansu/"])
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Starts a stopped broker again on the same port (memory storage: it comes back
    /// empty), for tests of what a client does when its broker returns.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()?;
        self.wait_ready()
    }

    /// Waits until the broker answers a metadata request (on its plain port: the answer
    /// itself comes back on the bootstrap connection even when it advertises a TLS front).
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("tansu exited with {status}: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("tansu did not listen in 20 s: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .map_err(|e| format!("client: {e}"))?;
        loop {
            match consumer.fetch_metadata(None, Duration::from_secs(2)) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "tansu does not answer metadata: {e}: {}",
                        self.log()
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// `127.0.0.1:PORT`.
    #[must_use]
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's output so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tansu.log")).unwrap_or_default()
    }

    /// Kills the broker now (a dead broker for error-path tests).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Under `CI=true` a peer that cannot start fails the test; elsewhere the test skips.
pub fn unavailable(reason: &str) {
    assert!(
        !in_ci(),
        "tansu is required under CI=true but cannot start: {reason}"
    );
    eprintln!("SKIP (tansu unavailable, set CI=true to make this fatal): {reason}");
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.stop();
    }
}
