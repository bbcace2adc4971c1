//! The Tempo and Jaeger clients against their in-process test peers: search with every
//! filter as sent on the wire, trace by id (Tempo v2, the v1 fallback, Jaeger), and failures
//! (a 500, a non-JSON body, unknown ids, bad ids, an unreachable server) turned into errors
//! that name the URL. Both backends are driven through [`TraceBackend`], the interface the
//! app uses.
use std::collections::HashSet;
use std::time::Duration;

use opsdeck::model::traces::{SpanKind, StatusCode, Trace};
use opsdeck::sources::traces::{
    JaegerClient, SearchSyntax, TempoClient, TraceBackend, TraceSearch,
};

use crate::support;
use crate::support::tempo::{CHECKOUT_TRACE_ID, LEGACY_TRACE_ID, TempoServer};

fn tempo(server: &TempoServer, token: Option<&str>) -> TraceBackend {
    TraceBackend::Tempo(
        TempoClient::new(
            reqwest::Client::new(),
            &server.url(),
            token.map(str::to_owned),
        )
        .unwrap(),
    )
}

fn jaeger(server: &support::jaeger::JaegerServer) -> TraceBackend {
    TraceBackend::Jaeger(JaegerClient::new(reqwest::Client::new(), &server.url(), None).unwrap())
}

fn ids(rows: &[opsdeck::model::traces::TraceSummary]) -> Vec<&str> {
    rows.iter().map(|r| r.trace_id.as_str()).collect()
}

/// The shape both backends must agree on for the checkout trace.
fn assert_checkout(trace: &Trace) {
    assert_eq!(trace.trace_id, CHECKOUT_TRACE_ID);
    assert_eq!(trace.spans.len(), 7);
    assert_eq!(trace.duration_ns(), 480_000_000);
    let services: Vec<String> = trace
        .services()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(services, ["frontend", "cart", "payments"]);
    let root = trace.root().unwrap();
    assert_eq!(root.span_id, "00f067aa0ba902b7");
    assert_eq!(root.name, "GET /checkout");
    assert_eq!(root.kind, SpanKind::Server);
    let charge = trace
        .spans
        .iter()
        .find(|s| s.name == "POST /charge")
        .unwrap();
    assert_eq!(charge.parent_id.as_deref(), Some("4d5e6f708192a3b4"));
    assert_eq!(&*charge.service, "payments");
    assert_eq!(charge.status.code, StatusCode::Error);
    assert_eq!(charge.status.message, "card declined");
    assert_eq!(charge.events[0].name, "exception");
    assert!(
        charge.events[0]
            .attributes
            .contains(&("exception.type".into(), "CardDeclined".into()))
    );
    assert_eq!(trace.error_count(), 2);
}

#[tokio::test]
async fn tempo_search_lists_traces_with_full_ids_and_the_token() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, Some("tempo-token"));
    let rows = backend.search(&TraceSearch::default()).await.unwrap();
    // Tempo dropped the legacy id's leading zero; the client restores it.
    assert_eq!(ids(&rows), [CHECKOUT_TRACE_ID, LEGACY_TRACE_ID]);
    assert_eq!(rows[0].root_service, "frontend");
    assert_eq!(rows[0].root_name, "GET /checkout");
    assert_eq!(rows[0].duration_ns, 480_000_000);
    assert!(rows[0].error);
    assert!(!rows[1].error);
    let call = &server.calls()[0];
    assert_eq!(call.path, "/api/search");
    assert_eq!(call.param("q"), Some("{}"));
    assert_eq!(call.param("limit"), Some("20"));
    assert_eq!(call.authorization.as_deref(), Some("Bearer tempo-token"));
}

