//! The librdkafka client context of the source's metadata handle: it keeps the last error
//! librdkafka reported about a broker connection, so a failed call can say why.
//!
//! A call that cannot reach a broker only returns "Broker transport failure"; the cause (a
//! TLS handshake refused because the certificate does not verify, a refused connection, a
//! failed SASL authentication) reaches the client's error callback instead. Without it a
//! wrong `ssl.ca.location` reads exactly like a dead broker.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::model::clean;

/// How long a failed call serves its client's events looking for the cause: librdkafka
/// queues the error event when the connection fails, about when the call gives up.
const CAUSE_GRACE: Duration = Duration::from_millis(300);

/// The context of one librdkafka instance (the last error it reported).
#[derive(Debug, Default)]
pub struct KafkaContext {
    last_error: Mutex<Option<(Instant, String)>>,
}

impl KafkaContext {
    /// The last broker error reported at or after `since`.
    #[must_use]
    pub fn cause_since(&self, since: Instant) -> Option<String> {
        self.last_error
            .lock()
            .ok()
            .and_then(|last| last.clone())
            .filter(|(at, _)| *at >= since)
            .map(|(_, reason)| reason)
    }

    /// `message`, followed by the broker's last error since `since` when `error` is one
    /// that hides it (transport failures, every broker down, timeouts). `serve` polls the
    /// instance so its pending error events reach [`ClientContext::error`]; it is called
    /// until a cause is there or [`CAUSE_GRACE`] has passed. Blocking.
    #[must_use]
    pub fn explain(
        &self,
        message: String,
        error: &KafkaError,
        since: Instant,
        mut serve: impl FnMut(),
    ) -> String {
        if !error.rdkafka_error_code().is_some_and(hides_cause) {
            return with_tls_hint(message);
        }
        let deadline = Instant::now() + CAUSE_GRACE;
        loop {
            if let Some(cause) = self.cause_since(since) {
                return with_tls_hint(format!("{message}: {cause}"));
            }
            if Instant::now() >= deadline {
                return with_tls_hint(message);
            }
            serve();
        }
    }
}

/// librdkafka names the setting to check in some of its certificate failures
/// ("verify that ssl.ca.location is correctly configured") and not in others (OpenSSL's
/// bare `certificate verify failed (after 0ms in state SSL_HANDSHAKE)`): the console always
/// says it.
fn with_tls_hint(message: String) -> String {
    if message.contains("certificate verify failed") && !message.contains("ssl.ca.location") {
        format!(
            "{message} (the broker's certificate is not signed by a CA this context trusts: \
             check its kafka ssl.ca.location)"
        )
    } else {
        message
    }
}

/// Error codes whose text says a broker could not be reached, not why.
fn hides_cause(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::SSL
            | RDKafkaErrorCode::Authentication
    )
}

impl ClientContext for KafkaContext {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "librdkafka");
        // "1/1 brokers are down" follows the real cause and would hide it.
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            return;
        }
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some((Instant::now(), clean(reason)));
        }
    }
}

impl ConsumerContext for KafkaContext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_failure_always_names_the_setting_to_check() {
        let bare = "ssl://b:9093/bootstrap: error:0A000086:SSL routines::certificate verify \
                    failed (after 0ms in state SSL_HANDSHAKE)";
        assert!(with_tls_hint(bare.to_owned()).contains("ssl.ca.location"));
        let named = "certificate verify failed: verify that ssl.ca.location is correct";
        assert_eq!(with_tls_hint(named.to_owned()), named);
        assert_eq!(with_tls_hint("refused".to_owned()), "refused");
    }

    #[test]
    fn a_transport_failure_carries_the_reported_cause() {
        let ctx = KafkaContext::default();
        let start = Instant::now();
        ctx.error(
            KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure),
            "ssl://b:9093/bootstrap: SSL handshake failed: certificate verify failed\n",
        );
        ctx.error(
            KafkaError::Global(RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
        let failed = KafkaError::MetadataFetch(RDKafkaErrorCode::BrokerTransportFailure);
        let m = ctx.explain("metadata: failed".into(), &failed, start, || {});
        assert!(m.starts_with("metadata: failed: ssl://b:9093"), "{m}");
        assert!(m.contains("certificate verify failed"), "{m}");
        assert!(!m.contains("brokers are down"), "{m}");

        // Other errors are their own explanation.
        let other = KafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition);
        assert_eq!(ctx.explain("x".into(), &other, start, || {}), "x");
    }

    #[test]
    fn an_older_cause_is_not_reused() {
        let ctx = KafkaContext::default();
        ctx.error(
            KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure),
            "old",
        );
        let later = Instant::now() + Duration::from_millis(1);
        let failed = KafkaError::MetadataFetch(RDKafkaErrorCode::BrokerTransportFailure);
        assert_eq!(ctx.explain("m".into(), &failed, later, || {}), "m");
    }
}
