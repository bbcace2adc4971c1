//! Web server logs: access logs (Common and Combined Log Format, nginx's default, with an
//! optional virtual host first), Apache's and nginx's error logs, and W3C extended logs (IIS),
//! whose `#Fields:` header names the columns.
//!
//! Shapes ported from lnav (tstack/lnav, v0.11.1 48798076c194e878b61b84392c391fb4e36c2188,
//! `src/formats/access_log.json` patterns `std` and `std-vhost`, `src/formats/error_log.json`
//! pattern `apache`; the W3C reader is `w3c_log_format` in `src/log_format_impls.cc`).
//! lnav maps every status from 400 up to "error"; opsdeck follows the issue instead: 5xx is an
//! error, 4xx a warning (a 404 is rarely what wakes someone), anything else info.

use super::super::level::Level;
use super::super::time;
use super::stamps;

/// Level of a 4xx status. The issue asks for a warning; lnav (and so the agreement measure)
/// says error. One constant, so the choice is easy to revisit.
const CLIENT_ERROR: Level = Level::Warn;

/// Level of an HTTP status code given as its three ASCII digits.
pub(in super::super) fn status_level(status: &[u8]) -> Option<Level> {
    match status {
        [b'5', b'0'..=b'9', b'0'..=b'9'] => Some(Level::Error),
        [b'4', b'0'..=b'9', b'0'..=b'9'] => Some(CLIENT_ERROR),
        [b'1'..=b'3', b'0'..=b'9', b'0'..=b'9'] => Some(Level::Info),
        _ => None,
    }
}

/// An access log line: `host? client ident user [clf-time] "request" status bytes …`.
pub(super) struct AccessLine {
    pub(super) timestamp: Option<i64>,
    pub(super) status: [u8; 3],
}

/// Reads an access log line, or `None` when `body` is not one. The bracketed time must come
/// within the first few fields and the quoted request right after it.
pub(super) fn access(body: &[u8]) -> Option<AccessLine> {
    // client, ident, user (and maybe a virtual host first): the `[` comes early.
    let open = memchr::memchr(b'[', body.get(..body.len().min(160))?)?;
    if open < 6 || body[open - 1] != b' ' || memchr::memchr_iter(b' ', &body[..open]).count() > 5 {
        return None;
    }
    let (timestamp, used) = stamps::clf(&body[open + 1..])?;
    let mut pos = open + 1 + used;
    if body.get(pos..pos + 3) != Some(b"] \"") {
        return None;
    }
    pos += 3;
    // The request ends at the first `" ` followed by a status; a request can hold quotes.
    loop {
        let close = pos + memchr::memmem::find(&body[pos..], b"\" ")?;
        let status = body.get(close + 2..close + 5)?;
        if status.iter().all(u8::is_ascii_digit) && body.get(close + 5).is_none_or(|&b| b == b' ') {
            return Some(AccessLine {
                timestamp: Some(timestamp),
                status: [status[0], status[1], status[2]],
            });
        }
        pos = close + 1;
    }
}

/// An Apache error log line `[ctime] [module:level] …` or `[ctime] [level] …`: the time, the
/// level word and where it sits.
pub(super) struct ApacheErrorLine<'a> {
    pub(super) timestamp: Option<i64>,
    pub(super) level_word: &'a str,
}

pub(super) fn apache_error(body: &str) -> Option<ApacheErrorLine<'_>> {
    let bytes = body.as_bytes();
    let (timestamp, used) = stamps::ctime(bytes.get(1..)?)?;
    let rest = body.get(1 + used..)?.strip_prefix("] [")?;
    let close = rest.find(']')?;
    let tag = &rest[..close];
    let level_word = tag.rsplit_once(':').map_or(tag, |(_, level)| level);
    Some(ApacheErrorLine {
        timestamp: Some(timestamp),
        level_word,
    })
}

/// An nginx error log line after its `YYYY/MM/DD HH:MM:SS ` stamp: `[level] pid#tid: …`.
/// Returns the level word.
pub(super) fn nginx_error(after_stamp: &str) -> Option<&str> {
    let rest = after_stamp.strip_prefix('[')?;
    let close = rest.find(']')?;
    let word = &rest[..close];
    let tail = rest.get(close + 1..)?.strip_prefix(' ')?;
    let hash = tail.find('#')?;
    (hash > 0 && tail[..hash].bytes().all(|b| b.is_ascii_digit())).then_some(word)
}

/// The columns of a W3C extended log, from its last `#Fields:` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct W3cColumns {
    status: Option<usize>,
    date: Option<usize>,
    time: Option<usize>,
}

