//! The HTTP backends over TLS: the in-process Loki (queries and the WebSocket tail), Tempo,
//! Jaeger and Backstage peers served through a TLS front (`support::tls_ca`), reached by the
//! real clients with the one rustls config an `http_tls` table gives. Trusted through
//! `ca_file` they work; without it the error says "unknown authority"; another name is a
//! name mismatch; a server requiring a client certificate works with one and says so
//! without. curl agrees where it is cheap to ask.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use opsdeck::config::HttpTls;
use opsdeck::model::SourceHealth;
use opsdeck::sources::logs::loki::{Direction, LokiClient, LokiConfig};
use opsdeck::sources::traces::{JaegerClient, TempoClient, TraceSearch};
use opsdeck::sources::{SourceBody, backstage, poller::PollSettings};
use tokio::sync::mpsc;

use crate::support::loki::LokiServer;
use crate::support::tempo::TempoServer;
use crate::support::tls_ca::{self, Pki, TlsFront};

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("peer address")
}

fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap()
}

fn loki(url: String, tls: Arc<rustls::ClientConfig>) -> LokiClient {
    LokiClient::new(&LokiConfig {
        url,
        token: None,
        headers: BTreeMap::new(),
        tls: Some(tls),
    })
    .unwrap()
}

const CART: &[(&str, &str)] = &[("service_name", "cart")];
const QUERY: &str = r#"{service_name="cart"}"#;

#[tokio::test]
async fn loki_queries_and_tails_over_tls_with_the_ca_file() {
    let pki = Pki::new();
    let server = LokiServer::start().await;
    let front = TlsFront::start(server.addr, pki.server_config(None)).await;
    let t = now_ns();
    server.push(CART, t - 1_000, "history", &[]);
    let client = loki(front.url("localhost"), pki.client_config(true, false));
    let page = client
        .query_range(QUERY, t - 60_000_000_000, t + 1, 10, Direction::Backward)
        .await
        .expect("query over https");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].line, "history");

    // The tail (wss://) trusts the same CA through the same config.
    let mut tail = client.tail(QUERY, t).await.expect("tail over wss");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.open_tails() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.push(CART, now_ns(), "live over wss", &[]);
    let frame = tokio::time::timeout(Duration::from_secs(10), tail.next())
        .await
        .expect("a frame in time")
        .expect("open")
        .expect("a good frame");
    assert_eq!(frame.entries[0].line, "live over wss");
}

// Two workers: curl blocks one while the TLS front answers it on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loki_without_the_ca_says_unknown_authority_like_curl() {
    let pki = Pki::new();
    let server = LokiServer::start().await;
    let front = TlsFront::start(server.addr, pki.server_config(None)).await;
    let client = loki(front.url("localhost"), pki.client_config(false, false));
    let err = client
        .query_range(QUERY, 0, now_ns(), 10, Direction::Backward)
        .await
        .expect_err("untrusted");
    assert!(err.contains("unknown authority"), "{err}");
    let err = client.tail(QUERY, 0).await.expect_err("untrusted tail");
    assert!(
        err.contains("unknown authority"),
        "the tail says the same: {err}"
    );

    if tls_ca::curl_available() {
        let url = format!("{}/loki/api/v1/query_range?query=x", front.url("127.0.0.1"));
        let (code, said) = tls_ca::curl(&[&url]);
        assert_eq!(code, 60, "{said}");
        assert!(said.contains("local issuer certificate"), "{said}");
        let (code, said) = tls_ca::curl(&["--cacert", pki.ca.to_str().unwrap(), &url]);
        assert_eq!(code, 0, "{said}");
    }
}

#[tokio::test]
async fn loki_with_another_name_is_a_name_mismatch() {
    let pki = Pki::new();
    let server = LokiServer::start().await;
    let front = TlsFront::start(server.addr, pki.wrong_name_config()).await;
    let client = loki(front.url("localhost"), pki.client_config(true, false));
    let err = client
        .query_range(QUERY, 0, now_ns(), 10, Direction::Backward)
        .await
        .expect_err("wrong name");
    assert!(err.contains("name mismatch"), "{err}");
    let err = client.tail(QUERY, 0).await.expect_err("wrong name tail");
    assert!(err.contains("name mismatch"), "{err}");
}