#[tokio::test]
async fn tempo_search_sends_errors_only_and_min_duration_as_traceql() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    let start = jiff::Timestamp::from_second(1_763_799_000).unwrap();
    let end = jiff::Timestamp::from_second(1_763_800_100).unwrap();
    let query = TraceSearch {
        service: Some("payments".into()),
        errors_only: true,
        min_duration: Some(Duration::from_millis(200)),
        limit: 5,
        start: Some(start),
        end: Some(end),
        ..TraceSearch::default()
    };
    let rows = backend.search(&query).await.unwrap();
    assert_eq!(ids(&rows), [CHECKOUT_TRACE_ID]);
    let call = &server.calls()[0];
    assert_eq!(
        call.param("q"),
        Some(r#"{ resource.service.name="payments" && status=error && duration>200ms }"#)
    );
    assert_eq!(call.param("limit"), Some("5"));
    assert_eq!(call.param("start"), Some("1763799000"));
    assert_eq!(call.param("end"), Some("1763800100"));
    assert_eq!(call.authorization, None);

    // The inventory trace has no error: nothing matches.
    let rows = backend
        .search(&TraceSearch {
            service: Some("inventory".into()),
            errors_only: true,
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert!(rows.is_empty());
    // And a user's TraceQL goes out as written.
    backend
        .search(&TraceSearch {
            traceql: Some(r#"{ span.db.system="redis" }"#.into()),
            errors_only: true,
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(
        server.calls()[2].param("q"),
        Some(r#"{ span.db.system="redis" }"#)
    );
}

#[tokio::test]
async fn tempo_tag_search_for_servers_without_traceql() {
    let server = TempoServer::start().await;
    let client = TempoClient::new(reqwest::Client::new(), &server.url(), None)
        .unwrap()
        .with_syntax(SearchSyntax::Tags);
    let rows = client
        .search(&TraceSearch {
            service: Some("inventory".into()),
            min_duration: Some(Duration::from_millis(100)),
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), [LEGACY_TRACE_ID]);
    let call = &server.calls()[0];
    assert_eq!(call.param("tags"), Some("service.name=inventory"));
    assert_eq!(call.param("minDuration"), Some("100ms"));
    assert_eq!(call.param("q"), None);
    let rows = client
        .search(&TraceSearch {
            min_duration: Some(Duration::from_millis(200)),
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), [CHECKOUT_TRACE_ID]);
}

#[tokio::test]
async fn tempo_trace_by_id_from_v2() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    // Upper case from a log line is fine.
    let trace = backend
        .trace(&CHECKOUT_TRACE_ID.to_uppercase())
        .await
        .unwrap();
    assert_checkout(&trace);
    let paths: Vec<String> = server.calls().into_iter().map(|c| c.path).collect();
    assert_eq!(paths, [format!("/api/v2/traces/{CHECKOUT_TRACE_ID}")]);
}

#[tokio::test]
async fn tempo_trace_falls_back_to_v1_on_404() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    let trace = backend.trace(LEGACY_TRACE_ID).await.unwrap();
    assert_eq!(trace.trace_id, LEGACY_TRACE_ID);
    assert_eq!(trace.spans.len(), 3);
    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].path, format!("/api/v2/traces/{LEGACY_TRACE_ID}"));
    assert_eq!(calls[0].status, 404);
    assert_eq!(calls[1].path, format!("/api/traces/{LEGACY_TRACE_ID}"));
    // The hostile attribute arrived inert.
    let redis = trace.spans.iter().find(|s| s.name == "redis GET").unwrap();
    let note = redis.attribute("note").unwrap();
    assert!(
        !note.contains('\u{1b}') && !note.contains('\u{202e}'),
        "{note:?}"
    );
    assert!(note.contains('␛'));
}

#[tokio::test]
async fn tempo_unknown_and_bad_ids() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    let err = backend
        .trace("ffffffffffffffffffffffffffffffff")
        .await
        .unwrap_err();
    assert!(err.contains("not found in Tempo"), "{err}");
    assert!(err.contains("/api/v2/traces/ffff"), "{err}");
    assert_eq!(server.calls().len(), 2);
    let err = backend.trace("../../admin").await.unwrap_err();
    assert!(err.contains("not a trace id"), "{err}");
    assert_eq!(server.calls().len(), 2, "a bad id makes no request");
}

#[tokio::test]
async fn tempo_500_and_garbage_become_errors() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    server.set_fault(Some(support::tempo::Fault::Status(500)));
    let err = backend.search(&TraceSearch::default()).await.unwrap_err();
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(
        err.contains(&format!("{}/api/search", server.url())),
        "{err}"
    );
    assert!(err.contains("querier unavailable"), "{err}");
    let err = backend.trace(CHECKOUT_TRACE_ID).await.unwrap_err();
    assert!(
        err.contains("HTTP 500") && err.contains("/api/v2/traces/"),
        "{err}"
    );

    server.set_fault(Some(support::tempo::Fault::Garbage));
    let err = backend.search(&TraceSearch::default()).await.unwrap_err();
    assert!(err.contains("not JSON"), "{err}");
    assert!(err.contains("/api/search"), "{err}");
    let err = backend.trace(CHECKOUT_TRACE_ID).await.unwrap_err();
    assert!(err.contains("not JSON") && err.contains("<html>"), "{err}");
}

