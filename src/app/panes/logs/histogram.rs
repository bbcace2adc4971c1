//! The logs pane's histogram strip (lnav's HIST view): its state (shown or hidden, and the
//! bucket cursor while it has the focus), how many rows it takes at a terminal size, and its
//! keys. The counts live in the pure [`Histogram`] model, kept in step with the ring by
//! [`super::LogsPane::ingest`] and rebuilt with the shown lines by
//! [`super::LogsPane::recompute`].

use crate::app::ctx::Ctx;
use crate::app::msg::Cmd;
use crate::app::panes::logs::LogsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::logs::histogram::width_label;
use crate::model::logs::{HistView, Histogram};

/// Terminal rows from which the strip shows whole (bars, worst level, axis).
pub const FULL_FROM_ROWS: u16 = 22;
/// Terminal rows from which it shows as one row of bars; below, it hides.
pub const COMPACT_FROM_ROWS: u16 = 16;
/// Columns of the label gutters left and right of the buckets.
pub const GUTTER: u16 = 10;

/// The strip's state.
#[derive(Debug, Clone)]
pub struct Strip {
    pub counts: Histogram,
    /// The user's `i`: shown (the default) or hidden.
    pub shown: bool,
    /// While the strip has the focus: the start (ms) of the bucket under its cursor.
    pub cursor: Option<i64>,
}

impl Strip {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            counts: Histogram::new(capacity),
            shown: true,
            cursor: None,
        }
    }

    #[must_use]
    pub fn focused(&self) -> bool {
        self.cursor.is_some()
    }
}

/// Rows the strip takes at terminal size `size`: 3, 1, or 0 (hidden or too short).
#[must_use]
pub fn rows(strip: &Strip, size: (u16, u16)) -> u16 {
    if !strip.shown {
        0
    } else if size.1 >= FULL_FROM_ROWS {
        3
    } else {
        u16::from(size.1 >= COMPACT_FROM_ROWS)
    }
}

/// Buckets that fit across a terminal `width` columns wide (inside the borders, between the
/// gutters).
#[must_use]
pub fn columns(width: u16) -> usize {
    usize::from(width.saturating_sub(2 + 2 * GUTTER).max(1))
}

/// Lines of log text on screen at terminal size `size` (the pane's frame, the status line and
/// the strip taken off).
#[must_use]
pub fn body_height(logs: &LogsPane, size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(6 + rows(&logs.strip, size)))
}

/// The strip's keys: `H` focus, `i` show/hide; while focused, left/right, home/end, enter
/// (jump) and esc. `None` for every other action (and for these when they do not apply).
pub fn on_action(logs: &mut LogsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    let view = || logs.strip.counts.view(columns(ctx.size.0));
    match action {
        Action::ToggleHistogram => {
            logs.strip.shown = !logs.strip.shown;
            logs.strip.cursor = None;
            if logs.strip.shown && rows(&logs.strip, ctx.size) == 0 {
                ctx.toast(ToastLevel::Info, too_short());
            }
        }
        Action::Histogram | Action::Back if logs.strip.focused() => logs.strip.cursor = None,
        Action::Histogram => {
            logs.strip.shown = true;
            if rows(&logs.strip, ctx.size) == 0 {
                ctx.toast(ToastLevel::Info, too_short());
                return Some(Vec::new());
            }
            let view = view();
            let at = logs
                .selected()
                .and_then(|l| logs.strip.counts.time_of(l.seq()));
            let i = match at {
                Some(ms) => view.nearest(ms),
                None => view.buckets.len().checked_sub(1),
            };
            match i {
                Some(i) => logs.strip.cursor = Some(view.start(i)),
                None => ctx.toast(ToastLevel::Info, "no timed lines to chart"),
            }
        }
        Action::HistLeft | Action::HistRight | Action::Top | Action::Bottom
            if logs.strip.focused() =>
        {
            let view = view();
            let i = logs.strip.cursor.and_then(|c| view.nearest(c))?;
            let last = view.buckets.len() - 1;
            let j = match action {
                Action::HistLeft => i.saturating_sub(1),
                Action::HistRight => (i + 1).min(last),
                Action::Top => 0,
                _ => last,
            };
            logs.strip.cursor = Some(view.start(j));
        }
        Action::Select if logs.strip.focused() => {
            let view = view();
            let i = logs.strip.cursor.and_then(|c| view.nearest(c))?;
            jump_to_bucket(logs, ctx, &view, i);
        }
        _ => return None,
    }
    logs.window_start(body_height(logs, ctx.size));
    Some(Vec::new())
}

fn too_short() -> String {
    format!(
        "the histogram needs a taller terminal ({COMPACT_FROM_ROWS} rows, {FULL_FROM_ROWS} for the axis)"
    )
}

/// Enter on a bucket: the first shown line of it becomes the cursor, and the focus goes back
/// to the lines (lnav's HIST view does the same).
fn jump_to_bucket(logs: &mut LogsPane, ctx: &mut Ctx<'_>, view: &HistView, i: usize) {
    let start = view.start(i);
    let end = start + view.width;
    let hit = (0..logs.shown_len()).find_map(|j| {
        let seq = logs.shown_seq(j)?;
        let t = logs.strip.counts.time_of(seq)?;
        (start <= t && t < end && !logs.markers.contains(&seq)).then_some(seq)
    });
    match hit {
        Some(seq) => {
            logs.cursor = Some(seq);
            logs.strip.cursor = None;
        }
        None => ctx.toast(
            ToastLevel::Info,
            format!(
                "no lines shown in {} +{}",
                time_label(start, view.width),
                width_label(view.width)
            ),
        ),
    }
}

/// A bucket's start as the axis shows it: `HH:MM:SS` (with `.mmm` under a second wide
/// buckets, and the date when buckets are a day or wider), UTC like the lines.
#[must_use]
pub fn time_label(ms: i64, width: i64) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return "?".to_owned();
    };
    let format = if width < 1_000 {
        "%H:%M:%S%.3f"
    } else if width >= 86_400_000 {
        "%Y-%m-%d"
    } else if width >= 3_600_000 {
        "%m-%d %H:%M"
    } else {
        "%H:%M:%S"
    };
    t.strftime(format).to_string()
}
