//! syslog: the `<PRI>` header of RFC 3164 and RFC 5424 messages, the severity numbers it and
//! journald's `PRIORITY` carry, and lnav's message-word rule for syslog files (which have no
//! PRI, because rsyslog and syslog-ng do not write it to files by default).
//!
//! Mappings ported from lnav (tstack/lnav, commit bb0005f96c8dc486ee0b9005a4562be0ef61c878,
//! `src/formats/journald_json_log.json` for the severity numbers: 0|1 fatal, 2 critical,
//! 3 error, 4 warning, 5 stats, 6 info, 7 debug; `src/formats/syslog_log.json` for the
//! message words, identical in v0.11.1 48798076c194e878b61b84392c391fb4e36c2188).

use super::super::level::Level;
use super::super::time;
use super::stamps;

/// Level of a syslog severity (0 emerg … 7 debug). lnav's "critical" (2) is our fatal, its
/// "stats" (5, notice) our info.
pub(in super::super) fn severity_level(severity: u64) -> Option<Level> {
    let level = match severity {
        0..=2 => Level::Fatal,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        7 => Level::Debug,
        _ => return None,
    };
    Some(level)
}

/// The syslog name of a severity, for the line's detail.
pub(super) fn severity_name(severity: u8) -> &'static str {
    match severity {
        0 => "emerg",
        1 => "alert",
        2 => "crit",
        3 => "err",
        4 => "warning",
        5 => "notice",
        6 => "info",
        _ => "debug",
    }
}

/// A leading `<PRI>` (0–191): its value and the bytes it spans.
pub(super) fn pri(body: &[u8]) -> Option<(u8, usize)> {
    if body.first() != Some(&b'<') {
        return None;
    }
    let len = body[1..]
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=3).contains(&len) || body.get(1 + len) != Some(&b'>') {
        return None;
    }
    let value = time::digits(body, 1, len)?;
    let value = u8::try_from(value).ok().filter(|&v| v <= 191)?;
    Some((value, len + 2))
}

/// What a `<PRI>` line turned out to be.
pub(super) struct PriLine {
    pub(super) pri: u8,
    /// RFC 5424 (`<PRI>1 …`) rather than RFC 3164.
    pub(super) rfc5424: bool,
    pub(super) timestamp: Option<i64>,
}

/// Reads a line that starts with `<PRI>`: the version and ISO stamp of RFC 5424, or the
/// `Mmm dd hh:mm:ss` (or ISO) stamp of RFC 3164.
pub(super) fn pri_line(body: &[u8], reference: Option<i64>) -> Option<PriLine> {
    let (pri, used) = pri(body)?;
    let rest = &body[used..];
    if rest.starts_with(b"1 ") {
        let timestamp = time::parse_leading(&rest[2..]).map(|(nanos, _)| nanos);
        return Some(PriLine {
            pri,
            rfc5424: true,
            timestamp,
        });
    }
    let timestamp = time::parse_leading(rest)
        .map(|(nanos, _)| nanos)
        .or_else(|| {
            let (civil, _) = stamps::syslog(rest)?;
            civil.near(reference?)
        });
    Some(PriLine {
        pri,
        rfc5424: false,
        timestamp,
    })
}

/// lnav's level for a syslog file line, from words in its message: "warn" in any case, "not
/// responding" or "init: cannot execute" is a warning; otherwise "error"/"errors" as a word in
/// any case, or "failed"/"failure" as written, is an error; anything else is info. lnav tries
/// the warning pattern first (its patterns sit in a map ordered by level), so a message with
/// both words is a warning.
pub(super) fn message_level(message: &str) -> Level {
    let bytes = message.as_bytes();
    if contains_ignore_case(bytes, b"warn")
        || memchr::memmem::find(bytes, b"not responding").is_some()
        || memchr::memmem::find(bytes, b"init: cannot execute").is_some()
    {
        return Level::Warn;
    }
    if has_error_word(bytes)
        || memchr::memmem::find(bytes, b"failed").is_some()
        || memchr::memmem::find(bytes, b"failure").is_some()
    {
        return Level::Error;
    }
    Level::Info
}

/// `error` or `errors`, any case, not touching another letter on either side.
fn has_error_word(bytes: &[u8]) -> bool {
    let mut from = 0;
    while let Some(offset) = find_ignore_case(&bytes[from..], b"error") {
        let start = from + offset;
        let mut end = start + 5;
        if bytes
            .get(end)
            .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
        {
            end += 1;
        }
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(end);
        if !before.is_some_and(|b| b.is_ascii_alphabetic())
            && !after.is_some_and(u8::is_ascii_alphabetic)
        {
            return true;
        }
        from = start + 1;
    }
    false
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    find_ignore_case(haystack, needle).is_some()
}

/// First position of an ASCII `needle` (lower case) in `haystack`, ignoring case. Jumps between
/// occurrences of the needle's first letter in either case, so it stays linear.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut from = 0;
    while let Some(offset) = memchr::memchr2(first, first.to_ascii_uppercase(), &haystack[from..]) {
        let start = from + offset;
        let candidate = haystack.get(start..start + needle.len())?;
        if candidate.eq_ignore_ascii_case(needle) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// Where the message of a syslog file line starts: after the first `: ` that follows the
/// host and tag, or `None` for lines such as "last message repeated 3 times".
pub(super) fn message_start(after_stamp: &str) -> Option<usize> {
    memchr::memmem::find(after_stamp.as_bytes(), b": ").map(|i| i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_severity_is_the_low_three_bits() {
        assert_eq!(pri(b"<13>Dec  4"), Some((13, 4)));
        assert_eq!(pri(b"<191>1 "), Some((191, 5)));
        assert_eq!(pri(b"<192>x"), None);
        assert_eq!(pri(b"<>x"), None);
        assert_eq!(pri(b"<1234>"), None);
        // <11>: facility 1 (user), severity 3 (err).
        assert_eq!(severity_level(0b1011 & 0b111), Some(Level::Error));
        assert_eq!(severity_level(0), Some(Level::Fatal));
        assert_eq!(severity_level(2), Some(Level::Fatal));
        assert_eq!(severity_level(4), Some(Level::Warn));
        assert_eq!(severity_level(5), Some(Level::Info));
        assert_eq!(severity_level(7), Some(Level::Debug));
        assert_eq!(severity_level(8), None);
        assert_eq!(severity_name(3), "err");
    }

    #[test]
    fn message_words_follow_lnav() {
        // Lines from lnav's test/logfile_syslog.0 and loghub's OpenSSH_2k.log.
        assert_eq!(
            message_level("lookup(file): lookup for foobar failed"),
            Level::Error
        );
        assert_eq!(
            message_level("attempting to mount entry /auto/opt"),
            Level::Info
        );
        assert_eq!(
            message_level(
                "error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]"
            ),
            Level::Error
        );
        assert_eq!(message_level("Warning: errors ahead"), Level::Warn);
        assert_eq!(
            message_level("no terrors here, Failed only capitalised"),
            Level::Info
        );
        assert_eq!(message_level("kernel: ERRORS=3"), Level::Error);
    }
}
