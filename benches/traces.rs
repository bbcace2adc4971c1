//! Trace benchmarks (criterion), with the targets they are held to:
//!
//! - `waterfall/build_and_draw_5000`: build the span tree, the visible rows and the critical
//!   path of a 5,000-span trace and draw the waterfall into a 200×60 `TestBackend`: what the
//!   pane pays when a trace arrives; target ≤ 2 ms.
//! - `waterfall/draw_5000`: the draw alone (tree already built): what a cursor move costs.
//! - `parse/tempo_v1_5000`: parse a 5,000-span trace in Tempo's v1 JSON (`batches`, base64
//!   ids, enum names, 64-bit integers as strings); printed with its size and the rate.
//!
//! The trace is generated from a fixed seed: 12 services, a root, and each later span a child
//! of a random earlier span at most 12 deep, with attributes and a few error spans and events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::{Criterion, criterion_group};
use opsdeck::model::traces::{
    Span, SpanEvent, SpanKind, SpanStatus, SpanTree, StatusCode, Trace, otlp,
};
use opsdeck::theme::{ColorDepth, Theme};
use opsdeck::ui::widgets::waterfall::{WaterfallView, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const SPANS: usize = 5_000;
const SERVICES: [&str; 12] = [
    "frontend",
    "cart",
    "payments",
    "checkout",
    "inventory",
    "shipping",
    "email",
    "ads",
    "recommendation",
    "currency",
    "quote",
    "fraud",
];

/// A small deterministic generator (xorshift), so every run draws the same trace.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn synthetic_trace() -> Trace {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736".to_owned();
    let t0: i64 = 1_763_800_000_000_000_000;
    let services: Vec<Arc<str>> = SERVICES.iter().map(|s| Arc::from(*s)).collect();
    let mut spans: Vec<Span> = Vec::with_capacity(SPANS);
    let mut depth: Vec<usize> = Vec::with_capacity(SPANS);
    for i in 0..SPANS {
        let (parent, start, duration, d) = if i == 0 {
            (None, t0, 2_000_000_000, 0)
        } else {
            let mut p = usize::try_from(rng.below(i as u64)).unwrap();
            while depth[p] >= 12 {
                p = usize::try_from(rng.below(p as u64)).unwrap();
            }
            let parent = &spans[p];
            let room = parent.duration_ns.max(2);
            let offset = i64::try_from(rng.below(u64::try_from(room / 2).unwrap())).unwrap();
            let len = i64::try_from(rng.below(u64::try_from(room - offset).unwrap())).unwrap();
            (
                Some(p),
                parent.start_ns + offset,
                len.max(1_000),
                depth[p] + 1,
            )
        };
        let error = rng.below(50) == 0;
        spans.push(Span {
            trace_id: trace_id.clone(),
            span_id: format!("{:016x}", 0x1000 + i),
            parent_id: parent.map(|p| spans[p].span_id.clone()),
            name: format!("op-{} /api/v1/items/{{id}}", rng.below(40)),
            service: Arc::clone(&services[usize::try_from(rng.below(12)).unwrap()]),
            kind: if i % 2 == 0 {
                SpanKind::Server
            } else {
                SpanKind::Client
            },
            start_ns: start,
            duration_ns: duration,
            status: SpanStatus {
                code: if error {
                    StatusCode::Error
                } else {
                    StatusCode::Unset
                },
                message: if error {
                    "upstream timeout".into()
                } else {
                    String::new()
                },
            },
            attributes: vec![
                ("http.request.method".into(), "GET".into()),
                ("http.route".into(), "/api/v1/items/{id}".into()),
                (
                    "http.response.status_code".into(),
                    if error { "504" } else { "200" }.into(),
                ),
            ],
            resource: vec![("k8s.namespace.name".into(), "shop".into())],
            events: if error {
                vec![SpanEvent {
                    time_ns: start + duration / 2,
                    name: "exception".into(),
                    attributes: vec![("exception.type".into(), "Timeout".into())],
                }]
            } else {
                Vec::new()
            },
        });
        depth.push(d);
    }
    Trace::from_spans(Some(trace_id), spans)
}

