//! The time window of the logs and traces panes: relative (`15m`, `1h`, `24h`, `7d`: the last
//! so long, up to now, following new data) or absolute (`FROM..TO`: a past stretch of time,
//! read once). Pure: the caller supplies "now", so a window is resolved when a request is
//! built, and a relative window slides with every poll.
//!
//! Accepted forms (all times UTC unless they carry an offset):
//! - `15m`, `1h`, `90s`, `24h`, `7d`, `2w` (Go-style units, a fraction allowed: `1.5h`);
//! - `FROM..TO` where each side is RFC 3339 (`2026-12-07T10:00:00Z`), `YYYY-MM-DD HH:MM[:SS]`
//!   or `YYYY-MM-DDTHH:MM[:SS]` without an offset (read as UTC), or a bare `HH:MM[:SS]` on the
//!   right side (the day of the left side: `2026-12-07 10:00..11:00`).

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// The longest window accepted: Loki's and Tempo's defaults refuse far less (30 days of
/// `max_query_length` in Loki, 168 h of search in Tempo); a year is a typo.
pub const MAX_SPAN: Duration = Duration::from_hours(366 * 24);

/// A window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWindow {
    /// The last `Duration`, up to now (live).
    Last(Duration),
    /// `[from, to)`, fixed.
    Between { from: Timestamp, to: Timestamp },
}

/// Why a window could not be read; each says what was wrong and what to type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("type a window: 15m, 1h, 24h, 7d, or FROM..TO (2026-12-07 10:00..11:00)")]
    Empty,
    #[error("`{text}`: {why}; a duration is a number and a unit: 15m, 1h, 24h, 7d")]
    Duration { text: String, why: String },
    #[error(
        "`{text}` is not a time: use 2026-12-07T10:00:00Z, 2026-12-07 10:00 or (after ..) 11:00"
    )]
    Time { text: String },
    #[error("the window ends ({to}) before it starts ({from})")]
    Backwards { from: Timestamp, to: Timestamp },
    #[error("`{text}`: a window of at most 366 days")]
    TooLong { text: String },
}

impl TimeWindow {
    /// Reads a window; `now` completes nothing (absolute times carry their date) but is
    /// there so that a bare time on the left side reads as today.
    ///
    /// # Errors
    /// What was wrong, naming the part typed.
    pub fn parse(text: &str, now: Timestamp) -> Result<Self, WindowError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WindowError::Empty);
        }
        if let Some((left, right)) = text.split_once("..") {
            let from = parse_time(left.trim(), None, now)?;
            let to = parse_time(right.trim(), Some(from), now)?;
            if to <= from {
                return Err(WindowError::Backwards { from, to });
            }
            if from.duration_until(to).as_secs() > i64::try_from(MAX_SPAN.as_secs()).unwrap_or(0) {
                return Err(WindowError::TooLong { text: text.into() });
            }
            return Ok(Self::Between { from, to });
        }
        let ms =
            crate::model::validate::duration_ms(text).map_err(|why| WindowError::Duration {
                text: text.into(),
                why,
            })?;
        let span = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        if span > MAX_SPAN {
            return Err(WindowError::TooLong { text: text.into() });
        }
        Ok(Self::Last(span))
    }

    /// `span` before `at` to `span` after it: the window around a span's time (pivots).
    #[must_use]
    pub fn around(at: Timestamp, span: Duration) -> Self {
        let d = jiff::SignedDuration::try_from(span).unwrap_or(jiff::SignedDuration::ZERO);
        let from = at.checked_sub(d).unwrap_or(at);
        let to = at.checked_add(d).unwrap_or(at);
        Self::Between { from, to }
    }

    /// The `[from, to)` this window covers at `now`.
    #[must_use]
    pub fn resolve(self, now: Timestamp) -> (Timestamp, Timestamp) {
        match self {
            Self::Last(span) => {
                let d = jiff::SignedDuration::try_from(span).unwrap_or(jiff::SignedDuration::ZERO);
                (now.checked_sub(d).unwrap_or(Timestamp::MIN), now)
            }
            Self::Between { from, to } => (from, to),
        }
    }

    /// Whether the window reaches now (new data belongs in it: follow it live).
    #[must_use]
    pub fn is_live(self) -> bool {
        matches!(self, Self::Last(_))
    }

    /// `last 1h`, or `10:00–11:00 UTC` (with the dates when they are not one day's).
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Self::Last(span) => format!("last {}", short_duration(span)),
            Self::Between { from, to } => {
                let (f, t) = (from.to_zoned(TimeZone::UTC), to.to_zoned(TimeZone::UTC));
                let clock = |z: &jiff::Zoned| {
                    if z.second() == 0 {
                        z.strftime("%H:%M").to_string()
                    } else {
                        z.strftime("%H:%M:%S").to_string()
                    }
                };
                if f.date() == t.date() {
                    format!("{} {}–{} UTC", f.strftime("%Y-%m-%d"), clock(&f), clock(&t))
                } else {
                    format!(
                        "{} {}–{} {} UTC",
                        f.strftime("%Y-%m-%d"),
                        clock(&f),
                        t.strftime("%Y-%m-%d"),
                        clock(&t)
                    )
                }
            }
        }
    }

    /// The text [`Self::parse`] reads back (for prompts prefilled with the current window).
    #[must_use]
    pub fn input(self) -> String {
        match self {
            Self::Last(span) => short_duration(span),
            Self::Between { from, to } => format!("{from}..{to}"),
        }
    }
}

