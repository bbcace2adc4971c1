//! Which common log format a line is in, and so where its level and time are: syslog (with and
//! without `<PRI>`), web access and error logs, W3C extended logs, Laravel, Rails, logcat,
//! klog, Python, and the level-token-in-the-prefix shape of Log4j, Logback, Go and friends.
//!
//! A line keeps only a one-byte [`DetectedFormat`]; the longer "level from …" explanation
//! shown in the line's detail is rebuilt on demand by [`explain`], which re-reads the raw text
//! (only for the one line a user opens). lnav's format definitions are the reference for each
//! shape; each submodule cites the file and commit it follows.

mod prefix;
mod stamps;
pub(super) mod syslog;
pub(super) mod web;

pub use web::W3cColumns;

use super::level::Level;

/// The format a line was recognised as, which says where its level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum DetectedFormat {
    /// Nothing recognised: no level, or a level word found first on the line.
    #[default]
    Text,
    /// A level token set off in the line's prefix (`[error]`, `:WARN:`, `<E>`).
    LevelToken,
    /// A timestamp, then a level token: Log4j, Logback, Python `%(asctime)s`, Go, zap console.
    StampedLevel,
    /// logfmt or Go's slog text handler: `level=` names it.
    Logfmt,
    /// klog / glog `E1204 10:00:00.000000 …`.
    Klog,
    /// Python logging's default `WARNING:root:msg`.
    Python,
    /// Laravel / Monolog `[…] env.LEVEL: msg`.
    Laravel,
    /// Ruby Logger as Rails writes it: `E, […] ERROR -- : msg`.
    Rails,
    /// Rails request lines: `Started GET …`, `Completed 500 …`.
    RailsRequest,
    /// Android logcat `threadtime`.
    Logcat,
    /// syslog RFC 3164 with `<PRI>`.
    SyslogRfc3164,
    /// syslog RFC 5424 (`<PRI>1 …`).
    SyslogRfc5424,
    /// A syslog file line (`Dec  4 04:47:44 host tag[pid]: msg`, no PRI).
    SyslogFile,
    /// HTTP access log (Common or Combined Log Format, nginx default).
    AccessLog,
    /// Apache error log `[ctime] [module:level] …`.
    ApacheError,
    /// nginx error log `YYYY/MM/DD HH:MM:SS [level] pid#tid: …`.
    NginxError,
    /// W3C extended log data line, read with its `#Fields:` header.
    W3c,
    /// W3C extended log directive (`#Fields:`, `#Version:` …).
    W3cDirective,
    /// A JSON object with a level word.
    Json,
    /// bunyan / pino JSON: numeric levels 10–60.
    JsonNumeric,
    /// journald JSON export (`PRIORITY`).
    Journald,
    /// Log4j2 `JsonLayout` (`timeMillis` or `instant`).
    Log4j2Json,
}

impl DetectedFormat {
    /// Short human name for the line's detail.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "plain text",
            Self::LevelToken => "text with a level token",
            Self::StampedLevel => "timestamp + level (Log4j, Logback, Python, Go)",
            Self::Logfmt => "logfmt / Go slog text",
            Self::Klog => "klog / glog",
            Self::Python => "Python logging (default format)",
            Self::Laravel => "Laravel / Monolog",
            Self::Rails => "Rails (Ruby Logger)",
            Self::RailsRequest => "Rails request log",
            Self::Logcat => "Android logcat",
            Self::SyslogRfc3164 => "syslog RFC 3164",
            Self::SyslogRfc5424 => "syslog RFC 5424",
            Self::SyslogFile => "syslog file",
            Self::AccessLog => "HTTP access log",
            Self::ApacheError => "Apache error log",
            Self::NginxError => "nginx error log",
            Self::W3c => "W3C extended log",
            Self::W3cDirective => "W3C extended log directive",
            Self::Json => "JSON",
            Self::JsonNumeric => "JSON (bunyan / pino levels)",
            Self::Journald => "journald JSON",
            Self::Log4j2Json => "Log4j2 JsonLayout",
        }
    }
}

