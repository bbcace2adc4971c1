//! `rd_kafka_AlterConsumerGroupOffsets` and `rd_kafka_DescribeCluster` through
//! `rdkafka::bindings`: rust-rdkafka 0.39 wraps neither (the group-offset admin calls are
//! FFI-only, fede1024/rust-rdkafka#785; first-aid.md §4.1).
//!
//! `AlterConsumerGroupOffsets` commits offsets for a group from outside it (no member id, no
//! generation), the way Kafka's `kafka-consumer-groups --reset-offsets --execute` does
//! through `Admin.alterConsumerGroupOffsets`. librdkafka (`src/rdkafka.h`, v2.12, the
//! `rd_kafka_AlterConsumerGroupOffsets` comment) says the commit "succeed[s] at the
//! partition level only if the group is not actively subscribed to the corresponding topic";
//! the broker answers `UNKNOWN_MEMBER_ID` otherwise (first-aid.md §4.2). An assign-only
//! consumer's commit would send the same `OffsetCommit` with generation −1, but it needs a
//! consumer instance whose `group.id` is the group itself; the admin call needs none and
//! reports per-partition errors, so it is the one used.
//!
//! The request goes to the group's coordinator, so it runs on a librdkafka instance of its own
//! without librdkafka's request timeout ([`super::coordinator`] says why).
#![allow(unsafe_code)]

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::{Offset, TopicPartitionList};

use super::admin_call::{AdminCall, CallError, cstring, text};
use super::coordinator::LIBRDKAFKA_MAX_TIMEOUT;

/// Frees the request on every return path.
struct Request(*mut rd::rd_kafka_AlterConsumerGroupOffsets_t);

impl Drop for Request {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: returned by `rd_kafka_AlterConsumerGroupOffsets_new`, destroyed once.
            unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_destroy(self.0) }
        }
    }
}

/// One partition the broker did not take, with its error text.
pub type PartitionError = ((String, i32), String);

/// Commits `offsets` (`(topic, partition, offset)`) for `group`. `Ok` lists the partitions
/// the broker refused (empty: all committed). Blocking: call it from `spawn_blocking`.
pub fn alter_group_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    offsets: &[(String, i32, i64)],
    wait: Duration,
) -> Result<Vec<PartitionError>, CallError> {
    let rk = client.native_ptr();
    let c_group = cstring(group).map_err(CallError::Failed)?;
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (topic, partition, offset) in offsets {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(|e| CallError::Failed(format!("alter group offsets: {e}")))?;
    }
    let mut call = AdminCall::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
        LIBRDKAFKA_MAX_TIMEOUT,
        wait,
        "alter group offsets",
    )
    .map_err(CallError::Failed)?;
    // SAFETY: librdkafka copies the group name and the partition list (`tpl` outlives the
    // call anyway); the request is owned by the guard.
    let request =
        Request(unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_new(c_group.as_ptr(), tpl.ptr()) });
    if request.0.is_null() {
        return Err(CallError::Failed(
            "alter group offsets: librdkafka could not allocate".into(),
        ));
    }
    let mut requests = [request.0];
    // SAFETY: every pointer is live; the array has the one element librdkafka requires.
    unsafe {
        rd::rd_kafka_AlterConsumerGroupOffsets(
            rk,
            requests.as_mut_ptr(),
            requests.len(),
            call.options,
            call.queue,
        );
    }
    // SAFETY: the event is live while `call` is.
    let event = call
        .wait(|e| unsafe { !rd::rd_kafka_event_AlterConsumerGroupOffsets_result(e).is_null() })?;
    let mut refused = Vec::new();
    // SAFETY: the result, group results and partition lists are borrowed from `event`.
    unsafe {
        let result = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(event);
        let mut n = 0usize;
        let groups = rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &raw mut n);
        for i in 0..n {
            let group_result = *groups.add(i);
            let error = rd::rd_kafka_group_result_error(group_result);
            if !error.is_null() {
                return Err(CallError::Failed(text(rd::rd_kafka_error_string(error))));
            }
            let list = rd::rd_kafka_group_result_partitions(group_result);
            if list.is_null() {
                continue;
            }
            let count = usize::try_from((*list).cnt).unwrap_or(0);
            for j in 0..count {
                let p = &*(*list).elems.add(j);
                if p.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    refused.push((
                        (text(p.topic), p.partition),
                        text(rd::rd_kafka_err2name(p.err)),
                    ));
                }
            }
        }
    }
    Ok(refused)
}

/// The controller's broker id (`DescribeCluster`), `None` when the broker names none.
/// Blocking.
pub fn controller_id<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
) -> Result<Option<i32>, CallError> {
    let rk = client.native_ptr();
    let mut call = AdminCall::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        timeout,
        timeout + super::client::ANSWER_GRACE,
        "describe cluster",
    )
    .map_err(CallError::Failed)?;
    // SAFETY: every pointer is live; librdkafka copies the options.
    unsafe { rd::rd_kafka_DescribeCluster(rk, call.options, call.queue) };
    // SAFETY: the event is live while `call` is.
    let event =
        call.wait(|e| unsafe { !rd::rd_kafka_event_DescribeCluster_result(e).is_null() })?;
    // SAFETY: the result and the node are borrowed from `event`.
    unsafe {
        let result = rd::rd_kafka_event_DescribeCluster_result(event);
        let node = rd::rd_kafka_DescribeCluster_result_controller(result);
        Ok((!node.is_null()).then(|| rd::rd_kafka_Node_id(node)))
    }
}
