//! Fault injection on the audit gate: with the platform stopped, failing, too slow, denying
//! or asking for approval, nothing executes. 1,000 seeded random trials per store; allowed
//! trials are mixed in as a control, so a broken counter cannot pass the test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use futures::StreamExt;
use opsdeck::actions::{
    ActionRequest, AuditGate, Delivery, GateOutcome, KillMode, RefusalKind, RolloutOp, WorkloadKind,
};
use opsdeck::model::platform::{Decision, IntentAnswer};

use crate::both_stores;
use crate::common::{
    ALICE, CountingExecutor, LEE, SAM, StoreKind, TestStore, VIC, client, client_at, gate,
};

const TRIALS: usize = 1000;
/// The gate's timeout in these trials, generous so a busy machine's quick 5xx answers are
/// not taken for timeouts; the slow stub answers well after it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// SplitMix64: tiny, seedable, good enough to shuffle scenarios.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Stopped,
    ServerError(usize),
    Slow,
    Deny,
    NeedsApproval,
    Allow,
}

async fn spawn_stub(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn failing(code: u16) -> Router {
    Router::new().fallback(move || async move {
        (
            StatusCode::from_u16(code).unwrap(),
            r#"{"error":"injected failure"}"#,
        )
    })
}

/// Answers `allow`, but only after the gate has given up: a late allow must not count.
fn slow() -> Router {
    Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        axum::Json(IntentAnswer {
            event_id: "late".into(),
            decision: Decision::Allow,
            reason: None,
            request_id: None,
        })
    })
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn random_action(rng: &mut Rng) -> ActionRequest {
    let n = i32::try_from(rng.below(100_000)).unwrap();
    match rng.below(6) {
        0 => ActionRequest::KillQuery {
            database: format!("db{}", n % 7),
            pid: n,
            backend_start: "2025-01-01T00:00:00Z".into(),
            query_start: Some("2025-01-01T00:00:01Z".into()),
            mode: if n % 2 == 0 {
                KillMode::Cancel
            } else {
                KillMode::Terminate
            },
        },
        1 => ActionRequest::SyncApp {
            namespace: "argocd".into(),
            app: format!("app{n}"),
            prune: n % 3 == 0,
            resources: vec![],
            dry_run: false,
        },
        2 => ActionRequest::RolloutAction {
            namespace: "shop".into(),
            name: format!("svc{n}"),
            kind: WorkloadKind::Rollout,
            op: RolloutOp::Promote { full: n % 2 == 0 },
        },
        3 => ActionRequest::DeleteTopic {
            name: format!("t{n}"),
        },
        4 => ActionRequest::AddPartitions {
            name: format!("t{n}"),
            total: 12,
        },
        _ => ActionRequest::RefreshApp {
            namespace: "argocd".into(),
            app: format!("app{n}"),
            hard: true,
        },
    }
}

/// Actions the policy grants `alice` (dev): pg.* and argocd.app.*.
fn allowed_action(rng: &mut Rng) -> ActionRequest {
    let n = i32::try_from(rng.below(100_000)).unwrap();
    if rng.below(2) == 0 {
        crate::common::cancel("orders", n)
    } else {
        ActionRequest::SyncApp {
            namespace: "argocd".into(),
            app: format!("app{n}"),
            prune: false,
            resources: vec![],
            dry_run: false,
        }
    }
}

struct Gates {
    stopped: AuditGate,
    failing: Vec<AuditGate>,
    slow: AuditGate,
    deny: AuditGate,
    approval: AuditGate,
    allow: AuditGate,
}

