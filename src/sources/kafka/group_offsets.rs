//! `rd_kafka_ListConsumerGroupOffsets` through `rdkafka::bindings` (rust-rdkafka 0.39 does
//! not wrap it; upstream PR fede1024/rust-rdkafka#785 is open).
//!
//! Asked with no partition list, the broker answers with the partitions the group has
//! committed to and nothing else. The consumer's `committed_offsets` needs the partitions
//! up front, so a lag view had to ask every group about every partition of the cluster, and
//! librdkafka matches the answer by scanning the list: 100 groups × 12,000 partitions took
//! 38 s in `benches/kafka.rs`, against tens of milliseconds this way (what confluent-kafka's
//! `list_consumer_group_offsets` does).
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

use super::admin_call::{AdminCall, CallError, cstring, text};
use super::coordinator::LIBRDKAFKA_MAX_TIMEOUT;

/// Frees the request on every return path.
struct Request(*mut rd::rd_kafka_ListConsumerGroupOffsets_t);

impl Drop for Request {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: returned by `rd_kafka_ListConsumerGroupOffsets_new`, destroyed once.
            unsafe { rd::rd_kafka_ListConsumerGroupOffsets_destroy(self.0) }
        }
    }
}

/// Every committed offset of `group`, keyed by (topic, partition). Partitions the group
/// never committed to are absent. Waits up to `timeout`. Blocking: call it from
/// `spawn_blocking`.
pub fn list_group_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    timeout: Duration,
) -> Result<BTreeMap<(String, i32), i64>, CallError> {
    let rk = client.native_ptr();
    let c_group = cstring(group).map_err(CallError::Failed)?;
    let mut call = AdminCall::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        LIBRDKAFKA_MAX_TIMEOUT,
        timeout,
        "list group offsets",
    )
    .map_err(CallError::Failed)?;
    // SAFETY: librdkafka copies the group name; a null partition list asks for every
    // committed partition; the request is owned by the guard.
    let request = Request(unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets_new(c_group.as_ptr(), std::ptr::null())
    });
    if request.0.is_null() {
        return Err(CallError::Failed(
            "list group offsets: librdkafka could not allocate".into(),
        ));
    }
    let mut requests = [request.0];
    // SAFETY: every pointer is live; librdkafka copies the request and options and posts its
    // one result event on the call's queue.
    unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets(
            rk,
            requests.as_mut_ptr(),
            requests.len(),
            call.options,
            call.queue,
        );
    }
    // SAFETY: the event is live while `call` is; the result is borrowed from it.
    let event =
        call.wait(|e| unsafe { !rd::rd_kafka_event_ListConsumerGroupOffsets_result(e).is_null() })?;
    let mut out = BTreeMap::new();
    // SAFETY: the result, group results and partition lists are borrowed from `event`,
    // which lives until `call` is dropped.
    unsafe {
        let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event);
        let mut n = 0usize;
        let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &raw mut n);
        for i in 0..n {
            let group_result = *groups.add(i);
            let error = rd::rd_kafka_group_result_error(group_result);
            if !error.is_null() {
                return Err(CallError::Failed(format!(
                    "list group offsets: {}",
                    text(rd::rd_kafka_error_string(error))
                )));
            }
            let list = rd::rd_kafka_group_result_partitions(group_result);
            if list.is_null() {
                continue;
            }
            let count = usize::try_from((*list).cnt).unwrap_or(0);
            for j in 0..count {
                let p = &*(*list).elems.add(j);
                // Partitions without a commit (or with a per-partition error) carry a
                // negative offset; they are left out like uncommitted ones.
                if p.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0 {
                    out.insert((text(p.topic), p.partition), p.offset);
                }
            }
        }
    }
    Ok(out)
}
