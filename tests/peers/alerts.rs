//! Alertmanager's API v2 read by opsdeck's client against Debian's real
//! `prometheus-alertmanager`: alerts posted to it come back with their labels, annotations
//! and fingerprint; a silence made through its API mutes the matching alert, which then
//! reads as suppressed and names the silence; expiring the silence ends it.
//!
//! Then opsdeck's own path end to end: the alerts source polling it (with a real Prometheus
//! sending one of the alerts) feeds the alerts pane, which maps and groups them by catalog
//! service; a silence planned by the form's confirmation and run by the executor mutes
//! exactly the alert it said it catches, and expiring it un-mutes it; Alertmanager's
//! refusals reach the user whole; a dead Alertmanager is an error that keeps when the data
//! was last good; hostile text arrives inert.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::app::modal::silence::confirm;
use opsdeck::app::panes::alerts::AlertsPane;
use opsdeck::model::action::ActionRequest;
use opsdeck::model::alerts::{Alert, AlertState, AlertsSnapshot, Matcher, SilenceState};
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::model::silence::{matchers_for, matchers_text, parse_matchers};
use opsdeck::model::{Catalog, CatalogEntry, Service, SourceHealth, clean, clean_multiline};
use opsdeck::sources::alertmanager::{AlertmanagerClient, RealAlerts};
use opsdeck::sources::backend::AlertsBackend;
use opsdeck::sources::{SourceBody, SourceEvent};
use tokio::sync::mpsc;

use crate::support::alertmanager::Alertmanager;
use crate::support::prometheus::Prometheus;

const PATIENCE: Duration = Duration::from_secs(15);

/// Long enough for a Prometheus to start, evaluate its rule and send the alert.
const PROMETHEUS_PATIENCE: Duration = Duration::from_mins(1);

fn rfc3339(offset: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(offset)).to_string()
}

/// Posts alerts (`POST /api/v2/alerts`) the way Prometheus does.
async fn post_alerts(am: &Alertmanager, alerts: serde_json::Value) {
    let sent = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url()))
        .json(&alerts)
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success(), "{sent:?}");
}

/// One alert as Prometheus posts it, firing for the next hour.
fn alert(labels: &[(&str, &str)], annotations: &[(&str, &str)], started: i64) -> serde_json::Value {
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
    };
    serde_json::json!({
        "labels": map(labels), "annotations": map(annotations),
        "startsAt": rfc3339(started), "endsAt": rfc3339(3600),
    })
}

