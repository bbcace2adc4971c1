//! Counts of log lines per time bucket, by level class, for the logs pane's histogram strip
//! (lnav's HIST view, `docs/source/ui.rst` in tstack/lnav: "a stacked bar chart of messages
//! over time classified by their log level"). Pure data, no I/O.
//!
//! The histogram mirrors the ring buffer with one packed `u64` per line (its time in
//! milliseconds, its level class and whether it is counted), so that
//!
//! - a push is O(1) and an eviction subtracts exactly what the evicted line added, even for a
//!   line that had no time of its own (see below) and after the filter changed;
//! - a full rebuild (the shown lines changed: a level toggle, a search) walks 8 bytes per line
//!   instead of the 88-byte lines themselves: about 8 MB for a million lines.
//!
//! Counts are kept at a fine *store* width (a "nice" width, so that at most
//! [`STORE_BUCKETS`] buckets cover the span); a view asks for [`Histogram::view`] with the
//! columns it has and gets a coarser nice width. Every nice width divides the next one, so
//! coarsening adds whole store buckets together, and growing the store width while lines
//! arrive merges buckets without touching the lines.
//!
//! A line without a timestamp counts at the time of the line before it (a stack trace's
//! continuation lines belong to the message above, as lnav treats them); lines before any
//! timed line are left out and counted in [`Histogram::timeless`].

use std::collections::VecDeque;

use super::level::Level;

/// Most buckets kept at the store width; views show far fewer (one per column).
pub const STORE_BUCKETS: usize = 4096;

/// A bucket count or position as a bucket-index offset (counts stay far below `i64::MAX`).
fn offset(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Nice bucket widths in milliseconds, each a multiple of the one before; past the last the
/// width doubles.
const NICE_WIDTHS_MS: &[i64] = &[
    1,
    10,
    100,
    500,
    1_000,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    900_000,
    1_800_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
    28 * 86_400_000,
];

/// The smallest nice width (ms) at least `min_ms`.
#[must_use]
pub fn nice_width(min_ms: i64) -> i64 {
    if let Some(&w) = NICE_WIDTHS_MS.iter().find(|&&w| w >= min_ms) {
        return w;
    }
    let mut w = NICE_WIDTHS_MS[NICE_WIDTHS_MS.len() - 1];
    while w < min_ms && w < i64::MAX / 2 {
        w *= 2;
    }
    w
}

/// The smallest nice width (ms) that covers `first..=last` (ms) in at most `buckets` buckets
/// aligned on multiples of the width.
#[must_use]
pub fn width_for_span(first: i64, last: i64, buckets: usize) -> i64 {
    let buckets = i64::try_from(buckets.max(1)).unwrap_or(i64::MAX);
    let mut w = nice_width(last.saturating_sub(first) / buckets);
    while last.div_euclid(w) - first.div_euclid(w) + 1 > buckets {
        w = nice_width(w + 1);
    }
    w
}

/// A width as people write it: `500ms`, `5s`, `15m`, `3h`, `7d`.
#[must_use]
pub fn width_label(ms: i64) -> String {
    const UNITS: &[(i64, &str)] = &[
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for &(unit, name) in UNITS {
        if ms >= unit && ms % unit == 0 {
            return format!("{}{name}", ms / unit);
        }
    }
    format!("{ms}ms")
}

/// Which stack of a bucket a line adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelClass {
    /// Error and fatal.
    Error,
    Warn,
    /// Info, debug, trace and lines without a level.
    Other,
}

impl LevelClass {
    #[must_use]
    pub fn of(level: Option<Level>) -> Self {
        match level {
            Some(Level::Error | Level::Fatal) => Self::Error,
            Some(Level::Warn) => Self::Warn,
            _ => Self::Other,
        }
    }
}

/// Lines of one bucket, by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub error: u32,
    pub warn: u32,
    pub other: u32,
}

impl Counts {
    #[must_use]
    pub fn total(self) -> u32 {
        self.error + self.warn + self.other
    }