/// What a caller knows beyond the line: the time to place year-less stamps near, and the
/// columns of a W3C log read so far.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Context<'a> {
    pub(super) reference: Option<i64>,
    pub(super) w3c: Option<&'a W3cColumns>,
}

/// What detection found in a plain-text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Detection {
    pub(super) format: DetectedFormat,
    pub(super) level: Option<Level>,
    pub(super) timestamp: Option<i64>,
}

impl Detection {
    fn new(format: DetectedFormat, level: Option<Level>, timestamp: Option<i64>) -> Self {
        Self {
            format,
            level,
            timestamp,
        }
    }
}

/// Recognises the format of a plain line. `text` is the whole sanitized line, `body_start`
/// where it continues after a leading ISO stamp (`prefix_timestamp`), `logfmt_level` the level
/// a logfmt scan found. Cheap first-byte checks come first: most lines are decided by one.
pub(super) fn detect_plain(
    text: &str,
    body_start: usize,
    has_prefix_stamp: bool,
    logfmt_level: Option<Level>,
    context: Context<'_>,
) -> Detection {
    use DetectedFormat as F;
    let body = &text[body_start..];
    let bytes = body.as_bytes();
    if text.starts_with('#') && context.w3c.is_some() || text.starts_with("#Fields:") {
        return Detection::new(F::W3cDirective, None, None);
    }
    if let Some(columns) = context.w3c
        && !text.is_empty()
    {
        // Under a `#Fields:` header every line is a record; without a status column (or with
        // `-`) it is info, as lnav's W3C reader has it.
        let (status, timestamp) = columns.read(text);
        let level = status
            .and_then(|s| web::status_level(&s))
            .or(Some(Level::Info));
        return Detection::new(F::W3c, level, timestamp);
    }
    match bytes.first() {
        None => return Detection::default(),
        Some(b'<') => {
            if let Some(line) = syslog::pri_line(bytes, context.reference) {
                let format = if line.rfc5424 {
                    F::SyslogRfc5424
                } else {
                    F::SyslogRfc3164
                };
                let level = syslog::severity_level(u64::from(line.pri & 7));
                return Detection::new(format, level, line.timestamp);
            }
        }
        Some(b'[') => {
            if let Some(line) = web::apache_error(body) {
                let level =
                    Level::from_word(line.level_word).or_else(|| lnav_word(line.level_word));
                return Detection::new(F::ApacheError, level, line.timestamp);
            }
            if let Some((level, timestamp)) = prefix::laravel(body) {
                return Detection::new(F::Laravel, Some(level), timestamp);
            }
        }
        _ => {}
    }
    if logfmt_level.is_some() {
        return Detection::new(F::Logfmt, logfmt_level, None);
    }
    if let Some(level) = prefix::klog(bytes) {
        return Detection::new(F::Klog, Some(level), None);
    }
    if has_prefix_stamp {
        if text.as_bytes().get(4) == Some(&b'/')
            && let Some(word) = web::nginx_error(body)
        {
            return Detection::new(F::NginxError, Level::from_word(word), None);
        }
        if let Some(start) = iso_syslog_message(body) {
            let level = syslog::message_level(&body[start..]);
            return Detection::new(F::SyslogFile, Some(level), None);
        }
    }
    if bytes[0].is_ascii_alphabetic()
        && let Some((civil, used)) = stamps::syslog(bytes)
    {
        let level = syslog::message_start(&body[used..]).map_or(Level::Info, |start| {
            syslog::message_level(&body[used + start..])
        });
        let timestamp = context.reference.and_then(|r| civil.near(r));
        return Detection::new(F::SyslogFile, Some(level), timestamp);
    }
    if let Some((level, timestamp)) = prefix::rails(body) {
        return Detection::new(F::Rails, Some(level), timestamp);
    }
    if let Some(level) = prefix::rails_request(body) {
        return Detection::new(F::RailsRequest, Some(level), None);
    }
    if bytes[0].is_ascii_alphanumeric()
        && let Some(line) = web::access(bytes)
    {
        return Detection::new(
            F::AccessLog,
            web::status_level(&line.status),
            line.timestamp,
        );
    }
    if let Some((level, timestamp)) = prefix::logcat(body, context.reference) {
        return Detection::new(F::Logcat, Some(level), timestamp);
    }
    if let Some(level) = prefix::python_default(body) {
        return Detection::new(F::Python, Some(level), None);
    }
    if let Some(level) = prefix::token_level(body) {
        let format = if has_prefix_stamp {
            F::StampedLevel
        } else {
            F::LevelToken
        };
        return Detection::new(format, Some(level), None);
    }
    Detection::default()
}

