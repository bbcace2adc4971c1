//! Half-open connections: a black-hole proxy (`support::blackhole`) between the source and
//! its peer stops forwarding while keeping both sockets open, as a NAT that forgot the flow.
//! The source must notice within its configured deadline, reconnect, and deliver every line
//! once: each line carries a counter, and the lines delivered must be exactly 1..=n.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use opsdeck::config::LogStreamConfig;
use opsdeck::sources::Control;
use opsdeck::sources::logs::{LogTarget, loki, pods};
use tokio::sync::mpsc;

use crate::logs::{Feed, pair, query_pairs};
use crate::support::blackhole::BlackHole;
use crate::support::kube::{KubeServer, pod_object};
use crate::support::loki::LokiServer;

/// Short deadlines, so a test notices in about a second.
fn quick() -> LogStreamConfig {
    LogStreamConfig {
        pod_idle: Duration::from_millis(500),
        loki_ping: Duration::from_millis(200),
        loki_pong_timeout: Duration::from_millis(600),
        ..LogStreamConfig::default()
    }
}

/// The counters of the lines delivered (`n=007 …` → 7), in order.
fn counters(feed: &Feed) -> Vec<u32> {
    feed.lines()
        .iter()
        .filter_map(|l| l.strip_prefix("n=")?.get(..3)?.parse().ok())
        .collect()
}

fn one_to(n: u32) -> Vec<u32> {
    (1..=n).collect()
}

fn ms(n: i64) -> SignedDuration {
    SignedDuration::from_millis(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_pod_stream_is_noticed_and_resumed_without_repeats_or_gaps() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    let proxy = BlackHole::start(server.addr).await;
    let second = Timestamp::from_second(Timestamp::now().as_second() - 5).unwrap();
    // Two lines share a timestamp (and a second with the next): the resume boundary.
    server.push_log("shop", "cart-a", "app", second + ms(100), "n=001 first");
    server.push_log("shop", "cart-a", "app", second + ms(200), "n=002 same time");
    server.push_log("shop", "cart-a", "app", second + ms(200), "n=003 same time");
    let (tx, rx) = mpsc::channel(1024);
    let handle = pods::spawn_with(
        server.client_via(&proxy.url()).await,
        "shop".into(),
        1,
        tx,
        quick(),
    );
    let mut feed = Feed::new(rx);
    handle.send(Control::Logs(Box::new(LogTarget {
        selector: Some("app=cart".into()),
        ..LogTarget::default()
    })));
    feed.wait("the first lines", |f| counters(f) == one_to(3))
        .await;

    // The flow is forgotten; the container goes on writing, in the same second too.
    proxy.swallow_open_connections();
    let cut = Instant::now();
    server.push_log("shop", "cart-a", "app", second + ms(200), "n=004 same time");
    server.push_log("shop", "cart-a", "app", second + ms(900), "n=005");
    server.push_log(
        "shop",
        "cart-a",
        "app",
        second + ms(1100),
        "n=006 next second",
    );
    feed.wait("the reconnect notice", |f| {
        f.has_notice("reconnected after")
    })
    .await;
    let noticed = cut.elapsed();
    feed.wait("the lines written while the flow was dead", |f| {
        counters(f).len() >= 6
    })
    .await;
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "n=007 live");
    feed.wait("a line on the new stream", |f| counters(f).len() >= 7)
        .await;
    feed.settle(Duration::from_millis(300)).await;
    assert_eq!(counters(&feed), one_to(7), "{:?}", feed.lines());
    eprintln!("pod stream: silence noticed and reconnected after {noticed:?}");
    // idle (0.5 s) + probe (at most 0.5 s) + the new request, with room for a slow machine.
    assert!(noticed < Duration::from_secs(10), "{noticed:?}");
    let notice = feed
        .notices()
        .into_iter()
        .find(|n| n.contains("reconnected after"))
        .unwrap();
    assert!(
        notice.starts_with("cart-a: reconnected after")
            && notice.contains("of silence; resumed from "),
        "{notice}"
    );
    assert_eq!(
        feed.notices()
            .iter()
            .filter(|n| n.contains("reconnected after"))
            .count(),
        1,
        "{:?}",
        feed.notices()
    );
    assert!(proxy.swallowed() >= 1);
    // The new stream started at the second of the newest line delivered.
    let follows: Vec<_> = server
        .log_requests()
        .into_iter()
        .map(|r| query_pairs(&r.query))
        .filter(|q| pair(q, "follow") == Some("true"))
        .collect();
    assert!(follows.len() >= 2, "{follows:?}");
    assert_eq!(
        pair(follows.last().unwrap(), "sinceTime"),
        Some(second.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_container_is_probed_not_reconnected() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "n=001 only");
    let (tx, rx) = mpsc::channel(1024);
    let handle = pods::spawn_with(server.client().await, "shop".into(), 1, tx, quick());
    let mut feed = Feed::new(rx);
    handle.send(Control::Logs(Box::new(LogTarget {
        selector: Some("app=cart".into()),
        ..LogTarget::default()
    })));
    feed.wait("the line", |f| counters(f) == one_to(1)).await;
    // Several idle periods without a byte, on a healthy connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let probes = || {
        server
            .log_requests()
            .iter()
            .filter(|r| pair(&query_pairs(&r.query), "follow").is_none())
            .count()
    };
    while probes() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(probes() >= 2, "{:?}", server.log_requests());
    let follows = server
        .log_requests()
        .iter()
        .filter(|r| pair(&query_pairs(&r.query), "follow") == Some("true"))
        .count();
    assert_eq!(follows, 1, "a quiet stream is kept");
    assert!(!feed.has_notice("reconnected"), "{:?}", feed.notices());
    assert_eq!(server.open_log_streams(), 1);
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "n=002 later");
    feed.wait("the next line", |f| counters(f) == one_to(2))
        .await;
}

