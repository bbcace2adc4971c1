//! The metrics source against Debian's real `prometheus` (2.42) scraping a test target
//! (`support::metrics_target`) every second and evaluating real recording and alerting
//! rules: the figures the source computes equal what the same `PromQL` returns when asked
//! directly; NaN, empty answers and errors are shown as such; one query per metric
//! whatever the number of services; a dead server keeps the last data with the error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use opsdeck::model::metrics::{MetricKind, QueryKind, Reading, SloWindow};
use opsdeck::model::{Catalog, CatalogEntry, Service, Slo};
use opsdeck::sources::metrics::{
    Counting, MetricsBackend, MetricsSettings, kinds_per_refresh, refresh,
};
use opsdeck::sources::prometheus::PrometheusClient;
use opsdeck::sources::{SourceBody, SourceId};

use crate::support::metrics_target::{self, Traffic};
use crate::support::prometheus::{Prometheus, Setup};

const PATIENCE: Duration = Duration::from_mins(1);

const HOSTILE: &str = "evil\n\u{202e}name";

const RULES: &str = r#"groups:
  - name: opsdeck-test
    interval: 1s
    rules:
      - record: service:http_requests:rate10s
        expr: sum by (service) (rate(http_requests_total[10s]))
      - alert: HighErrorRatio
        expr: sum by (service) (rate(http_requests_total{code="500"}[10s])) > 0
        for: 1h
        labels:
          severity: critical
"#;

fn service(name: &str, target: Option<f64>, annotations: &[(&str, &str)]) -> CatalogEntry {
    let annotations: BTreeMap<String, String> = annotations
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut service = Service::from_annotations(name, "team", annotations);
    service.slo = target.map(|target| Slo {
        name: "availability".into(),
        target,
        current: None,
        budget_left: None,
        window: String::new(),
    });
    CatalogEntry::Service(Box::new(service))
}

