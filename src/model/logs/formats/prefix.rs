//! Levels written as a word near the start of a text line: klog's `E1204` header, Laravel's
//! `local.ERROR:`, Rails' `E, […] ERROR -- :`, Android logcat's level letter, Python's
//! `WARNING:root:` and, for everything else (Log4j, Logback, Python's asctime patterns, Go's
//! `log`, zap's console encoder …), a level token set off by separators in the line's prefix.
//!
//! Shapes checked against lnav's definitions (tstack/lnav bb0005f96c8dc486ee0b9005a4562be0ef61c878:
//! `src/formats/glog_log.json`, `laravel_log.json`, `rails_log.json`, `logcat_log.json`; and
//! `generic_log_format` in `src/log_format_impls.cc` of v0.11.1, which looks for a level word
//! after the timestamp).

use super::super::level::Level;
use super::stamps;

/// klog / glog header: `E1122 10:00:00.000000 …` (level letter, month and day, space, hour).
pub(super) fn klog(body: &[u8]) -> Option<Level> {
    if body.len() < 8
        || !body[1..5].iter().all(u8::is_ascii_digit)
        || body[5] != b' '
        || !body[6].is_ascii_digit()
    {
        return None;
    }
    match body[0] {
        b'I' => Some(Level::Info),
        b'W' => Some(Level::Warn),
        b'E' => Some(Level::Error),
        b'F' => Some(Level::Fatal),
        _ => None,
    }
}

/// Laravel (Monolog's default line format): `[2017-01-01 00:00:00] local.ERROR: message`.
/// Returns the level and the stamp's nanoseconds.
pub(super) fn laravel(body: &str) -> Option<(Level, Option<i64>)> {
    let inner = body.strip_prefix('[')?;
    let close = memchr::memchr(b']', &inner.as_bytes()[..inner.len().min(40)])?;
    let timestamp = super::super::time::parse_text(&inner[..close]);
    timestamp?;
    let rest = inner[close + 1..].strip_prefix(' ')?;
    let head = &rest.as_bytes()[..rest.len().min(64)];
    let colon =
        memchr::memmem::find(head, b": ").or_else(|| rest.strip_suffix(':').map(str::len))?;
    let (_, word) = rest[..colon].rsplit_once('.')?;
    let level = Level::from_word(word)?;
    Some((level, timestamp))
}

/// Ruby's Logger as Rails uses it: `E, [2026-12-07T10:00:00.123456 #1234] ERROR -- : …`.
pub(super) fn rails(body: &str) -> Option<(Level, Option<i64>)> {
    let b = body.as_bytes();
    if b.len() < 8 || !b[0].is_ascii_uppercase() || &b[1..4] != b", [" {
        return None;
    }
    let timestamp = super::super::time::parse_leading(&b[4..]).map(|(nanos, _)| nanos);
    let close = body.find("] ")?;
    let word = body[close + 2..].trim_start().split(' ').next()?;
    let level = Level::from_word(word).or_else(|| Level::from_word(&body[..1]))?;
    Some((level, timestamp))
}

/// Rails' request lines without a logger prefix: `Started GET "/" for …` (info) and
/// `Completed 500 Internal Server Error in 5ms` (the status decides).
pub(super) fn rails_request(body: &str) -> Option<Level> {
    if body.starts_with("Started ") && body.contains(" for ") {
        return Some(Level::Info);
    }
    let status = body.strip_prefix("Completed ")?.get(..3)?;
    super::web::status_level(status.as_bytes())
}

/// Android logcat `threadtime`: `03-17 16:13:38.811  1702  2395 D Tag: …`. The level letter
/// comes after the pid and tid.
pub(super) fn logcat(body: &str, reference: Option<i64>) -> Option<(Level, Option<i64>)> {
    let (civil, used) = stamps::logcat(body.as_bytes())?;
    let mut words = body[used..].split_ascii_whitespace();
    let pid = words.next()?;
    let tid = words.next()?;
    let letter = words.next()?;
    if !pid.bytes().all(|b| b.is_ascii_digit())
        || !tid.bytes().all(|b| b.is_ascii_digit())
        || letter.len() != 1
    {
        return None;
    }
    let level = match letter.as_bytes()[0] {
        b'V' => Level::Trace,
        b'D' => Level::Debug,
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        b'F' | b'A' => Level::Fatal,
        _ => return None,
    };
    Some((level, reference.and_then(|r| civil.near(r))))
}

/// Python logging's default `basicConfig` format: `WARNING:root:message`.
pub(super) fn python_default(body: &str) -> Option<Level> {
    let (word, rest) = body.split_once(':')?;
    if !matches!(word, "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL") || !rest.contains(':') {
        return None;
    }
    Level::from_word(word)
}

/// How many leading tokens may hold a level (`[main] com.x.Y INFO - …` puts it third or so;
/// `host.local.ERROR:` splits into more).
const LEVEL_TOKENS: usize = 8;

/// Only the start of a line is searched: a level word deep in a message is content.
const PREFIX_BYTES: usize = 96;

