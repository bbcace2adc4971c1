//! Admin requests that go to a consumer group's coordinator (`ListConsumerGroupOffsets`,
//! `DeleteGroups`), and why librdkafka's own request timeout must never end one.
//!
//! # The abort this avoids
//!
//! librdkafka 2.12.1 (bundled by rdkafka-sys 4.10.0) aborts the process with
//! `rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0' failed` when a
//! coordinator-targeted admin request times out *inside librdkafka* while its coordinator is
//! unreachable, and a broker comes back later. Reproduced by
//! `tests/kafka/main.rs::admin_calls_survive_a_broker_outage`. The sources, under
//! `~/.cargo/registry/src/*/rdkafka-sys-4.10.0+2.12.1/librdkafka/src/`:
//!
//! 1. `rdkafka_admin.c`, `rd_kafka_admin_worker`, state INIT with
//!    `RD_KAFKA_ADMIN_TARGET_COORDINATOR`: the request's `eonce` (an enqueue-once refcount,
//!    `rdkafka_queue.h`) gets a "timeout timer" reference and a "coordinator request"
//!    reference, and `rd_kafka_coord_req()` (`rdkafka_coord.c`) parks a lookup that waits,
//!    with no timeout of its own, for a broker state change.
//! 2. The request timer fires: `rd_kafka_enq_once_trigger` drops the timer's reference and
//!    the worker reports `Local: Timed out` and drops the owner's (`rd_kafka_enq_once_destroy`
//!    in `rd_kafka_admin_common_worker_destroy`). Only the parked lookup's reference is left.
//! 3. The broker comes back: `rd_kafka_coord_req_fsm` calls `rd_kafka_admin_coord_request`,
//!    whose `rd_kafka_enq_once_del_source_return` drops that last reference, **frees the
//!    eonce**, and returns `RD_KAFKA_RESP_ERR__DESTROY`.
//! 4. `rd_kafka_coord_req_fsm` takes that error for a failed send and calls
//!    `rd_kafka_coord_req_fail`, which queues an error reply whose opaque is the freed eonce;
//!    `rd_kafka_admin_coord_response_parse` calls `rd_kafka_enq_once_del_source_return` on it
//!    again: a use after free, caught (most of the time) by the refcount assertion.
//!
//! Upstream: confluentinc/librdkafka#4605 (`DescribeConsumerGroups`, open) and #3663 (the same
//! assertion from `ListConsumerGroupOffsets` after a broker restart); PR
//! confluentinc/librdkafka#5397 (open, unreleased) fixes the related error path of
//! `rd_kafka_admin_coord_request`. Requests to the controller or any broker (`CreateTopics`,
//! `DeleteTopics`, `CreatePartitions`, `DescribeConfigs` and `IncrementalAlterConfigs` of topics,
//! metadata) wait through `rd_kafka_brokers_wait_state_change_async` (`rdkafka_broker.c`),
//! which only triggers the eonce, and are not affected.
//!
//! Dropping a rust-rdkafka admin future early is not the cause: its boxed oneshot sender is the
//! request's opaque and a dropped receiver only makes the send fail (`admin.rs`,
//! `start_poll_thread`), and librdkafka copies the options (`rd_kafka_admin_request_op_new`,
//! `rd_kafka_AdminOptions_copy_to`) and holds its own reference on the reply queue.
//!
//! # What opsdeck does
//!
//! - A coordinator-targeted request gets librdkafka's largest request timeout
//!   ([`LIBRDKAFKA_MAX_TIMEOUT`], one hour), so step 2 cannot happen while opsdeck waits.
//!   opsdeck's own deadline (the context's call timeout) ends the wait and the user is told
//!   the call timed out.
//! - The request is then still parked inside its librdkafka instance, so that instance is
//!   destroyed ([`GroupAdmin`] destroys it on a thread of its own when dropped).
//!   `rd_kafka_destroy` fails parked lookups with `__DESTROY` while their eonce is still
//!   referenced (`rdkafka.c` `rd_kafka_destroy_internal` → `rd_kafka_coord_reqs_term`), a path
//!   librdkafka handles, and it also means an abandoned `DeleteGroups` cannot run later.
//! - So these requests run on an instance of their own, never the one that serves metadata
//!   and topic administration: [`GroupAdmins`] hands out the shared one for the offset reads
//!   of every snapshot and replaces it when one of them is abandoned; a group deletion gets a
//!   fresh instance for itself, destroyed when it ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;

