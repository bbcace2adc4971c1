//! The service map: who calls whom, how often and how often it fails, derived from the spans
//! of the traces in view.
//!
//! The links follow Jaeger's dependency rule (jaegertracing/spark-dependencies,
//! `jaeger-spark-dependencies-common/src/main/java/io/jaegertracing/spark/dependencies/SpansToDependencyLinks.java`
//! at commit 0e5c6ef27348c83deb4639af17840332f6e21bd6), restated:
//!
//! - spans sharing one span id (Zipkin's shared client/server spans) link the client's service
//!   to the server's;
//! - every span with a parent in the trace links the parent's service to its own; when the
//!   parent id names several (shared) spans, the server one is the parent, and a shared span
//!   that is not the client side is skipped (its client twin carries the link);
//! - a leaf span naming `peer.service` links its service to that uninstrumented peer.
//!
//! Jaeger counts calls only; a link here also counts as failed when the called side's span
//! (the child, or the leaf for a `peer.service` link) has an error status. Links within one
//! service (a handler's internal child spans) are counted apart and not listed, since a map
//! is about calls between services.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::span::{Span, SpanKind, Trace};

/// Most trace ids kept per link, for opening the traces behind it.
pub const MAX_TRACES_PER_EDGE: usize = 200;

/// Attribute naming a peer that has no spans of its own.
const PEER_SERVICE: &str = "peer.service";

/// Calls from one service to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub caller: Arc<str>,
    pub callee: Arc<str>,
    pub calls: u64,
    pub errors: u64,
    /// The callee is only known from a caller's `peer.service` (it sends no spans).
    pub uninstrumented: bool,
    /// Ids of the traces holding this link, in the order met, at most
    /// [`MAX_TRACES_PER_EDGE`].
    pub trace_ids: Vec<String>,
}

impl Edge {
    /// Share of failed calls, in percent.
    #[must_use]
    pub fn error_percent(&self) -> f64 {
        if self.calls == 0 {
            return 0.0;
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "call counts stay far below 2^52; the result is a display percentage"
        )]
        let share = self.errors as f64 / self.calls as f64;
        share * 100.0
    }
}

/// The links of a set of traces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceMap {
    /// Links between different services, most errors first, then most calls.
    pub edges: Vec<Edge>,
    /// Calls within one service (parent and child in the same service), not listed.
    pub internal_calls: u64,
    /// How many traces the map was built from.
    pub traces: usize,
}

impl ServiceMap {
    /// Builds the map from whole traces.
    #[must_use]
    pub fn from_traces<'a>(traces: impl IntoIterator<Item = &'a Trace>) -> Self {
        let mut acc = Accumulator::default();
        let mut count = 0;
        for trace in traces {
            count += 1;
            links_of(trace, &mut acc);
        }
        let mut edges: Vec<Edge> = acc.edges.into_values().collect();
        edges.sort_by(|a, b| {
            b.errors
                .cmp(&a.errors)
                .then(b.calls.cmp(&a.calls))
                .then_with(|| a.caller.cmp(&b.caller))
                .then_with(|| a.callee.cmp(&b.callee))
        });
        Self {
            edges,
            internal_calls: acc.internal,
            traces: count,
        }
    }

    /// Whether `service` is one end of `edge`.
    #[must_use]
    pub fn touches(edge: &Edge, service: &str) -> bool {
        &*edge.caller == service || &*edge.callee == service
    }
}

/// What the runtime answers for a map request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapAnswer {
    pub map: ServiceMap,
    /// Traces that could not be loaded, with the first reason.
    pub failed: usize,
    pub first_error: Option<String>,
    pub built_at: jiff::Timestamp,
}

#[derive(Default)]
struct Accumulator {
    edges: BTreeMap<(Arc<str>, Arc<str>), Edge>,
    internal: u64,
}

impl Accumulator {
    fn add(&mut self, from: &Arc<str>, to: &Arc<str>, failed: bool, trace_id: &str) {
        self.add_link(from, to, failed, trace_id, false);
    }

