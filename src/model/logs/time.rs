//! Timestamps found in log lines: a leading RFC 3339 / ISO 8601 stamp in plain text and the
//! string or epoch-number values of JSON time fields.
//!
//! Times are carried as `i64` nanoseconds since the Unix epoch (years 1677..2262), because a
//! line stores one and `Option<jiff::Timestamp>` would cost twice the bytes. The scanner is
//! hand-written: it runs on every plain line, and most lines either start with a stamp in one
//! of a few shapes or fail on the first byte.

use jiff::Timestamp;

/// Stored value meaning "this line has no timestamp".
pub(super) const NO_TIMESTAMP: i64 = i64::MIN;

/// Converts stored nanoseconds back to a timestamp.
pub(super) fn from_nanos(nanos: i64) -> Option<Timestamp> {
    if nanos == NO_TIMESTAMP {
        return None;
    }
    Timestamp::from_nanosecond(i128::from(nanos)).ok()
}

/// Parses an RFC 3339 / ISO 8601 timestamp at the start of `s` and returns its Unix nanoseconds
/// and the number of bytes it spans.
///
/// Accepts `YYYY-MM-DD`, then `T`, `t` or a space, then `HH:MM:SS`, an optional fraction after
/// `.` or `,`, and an optional `Z`, `±HH:MM`, `±HHMM` or `±HH`. A stamp without an offset is
/// read as UTC: the model has no time zone to guess with, and cluster logs are UTC anyway.
pub(super) fn parse_leading(s: &[u8]) -> Option<(i64, usize)> {
    // `-` is ISO; `/` is what nginx's error log and Go's `log` package write.
    if s.len() < 19 || !s[0].is_ascii_digit() || !matches!(s[4], b'-' | b'/') {
        return None;
    }
    let year = digits(s, 0, 4)?;
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    if s[7] != s[4] || !matches!(s[10], b'T' | b't' | b' ') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let hour = digits(s, 11, 2)?;
    let minute = digits(s, 14, 2)?;
    // A leap second (60) is folded into 59 rather than rejected.
    let second = digits(s, 17, 2)?.min(59);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 {
        return None;
    }
    let mut pos = 19;
    let mut nanos: i64 = 0;
    if pos < s.len()
        && matches!(s[pos], b'.' | b',')
        && s.get(pos + 1).is_some_and(u8::is_ascii_digit)
    {
        pos += 1;
        let mut scale = 100_000_000;
        while pos < s.len() && s[pos].is_ascii_digit() {
            // Digits past nanoseconds are read and dropped.
            nanos += i64::from(s[pos] - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
    }
    let mut offset_seconds: i64 = 0;
    // Go's `time.Time.String()` (logrus, many Go programs) writes ` -0400 EDT`: a space, the
    // offset, then the zone's name, which carries nothing the offset does not.
    if s.get(pos) == Some(&b' ')
        && matches!(s.get(pos + 1), Some(b'+' | b'-'))
        && digits(s, pos + 2, 4).is_some()
        && !s.get(pos + 6).is_some_and(u8::is_ascii_digit)
    {
        pos += 1;
    }
    match s.get(pos) {
        Some(b'Z' | b'z') => pos += 1,
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(s, pos + 1, 2)?;
            let mut used = 3;
            let mut minutes = 0;
            if s.get(pos + 3) == Some(&b':') {
                minutes = digits(s, pos + 4, 2)?;
                used = 6;
            } else if let Some(m) = digits(s, pos + 3, 2) {
                minutes = m;
                used = 5;
            }
            if hours > 23 || minutes > 59 {
                return None;
            }
            let magnitude = i64::from(hours * 3600 + minutes * 60);
            offset_seconds = if sign == b'+' { magnitude } else { -magnitude };
            pos += used;
        }
        _ => {}
    }
    // "2026-01-01T00:00:00123" is not a stamp followed by text; refuse rather than misread.
    if s.get(pos).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    pos += zone_name_len(&s[pos..]);
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    let total = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    (total != NO_TIMESTAMP).then_some((total, pos))
}

/// Length of a ` EDT` / ` UTC` zone name after a stamp (space included), or 0. Only two to
/// five upper-case letters followed by the end or a space count, so a level word such as
/// ` INFO` is not taken for a zone unless it is one of the few names that look alike.
fn zone_name_len(s: &[u8]) -> usize {
    if s.first() != Some(&b' ') {
        return 0;
    }
    let letters = s[1..].iter().take_while(|b| b.is_ascii_uppercase()).count();
    let name = &s[1..=letters];
    let ends = s.get(1 + letters).is_none_or(|&b| b == b' ');
    let is_zone = (2..=5).contains(&letters)
        && ends
        && (name == b"UTC"
            || name == b"GMT"
            || (name.len() >= 3
                && matches!(name[name.len() - 2..], [b'S' | b'D', b'T'])
                && !matches!(name, b"WARN" | b"INFO" | b"DBG" | b"ERR")));
    if is_zone { 1 + letters } else { 0 }
}

/// Parses a whole string as a timestamp: RFC 3339 (see [`parse_leading`]) or a decimal epoch
/// number such as Loki's nanosecond strings.
pub(super) fn parse_text(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some((nanos, used)) = parse_leading(s.as_bytes()) {
        return (used == s.len()).then_some(nanos);
    }
    if let Ok(n) = s.parse::<i64>() {
        return from_epoch_int(n);
    }
    s.parse::<f64>().ok().and_then(from_epoch_float)
}

/// Reads an integer epoch in seconds, milliseconds, microseconds or nanoseconds, chosen by
/// magnitude: anything below 10^11 is seconds (up to year 5138), below 10^14 milliseconds, and
/// so on.
pub(super) fn from_epoch_int(n: i64) -> Option<i64> {
    let magnitude = n.unsigned_abs();
    let nanos = if magnitude < 100_000_000_000 {
        n.checked_mul(1_000_000_000)?
    } else if magnitude < 100_000_000_000_000 {
        n.checked_mul(1_000_000)?
    } else if magnitude < 100_000_000_000_000_000 {
        n.checked_mul(1_000)?
    } else {
        n
    };
    (nanos != NO_TIMESTAMP).then_some(nanos)
}

/// Reads a fractional epoch (`1700000000.25`), with the same magnitude rule as integers.
pub(super) fn from_epoch_float(f: f64) -> Option<i64> {
    if !f.is_finite() {
        return None;
    }
    let magnitude = f.abs();
    let scale: i64 = if magnitude < 1e11 {
        1_000_000_000
    } else if magnitude < 1e14 {
        1_000_000
    } else if magnitude < 1e17 {
        1_000
    } else {
        1
    };
    // Whole and fractional parts separately: `f * 1e9` in one step would lose the fraction's
    // precision to the 53-bit mantissa (…000.25 would come out as …999.872).
    let whole = f.trunc();
    #[allow(clippy::cast_precision_loss)] // scale is at most 1e9, exact in f64
    let scale_f = scale as f64;
    // i64 spans about ±9.2e18 ns; outside that there is no honest answer.
    if (whole * scale_f).abs() >= 9.2e18 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)] // range checked just above
    let (whole, fraction) = (whole as i64, ((f - whole) * scale_f).round() as i64);
    whole
        .checked_mul(scale)?
        .checked_add(fraction)
        .filter(|&n| n != NO_TIMESTAMP)
}

