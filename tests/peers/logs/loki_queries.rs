//! Typed LogQL and time windows against the Loki peer: the query reaches Loki exactly as
//! typed (quotes, braces, `|=`, `+`, spaces and unicode survive the URL encoding), the
//! window's bounds become `start`/`end`, a window in the past is read once without a tail,
//! and a query Loki refuses comes back whole, once, with no retry.

use std::collections::BTreeMap;
use std::time::Duration;

use opsdeck::model::window::TimeWindow;
use opsdeck::sources::Control;
use opsdeck::sources::logs::loki::{self, LokiConfig};
use opsdeck::sources::logs::{LogItem, LogTarget};
use tokio::sync::mpsc;

use crate::logs::Feed;
use crate::support::loki::LokiServer;

const CART: &[(&str, &str)] = &[("service_name", "cart"), ("app", "cart")];

fn start(server: &LokiServer) -> (opsdeck::sources::SourceHandle, Feed) {
    let (tx, rx) = mpsc::channel(1024);
    let config = LokiConfig {
        url: server.url(),
        token: None,
        headers: BTreeMap::new(),
        tls: None,
    };
    (loki::spawn(config, 1, tx), Feed::new(rx))
}

fn ns(t: jiff::Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap()
}

/// A query with every character URL encoding can mangle: quotes and escapes, braces, the
/// pipe filters, `+` (a space in form encoding unless escaped), spaces and unicode.
const TYPED: &str = r#"{service_name="cart"} |= "pay \"now\" {x}" != "a+b" |= "ünï 日本""#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_query_arrives_as_typed_over_an_absolute_window() {
    let server = LokiServer::start().await;
    let now = jiff::Timestamp::now();
    let from = now - jiff::SignedDuration::from_hours(2);
    let to = now - jiff::SignedDuration::from_hours(1);
    let inside = ns(now - jiff::SignedDuration::from_mins(90));
    server.push(CART, inside, r#"pay "now" {x} ünï 日本 ok"#, &[]);
    server.push(CART, inside + 1, r#"pay "now" {x} a+b ünï 日本"#, &[]);
    server.push(CART, inside + 2, "unrelated", &[]);
    // The same text outside the window, on both sides.
    server.push(
        CART,
        ns(now - jiff::SignedDuration::from_mins(30)),
        r#"pay "now" {x} ünï 日本 late"#,
        &[],
    );
    server.push(
        CART,
        ns(now - jiff::SignedDuration::from_hours(3)),
        r#"pay "now" {x} ünï 日本 early"#,
        &[],
    );
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        logql: Some(TYPED.into()),
        window: Some(TimeWindow::Between { from, to }),
        ..LogTarget::default()
    })));
    feed.wait("the window's line and the read-once notice", |f| {
        !f.lines().is_empty() && f.has_notice("no live tail")
    })
    .await;
    assert_eq!(feed.lines(), [r#"pay "now" {x} ünï 日本 ok"#]);
    let requests = server.query_requests();
    let first = &requests[0];
    assert_eq!(
        first.param("query"),
        Some(TYPED),
        "decoded, it is what was typed"
    );
    // On the wire: form encoding, so `+` travels as %2B and a space as `+`.
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().append_pair("query", TYPED);
    let expected = url.query().unwrap().to_owned();
    assert!(
        first.raw_query.starts_with(&expected),
        "raw {} should start with {expected}",
        first.raw_query
    );
    assert!(first.raw_query.contains("%2B"), "{}", first.raw_query);
    assert_eq!(first.param("start"), Some(ns(from).to_string().as_str()));
    assert_eq!(first.param("end"), Some(ns(to).to_string().as_str()));
    feed.settle(Duration::from_millis(500)).await;
    assert!(
        server.tail_requests().is_empty(),
        "a past window has no tail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_window_reaches_back_and_then_follows() {
    let server = LokiServer::start().await;
    let now = jiff::Timestamp::now();
    let fifty = ns(now - jiff::SignedDuration::from_mins(50));
    server.push(CART, fifty, "fifty minutes ago", &[]);
    server.push(
        CART,
        ns(now - jiff::SignedDuration::from_mins(70)),
        "seventy minutes ago",
        &[],
    );
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        logql: Some(r#"{app="cart"}"#.into()),
        window: Some(TimeWindow::Last(Duration::from_hours(1))),
        ..LogTarget::default()
    })));
    feed.wait("the hour's line", |f| !f.lines().is_empty())
        .await;
    assert_eq!(feed.lines(), ["fifty minutes ago"]);
    let first = &server.query_requests()[0];
    let start: i64 = first.param("start").unwrap().parse().unwrap();
    let end: i64 = first.param("end").unwrap().parse().unwrap();
    assert!(
        (end - start - 3_600_000_000_000).abs() < 1_000,
        "one hour: {}",
        end - start
    );
    assert!(
        (ns(jiff::Timestamp::now()) - end) < 10_000_000_000,
        "ends now"
    );
    // Live after the history: the tail goes on from the newest line read (no gap, no repeat).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.tail_requests().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tail = &server.tail_requests()[0];
    assert_eq!(tail.param("query"), Some(r#"{app="cart"}"#));
    let from: i64 = tail.param("start").unwrap().parse().unwrap();
    assert!(
        from >= fifty && from <= end,
        "the tail goes on from the history's newest line"
    );
}

/// A real Loki parse error, longer than any status line (the old cut was 200 characters).
const LOKI_ERROR: &str = "parse error at line 1, col 21: syntax error: unexpected IDENTIFIER, expecting STRING or BYTES or NUMBER or DURATION or DURATION_SECONDS or == or != or < or <= or > or >= — the rest of this sentence makes the body longer than a status line so that a cut would show";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_query_comes_back_whole_and_is_not_retried() {
    let server = LokiServer::start().await;
    server.set_query_error(Some(LOKI_ERROR));
    let (handle, mut feed) = start(&server);
    handle.send(Control::Logs(Box::new(LogTarget {
        logql: Some(r#"{app="cart"} | level = error"#.into()),
        ..LogTarget::default()
    })));
    feed.wait("the query error", |f| {
        f.items.iter().any(|i| matches!(i, LogItem::QueryError(_)))
    })
    .await;
    let text = feed
        .items
        .iter()
        .find_map(|i| match i {
            LogItem::QueryError(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    assert!(text.contains(LOKI_ERROR), "whole: {text}");
    assert!(
        text.contains(r#"query: {app="cart"} | level = error"#),
        "{text}"
    );
    assert!(text.starts_with(loki::REJECTED));
    feed.settle(Duration::from_secs(2)).await;
    assert_eq!(
        server.query_requests().len(),
        1,
        "a bad query is not retried"
    );
    assert!(
        feed.errors()
            .iter()
            .any(|e| e.contains("unexpected IDENTIFIER"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_error_body_is_reduced_to_its_message() {
    let server = LokiServer::start().await;
    server.set_query_error(Some(
        r#"{"status":"error","errorType":"bad_data","error":"parse error at line 1, col 6: syntax error: unexpected IDENTIFIER"}"#,
    ));
    let client = loki::LokiClient::new(&LokiConfig {
        url: server.url(),
        token: None,
        headers: BTreeMap::new(),
        tls: None,
    })
    .unwrap();
    let err = client
        .query_range("{app cart}", 0, 1, 10, loki::Direction::Backward)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "Loki rejected the query (HTTP 400 Bad Request): parse error at line 1, col 6: syntax error: unexpected IDENTIFIER\nquery: {app cart}"
    );
}
