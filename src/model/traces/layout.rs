//! Waterfall geometry in terminal cells: where a span's bar starts and how long it is, the
//! time axis ticks, and duration labels (`850ns`, `12µs`, `1.4ms`, `12ms`, `1.4s`, `2m05s`).
//!
//! Pure integer arithmetic (in i128, so unix-nanosecond products cannot overflow), with the
//! same rounding everywhere so bars of adjacent spans line up.

/// A bar: first column (relative to the bar area) and length in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub start: u16,
    pub len: u16,
}

/// The bar of a span starting at `start_ns` and lasting `duration_ns`, in a trace starting at
/// `trace_start_ns` and lasting `trace_duration_ns`, drawn over `width` cells.
///
/// The start rounds down and the end rounds up, so a span is never drawn shorter than it is;
/// every span gets at least one cell (a 40µs span in a 2s trace is still visible), and bars
/// are clamped to the area (a span outside the trace window, from clock skew, is pinned to
/// the nearest edge). Zero width gives an empty bar; a zero-length trace fills the area.
#[must_use]
pub fn bar(
    start_ns: i64,
    duration_ns: i64,
    trace_start_ns: i64,
    trace_duration_ns: i64,
    width: u16,
) -> Bar {
    if width == 0 {
        return Bar { start: 0, len: 0 };
    }
    if trace_duration_ns <= 0 {
        return Bar {
            start: 0,
            len: width,
        };
    }
    let w = i128::from(width);
    let total = i128::from(trace_duration_ns);
    let offset = i128::from(start_ns) - i128::from(trace_start_ns);
    let end = offset + i128::from(duration_ns.max(0));
    let first = (offset * w).div_euclid(total).clamp(0, w - 1);
    let last = ceil_div(end * w, total).clamp(first + 1, w);
    Bar {
        start: cell(first),
        len: cell(last - first),
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    -((-a).div_euclid(b))
}

/// A value already clamped to `0..=u16::MAX`.
fn cell(v: i128) -> u16 {
    u16::try_from(v.clamp(0, i128::from(u16::MAX))).unwrap_or(u16::MAX)
}

/// A short human duration: `0`, `850ns`, `12µs`, `1.4ms`, `12ms`, `1.4s`, `12s`, `2m05s`,
/// `1h02m`. One decimal below 10 of a unit, none above, so labels stay ≤ 6 cells.
#[must_use]
pub fn format_duration(ns: i64) -> String {
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    let ns = ns.max(0);
    let scaled = |unit: i64, suffix: &str| {
        // Tenths, rounded; `9.96ms` would print as `10.0ms`, so switch to whole units there.
        let tenths = (ns * 10 + unit / 2) / unit;
        if tenths < 100 {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        } else {
            format!("{}{suffix}", (ns + unit / 2) / unit)
        }
    };
    match ns {
        0 => "0".to_owned(),
        n if n < US => format!("{n}ns"),
        n if n < MS => format!("{}µs", (n + US / 2) / US),
        n if n < S => scaled(MS, "ms"),
        n if n < 60 * S => scaled(S, "s"),
        n if n < 3_600 * S => {
            let secs = (n + S / 2) / S;
            format!("{}m{:02}s", secs / 60, secs % 60)
        }
        n => {
            let mins = (n + 30 * S) / (60 * S);
            format!("{}h{:02}m", mins / 60, mins % 60)
        }
    }
}

/// Time-axis ticks for a bar area: `(column, label)` pairs at round steps (1-2-5 series),
/// starting with `0` at column 0, at least `min_gap` cells apart, none past the area.
#[must_use]
pub fn axis_ticks(trace_duration_ns: i64, width: u16, min_gap: u16) -> Vec<(u16, String)> {
    if width == 0 || trace_duration_ns <= 0 {
        return Vec::new();
    }
    let max_ticks = i64::from((width / min_gap.max(1)).max(1));
    // The smallest 1-2-5 step that yields at most `max_ticks` ticks.
    let mut step: i64 = 1;
    'search: loop {
        for mult in [1, 2, 5] {
            let candidate = step.saturating_mul(mult);
            if trace_duration_ns / candidate < max_ticks || candidate == i64::MAX {
                step = candidate;
                break 'search;
            }
        }
        step = step.saturating_mul(10);
    }
    let mut ticks = Vec::new();
    let mut t: i64 = 0;
    while t <= trace_duration_ns {
        let col = bar(t, 0, 0, trace_duration_ns, width).start;
        ticks.push((col, format_duration(t)));
        t = match t.checked_add(step) {
            Some(next) => next,
            None => break,
        };
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_area() {
        // A 1s trace over 100 cells: 10ms per cell.
        let s = 1_000_000_000;
        assert_eq!(bar(s, s, s, s, 100), Bar { start: 0, len: 100 });
        assert_eq!(
            bar(s + 250_000_000, 500_000_000, s, s, 100),
            Bar { start: 25, len: 50 }
        );
        // Partial cells round outwards.
        assert_eq!(
            bar(s + 255_000_000, 10_000_000, s, s, 100),
            Bar { start: 25, len: 2 }
        );
    }

    #[test]
    fn edge_cases() {
        let s = 1_700_000_000_000_000_000;
        // Very short spans still get a cell, even at the very end.
        assert_eq!(
            bar(s + 999_999_999, 1, s, 1_000_000_000, 80),
            Bar { start: 79, len: 1 }
        );
        assert_eq!(bar(s, 0, s, 1_000_000_000, 80), Bar { start: 0, len: 1 });
        // Zero width, zero-length traces, negative durations, spans outside the window.
        assert_eq!(bar(s, 10, s, 10, 0), Bar { start: 0, len: 0 });
        assert_eq!(bar(s, 0, s, 0, 30), Bar { start: 0, len: 30 });
        assert_eq!(bar(s, -5, s, 100, 10), Bar { start: 0, len: 1 });
        assert_eq!(bar(s - 50, 20, s, 100, 10), Bar { start: 0, len: 1 });
        assert_eq!(bar(s + 500, 20, s, 100, 10), Bar { start: 9, len: 1 });
        assert_eq!(bar(s - 50, 1_000, s, 100, 10), Bar { start: 0, len: 10 });
        // Extreme values do not overflow.
        assert_eq!(bar(i64::MAX, i64::MAX, i64::MIN, i64::MAX, u16::MAX).len, 1);
    }

    #[test]
    fn duration_labels() {
        let cases = [
            (0, "0"),
            (850, "850ns"),
            (12_400, "12µs"),
            (1_449_000, "1.4ms"),
            (9_960_000, "10ms"),
            (12_000_000, "12ms"),
            (1_400_000_000, "1.4s"),
            (12_000_000_000, "12s"),
            (125_000_000_000, "2m05s"),
            (3_720_000_000_000, "1h02m"),
            (-5, "0"),
        ];
        for (ns, label) in cases {
            assert_eq!(format_duration(ns), label, "{ns}");
        }
    }

    #[test]
    fn ticks_are_round_and_spaced() {
        let ticks = axis_ticks(480_000_000, 100, 12);
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0", "100ms", "200ms", "300ms", "400ms"]);
        assert_eq!(ticks[1].0, 20);
        for pair in ticks.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= 12);
        }
        assert!(axis_ticks(0, 100, 12).is_empty());
        assert!(axis_ticks(5, 0, 12).is_empty());
        assert_eq!(axis_ticks(3, 100, 12).len(), 4, "1ns steps for a 3ns trace");
    }
}
