//! What the librdkafka build gives opsdeck's Kafka source: TLS (against tansu behind
//! stunnel, with a throwaway CA), the SASL mechanisms that come with OpenSSL, and zstd.
//! Every client here is built by opsdeck's own `client_config` from a `KafkaConfig`, as a
//! context's `kafka` table makes it.
//!
//! OAUTHBEARER with OIDC (`sasl.oauthbearer.method = oidc`, librdkafka's own client
//! credentials flow over its bundled libcurl) fetches its token from an in-process token
//! endpoint, with the client secret given by reference.
//!
//! SASL itself is not exercised against a broker: tansu 0.6.0 with `--authentication` and
//! memory storage needs an authenticated client to create its first SCRAM user, so no
//! client can ever log in; the mechanisms are checked in librdkafka's `builtin.features`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::actions::ActionRequest;
use opsdeck::actions::gate::Executor;
use opsdeck::config::KafkaConfig;
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::sources::kafka::client::client_config;
use opsdeck::sources::kafka::{self, KafkaClient, KafkaExecutor};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka::wait_for;
use crate::support::stunnel::TlsTansu;
use crate::support::tansu::Tansu;
use crate::support::tls_ca::Pki;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A `kafka` table over TLS trusting `ca`.
fn tls_config(bootstrap: String, ca: &Path) -> KafkaConfig {
    KafkaConfig {
        brokers: vec![bootstrap],
        properties: BTreeMap::from([
            ("security.protocol".to_owned(), "SSL".to_owned()),
            ("ssl.ca.location".to_owned(), ca.display().to_string()),
        ]),
        ..KafkaConfig::default()
    }
}

async fn create_topic(client: &Arc<KafkaClient>, name: &str) {
    // tansu 0.6.0 ignores `validate_only`: no dry run, or it would create the topic twice.
    let exec = KafkaExecutor::new(Arc::clone(client), false);
    let request = ActionRequest::CreateTopic {
        name: name.into(),
        partitions: 1,
        replication: 1,
        configs: BTreeMap::new(),
    };
    let r = exec.execute(&request).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
}

/// Produces `payloads` to partition 0 of `topic` with opsdeck's client config plus
/// `extra`, one record per batch: tansu 0.6.0 advances the high watermark by one per batch.
fn produce(cfg: &KafkaConfig, extra: &[(&str, &str)], topic: &str, payloads: &[&str]) {
    let mut config = client_config(cfg).expect("client config");
    config.set("batch.num.messages", "1").set("linger.ms", "0");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    let producer: BaseProducer = config.create().expect("producer");
    for payload in payloads {
        producer
            .send(
                BaseRecord::<(), _>::to(topic)
                    .partition(0)
                    .payload(*payload),
            )
            .expect("enqueue");
        producer.flush(TIMEOUT).expect("delivered");
    }
}

/// Reads `n` payloads of partition 0 of `topic` from the start, with opsdeck's client config.
fn consume(cfg: &KafkaConfig, topic: &str, n: usize) -> Vec<String> {
    let consumer: BaseConsumer = client_config(cfg)
        .expect("client config")
        .set("group.id", "opsdeck-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(Instant::now() < deadline, "read {got:?} of {n} records");
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                got.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into());
            }
            Some(Err(e)) => panic!("consume {topic}: {e} (after {got:?})"),
            None => {}
        }
    }
    got
}