#[tokio::test]
async fn jaeger_search_sends_service_filters_and_microseconds() {
    let server = support::jaeger::JaegerServer::start().await;
    let backend = jaeger(&server);
    let rows = backend
        .search(&TraceSearch {
            service: Some("cart".into()),
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), [CHECKOUT_TRACE_ID]);
    assert_eq!(rows[0].span_count, 7);
    assert_eq!(rows[0].root_service, "frontend");
    assert!(rows[0].error);

    let start = jiff::Timestamp::from_second(1_763_799_000).unwrap();
    let query = TraceSearch {
        service: Some("inventory".into()),
        errors_only: true,
        min_duration: Some(Duration::from_millis(100)),
        limit: 7,
        start: Some(start),
        ..TraceSearch::default()
    };
    let rows = backend.search(&query).await.unwrap();
    assert!(rows.is_empty(), "the inventory trace has no error");
    let rows = backend
        .search(&TraceSearch {
            service: Some("frontend".into()),
            errors_only: true,
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids(&rows),
        [CHECKOUT_TRACE_ID],
        "the error tag is a JSON boolean"
    );
    let call = &server.calls()[1];
    assert_eq!(call.path, "/api/traces");
    assert_eq!(call.param("service"), Some("inventory"));
    assert_eq!(call.param("tags"), Some(r#"{"error":"true"}"#));
    assert_eq!(call.param("minDuration"), Some("100ms"));
    assert_eq!(call.param("limit"), Some("7"));
    assert_eq!(call.param("start"), Some("1763799000000000"));

    let rows = backend
        .search(&TraceSearch {
            service: Some("inventory".into()),
            min_duration: Some(Duration::from_millis(100)),
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), [LEGACY_TRACE_ID]);
    let rows = backend
        .search(&TraceSearch {
            service: Some("inventory".into()),
            min_duration: Some(Duration::from_millis(200)),
            ..TraceSearch::default()
        })
        .await
        .unwrap();
    assert!(rows.is_empty());

    let err = backend.search(&TraceSearch::default()).await.unwrap_err();
    assert!(err.contains("needs a service"), "{err}");
    assert_eq!(server.calls().len(), 5, "no request without a service");
}

#[tokio::test]
async fn jaeger_trace_matches_what_tempo_says() {
    let jaeger_peer = support::jaeger::JaegerServer::start().await;
    let tempo_peer = TempoServer::start().await;
    let from_jaeger = jaeger(&jaeger_peer).trace(CHECKOUT_TRACE_ID).await.unwrap();
    assert_checkout(&from_jaeger);
    let from_tempo = tempo(&tempo_peer, None)
        .trace(CHECKOUT_TRACE_ID)
        .await
        .unwrap();
    let shape = |t: &Trace| -> HashSet<(String, Option<String>, String, String, i64, i64)> {
        t.spans
            .iter()
            .map(|s| {
                (
                    s.span_id.clone(),
                    s.parent_id.clone(),
                    s.name.clone(),
                    s.service.to_string(),
                    s.start_ns,
                    s.duration_ns,
                )
            })
            .collect()
    };
    assert_eq!(shape(&from_jaeger), shape(&from_tempo));
    assert_eq!(
        jaeger_peer.calls()[0].path,
        format!("/api/traces/{CHECKOUT_TRACE_ID}")
    );
}

#[tokio::test]
async fn jaeger_failures_become_errors() {
    let server = support::jaeger::JaegerServer::start().await;
    let backend = jaeger(&server);
    let err = backend
        .trace("ffffffffffffffffffffffffffffffff")
        .await
        .unwrap_err();
    assert!(err.contains("not found in Jaeger"), "{err}");
    server.set_fault(Some(support::jaeger::Fault::Status(500)));
    let err = backend.trace(CHECKOUT_TRACE_ID).await.unwrap_err();
    assert!(
        err.contains("HTTP 500") && err.contains("/api/traces/"),
        "{err}"
    );
    server.set_fault(Some(support::jaeger::Fault::Garbage));
    let err = backend
        .search(&TraceSearch {
            service: Some("cart".into()),
            ..TraceSearch::default()
        })
        .await
        .unwrap_err();
    assert!(err.contains("not JSON"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    // Bind then drop a listener: the port is free and nothing answers.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let backend = TraceBackend::Tempo(
        TempoClient::new(
            reqwest::Client::new(),
            &format!("http://127.0.0.1:{port}"),
            None,
        )
        .unwrap(),
    );
    let err = backend.search(&TraceSearch::default()).await.unwrap_err();
    assert!(
        err.starts_with("cannot reach Tempo at http://127.0.0.1:"),
        "{err}"
    );
    assert_eq!(backend.kind(), "tempo");
}

/// TraceQL with what URL encoding can mangle: quotes, braces, `&&` (a parameter separator
/// unless escaped), `+`, spaces and unicode.
const TYPED_TRACEQL: &str = r#"{ resource.service.name = "pay ments" && span.note = "a+b & ünï" }"#;

#[tokio::test]
async fn typed_traceql_and_the_window_arrive_as_sent() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    let now = jiff::Timestamp::from_second(1_765_101_600).unwrap();
    let search = TraceSearch {
        traceql: Some(TYPED_TRACEQL.into()),
        window: Some(opsdeck::model::window::TimeWindow::Last(
            Duration::from_hours(1),
        )),
        ..TraceSearch::default()
    };
    backend.search(&search.resolved(now)).await.unwrap();
    let call = &server.calls()[0];
    assert_eq!(call.param("q"), Some(TYPED_TRACEQL));
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().append_pair("q", TYPED_TRACEQL);
    assert!(
        call.query.starts_with(url.query().unwrap()),
        "{} vs {:?}",
        call.query,
        url.query()
    );
    assert!(call.query.contains("%26%26") && call.query.contains("%2B"));
    // Tempo takes seconds.
    assert_eq!(call.param("start"), Some("1765098000"));
    assert_eq!(call.param("end"), Some("1765101600"));
}

#[tokio::test]
async fn tempo_refuses_bad_traceql_and_the_whole_reason_comes_back() {
    let server = TempoServer::start().await;
    let backend = tempo(&server, None);
    let err = backend
        .search(&TraceSearch {
            traceql: Some("status = error".into()),
            ..TraceSearch::default()
        })
        .await
        .unwrap_err();
    assert!(
        err.contains(
            "HTTP 400 Bad Request: invalid TraceQL query: parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
        ),
        "{err}"
    );
    assert_eq!(server.calls()[0].status, 400);
}

#[tokio::test]
async fn the_structured_search_goes_out_as_traceql_and_as_jaeger_parameters() {
    let search = TraceSearch {
        service: Some("cart".into()),
        operation: Some("GET /checkout".into()),
        tags: vec![
            ("http.status_code".into(), "500".into()),
            ("error".into(), "true".into()),
        ],
        min_duration: Some(Duration::from_millis(500)),
        max_duration: Some(Duration::from_secs(2)),
        window: Some(opsdeck::model::window::TimeWindow::Between {
            from: jiff::Timestamp::from_second(1_765_101_600).unwrap(),
            to: jiff::Timestamp::from_second(1_765_105_200).unwrap(),
        }),
        ..TraceSearch::default()
    };
    let resolved = search.resolved(jiff::Timestamp::now());

    let server = TempoServer::start().await;
    tempo(&server, None).search(&resolved).await.unwrap();
    let call = &server.calls()[0];
    assert_eq!(
        call.param("q"),
        Some(
            r#"{ resource.service.name="cart" && name="GET /checkout" && span.http.status_code=500 && span.error=true && duration>500ms && duration<2000ms }"#
        )
    );
    assert_eq!(call.param("start"), Some("1765101600"));
    assert_eq!(call.param("end"), Some("1765105200"));

    let server = support::jaeger::JaegerServer::start().await;
    jaeger(&server).search(&resolved).await.unwrap();
    let call = &server.calls()[0];
    assert_eq!(call.param("service"), Some("cart"));
    assert_eq!(call.param("operation"), Some("GET /checkout"));
    let tags: serde_json::Value = serde_json::from_str(call.param("tags").unwrap()).unwrap();
    assert_eq!(
        tags,
        serde_json::json!({"http.status_code": "500", "error": "true"})
    );
    assert_eq!(call.param("minDuration"), Some("500ms"));
    assert_eq!(call.param("maxDuration"), Some("2000ms"));
    // Jaeger takes microseconds.
    assert_eq!(call.param("start"), Some("1765101600000000"));
    assert_eq!(call.param("end"), Some("1765105200000000"));
    // And TraceQL is refused before any request: Jaeger has none.
    let err = jaeger(&server)
        .search(&TraceSearch {
            service: Some("cart".into()),
            traceql: Some("{}".into()),
            ..TraceSearch::default()
        })
        .await
        .unwrap_err();
    assert!(err.contains("Jaeger has no TraceQL"), "{err}");
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_search_wins_over_a_slow_older_one() {
    use opsdeck::sources::trace_feed::{self, TraceLookup};
    use opsdeck::sources::{Control, SourceBody};
    let server = TempoServer::start().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let handle = trace_feed::spawn(TraceLookup::Backend(tempo(&server, None)), 1, tx);
    let slow = TraceSearch {
        traceql: Some(format!(r#"{{ name="{}" }}"#, support::tempo::SLOW_NAME)),
        ..TraceSearch::default()
    };
    let fast = TraceSearch {
        traceql: Some(r#"{ resource.service.name="inventory" }"#.into()),
        ..TraceSearch::default()
    };
    handle.send(Control::TraceSearch(Box::new(slow.clone())));
    // Wait until the slow search is on the wire, then ask for a newer one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !server
        .calls()
        .iter()
        .any(|c| c.query.contains(support::tempo::SLOW_NAME))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow search was sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.send(Control::TraceSearch(Box::new(fast.clone())));
    let mut answered = Vec::new();
    let until = tokio::time::Instant::now() + support::tempo::SLOW_FOR + Duration::from_secs(1);
    while let Ok(Some(event)) = tokio::time::timeout_at(until, rx.recv()).await {
        if let SourceBody::Traces(list) = event.body {
            answered.push(list.search.traceql.clone());
        }
    }
    assert!(
        answered.contains(&fast.traceql),
        "the newer search was answered: {answered:?}"
    );
    assert!(
        !answered.contains(&slow.traceql),
        "the older, slower answer never arrives: {answered:?}"
    );
}
