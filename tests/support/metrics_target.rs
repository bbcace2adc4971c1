//! A Prometheus scrape target: `GET /metrics` in the text exposition format (0.0.4), with a
//! `service` label on each series. Per service it serves both HTTP conventions (the
//! `OpenTelemetry` `http_server_request_duration_seconds` histogram and the classic
//! `http_requests_total` counter with `http_request_duration_seconds`), and the pod series
//! the default templates join (`kube_pod_labels`, `kube_pod_container_status_restarts_total`,
//! `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`).
//!
//! Counters grow with time at the rates set per service, and a test changes the rates while
//! Prometheus scrapes ([`Target::set`]): a counter never goes back, so `rate()` sees exactly
//! the new rate from the change on.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The buckets of the histograms (seconds), `+Inf` added.
pub const BUCKETS: [f64; 6] = [0.005, 0.025, 0.1, 0.5, 1.0, 5.0];

/// What one service serves per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    /// Successful requests per second.
    pub ok: f64,
    /// 5xx responses per second.
    pub errors: f64,
    /// Every request's duration (seconds): all observations fall in one bucket.
    pub latency: f64,
    pub cpu: f64,
    pub memory: f64,
}

impl Traffic {
    #[must_use]
    pub fn new(ok: f64, errors: f64, latency: f64) -> Self {
        Self {
            ok,
            errors,
            latency,
            cpu: 0.25,
            memory: 64.0 * 1024.0 * 1024.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    ok: f64,
    errors: f64,
    seconds: f64,
    cpu: f64,
}

#[derive(Debug)]
struct Service {
    traffic: Traffic,
    counts: Counts,
    since: Instant,
    restarts: u64,
}

impl Service {
    /// The counters as of `now`.
    fn at(&self, now: Instant) -> Counts {
        let dt = now.duration_since(self.since).as_secs_f64();
        let t = self.traffic;
        Counts {
            ok: self.counts.ok + t.ok * dt,
            errors: self.counts.errors + t.errors * dt,
            seconds: self.counts.seconds + (t.ok + t.errors) * t.latency * dt,
            cpu: self.counts.cpu + t.cpu * dt,
        }
    }
}

/// A running target.
pub struct Target {
    pub addr: SocketAddr,
    services: Arc<Mutex<BTreeMap<String, Service>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Target {
    /// `127.0.0.1:PORT`, as a scrape config's target.
    #[must_use]
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Changes a service's traffic from now on (adds the service if new).
    pub fn set(&self, service: &str, traffic: Traffic) {
        let now = Instant::now();
        let mut services = self.services.lock().expect("lock");
        match services.get_mut(service) {
            Some(s) => {
                s.counts = s.at(now);
                s.since = now;
                s.traffic = traffic;
            }
            None => {
                services.insert(
                    service.to_owned(),
                    Service {
                        traffic,
                        counts: Counts::default(),
                        since: now,
                        restarts: 0,
                    },
                );
            }
        }
    }

    /// Counts a container restart of the service's pod.
    pub fn restart(&self, service: &str) {
        if let Some(s) = self.services.lock().expect("lock").get_mut(service) {
            s.restarts += 1;
        }
    }
}

/// A label value in the exposition format: `\`, `"` and line feeds escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn exposition(services: &BTreeMap<String, Service>) -> String {
    let now = Instant::now();
    let mut out = String::new();
    let names = [
        (
            "http_server_request_duration_seconds",
            "http_response_status_code",
        ),
        ("http_request_duration_seconds", "code"),
    ];
    for (metric, code_label) in names {
        let _ = writeln!(out, "# TYPE {metric} histogram");
        for (name, s) in services {
            let c = s.at(now);
            let svc = escape(name);
            for (code, count, share) in [("200", c.ok, c.ok), ("500", c.errors, c.errors)] {
                let _ = share;
                let labels = format!("service=\"{svc}\",{code_label}=\"{code}\"");
                for le in BUCKETS {
                    let n = if s.traffic.latency <= le { count } else { 0.0 };
                    let _ = writeln!(out, "{metric}_bucket{{{labels},le=\"{le}\"}} {n}");
                }
                let _ = writeln!(out, "{metric}_bucket{{{labels},le=\"+Inf\"}} {count}");
                let _ = writeln!(out, "{metric}_count{{{labels}}} {count}");
                let _ = writeln!(
                    out,
                    "{metric}_sum{{{labels}}} {}",
                    count * s.traffic.latency
                );
            }
        }
    }
    let _ = writeln!(out, "# TYPE http_requests_total counter");
    for (name, s) in services {
        let c = s.at(now);
        let svc = escape(name);
        let _ = writeln!(
            out,
            "http_requests_total{{service=\"{svc}\",code=\"200\"}} {}",
            c.ok
        );
        let _ = writeln!(
            out,
            "http_requests_total{{service=\"{svc}\",code=\"500\"}} {}",
            c.errors
        );
    }
    let _ = writeln!(out, "# TYPE kube_pod_labels gauge");
    for name in services.keys() {
        let svc = escape(name);
        let _ = writeln!(
            out,
            "kube_pod_labels{{namespace=\"shop\",pod=\"{svc}-0\",label_app_kubernetes_io_name=\"{svc}\"}} 1"
        );
    }
    let _ = writeln!(
        out,
        "# TYPE kube_pod_container_status_restarts_total counter"
    );
    for (name, s) in services {
        let _ = writeln!(
            out,
            "kube_pod_container_status_restarts_total{{namespace=\"shop\",pod=\"{}-0\",container=\"app\"}} {}",
            escape(name),
            s.restarts
        );
    }
    let _ = writeln!(out, "# TYPE container_cpu_usage_seconds_total counter");
    for (name, s) in services {
        let _ = writeln!(
            out,
            "container_cpu_usage_seconds_total{{namespace=\"shop\",pod=\"{}-0\",container=\"app\",image=\"app:1\"}} {}",
            escape(name),
            s.at(now).cpu
        );
    }
    let _ = writeln!(out, "# TYPE container_memory_working_set_bytes gauge");
    for (name, s) in services {
        let _ = writeln!(
            out,
            "container_memory_working_set_bytes{{namespace=\"shop\",pod=\"{}-0\",container=\"app\",image=\"app:1\"}} {}",
            escape(name),
            s.traffic.memory
        );
    }
    out
}

async fn metrics(State(services): State<Arc<Mutex<BTreeMap<String, Service>>>>) -> String {
    exposition(&services.lock().expect("lock"))
}

/// Starts a target on a free loopback port serving `services`.
pub async fn start(services: &[(&str, Traffic)]) -> Target {
    let now = Instant::now();
    let map: BTreeMap<String, Service> = services
        .iter()
        .map(|(name, traffic)| {
            (
                (*name).to_owned(),
                Service {
                    traffic: *traffic,
                    counts: Counts::default(),
                    since: now,
                    restarts: 0,
                },
            )
        })
        .collect();
    let services = Arc::new(Mutex::new(map));
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&services));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Target {
        addr,
        services,
        task,
    }
}
