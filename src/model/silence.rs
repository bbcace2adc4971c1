//! Silences as the user writes them: matchers in Alertmanager's syntax, a duration such as
//! `1h`, and which alerts a set of matchers catches.
//!
//! The matcher syntax and its semantics are Alertmanager's (prometheus/alertmanager
//! `pkg/labels/parse.go` and `pkg/labels/matcher.go` at v0.25.0, 258fab7cdd55):
//! `name="value"` with `=`, `!=`, `=~`, `!~`, comma separated, optionally inside braces,
//! values quoted (with `\"`, `\\`, `\n` escapes) or bare; a regex is anchored
//! (`^(?:re)$`); a label the alert lacks matches as the empty string. An alert is caught when
//! every matcher matches (`silence.go`, `Silences.Mutes`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::model::alerts::{Alert, AlertState, Matcher, Silence, SilenceState};

/// Longest silence the console creates: a forgotten one hides real pages for that long.
pub const MAX_SILENCE: Duration = Duration::from_hours(90 * 24);

/// The matchers that catch exactly this alert: every one of its labels, equal (what
/// Alertmanager's own UI fills in from an alert).
#[must_use]
pub fn matchers_for(alert: &Alert) -> Vec<Matcher> {
    alert
        .labels
        .iter()
        .map(|(name, value)| Matcher {
            name: name.clone(),
            value: value.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect()
}

/// Matchers as one editable line: `alertname="X", service="y"`.
#[must_use]
pub fn matchers_text(matchers: &[Matcher]) -> String {
    matchers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_label_name(name: &str) -> bool {
    // `^[a-zA-Z_:][a-zA-Z0-9_:]*$` (0.25's matcher regex; UTF-8 names came in 0.28).
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Splits on commas outside quotes.
fn split_matchers(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted value is not closed (missing `\"`)".into());
    }
    parts.push(current);
    Ok(parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

fn unquote(raw: &str) -> Result<String, String> {
    let Some(inner) = raw.strip_prefix('"') else {
        if raw.contains('"') {
            return Err(format!("`{raw}`: a value with `\"` must be quoted"));
        }
        return Ok(raw.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| format!("`{raw}`: the quote is not closed"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(c @ ('"' | '\\')) => out.push(c),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => return Err(format!("`{raw}`: ends in a lone `\\`")),
            }
        } else if c == '"' {
            return Err(format!("`{raw}`: an inner `\"` must be written `\\\"`"));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn parse_one(part: &str) -> Result<Matcher, String> {
    let op_at = part
        .find(['=', '!'])
        .ok_or_else(|| format!("`{part}`: no operator (use =, !=, =~ or !~)"))?;
    let name = part[..op_at].trim();
    let rest = &part[op_at..];
    let (is_equal, is_regex, len) = if rest.starts_with("=~") {
        (true, true, 2)
    } else if rest.starts_with("!~") {
        (false, true, 2)
    } else if rest.starts_with("!=") {
        (false, false, 2)
    } else if rest.starts_with('=') {
        (true, false, 1)
    } else {
        return Err(format!("`{part}`: no operator (use =, !=, =~ or !~)"));
    };
    if !is_label_name(name) {
        return Err(format!(
            "`{name}` is not a label name (letters, digits, `_` and `:`, not starting with a digit)"
        ));
    }
    let raw = rest[len..].trim();
    // `app==checkout`, `a=!b`: a doubled operator is a typo, not a value starting with it.
    if raw.starts_with(['=', '~', '!']) {
        return Err(format!(
            "`{part}`: unknown operator (quote the value if it starts with it)"
        ));
    }
    let value = unquote(raw)?;
    if is_regex {
        regex::Regex::new(&format!("^(?:{value})$"))
            .map_err(|e| format!("`{part}`: not a valid regex: {e}"))?;
    }
    Ok(Matcher {
        name: name.to_owned(),
        value,
        is_regex,
        is_equal,
    })
}

/// Reads matchers as Alertmanager's `amtool` and UI accept them. A silence needs at least
/// one matcher that does not match the empty string (Alertmanager refuses the rest: they
/// would catch every alert).
///
/// # Errors
/// Which matcher is wrong and why, in words.
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let matchers = parse_matcher_list(text)?;
    let empty = BTreeMap::new();
    if matchers.iter().all(|m| matches(m, &empty)) {
        return Err(
            "every matcher also matches an empty label: this silence would catch every alert"
                .into(),
        );
    }
    Ok(matchers)
}

/// Reads matchers in Alertmanager's syntax without the silence's own rule (a catalog
/// annotation may match an empty label).
///
/// # Errors
/// Which matcher is wrong and why, in words.
pub fn parse_matcher_list(text: &str) -> Result<Vec<Matcher>, String> {
    let text = text.trim();
    let text = match (text.strip_prefix('{'), text.ends_with('}')) {
        (Some(inner), true) => &inner[..inner.len() - 1],
        (Some(_), false) => return Err("`{` without a closing `}`".into()),
        _ => text,
    };
    let matchers = split_matchers(text)?
        .iter()
        .map(|p| parse_one(p))
        .collect::<Result<Vec<_>, _>>()?;
    if matchers.is_empty() {
        return Err("at least one matcher is needed, e.g. alertname=\"HighErrorRate\"".into());
    }
    Ok(matchers)
}

/// Whether one matcher matches these labels (a missing label is the empty string).
#[must_use]
pub fn matches(matcher: &Matcher, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&matcher.name).map_or("", String::as_str);
    let hit = if matcher.is_regex {
        regex::Regex::new(&format!("^(?:{})$", matcher.value)).is_ok_and(|re| re.is_match(value))
    } else {
        value == matcher.value
    };
    hit == matcher.is_equal
}

/// Whether every matcher matches the labels.
#[must_use]
pub fn catches(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> bool {
    !matchers.is_empty() && matchers.iter().all(|m| matches(m, labels))
}

/// The alerts held now that the matchers catch (pending alerts are Prometheus's, not
/// Alertmanager's, and a silence does not apply to them).
pub fn caught<'a>(matchers: &'a [Matcher], alerts: &'a [Alert]) -> impl Iterator<Item = &'a Alert> {
    alerts
        .iter()
        .filter(move |a| a.state != AlertState::Pending && catches(matchers, &a.labels))
}

/// Reads a silence length: `90m`, `1h`, `2h30m`, `1d`, `1w` (units s, m, h, d, w; at least
/// a minute, at most [`MAX_SILENCE`]).
///
/// # Errors
/// What is wrong, with an example.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration is needed, e.g. 1h or 30m".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => {
                return Err(format!(
                    "`{text}`: use a number and a unit (s, m, h, d, w), e.g. 1h"
                ));
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}`: a number must come before each unit, e.g. 2h30m"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("`{text}` is too long"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{text}`: the last number has no unit (s, m, h, d, w)"
        ));
    }
    let duration = Duration::from_secs(total);
    if duration < Duration::from_mins(1) {
        return Err("a silence lasts at least 1m".into());
    }
    if duration > MAX_SILENCE {
        return Err("a silence lasts at most 90d: a forgotten one would hide real pages".into());
    }
    Ok(duration)
}

/// A duration in the words `parse_duration` reads: `1h`, `2h30m`, `1d`.
#[must_use]
pub fn duration_words(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            let _ = write!(out, "{}{unit}", secs / size);
            secs %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// The silences a pane lists: active and pending ones (expired ones stay in Alertmanager
/// for a while, but nothing they do matters now), soonest ending first.
#[must_use]
pub fn live_silences(silences: &[Silence]) -> Vec<&Silence> {
    let mut live: Vec<&Silence> = silences
        .iter()
        .filter(|s| s.state != SilenceState::Expired)
        .collect();
    live.sort_by(|a, b| a.ends_at.cmp(&b.ends_at).then_with(|| a.id.cmp(&b.id)));
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parses_every_operator_quoted_or_bare_with_braces() {
        let m = parse_matchers(
            r#"{alertname="High, Errors", service=~"check.*", env!=dev, x!~"a\"b"}"#,
        )
        .unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].value, "High, Errors");
        assert_eq!((m[1].is_regex, m[1].is_equal), (true, true));
        assert_eq!((m[2].value.as_str(), m[2].is_equal), ("dev", false));
        assert_eq!(m[3].value, "a\"b");
        // Display writes what parse reads back.
        assert_eq!(parse_matchers(&matchers_text(&m)).unwrap(), m);
    }

    #[test]
    fn refuses_what_alertmanager_refuses() {
        for bad in [
            "",
            "alertname",
            "1abc=\"x\"",
            "a=\"unclosed",
            "a=~\"(\"",
            "{a=\"b\"",
            "a=\"\"",
            "a=~\".*\"",
        ] {
            assert!(parse_matchers(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn matching_is_anchored_and_missing_labels_are_empty() {
        let l = labels(&[("service", "checkout-api"), ("severity", "critical")]);
        let m = parse_matchers(r#"service=~"checkout""#).unwrap();
        assert!(!catches(&m, &l), "a regex is anchored");
        let m = parse_matchers(r#"service=~"checkout.*", team="""#).unwrap();
        assert!(catches(&m, &l), "a missing label matches the empty string");
        let m = parse_matchers(r#"service="checkout-api", severity!="critical""#).unwrap();
        assert!(!catches(&m, &l));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_hours(1));
        assert_eq!(parse_duration(" 2h30m ").unwrap(), Duration::from_mins(150));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_hours(168));
        for bad in ["", "h", "10", "30s", "1y", "91d", "1h30"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(duration_words(Duration::from_mins(150)), "2h30m");
    }
}
