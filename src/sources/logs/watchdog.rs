//! Noticing a followed log connection that went silent without closing.
//!
//! A NAT or a load balancer that forgets a flow sends neither FIN nor RST: the socket stays
//! open and reads simply never complete. Nothing below opsdeck notices on its own:
//! kube-rs 5.0.0 leaves `Config::read_timeout` unset by default (so exec and port-forward
//! sessions are not cut; kube-rs/kube `kube-client/src/config/mod.rs`), builds its hyper
//! client on a plain `HttpConnector` without TCP keepalive and speaks HTTP/1.1 here, so there
//! are no HTTP/2 pings either (`kube-client/src/client/builder.rs`, `make_generic_builder`).
//! Hence the checks at the application level:
//!
//! - **Pod logs**: a stream that sends nothing for [`LogStreamConfig::pod_idle`] may be a quiet
//!   container or a dead connection. The source then asks the API for the same log without
//!   following, from the resume point: when that holds lines the stream has not delivered,
//!   the stream is dead (or far behind) and is reopened from the resume point; when the API
//!   does not answer, likewise. A quiet container costs one small request per idle period.
//! - **Loki tail**: a WebSocket ping every [`LogStreamConfig::loki_ping`]; any frame (a pong,
//!   a ping, lines) proves the peer alive, and none for
//!   [`LogStreamConfig::loki_pong_timeout`] means dead ([`Liveness`]). RFC 6455 §5.5.2: an
//!   endpoint that receives a ping must answer with a pong.
//! - **Local files**: see [`super::follow`].
//!
//! Reconnect notices go through a [`NoticeThrottle`] so a link that keeps dropping does not
//! flood the pane.

use std::time::Duration;

use tokio::time::Instant;

pub use crate::config::LogStreamConfig;

/// What the ping timer of a tail asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Send a ping now.
    Ping,
    /// Nothing was heard within the deadline: the connection is dead.
    Dead,
    /// Nothing to do yet.
    Wait,
}

/// The ping and deadline clock of one WebSocket connection.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    ping_every: Duration,
    deadline: Duration,
    last_heard: Instant,
    next_ping: Instant,
}

impl Liveness {
    /// A connection opened at `now`.
    #[must_use]
    pub fn new(ping_every: Duration, deadline: Duration, now: Instant) -> Self {
        Self {
            ping_every,
            deadline,
            last_heard: now,
            next_ping: now + ping_every,
        }
    }

    /// A frame arrived at `now`.
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// When the timer must look again.
    #[must_use]
    pub fn next_wake(&self) -> Instant {
        self.next_ping.min(self.last_heard + self.deadline)
    }

    /// How long nothing has been heard.
    #[must_use]
    pub fn silent_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_heard)
    }

    /// What to do at `now`.
    pub fn wake(&mut self, now: Instant) -> Wake {
        if now >= self.last_heard + self.deadline {
            Wake::Dead
        } else if now >= self.next_ping {
            self.next_ping = now + self.ping_every;
            Wake::Ping
        } else {
            Wake::Wait
        }
    }
}

/// At most one notice per `every`; the ones held back are counted into the next.
#[derive(Debug, Clone, Copy)]
pub struct NoticeThrottle {
    every: Duration,
    last: Option<Instant>,
    held: u32,
}

impl NoticeThrottle {
    #[must_use]
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: None,
            held: 0,
        }
    }

    /// `Some(held back since the last one)` when a notice may be shown at `now`.
    pub fn allow(&mut self, now: Instant) -> Option<u32> {
        if self.last.is_some_and(|l| now < l + self.every) {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

/// A nanosecond timestamp as the time of day it names, to the millisecond, in UTC
/// (`10:00:01.234 UTC`).
#[must_use]
pub fn clock(ts_ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ts_ns)).map_or_else(
        |_| ts_ns.to_string(),
        |t| t.strftime("%H:%M:%S%.3f UTC").to_string(),
    )
}

/// A duration as people say it: `30s`, `1.5s`, `250ms`.
#[must_use]
pub fn spoken(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `reconnected after 30s of silence; resumed from 10:00:01.234 UTC` (and how many such
/// notices were held back).
#[must_use]
pub fn reconnect_notice(what: &str, silent: Duration, from_ns: Option<i64>, held: u32) -> String {
    let from = from_ns.map_or_else(|| "the start of the window".to_owned(), clock);
    let more = if held > 0 {
        format!(" ({held} more reconnect(s) since the last notice)")
    } else {
        String::new()
    };
    format!(
        "{what}: reconnected after {} of silence; resumed from {from}{more}",
        spoken(silent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_go_out_on_time_and_silence_past_the_deadline_is_death() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut live = Liveness::new(s(10), s(20), t0);
        assert_eq!(live.next_wake(), t0 + s(10));
        assert_eq!(live.wake(t0 + s(5)), Wake::Wait);
        assert_eq!(live.wake(t0 + s(10)), Wake::Ping);
        assert_eq!(live.next_wake(), t0 + s(20));
        // A pong at 11 s moves the deadline to 31 s.
        live.heard(t0 + s(11));
        assert_eq!(live.wake(t0 + s(20)), Wake::Ping);
        assert_eq!(live.next_wake(), t0 + s(30));
        assert_eq!(live.wake(t0 + s(30)), Wake::Ping);
        assert_eq!(live.wake(t0 + s(31)), Wake::Dead);
        assert_eq!(live.silent_for(t0 + s(31)), s(20));
    }

    #[test]
    fn notices_are_throttled_and_count_what_was_held_back() {
        let t0 = Instant::now();
        let mut throttle = NoticeThrottle::new(Duration::from_mins(1));
        assert_eq!(throttle.allow(t0), Some(0));
        assert_eq!(throttle.allow(t0 + Duration::from_secs(1)), None);
        assert_eq!(throttle.allow(t0 + Duration::from_secs(2)), None);
        assert_eq!(throttle.allow(t0 + Duration::from_secs(61)), Some(2));
    }

    #[test]
    fn the_notice_says_how_long_and_from_when() {
        let ts = "2026-11-22T10:00:01.234567Z"
            .parse::<jiff::Timestamp>()
            .unwrap();
        let ns = i64::try_from(ts.as_nanosecond()).unwrap();
        assert_eq!(
            reconnect_notice("cart-a", Duration::from_secs(30), Some(ns), 0),
            "cart-a: reconnected after 30s of silence; resumed from 10:00:01.234 UTC"
        );
        assert_eq!(
            reconnect_notice("tail", Duration::from_millis(1500), None, 2),
            "tail: reconnected after 1.5s of silence; resumed from the start of the window \
             (2 more reconnect(s) since the last notice)"
        );
        assert_eq!(spoken(Duration::from_millis(250)), "250ms");
    }
}
