//! State of the logs pane: the bounded ring of lines from the current log source, the level
//! filter and the search, the cursor (following the tail or paused on a line), and the view
//! options (wrap, timestamps, expanded fields). Lines arrive in batches from the source task;
//! ingesting one is a push into the ring plus, when a filter is on, one match test, so a slow
//! frame never holds lines back.

pub mod actions;
pub mod errors;
pub mod export;
pub mod fields;
pub mod histogram;

use crate::app::panes::Pane;
use crate::model::custom_command::Vars;
use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use crate::model::logs::{
    DEFAULT_CAPACITY, LevelGroup, LevelSet, LogBuffer, LogLine, LogQuery, QueryKind, parse_line,
};
use crate::sources::logs::{LogBatch, LogItem, LogTarget};

/// The `:logs` pane.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent view switches, each toggled by its own key"
)]
pub struct LogsPane {
    pub buffer: LogBuffer,
    /// What the source was asked to read.
    pub target: LogTarget,
    /// Sequence numbers of `+`/`-` stream marker lines (drawn as markers, not log text).
    pub markers: BTreeSet<u64>,
    /// The latest notice from the source (stream cap, resume after a disconnect...).
    pub notice: Option<String>,
    pub levels: LevelSet,
    pub query: LogQuery,
    /// The search being typed (`/`), with its error when it does not compile.
    pub editing: Option<String>,
    pub query_kind: QueryKind,
    pub query_error: Option<String>,
    /// Show only the lines the search matches (levels always filter).
    pub only_matches: bool,
    /// Sequence numbers of the lines shown, oldest first; `None` when every line is shown.
    pub visible: Option<Vec<u64>>,
    /// The selected line; `None` follows the newest line.
    pub cursor: Option<u64>,
    /// The first line on screen while paused.
    pub top: Option<u64>,
    pub wrap: bool,
    pub timestamps: bool,
    /// Show every field of the selected line.
    pub expanded: bool,
    pub loaded: bool,
    /// Lines the source skipped because the ring could not keep them.
    pub skipped: u64,
    /// The time window every target is read over (`@`, `:window`; `None`: the source's
    /// default), and when it was set (a relative window counts back from then).
    pub window: Option<crate::model::window::TimeWindow>,
    pub window_set_at: Timestamp,
    /// Lines dropped for falling outside the window (a pod stream or a file cannot be told
    /// where to stop).
    pub outside_window: u64,
    /// The backend refused the query: its whole text, in a panel until esc.
    pub query_failure: Option<String>,
    /// The field predicate (`F`) and field columns (`C`).
    pub fields: fields::FieldView,
    /// The time histogram above the lines.
    pub strip: histogram::Strip,
    /// The levels shown before `e` showed errors only, restored by the next `e`.
    pub levels_before_errors: Option<LevelSet>,
}

