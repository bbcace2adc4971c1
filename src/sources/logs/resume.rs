//! The duplicate filter of a stream that is resumed from a point in time (pod logs after a cut
//! or a silent connection): which lines were delivered at the resume point, so the lines a
//! resumed request sends again are dropped and no line is lost.
//!
//! A resumed request can only start at a whole *bucket* of time: the Kubernetes log API's
//! `sinceTime` has second precision, so a pod stream resumes from the second of the newest line
//! delivered and the server sends that whole second again. Several lines can share one
//! timestamp (and even one text), so the filter keeps a count per `(timestamp, line)` of the
//! newest bucket and, while a resumed request replays that bucket, drops exactly as many of
//! each as were delivered (stern's `LinesToSkip` in `stern/tail.go`, keyed here by the line as
//! well as by its position, so a replay that differs from the first read cannot drop the wrong
//! line). The replay ends with the first line not already delivered: from there on, every
//! line is new.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

/// A line's identity within its timestamp: a hash of its bytes.
#[must_use]
pub fn line_key(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// What was delivered at the resume point, and the replay of a resumed request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Bucket width in nanoseconds (1 s for the Kubernetes API).
    granularity: i64,
    /// Lines older than this were never asked for (the start of the first request's window):
    /// a replay drops them and a probe does not count them.
    floor: Option<i64>,
    /// The start of the newest bucket a line was delivered in.
    bucket: Option<i64>,
    /// The newest timestamp delivered.
    last: Option<i64>,
    /// How many times each `(timestamp, key)` of the newest bucket was delivered.
    counts: HashMap<(i64, u64), u32>,
    /// While a resumed request replays the bucket: what is left to drop.
    replay: Option<HashMap<(i64, u64), u32>>,
}

impl Seen {
    /// A filter with buckets of `granularity_ns` (at least 1).
    #[must_use]
    pub fn new(granularity_ns: i64) -> Self {
        Self {
            granularity: granularity_ns.max(1),
            floor: None,
            bucket: None,
            last: None,
            counts: HashMap::new(),
            replay: None,
        }
    }

    /// Whole seconds, for the Kubernetes log API.
    #[must_use]
    pub fn per_second() -> Self {
        Self::new(1_000_000_000)
    }

    /// Sets the start of the first request's window (nanoseconds).
    pub fn set_floor(&mut self, floor_ns: i64) {
        self.floor = Some(floor_ns);
    }

    /// Where a resumed request must start (nanoseconds, a bucket boundary): the newest
    /// bucket delivered, else the floor's bucket; `None` before either is known.
    #[must_use]
    pub fn resume_from(&self) -> Option<i64> {
        self.bucket
            .or_else(|| self.floor.map(|f| self.bucket_of(f)))
    }

    /// The newest timestamp delivered.
    #[must_use]
    pub fn last(&self) -> Option<i64> {
        self.last
    }

    fn bucket_of(&self, ts: i64) -> i64 {
        ts.div_euclid(self.granularity) * self.granularity
    }

    /// A resumed request starts: its first lines repeat the newest bucket.
    pub fn begin_replay(&mut self) {
        self.replay = Some(self.counts.clone());
    }

    /// Whether the line at `ts` (nanoseconds) with `key` is new; a new line is recorded.
    pub fn accept(&mut self, ts: i64, key: u64) -> bool {
        let before = self.resume_from();
        let floor = self.floor;
        if let Some(left) = &mut self.replay {
            if before.is_some_and(|b| ts < b) || floor.is_some_and(|f| ts < f) {
                return false;
            }
            if let Some(n) = left.get_mut(&(ts, key))
                && *n > 0
            {
                *n -= 1;
                return false;
            }
            // The first line not delivered before: the replay is over.
            self.replay = None;
        }
        self.record(ts, key);
        true
    }

    fn record(&mut self, ts: i64, key: u64) {
        let bucket = self.bucket_of(ts);
        match self.bucket {
            Some(b) if bucket < b => return, // older than the resume point: nothing to keep
            Some(b) if bucket == b => {}
            _ => {
                self.bucket = Some(bucket);
                self.counts.clear();
            }
        }
        *self.counts.entry((ts, key)).or_insert(0) += 1;
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
    }

    /// How many of `lines` a resumed request would deliver as new (a probe: nothing is
    /// recorded).
    #[must_use]
    pub fn fresh_in(&self, lines: impl IntoIterator<Item = (i64, u64)>) -> usize {
        let mut probe = self.clone();
        probe.begin_replay();
        lines
            .into_iter()
            .filter(|&(ts, key)| probe.accept(ts, key))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn a_replay_drops_exactly_what_was_delivered_at_the_boundary() {
        let mut seen = Seen::per_second();
        let (a, b) = (line_key(b"a"), line_key(b"b"));
        // Three lines in second 10, two of them identical (same time, same text).
        assert!(seen.accept(9 * S + 5, a));
        assert!(seen.accept(10 * S + 1, a));
        assert!(seen.accept(10 * S + 1, a));
        assert!(seen.accept(10 * S + 2, b));
        assert_eq!(seen.resume_from(), Some(10 * S));
        assert_eq!(seen.last(), Some(10 * S + 2));
        seen.begin_replay();
        // The server sends the whole second again, then what is new.
        assert!(!seen.accept(10 * S + 1, a));
        assert!(!seen.accept(10 * S + 1, a));
        assert!(!seen.accept(10 * S + 2, b));
        assert!(seen.accept(10 * S + 3, a), "new in the same second");
        assert!(seen.accept(11 * S, b));
        // Once the replay is over, a repeat is a real line.
        assert!(seen.accept(11 * S, b));
    }

    #[test]
    fn a_third_identical_line_after_the_cut_is_new() {
        let mut seen = Seen::per_second();
        let a = line_key(b"a");
        assert!(seen.accept(10 * S + 1, a));
        assert!(seen.accept(10 * S + 1, a));
        seen.begin_replay();
        assert!(!seen.accept(10 * S + 1, a));
        assert!(!seen.accept(10 * S + 1, a));
        assert!(seen.accept(10 * S + 1, a), "written after the cut");
    }

    #[test]
    fn the_floor_bounds_a_replay_before_anything_was_delivered() {
        let mut seen = Seen::per_second();
        seen.set_floor(10 * S + 500);
        assert_eq!(seen.resume_from(), Some(10 * S));
        seen.begin_replay();
        assert!(!seen.accept(10 * S + 100, line_key(b"old")));
        assert!(seen.accept(10 * S + 600, line_key(b"new")));
    }

    #[test]
    fn a_probe_counts_without_recording() {
        let mut seen = Seen::per_second();
        let a = line_key(b"a");
        assert!(seen.accept(10 * S, a));
        assert_eq!(seen.fresh_in([(10 * S, a)]), 0, "the delivered line only");
        assert_eq!(seen.fresh_in([(10 * S, a), (10 * S + 7, a)]), 1);
        assert_eq!(seen.fresh_in([]), 0);
        // Nothing was recorded by the probes.
        seen.begin_replay();
        assert!(!seen.accept(10 * S, a));
        assert!(seen.accept(10 * S + 7, a));
    }
}
