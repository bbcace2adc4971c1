//! Kafka's secret librdkafka properties: refused when written in `properties` (the message
//! says what reference to write instead and never repeats the value), accepted as a
//! reference in `secret_properties` and resolved into the client configuration opsdeck
//! hands librdkafka; and the README's Kafka examples parse and librdkafka takes them.

use opsdeck::config::{KafkaConfig, load};
use opsdeck::sources::kafka::client::client_config;

/// A value that must never show up in an error message.
const SECRET: &str = "s3cret-Value-42";

/// Every property opsdeck knows to hold a secret, and two only the suffix rule catches.
const SECRET_PROPERTIES: [&str; 8] = [
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.truststore.password",
    "sasl.oauthbearer.client.secret",
    "ssl.key.pem",
    "SASL.Password",
    "sasl.custom.secret",
];

fn kafka_of(src: &str) -> KafkaConfig {
    let config = load::parse("config.toml", src).unwrap_or_else(|e| panic!("parses: {e}\n{src}"));
    config.contexts[0].kafka.clone().expect("a kafka table")
}

#[test]
fn secret_properties_are_refused_inline_without_echoing_them() {
    for name in SECRET_PROPERTIES {
        let src = format!(
            "[contexts.prod.kafka]\nbrokers = [\"k:9093\"]\n\
             properties = {{ \"sasl.username\" = \"opsdeck\", \"{name}\" = \"{SECRET}\" }}\n"
        );
        let err = load::parse("config.toml", &src)
            .expect_err(name)
            .to_string();
        assert!(!err.contains(SECRET), "{name}: the value leaks: {err}");
        assert!(
            err.contains(&format!("`{name}` is a secret")),
            "{name}: {err}"
        );
        assert!(
            err.contains(&format!("secret_properties = {{ \"{name}\" = {{ env = ")),
            "{name}: says what to write instead: {err}"
        );
    }
}

#[test]
fn secret_properties_by_reference_reach_the_client_config() {
    let kafka = kafka_of(
        r#"
[contexts.prod.kafka]
brokers = ["kafka-1:9093"]
properties = { "security.protocol" = "SASL_SSL", "sasl.mechanism" = "SCRAM-SHA-256", "sasl.username" = "opsdeck", "ssl.ca.location" = "/etc/opsdeck/kafka-ca.pem", "ssl.certificate.location" = "/etc/opsdeck/client.pem", "ssl.key.location" = "/etc/opsdeck/client.key" }
secret_properties = { "sasl.password" = { command = "printf kafka-pw" }, "ssl.key.password" = { command = "printf key-pw" } }
"#,
    );
    assert!(!kafka.properties.contains_key("sasl.password"));
    let config = client_config(&kafka).expect("the references resolve");
    assert_eq!(config.get("sasl.password"), Some("kafka-pw"));
    assert_eq!(config.get("ssl.key.password"), Some("key-pw"));
    assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
    // librdkafka checks each property as it is set: SASL_SSL needs the OpenSSL build.
    config
        .create_native_config()
        .expect("librdkafka takes every property");
}

#[test]
fn an_inline_secret_is_refused_even_beside_its_reference() {
    let src = r#"
[contexts.prod.kafka]
brokers = ["k:9093"]
properties = { "ssl.key.password" = "s3cret-Value-42" }
secret_properties = { "ssl.key.password" = { env = "KAFKA_SSL_KEY_PASSWORD" } }
"#;
    let err = load::parse("config.toml", src)
        .expect_err("inline")
        .to_string();
    assert!(!err.contains(SECRET), "{err}");
    assert!(err.contains("is a secret"), "{err}");
}

/// The `toml` blocks of the README's `## Kafka` section.
fn readme_kafka_examples() -> Vec<String> {
    let readme = super::readme();
    let section = super::readme_section(&readme, "Kafka");
    section
        .split("```toml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn readme_kafka_examples_parse_and_librdkafka_takes_them() {
    let examples = readme_kafka_examples();
    assert!(examples.len() >= 2, "{examples:?}");
    let mut tls = false;
    for src in examples {
        let mut kafka = kafka_of(&src);
        tls |= kafka
            .properties
            .get("security.protocol")
            .map(String::as_str)
            == Some("SASL_SSL")
            && kafka.properties.contains_key("ssl.ca.location")
            && kafka.secret_properties.contains_key("sasl.password");
        // The referenced variables are not set here: librdkafka is given the rest.
        kafka.secret_properties.clear();
        client_config(&kafka)
            .expect("no secrets to resolve")
            .create_native_config()
            .unwrap_or_else(|e| panic!("librdkafka refuses the README's example: {e}\n{src}"));
    }
    assert!(tls, "the README shows a SASL_SSL cluster with its CA");
}
