//! Alertmanager's API v2 read by opsdeck's client against Debian's real
//! `prometheus-alertmanager`: alerts posted to it come back with their labels, annotations
//! and fingerprint; a silence made through its API mutes the matching alert, which then
//! reads as suppressed and names the silence; expiring the silence ends it.

use std::time::{Duration, Instant};

use opsdeck::model::alerts::{AlertState, SilenceState};
use opsdeck::sources::alertmanager::AlertmanagerClient;

use crate::support::alertmanager::Alertmanager;

const PATIENCE: Duration = Duration::from_secs(15);

fn rfc3339(offset: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(offset)).to_string()
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
