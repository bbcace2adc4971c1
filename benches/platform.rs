//! Platform API benchmarks on loopback:
//!
//! - intent + outcome round trip with SQLite (what the audit gate adds to every action):
//!   p50/p99 over many timed round trips, printed, plus criterion's estimate;
//! - append throughput with 8 concurrent clients, SQLite and PostgreSQL (the latter via the
//!   test harness; skipped with a note if it cannot start).
//!
//! Run with `cargo bench --bench platform`.

#![allow(clippy::unwrap_used)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../tests/support/pg.rs"]
pub mod pg;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::model::platform::{
    Actor, ClientInfo, Decision, IntentBody, OutcomeBody, OutcomeStatus, Target,
};
use opsdeck::platform::policy::Verdict;
use opsdeck::platform::sandbox::sandbox_setup;
use opsdeck::platform::store::{IntentCtx, Store};
use opsdeck::platform::{LocalServer, StoreUrl, spawn_local};
use opsdeck::sources::platform::{PlatformClient, Token};
use tokio::runtime::Runtime;

const ROUND_TRIPS: usize = 2000;
const CLIENTS: usize = 8;
const PER_CLIENT: usize = 500;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn intent(i: usize) -> IntentBody {
    IntentBody {
        actor: "bench".into(),
        action: "pg.cancel".into(),
        target: Target {
            kind: "pg.backend".into(),
            reference: format!("pg.backend:orders/{i}"),
            namespace: Some("orders".into()),
            name: i.to_string(),
        },
        params: serde_json::json!({"database": "orders", "pid": i}),
        reason: "benchmark".into(),
        client: ClientInfo {
            version: "bench".into(),
            host: "bench".into(),
        },
    }
}

/// A sandbox-configured server (everything allowed) on `store`.
fn start_server(
    rt: &Runtime,
    dir: &std::path::Path,
    store: Option<StoreUrl>,
) -> (LocalServer, PlatformClient) {
    let mut setup = sandbox_setup(dir, "bench");
    if let Some(store) = store {
        setup.options.store = store;
    }
    let server = rt.block_on(spawn_local(setup.options)).unwrap();
    let client = PlatformClient::new(&server.url(), Token::new(setup.token)).unwrap();
    (server, client)
}

async fn round_trip(client: &PlatformClient, i: usize) {
    let key = uuid::Uuid::now_v7().to_string();
    let answer = client.record_intent(&key, &intent(i)).await.unwrap();
    let outcome = OutcomeBody {
        status: OutcomeStatus::Succeeded,
        detail: "cancelled".into(),
    };
    client
        .record_outcome(&answer.event_id, &outcome)
        .await
        .unwrap();
}

async fn store_round_trip(store: &Store, i: usize) {
    let actor = Actor {
        user: "bench".into(),
        groups: vec!["sandbox".into()],
    };
    let answer = store
        .record_intent(IntentCtx {
            actor: actor.clone(),
            idempotency_key: Some(uuid::Uuid::now_v7().to_string()),
            body: intent(i),
            verdict: Verdict {
                decision: Decision::Allow,
                reason: "bench".into(),
            },
        })
        .await
        .unwrap();
    let outcome = OutcomeBody {
        status: OutcomeStatus::Succeeded,
        detail: "cancelled".into(),
    };
    store
        .record_outcome(actor, answer.event_id, outcome)
        .await
        .unwrap();
}

#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a rank from a length and a fraction in 0..=1: small, non-negative, rounded up"
)]
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.saturating_sub(1).min(sorted.len() - 1)]
}

fn bench_round_trip(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start_server(&rt, dir.path(), None);
    for i in 0..200 {
        rt.block_on(round_trip(&client, i));
    }
    let mut times: Vec<Duration> = (0..ROUND_TRIPS)
        .map(|i| {
            let start = Instant::now();
            rt.block_on(round_trip(&client, i));
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "platform round trip (intent + outcome, SQLite, loopback), {ROUND_TRIPS} samples: p50 {:?}  p99 {:?}  max {:?}",
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
    // The same writes without HTTP, to tell the store's share of the tail from the rest.
    let store = rt
        .block_on(Store::open(
            &StoreUrl::Sqlite(dir.path().join("store-only.db")),
            None,
        ))
        .unwrap();
    let mut store_times: Vec<Duration> = (0..ROUND_TRIPS)
        .map(|i| {
            let start = Instant::now();
            rt.block_on(store_round_trip(&store, i));
            start.elapsed()
        })
        .collect();
    store_times.sort();
    println!(
        "  of which the SQLite store alone (intent + outcome, no HTTP): p50 {:?}  p99 {:?}",
        percentile(&store_times, 0.50),
        percentile(&store_times, 0.99)
    );
    let mut i = 0;
    c.bench_function("platform/round_trip_sqlite", |b| {
        b.iter(|| {
            i += 1;
            rt.block_on(round_trip(&client, i));
        });
    });
    rt.block_on(server.shutdown()).unwrap();
}

/// Appends `CLIENTS × PER_CLIENT` intents concurrently; returns events per second.
#[expect(
    clippy::cast_precision_loss,
    reason = "a rate printed as f64; a lossy cast is fine for a report"
)]
fn append_throughput(rt: &Runtime, client: &PlatformClient) -> f64 {
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let client = client.clone();
                tokio::spawn(async move {
                    for i in 0..PER_CLIENT {
                        let key = format!("{c}-{i}-{}", uuid::Uuid::now_v7());
                        client.record_intent(&key, &intent(i)).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    (CLIENTS * PER_CLIENT) as f64 / start.elapsed().as_secs_f64()
}

fn bench_append(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start_server(&rt, dir.path(), None);
    let rate = append_throughput(&rt, &client);
    println!(
        "platform append throughput, SQLite, {CLIENTS} clients x {PER_CLIENT}: {rate:.0} events/s"
    );
    let mut i = 0;
    c.bench_function("platform/append_sqlite", |b| {
        b.iter(|| {
            i += 1;
            let key = uuid::Uuid::now_v7().to_string();
            rt.block_on(client.record_intent(&key, &intent(i))).unwrap();
        });
    });
    rt.block_on(server.shutdown()).unwrap();

    let Some(cluster) = pg::shared() else {
        println!("platform append throughput, PostgreSQL: skipped (cluster could not start)");
        return;
    };
    let url = cluster.fresh_database("bench");
    let pg_dir = tempfile::tempdir().unwrap();
    let (server, client) = start_server(&rt, pg_dir.path(), Some(StoreUrl::Postgres(url)));
    let rate = append_throughput(&rt, &client);
    println!(
        "platform append throughput, PostgreSQL, {CLIENTS} clients x {PER_CLIENT}: {rate:.0} events/s"
    );
    c.bench_function("platform/append_postgres", |b| {
        b.iter(|| {
            i += 1;
            let key = uuid::Uuid::now_v7().to_string();
            rt.block_on(client.record_intent(&key, &intent(i))).unwrap();
        });
    });
    rt.block_on(server.shutdown()).unwrap();
    drop(cluster);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(5));
    targets = bench_round_trip, bench_append
}
criterion_main!(benches);
