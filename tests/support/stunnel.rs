//! stunnel (Debian's `stunnel4`) as a TLS front for a plain TCP peer: server mode, accepting
//! TLS on a loopback port and passing the bytes to the peer's plain port, killed on Drop.
//! Used for Kafka over TLS, which tansu 0.6.0 cannot serve itself ([`super::tansu`]):
//! [`TlsTansu`] is the pair. The in-process HTTP peers use [`super::tls_ca::TlsFront`]. stunnel is a real OpenSSL
//! TLS server, separate from both the client under test and rustls.
//!
//! Under `CI=true` a stunnel that cannot start panics with the reason (`tests/run` installs
//! `stunnel4`); elsewhere [`Stunnel::start`] returns `None` after a note and the test skips.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tansu::{self, Tansu};
use super::tls_ca::Pki;

/// A running stunnel.
pub struct Stunnel {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl std::fmt::Debug for Stunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stunnel")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// `$OPSDECK_STUNNEL`, else `stunnel4` (Debian's name) or `stunnel` on the `PATH`.
fn binary() -> Result<PathBuf, String> {
    super::find_binary(
        "OPSDECK_STUNNEL",
        &["stunnel4", "stunnel"],
        "stunnel not found (apt-get install stunnel4, or set OPSDECK_STUNNEL)",
    )
}

impl Stunnel {
    /// TLS on `127.0.0.1:port` with `cert`/`key`, passed through to `127.0.0.1:backend`;
    /// `None` (outside CI) when stunnel cannot start.
    #[must_use]
    pub fn start(port: u16, backend: u16, cert: &Path, key: &Path) -> Option<Self> {
        match Self::try_start(port, backend, cert, key) {
            Ok(s) => Some(s),
            Err(reason) => {
                super::peer_unavailable("stunnel", &reason);
                None
            }
        }
    }

    fn try_start(port: u16, backend: u16, cert: &Path, key: &Path) -> Result<Self, String> {
        let bin = binary()?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let log = dir.path().join("stunnel.log");
        // Foreground, no pid file and no syslog: the process is the test's to kill, and its
        // log (debug 5: each connection and handshake failure) is shown when a test fails.
        let conf = format!(
            "foreground = yes\npid =\nsyslog = no\ndebug = 5\noutput = {log}\n\n\
             [kafka]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{backend}\n\
             cert = {cert}\nkey = {key}\n",
            log = log.display(),
            cert = cert.display(),
            key = key.display(),
        );
        let conf_path = dir.path().join("stunnel.conf");
        std::fs::write(&conf_path, conf).map_err(|e| format!("stunnel.conf: {e}"))?;
        let child = Command::new(&bin)
            .arg(&conf_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut stunnel = Self { dir, port, child };
        stunnel.wait_listening()?;
        Ok(stunnel)
    }

    fn wait_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("stunnel exited with {status}: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("stunnel did not listen in 10 s: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The TLS port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// stunnel's output so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stunnel.log")).unwrap_or_default()
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A broker reached over TLS only: tansu on a plain loopback port, stunnel in front of it.
pub struct TlsTansu {
    pub tansu: Tansu,
    pub stunnel: Stunnel,
}

impl std::fmt::Debug for TlsTansu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTansu")
            .field("plain", &self.tansu.port())
            .field("tls", &self.stunnel.port())
            .finish()
    }
}

impl TlsTansu {
    /// tansu advertising the port of a stunnel in front of it, with `pki`'s server
    /// certificate (for `127.0.0.1` and `localhost`); `None` (outside CI) when either cannot
    /// start.
    #[must_use]
    pub fn start(pki: &Pki) -> Option<Self> {
        let front = match tansu::free_port() {
            Ok(p) => p,
            Err(reason) => {
                tansu::unavailable(&reason);
                return None;
            }
        };
        let tansu = Tansu::start_advertising(Some(front))?;
        let stunnel = Stunnel::start(front, tansu.port(), &pki.server_cert, &pki.server_key)?;
        Some(Self { tansu, stunnel })
    }

    /// `127.0.0.1:PORT` of the TLS front (the broker's advertised address too).
    #[must_use]
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.stunnel.port())
    }

    /// What both peers said, for a failure message.
    #[must_use]
    pub fn logs(&self) -> String {
        format!(
            "tansu:\n{}\nstunnel:\n{}",
            self.tansu.log(),
            self.stunnel.log()
        )
    }
}
