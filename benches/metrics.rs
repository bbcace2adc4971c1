//! Metrics benchmarks (criterion plus a printed summary). Run with
//! `cargo bench --bench metrics`.
//!
//! - `snapshot_build/{50,500,5000}`: one refresh through the metrics source's own path
//!   (`sources::metrics::refresh`) against an in-memory backend that answers each query as
//!   Prometheus would for that many services (a matrix of 30 points per service for each of
//!   the 8 metrics, a vector for each of the 5 SLO windows): building the queries, parsing
//!   nothing (the answers are already typed), building the snapshot with its SLO figures.
//! - `parse_matrix/{50,500,5000}`: parsing the JSON body of one range query's answer for
//!   that many services (`model::metrics::parse_response`), the part of a real refresh the
//!   in-memory backend skips; a refresh parses 8 of these and 5 vectors.
//! - Summary: the queries sent per refresh, counted through the `MetricsBackend` trait
//!   (`Counting`), for each size: the count is the number of metrics (13), whatever the
//!   number of services; per-service overrides add one each (shown for 1 % of the services
//!   overridden).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::future::BoxFuture;
use jiff::Timestamp;
use opsdeck::model::metrics::{PromAnswer, PromData, PromError, Sample, parse_response};
use opsdeck::model::{Catalog, CatalogEntry, Service, ServiceMapping, Slo, Tier};
use opsdeck::sources::metrics::{Counting, MetricQuery, MetricsBackend, MetricsSettings, refresh};
use opsdeck::sources::prometheus::Evaluation;

const SIZES: [usize; 3] = [50, 500, 5000];

#[derive(Debug)]
struct Synthetic {
    names: Vec<String>,
}

impl MetricsBackend for Synthetic {
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
        let labels =
            |n: &str| -> BTreeMap<String, String> { [("service".to_owned(), n.to_owned())].into() };
        let data = match at {
            Evaluation::Instant(_) => PromData::Vector(
                self.names
                    .iter()
                    .enumerate()
                    .zip((0..7_u32).cycle())
                    .map(|((_, n), k)| (labels(n), 0.0, Sample::Value(0.0001 * f64::from(k))))
                    .collect(),
            ),
            Evaluation::Range { .. } => PromData::Matrix(
                self.names
                    .iter()
                    .filter(|n| query.service.as_ref().is_none_or(|s| s == *n))
                    .enumerate()
                    .zip((0..1000_u32).cycle())
                    .map(|((_, n), i)| {
                        let values = (0..30_u32)
                            .map(|t| (f64::from(t), Sample::Value(f64::from(i + t))))
                            .collect();
                        (labels(n), values)
                    })
                    .collect(),
            ),
        };
        Box::pin(async move {
            Ok(PromAnswer {
                data,
                warnings: Vec::new(),
            })
        })
    }

    fn server(&self) -> String {
        "synthetic".into()
    }
}

fn catalog(n: usize, overridden_every: Option<usize>) -> Catalog {
    Catalog::new(
        (0..n)
            .map(|i| {
                let mut annotations = BTreeMap::new();
                if overridden_every.is_some_and(|k| i % k == 0) {
                    annotations.insert(
                        "opsdeck.io/promql-latency-p99".to_owned(),
                        "max(x{ {{selector}} })".to_owned(),
                    );
                }
                CatalogEntry::Service(Box::new(Service {
                    name: format!("svc-{i:05}"),
                    title: None,
                    description: String::new(),
                    owner: "team".into(),
                    system: None,
                    kind: "service".into(),
                    tier: Tier::Unknown,
                    lifecycle: "production".into(),
                    oncall: None,
                    slo: Some(Slo {
                        name: "availability".into(),
                        target: 99.9,
                        current: None,
                        budget_left: None,
                        window: String::new(),
                    }),
                    runbook: None,
                    links: Vec::new(),
                    repos: Vec::new(),
                    depends_on: Vec::new(),
                    dependency_of: Vec::new(),
                    tags: Vec::new(),
                    mapping: ServiceMapping::from_annotations(&annotations),
                    annotations,
                    origin: "bench".into(),
                }))
            })
            .collect(),
    )
}

fn matrix_body(n: usize) -> String {
    let mut body = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        let _ = write!(body, r#"{{"metric":{{"service":"svc-{i:05}"}},"values":["#);
        for t in 0..30 {
            if t > 0 {
                body.push(',');
            }
            let _ = write!(body, r#"[{}.0,"{}.25"]"#, 1_700_000_000 + t * 120, i + t);
        }
        body.push_str("]}");
    }
    body.push_str("]}}");
    body
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let settings = MetricsSettings::defaults();
    let now = Timestamp::now();
    let mut summary = Vec::new();
    let mut group = c.benchmark_group("snapshot_build");
    for n in SIZES {
        let names: Vec<String> = (0..n).map(|i| format!("svc-{i:05}")).collect();
        let backend = Synthetic { names };
        let cat = catalog(n, None);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                rt.block_on(refresh(&backend, &settings, &cat, now))
                    .expect("snapshot")
            });
        });
        let counting = Counting::new(Synthetic {
            names: (0..n).map(|i| format!("svc-{i:05}")).collect(),
        });
        rt.block_on(refresh(&counting, &settings, &cat, now))
            .expect("snapshot");
        let plain = counting.count();
        let counting = Counting::new(Synthetic {
            names: (0..n).map(|i| format!("svc-{i:05}")).collect(),
        });
        rt.block_on(refresh(&counting, &settings, &catalog(n, Some(100)), now))
            .expect("snapshot");
        summary.push((n, plain, counting.count()));
    }
    group.finish();
    let mut group = c.benchmark_group("parse_matrix");
    for n in SIZES {
        let body = matrix_body(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &body, |b, body| {
            b.iter(|| parse_response(black_box(body.as_bytes())).expect("parses"));
        });
    }
    group.finish();
    println!("\nqueries per refresh (counted through MetricsBackend):");
    println!("  services  queries  with 1% overridden");
    for (n, plain, overridden) in summary {
        println!("  {n:>8}  {plain:>7}  {overridden:>7}");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
