//! How the log sources read a [`LogTarget::window`]: Loki's `query_range` bounds (and
//! whether to follow live afterwards), and the `since` a pod stream starts from.

use std::time::Duration;

use jiff::Timestamp;

use super::LogTarget;
use crate::model::window::TimeWindow;

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(if t < Timestamp::UNIX_EPOCH {
        0
    } else {
        i64::MAX
    })
}

/// `[start, end)` in nanoseconds for Loki's history, and whether to follow with the tail:
/// the target's window (live only when it reaches now; an absolute window that ends in the
/// future is clipped to now and followed), else the last `default_span`.
#[must_use]
pub fn loki_range(target: &LogTarget, default_span: Duration, now: Timestamp) -> (i64, i64, bool) {
    let window = target.window.unwrap_or(TimeWindow::Last(default_span));
    let (from, to) = window.resolve(now);
    let live = window.is_live() || to > now;
    let end = ns(to.min(now));
    (ns(from), end, live)
}

/// How far back a pod stream must start to cover `window` (Kubernetes takes only
/// `sinceSeconds` or `sinceTime`, both up to now): the window's span, or for an absolute
/// window the time since its start (the pane drops lines after its end).
#[must_use]
pub fn pod_since(window: TimeWindow, now: Timestamp) -> Duration {
    let (from, _) = window.resolve(now);
    let secs = from.duration_until(now).as_secs().max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loki_ranges_follow_the_window() {
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let mut target = LogTarget::default();
        let (s, e, live) = loki_range(&target, Duration::from_mins(15), now);
        assert_eq!(e - s, 15 * 60 * 1_000_000_000);
        assert!(live);
        target.window = Some(TimeWindow::parse("2026-12-07 10:00..11:00", now).unwrap());
        let (s, e, live) = loki_range(&target, Duration::from_mins(15), now);
        assert_eq!(s, ns("2026-12-07T10:00:00Z".parse().unwrap()));
        assert_eq!(e, ns("2026-12-07T11:00:00Z".parse().unwrap()));
        assert!(!live, "a past window is read once");
        target.window = Some(TimeWindow::parse("2026-12-07 11:00..13:00", now).unwrap());
        let (_, e, live) = loki_range(&target, Duration::from_mins(15), now);
        assert_eq!(e, ns(now));
        assert!(live, "a window reaching past now follows");
        assert_eq!(
            pod_since(
                TimeWindow::parse("2026-12-07 10:00..11:00", now).unwrap(),
                now
            ),
            Duration::from_hours(2)
        );
    }
}
