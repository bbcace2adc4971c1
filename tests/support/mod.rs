//! The test peers and harnesses the test binaries share, one module included once per binary
//! with `#[path = "../support/mod.rs"] mod support;` and reached as `support::kube`,
//! `support::pg`...
//!
//! In-process HTTP peers speaking the real wire formats: the Kubernetes API server
//! ([`kube`]), Argo CD ([`argocd`]), Loki ([`loki`]), Tempo ([`tempo`]) and Jaeger
//! ([`jaeger`]) with the call log they share ([`recorded_peer`]), and Backstage
//! ([`backstage`]), a Prometheus scrape target ([`metrics_target`]). Spawned real servers: PostgreSQL ([`pg`]) and the tansu Kafka broker
//! ([`tansu`]), Prometheus ([`prometheus`]), and stunnel as the TLS front of the Kafka broker ([`stunnel`]). A throwaway
//! PKI and a TLS front for any of the HTTP peers: [`tls_ca`]. A TCP proxy that turns open
//! connections into half-open black holes (no FIN, no RST): [`blackhole`]. The binary in a pty: [`pty`].
//! Fixture files live in `tests/support/fixtures/`.

pub mod alertmanager;
pub mod argocd;
pub mod backstage;
pub mod blackhole;
pub mod jaeger;
pub mod kube;
pub mod loki;
pub mod metrics_target;
pub mod pg;
pub mod prometheus;
pub mod pty;
pub mod recorded_peer;
pub mod stunnel;
pub mod tansu;
pub mod tempo;
pub mod tls_ca;

/// `$env` when set, else the first of `names` on the `PATH`; `missing` says how to get it.
pub fn find_binary(env: &str, names: &[&str], missing: &str) -> Result<std::path::PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(std::path::PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| missing.to_owned())
}

/// A spawned peer that cannot start: under `CI=true` the test fails with `reason`; elsewhere
/// it is skipped with a note saying how to make that fatal. (`pg.rs` and `tansu.rs` keep
/// their own copy: the benches include them without this module.)
pub fn peer_unavailable(peer: &str, reason: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{peer} is required under CI=true but cannot start: {reason}"
    );
    eprintln!("SKIP ({peer} unavailable, set CI=true to make this fatal): {reason}");
}