impl Default for LogsPane {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl LogsPane {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            buffer: LogBuffer::new(capacity),
            target: LogTarget::default(),
            markers: BTreeSet::new(),
            notice: None,
            levels: LevelSet::default(),
            query: LogQuery::substring(""),
            editing: None,
            query_kind: QueryKind::Substring,
            query_error: None,
            only_matches: false,
            visible: None,
            cursor: None,
            top: None,
            wrap: false,
            timestamps: true,
            expanded: false,
            loaded: false,
            skipped: 0,
            window: None,
            window_set_at: Timestamp::UNIX_EPOCH,
            outside_window: 0,
            query_failure: None,
            fields: fields::FieldView::default(),
            strip: histogram::Strip::new(capacity),
            levels_before_errors: None,
        }
    }

    /// Whether `line` falls inside the window (lines without a time are kept: nothing says
    /// they are outside).
    fn in_window(&self, line: &LogLine) -> bool {
        let (Some(window), Some(at)) = (self.window, line.timestamp()) else {
            return true;
        };
        let (from, to) = window.resolve(self.window_set_at);
        at >= from && (window.is_live() || at < to)
    }

    /// Whether the target is a query the user typed (`:logs <LogQL>`), not a service's.
    #[must_use]
    pub fn custom_query(&self) -> Option<&str> {
        self.target
            .logql
            .as_deref()
            .filter(|_| self.target.service.is_none() && self.target.trace_id.is_none())
    }

    /// Forgets every line (a new target, a context switch), keeping the view options.
    pub fn clear(&mut self) {
        let capacity = self.buffer.capacity();
        self.buffer = LogBuffer::new(capacity);
        self.markers.clear();
        self.notice = None;
        self.cursor = None;
        self.top = None;
        self.loaded = false;
        self.skipped = 0;
        self.outside_window = 0;
        self.query_failure = None;
        self.strip.counts.clear();
        self.strip.cursor = None;
        self.recompute();
    }

    /// Whether a line filter is on (levels or a shown-only search).
    fn filtering(&self) -> bool {
        !self.levels.is_all()
            || (self.only_matches && !self.query.is_empty())
            || self.fields.filtering()
    }

    fn passes(&self, line: &LogLine) -> bool {
        self.levels.contains(line.level())
            && (!self.only_matches || self.query.is_empty() || self.query.matches_line(line))
            && self.fields.passes(line)
    }

    /// Rebuilds the shown list after the levels or the search changed.
    pub fn recompute(&mut self) {
        self.visible = if self.filtering() {
            let query = if self.only_matches {
                self.query.clone()
            } else {
                LogQuery::substring("")
            };
            let mut seqs = fields::filter(
                &self.buffer,
                &query,
                self.levels,
                self.fields.predicate.as_ref(),
            );
            // Markers always show: they say which pods came and went.
            seqs.extend(self.markers.range(self.buffer.first_seq()..).copied());
            seqs.sort_unstable();
            seqs.dedup();
            Some(seqs)
        } else {
            None
        };
        self.strip.counts.rebuild(self.visible.as_deref());
        // A new selection of lines: the view restarts with the cursor at the bottom.
        self.top = None;
        self.keep_cursor_shown();
    }

    fn keep_cursor_shown(&mut self) {
        if let (Some(cursor), Some(visible)) = (self.cursor, &self.visible) {
            let i = visible.partition_point(|&s| s < cursor);
            self.cursor = visible.get(i).or(visible.last()).copied();
        }
    }

    /// Takes a batch from the source.
    pub fn ingest(&mut self, batch: &LogBatch) {
        self.loaded = true;
        for item in &batch.items {
            let (line, marker) = match item {
                LogItem::Line(line) => (line.clone(), false),
                LogItem::Stream {
                    source,
                    started,
                    detail,
                } => {
                    let sign = if *started { '+' } else { '-' };
                    let text = if detail.is_empty() {
                        format!("{sign} {source}")
                    } else {
                        format!("{sign} {source} ({detail})")
                    };
                    (parse_line(text.as_bytes(), Arc::clone(source)), true)
                }
                LogItem::Notice(text) => {
                    self.notice = Some(crate::model::clean(text));
                    continue;
                }
                LogItem::Skipped(n) => {
                    self.skipped += n;
                    continue;
                }
                LogItem::QueryError(text) => {
                    self.query_failure = Some(crate::model::clean_multiline(text));
                    continue;
                }
            };
            if !marker && !self.in_window(&line) {
                self.outside_window += 1;
                continue;
            }
            let keep = marker || self.passes(&line);
            let (ms, level) = (
                line.timestamp().map(Timestamp::as_millisecond),
                line.level(),
            );
            let seq = self.buffer.push(line);
            self.strip.counts.push(seq, ms, level, keep, marker);
            if marker {
                self.markers.insert(seq);
            }
            if keep && let Some(visible) = &mut self.visible {
                visible.push(seq);
            }
        }
        let first = self.buffer.first_seq();
        self.strip.counts.evict_before(first);
        if self.markers.first().is_some_and(|&m| m < first) {
            self.markers = self.markers.split_off(&first);
        }
        if let Some(visible) = &mut self.visible {
            let gone = visible.partition_point(|&s| s < first);
            if gone > 0 {
                visible.drain(..gone);
            }
        }
        if self.cursor.is_some_and(|c| c < first) {
            self.cursor = Some(first);
        }
        if self.top.is_some_and(|t| t < first) {
            self.top = Some(first);
        }
    }

    /// Lines evicted from the ring or never kept.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.buffer.dropped() + self.skipped
    }

    /// Number of lines shown.
    #[must_use]
    pub fn shown_len(&self) -> usize {
        self.visible.as_ref().map_or(self.buffer.len(), Vec::len)
    }

    /// The sequence number of the `i`-th shown line.
    #[must_use]
    pub fn shown_seq(&self, i: usize) -> Option<u64> {
        match &self.visible {
            Some(v) => v.get(i).copied(),
            None => self.buffer.get(i).map(LogLine::seq),
        }
    }

    /// Where `seq` is among the shown lines (the first shown at or after it).
    #[must_use]
    pub fn shown_index(&self, seq: u64) -> usize {
        match &self.visible {
            Some(v) => v.partition_point(|&s| s < seq),
            None => self.buffer.position_at_or_after(seq),
        }
    }

    /// The selected line's index among the shown lines (the newest when following).
    #[must_use]
    pub fn cursor_index(&self) -> Option<usize> {
        let len = self.shown_len();
        if len == 0 {
            return None;
        }
        Some(match self.cursor {
            Some(seq) => self.shown_index(seq).min(len - 1),
            None => len - 1,
        })
    }

    /// Whether the view follows new lines.
    #[must_use]
    pub fn following(&self) -> bool {
        self.cursor.is_none()
    }

    /// Moves the cursor; moving stops following, reaching the end again follows.
    pub fn move_by(&mut self, delta: isize) {
        let Some(i) = self.cursor_index() else {
            return;
        };
        let last = self.shown_len() - 1;
        let j = i.saturating_add_signed(delta).min(last);
        if delta > 0 && j == last && self.cursor.is_some() {
            // Scrolling past the end resumes following, as `less +F` does.
            self.cursor = None;
            self.top = None;
            return;
        }
        self.cursor = self.shown_seq(j);
    }

    pub fn top(&mut self) {
        self.cursor = self.shown_seq(0);
    }

    pub fn bottom(&mut self) {
        self.cursor = None;
        self.top = None;
    }

    /// `f`: follow the newest line, or stay on the current one.
    pub fn toggle_follow(&mut self) {
        if self.following() {
            let i = self.cursor_index();
            self.cursor = i.and_then(|i| self.shown_seq(i));
        } else {
            self.bottom();
        }
    }

    /// The selected line.
    #[must_use]
    pub fn selected(&self) -> Option<&LogLine> {
        let i = self.cursor_index()?;
        self.buffer.get_seq(self.shown_seq(i)?)
    }

    pub fn toggle_level(&mut self, group: LevelGroup) {
        self.levels.toggle(group);
        self.recompute();
    }

    /// Applies the typed search. An invalid regex keeps the previous search and says why.
    pub fn set_query(&mut self, text: &str) {
        match LogQuery::new(text, self.query_kind) {
            Ok(q) => {
                self.query = q;
                self.query_error = None;
                if self.only_matches {
                    self.recompute();
                }
            }
            Err(e) => self.query_error = Some(e.to_string()),
        }
    }

    /// `n` / `N`: the next or previous matching line, searching from the cursor.
    pub fn jump_match(&mut self, forward: bool) -> bool {
        if self.query.is_empty() {
            return false;
        }
        let Some(i) = self.cursor_index() else {
            return false;
        };
        let len = self.shown_len();
        let hit = if forward {
            (i + 1..len).find(|&j| self.shown_matches(j))
        } else {
            (0..i).rev().find(|&j| self.shown_matches(j))
        };
        match hit {
            Some(j) => {
                self.cursor = self.shown_seq(j);
                true
            }
            None => false,
        }
    }

    fn shown_matches(&self, i: usize) -> bool {
        self.shown_seq(i)
            .and_then(|s| self.buffer.get_seq(s))
            .is_some_and(|l| self.query.matches_line(l))
    }

    /// Jumps to the first shown line at or after `at`; false when no line is that late.
    pub fn jump_to_time(&mut self, at: Timestamp) -> bool {
        let len = self.shown_len();
        let hit = (0..len).find(|&i| {
            self.shown_seq(i)
                .and_then(|s| self.buffer.get_seq(s))
                .and_then(LogLine::timestamp)
                .is_some_and(|t| t >= at)
        });
        match hit {
            Some(i) => {
                self.cursor = self.shown_seq(i);
                true
            }
            None => false,
        }
    }

    /// The first line on screen for a body of `height` lines: where the view starts now, or,
    /// when the cursor has left it, where the cursor is back in sight (at the top when it
    /// moved up past the first line, else at the bottom). The view scrolls only then.
    #[must_use]
    pub fn view_start(&self, height: usize) -> usize {
        let Some(cursor) = self.cursor_index() else {
            return 0;
        };
        let height = height.max(1);
        match self.top.map(|t| self.shown_index(t)) {
            Some(t) if t <= cursor && cursor < t + height => t,
            Some(t) if t > cursor => cursor,
            _ => cursor + 1 - height.min(cursor + 1),
        }
    }

    /// Keeps the view's first line after a move, so the next frame starts there.
    pub fn window_start(&mut self, height: usize) -> usize {
        let top = self.view_start(height);
        self.top = if self.following() {
            None
        } else {
            self.shown_seq(top)
        };
        top
    }
}