/// A level token among the first few tokens, where tokens are split at spaces and at the
/// separators formats put around levels (`:WARN:`, `.ERROR:`, `[error]`, `<E>`, `|INFO|`).
/// Upper-case tokens (`ERROR`) count anywhere there; other spellings only when set off by a
/// bracket or a trailing `:`, or first on the line, because "connection error" in a sentence is
/// not a level. Single letters count only in brackets (`[E]`) or Android style (`E/Tag:`), as
/// a bare "I" is usually a word.
pub(super) fn token_level(body: &str) -> Option<Level> {
    let prefix = &body.as_bytes()[..body.len().min(PREFIX_BYTES)];
    if prefix.len() > 2
        && prefix[0].is_ascii_uppercase()
        && prefix[1] == b'/'
        && prefix[2].is_ascii_alphabetic()
        && let Some(level) = Level::from_word(&body[..1])
    {
        return Some(level);
    }
    let mut index = 0;
    let mut pos = 0;
    while pos < prefix.len() && index < LEVEL_TOKENS {
        let start = pos
            + prefix[pos..]
                .iter()
                .take_while(|&&b| is_separator(b))
                .count();
        if start >= prefix.len() {
            break;
        }
        let end = start
            + prefix[start..]
                .iter()
                .take_while(|&&b| !is_separator(b))
                .count();
        pos = end;
        let word = &prefix[start..end];
        if word.len() > 13 {
            index += 1;
            continue;
        }
        let before = start.checked_sub(1).map(|i| prefix[i]);
        let after = prefix.get(end).copied();
        let bracketed = matches!(before, Some(b'[' | b'(' | b'<' | b'|'))
            && matches!(after, Some(b']' | b')' | b'>' | b'|'));
        let set_off = bracketed
            || matches!(after, Some(b':' | b']' | b')' | b'>'))
            || matches!(before, Some(b':' | b'.')) && after == Some(b':');
        // The text is valid UTF-8 and the token is cut at ASCII separators, so it is too.
        let text = std::str::from_utf8(word).unwrap_or("");
        let this = index;
        index += 1;
        if word.len() == 1 {
            if bracketed && let Some(level) = Level::from_word(text) {
                return Some(level);
            }
            continue;
        }
        let upper = word
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if (upper || set_off || this == 0)
            && let Some(level) = Level::from_word(text)
        {
            return Some(level);
        }
    }
    None
}

fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b':' | b'[' | b']' | b'(' | b')' | b'<' | b'>' | b'|' | b',' | b'.' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_and_rails_lines() {
        // tstack/lnav test/logfile_laravel.0, line 1 (the context trimmed).
        let (level, ts) = laravel(
            "[2023-05-15 18:19:32] local.ERROR: Target class [Fruitcake\\Cors\\HandleCors] does not exist. {\"exception\":\"x\"}",
        )
        .unwrap();
        assert_eq!(level, Level::Error);
        assert!(ts.is_some());
        // tstack/lnav test/logfile_laravel.1: EMERGENCY is fatal.
        let (level, _) =
            laravel("[2025-01-02 11:19:06] laravel.EMERGENCY: Unable to create configured logger.")
                .unwrap();
        assert_eq!(level, Level::Fatal);
        assert!(laravel("[not a time] local.ERROR: x").is_none());
        let (level, ts) = rails("E, [2026-12-07T10:00:00.123456 #1234] ERROR -- : boom").unwrap();
        assert_eq!(level, Level::Error);
        assert!(ts.is_some());
        assert_eq!(
            rails_request("Completed 500 Internal Server Error in 5ms"),
            Some(Level::Error)
        );
        assert_eq!(
            rails_request("Started GET \"/\" for 127.0.0.1 at 2026-12-07"),
            Some(Level::Info)
        );
    }

    #[test]
    fn logcat_and_python() {
        // logpai/loghub Android/Android_2k.log, line 1 (trimmed).
        let (level, ts) = logcat(
            "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs",
            Some(0),
        )
        .unwrap();
        assert_eq!(level, Level::Debug);
        assert!(ts.is_some());
        assert_eq!(
            python_default("WARNING:root:disk almost full"),
            Some(Level::Warn)
        );
        assert_eq!(python_default("Note:this:is not python"), None);
    }

    #[test]
    fn tokens_between_separators() {
        let cases = [
            // tstack/lnav test/logfile_generic.0 (after its timestamp).
            (":WARN:foo bar baz", Some(Level::Warn)),
            // tstack/lnav test/logfile_generic.1.
            (
                " 25376]ERROR:somemodule:Something very INFOrmative.",
                Some(Level::Error),
            ),
            ("local.ERROR: x", Some(Level::Error)),
            ("<E> boom", Some(Level::Error)),
            ("|INFO| ok", Some(Level::Info)),
            (
                "- WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - x",
                Some(Level::Warn),
            ),
            (
                ", Info                  CBS    Loaded Servicing Stack",
                Some(Level::Info),
            ),
            ("the connection error was retried", None),
            ("I think so", None),
        ];
        for (text, level) in cases {
            assert_eq!(token_level(text), level, "{text}");
        }
    }
}
