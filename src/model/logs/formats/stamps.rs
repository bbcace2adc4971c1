//! Timestamp shapes with month names or without a year: syslog's `Dec  4 04:47:44`, Apache's
//! `Sun Dec 04 04:47:44 2005`, the access log's `10/Oct/2000:13:55:36 -0700` and Android
//! logcat's `03-17 16:13:38.811`.
//!
//! A stamp without a year gets the year that puts it at most a day after the caller's
//! reference time (its "now", or when the line arrived): the model reads no clock, so a caller
//! that passes no reference gets no timestamp for such lines rather than a guessed year.

use super::super::time::{days_from_civil, days_in_month, digits};

/// Month number (1–12) of an English three-letter name, any case.
pub(super) fn month(name: &[u8]) -> Option<u32> {
    let [a, b, c] = name else { return None };
    let key = [
        a.to_ascii_lowercase(),
        b.to_ascii_lowercase(),
        c.to_ascii_lowercase(),
    ];
    let month = match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// A calendar date and time of day, before a year is known or an offset applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Civil {
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) seconds_of_day: u32,
    pub(super) nanos: u32,
}

impl Civil {
    /// Unix nanoseconds in `year`, minus `offset_seconds` (east of UTC is positive).
    pub(super) fn at(self, year: i64, offset_seconds: i64) -> Option<i64> {
        let year_u = u32::try_from(year).ok()?;
        if !(1..=12).contains(&self.month)
            || self.day == 0
            || self.day > days_in_month(year_u, self.month)
        {
            return None;
        }
        let days = days_from_civil(year, self.month, self.day);
        let seconds = days * 86_400 + i64::from(self.seconds_of_day) - offset_seconds;
        seconds
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(self.nanos))
    }

    /// Unix nanoseconds (read as UTC) in the year that puts the stamp no more than a day after
    /// `reference` (so a December line read in January is last year's).
    pub(super) fn near(self, reference: i64) -> Option<i64> {
        let year = year_of(reference);
        let this_year = self.at(year, 0);
        match this_year {
            Some(nanos) if nanos <= reference.saturating_add(86_400 * 1_000_000_000) => Some(nanos),
            // 29 February of a year that has none: the previous leap year is too far away to
            // be a sensible guess; the previous year at least gives a time.
            _ => self.at(year - 1, 0),
        }
    }
}

/// Civil year of Unix nanoseconds (UTC).
fn year_of(nanos: i64) -> i64 {
    let days = nanos.div_euclid(86_400 * 1_000_000_000);
    // Howard Hinnant's civil_from_days, the inverse of `days_from_civil`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400;
    if month_from_march >= 10 {
        year + 1
    } else {
        year
    }
}

/// `HH:MM:SS` at `at`, then an optional `.fraction` or `,fraction`: seconds of the day,
/// nanoseconds and the bytes used.
pub(super) fn clock(s: &[u8], at: usize) -> Option<(u32, u32, usize)> {
    let hour = digits(s, at, 2)?;
    let minute = digits(s, at + 3, 2)?;
    let second = digits(s, at + 6, 2)?.min(59);
    if s[at + 2] != b':' || s[at + 5] != b':' || hour > 23 || minute > 59 {
        return None;
    }
    let mut pos = at + 8;
    let mut nanos = 0u32;
    if matches!(s.get(pos), Some(b'.' | b',')) && s.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        pos += 1;
        let mut scale = 100_000_000;
        while let Some(&d) = s.get(pos).filter(|b| b.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
    }
    Some((hour * 3600 + minute * 60 + second, nanos, pos - at))
}

/// syslog (RFC 3164) `Dec  4 04:47:44` or `Dec 14 04:47:44.123`: the civil parts and bytes
/// used.
pub(super) fn syslog(s: &[u8]) -> Option<(Civil, usize)> {
    let month = month(s.get(..3)?)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let mut pos = 4;
    if s.get(pos) == Some(&b' ') {
        pos += 1;
    }
    let day_len = s[pos..]
        .iter()
        .take(2)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let day = digits(s, pos, day_len.max(1))?;
    pos += day_len;
    if s.get(pos) != Some(&b' ') || s.len() < pos + 9 {
        return None;
    }
    let (seconds_of_day, nanos, used) = clock(s, pos + 1)?;
    let civil = Civil {
        month,
        day,
        seconds_of_day,
        nanos,
    };
    Some((civil, pos + 1 + used))
}