/// The trace as Tempo's `/api/traces/<id>` would send it.
fn tempo_v1_json(trace: &Trace) -> Vec<u8> {
    let b64 = |hex_id: &str| {
        base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_id).unwrap())
    };
    let attr = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    let batches: Vec<Value> = SERVICES
        .iter()
        .map(|service| {
            let spans: Vec<Value> = trace
                .spans
                .iter()
                .filter(|s| &*s.service == *service)
                .map(|s| {
                    let mut span = json!({
                        "traceId": b64(&s.trace_id),
                        "spanId": b64(&s.span_id),
                        "name": s.name,
                        "kind": if s.kind == SpanKind::Server { "SPAN_KIND_SERVER" } else { "SPAN_KIND_CLIENT" },
                        "startTimeUnixNano": s.start_ns.to_string(),
                        "endTimeUnixNano": s.end_ns().to_string(),
                        "attributes": s.attributes.iter().map(|(k, v)| attr(k, v)).collect::<Vec<_>>(),
                        "status": if s.is_error() {
                            json!({"code": "STATUS_CODE_ERROR", "message": s.status.message})
                        } else {
                            json!({})
                        },
                    });
                    if let Some(p) = &s.parent_id {
                        span["parentSpanId"] = json!(b64(p));
                    }
                    span
                })
                .collect();
            json!({
                "resource": {"attributes": [attr("service.name", service), attr("k8s.namespace.name", "shop")]},
                "scopeSpans": [{"scope": {"name": "io.opentelemetry.http"}, "spans": spans}],
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "batches": batches })).unwrap()
}

fn draw_once(
    terminal: &mut Terminal<TestBackend>,
    theme: &Theme,
    trace: &Trace,
    tree: &SpanTree,
    rows: &[opsdeck::model::traces::Row],
    critical: &std::collections::HashSet<usize>,
) {
    let view = WaterfallView {
        trace,
        tree,
        rows,
        selected: rows.len() / 2,
        offset: rows.len() / 2,
        critical,
        focused: true,
    };
    terminal
        .draw(|frame| render(frame, frame.area(), theme, &view))
        .unwrap();
}

fn waterfall(c: &mut Criterion) {
    let trace = synthetic_trace();
    let theme = Theme::shipped("default", ColorDepth::TrueColor)
        .unwrap()
        .unwrap();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();

    // A plain wall-clock figure next to criterion's, against the target, after a warm-up
    // (the first frames fill the terminal's buffers).
    for _ in 0..20 {
        let tree = SpanTree::new(&trace);
        let rows = tree.visible_rows();
        let critical = tree.critical_path();
        draw_once(&mut terminal, &theme, &trace, &tree, &rows, &critical);
    }
    let runs = 200;
    let began = Instant::now();
    for _ in 0..runs {
        let tree = SpanTree::new(&trace);
        let rows = tree.visible_rows();
        let critical = tree.critical_path();
        draw_once(&mut terminal, &theme, &trace, &tree, &rows, &critical);
    }
    let each = began.elapsed() / runs;
    println!(
        "waterfall build+draw of {} spans at 200x60: {:.3} ms per frame (target ≤ 2 ms) {}",
        trace.spans.len(),
        each.as_secs_f64() * 1e3,
        if each <= Duration::from_millis(2) {
            "MET"
        } else {
            "MISSED"
        }
    );

    let mut group = c.benchmark_group("waterfall");
    group.bench_function("build_and_draw_5000", |b| {
        b.iter(|| {
            let tree = SpanTree::new(black_box(&trace));
            let rows = tree.visible_rows();
            let critical = tree.critical_path();
            draw_once(&mut terminal, &theme, &trace, &tree, &rows, &critical);
        });
    });
    let tree = SpanTree::new(&trace);
    let rows = tree.visible_rows();
    let critical = tree.critical_path();
    group.bench_function("draw_5000", |b| {
        b.iter(|| {
            draw_once(
                &mut terminal,
                &theme,
                black_box(&trace),
                &tree,
                &rows,
                &critical,
            );
        });
    });
    group.finish();
}

#[expect(
    clippy::cast_precision_loss,
    reason = "sizes and rates printed as f64; a lossy cast is fine for a report"
)]
fn parse(c: &mut Criterion) {
    let trace = synthetic_trace();
    let body = tempo_v1_json(&trace);
    let parsed = otlp::parse_trace(&body).unwrap();
    assert_eq!(parsed.spans.len(), SPANS);
    let runs = 20;
    let began = Instant::now();
    for _ in 0..runs {
        black_box(otlp::parse_trace(black_box(&body)).unwrap());
    }
    let each = began.elapsed() / runs;
    println!(
        "parse of a {}-span Tempo v1 body ({:.1} MB): {:.2} ms ({:.0} spans/ms)",
        SPANS,
        body.len() as f64 / 1e6,
        each.as_secs_f64() * 1e3,
        SPANS as f64 / (each.as_secs_f64() * 1e3)
    );
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    group.bench_function("tempo_v1_5000", |b| {
        b.iter(|| otlp::parse_trace(black_box(&body)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, waterfall, parse);

fn main() {
    // Wall-clock numbers on a shared 2-core machine mean little without the load they ran
    // under, so it is printed with them.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at start: {}", load.trim());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
