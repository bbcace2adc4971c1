//! One librdkafka admin request made through `rdkafka::bindings`, for the calls rust-rdkafka
//! 0.39 does not wrap (`IncrementalAlterConfigs`, ListConsumerGroupOffsets): a private queue
//! and admin options with the request timeout, freed on every return path, and the wait for
//! the one result event. Callers build and submit their own request objects.
//!
//! Freeing the queue and options while the request is still pending is safe: librdkafka
//! copies the options and keeps its own reference on the reply queue, and a reply to a
//! destroyed queue is discarded (`rd_kafka_admin_request_op_new`, `rd_kafka_q_enq1`).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;

/// A NUL-terminated string from librdkafka, copied (empty for null).
pub fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: librdkafka returns NUL-terminated strings that live as long as the object
    // they came from, which the caller still holds.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// A Rust string as a C string for librdkafka (which copies it).
pub fn cstring(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{s:?} contains a NUL byte"))
}

/// Why an admin request gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No answer by opsdeck's deadline: the request may still be pending in librdkafka.
    Abandoned(String),
    /// librdkafka or the broker answered with an error (its own timeout included).
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Abandoned(m) | Self::Failed(m) => f.write_str(m),
        }
    }
}

impl From<CallError> for String {
    fn from(e: CallError) -> Self {
        e.to_string()
    }
}

/// The queue, options and result event of one admin request.
pub struct AdminCall {
    what: &'static str,
    /// How long [`AdminCall::wait`] waits for the result.
    wait: Duration,
    pub queue: *mut rd::rd_kafka_queue_t,
    pub options: *mut rd::rd_kafka_AdminOptions_t,
    event: *mut rd::rd_kafka_event_t,
}

impl Drop for AdminCall {
    fn drop(&mut self) {
        // SAFETY: each pointer is null or was returned by its librdkafka constructor in
        // `AdminCall::new`/`wait`, and is destroyed exactly once, here.
        unsafe {
            if !self.event.is_null() {
                rd::rd_kafka_event_destroy(self.event);
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

impl AdminCall {
    /// A queue and options for `op` on the client `rk`, with `request_timeout` as
    /// librdkafka's request timeout; [`AdminCall::wait`] gives up after `wait`. `what` names
    /// the call in errors.
    pub fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        request_timeout: Duration,
        wait: Duration,
        what: &'static str,
    ) -> Result<Self, String> {
        let mut call = Self {
            what,
            wait,
            queue: std::ptr::null_mut(),
            options: std::ptr::null_mut(),
            event: std::ptr::null_mut(),
        };
        // SAFETY: `rk` is a live client handle the caller borrows for the whole call; the
        // returned objects are owned by `call`, which frees them.
        unsafe {
            call.queue = rd::rd_kafka_queue_new(rk);
            call.options = rd::rd_kafka_AdminOptions_new(rk, op);
        }
        if call.queue.is_null() || call.options.is_null() {
            return Err(format!("{what}: librdkafka could not allocate"));
        }
        let timeout_ms = i32::try_from(request_timeout.as_millis()).unwrap_or(i32::MAX);
        let mut errstr = [0 as c_char; 256];
        // SAFETY: `options` is live; `errstr` is a writable buffer of the size passed.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                call.options,
                timeout_ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(format!("{what}: {}", text(errstr.as_ptr())));
        }
        Ok(call)
    }

    /// Waits for the request's result event (the one `is_result` recognises) and checks its
    /// request-level error. The event stays owned by the call, so what it returns may be
    /// read until the call is dropped.
    pub fn wait(
        &mut self,
        is_result: impl Fn(*mut rd::rd_kafka_event_t) -> bool,
    ) -> Result<*mut rd::rd_kafka_event_t, CallError> {
        let deadline = Instant::now() + self.wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CallError::Abandoned(format!(
                    "{}: timed out, no answer within {:.1} s",
                    self.what,
                    self.wait.as_secs_f64()
                )));
            }
            let wait = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
            // SAFETY: `queue` is live; a returned event is owned by us and kept in
            // `self.event` (the previous one destroyed) so the guard frees it.
            unsafe {
                let event = rd::rd_kafka_queue_poll(self.queue, wait);
                if event.is_null() {
                    continue;
                }
                if !self.event.is_null() {
                    rd::rd_kafka_event_destroy(self.event);
                }
                self.event = event;
                if !is_result(event) {
                    continue;
                }
                if rd::rd_kafka_event_error(event)
                    != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                {
                    return Err(CallError::Failed(format!(
                        "{}: {}",
                        self.what,
                        text(rd::rd_kafka_event_error_string(event))
                    )));
                }
                return Ok(event);
            }
        }
    }
}