/// `90s`, `15m`, `1h`, `1h30m`, `7d`: the largest units that divide the span.
#[must_use]
pub fn short_duration(span: Duration) -> String {
    let secs = span.as_secs();
    if secs == 0 {
        return format!("{}ms", span.as_millis());
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

/// One side of `FROM..TO`. On the right side a bare clock time takes the left side's date.
fn parse_time(
    text: &str,
    left: Option<Timestamp>,
    now: Timestamp,
) -> Result<Timestamp, WindowError> {
    let bad = || WindowError::Time { text: text.into() };
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil = text.replacen(' ', "T", 1);
    if let Ok(dt) = civil.parse::<DateTime>() {
        return dt
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| bad());
    }
    let day = left.unwrap_or(now).to_zoned(TimeZone::UTC).date();
    let time: jiff::civil::Time = text.parse().map_err(|_| bad())?;
    day.to_datetime(time)
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-07T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn relative_windows_parse_and_slide() {
        let w = TimeWindow::parse("15m", now()).unwrap();
        assert_eq!(w, TimeWindow::Last(Duration::from_mins(15)));
        assert_eq!(w.label(), "last 15m");
        assert!(w.is_live());
        let (from, to) = w.resolve(now());
        assert_eq!(from.to_string(), "2026-12-07T11:45:00Z");
        assert_eq!(to, now());
        assert_eq!(TimeWindow::parse("7d", now()).unwrap().label(), "last 7d");
        assert_eq!(
            TimeWindow::parse("1.5h", now()).unwrap().label(),
            "last 1h30m"
        );
        assert_eq!(TimeWindow::parse("24h", now()).unwrap().input(), "1d");
    }

    #[test]
    fn absolute_windows_in_every_form() {
        let w = TimeWindow::parse("2026-12-07 10:00..2026-12-07 11:00", now()).unwrap();
        let expected = TimeWindow::Between {
            from: "2026-12-07T10:00:00Z".parse().unwrap(),
            to: "2026-12-07T11:00:00Z".parse().unwrap(),
        };
        assert_eq!(w, expected);
        assert_eq!(w.label(), "2026-12-07 10:00–11:00 UTC");
        assert!(!w.is_live());
        assert_eq!(
            TimeWindow::parse("2026-12-07T10:00:00Z..2026-12-07T11:00:00Z", now()).unwrap(),
            expected
        );
        assert_eq!(
            TimeWindow::parse("2026-12-07 10:00..11:00", now()).unwrap(),
            expected
        );
        assert_eq!(
            TimeWindow::parse(
                "2026-12-07T11:00:00+01:00..2026-12-07T12:00:00+01:00",
                now()
            )
            .unwrap(),
            expected,
            "offsets are honoured"
        );
        assert_eq!(
            TimeWindow::parse(&expected.input(), now()).unwrap(),
            expected
        );
        let days = TimeWindow::parse("2026-12-06 23:00..2026-12-07 01:00:30", now()).unwrap();
        assert_eq!(days.label(), "2026-12-06 23:00–2026-12-07 01:00:30 UTC");
    }

    #[test]
    fn errors_say_what_was_wrong() {
        let e = |t: &str| TimeWindow::parse(t, now()).unwrap_err().to_string();
        assert!(e("").contains("type a window"));
        assert!(e("soon").contains("`soon`"), "{}", e("soon"));
        assert!(e("15").contains("add a unit"), "{}", e("15"));
        assert!(e("15y").contains("unknown unit `y`"), "{}", e("15y"));
        assert!(e("0m").contains("must be positive"), "{}", e("0m"));
        assert!(e("400d").contains("at most 366 days"));
        assert!(e("10:00..tomorrow").contains("`tomorrow` is not a time"));
        assert!(
            e("2026-12-07 11:00..2026-12-07 10:00").contains("ends"),
            "{}",
            e("2026-12-07 11:00..2026-12-07 10:00")
        );
    }

    #[test]
    fn around_a_span() {
        let at: Timestamp = "2026-12-07T10:30:00Z".parse().unwrap();
        let w = TimeWindow::around(at, Duration::from_mins(5));
        assert_eq!(w.label(), "2026-12-07 10:25–10:35 UTC");
    }
}
