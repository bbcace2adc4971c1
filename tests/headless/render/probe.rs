//! A recording backend for driving the real run loop headless, shared by the render tests, the
//! tours (as `crate::render::probe`), and `benches/ui.rs` and `benches/kube.rs` (which include
//! this file by path).
//!
//! [`Probe`] wraps a [`TestBackend`] and, after every frame the run loop flushes, records the
//! frame count, the screen as text, and the instant the first frame that satisfied a
//! predicate was flushed. Its error type is `io::Error`, which `runtime::run::run` requires
//! (`TestBackend`'s `Infallible` does not convert into `io::Error`).

use std::convert::Infallible;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};
use unicode_width::UnicodeWidthStr;

/// The screen as plain text: one line per row, wide characters once, trailing blanks cut.
#[must_use]
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            skip = symbol.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What the probe has seen so far.
#[derive(Debug, Default)]
pub struct Seen {
    /// Frames flushed (one per `Terminal::draw`).
    pub frames: u64,
    /// The screen after the last frame.
    pub screen: String,
    /// When the first frame was flushed.
    pub first_at: Option<Instant>,
    /// When the first frame matching the probe's predicate was flushed.
    pub ready_at: Option<Instant>,
    /// Which frame (1-based) that was.
    pub ready_frame: Option<u64>,
}

/// Shared view of a [`Probe`]'s observations.
#[derive(Debug, Clone, Default)]
pub struct Observer(Arc<Mutex<Seen>>);

impl Observer {
    /// Locks the observations (a poisoned lock still yields the data).
    pub fn seen(&self) -> MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[must_use]
    pub fn frames(&self) -> u64 {
        self.seen().frames
    }

    #[must_use]
    pub fn ready(&self) -> bool {
        self.seen().ready_at.is_some()
    }
}

/// A [`TestBackend`] that records every frame.
pub struct Probe {
    inner: TestBackend,
    seen: Observer,
    ready: Box<dyn Fn(&str) -> bool + Send>,
    notify: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl Probe {
    /// A probe of `width`×`height` whose "ready" frame is the first whose text satisfies
    /// `ready`. Returns the backend, its observer and a notification fired once ready.
    pub fn new(
        width: u16,
        height: u16,
        ready: impl Fn(&str) -> bool + Send + 'static,
    ) -> (Self, Observer, Arc<tokio::sync::Notify>) {
        let seen = Observer::default();
        let notify = Arc::new(tokio::sync::Notify::new());
        let probe = Self {
            inner: TestBackend::new(width, height),
            seen: seen.clone(),
            ready: Box::new(ready),
            notify: notify.clone(),
        };
        (probe, seen, notify)
    }
}

fn never(e: Infallible) -> io::Error {
    match e {}
}

impl Backend for Probe {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content).map_err(never)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor().map_err(never)
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor().map_err(never)
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position().map_err(never)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position).map_err(never)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear().map_err(never)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type).map_err(never)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size().map_err(never)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size().map_err(never)
    }

    /// `Terminal::draw` ends every frame with exactly one backend flush.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(never)?;
        let screen = buffer_text(self.inner.buffer());
        let mut seen = self.seen.seen();
        seen.frames += 1;
        seen.first_at.get_or_insert_with(Instant::now);
        if seen.ready_at.is_none() && (self.ready)(&screen) {
            seen.ready_at = Some(Instant::now());
            seen.ready_frame = Some(seen.frames);
            self.notify.notify_one();
        }
        seen.screen = screen;
        Ok(())
    }
}