impl W3cColumns {
    /// Reads a `#Fields: date time … sc-status …` header, or `None` for any other line.
    pub(in super::super) fn from_header(line: &str) -> Option<Self> {
        let names = line.strip_prefix("#Fields:")?;
        let mut columns = Self::default();
        for (index, name) in names.split_ascii_whitespace().enumerate() {
            match name {
                "sc-status" => columns.status = Some(index),
                "date" | "date-local" => columns.date = Some(index),
                "time" | "time-local" => columns.time = Some(index),
                _ => {}
            }
        }
        Some(columns)
    }

    /// The status and time of a data line under this header. Fields are separated by spaces;
    /// a double-quoted field may hold spaces.
    pub(super) fn read(&self, line: &str) -> (Option<[u8; 3]>, Option<i64>) {
        let mut status = None;
        let (mut date, mut clock) = (None, None);
        let last = [self.status, self.date, self.time]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
        for (index, field) in w3c_fields(line).take(last + 1).enumerate() {
            // Some writers (Incapsula) quote every field.
            let field = field
                .strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(field);
            if Some(index) == self.status
                && let [a, b, c] = field.as_bytes()
            {
                status = Some([*a, *b, *c]);
            } else if Some(index) == self.date {
                date = Some(field);
            } else if Some(index) == self.time {
                clock = Some(field);
            }
        }
        let timestamp = match (date, clock) {
            (Some(date), Some(clock)) => time::parse_text(&format!("{date}T{clock}Z"))
                .or_else(|| time::parse_text(&format!("{date}T{clock}"))),
            _ => None,
        };
        (
            status.filter(|s| s.iter().all(u8::is_ascii_digit)),
            timestamp,
        )
    }
}

/// Space-separated fields, a quoted field kept whole.
fn w3c_fields(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = line.trim_start();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        let (field, tail) = rest.split_at(end);
        rest = tail.trim_start();
        Some(field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_levels() {
        assert_eq!(status_level(b"503"), Some(Level::Error));
        assert_eq!(status_level(b"404"), Some(Level::Warn));
        assert_eq!(status_level(b"200"), Some(Level::Info));
        assert_eq!(status_level(b"304"), Some(Level::Info));
        assert_eq!(status_level(b"-"), None);
        assert_eq!(status_level(b"600"), None);
    }

    #[test]
    fn access_lines_from_lnav_tests() {
        // tstack/lnav test/logfile_access_log.0, line 2.
        let line = access(
            br#"192.168.202.254 - - [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7""#,
        )
        .unwrap();
        assert_eq!(&line.status, b"404");
        assert!(line.timestamp.is_some());
        // tstack/lnav test/logfile_access_log.1: a request of just "-".
        let line =
            access(br#"10.112.81.15 - - [15/Feb/2013:06:00:31 +0000] "-" 400 0 "-" "-""#).unwrap();
        assert_eq!(&line.status, b"400");
        assert!(access(b"[20/Jul/2009:22:59:29 +0000] no client").is_none());
        assert!(access(b"a b c [not a date] \"x\" 200 1").is_none());
    }

    #[test]
    fn apache_and_nginx_error_lines() {
        // loghub Apache_2k.log, line 2.
        let line = apache_error(
            "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
        )
        .unwrap();
        assert_eq!(line.level_word, "error");
        // Apache 2.4 writes the module before the level.
        let line = apache_error(
            "[Wed Oct 11 14:32:52.123456 2000] [core:warn] [pid 35708:tid 4328636416] AH00098: x",
        )
        .unwrap();
        assert_eq!(line.level_word, "warn");
        assert_eq!(
            nginx_error("[error] 123#0: *1 open() failed"),
            Some("error")
        );
        assert_eq!(nginx_error("[error] something else"), None);
    }

    #[test]
    fn w3c_header_names_the_status_column() {
        // tstack/lnav test/logfile_w3c.6 (the user agent trimmed).
        let columns = W3cColumns::from_header("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus").unwrap();
        let (status, timestamp) = columns.read("2015-01-13 00:32:17 100.79.192.81 GET /robots.txt - 80 - 157.55.39.146 Mozilla/5.0 - 404 0");
        assert_eq!(status, Some(*b"404"));
        assert!(timestamp.is_some());
        // A quoted field with spaces counts as one column (lnav test/logfile_w3c.3 style).
        let columns =
            W3cColumns::from_header("#Fields: date time c-ip cs(User-Agent) sc-status").unwrap();
        let (status, _) =
            columns.read(r#"2012-08-15 17:00:00.363 1.2.3.4 "Mozilla/5.0 (Linux; Android)" 500"#);
        assert_eq!(status, Some(*b"500"));
        assert_eq!(W3cColumns::from_header("#Version: 1.0"), None);
    }
}
