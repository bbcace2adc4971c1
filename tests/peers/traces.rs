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