    fn slot(&mut self, class: LevelClass) -> &mut u32 {
        match class {
            LevelClass::Error => &mut self.error,
            LevelClass::Warn => &mut self.warn,
            LevelClass::Other => &mut self.other,
        }
    }

    fn add(&mut self, other: Self) {
        self.error += other.error;
        self.warn += other.warn;
        self.other += other.other;
    }
}

// One line's entry: bits 0-1 class, bit 2 counted, bit 3 excluded for good (a stream marker),
// bit 4 has a time (own or inherited), bit 5 the time is inherited; bits 8.. the time in ms
// (signed, 56 bits: ±1 million years).
const CLASS_MASK: u64 = 0b11;
const COUNTED: u64 = 1 << 2;
const EXCLUDED: u64 = 1 << 3;
const TIMED: u64 = 1 << 4;
const INHERITED: u64 = 1 << 5;
const TIME_SHIFT: u32 = 8;

fn pack(ms: Option<i64>, class: LevelClass, flags: u64) -> u64 {
    let class = match class {
        LevelClass::Error => 0,
        LevelClass::Warn => 1,
        LevelClass::Other => 2,
    };
    let time = ms.map_or(0, |ms| {
        // Wrapping on purpose: the shift drops the top 8 bits, and times past ±2^55 ms do not
        // occur (jiff's own range is far smaller).
        #[expect(
            clippy::cast_sign_loss,
            reason = "two's complement packing, undone in `time`"
        )]
        let bits = (ms as u64) << TIME_SHIFT;
        bits | TIMED
    });
    time | class | flags
}

fn class(entry: u64) -> LevelClass {
    match entry & CLASS_MASK {
        0 => LevelClass::Error,
        1 => LevelClass::Warn,
        _ => LevelClass::Other,
    }
}

fn time(entry: u64) -> Option<i64> {
    #[expect(
        clippy::cast_possible_wrap,
        reason = "two's complement unpacking of `pack`"
    )]
    let ms = (entry as i64) >> TIME_SHIFT;
    (entry & TIMED != 0).then_some(ms)
}

/// The counts of a buffer's lines per bucket, kept in step with the buffer (see the module
/// doc).
#[derive(Debug, Clone)]
pub struct Histogram {
    /// One entry per line held, oldest first; `entries[i]` is the line `first_seq + i`.
    entries: VecDeque<u64>,
    first_seq: u64,
    /// Most entries held, as the ring's capacity (growth stays within it).
    capacity: usize,
    /// Store width (ms) and the index (time / width) of `buckets[0]`.
    width: i64,
    first_bucket: i64,
    buckets: VecDeque<Counts>,
    /// Time of the newest timed line pushed, which untimed lines inherit.
    last_time: Option<i64>,
    /// Counted lines without a time to count at (before any timed line).
    timeless: u64,
    /// Counted lines that inherited their time.
    inherited: u64,
}

