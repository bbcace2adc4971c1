//! Loki through its test peer: the client's paging and the source's history, tail and
//! fallbacks.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use opsdeck::sources::Control;
use opsdeck::sources::logs::LogTarget;
use opsdeck::sources::logs::loki::{self, LokiClient, LokiConfig, NO_TARGET};
use tokio::sync::mpsc;

use crate::logs::Feed;
use crate::support::loki::LokiServer;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CART: &[(&str, &str)] = &[("service_name", "cart"), ("namespace", "shop")];

fn config(server: &LokiServer) -> LokiConfig {
    LokiConfig {
        url: server.url(),
        token: Some("loki-token".into()),
        headers: BTreeMap::from([("X-Scope-OrgID".to_owned(), "shop".to_owned())]),
        tls: None,
    }
}

fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap()
}

fn service(name: &str) -> Control {
    Control::Logs(Box::new(LogTarget {
        service: Some(name.into()),
        ..LogTarget::default()
    }))
}

fn start(server: &LokiServer) -> (opsdeck::sources::SourceHandle, Feed) {
    let (tx, rx) = mpsc::channel(1024);
    let handle = loki::spawn(config(server), 1, tx);
    (handle, Feed::new(rx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_backwards_in_order_without_repeats() {
    let server = LokiServer::start().await;
    let base = now_ns() - 600_000_000_000;
    // Groups of three lines share a nanosecond, so page boundaries fall inside a group.
    for i in 0..2500_i64 {
        server.push(CART, base + (i / 3) * 1_000, &format!("line {i:04}"), &[]);
    }
    server.push(&[("service_name", "web")], base, "not cart", &[]);
    let client = LokiClient::new(&config(&server)).unwrap();
    let end = now_ns();
    let entries = client
        .history(
            r#"{service_name="cart"}"#,
            end - 900_000_000_000,
            end,
            5_000,
        )
        .await
        .unwrap();
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    let expected: Vec<String> = (0..2500).map(|i| format!("line {i:04}")).collect();
    assert_eq!(lines, expected);

    let requests = server.query_requests();
    assert_eq!(requests.len(), 3, "2500 lines in pages of 1000");
    for r in &requests {
        assert_eq!(r.param("direction"), Some("backward"));
        assert_eq!(r.param("limit"), Some("1000"));
        assert_eq!(
            r.header("x-loki-response-encoding-flags"),
            Some("categorize-labels")
        );
        assert_eq!(r.header("x-scope-orgid"), Some("shop"));
        assert_eq!(r.header("authorization"), Some("Bearer loki-token"));
    }
    // The oldest line of a page (plus one, `end` being exclusive) ends the next page.
    let first_page_oldest = entries[2500 - 1000].timestamp_ns;
    assert_eq!(
        requests[1].param("end"),
        Some((first_page_oldest + 1).to_string().as_str())
    );

    // A cap keeps the newest lines.
    let newest = client
        .history(r#"{service_name="cart"}"#, end - 900_000_000_000, end, 10)
        .await
        .unwrap();
    let lines: Vec<&str> = newest.iter().map(|e| e.line.as_str()).collect();
    assert_eq!(
        lines,
        expected[2490..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_then_live_tail_with_trace_ids_and_dropped_entries() {
    let server = LokiServer::start().await;
    let t = now_ns() - 60_000_000_000;
    server.push(
        CART,
        t,
        "INFO order placed",
        &[("trace_id", TRACE), ("span_id", "00f067aa0ba902b7")],
    );
    server.push(
        CART,
        t + 1,
        r#"{"level":"error","msg":"payment declined"}"#,
        &[("trace_id", TRACE)],
    );
    server.push(CART, t + 2, "WARN slow", &[]);
    server.push(&[("service_name", "web")], t, "other service", &[]);
    let (handle, mut feed) = start(&server);
    feed.wait("the no-target notice", |f| f.has_notice(NO_TARGET))
        .await;
    handle.send(service("cart"));
    feed.wait("the history", |f| f.lines().len() >= 3).await;
    assert_eq!(
        feed.lines(),
        [
            "INFO order placed trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
            r#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","level":"error","msg":"payment declined"}"#,
            "WARN slow"
        ]
    );
    let lines: Vec<_> = feed
        .items
        .iter()
        .filter_map(|i| match i {
            opsdeck::sources::logs::LogItem::Line(l) => Some(l.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(lines[0].trace_id(), Some(TRACE));
    assert_eq!(lines[1].trace_id(), Some(TRACE));
    assert_eq!(lines[1].message(), "payment declined");
    assert_eq!(lines[2].trace_id(), None);
    assert_eq!(lines[0].timestamp().unwrap().as_nanosecond(), i128::from(t));
    assert_eq!(&**lines[0].source(), "cart");
    assert!(feed.is_ok());
    let first = &server.query_requests()[0];
    assert_eq!(first.param("query"), Some(r#"{service_name="cart"}"#));

    // Live.
    server.until_a_tail_is_open().await;
    assert_eq!(server.open_tails(), 1);
    let tail = &server.tail_requests()[0];
    assert_eq!(tail.param("query"), Some(r#"{service_name="cart"}"#));
    assert_eq!(tail.param("start"), Some((t + 2).to_string().as_str()));
    assert_eq!(tail.header("x-scope-orgid"), Some("shop"));
    assert_eq!(tail.header("authorization"), Some("Bearer loki-token"));
    server.push(CART, now_ns(), "live one", &[]);
    server.push(&[("service_name", "web")], now_ns(), "live other", &[]);
    server.push(CART, now_ns(), "live two", &[("trace_id", TRACE)]);
    feed.wait("live lines", |f| f.lines().len() >= 5).await;
    assert_eq!(
        feed.lines()[3..],
        ["live one", &format!("live two trace_id={TRACE}")]
    );
    server.drop_entries(CART, &[now_ns(), now_ns() + 1]);
    feed.wait("the dropped notice", |f| f.has_notice("dropped 2 line(s)"))
        .await;
    feed.settle(Duration::from_millis(200)).await;
    assert_eq!(feed.lines().len(), 5, "{:?}", feed.lines());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_tail_falls_back_to_polling() {
    let server = LokiServer::start().await;
    server.push(CART, now_ns() - 1_000_000_000, "before", &[]);
    let (handle, mut feed) = start(&server);
    handle.send(service("cart"));
    feed.wait("the history", |f| f.lines().len() == 1).await;
    server.until_a_tail_is_open().await;
    server.push(CART, now_ns(), "on the tail", &[]);
    feed.wait("a tailed line", |f| f.lines().len() == 2).await;
    server.set_refuse_tail(true);
    server.kill_tails();
    feed.wait("the polling notice", |f| {
        f.has_notice("polling Loki every 2 s")
    })
    .await;
    server.push(CART, now_ns(), "polled", &[]);
    feed.wait("a polled line", |f| f.lines().len() == 3).await;
    feed.settle(Duration::from_millis(2500)).await;
    assert_eq!(feed.lines(), ["before", "on the tail", "polled"]);
    let polls: Vec<_> = server
        .query_requests()
        .into_iter()
        .filter(|r| r.param("direction") == Some("forward"))
        .collect();
    assert!(!polls.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_filter_falls_back_to_the_line_text() {
    let server = LokiServer::start().await;
    let t = now_ns() - 30_000_000_000;
    server.push(CART, t, &format!("ERROR charge failed trace={TRACE}"), &[]);
    server.push(CART, t + 1, "INFO unrelated", &[]);
    server.push(CART, t + 2, &format!("WARN retry for {TRACE}"), &[]);
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        service: Some("cart".into()),
        trace_id: Some(TRACE.into()),
        ..LogTarget::default()
    })));
    feed.wait("the lines of the trace", |f| f.lines().len() >= 2)
        .await;
    assert_eq!(
        feed.lines(),
        [
            format!("ERROR charge failed trace={TRACE}"),
            format!("WARN retry for {TRACE}")
        ]
    );
    assert!(
        feed.has_notice("searching the line text"),
        "{:?}",
        feed.notices()
    );
    let queries: Vec<String> = server
        .query_requests()
        .iter()
        .filter_map(|r| r.param("query").map(str::to_owned))
        .collect();
    assert_eq!(
        queries[..2],
        [
            format!(r#"{{service_name="cart"}} | trace_id="{TRACE}""#),
            format!(r#"{{service_name="cart"}} |= "{TRACE}""#)
        ]
    );

    // A Loki that refuses the metadata filter falls back the same way.
    let server = LokiServer::start().await;
    server.set_reject_label_filters(true);
    server.push(CART, t, &format!("ERROR charge failed trace={TRACE}"), &[]);
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        logql: Some(r#"{namespace="shop"}"#.into()),
        trace_id: Some(TRACE.into()),
        ..LogTarget::default()
    })));
    feed.wait("the line", |f| f.lines().len() == 1).await;
    assert!(feed.has_notice("filter failed"), "{:?}", feed.notices());

    // Metadata that matches needs no fallback.
    let server = LokiServer::start().await;
    server.push(CART, t, "INFO paid", &[("trace_id", TRACE)]);
    server.push(CART, t + 1, "INFO other", &[("trace_id", "ffff")]);
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        service: Some("cart".into()),
        trace_id: Some(TRACE.into()),
        ..LogTarget::default()
    })));
    feed.wait("the line", |f| f.lines().len() == 1).await;
    feed.settle(Duration::from_millis(200)).await;
    assert_eq!(feed.lines(), [format!("INFO paid trace_id={TRACE}")]);
    assert!(!feed.has_notice("searching"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_loki_is_a_health_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (tx, rx) = mpsc::channel(64);
    let handle = loki::spawn(
        LokiConfig {
            url,
            ..LokiConfig::default()
        },
        1,
        tx,
    );
    let mut feed = Feed::new(rx);
    handle.send(service("cart"));
    feed.wait("a health error", |f| !f.errors().is_empty())
        .await;
    let message = &feed.errors()[0];
    assert!(message.contains("query_range"), "{message}");
    assert!(feed.lines().is_empty());
    // Still alive: a new target is taken.
    handle.send(service("web"));
    feed.wait("another error", |f| f.errors().len() >= 2).await;
    let unique: HashSet<_> = feed.errors().into_iter().collect();
    assert!(!unique.is_empty());

    // A URL that is not http(s) is an error at once.
    let (tx, rx) = mpsc::channel(64);
    let _bad = loki::spawn(
        LokiConfig {
            url: "ftp://loki".into(),
            ..LokiConfig::default()
        },
        1,
        tx,
    );
    let mut feed = Feed::new(rx);
    feed.wait("a config error", |f| !f.errors().is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_capped_at_five_thousand_lines_with_a_notice() {
    let server = LokiServer::start().await;
    let base = now_ns() - 300_000_000_000;
    for i in 0..5_100_i64 {
        server.push(CART, base + i * 1_000_000, &format!("n{i}"), &[]);
    }
    let (handle, mut feed) = start(&server);
    handle.send(service("cart"));
    feed.wait("the history and its notice", |f| {
        f.lines().len() >= 5_000 && f.has_notice("newest 5000 lines")
    })
    .await;
    let lines = feed.lines();
    assert_eq!(lines.first().map(String::as_str), Some("n100"));
    assert_eq!(lines.last().map(String::as_str), Some("n5099"));
    assert_eq!(lines.len(), 5_000);
}