/// What the client reads once `done` holds (polled, within `patience`).
async fn alerts_when(
    client: &AlertmanagerClient,
    patience: Duration,
    done: impl Fn(&[Alert]) -> bool,
) -> Vec<Alert> {
    let deadline = Instant::now() + patience;
    loop {
        let got = client.alerts().await.unwrap();
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "alerts never settled: {got:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn named<'a>(alerts: &'a [Alert], name: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.name() == name)
        .unwrap_or_else(|| panic!("no {name} in {alerts:#?}"))
}

fn real_alerts(am: &Alertmanager, user: &str) -> RealAlerts {
    RealAlerts {
        client: AlertmanagerClient::new(&am.url(), reqwest::Client::new()).unwrap(),
        user: user.to_owned(),
        pending: None,
    }
}

/// The next event of the source, within `patience`.
async fn next_event(rx: &mut mpsc::Receiver<SourceEvent>, patience: Duration) -> SourceBody {
    tokio::time::timeout(patience, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("the alerts source said nothing for {patience:?}"))
        .expect("the alerts source stopped")
        .body
}

/// The first snapshot the source reports for which `done` holds.
async fn snapshot_when(
    rx: &mut mpsc::Receiver<SourceEvent>,
    patience: Duration,
    done: impl Fn(&AlertsSnapshot) -> bool,
) -> Arc<AlertsSnapshot> {
    let deadline = Instant::now() + patience;
    let mut last = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no snapshot settled; the last: {last:#?}");
        match next_event(rx, left).await {
            SourceBody::Alerts(snapshot) if done(&snapshot) => return snapshot,
            SourceBody::Alerts(snapshot) => last = Some(snapshot),
            SourceBody::Health(SourceHealth::Error { message, .. }) => {
                panic!("the alerts source failed: {message}")
            }
            _ => {}
        }
    }
}

/// A catalog service; `alert_labels` is its `opsdeck.io/alert-labels` annotation.
fn service(name: &str, alert_labels: Option<&str>) -> CatalogEntry {
    let annotations: BTreeMap<String, String> = alert_labels
        .map(|a| ("opsdeck.io/alert-labels".to_owned(), a.to_owned()))
        .into_iter()
        .collect();
    CatalogEntry::Service(Box::new(Service::from_annotations(
        name,
        "team",
        annotations,
    )))
}

/// The pane's rows in the order shown: (service, alert name).
fn shown(pane: &AlertsPane) -> Vec<(Option<String>, String)> {
    pane.table
        .visible
        .iter()
        .map(|&i| {
            let row = &pane.rows[i];
            (
                row.service.clone(),
                pane.alerts()[row.index].name().to_owned(),
            )
        })
        .collect()
}

/// Asserts that `detail` gives Alertmanager's refusal `whole`, status and reason, not a
/// summary of it (0.25 answers a JSON string: its quoting may follow the reason).
fn says_whole(detail: &str, whole: &str) {
    assert!(
        detail.starts_with(whole),
        "{detail:?} should start with {whole:?}"
    );
}

/// Nothing in `text` can drive a terminal: no control character (but `\n` where a text
/// keeps its lines), no bidi override.
fn inert(text: &str, keep_newlines: bool) -> bool {
    text.chars().all(|c| {
        !(c.is_control() && !(keep_newlines && c == '\n'))
            && !matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_and_silences_are_read_from_a_real_alertmanager() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{}/api/v2/{path}", am.url()))
            .json(&body)
            .send()
    };
    let alerts = serde_json::json!([
        {"labels": {"alertname": "HighErrorRate", "service": "checkout-api", "severity": "critical"},
         "annotations": {"summary": "5xx above 5%", "description": "line one\nline two",
                         "runbook_url": "https://runbooks/checkout"},
         "startsAt": rfc3339(-120), "endsAt": rfc3339(3600),
         "generatorURL": "http://prometheus/graph"},
        {"labels": {"alertname": "KafkaLag", "service": "ledger-service", "severity": "warning"},
         "annotations": {}, "startsAt": rfc3339(-60), "endsAt": rfc3339(3600)}
    ]);
    let sent = post("alerts", alerts).await.unwrap();
    assert!(sent.status().is_success(), "{sent:?}");

    let client = AlertmanagerClient::new(&am.url(), reqwest::Client::new()).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let got = loop {
        let got = client.alerts().await.unwrap();
        if got.len() == 2 && got.iter().all(|a| a.state == AlertState::Active) {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "alerts never became active: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let high = got.iter().find(|a| a.name() == "HighErrorRate").unwrap();
    assert_eq!(high.labels["service"], "checkout-api");
    assert_eq!(high.annotations["description"], "line one\nline two");
    assert_eq!(
        high.generator_url.as_deref(),
        Some("http://prometheus/graph")
    );
    assert_eq!(high.receivers, ["nobody"]);
    assert!(!high.fingerprint.is_empty());

    let silence = serde_json::json!({
        "matchers": [{"name": "service", "value": "checkout-api", "isRegex": false, "isEqual": true}],
        "startsAt": rfc3339(0), "endsAt": rfc3339(3600),
        "createdBy": "sam", "comment": "deploying the fix"
    });
    let answer: serde_json::Value = post("silences", silence)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = answer["silenceID"].as_str().unwrap().to_owned();
    let silences = client.silences().await.unwrap();
    let [s] = silences.as_slice() else {
        panic!("one silence: {silences:?}")
    };
    assert_eq!(
        (s.id.as_str(), s.state),
        (id.as_str(), SilenceState::Active)
    );
    assert_eq!(s.matchers[0].to_string(), r#"service="checkout-api""#);
    assert_eq!(
        (s.created_by.as_str(), s.comment.as_str()),
        ("sam", "deploying the fix")
    );

    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = client.alerts().await.unwrap();
        let high = got.iter().find(|a| a.name() == "HighErrorRate").unwrap();
        let lag = got.iter().find(|a| a.name() == "KafkaLag").unwrap();
        if high.state == AlertState::Suppressed {
            assert_eq!(high.silenced_by, std::slice::from_ref(&id));
            assert_eq!(
                lag.state,
                AlertState::Active,
                "the other alert is not muted"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the silence never muted it: {high:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // DELETE expires, it does not remove.
    let expired = http
        .delete(format!("{}/api/v2/silence/{id}", am.url()))
        .send()
        .await
        .unwrap();
    assert!(expired.status().is_success());
    let silences = client.silences().await.unwrap();
    assert_eq!(silences[0].state, SilenceState::Expired);

    let bad =
        AlertmanagerClient::new(&format!("{}/nowhere", am.url()), reqwest::Client::new()).unwrap();
    let err = bad.alerts().await.expect_err("a wrong prefix is an error");
    assert!(err.contains("404"), "{err}");
}

/// The source polls a real Alertmanager holding alerts posted to it and one a real
/// Prometheus sends; its snapshot holds exactly what the client reads, and the pane maps
/// them to catalog services (by the `service` label, by a service's alert-labels, or under
/// the label's own value when the catalog lacks it) and puts the worst group first.
#[expect(
    clippy::too_many_lines,
    reason = "one story: the alerts posted and sent, the snapshot, the pane's grouping"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_shows_what_alertmanager_holds_grouped_by_service() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let Some(_prometheus) = Prometheus::start_firing(
        &am.url(),
        "PrometheusSays",
        &[("service", "checkout-api"), ("severity", "warning")],
    ) else {
        return;
    };
    post_alerts(
        &am,
        serde_json::json!([
            alert(
                &[
                    ("alertname", "HighErrorRate"),
                    ("service", "checkout-api"),
                    ("severity", "critical")
                ],
                &[("summary", "5xx above 5%")],
                -120,
            ),
            // No `service` label: the catalog's alert-labels of ledger-service claim it.
            alert(
                &[
                    ("alertname", "KafkaLag"),
                    ("app", "ledger"),
                    ("severity", "warning")
                ],
                &[],
                -300,
            ),
            // A service the catalog lacks is still shown under its name.
            alert(
                &[
                    ("alertname", "DiskFull"),
                    ("service", "billing-cron"),
                    ("severity", "warning")
                ],
                &[],
                -60,
            ),
            alert(&[("alertname", "Watchdog")], &[], -30),
        ]),
    )
    .await;

    let backend = Arc::new(real_alerts(&am, "sam"));
    let (tx, mut rx) = mpsc::channel(64);
    let _source = opsdeck::sources::alerts::spawn(
        Arc::clone(&backend) as Arc<dyn AlertsBackend>,
        Duration::from_millis(200),
        1,
        tx,
    );
    let names = [
        "DiskFull",
        "HighErrorRate",
        "KafkaLag",
        "PrometheusSays",
        "Watchdog",
    ];
    let all_active = |alerts: &[Alert]| {
        let mut got: Vec<&str> = alerts
            .iter()
            .filter(|a| a.state == AlertState::Active)
            .map(Alert::name)
            .collect();
        got.sort_unstable();
        got == names
    };
    let snapshot = snapshot_when(&mut rx, PROMETHEUS_PATIENCE, |s| all_active(&s.alerts)).await;
    assert!(snapshot.taken_at.is_some());
    assert!(snapshot.silences.is_empty(), "{:?}", snapshot.silences);
    assert!(snapshot.notes.is_empty(), "{:?}", snapshot.notes);

    // The same alerts, fingerprints and labels as Alertmanager's API answers directly
    // (Prometheus resends its alert with a later end, so only identity is compared).
    let direct = alerts_when(&backend.client, PATIENCE, all_active).await;
    let identity = |alerts: &[Alert]| {
        let mut ids: Vec<(String, BTreeMap<String, String>)> = alerts
            .iter()
            .map(|a| (a.fingerprint.clone(), a.labels.clone()))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(identity(&snapshot.alerts), identity(&direct));
    let from_prometheus = named(&snapshot.alerts, "PrometheusSays");
    assert!(
        from_prometheus
            .generator_url
            .as_deref()
            .is_some_and(|u| u.contains("/graph?")),
        "{from_prometheus:?}"
    );
    assert_eq!(
        from_prometheus.annotations["summary"],
        "fired by the opsdeck test"
    );

    let catalog = Arc::new(Catalog::new(vec![
        service("checkout-api", None),
        service("ledger-service", Some(r#"app="ledger""#)),
    ]));
    let mut pane = AlertsPane::default();
    pane.set_snapshot(Arc::clone(&snapshot), catalog);
    let s = |name: &str| Some(name.to_owned());
    assert_eq!(
        shown(&pane),
        [
            // The critical group first, its critical alert first.
            (s("checkout-api"), "HighErrorRate".to_owned()),
            (s("checkout-api"), "PrometheusSays".to_owned()),
            // Warning groups by how long they have burned.
            (s("ledger-service"), "KafkaLag".to_owned()),
            (s("billing-cron"), "DiskFull".to_owned()),
            (None, "Watchdog".to_owned()),
        ]
    );
    let checkout: Vec<&str> = pane
        .firing_for("checkout-api")
        .iter()
        .map(|a| a.name())
        .collect();
    assert_eq!(checkout, ["HighErrorRate", "PrometheusSays"]);
    let (selected, service) = pane.selected().expect("the first row is selected");
    assert_eq!(
        (selected.name(), service),
        ("HighErrorRate", Some("checkout-api"))
    );
}

/// A silence planned by the form's confirmation and run by opsdeck's executor: the plan
/// says it catches the one alert, Alertmanager lists it with our comment and user, the
/// alert reads as silenced by it; expiring it through the executor makes the alert fire
/// again. Alertmanager 0.25 accepts expiring an expired silence again; an unknown id is
/// refused and the refusal is the result's whole detail.
#[expect(
    clippy::too_many_lines,
    reason = "one story: the plan, the silence, its effect, the expiry and the refusals"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_made_and_expired_by_opsdeck_mutes_exactly_what_it_planned() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    post_alerts(
        &am,
        serde_json::json!([
            alert(
                &[
                    ("alertname", "HighErrorRate"),
                    ("service", "checkout-api"),
                    ("severity", "critical")
                ],
                &[("summary", "5xx above 5%")],
                -120,
            ),
            alert(
                &[
                    ("alertname", "HighErrorRate"),
                    ("service", "ledger-service"),
                    ("severity", "critical")
                ],
                &[],
                -60,
            ),
        ]),
    )
    .await;
    let backend = real_alerts(&am, "sam");
    let both_firing = |alerts: &[Alert]| {
        alerts.len() == 2 && alerts.iter().all(|a| a.state == AlertState::Active)
    };
    alerts_when(&backend.client, PATIENCE, both_firing).await;

    let snapshot = Arc::new(backend.snapshot().await.unwrap());
    let catalog = Arc::new(Catalog::new(vec![
        service("checkout-api", None),
        service("ledger-service", None),
    ]));
    let mut pane = AlertsPane::default();
    pane.set_snapshot(snapshot, catalog);
    let (alert, service) = pane.selected().unwrap();
    assert_eq!(
        service,
        Some("checkout-api"),
        "the oldest burning group first"
    );
    let fingerprint = alert.fingerprint.clone();

    // What the form prefills from the selected alert, read back as the user submits it.
    let matchers = parse_matchers(&matchers_text(&matchers_for(alert))).unwrap();
    assert_eq!(matchers.len(), 3, "{matchers:?}");
    let plan = confirm(
        "checkout-api",
        matchers.clone(),
        Duration::from_hours(1),
        "deploying the fix".to_owned(),
        pane.alerts(),
        &pane.service_labels,
    );
    let catches: Vec<&str> = plan
        .details
        .iter()
        .filter(|(label, _)| label == "Catches")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(catches, ["1 alert now: HighErrorRate (checkout-api)"]);
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    assert_eq!(
        plan.request,
        ActionRequest::CreateSilence {
            service: "checkout-api".into(),
            matchers: matchers.clone(),
            duration_secs: 3600,
            comment: "deploying the fix".into(),
        }
    );

    let made = backend.execute(&plan.request).await;
    assert_eq!(made.status, OutcomeStatus::Succeeded, "{}", made.detail);
    let id = made
        .detail
        .strip_prefix("silence ")
        .and_then(|rest| rest.split_once(" until "))
        .map_or_else(
            || panic!("no id in {:?}", made.detail),
            |(id, _)| id.to_owned(),
        );

    let silences = backend.client.silences().await.unwrap();
    let [silence] = silences.as_slice() else {
        panic!("one silence: {silences:?}")
    };
    assert_eq!(
        (silence.id.as_str(), silence.state),
        (id.as_str(), SilenceState::Active)
    );
    assert_eq!(
        (silence.comment.as_str(), silence.created_by.as_str()),
        ("deploying the fix", "sam")
    );
    let mut sent: Vec<Matcher> = silence.matchers.clone();
    let mut planned = matchers.clone();
    sent.sort_by(|a, b| a.name.cmp(&b.name));
    planned.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(sent, planned);

    let by_fingerprint = |alerts: &[Alert]| {
        alerts
            .iter()
            .find(|a| a.fingerprint == fingerprint)
            .cloned()
            .unwrap()
    };
    let muted = alerts_when(&backend.client, PATIENCE, |alerts| {
        by_fingerprint(alerts).state == AlertState::Suppressed
    })
    .await;
    let muted_one = by_fingerprint(&muted);
    assert_eq!(muted_one.silenced_by, std::slice::from_ref(&id));
    assert_eq!(AlertState::label(&muted_one).1, "silenced");
    let other = muted.iter().find(|a| a.fingerprint != fingerprint).unwrap();
    assert_eq!(
        (other.state, AlertState::label(other).1),
        (AlertState::Active, "firing"),
        "the other service's alert of the same name is not muted"
    );
    // The pane shows the same: silenced, and listed after the group still firing.
    let mut after = AlertsPane::default();
    after.set_snapshot(
        Arc::new(backend.snapshot().await.unwrap()),
        Arc::new(Catalog::default()),
    );
    let (first, service) = after.selected().unwrap();
    assert_eq!(
        (service, AlertState::label(first).1),
        (Some("ledger-service"), "firing")
    );

    let expire = ActionRequest::ExpireSilence {
        id: id.clone(),
        service: "checkout-api".into(),
    };
    let ended = backend.execute(&expire).await;
    assert_eq!(
        (ended.status, ended.detail.as_str()),
        (
            OutcomeStatus::Succeeded,
            format!("silence {id} expired").as_str()
        )
    );
    let firing = alerts_when(&backend.client, PATIENCE, |alerts| {
        by_fingerprint(alerts).state == AlertState::Active
    })
    .await;
    assert!(by_fingerprint(&firing).silenced_by.is_empty());
    assert_eq!(
        backend.client.silences().await.unwrap()[0].state,
        SilenceState::Expired
    );

    // 0.25 expires an expired silence again without complaint (what the result says is
    // true: it is expired).
    let again = backend.execute(&expire).await;
    assert_eq!(again.status, OutcomeStatus::Succeeded, "{}", again.detail);
    // An id it never had is refused; the detail is Alertmanager's answer, whole.
    let unknown = backend
        .execute(&ActionRequest::ExpireSilence {
            id: "00000000-0000-0000-0000-000000000000".into(),
            service: "checkout-api".into(),
        })
        .await;
    assert_eq!(unknown.status, OutcomeStatus::Failed);
    says_whole(
        &unknown.detail,
        "alertmanager: 500 Internal Server Error: silence not found",
    );
}

/// Alertmanager refuses a silence with a matcher it cannot compile, or one that ends before
/// it starts: the whole reason comes back, and nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_silence_shows_alertmanagers_whole_reason() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let backend = real_alerts(&am, "sam");
    let now = jiff::Timestamp::now();
    let hour = jiff::SignedDuration::from_hours(1);

    // opsdeck's parser refuses this before sending; a client that sends it anyway gets
    // Alertmanager's own words.
    let bad_regex = [Matcher {
        name: "service".into(),
        value: "(".into(),
        is_regex: true,
        is_equal: true,
    }];
    let err = backend
        .client
        .create_silence(&bad_regex, now, now + hour, "sam", "why")
        .await
        .expect_err("an invalid regex is refused");
    says_whole(
        &err,
        "alertmanager: 400 Bad Request: silence invalid: invalid label matcher 0: invalid regular expression",
    );
    assert!(
        err.contains("error parsing regexp: missing closing ): `(`"),
        "{err}"
    );

    let service = [Matcher {
        name: "service".into(),
        value: "checkout-api".into(),
        is_regex: false,
        is_equal: true,
    }];
    let err = backend
        .client
        .create_silence(&service, now + hour, now, "sam", "why")
        .await
        .expect_err("an end before the start is refused");
    says_whole(
        &err,
        "alertmanager: 400 Bad Request: Failed to create silence: start time must be before end time",
    );

    // Through the executor: a zero-length silence, the refusal as the result's detail.
    let refused = backend
        .execute(&ActionRequest::CreateSilence {
            service: "checkout-api".into(),
            matchers: service.to_vec(),
            duration_secs: 0,
            comment: "why".into(),
        })
        .await;
    assert_eq!(refused.status, OutcomeStatus::Failed);
    says_whole(
        &refused.detail,
        "alertmanager: 400 Bad Request: Failed to create silence: start time must be before end time",
    );
    assert!(backend.client.silences().await.unwrap().is_empty());
}

/// Alertmanager dies after a good poll: the source reports an error that says why and
/// keeps when the data was last good, and sends no empty snapshot in its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_alertmanager_is_an_error_that_keeps_the_last_good_time() {
    let Some(mut am) = Alertmanager::start() else {
        return;
    };
    post_alerts(
        &am,
        serde_json::json!([alert(
            &[("alertname", "HighErrorRate"), ("service", "checkout-api")],
            &[],
            -60,
        )]),
    )
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let _source = opsdeck::sources::alerts::spawn(
        Arc::new(real_alerts(&am, "sam")),
        Duration::from_millis(200),
        1,
        tx,
    );
    snapshot_when(&mut rx, PATIENCE, |s| s.alerts.len() == 1).await;
    let good = loop {
        if let SourceBody::Health(SourceHealth::Ok { at }) = next_event(&mut rx, PATIENCE).await {
            break at;
        }
    };

    am.kill();
    let mut last_ok = good;
    let (message, since, last_good) = loop {
        match next_event(&mut rx, PATIENCE).await {
            SourceBody::Health(SourceHealth::Ok { at }) => last_ok = at,
            SourceBody::Health(SourceHealth::Error {
                message,
                since,
                last_good,
            }) => break (message, since, last_good),
            _ => {}
        }
    };
    assert!(
        message.contains("alertmanager") && message.contains("refused"),
        "{message}"
    );
    assert_eq!(last_good, Some(last_ok));
    assert!(since >= last_ok);

    // It keeps failing the same way: the failure's start and the last good time stay put,
    // and no snapshot replaces the last good one.
    for _ in 0..3 {
        match next_event(&mut rx, PATIENCE).await {
            SourceBody::Health(SourceHealth::Error {
                since: again,
                last_good: kept,
                ..
            }) => assert_eq!((again, kept), (since, last_good)),
            other => panic!("a dead peer sent {other:?}"),
        }
    }
}

/// Escapes, a bidi override and line breaks in labels, annotations and a silence's
/// comment are stored by Alertmanager as sent; the snapshot opsdeck takes holds them inert
/// (labels on one line, annotations keeping their line breaks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_alert_text_arrives_inert() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let name = "Hostile\u{1b}[31mRed";
    let service_label = "checkout-api\u{202e}ipa";
    let note = "line one\nline two\u{7}";
    let summary = "\u{1b}]0;pwned\u{7}title\u{202e}";
    let description = "one\ntwo\u{1b}[2J";
    post_alerts(
        &am,
        serde_json::json!([alert(
            &[
                ("alertname", name),
                ("service", service_label),
                ("note", note)
            ],
            &[("summary", summary), ("description", description)],
            -60,
        )]),
    )
    .await;
    let backend = real_alerts(&am, "sam\u{1b}[8m");
    let raw: serde_json::Value = reqwest::get(format!("{}/api/v2/alerts", am.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw[0]["labels"]["alertname"], name, "stored as sent");
    let created = backend
        .execute(&ActionRequest::CreateSilence {
            service: "checkout-api".into(),
            matchers: vec![Matcher {
                name: "note".into(),
                value: note.into(),
                is_regex: false,
                is_equal: true,
            }],
            duration_secs: 3600,
            comment: "see \u{202e}txt.exe\n\u{1b}[1Agone".into(),
        })
        .await;
    assert_eq!(
        created.status,
        OutcomeStatus::Succeeded,
        "{}",
        created.detail
    );

    let (tx, mut rx) = mpsc::channel(64);
    let _source =
        opsdeck::sources::alerts::spawn(Arc::new(backend), Duration::from_millis(200), 1, tx);
    let snapshot = snapshot_when(&mut rx, PATIENCE, |s| {
        s.alerts.len() == 1 && s.alerts[0].state == AlertState::Suppressed
    })
    .await;
    let got = &snapshot.alerts[0];
    assert_eq!(got.labels["alertname"], clean(name));
    assert_eq!(got.labels["alertname"], "Hostile\u{241b}[31mRed");
    assert_eq!(got.labels["service"], "checkout-api<U+202E>ipa");
    assert_eq!(got.labels["note"], clean(note));
    assert!(
        got.labels["note"].contains('\u{240a}'),
        "a label stays on one line"
    );
    assert_eq!(got.annotations["summary"], clean_multiline(summary));
    assert_eq!(got.annotations["description"], clean_multiline(description));
    assert_eq!(got.annotations["description"], "one\ntwo\u{241b}[2J");
    for (k, v) in &got.labels {
        assert!(inert(k, false) && inert(v, false), "{k}={v:?}");
    }
    for (k, v) in &got.annotations {
        assert!(inert(k, false) && inert(v, true), "{k}={v:?}");
    }
    let [silence] = snapshot.silences.as_slice() else {
        panic!("one silence: {:?}", snapshot.silences)
    };
    assert_eq!(
        silence.comment,
        "see <U+202E>txt.exe\u{240a}\u{241b}[1Agone"
    );
    assert_eq!(silence.created_by, "sam\u{241b}[8m");
    assert_eq!(silence.matchers[0].value, clean(note));
    for text in [
        &silence.comment,
        &silence.created_by,
        &silence.matchers[0].value,
    ] {
        assert!(inert(text, false), "{text:?}");
    }

    // The pane files it under the cleaned service name, shown as it is.
    let mut pane = AlertsPane::default();
    pane.set_snapshot(Arc::clone(&snapshot), Arc::new(Catalog::default()));
    assert_eq!(
        shown(&pane),
        [(
            Some("checkout-api<U+202E>ipa".to_owned()),
            "Hostile\u{241b}[31mRed".to_owned()
        )]
    );
}