fn loki_config(url: String) -> loki::LokiConfig {
    loki::LokiConfig {
        url,
        token: None,
        headers: BTreeMap::new(),
        tls: None,
    }
}

fn now_ns() -> i64 {
    i64::try_from(Timestamp::now().as_nanosecond()).unwrap()
}

const CART: &[(&str, &str)] = &[("service_name", "cart")];

fn cart() -> Control {
    Control::Logs(Box::new(LogTarget {
        service: Some("cart".into()),
        ..LogTarget::default()
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_loki_tail_is_noticed_by_its_pings_and_reopened() {
    let server = LokiServer::start().await;
    let proxy = BlackHole::start(server.addr).await;
    let t = now_ns() - 10_000_000_000;
    server.push(CART, t, "n=001 history", &[]);
    server.push(CART, t + 1, "n=002 history", &[]);
    let (tx, rx) = mpsc::channel(1024);
    let handle = loki::spawn_with(loki_config(proxy.url()), 1, tx, quick());
    let mut feed = Feed::new(rx);
    handle.send(cart());
    feed.wait("the history", |f| counters(f) == one_to(2)).await;
    server.until_a_tail_is_open().await;
    let last = now_ns();
    server.push(CART, last, "n=003 live", &[]);
    feed.wait("a tailed line", |f| counters(f) == one_to(3))
        .await;
    // A healthy tail answers the pings: nothing is reopened over several deadlines.
    feed.settle(Duration::from_millis(1500)).await;
    assert_eq!(server.tail_requests().len(), 1, "pongs keep the tail");

    proxy.swallow_open_connections();
    let cut = Instant::now();
    // One more at the same nanosecond as the newest delivered, then later ones.
    server.push(CART, last, "n=004 same nanosecond", &[]);
    server.push(CART, last + 5, "n=005", &[]);
    feed.wait("the reconnect notice", |f| {
        f.has_notice("reconnected after")
    })
    .await;
    let noticed = cut.elapsed();
    feed.wait("the lines sent into the dead flow", |f| {
        counters(f).len() >= 5
    })
    .await;
    server.push(CART, now_ns(), "n=006 on the new tail", &[]);
    feed.wait("a line on the new tail", |f| counters(f).len() >= 6)
        .await;
    feed.settle(Duration::from_millis(300)).await;
    assert_eq!(counters(&feed), one_to(6), "{:?}", feed.lines());
    eprintln!("loki tail: silence noticed and reopened after {noticed:?}");
    // The pong deadline (0.6 s) with room for a slow machine.
    assert!(noticed < Duration::from_secs(10), "{noticed:?}");
    assert!(
        feed.notices()
            .iter()
            .any(|n| n.starts_with("Loki live tail: reconnected after")),
        "{:?}",
        feed.notices()
    );
    assert!(!feed.has_notice("polling"), "reopened, not polled");
    let tails = server.tail_requests();
    assert!(tails.len() >= 2, "{tails:?}");
    assert_eq!(
        tails.last().unwrap().param("start"),
        Some(last.to_string().as_str()),
        "from the newest line delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_loki_dropped_from_the_tail_are_fetched_again() {
    let server = LokiServer::start().await;
    server.push(CART, now_ns() - 1_000_000_000, "n=001 history", &[]);
    let (tx, rx) = mpsc::channel(1024);
    let handle = loki::spawn_with(loki_config(server.url()), 1, tx, quick());
    let mut feed = Feed::new(rx);
    handle.send(cart());
    feed.wait("the history", |f| counters(f) == one_to(1)).await;
    server.until_a_tail_is_open().await;
    let ts = now_ns();
    server.push_dropped(CART, ts, "n=002 dropped by Loki");
    feed.wait("the dropped line", |f| counters(f) == one_to(2))
        .await;
    assert!(
        feed.has_notice(
            "Loki dropped 1 line(s) from the live tail (too many to send); 1 fetched again"
        ),
        "{:?}",
        feed.notices()
    );
    server.push(CART, now_ns(), "n=003 live", &[]);
    feed.wait("the next live line", |f| counters(f) == one_to(3))
        .await;
    let refetch = server.query_requests().into_iter().last().unwrap();
    assert_eq!(refetch.param("start"), Some(ts.to_string().as_str()));
    assert_eq!(refetch.param("end"), Some((ts + 1).to_string().as_str()));
    assert_eq!(refetch.param("direction"), Some("forward"));
}