#[tokio::test]
async fn loki_requiring_a_client_certificate() {
    let pki = Pki::new();
    let server = LokiServer::start().await;
    let front = TlsFront::start(server.addr, pki.server_config(Some(&pki.ca))).await;
    let t = now_ns();
    server.push(CART, t - 1_000, "for the certified", &[]);
    let with = loki(front.url("127.0.0.1"), pki.client_config(true, true));
    let page = with
        .query_range(QUERY, t - 60_000_000_000, t + 1, 10, Direction::Backward)
        .await
        .expect("client certificate presented");
    assert_eq!(page.len(), 1);
    with.tail(QUERY, t)
        .await
        .expect("and the tail presents it too");

    let without = loki(front.url("127.0.0.1"), pki.client_config(true, false));
    let err = without
        .query_range(QUERY, 0, t, 10, Direction::Backward)
        .await
        .expect_err("no client certificate");
    assert!(err.contains("client certificate"), "{err}");
}

fn http(tls: &rustls::ClientConfig) -> reqwest::Client {
    opsdeck::tls::reqwest_builder(tls).build().unwrap()
}

#[tokio::test]
async fn tempo_and_jaeger_over_tls() {
    let pki = Pki::new();
    let tempo = TempoServer::start().await;
    let front = TlsFront::start(addr_of(&tempo.url()), pki.server_config(None)).await;
    let trusted = TempoClient::new(
        http(&pki.client_config(true, false)),
        &front.url("localhost"),
        None,
    )
    .unwrap();
    let rows = trusted
        .search(&TraceSearch::default())
        .await
        .expect("search over https");
    assert!(!rows.is_empty());
    let untrusted = TempoClient::new(
        http(&pki.client_config(false, false)),
        &front.url("localhost"),
        None,
    )
    .unwrap();
    let err = untrusted
        .search(&TraceSearch::default())
        .await
        .expect_err("untrusted");
    assert!(err.contains("unknown authority"), "{err}");

    let jaeger = crate::support::jaeger::JaegerServer::start().await;
    let front = TlsFront::start(addr_of(&jaeger.url()), pki.wrong_name_config()).await;
    let client = JaegerClient::new(
        http(&pki.client_config(true, false)),
        &front.url("localhost"),
        None,
    )
    .unwrap();
    let search = TraceSearch {
        service: Some("frontend".into()),
        ..TraceSearch::default()
    };
    let err = client.search(&search).await.expect_err("wrong name");
    assert!(err.contains("name mismatch"), "{err}");
}

async fn first_catalog_or_error(tls: HttpTls, url: &str) -> Result<usize, String> {
    let (tx, mut rx) = mpsc::channel(16);
    let settings = PollSettings {
        interval: Duration::from_mins(1),
        ..backstage::SETTINGS
    };
    let token = opsdeck::config::SecretRef::Command("printf %s test-token".into());
    let _handle = backstage::spawn_tls(url, Some(token), tls, settings, 1, tx);
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("an event within 15 s")
            .expect("source alive");
        match event.body {
            SourceBody::Catalog(c) => return Ok(c.services().count()),
            SourceBody::Health(SourceHealth::Error { message, .. }) => return Err(message),
            _ => {}
        }
    }
}

#[tokio::test]
async fn backstage_over_tls_with_a_client_certificate() {
    let pki = Pki::new();
    let server = crate::support::backstage::start(
        crate::support::backstage::fixture_entities(),
        crate::support::backstage::Options::default(),
    )
    .await;
    let front = TlsFront::start(server.addr, pki.server_config(Some(&pki.ca))).await;
    let full = HttpTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
        ..HttpTls::default()
    };
    let services = first_catalog_or_error(full, &front.url("localhost")).await;
    assert_eq!(services, Ok(8));
    let no_cert = HttpTls {
        ca_file: Some(pki.ca.clone()),
        ..HttpTls::default()
    };
    let err = first_catalog_or_error(no_cert, &front.url("localhost"))
        .await
        .expect_err("no client certificate");
    assert!(err.contains("client certificate"), "{err}");
    let err = first_catalog_or_error(HttpTls::default(), &front.url("localhost"))
        .await
        .expect_err("no CA");
    assert!(err.contains("unknown authority"), "{err}");
}