/// The largest request timeout librdkafka accepts (`rd_kafka_AdminOptions_init`:
/// `request_timeout` ranges over 0..3600000 ms).
pub const LIBRDKAFKA_MAX_TIMEOUT: Duration = Duration::from_hours(1);

/// A librdkafka instance for coordinator-targeted requests. Dropping it destroys the
/// instance, which cancels what is still pending in it, on a thread of its own:
/// `rd_kafka_destroy` joins librdkafka's threads and must not hold up an async worker.
pub struct GroupAdmin(Option<AdminClient<DefaultClientContext>>);

impl std::fmt::Debug for GroupAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupAdmin")
    }
}

impl GroupAdmin {
    /// A new instance (no network traffic yet; it starts librdkafka's threads, so call it
    /// where blocking is allowed).
    pub fn new(config: &ClientConfig) -> Result<Self, String> {
        config
            .create::<AdminClient<DefaultClientContext>>()
            .map(|admin| Self(Some(admin)))
            .map_err(|e| format!("kafka client: {e}"))
    }

    #[must_use]
    pub fn admin(&self) -> &AdminClient<DefaultClientContext> {
        // Only `Drop` takes it.
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for GroupAdmin {
    fn drop(&mut self) {
        if let Some(admin) = self.0.take() {
            // If no thread can be started, the closure (and the client) drops here instead.
            let _ = std::thread::Builder::new()
                .name("kafka-group-admin-destroy".into())
                .spawn(move || drop(admin));
        }
    }
}

/// The shared [`GroupAdmin`] of a context, replaced when a request on it is abandoned.
pub struct GroupAdmins {
    config: ClientConfig,
    current: Mutex<Option<Arc<GroupAdmin>>>,
}

impl std::fmt::Debug for GroupAdmins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupAdmins").finish_non_exhaustive()
    }
}

impl GroupAdmins {
    /// Nothing is created until the first request.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            current: Mutex::new(None),
        }
    }

    /// The current shared instance, created when there is none. May block.
    pub fn current(&self) -> Result<Arc<GroupAdmin>, String> {
        let mut current = self
            .current
            .lock()
            .map_err(|_| "kafka group client poisoned".to_owned())?;
        if let Some(admin) = current.as_ref() {
            return Ok(Arc::clone(admin));
        }
        let admin = Arc::new(GroupAdmin::new(&self.config)?);
        *current = Some(Arc::clone(&admin));
        Ok(admin)
    }

    /// `used` had a request abandoned in it: the next request gets a new instance, and
    /// `used` is destroyed once its last in-flight request returns (each is bounded by the
    /// call timeout).
    pub fn retire(&self, used: &Arc<GroupAdmin>) {
        let retired = match self.current.lock() {
            Ok(mut current) if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) => {
                current.take()
            }
            _ => None,
        };
        drop(retired);
    }

    /// An instance of its own for one request (a group deletion), destroyed when dropped, so
    /// an abandoned request cannot be carried out later. May block.
    pub fn fresh(&self) -> Result<GroupAdmin, String> {
        GroupAdmin::new(&self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admins() -> GroupAdmins {
        let mut config = ClientConfig::new();
        // Nothing listens there; no request is made.
        config.set("bootstrap.servers", "127.0.0.1:9");
        GroupAdmins::new(config)
    }

    #[test]
    fn retiring_replaces_the_shared_instance_once() {
        let admins = admins();
        let first = admins.current().unwrap();
        assert!(Arc::ptr_eq(&first, &admins.current().unwrap()));
        admins.retire(&first);
        let second = admins.current().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        // A late retirement of the old instance leaves the new one alone.
        admins.retire(&first);
        assert!(Arc::ptr_eq(&second, &admins.current().unwrap()));
    }
}