/// Evaluates `query` at `time` with a plain GET, read as raw JSON: the reference the
/// source's figures must equal. Per service label value: the sample string.
async fn direct(url: &str, query: &str, time: Timestamp) -> BTreeMap<String, String> {
    let url = reqwest::Url::parse_with_params(
        &format!("{url}/api/v1/query"),
        &[
            ("query", query.to_owned()),
            ("time", time.as_second().to_string()),
        ],
    )
    .unwrap();
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "success", "{query}: {body}");
    body["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["metric"]["service"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["value"][1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Whether the source's reading is exactly what Prometheus answered (the same float: both
/// come from the same evaluation).
fn same(reading: &Reading, raw: Option<&String>) -> bool {
    match (reading, raw.map(String::as_str)) {
        (Reading::NoData, None)
        | (Reading::NaN, Some("NaN"))
        | (Reading::PlusInf, Some("+Inf"))
        | (Reading::MinusInf, Some("-Inf")) => true,
        (Reading::Value(v), Some(s)) => s.parse::<f64>().is_ok_and(|d| d.to_bits() == v.to_bits()),
        _ => false,
    }
}

fn settings() -> MetricsSettings {
    MetricsSettings {
        // 30 points one second apart: the latest point is the instant `now`.
        range: Duration::from_secs(30),
        ..MetricsSettings::defaults()
    }
}

async fn wait_for_data(url: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let rates = direct(
            url,
            "sum by (service) (rate(http_requests_total[5m])) and on (service) (sum by (service) (count_over_time(http_requests_total[5m])) > 24)",
            Timestamp::now(),
        )
        .await;
        if rates.contains_key("checkout") {
            return;
        }
        assert!(Instant::now() < deadline, "no data scraped: {rates:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one Prometheus run checked from every side: starting it costs seconds"
)]
async fn red_and_slo_figures_equal_the_same_promql_asked_directly() {
    let target = metrics_target::start(&[
        ("checkout", Traffic::new(9.0, 1.0, 0.05)),
        ("ledger", Traffic::new(5.0, 0.0, 0.3)),
        ("idle", Traffic::new(0.0, 0.0, 0.01)),
        (HOSTILE, Traffic::new(1.0, 0.0, 0.01)),
    ])
    .await;
    target.restart("checkout");
    let Some(prom) = Prometheus::start(&Setup {
        targets: vec![target.host_port()],
        rules: vec![RULES.to_owned()],
        alertmanager: None,
    }) else {
        return;
    };
    wait_for_data(&prom.url()).await;
    let client = PrometheusClient::new(&prom.url(), None, &BTreeMap::new(), None).unwrap();
    let catalog = Catalog::new(vec![
        service("checkout", Some(99.5), &[]),
        service("ledger", None, &[]),
        service("idle", Some(99.9), &[]),
        service("ghost", Some(99.9), &[]),
    ]);
    let settings = settings();
    let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    let counting = Counting::new(client.clone());
    let snapshot = refresh(&counting, &settings, &catalog, now).await.unwrap();
    assert_eq!(
        counting.count(),
        kinds_per_refresh(),
        "one query per metric"
    );
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);

    // Every figure equals the same PromQL evaluated at the same instant.
    for q in settings.queries(&catalog) {
        let reference = direct(&prom.url(), &q.promql, now).await;
        for name in ["checkout", "ledger", "idle", "ghost"] {
            let m = snapshot.service(name).unwrap();
            let reading = match q.kind {
                QueryKind::Metric(k) => m.latest(k),
                QueryKind::Slo(w) => &m.error_ratios[w as usize],
            };
            assert!(
                same(reading, reference.get(name)),
                "{name} {:?}: source {reading:?}, prometheus {:?}\n{}",
                q.kind,
                reference.get(name),
                q.promql
            );
        }
    }
    let checkout = snapshot.service("checkout").unwrap();
    let ratio = checkout.latest(MetricKind::ErrorRatio).value().unwrap();
    assert!((ratio - 0.1).abs() < 0.02, "10 % errors: {ratio}");
    let rate = checkout.latest(MetricKind::RequestRate).value().unwrap();
    // rate() divides by the whole 5m window, of which a fresh server has seconds: positive is
    // what can be said (the equality above is the check).
    assert!(rate > 0.0, "{rate}");
    assert!(checkout.latest(MetricKind::Cpu).value().unwrap() > 0.0);
    assert!(checkout.latest(MetricKind::Memory).value().unwrap() > 1e6);
    assert!(checkout.latest(MetricKind::Restarts).value().is_some());
    assert!(
        checkout.series(MetricKind::RequestRate).len() > 5,
        "a sparkline"
    );
    // Burn = ratio over the window / (1 - target): 10 % errors against a 0.5 % budget, 20
    // in every window: above 14.4 in the 1h and 5m windows, burning fast.
    let burn = checkout.slo.burn_of(SloWindow::M5).value().unwrap();
    let m5 = checkout.error_ratios[SloWindow::M5 as usize]
        .value()
        .unwrap();
    assert!((burn - m5 / 0.005).abs() < 1e-6, "{burn} vs {m5}");
    assert!((checkout.slo.target - 99.5).abs() < 1e-9);
    assert_eq!(
        checkout.slo.state,
        opsdeck::model::metrics::BurnState::Fast,
        "{:?}",
        checkout.slo
    );
    // Ledger has traffic and no 5xx series: a real zero, from the default target 99.9.
    let ledger = snapshot.service("ledger").unwrap();
    assert_eq!(ledger.latest(MetricKind::ErrorRatio), &Reading::Value(0.0));
    assert!(
        (ledger.slo.target - 99.9).abs() < 1e-9,
        "the default target"
    );
    assert_eq!(ledger.slo.state, opsdeck::model::metrics::BurnState::Ok);
    // No traffic is NaN (0/0), shown as such; a service without series is "no data".
    let idle = snapshot.service("idle").unwrap();
    assert_eq!(idle.latest(MetricKind::ErrorRatio), &Reading::NaN);
    assert_eq!(
        idle.latest(MetricKind::ErrorRatio)
            .show(MetricKind::ErrorRatio),
        "no traffic"
    );
    let ghost = snapshot.service("ghost").unwrap();
    assert_eq!(ghost.latest(MetricKind::RequestRate), &Reading::NoData);
    assert_eq!(ghost.slo.state, opsdeck::model::metrics::BurnState::Unknown);

    // Without a catalog the services are the answers'; hostile label text arrives inert.
    let all = refresh(&client, &settings, &Catalog::default(), now)
        .await
        .unwrap();
    assert!(all.services.contains_key("checkout"));
    assert!(
        all.services
            .keys()
            .all(|k| !k.contains('\n') && !k.contains('\u{202e}')),
        "{:?}",
        all.services.keys().collect::<Vec<_>>()
    );
    assert_eq!(all.services.len(), 4, "{:?}", all.services.keys());

    // The number of queries does not grow with the services.
    let many = Catalog::new(
        (0..300)
            .map(|i| service(&format!("svc-{i}"), None, &[]))
            .collect(),
    );
    let counting = Counting::new(client.clone());
    refresh(&counting, &settings, &many, now).await.unwrap();
    assert_eq!(counting.count(), kinds_per_refresh());

    // A per-service override is the one extra query.
    let overridden = Catalog::new(vec![service(
        "checkout",
        None,
        &[(
            "opsdeck.io/promql-request-rate",
            "sum(service:http_requests:rate10s{ {{selector}} })",
        )],
    )]);
    let counting = Counting::new(client.clone());
    let s = refresh(&counting, &settings, &overridden, now)
        .await
        .unwrap();
    assert_eq!(counting.count(), kinds_per_refresh() + 1);
    let recorded = direct(
        &prom.url(),
        r#"sum(service:http_requests:rate10s{service="checkout"})"#,
        now,
    )
    .await;
    assert!(
        same(
            s.service("checkout")
                .unwrap()
                .latest(MetricKind::RequestRate),
            recorded.get("")
        ),
        "{:?} vs {recorded:?}",
        s.service("checkout")
            .unwrap()
            .latest(MetricKind::RequestRate)
    );

    // The alerting rule's alert is pending (its `for` is an hour).
    let deadline = Instant::now() + PATIENCE;
    let pending = loop {
        let alerts = client.pending_alerts().await.unwrap();
        if let Some(a) = alerts.into_iter().find(|a| a.name() == "HighErrorRatio") {
            break a;
        }
        assert!(Instant::now() < deadline, "no pending alert");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(pending.state, opsdeck::model::alerts::AlertState::Pending);
    assert_eq!(pending.labels["service"], "checkout");

    // Fixing the cause: the errors stop, and the short window's burn falls.
    target.set("checkout", Traffic::new(10.0, 0.0, 0.05));
    let deadline = Instant::now() + PATIENCE;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let later = refresh(&client, &settings, &catalog, Timestamp::now())
            .await
            .unwrap();
        let b = later
            .service("checkout")
            .unwrap()
            .slo
            .burn_of(SloWindow::M5)
            .value()
            .unwrap();
        if b < burn * 0.9 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the burn never fell: {b} vs {burn}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_shown_as_errors_and_a_dead_server_keeps_the_last_data() {
    let target = metrics_target::start(&[("checkout", Traffic::new(9.0, 1.0, 0.05))]).await;
    let Some(mut prom) = Prometheus::start(&Setup {
        targets: vec![target.host_port()],
        rules: Vec::new(),
        alertmanager: None,
    }) else {
        return;
    };
    wait_for_data(&prom.url()).await;
    let client = PrometheusClient::new(&prom.url(), None, &BTreeMap::new(), None).unwrap();
    let catalog = Catalog::new(vec![service("checkout", Some(99.9), &[])]);
    // A template Prometheus refuses (an invalid regex): that metric is an error, the rest
    // works.
    let mut broken = settings();
    broken.templates.insert(
        "cpu".into(),
        r#"sum by ({{service_label}}) (label_replace(up, "x", "$1", "job", "(["))"#.into(),
    );
    let s = refresh(&client, &broken, &catalog, Timestamp::now())
        .await
        .unwrap();
    let checkout = s.service("checkout").unwrap();
    match checkout.latest(MetricKind::Cpu) {
        Reading::Error(e) => assert!(e.contains("invalid regular expression"), "{e}"),
        other => panic!("cpu should be an error: {other:?}"),
    }
    assert_eq!(
        checkout.latest(MetricKind::Cpu).show(MetricKind::Cpu),
        "error"
    );
    assert!(checkout.latest(MetricKind::RequestRate).value().is_some());
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);

    // The source task: a snapshot, then the server dies: the error comes with the age of the
    // data kept, and no empty snapshot replaces it.
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let (_catalog_tx, tap) = tokio::sync::watch::channel(Arc::new(catalog));
    let mut fast = settings();
    fast.refresh = Duration::from_secs(1);
    let backend: Arc<dyn MetricsBackend> = Arc::new(client);
    let _handle = opsdeck::sources::metrics::spawn(backend, fast, tap, 7, tx);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let event = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(event.source, SourceId::Metrics);
        if matches!(event.body, SourceBody::Metrics(_)) {
            break;
        }
        assert!(Instant::now() < deadline, "no snapshot");
    }
    prom.kill();
    loop {
        let event = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .unwrap()
            .unwrap();
        match event.body {
            SourceBody::Health(opsdeck::model::SourceHealth::Error {
                message, last_good, ..
            }) => {
                assert!(last_good.is_some(), "the kept data has an age");
                assert!(message.contains("every query failed"), "{message}");
                break;
            }
            SourceBody::Metrics(_) | SourceBody::Health(_) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(Instant::now() < deadline, "no error after the server died");
    }
}

/// The helper the alerts tests use: a real Prometheus whose rule fires and sends to a real
/// Alertmanager, where opsdeck's client reads the alert and the mapping names its service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_rule_reaches_the_real_alertmanager_and_maps_to_its_service() {
    let Some(am) = crate::support::alertmanager::Alertmanager::start() else {
        return;
    };
    let Some(_prom) = Prometheus::start_firing(
        &am.url(),
        "OpsdeckTestFiring",
        &[("app", "checkout"), ("severity", "critical")],
    ) else {
        return;
    };
    let client =
        opsdeck::sources::alertmanager::AlertmanagerClient::new(&am.url(), reqwest::Client::new())
            .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let alert = loop {
        let alerts = client.alerts().await.unwrap();
        if let Some(a) = alerts.into_iter().find(|a| a.name() == "OpsdeckTestFiring") {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "the alert never reached Alertmanager"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let catalog = Catalog::new(vec![
        service(
            "checkout-api",
            None,
            &[("opsdeck.io/alert-labels", "app=checkout")],
        ),
        service("checkout", None, &[]),
    ]);
    let none: [&str; 0] = [];
    assert_eq!(
        opsdeck::model::alert_service::service_for_alert(&alert.labels, &none, &catalog),
        Some("checkout-api"),
        "the annotation's matchers win over the `app` label"
    );
}
