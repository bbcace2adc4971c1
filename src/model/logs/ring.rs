//! The bounded buffer of recent log lines.
//!
//! Memory stays bounded by a line count: when full, each push evicts the oldest line and
//! counts it in [`LogBuffer::dropped`]. Every line gets a sequence number that is never reused,
//! so a view that remembers "line 123 456" still finds it (or learns it was evicted) after
//! thousands of pushes, instead of silently sliding to another line as a plain index would.

use std::collections::VecDeque;

use super::line::LogLine;

/// Lines kept when no capacity is configured.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A ring of the most recent lines, addressed by position (0 is the oldest kept line) or by
/// sequence number.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Sequence number the next pushed line gets.
    next_seq: u64,
    dropped: u64,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// An empty buffer that keeps at most `capacity` lines (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
            dropped: 0,
        }
    }

    /// Appends a line, evicting the oldest when full. Returns the sequence number given to it.
    pub fn push(&mut self, mut line: LogLine) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        line.set_seq(seq);
        if self.lines.len() >= self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        } else if self.lines.len() == self.lines.capacity() {
            // Grow by hand: VecDeque's doubling could reserve almost twice the configured
            // capacity, and at a million lines each slot is 88 bytes.
            let len = self.lines.len();
            let room = len.max(1024).min(self.capacity - len);
            self.lines.reserve_exact(room);
        }
        self.lines.push_back(line);
        seq
    }

    /// Appends many lines; see [`Self::push`].
    pub fn extend(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for line in lines {
            self.push(line);
        }
    }

    /// Number of lines held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Most lines held at once.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity; shrinking evicts the oldest lines (and counts them as dropped).
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.shrink_to(self.capacity);
    }

    /// How many lines have been evicted to stay within capacity, ever.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sequence number of the oldest line held (or of the next line, when empty).
    #[must_use]
    pub fn first_seq(&self) -> u64 {
        self.next_seq - self.lines.len() as u64
    }

    /// Sequence number the next pushed line will get.
    #[must_use]
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The line at `position` (0 = oldest held).
    #[must_use]
    pub fn get(&self, position: usize) -> Option<&LogLine> {
        self.lines.get(position)
    }

    /// The line with sequence number `seq`, if it is still held.
    #[must_use]
    pub fn get_seq(&self, seq: u64) -> Option<&LogLine> {
        self.position_of(seq)
            .and_then(|position| self.lines.get(position))
    }

    /// Current position of the line with sequence number `seq`, if still held. Positions
    /// shift as lines are evicted; sequence numbers do not.
    #[must_use]
    pub fn position_of(&self, seq: u64) -> Option<usize> {
        let offset = seq.checked_sub(self.first_seq())?;
        let position = usize::try_from(offset).ok()?;
        (position < self.lines.len()).then_some(position)
    }

    /// Where a view anchored at `seq` should be now: the line's position, or 0 when it has
    /// been evicted (the view then shows the oldest line held).
    #[must_use]
    pub fn position_at_or_after(&self, seq: u64) -> usize {
        let offset = seq.saturating_sub(self.first_seq());
        usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.lines.len())
    }

    /// Oldest to newest.
    #[must_use]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Lines from position `start` on (an empty iterator when past the end).
    #[must_use]
    pub fn iter_from(&self, start: usize) -> impl DoubleEndedIterator<Item = &LogLine> {
        self.lines.range(start.min(self.lines.len())..)
    }

    /// Lines at `positions`, clamped to what is held.
    #[must_use]
    pub fn range(
        &self,
        positions: std::ops::Range<usize>,
    ) -> impl DoubleEndedIterator<Item = &LogLine> {
        let end = positions.end.min(self.lines.len());
        self.lines.range(positions.start.min(end)..end)
    }

    /// Removes every line; sequence numbers keep counting so old anchors stay invalid.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    /// Approximate bytes owned: the slots and each line's text. For a status line and for
    /// checking the memory target; the allocator may round each allocation up.
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<LogLine>()
            + self.lines.iter().map(LogLine::heap_bytes).sum::<usize>()
    }
}