impl Histogram {
    /// An empty histogram for a buffer of `capacity` lines.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            first_seq: 0,
            capacity: capacity.max(1),
            width: 1,
            first_bucket: 0,
            buckets: VecDeque::new(),
            last_time: None,
            timeless: 0,
            inherited: 0,
        }
    }

    /// Records the line the buffer just numbered `seq` (sequence numbers come in order; a gap
    /// after [`Self::clear`] is fine). `counted`: whether the line is shown now; `marker`:
    /// never counted (a stream marker).
    pub fn push(
        &mut self,
        seq: u64,
        ms: Option<i64>,
        level: Option<Level>,
        counted: bool,
        marker: bool,
    ) {
        if self.entries.is_empty() {
            self.first_seq = seq;
        }
        let class = LevelClass::of(level);
        let (ms, inherited) = match ms {
            Some(ms) => {
                self.last_time = Some(ms);
                (Some(ms), 0)
            }
            None => (self.last_time, INHERITED),
        };
        let mut flags = inherited;
        if marker {
            flags |= EXCLUDED;
        } else if counted {
            flags |= COUNTED;
        }
        let entry = pack(ms, class, flags);
        if self.entries.len() == self.entries.capacity() {
            // Grow by hand, as the ring does, so a full buffer never reserves twice its size.
            let len = self.entries.len();
            let room = len.max(1024).min(self.capacity.saturating_sub(len).max(1));
            self.entries.reserve_exact(room);
        }
        self.entries.push_back(entry);
        if flags & COUNTED != 0 {
            self.count(entry, true);
        }
    }

    /// Forgets the entries of lines the buffer evicted (sequence numbers below `first_seq`).
    pub fn evict_before(&mut self, first_seq: u64) {
        while self.first_seq < first_seq {
            let Some(entry) = self.entries.pop_front() else {
                self.first_seq = first_seq;
                break;
            };
            self.first_seq += 1;
            if entry & COUNTED != 0 {
                self.count(entry, false);
            }
        }
        self.trim();
    }

    /// Forgets everything (the buffer was cleared).
    pub fn clear(&mut self) {
        *self = Self::new(self.capacity);
    }

    /// Counts again from scratch: every line but markers when `shown` is `None`, else exactly
    /// the lines whose sequence numbers `shown` lists (ascending). Chooses the store width
    /// from the span of what is counted.
    pub fn rebuild(&mut self, shown: Option<&[u64]>) {
        self.buckets.clear();
        self.timeless = 0;
        self.inherited = 0;
        let mut shown = shown.map(|s| s.iter().copied().peekable());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (seq, entry) in (self.first_seq..).zip(self.entries.iter_mut()) {
            let counted = *entry & EXCLUDED == 0
                && match shown.as_mut() {
                    None => true,
                    Some(it) => {
                        while it.next_if(|&s| s < seq).is_some() {}
                        it.peek() == Some(&seq)
                    }
                };
            if counted {
                *entry |= COUNTED;
                if let Some(ms) = time(*entry) {
                    lo = lo.min(ms);
                    hi = hi.max(ms);
                }
            } else {
                *entry &= !COUNTED;
            }
        }
        if lo > hi {
            // Nothing timed: only the untimed tallies.
            self.width = 1;
            self.first_bucket = 0;
        } else {
            self.width = width_for_span(lo, hi, STORE_BUCKETS);
            self.first_bucket = lo.div_euclid(self.width);
            let len =
                usize::try_from(hi.div_euclid(self.width) - self.first_bucket + 1).unwrap_or(0);
            self.buckets.resize(len, Counts::default());
        }
        let (width, first) = (self.width, self.first_bucket);
        for &entry in &self.entries {
            if entry & COUNTED == 0 {
                continue;
            }
            match time(entry) {
                Some(ms) => {
                    let i = usize::try_from(ms.div_euclid(width) - first).unwrap_or(usize::MAX);
                    if let Some(b) = self.buckets.get_mut(i) {
                        *b.slot(class(entry)) += 1;
                    }
                    if entry & INHERITED != 0 {
                        self.inherited += 1;
                    }
                }
                None => self.timeless += 1,
            }
        }
    }

    /// Adds (or removes) one counted entry.
    fn count(&mut self, entry: u64, add: bool) {
        let Some(ms) = time(entry) else {
            self.timeless = if add {
                self.timeless + 1
            } else {
                self.timeless.saturating_sub(1)
            };
            return;
        };
        if entry & INHERITED != 0 {
            self.inherited = if add {
                self.inherited + 1
            } else {
                self.inherited.saturating_sub(1)
            };
        }
        let class = class(entry);
        if add {
            let i = self.bucket_for(ms);
            *self.buckets[i].slot(class) += 1;
        } else {
            let index = ms.div_euclid(self.width) - self.first_bucket;
            if let Some(b) = usize::try_from(index)
                .ok()
                .and_then(|i| self.buckets.get_mut(i))
            {
                let slot = b.slot(class);
                *slot = slot.saturating_sub(1);
            }
        }
    }

    /// The store position of `ms`, growing the buckets (and the width, when the span would
    /// need more than [`STORE_BUCKETS`]) to hold it.
    fn bucket_for(&mut self, ms: i64) -> usize {
        if self.buckets.is_empty() {
            self.width = self.width.max(1);
            self.first_bucket = ms.div_euclid(self.width);
            self.buckets.push_back(Counts::default());
            return 0;
        }
        loop {
            let index = ms.div_euclid(self.width);
            let last = self.first_bucket + offset(self.buckets.len()) - 1;
            let lo = index.min(self.first_bucket);
            let hi = index.max(last);
            if usize::try_from(hi - lo + 1).is_ok_and(|n| n <= STORE_BUCKETS) {
                while index < self.first_bucket {
                    self.buckets.push_front(Counts::default());
                    self.first_bucket -= 1;
                }
                while index > self.first_bucket + offset(self.buckets.len()) - 1 {
                    self.buckets.push_back(Counts::default());
                }
                return usize::try_from(index - self.first_bucket).unwrap_or(0);
            }
            self.coarsen(nice_width(self.width + 1));
        }
    }

    /// Merges the store buckets into a wider nice width (a multiple of the current one).
    fn coarsen(&mut self, width: i64) {
        let factor = width / self.width;
        let mut merged: VecDeque<Counts> = VecDeque::new();
        let first = self.first_bucket.div_euclid(factor);
        for (i, counts) in (self.first_bucket..).zip(self.buckets.drain(..)) {
            let j = usize::try_from(i.div_euclid(factor) - first).unwrap_or(0);
            if merged.len() <= j {
                merged.resize(j + 1, Counts::default());
            }
            merged[j].add(counts);
        }
        self.width = width;
        self.first_bucket = first;
        self.buckets = merged;
    }

    /// Drops empty buckets at both ends (after evictions).
    fn trim(&mut self) {
        while self.buckets.front().is_some_and(|c| c.total() == 0) {
            self.buckets.pop_front();
            self.first_bucket += 1;
        }
        while self.buckets.back().is_some_and(|c| c.total() == 0) {
            self.buckets.pop_back();
        }
    }

    /// The time (ms) a line counts at: its own, or the one it inherited; `None` when it has
    /// none or is no longer held.
    #[must_use]
    pub fn time_of(&self, seq: u64) -> Option<i64> {
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.entries.get(i).copied().and_then(time)
    }

    /// Counted lines with no time to count at.
    #[must_use]
    pub fn timeless(&self) -> u64 {
        self.timeless
    }

    /// Counted lines that count at the time of the line before them.
    #[must_use]
    pub fn inherited(&self) -> u64 {
        self.inherited
    }

    /// The store width (ms).
    #[must_use]
    pub fn store_width(&self) -> i64 {
        self.width
    }

    /// The counts at the smallest nice width that fits the span into `columns` buckets.
    #[must_use]
    pub fn view(&self, columns: usize) -> HistView {
        let Some(last) = self.buckets.len().checked_sub(1) else {
            return HistView {
                width: self.width,
                first: 0,
                buckets: Vec::new(),
            };
        };
        let lo = self.first_bucket * self.width;
        let hi = (self.first_bucket + offset(last)) * self.width;
        let width = width_for_span(lo, hi, columns).max(self.width);
        let factor = width / self.width;
        let first = self.first_bucket.div_euclid(factor);
        let len =
            usize::try_from((self.first_bucket + offset(last)).div_euclid(factor) - first + 1)
                .unwrap_or(0);
        let mut buckets = vec![Counts::default(); len];
        for (i, counts) in (self.first_bucket..).zip(&self.buckets) {
            if let Some(b) = usize::try_from(i.div_euclid(factor) - first)
                .ok()
                .and_then(|j| buckets.get_mut(j))
            {
                b.add(*counts);
            }
        }
        HistView {
            width,
            first,
            buckets,
        }
    }
}

