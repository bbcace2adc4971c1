//! The platform side of an audited action test: the reference platform server with the
//! sandbox's tokens (and `policy`, or the sandbox's allow-all) and an [`AuditGate`] acting as
//! `alice`, its journal in the test's directory.

use opsdeck::actions::gate::AuditGate;
use opsdeck::actions::journal::Journal;
use opsdeck::model::platform::ClientInfo;
use opsdeck::platform::policy::Policy;
use opsdeck::platform::server::{LocalServer, Source, spawn_local};
use opsdeck::sources::platform::{PlatformClient, Token};

/// The server (keep it alive), a client of it and the gate.
pub async fn platform_with(
    dir: &std::path::Path,
    policy: Option<Policy>,
    readonly: bool,
) -> (LocalServer, PlatformClient, AuditGate) {
    let mut setup = opsdeck::platform::sandbox::sandbox_setup(dir, "alice");
    if let Some(policy) = policy {
        setup.options.policy = Source::Value(policy);
    }
    let server = spawn_local(setup.options).await.expect("platform starts");
    let client = PlatformClient::new(&server.url(), Token::new(setup.token)).expect("client");
    let gate = AuditGate::new(
        client.clone(),
        Journal::open(dir).expect("journal"),
        "alice",
        ClientInfo {
            version: "test".into(),
            host: "test".into(),
        },
    )
    .with_readonly(readonly);
    (server, client, gate)
}

/// [`platform_with`] the sandbox's allow-all policy, not read-only.
pub async fn platform(dir: &std::path::Path) -> (LocalServer, PlatformClient, AuditGate) {
    platform_with(dir, None, false).await
}