impl<'a> IntoIterator for &'a LogBuffer {
    type Item = &'a LogLine;
    type IntoIter = std::collections::vec_deque::Iter<'a, LogLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.lines.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::logs::parse_line;

    fn line(text: &str) -> LogLine {
        parse_line(text.as_bytes(), Arc::from("src"))
    }

    #[test]
    fn pushes_assign_increasing_sequence_numbers() {
        let mut buffer = LogBuffer::new(10);
        assert!(buffer.is_empty());
        assert_eq!(buffer.push(line("a")), 0);
        assert_eq!(buffer.push(line("b")), 1);
        assert_eq!(buffer.len(), 2);
        assert_eq!(buffer.get(1).map(LogLine::message), Some("b"));
        assert_eq!(buffer.get_seq(0).map(LogLine::seq), Some(0));
        assert_eq!(buffer.get(2).map(LogLine::message), None);
    }

    #[test]
    fn full_buffer_evicts_oldest_and_counts_drops() {
        let mut buffer = LogBuffer::new(3);
        buffer.extend((0..5).map(|i| line(&format!("line {i}"))));
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.dropped(), 2);
        assert_eq!(buffer.first_seq(), 2);
        assert_eq!(buffer.next_seq(), 5);
        let messages: Vec<&str> = buffer.iter().map(LogLine::message).collect();
        assert_eq!(messages, ["line 2", "line 3", "line 4"]);
        assert_eq!(
            buffer.iter_from(2).map(LogLine::seq).collect::<Vec<_>>(),
            [4]
        );
        assert_eq!(buffer.iter_from(9).count(), 0);
        assert_eq!(
            buffer.range(1..2).map(LogLine::seq).collect::<Vec<_>>(),
            [3]
        );
        assert_eq!(buffer.range(2..9).count(), 1);
        assert_eq!(buffer.range(5..9).count(), 0);
        assert_eq!((&buffer).into_iter().next_back().map(LogLine::seq), Some(4));
    }

    #[test]
    fn anchors_survive_eviction() {
        let mut buffer = LogBuffer::new(3);
        buffer.extend((0..3).map(|i| line(&format!("{i}"))));
        let anchor = 1;
        assert_eq!(buffer.position_of(anchor), Some(1));
        buffer.push(line("3"));
        // The same line moved one position up; its sequence number did not change.
        assert_eq!(buffer.position_of(anchor), Some(0));
        assert_eq!(buffer.get_seq(anchor).map(LogLine::message), Some("1"));
        buffer.push(line("4"));
        assert_eq!(buffer.position_of(anchor), None);
        assert_eq!(buffer.get_seq(anchor).map(LogLine::seq), None);
        assert_eq!(buffer.position_at_or_after(anchor), 0);
        assert_eq!(buffer.position_at_or_after(4), 2);
        assert_eq!(buffer.position_at_or_after(99), 3);
        assert_eq!(buffer.position_of(99), None);
    }

    #[test]
    fn capacity_changes_and_clear() {
        let mut buffer = LogBuffer::new(5);
        buffer.extend((0..5).map(|i| line(&format!("{i}"))));
        buffer.set_capacity(2);
        assert_eq!(buffer.len(), 2);
        assert_eq!(buffer.dropped(), 3);
        assert_eq!(buffer.capacity(), 2);
        buffer.clear();
        assert!(buffer.is_empty());
        assert_eq!(buffer.first_seq(), 5);
        assert_eq!(buffer.push(line("x")), 5);
        assert_eq!(LogBuffer::new(0).capacity(), 1);
        assert_eq!(LogBuffer::default().capacity(), DEFAULT_CAPACITY);
    }

    #[test]
    fn growth_never_reserves_past_capacity() {
        let mut buffer = LogBuffer::new(1500);
        buffer.extend((0..1500).map(|i| line(&format!("{i}"))));
        assert!(
            buffer.lines.capacity() < 2048,
            "{}",
            buffer.lines.capacity()
        );
        assert!(buffer.approx_bytes() >= 1500 * std::mem::size_of::<LogLine>());
    }
}