#[expect(
    clippy::too_many_lines,
    reason = "one scenario per fault against the same store; they read in order"
)]
async fn gate_fault_injection(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let dir = store.dir.path();
    let stub_gate = |addr: SocketAddr, name: &str| {
        gate(
            client_at(&format!("http://{addr}"), ALICE, TIMEOUT),
            &dir.join(name),
            "alice",
        )
    };
    let mut failing_gates = Vec::new();
    for code in [500, 502, 503, 504] {
        let addr = spawn_stub(failing(code)).await;
        failing_gates.push(stub_gate(addr, &format!("j{code}")));
    }
    let gates = Arc::new(Gates {
        stopped: stub_gate(closed_port(), "jstopped"),
        failing: failing_gates,
        slow: stub_gate(spawn_stub(slow()).await, "jslow"),
        deny: gate(client(&server, VIC), &dir.join("jdeny"), "vic"),
        approval: gate(client(&server, SAM), &dir.join("japproval"), "sam"),
        allow: gate(client(&server, ALICE), &dir.join("jallow"), "alice"),
    });
    // One executor for every fault scenario, one for the control.
    let must_not_run = Arc::new(CountingExecutor::new());
    let control = Arc::new(CountingExecutor::new());

    let mut rng = Rng(0x00c0_ffee ^ kind as u64);
    let trials: Vec<(Scenario, ActionRequest)> = (0..TRIALS)
        .map(|_| {
            let scenario = match rng.below(6) {
                0 => Scenario::Stopped,
                1 => Scenario::ServerError(rng.below(4)),
                2 => Scenario::Slow,
                3 => Scenario::Deny,
                4 => Scenario::NeedsApproval,
                _ => Scenario::Allow,
            };
            let action = match scenario {
                Scenario::NeedsApproval => ActionRequest::DeleteTopic {
                    name: format!("t{}", rng.below(1_000_000)),
                },
                Scenario::Allow => allowed_action(&mut rng),
                _ => random_action(&mut rng),
            };
            (scenario, action)
        })
        .collect();
    let allowed = trials.iter().filter(|(s, _)| *s == Scenario::Allow).count();

    let results: Vec<(Scenario, GateOutcome)> = futures::stream::iter(trials)
        .map(|(scenario, action)| {
            let gates = Arc::clone(&gates);
            let must_not_run = Arc::clone(&must_not_run);
            let control = Arc::clone(&control);
            async move {
                let reason = format!("trial {scenario:?}");
                let outcome = match scenario {
                    Scenario::Stopped => gates.stopped.run(action, reason, &*must_not_run).await,
                    Scenario::ServerError(i) => {
                        gates.failing[i].run(action, reason, &*must_not_run).await
                    }
                    Scenario::Slow => gates.slow.run(action, reason, &*must_not_run).await,
                    Scenario::Deny => gates.deny.run(action, reason, &*must_not_run).await,
                    Scenario::NeedsApproval => {
                        gates.approval.run(action, reason, &*must_not_run).await
                    }
                    Scenario::Allow => gates.allow.run(action, reason, &*control).await,
                };
                (scenario, outcome)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    assert_eq!(
        must_not_run.count(),
        0,
        "an action ran although the gate had no allow"
    );
    assert_eq!(control.count(), allowed, "every allowed trial runs once");
    for (scenario, outcome) in &results {
        let kind = match outcome {
            GateOutcome::Refused(r) => Some(r.kind),
            _ => None,
        };
        match scenario {
            Scenario::Stopped => assert_eq!(kind, Some(RefusalKind::Unreachable), "{outcome:?}"),
            Scenario::ServerError(_) => {
                assert_eq!(kind, Some(RefusalKind::ServerError), "{outcome:?}");
            }
            Scenario::Slow => {
                assert_eq!(kind, Some(RefusalKind::Timeout), "{outcome:?}");
                let GateOutcome::Refused(r) = outcome else {
                    unreachable!()
                };
                assert!(r.reason.contains("platform unreachable/timeout"), "{r:?}");
            }
            Scenario::Deny => {
                assert_eq!(kind, Some(RefusalKind::Denied), "{outcome:?}");
                let GateOutcome::Refused(r) = outcome else {
                    unreachable!()
                };
                assert!(
                    r.reason.starts_with("policy:"),
                    "server's reason shown: {r:?}"
                );
            }
            Scenario::NeedsApproval => assert!(
                matches!(
                    outcome,
                    GateOutcome::NeedsApproval {
                        request_id: Some(_),
                        ..
                    }
                ),
                "{outcome:?}"
            ),
            Scenario::Allow => assert!(
                matches!(
                    outcome,
                    GateOutcome::Executed {
                        delivery: Delivery::Sent,
                        ..
                    }
                ),
                "{outcome:?}"
            ),
        }
    }
    let report = client(&server, LEE).verify().await.unwrap();
    assert!(report.ok, "{report:?}");
}

both_stores!(gate_fault_injection);

/// `--readonly` refuses dangerous actions before the platform is even asked.
#[tokio::test]
async fn readonly_refuses_dangerous_actions_without_calling_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let g = gate(
        client_at(&format!("http://{}", closed_port()), ALICE, TIMEOUT),
        dir.path(),
        "alice",
    )
    .with_readonly(true);
    let exec = CountingExecutor::new();
    let outcome = g
        .run(
            ActionRequest::DeleteTopic { name: "t".into() },
            "cleanup".into(),
            &exec,
        )
        .await;
    assert!(
        matches!(&outcome, GateOutcome::Refused(r) if r.kind == RefusalKind::Readonly),
        "{outcome:?}"
    );
    // A harmless action still goes to the (here unreachable) platform, and is refused there.
    let outcome = g
        .run(crate::common::cancel("db", 1), "x".into(), &exec)
        .await;
    assert!(
        matches!(&outcome, GateOutcome::Refused(r) if r.kind == RefusalKind::Unreachable),
        "{outcome:?}"
    );
    assert_eq!(exec.count(), 0);
}
