//! Debian's `prometheus` (2.42 in bookworm) on a free loopback port, scraping the given
//! targets every second and evaluating the given rule files every second, with its TSDB in a
//! temp dir; killed on Drop. Optionally it sends its alerts to an Alertmanager
//! (`--rules.alert.resend-delay=1s`, so an alert dropped before the Alertmanager was
//! discovered is sent again a second later, not a minute).
//!
//! Under `CI=true` a Prometheus that cannot start panics with the reason (`tests/run`
//! installs the package); elsewhere [`Prometheus::start`] returns `None` after a note and
//! the test skips.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Prometheus.
pub struct Prometheus {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl std::fmt::Debug for Prometheus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prometheus")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// `host:port` scrape targets (job `opsdeck-test`).
    pub targets: Vec<String>,
    /// Rule files' YAML text (`groups: [...]`).
    pub rules: Vec<String>,
    /// `http://host:port` of an Alertmanager to send alerts to.
    pub alertmanager: Option<String>,
}

/// `$OPSDECK_PROMETHEUS`, else `prometheus` on the `PATH`.
fn binary() -> Result<PathBuf, String> {
    super::find_binary(
        "OPSDECK_PROMETHEUS",
        &["prometheus"],
        "prometheus not found (apt-get install prometheus, or set OPSDECK_PROMETHEUS)",
    )
}

/// A rule file with one alerting rule that fires at once (`vector(1)`, `for: 0s`) with the
/// labels given, e.g. `service: checkout-api`.
#[must_use]
pub fn firing_rule(alertname: &str, labels: &[(&str, &str)]) -> String {
    let mut text = format!(
        "groups:\n  - name: opsdeck-firing\n    interval: 1s\n    rules:\n      - alert: {alertname}\n        expr: vector(1)\n        for: 0s\n        labels:\n"
    );
    for (k, v) in labels {
        let _ = writeln!(text, "          {k}: \"{v}\"");
    }
    text.push_str("        annotations:\n          summary: \"fired by the opsdeck test\"\n");
    text
}

impl Prometheus {
    /// `None` (outside CI) when it cannot start.
    #[must_use]
    pub fn start(setup: &Setup) -> Option<Self> {
        match Self::try_start(setup) {
            Ok(p) => Some(p),
            Err(reason) => {
                super::peer_unavailable("Prometheus", &reason);
                None
            }
        }
    }

    /// A Prometheus whose one alerting rule fires at once with `labels` and is sent to the
    /// Alertmanager at `alertmanager_url` (for the end-to-end alerts test).
    #[must_use]
    pub fn start_firing(
        alertmanager_url: &str,
        alertname: &str,
        labels: &[(&str, &str)],
    ) -> Option<Self> {
        Self::start(&Setup {
            targets: Vec::new(),
            rules: vec![firing_rule(alertname, labels)],
            alertmanager: Some(alertmanager_url.to_owned()),
        })
    }

    fn try_start(setup: &Setup) -> Result<Self, String> {
        let bin = binary()?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let mut rule_files = Vec::new();
        for (i, rules) in setup.rules.iter().enumerate() {
            let path = dir.path().join(format!("rules-{i}.yml"));
            std::fs::write(&path, rules).map_err(|e| format!("rules: {e}"))?;
            rule_files.push(path.display().to_string());
        }
        let mut config =
            String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        if !rule_files.is_empty() {
            config.push_str("rule_files:\n");
            for f in &rule_files {
                let _ = writeln!(config, "  - \"{f}\"");
            }
        }
        if let Some(am) = &setup.alertmanager {
            let host = am
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .trim_end_matches('/');
            let _ = write!(
                config,
                "alerting:\n  alertmanagers:\n    - api_version: v2\n      static_configs:\n        - targets: [\"{host}\"]\n"
            );
        }
        config.push_str(
            "scrape_configs:\n  - job_name: opsdeck-test\n    static_configs:\n      - targets: [",
        );
        config.push_str(
            &setup
                .targets
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
        config.push_str("]\n");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).map_err(|e| format!("config: {e}"))?;
        let port = super::tansu::free_port()?;
        let log = std::fs::File::create(dir.path().join("prometheus.log"))
            .map_err(|e| format!("log: {e}"))?;
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--rules.alert.resend-delay=1s")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut p = Self {
            dir,
            port,
            child: Some(child),
        };
        p.wait_ready()?;
        Ok(p)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
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
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("prometheus exited with {status}: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("prometheus not ready in 30 s: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it now (a dead server for the tests of stale data).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}