    fn add_link(
        &mut self,
        from: &Arc<str>,
        to: &Arc<str>,
        failed: bool,
        trace_id: &str,
        uninstrumented: bool,
    ) {
        if from == to {
            self.internal += 1;
            return;
        }
        let edge = self
            .edges
            .entry((Arc::clone(from), Arc::clone(to)))
            .or_insert_with(|| Edge {
                caller: Arc::clone(from),
                callee: Arc::clone(to),
                calls: 0,
                errors: 0,
                uninstrumented,
                trace_ids: Vec::new(),
            });
        edge.calls += 1;
        edge.errors += u64::from(failed);
        if edge.trace_ids.last().map(String::as_str) != Some(trace_id)
            && edge.trace_ids.len() < MAX_TRACES_PER_EDGE
            && !edge.trace_ids.iter().any(|t| t == trace_id)
        {
            edge.trace_ids.push(trace_id.to_owned());
        }
    }
}

/// Adds the links of one trace.
fn links_of(trace: &Trace, acc: &mut Accumulator) {
    let mut by_id: HashMap<&str, Vec<&Span>> = HashMap::new();
    let mut has_children: HashSet<&str> = HashSet::new();
    for span in &trace.spans {
        by_id.entry(span.span_id.as_str()).or_default().push(span);
        if let Some(parent) = span.parent_id.as_deref() {
            has_children.insert(parent);
        }
    }
    let trace_id = trace.trace_id.as_str();

    // Zipkin's shared spans: one id, a client and a server side.
    for shared in by_id.values().filter(|spans| spans.len() > 1) {
        let client = shared.iter().find(|s| s.kind == SpanKind::Client);
        let server = shared.iter().find(|s| s.kind == SpanKind::Server);
        if let (Some(client), Some(server)) = (client, server) {
            acc.add(
                &client.service,
                &server.service,
                server.is_error(),
                trace_id,
            );
        }
    }

    for span in &trace.spans {
        let shared = by_id
            .get(span.span_id.as_str())
            .is_some_and(|s| s.len() > 1);
        if let Some(parent_id) = span.parent_id.as_deref()
            && !(shared && span.kind != SpanKind::Client)
            && parent_id != span.span_id
            && let Some(parents) = by_id.get(parent_id)
        {
            let parent = if parents.len() > 1 {
                parents.iter().find(|p| p.kind == SpanKind::Server).copied()
            } else {
                parents.first().copied()
            };
            if let Some(parent) = parent {
                acc.add(&parent.service, &span.service, span.is_error(), trace_id);
            }
        }
        if !has_children.contains(span.span_id.as_str())
            && let Some(peer) = span.attribute(PEER_SERVICE).filter(|p| !p.is_empty())
        {
            let peer: Arc<str> = Arc::from(peer);
            acc.add_link(&span.service, &peer, span.is_error(), trace_id, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traces::span::{SpanStatus, StatusCode};

    fn span(id: &str, parent: Option<&str>, service: &str, kind: SpanKind, error: bool) -> Span {
        Span {
            trace_id: "t1".into(),
            span_id: id.into(),
            parent_id: parent.map(str::to_owned),
            name: format!("op-{id}"),
            service: Arc::from(service),
            kind,
            start_ns: 0,
            duration_ns: 1,
            status: SpanStatus {
                code: if error {
                    StatusCode::Error
                } else {
                    StatusCode::Unset
                },
                message: String::new(),
            },
            attributes: Vec::new(),
            resource: Vec::new(),
            events: Vec::new(),
        }
    }

    fn trace(id: &str, spans: Vec<Span>) -> Trace {
        Trace::from_spans(Some(id.into()), spans)
    }

    fn edge<'m>(map: &'m ServiceMap, from: &str, to: &str) -> &'m Edge {
        map.edges
            .iter()
            .find(|e| &*e.caller == from && &*e.callee == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to} in {:?}", map.edges))
    }

    #[test]
    fn parent_child_across_services_is_a_call_and_errors_count_on_the_callee() {
        let t1 = trace(
            "t1",
            vec![
                span("a", None, "frontend", SpanKind::Server, false),
                span("b", Some("a"), "frontend", SpanKind::Client, false),
                span("c", Some("b"), "cart", SpanKind::Server, true),
                span("d", Some("c"), "cart", SpanKind::Internal, false),
                span("e", Some("c"), "redis", SpanKind::Server, false),
            ],
        );
        let t2 = trace(
            "t2",
            vec![
                span("a", None, "frontend", SpanKind::Server, false),
                span("c", Some("a"), "cart", SpanKind::Server, false),
            ],
        );
        let map = ServiceMap::from_traces([&t1, &t2]);
        assert_eq!(map.traces, 2);
        let fc = edge(&map, "frontend", "cart");
        assert_eq!((fc.calls, fc.errors), (2, 1));
        assert_eq!(fc.trace_ids, vec!["t1".to_owned(), "t2".to_owned()]);
        assert!((fc.error_percent() - 50.0).abs() < f64::EPSILON);
        assert_eq!(edge(&map, "cart", "redis").calls, 1);
        // frontend a→b and cart c→d stay inside their services.
        assert_eq!(map.internal_calls, 2);
        assert_eq!(map.edges.len(), 2);
        // Most errors first.
        assert_eq!(&*map.edges[0].callee, "cart");
    }

    #[test]
    fn zipkin_shared_spans_link_client_to_server_once() {
        // One id "s" for the client side (frontend) and the server side (cart).
        let t = trace(
            "t",
            vec![
                span("root", None, "frontend", SpanKind::Server, false),
                span("s", Some("root"), "frontend", SpanKind::Client, false),
                span("s", Some("root"), "cart", SpanKind::Server, false),
                span("child", Some("s"), "cart", SpanKind::Internal, false),
            ],
        );
        let map = ServiceMap::from_traces([&t]);
        // The shared pair gives frontend → cart; the server twin is skipped as a child of root,
        // and "child" hangs under the server twin (cart → cart, internal).
        assert_eq!(edge(&map, "frontend", "cart").calls, 1);
        assert_eq!(map.edges.len(), 1);
        assert_eq!(map.internal_calls, 2);
    }

    #[test]
    fn leaf_peer_service_names_an_uninstrumented_callee() {
        let mut leaf = span("b", Some("a"), "cart", SpanKind::Client, true);
        leaf.attributes
            .push(("peer.service".into(), "postgres".into()));
        let mut not_leaf = span("c", Some("a"), "cart", SpanKind::Client, false);
        not_leaf
            .attributes
            .push(("peer.service".into(), "ignored".into()));
        let t = trace(
            "t",
            vec![
                span("a", None, "cart", SpanKind::Server, false),
                leaf,
                not_leaf,
                span("d", Some("c"), "stock", SpanKind::Server, false),
            ],
        );
        let map = ServiceMap::from_traces([&t]);
        let pg = edge(&map, "cart", "postgres");
        assert!(pg.uninstrumented);
        assert_eq!((pg.calls, pg.errors), (1, 1));
        assert!(map.edges.iter().all(|e| &*e.callee != "ignored"));
        assert_eq!(edge(&map, "cart", "stock").calls, 1);
    }

    #[test]
    fn orphans_and_self_parents_add_nothing() {
        let t = trace(
            "t",
            vec![
                span("a", Some("missing"), "cart", SpanKind::Server, false),
                span("b", Some("b"), "stock", SpanKind::Server, false),
            ],
        );
        let map = ServiceMap::from_traces([&t]);
        assert!(map.edges.is_empty());
        assert_eq!(map.internal_calls, 0);
    }

    #[test]
    fn trace_ids_per_edge_are_capped_and_unique() {
        let traces: Vec<Trace> = (0..MAX_TRACES_PER_EDGE + 5)
            .map(|i| {
                trace(
                    &format!("t{i}"),
                    vec![
                        span("a", None, "x", SpanKind::Server, false),
                        span("b", Some("a"), "y", SpanKind::Server, false),
                        span("c", Some("a"), "y", SpanKind::Server, false),
                    ],
                )
            })
            .collect();
        let map = ServiceMap::from_traces(&traces);
        let e = edge(&map, "x", "y");
        assert_eq!(e.calls, 2 * (MAX_TRACES_PER_EDGE as u64 + 5));
        assert_eq!(e.trace_ids.len(), MAX_TRACES_PER_EDGE);
    }
}
