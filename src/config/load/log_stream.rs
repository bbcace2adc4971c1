//! The `[log_stream]` table: how followed logs notice a connection that went silent without
//! closing. Every key is optional; the defaults are those of [`LogStreamConfig::default`].

use super::{Parser, Value, join};
use crate::config::model::LogStreamConfig;

/// Keys allowed in `[log_stream]`.
const KEYS: &[&str] = &[
    "pod_idle_ms",
    "loki_ping_ms",
    "loki_pong_timeout_ms",
    "file_poll_ms",
    "file_stall_ms",
];

impl Parser<'_> {
    /// `[log_stream]`; a key that is wrong is reported and keeps its default.
    pub(super) fn log_stream(&mut self, v: &Value<'_>) -> LogStreamConfig {
        let mut out = LogStreamConfig::default();
        let Some(table) = self.table(v, "log_stream") else {
            return out;
        };
        self.check_keys(table, "log_stream", KEYS);
        // Bounds: short enough for tests, long enough that nobody waits an hour for a probe.
        let mut ms = |key: &str, low: u64, high: u64, into: &mut std::time::Duration| {
            let Some(value) = table.get(key) else {
                return;
            };
            let path = join("log_stream", key);
            if let Some(n) = self.integer(value, &path) {
                match u64::try_from(n) {
                    Ok(n) if (low..=high).contains(&n) => {
                        *into = std::time::Duration::from_millis(n);
                    }
                    _ => self.error(
                        value.span(),
                        &path,
                        format!("must be between {low} and {high} milliseconds"),
                    ),
                }
            }
        };
        ms("pod_idle_ms", 100, 3_600_000, &mut out.pod_idle);
        ms("loki_ping_ms", 100, 600_000, &mut out.loki_ping);
        ms(
            "loki_pong_timeout_ms",
            100,
            600_000,
            &mut out.loki_pong_timeout,
        );
        ms("file_poll_ms", 10, 60_000, &mut out.file_poll);
        ms("file_stall_ms", 10, 600_000, &mut out.file_stall);
        if out.loki_pong_timeout <= out.loki_ping {
            self.error(
                v.span(),
                "log_stream.loki_pong_timeout_ms",
                "must be longer than loki_ping_ms (a pong answers a ping)",
            );
            out.loki_pong_timeout = out.loki_ping * 2;
        }
        out
    }
}