/// Parses `HH:MM`, `HH:MM:SS` (today, in UTC, relative to `now`) or an RFC 3339 instant.
///
/// # Errors
/// The text is neither.
pub fn parse_jump_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let number = |s: &str| s.parse::<i8>().ok();
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (number(h), number(m), Some(0)),
        [h, m, s] => (number(h), number(m), number(s)),
        _ => (None, None, None),
    };
    let (Some(h), Some(m), Some(s)) = (h, m, s) else {
        return Err(format!(
            "`{text}`: type HH:MM, HH:MM:SS or an RFC 3339 time (2026-11-22T10:04:00Z)"
        ));
    };
    let date = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    date.at(h, m, s, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| format!("`{text}`: {e}"))
}

/// The logs pane keeps its own cursor over the ring (its keys are its own actions).
impl Pane for LogsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(trace_id) = self.selected().and_then(|line| line.trace_id()) {
            vars.set("trace_id", trace_id);
        }
    }

    /// `y`: the selected line as read; `Y` the line as JSON (time, level, source, message
    /// and its fields), as the export writes it.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let line = self.selected()?;
        Some(match kind {
            CopyKind::Key => Copied::new(
                format!("the log line, {} bytes", line.raw().len()),
                line.raw(),
            ),
            CopyKind::Row => Copied::new(
                "the log line as JSON",
                crate::model::logs::export::json_line(line),
            ),
        })
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        actions::on_prompt(self, ctx, purpose, input)
    }

    fn captures_keys(&self) -> bool {
        self.editing.is_some()
    }

    fn on_text_key(
        &mut self,
        _ctx: &mut crate::app::ctx::Ctx<'_>,
        key: crossterm::event::KeyEvent,
    ) {
        actions::search_key(self, key);
    }

    fn reset(&mut self) {
        self.clear();
    }

    /// `esc` closes a refused query's panel first, then drops the field predicate (as it
    /// clears a table's applied filter).
    fn close(&mut self) -> bool {
        if self.query_failure.take().is_some() {
            return true;
        }
        let closed = self.fields.clear_predicate();
        if closed {
            self.recompute();
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(lines: &[&str]) -> LogBatch {
        LogBatch::new(
            lines
                .iter()
                .map(|l| LogItem::Line(parse_line(l.as_bytes(), Arc::from("pod-a"))))
                .collect(),
        )
    }

    #[test]
    fn levels_filter_and_new_lines_keep_the_filter() {
        let mut pane = LogsPane::new(10);
        pane.ingest(&batch(&["ERROR boom", "INFO fine", "WARN hmm"]));
        assert_eq!(pane.shown_len(), 3);
        pane.toggle_level(LevelGroup::Info);
        assert_eq!(pane.shown_len(), 2);
        pane.ingest(&batch(&["INFO again", "ERROR again"]));
        assert_eq!(pane.shown_len(), 3);
        assert_eq!(pane.selected().unwrap().message(), "ERROR again");
    }

    #[test]
    fn eviction_keeps_the_dropped_count_and_the_cursor_valid() {
        let mut pane = LogsPane::new(3);
        pane.ingest(&batch(&["a", "b", "c"]));
        pane.move_by(-2);
        assert_eq!(pane.selected().unwrap().message(), "a");
        pane.ingest(&batch(&["d", "e"]));
        assert_eq!(pane.buffer.dropped(), 2);
        assert_eq!(pane.selected().unwrap().message(), "c", "the oldest held");
        assert!(!pane.following());
        pane.move_by(10);
        assert!(pane.following(), "past the end follows again");
    }

    #[test]
    fn search_jumps_and_shows_only_matches() {
        let mut pane = LogsPane::new(100);
        pane.ingest(&batch(&["alpha 1", "beta", "alpha 2", "gamma"]));
        pane.set_query("alpha");
        assert!(pane.jump_match(false));
        assert_eq!(pane.selected().unwrap().message(), "alpha 2");
        assert!(pane.jump_match(false));
        assert_eq!(pane.selected().unwrap().message(), "alpha 1");
        assert!(!pane.jump_match(false));
        pane.only_matches = true;
        pane.recompute();
        assert_eq!(pane.shown_len(), 2);
        pane.query_kind = QueryKind::Regex;
        pane.set_query("(");
        assert!(pane.query_error.is_some());
        assert_eq!(
            pane.shown_len(),
            2,
            "a bad regex keeps the last good search"
        );
    }

    #[test]
    fn markers_stay_visible_under_filters() {
        let mut pane = LogsPane::new(100);
        pane.ingest(&LogBatch::new(vec![
            LogItem::Stream {
                source: Arc::from("cart-1"),
                started: true,
                detail: String::new(),
            },
            LogItem::Line(parse_line(b"INFO hi", Arc::from("cart-1"))),
        ]));
        pane.toggle_level(LevelGroup::Info);
        assert_eq!(pane.shown_len(), 1);
        let seq = pane.shown_seq(0).unwrap();
        assert!(pane.markers.contains(&seq));
        assert_eq!(pane.buffer.get_seq(seq).unwrap().message(), "+ cart-1");
    }

    #[test]
    fn lines_outside_an_absolute_window_are_dropped_and_counted() {
        let mut pane = LogsPane::new(100);
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        pane.window =
            Some(crate::model::window::TimeWindow::parse("2026-12-07 10:00..11:00", now).unwrap());
        pane.window_set_at = now;
        pane.ingest(&batch(&[
            "2026-12-07T09:59:59Z INFO before",
            "2026-12-07T10:30:00Z INFO inside",
            "2026-12-07T11:00:00Z INFO at the end (excluded)",
            "no time at all",
        ]));
        let shown: Vec<&str> = (0..pane.shown_len())
            .filter_map(|i| pane.buffer.get_seq(pane.shown_seq(i)?))
            .map(LogLine::message)
            .collect();
        assert_eq!(shown, ["INFO inside", "no time at all"]);
        assert_eq!(pane.outside_window, 2);
        // A relative window keeps what is new.
        pane.window = Some(crate::model::window::TimeWindow::Last(
            std::time::Duration::from_hours(1),
        ));
        pane.clear();
        pane.ingest(&batch(&[
            "2026-12-07T10:59:00Z INFO old",
            "2026-12-07T12:30:00Z INFO later than when it was set",
        ]));
        assert_eq!(pane.shown_len(), 1);
        assert_eq!(pane.outside_window, 1);
    }

    #[test]
    fn jump_time_parses_clock_and_rfc3339() {
        let now: Timestamp = "2026-11-22T10:30:00Z".parse().unwrap();
        assert_eq!(
            parse_jump_time("10:04", now).unwrap().to_string(),
            "2026-11-22T10:04:00Z"
        );
        assert_eq!(
            parse_jump_time("2026-11-21T09:00:00Z", now)
                .unwrap()
                .to_string(),
            "2026-11-21T09:00:00Z"
        );
        assert!(parse_jump_time("noon", now).is_err());
    }
}
