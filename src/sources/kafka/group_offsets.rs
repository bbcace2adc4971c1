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
use std::ffi::{CStr, CString, c_char};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

/// Frees what it holds on every return path.
struct Guard {
    queue: *mut rd::rd_kafka_queue_t,
    options: *mut rd::rd_kafka_AdminOptions_t,
    request: *mut rd::rd_kafka_ListConsumerGroupOffsets_t,
    event: *mut rd::rd_kafka_event_t,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: each pointer is null or was returned by its librdkafka constructor in
        // `list_group_offsets`, and is destroyed exactly once, here.
        unsafe {
            if !self.event.is_null() {
                rd::rd_kafka_event_destroy(self.event);
            }
            if !self.request.is_null() {
                rd::rd_kafka_ListConsumerGroupOffsets_destroy(self.request);
            }
            if !self.options.is_null() {
                rd::rd_kafka_AdminOptions_destroy(self.options);
            }
            if !self.queue.is_null() {
                rd::rd_kafka_queue_destroy(self.queue);
            }
        }
    }
}

fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: librdkafka returns NUL-terminated strings that live as long as the object
    // they came from, which the caller still holds.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Every committed offset of `group`, keyed by (topic, partition). Partitions the group
/// never committed to are absent. Blocking: call it from `spawn_blocking`.
pub fn list_group_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    timeout: Duration,
) -> Result<BTreeMap<(String, i32), i64>, String> {
    let rk = client.native_ptr();
    let c_group = CString::new(group).map_err(|_| format!("{group:?} contains a NUL byte"))?;
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let mut g = Guard {
        queue: std::ptr::null_mut(),
        options: std::ptr::null_mut(),
        request: std::ptr::null_mut(),
        event: std::ptr::null_mut(),
    };
    // SAFETY: `rk` is the live handle of `client`, borrowed for the whole call; the
    // constructors return owned objects the guard frees; librdkafka copies the group name;
    // a null partition list asks for every committed partition.
    unsafe {
        g.queue = rd::rd_kafka_queue_new(rk);
        g.options = rd::rd_kafka_AdminOptions_new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        );
        g.request = rd::rd_kafka_ListConsumerGroupOffsets_new(c_group.as_ptr(), std::ptr::null());
    }
    if g.queue.is_null() || g.options.is_null() || g.request.is_null() {
        return Err("list group offsets: librdkafka could not allocate".into());
    }
    let mut errstr = [0 as c_char; 256];
    // SAFETY: `options` is live; `errstr` is a writable buffer of the size passed.
    let err = unsafe {
        rd::rd_kafka_AdminOptions_set_request_timeout(
            g.options,
            timeout_ms,
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Err(format!("list group offsets: {}", text(errstr.as_ptr())));
    }
    let mut requests = [g.request];
    // SAFETY: every pointer is live; librdkafka copies the request and options and posts
    // its one result event on `queue`, which we own.
    unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets(
            rk,
            requests.as_mut_ptr(),
            requests.len(),
            g.options,
            g.queue,
        );
    }
    let deadline = Instant::now() + timeout + Duration::from_secs(1);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("list group offsets: no answer in time".into());
        }
        let wait = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `queue` is live; the returned event (if any) is owned by us.
        let event = unsafe { rd::rd_kafka_queue_poll(g.queue, wait) };
        if event.is_null() {
            continue;
        }
        // SAFETY: `event` lives until the guard destroys it; the result, group results and
        // partition lists it returns are borrowed from it and read before that.
        unsafe {
            if !g.event.is_null() {
                rd::rd_kafka_event_destroy(g.event);
            }
            g.event = event;
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event);
            if result.is_null() {
                continue;
            }
            if rd::rd_kafka_event_error(event)
                != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            {
                return Err(format!(
                    "list group offsets: {}",
                    text(rd::rd_kafka_event_error_string(event))
                ));
            }
            let mut n = 0usize;
            let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut n);
            let mut out = BTreeMap::new();
            for i in 0..n {
                let group_result = *groups.add(i);
                let error = rd::rd_kafka_group_result_error(group_result);
                if !error.is_null() {
                    return Err(format!(
                        "list group offsets: {}",
                        text(rd::rd_kafka_error_string(error))
                    ));
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
                    if p.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0
                    {
                        out.insert((text(p.topic), p.partition), p.offset);
                    }
                }
            }
            return Ok(out);
        }
    }
}
