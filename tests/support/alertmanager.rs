//! Debian's `prometheus-alertmanager` (0.25 in bookworm) on a free loopback port, with a
//! config whose only receiver notifies nobody, HA gossip off and its data in a temp dir;
//! killed on Drop (or earlier with [`Alertmanager::kill`]).
//!
//! Under `CI=true` an Alertmanager that cannot start panics with the reason (`tests/run`
//! installs the package); elsewhere [`Alertmanager::start`] returns `None` after a note
//! and the test skips.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Alertmanager.
pub struct Alertmanager {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl std::fmt::Debug for Alertmanager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alertmanager")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// `$OPSDECK_ALERTMANAGER`, else Debian's `prometheus-alertmanager` or upstream's
/// `alertmanager` on the `PATH`.
fn binary() -> Result<PathBuf, String> {
    super::find_binary(
        "OPSDECK_ALERTMANAGER",
        &["prometheus-alertmanager", "alertmanager"],
        "alertmanager not found (apt-get install prometheus-alertmanager, or set OPSDECK_ALERTMANAGER)",
    )
}

/// A route to a receiver without integrations: alerts are kept and shown, nobody is
/// notified.
const CONFIG: &str = "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n";

impl Alertmanager {
    /// `None` (outside CI) when it cannot start.
    #[must_use]
    pub fn start() -> Option<Self> {
        match Self::try_start() {
            Ok(a) => Some(a),
            Err(reason) => {
                super::peer_unavailable("Alertmanager", &reason);
                None
            }
        }
    }

    fn try_start() -> Result<Self, String> {
        let bin = binary()?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, CONFIG).map_err(|e| format!("config: {e}"))?;
        let port = super::tansu::free_port()?;
        let log = std::fs::File::create(dir.path().join("alertmanager.log"))
            .map_err(|e| format!("log: {e}"))?;
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // No HA gossip: nothing listens on 9094 or joins a cluster.
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut am = Self { dir, port, child };
        am.wait_ready()?;
        Ok(am)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready =
                std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok_and(|mut s| {
                    use std::io::{Read as _, Write as _};
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let req = "GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                    let mut answer = String::new();
                    s.write_all(req.as_bytes()).is_ok()
                        && s.read_to_string(&mut answer).is_ok()
                        && answer.starts_with("HTTP/1.0 200")
                });
            if ready {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("alertmanager exited with {status}: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("alertmanager not ready in 20 s: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills it now (a dead peer mid-test); Drop then has nothing left to do.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