/// Counts per bucket at one width, for drawing: bucket `i` covers
/// `(first + i) * width .. (first + i + 1) * width` milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistView {
    pub width: i64,
    pub first: i64,
    pub buckets: Vec<Counts>,
}

impl HistView {
    /// Start (ms) of bucket `i`.
    #[must_use]
    pub fn start(&self, i: usize) -> i64 {
        (self.first + offset(i)) * self.width
    }

    /// The bucket holding `ms`, if it is in range.
    #[must_use]
    pub fn index_of(&self, ms: i64) -> Option<usize> {
        let i = usize::try_from(ms.div_euclid(self.width) - self.first).ok()?;
        (i < self.buckets.len()).then_some(i)
    }

    /// The bucket nearest `ms` (clamped into range); `None` when there are no buckets.
    #[must_use]
    pub fn nearest(&self, ms: i64) -> Option<usize> {
        let last = self.buckets.len().checked_sub(1)?;
        let i = ms.div_euclid(self.width) - self.first;
        Some(usize::try_from(i.max(0)).unwrap_or(0).min(last))
    }

    /// The largest bucket total.
    #[must_use]
    pub fn max(&self) -> u32 {
        self.buckets.iter().map(|c| c.total()).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000;

    fn hist(lines: &[(Option<i64>, Option<Level>)]) -> Histogram {
        let mut h = Histogram::new(100);
        for (seq, (ms, level)) in (0..).zip(lines) {
            h.push(seq, *ms, *level, true, false);
        }
        h
    }

    #[test]
    fn nice_widths_grow_and_divide_each_other() {
        for pair in NICE_WIDTHS_MS.windows(2) {
            assert_eq!(pair[1] % pair[0], 0, "{pair:?}");
        }
        assert_eq!(nice_width(0), 1);
        assert_eq!(nice_width(2_000), 5_000);
        assert_eq!(nice_width(40_000), 60_000);
        assert_eq!(nice_width(50 * 86_400_000), 56 * 86_400_000);
        assert_eq!(width_label(500), "500ms");
        assert_eq!(width_label(5_000), "5s");
        assert_eq!(width_label(900_000), "15m");
        assert_eq!(width_label(3_600_000), "1h");
        assert_eq!(width_label(7 * 86_400_000), "7d");
        // 10 minutes into 60 columns: 10 s buckets (61 would be needed when unaligned).
        let w = width_for_span(0, 600 * S - 1, 60);
        assert_eq!(w, 10 * S);
        let w = width_for_span(5 * S, 605 * S, 60);
        assert_eq!(
            w,
            30 * S,
            "601 s starting mid-bucket need 61 buckets of 10 s"
        );
    }

    #[test]
    fn stacked_counts_per_bucket_and_view_widths() {
        let h = hist(&[
            (Some(0), Some(Level::Error)),
            (Some(100), Some(Level::Warn)),
            (Some(200), Some(Level::Info)),
            (Some(S), Some(Level::Fatal)),
            (Some(59 * S), None),
            (Some(61 * S), Some(Level::Debug)),
        ]);
        let v = h.view(2);
        assert_eq!(v.width, 60 * S);
        assert_eq!(
            v.buckets,
            [
                Counts {
                    error: 2,
                    warn: 1,
                    other: 2
                },
                Counts {
                    error: 0,
                    warn: 0,
                    other: 1
                },
            ]
        );
        let v = h.view(80);
        assert_eq!(v.width, S);
        assert_eq!(v.buckets.len(), 62);
        assert_eq!(
            v.buckets[0],
            Counts {
                error: 1,
                warn: 1,
                other: 1
            }
        );
        assert_eq!(v.max(), 3);
        assert_eq!(v.index_of(61 * S + 5), Some(61));
        assert_eq!(v.index_of(62 * S), None);
        assert_eq!(v.nearest(-5), Some(0));
        assert_eq!(v.start(2), 2 * S);
    }

    #[test]
    fn lines_without_time_count_at_the_line_before() {
        let h = hist(&[
            (None, Some(Level::Error)),
            (Some(10 * S), Some(Level::Error)),
            (None, None),
            (None, Some(Level::Warn)),
        ]);
        assert_eq!(h.timeless(), 1, "nothing before it to inherit from");
        assert_eq!(h.inherited(), 2);
        assert_eq!(h.time_of(3), Some(10 * S));
        assert_eq!(h.time_of(0), None);
        let v = h.view(10);
        assert_eq!(
            v.buckets,
            [Counts {
                error: 1,
                warn: 1,
                other: 1
            }]
        );
    }

    #[test]
    fn eviction_subtracts_exactly_what_was_added() {
        let mut h = hist(&[
            (Some(0), Some(Level::Error)),
            (None, Some(Level::Error)),
            (Some(5 * S), Some(Level::Info)),
            (Some(9 * S), Some(Level::Warn)),
        ]);
        h.evict_before(2);
        let v = h.view(100);
        assert_eq!(
            v.first * v.width,
            5 * S,
            "the empty buckets in front are trimmed"
        );
        assert_eq!(
            v.buckets.first(),
            Some(&Counts {
                error: 0,
                warn: 0,
                other: 1
            })
        );
        assert_eq!(v.buckets.iter().map(|c| c.error).sum::<u32>(), 0);
        assert_eq!(h.inherited(), 0);
        assert_eq!(h.time_of(1), None, "evicted");
        h.evict_before(10);
        assert_eq!(h.view(10).buckets, []);
        h.push(10, Some(S), None, true, false);
        assert_eq!(h.time_of(10), Some(S));
    }

    #[test]
    fn rebuild_counts_only_the_shown_lines_and_never_markers() {
        let mut h = Histogram::new(100);
        h.push(0, Some(0), Some(Level::Error), true, false);
        h.push(1, Some(S), Some(Level::Info), true, false);
        h.push(2, Some(2 * S), None, true, true);
        h.push(3, Some(3 * S), Some(Level::Warn), true, false);
        let total = |h: &Histogram| h.view(100).buckets.iter().map(|c| c.total()).sum::<u32>();
        assert_eq!(total(&h), 3);
        h.rebuild(Some(&[0, 2, 3]));
        assert_eq!(total(&h), 2);
        h.evict_before(1);
        assert_eq!(
            total(&h),
            1,
            "the evicted error was counted; the info was not"
        );
        h.rebuild(None);
        assert_eq!(total(&h), 2);
        let v = h.view(100);
        assert_eq!(
            v.buckets.first(),
            Some(&Counts {
                error: 0,
                warn: 0,
                other: 1
            })
        );
    }

    #[test]
    fn incremental_matches_rebuild_across_width_growth() {
        let mut h = Histogram::new(100_000);
        // A day of lines, out of order now and then: the store width grows as they come.
        for (seq, i) in (0..20_000_i64).enumerate() {
            let seq = seq as u64;
            let ms = i * 4_321 + if i % 7 == 0 { -50_000 } else { 0 };
            let level = match i % 5 {
                0 => Some(Level::Error),
                1 => Some(Level::Warn),
                _ => None,
            };
            h.push(seq, (i % 11 != 0).then_some(ms), level, true, false);
        }
        h.evict_before(5_000);
        let incremental = h.view(60);
        assert!(h.store_width() > 1);
        h.rebuild(None);
        assert_eq!(h.view(60), incremental);
        assert!(incremental.buckets.len() <= 60);
        assert_eq!(width_label(incremental.width), "30m");
    }

    #[test]
    fn packing_round_trips_negative_and_large_times() {
        for ms in [0, -1, -86_400_000, 1_800_000_000_000, 253_402_300_799_000] {
            let e = pack(Some(ms), LevelClass::Warn, COUNTED);
            assert_eq!(time(e), Some(ms));
            assert_eq!(class(e), LevelClass::Warn);
            assert_ne!(e & COUNTED, 0);
        }
        assert_eq!(time(pack(None, LevelClass::Other, 0)), None);
    }
}
