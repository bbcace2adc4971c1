//! Following a local file like `tail -F`, as pure decisions the reader in
//! [`super::local`] acts on: what a poll's observations mean, and how bytes become lines.
//!
//! opsdeck has no file-notification dependency, so a followed file is polled with `stat`
//! every [`LogStreamConfig::file_poll`](crate::config::LogStreamConfig::file_poll); polling
//! also works on network mounts, where inotify sees nothing of other clients' writes. Each
//! poll first reads the open file to its end (so the old file is drained before anything
//! else), then compares:
//!
//! - the open file's size with the offset read: smaller means **truncated** in place
//!   (`copytruncate`, `> file`): read it again from 0 and say so;
//! - the path's identity (device and inode) with the open file's: different means
//!   **rotated** (renamed away and a new file created): the old one is done, its unfinished
//!   last line is a line now, and the new file is read from 0;
//! - no file at the path: **deleted**; said once, the open file is still drained, and a file
//!   that appears again is read from 0;
//! - the path's size beyond what reading gives, for longer than
//!   [`LogStreamConfig::file_stall`](crate::config::LogStreamConfig::file_stall): a network
//!   mount whose cached view of the open file went stale (NFS revalidates on open, its
//!   close-to-open consistency): the file is **reopened** at the same offset.
//!
//! Offsets count bytes read, so nothing is read twice; a last line without its newline stays
//! in the [`Splitter`] until the newline comes and is never emitted twice.

use std::time::Duration;

/// A file's identity and size as `stat` or `fstat` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
}

impl Observed {
    /// From file metadata (unix: device and inode; elsewhere the size only).
    #[must_use]
    pub fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Self {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {
                dev: 0,
                ino: 0,
                len: meta.len(),
            }
        }
    }

    fn same_file(&self, other: &Self) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// What a poll found, after the open file was read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing to change.
    Keep,
    /// The open file is shorter than what was read: start it again at 0.
    Truncated,
    /// Another file is at the path now (or again, after a deletion): switch to it at 0.
    Rotated,
    /// No file at the path (said once).
    Deleted,
    /// The path claims more bytes than reading gives, for too long: reopen at the offset.
    Reopen,
}

/// What the follower remembers between polls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Watch {
    /// The path was missing at the last poll (so a deletion is said once).
    pub deleted: bool,
    /// Since when the path has claimed more than reading gives.
    pub stalled: Duration,
}

impl Watch {
    /// Judges a poll: `open` is the open file (`fstat`), `path` what is at the path now
    /// (`None`: nothing), `offset` the bytes read from the open file, `read` how many this
    /// poll gave, `poll` the time since the last poll and `stall_limit` how long a stale view
    /// is tolerated.
    pub fn judge(
        &mut self,
        open: Observed,
        path: Option<Observed>,
        offset: u64,
        read: u64,
        poll: Duration,
        stall_limit: Duration,
    ) -> Step {
        if open.len < offset {
            self.stalled = Duration::ZERO;
            return Step::Truncated;
        }
        let Some(path) = path else {
            self.stalled = Duration::ZERO;
            if self.deleted {
                return Step::Keep;
            }
            self.deleted = true;
            return Step::Deleted;
        };
        if self.deleted || !path.same_file(&open) {
            self.deleted = false;
            self.stalled = Duration::ZERO;
            return Step::Rotated;
        }
        if path.len > offset && read == 0 {
            self.stalled += poll;
            if self.stalled >= stall_limit {
                self.stalled = Duration::ZERO;
                return Step::Reopen;
            }
        } else {
            self.stalled = Duration::ZERO;
        }
        Step::Keep
    }
}

/// Bytes in, complete lines out; an unfinished last line waits for its newline.
#[derive(Debug, Default)]
pub struct Splitter {
    partial: Vec<u8>,
}

impl Splitter {
    /// The complete lines `bytes` finishes (without `\n` or `\r\n`), in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.partial.extend_from_slice(bytes);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let ready: Vec<u8> = self.partial.drain(..=end).collect();
        ready[..ready.len() - 1]
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect()
    }

    /// The file is done (rotated away): its unfinished last line, if any, is a line now.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.partial);
        (!rest.is_empty()).then_some(rest)
    }

    /// The bytes were taken back (the file was truncated): forget the unfinished line.
    pub fn clear(&mut self) {
        self.partial.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLL: Duration = Duration::from_millis(250);
    const STALL: Duration = Duration::from_secs(1);

    fn file(ino: u64, len: u64) -> Observed {
        Observed { dev: 1, ino, len }
    }

    #[test]
    fn a_partial_line_is_emitted_once_when_its_newline_comes() {
        let mut s = Splitter::default();
        assert_eq!(s.push(b"one\ntw"), vec![b"one".to_vec()]);
        assert!(s.push(b"o still").is_empty());
        assert_eq!(
            s.push(b"\r\nthree\n"),
            vec![b"two still".to_vec(), b"three".to_vec()]
        );
        assert!(s.finish().is_none());
        assert!(s.push(b"last").is_empty());
        assert_eq!(s.finish(), Some(b"last".to_vec()));
        assert!(s.push(b"x").is_empty());
        s.clear();
        assert_eq!(s.push(b"y\n"), vec![b"y".to_vec()]);
    }

    #[test]
    fn truncation_rotation_and_deletion_are_told_apart() {
        let mut w = Watch::default();
        let open = file(7, 100);
        assert_eq!(w.judge(open, Some(open), 100, 0, POLL, STALL), Step::Keep);
        assert_eq!(
            w.judge(file(7, 10), Some(file(7, 10)), 100, 0, POLL, STALL),
            Step::Truncated
        );
        // A new file at the path, even one already longer than the offset.
        assert_eq!(
            w.judge(open, Some(file(8, 500)), 100, 0, POLL, STALL),
            Step::Rotated
        );
        assert_eq!(w.judge(open, None, 100, 0, POLL, STALL), Step::Deleted);
        assert_eq!(w.judge(open, None, 100, 0, POLL, STALL), Step::Keep, "once");
        // Back, even under the same inode (reused): read it from the start.
        assert_eq!(
            w.judge(open, Some(file(7, 3)), 100, 0, POLL, STALL),
            Step::Rotated
        );
    }

    #[test]
    fn a_stale_view_is_reopened_after_the_stall_limit() {
        let mut w = Watch::default();
        let open = file(7, 100);
        let grown = file(7, 180);
        for _ in 0..3 {
            assert_eq!(w.judge(open, Some(grown), 100, 0, POLL, STALL), Step::Keep);
        }
        assert_eq!(
            w.judge(open, Some(grown), 100, 0, POLL, STALL),
            Step::Reopen
        );
        // Reading that makes progress resets the clock.
        for _ in 0..3 {
            assert_eq!(w.judge(open, Some(grown), 100, 0, POLL, STALL), Step::Keep);
        }
        let read_more = file(7, 120);
        assert_eq!(
            w.judge(read_more, Some(grown), 120, 20, POLL, STALL),
            Step::Keep
        );
        assert_eq!(
            w.judge(read_more, Some(grown), 120, 0, POLL, STALL),
            Step::Keep
        );
    }
}