#[test]
fn librdkafka_is_built_with_tls_sasl_and_zstd() {
    let cfg = KafkaConfig {
        brokers: vec!["127.0.0.1:9".into()],
        ..KafkaConfig::default()
    };
    // `builtin.features` is a read-only property of librdkafka's configuration object:
    // read back through rd_kafka_conf_get, it lists what this build was compiled with.
    let native = client_config(&cfg)
        .expect("client config")
        .create_native_config()
        .expect("librdkafka config");
    let features = native.get("builtin.features").expect("builtin.features");
    let features: Vec<&str> = features.split(',').collect();
    for wanted in [
        "ssl",
        "sasl_plain",
        "sasl_scram",
        "sasl_oauthbearer",
        "zstd",
        "http",
        "oidc",
    ] {
        assert!(
            features.contains(&wanted),
            "librdkafka lacks {wanted}: {features:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_listed_and_produced_over_tls_with_the_ca_file() {
    let pki = Pki::new();
    let Some(broker) = TlsTansu::start(&pki) else {
        return;
    };
    let cfg = tls_config(broker.bootstrap(), &pki.ca);
    let client = kafka::connect(&cfg, TIMEOUT).await.expect("client");
    create_topic(&client, "tls.orders").await;
    {
        let cfg = &cfg;
        tokio::task::block_in_place(|| produce(cfg, &[], "tls.orders", &["a", "b", "c"]));
    }
    let snap = wait_for(&client, "three records over TLS", |s| {
        s.topic("tls.orders").is_some_and(|t| t.messages == 3)
    })
    .await;
    // The broker's metadata points at the TLS front, so every connection after the
    // bootstrap one went through TLS too.
    let ports: Vec<i32> = snap.brokers.iter().map(|b| b.port).collect();
    assert_eq!(
        ports,
        [i32::from(broker.stunnel.port())],
        "{}",
        broker.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_ca_is_a_certificate_verification_error() {
    let pki = Pki::new();
    let Some(broker) = TlsTansu::start(&pki) else {
        return;
    };
    let cfg = tls_config(broker.bootstrap(), &pki.other_ca);
    let client = kafka::connect(&cfg, Duration::from_secs(3))
        .await
        .expect("client (no traffic yet)");
    let err = client
        .snapshot(None)
        .await
        .expect_err("the broker's certificate is not from this CA");
    // librdkafka's reason, served from the client's error events: "SSL handshake failed:
    // ... certificate verify failed: broker certificate could not be verified, verify that
    // ssl.ca.location is correctly configured ...", not just "Broker transport failure".
    for says in ["certificate verify failed", "ssl.ca.location"] {
        assert!(
            err.contains(says),
            "the error says why ({says}): {err}\n{}",
            broker.logs()
        );
    }
}

/// Records compressed with zstd are accepted, stored and read back (tansu keeps the
/// producer's batches as they are, so the consumer decompresses what the producer wrote).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zstd_compressed_records_are_produced_and_read_back() {
    let Some(broker) = Tansu::start() else { return };
    let cfg = KafkaConfig {
        brokers: vec![broker.bootstrap()],
        ..KafkaConfig::default()
    };
    let client = kafka::connect(&cfg, TIMEOUT).await.expect("client");
    create_topic(&client, "zstd.events").await;
    let payloads = ["first zstd record", "second zstd record"];
    let read = {
        let cfg = &cfg;
        tokio::task::block_in_place(|| {
            produce(
                cfg,
                &[("compression.type", "zstd")],
                "zstd.events",
                &payloads,
            );
            consume(cfg, "zstd.events", payloads.len())
        })
    };
    assert_eq!(read, payloads);
    wait_for(&client, "two records", |s| {
        s.topic("zstd.events").is_some_and(|t| t.messages == 2)
    })
    .await;
}

/// What the token endpoint saw: each request's `Authorization` header and form body.
type Seen = Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// An OAuth 2 token endpoint on loopback answering every client-credentials request with
/// an unsigned JWT for `sub` (librdkafka reads `exp` and `sub`; it does not check the
/// signature).
async fn token_endpoint(seen: Seen) -> String {
    use axum::http::HeaderMap;
    use base64::Engine as _;
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push((auth, body));
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let exp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 3600;
                let jwt = format!(
                    "{}.{}.c2ln",
                    b64.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
                    b64.encode(format!(
                        r#"{{"sub":"opsdeck","exp":{exp},"iat":{}}}"#,
                        exp - 3600
                    ))
                );
                axum::Json(serde_json::json!({
                    "access_token": jwt,
                    "token_type": "bearer",
                    "expires_in": 3600,
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauthbearer_oidc_fetches_its_token_with_the_secret_by_reference() {
    use base64::Engine as _;
    let seen: Seen = Arc::default();
    let endpoint = token_endpoint(seen.clone()).await;
    let cfg = KafkaConfig {
        brokers: vec!["127.0.0.1:9".into()],
        properties: BTreeMap::from(
            [
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "OAUTHBEARER"),
                ("sasl.oauthbearer.method", "oidc"),
                ("sasl.oauthbearer.client.id", "opsdeck-console"),
                ("sasl.oauthbearer.scope", "kafka.read"),
                ("sasl.oauthbearer.token.endpoint.url", endpoint.as_str()),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        ),
        secret_properties: BTreeMap::from([(
            "sasl.oauthbearer.client.secret".to_owned(),
            opsdeck::config::SecretRef::Command("printf oidc-s3cret".to_owned()),
        )]),
        ..KafkaConfig::default()
    };
    let client = kafka::connect(&cfg, TIMEOUT).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while seen.lock().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "no token request reached the endpoint (client: {:?})",
            client.as_ref().err()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (auth, body) = seen.lock().unwrap()[0].clone();
    let basic = base64::engine::general_purpose::STANDARD.encode("opsdeck-console:oidc-s3cret");
    assert_eq!(auth, format!("Basic {basic}"));
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(body.contains("scope=kafka.read"), "{body}");
}