/// `len` ASCII digits at `start`, or `None` when any is missing or not a digit.
pub(super) fn digits(s: &[u8], start: usize, len: usize) -> Option<u32> {
    let field = s.get(start..start + len)?;
    field.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

pub(super) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos_of(text: &str) -> i64 {
        let ts: Timestamp = text.parse().unwrap();
        i64::try_from(ts.as_nanosecond()).unwrap()
    }

    #[test]
    fn rfc3339_shapes_agree_with_jiff() {
        for text in [
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00.123456789Z",
            "2026-11-22T10:00:00.5+01:00",
            "2024-02-29T23:59:59-07:30",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            let (nanos, used) = parse_leading(text.as_bytes()).unwrap();
            assert_eq!(used, text.len(), "{text}");
            assert_eq!(nanos, nanos_of(text), "{text}");
        }
    }

    #[test]
    fn iso_variants_are_accepted() {
        let expected = nanos_of("2026-11-22T10:00:00.123Z");
        assert_eq!(
            parse_leading(b"2026-11-22 10:00:00,123 INFO x"),
            Some((expected, 23))
        );
        assert_eq!(
            parse_leading(b"2026-11-22T10:00:00.123+0000 x").map(|p| p.0),
            Some(expected)
        );
        assert_eq!(
            parse_leading(b"2026-11-22T11:00:00.123+01 x").map(|p| p.0),
            Some(expected)
        );
    }

    #[test]
    fn non_stamps_are_refused() {
        assert_eq!(parse_leading(b"hello world, this is not a time"), None);
        assert_eq!(parse_leading(b"2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_leading(b"2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_leading(b"2026-01-01T24:00:00Z"), None);
        assert_eq!(parse_leading(b"2026-01-01T00:00:00123"), None);
        assert_eq!(parse_leading(b"2026-01-01"), None);
    }

    #[test]
    fn epoch_numbers_are_scaled_by_magnitude() {
        let expected = nanos_of("2023-11-14T22:13:20Z");
        assert_eq!(from_epoch_int(1_700_000_000), Some(expected));
        assert_eq!(from_epoch_int(1_700_000_000_000), Some(expected));
        assert_eq!(from_epoch_int(1_700_000_000_000_000), Some(expected));
        assert_eq!(from_epoch_int(1_700_000_000_000_000_000), Some(expected));
        assert_eq!(
            from_epoch_float(1_700_000_000.25),
            Some(expected + 250_000_000)
        );
        assert_eq!(parse_text("1700000000000000000"), Some(expected));
        assert_eq!(parse_text("2023-11-14T22:13:20Z"), Some(expected));
        assert_eq!(parse_text("2023-11-14T22:13:20Z trailing"), None);
        assert_eq!(from_epoch_float(f64::NAN), None);
    }

    #[test]
    fn stored_nanos_round_trip() {
        let nanos = nanos_of("2026-11-22T10:00:00.000000001Z");
        assert_eq!(
            from_nanos(nanos).unwrap().as_nanosecond(),
            i128::from(nanos)
        );
        assert_eq!(from_nanos(NO_TIMESTAMP), None);
    }
}