/// lnav's extra level words that our vocabulary lacks (`stats`).
fn lnav_word(word: &str) -> Option<Level> {
    word.eq_ignore_ascii_case("stats").then_some(Level::Info)
}

/// `host tag[pid]: message` after an ISO stamp (rsyslog's RFC 3339 file format): where the
/// message starts.
fn iso_syslog_message(body: &str) -> Option<usize> {
    let head = &body.as_bytes()[..body.len().min(128)];
    let bracket_colon = memchr::memmem::find(head, b"]: ")?;
    let open = memchr::memrchr(b'[', &head[..bracket_colon])?;
    let pid = &head[open + 1..bracket_colon];
    let words = memchr::memchr_iter(b' ', &head[..open]).count();
    (!pid.is_empty() && pid.iter().all(u8::is_ascii_digit) && words == 1)
        .then_some(bracket_colon + 3)
}

/// "level from …" for a line's detail: how its level was found, re-read from the raw text.
#[must_use]
pub fn explain(raw: &str, format: DetectedFormat, level: Option<Level>) -> String {
    use DetectedFormat as F;
    let level_name = level.map_or("none", Level::as_str);
    let how = match format {
        F::SyslogRfc3164 | F::SyslogRfc5424 => {
            let at = raw.find('<').unwrap_or(0);
            match syslog::pri(&raw.as_bytes()[at..]) {
                Some((pri, _)) => format!(
                    "PRI <{pri}> (facility {}, severity {} {})",
                    pri >> 3,
                    pri & 7,
                    syslog::severity_name(pri & 7)
                ),
                None => "PRI".to_owned(),
            }
        }
        F::SyslogFile => "message words, as lnav reads syslog (warn, error, failed …)".to_owned(),
        F::AccessLog => {
            let status = raw
                .find(|c: char| c.is_ascii_alphanumeric())
                .and_then(|at| web::access(&raw.as_bytes()[at..]))
                .map(|l| String::from_utf8_lossy(&l.status).into_owned());
            format!(
                "HTTP status {} (5xx error, 4xx warning, else info)",
                status.as_deref().unwrap_or("?")
            )
        }
        F::W3c => "the sc-status column (5xx error, 4xx warning, else info)".to_owned(),
        F::RailsRequest => "the request line (Completed status)".to_owned(),
        F::Logfmt => "the level= field".to_owned(),
        F::Klog => "the klog header letter".to_owned(),
        F::Logcat => "the logcat priority letter".to_owned(),
        F::Json | F::Log4j2Json => "the level field".to_owned(),
        F::JsonNumeric => "the numeric level (10 trace … 60 fatal)".to_owned(),
        F::Journald => "PRIORITY (syslog severity)".to_owned(),
        F::W3cDirective => "nothing (a header line)".to_owned(),
        F::Text if level.is_none() => "nothing recognised".to_owned(),
        _ => "a level word in the line's prefix".to_owned(),
    };
    format!("{} · level {level_name} from {how}", format.name())
}

#[cfg(test)]
mod tests;