/// C `ctime` as Apache writes it in brackets: `Sun Dec 04 04:47:44 2005`, or with a
/// microsecond fraction (Apache 2.4). Unix nanoseconds (read as UTC) and bytes used.
pub(super) fn ctime(s: &[u8]) -> Option<(i64, usize)> {
    if s.len() < 24 || s[3] != b' ' || !s[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let (civil, used) = syslog(&s[4..])?;
    let at = 4 + used;
    if s.get(at) != Some(&b' ') {
        return None;
    }
    let year = digits(s, at + 1, 4)?;
    Some((civil.at(i64::from(year), 0)?, at + 5))
}

/// Common Log Format `10/Oct/2000:13:55:36 -0700`: Unix nanoseconds and bytes used.
pub(super) fn clf(s: &[u8]) -> Option<(i64, usize)> {
    if s.len() < 20 || s[2] != b'/' || s[6] != b'/' || s[11] != b':' {
        return None;
    }
    let day = digits(s, 0, 2)?;
    let month = month(&s[3..6])?;
    let year = digits(s, 7, 4)?;
    let (seconds_of_day, nanos, used) = clock(s, 12)?;
    let mut pos = 12 + used;
    let mut offset = 0i64;
    if s.get(pos) == Some(&b' ')
        && let Some(sign @ (b'+' | b'-')) = s.get(pos + 1).copied()
    {
        let hours = digits(s, pos + 2, 2)?;
        let minutes = digits(s, pos + 4, 2)?;
        let magnitude = i64::from(hours * 3600 + minutes * 60);
        offset = if sign == b'+' { magnitude } else { -magnitude };
        pos += 6;
    }
    let civil = Civil {
        month,
        day,
        seconds_of_day,
        nanos,
    };
    Some((civil.at(i64::from(year), offset)?, pos))
}

/// Android logcat `03-17 16:13:38.811` (month-day, no year): civil parts and bytes used.
pub(super) fn logcat(s: &[u8]) -> Option<(Civil, usize)> {
    if s.len() < 18 || s[2] != b'-' || s[5] != b' ' {
        return None;
    }
    let month = digits(s, 0, 2)?;
    let day = digits(s, 3, 2)?;
    let (seconds_of_day, nanos, used) = clock(s, 6)?;
    if used < 10 {
        // logcat always writes milliseconds; without them this is some other `MM-DD` text.
        return None;
    }
    let civil = Civil {
        month,
        day,
        seconds_of_day,
        nanos,
    };
    Some((civil, 6 + used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(text: &str) -> i64 {
        i64::try_from(text.parse::<jiff::Timestamp>().unwrap().as_nanosecond()).unwrap()
    }

    #[test]
    fn syslog_stamps_take_the_year_that_is_not_in_the_future() {
        let reference = nanos("2026-12-07T10:00:00Z");
        let (civil, used) = syslog(b"Dec  4 04:47:44 host x: y").unwrap();
        assert_eq!(used, 15);
        assert_eq!(civil.near(reference), Some(nanos("2026-12-04T04:47:44Z")));
        // A line dated after "now" (plus a day of clock skew) is from last year.
        let (civil, _) = syslog(b"Dec 24 04:47:44.5 host").unwrap();
        assert_eq!(civil.near(reference), Some(nanos("2025-12-24T04:47:44.5Z")));
        let (civil, _) = syslog(b"Dec  8 01:00:00 host").unwrap();
        assert_eq!(civil.near(reference), Some(nanos("2026-12-08T01:00:00Z")));
        assert_eq!(syslog(b"Dez  4 04:47:44 host"), None);
        assert_eq!(syslog(b"Dec  4 4:47:44 host"), None);
    }

    #[test]
    fn apache_and_access_log_stamps() {
        // loghub Apache_2k.log, line 1.
        assert_eq!(
            ctime(b"Sun Dec 04 04:47:44 2005] [notice]"),
            Some((nanos("2005-12-04T04:47:44Z"), 24))
        );
        assert_eq!(
            ctime(b"Wed Oct 11 14:32:52.123456 2000]").map(|p| p.0),
            Some(nanos("2000-10-11T14:32:52.123456Z"))
        );
        assert_eq!(
            clf(b"10/Oct/2000:13:55:36 -0700] \"GET"),
            Some((nanos("2000-10-10T13:55:36-07:00"), 26))
        );
        assert_eq!(
            clf(b"22/Jan/2019:03:56:14 +0330]").map(|p| p.0),
            Some(nanos("2019-01-22T03:56:14+03:30"))
        );
        assert_eq!(clf(b"10/Okt/2000:13:55:36 -0700"), None);
    }

    #[test]
    fn logcat_stamps_need_milliseconds() {
        let (civil, used) = logcat(b"03-17 16:13:38.811  1702").unwrap();
        assert_eq!(used, 18);
        assert_eq!(
            civil.near(nanos("2026-12-07T00:00:00Z")),
            Some(nanos("2026-03-17T16:13:38.811Z"))
        );
        assert_eq!(logcat(b"03-17 16:13:38 x y z w"), None);
    }

    #[test]
    fn year_of_matches_jiff() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2026-12-31T23:59:59Z",
            "2027-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let ts: jiff::Timestamp = text.parse().unwrap();
            let expected = i64::from(ts.to_zoned(jiff::tz::TimeZone::UTC).year());
            assert_eq!(year_of(nanos(text)), expected, "{text}");
        }
    }
}
