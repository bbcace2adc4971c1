//! The sandbox's LogQL: a small, honest subset, so `:logs {app="payments-api"} |= "timed
//! out"` works in `opsdeck sandbox` with no Loki.
//!
//! - A stream selector of matchers `=`, `!=`, `=~`, `!~` (regexes anchored, as Loki's are)
//!   over the labels each sandbox line has: `app`, `service_name`, `service` (the service),
//!   `namespace`, `squad`, `pod`, `level` (`info`, `warn`, `error`).
//! - Then line filters `|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"` (strings in `"…"` with `\`
//!   escapes, or in backquotes).
//!
//! Anything else (parsers such as `| json`, label filters, metric queries) is refused with
//! an error in Loki's shape (`parse error at line 1, col N: …`) that says what the sandbox
//! understands, rather than being silently ignored.

use regex::Regex;

/// The labels a sandbox line carries.
pub const LABELS: [&str; 7] = [
    "app",
    "service_name",
    "service",
    "namespace",
    "squad",
    "pod",
    "level",
];

#[derive(Debug, Clone)]
enum Test {
    Equal(String),
    NotEqual(String),
    Matches(Regex),
    NotMatches(Regex),
}

impl Test {
    fn passes(&self, value: &str) -> bool {
        match self {
            Self::Equal(v) => value == v,
            Self::NotEqual(v) => value != v,
            Self::Matches(re) => re.is_match(value),
            Self::NotMatches(re) => !re.is_match(value),
        }
    }
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct SandboxLogQl {
    matchers: Vec<(String, Test)>,
    filters: Vec<Test>,
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// Loki's columns count from 1, in characters.
    fn error(&self, what: &str) -> String {
        let col = self.text[..self.pos].chars().count() + 1;
        format!(
            "parse error at line 1, col {col}: {what} (the sandbox understands {{label=\"v\"}} selectors with = != =~ !~ on {}, then |= != |~ !~ line filters)",
            LABELS.join(", ")
        )
    }

    fn name(&mut self) -> Result<String, String> {
        self.skip_spaces();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("expected a label name"));
        }
        let name = self.rest()[..len].to_owned();
        self.pos += len;
        Ok(name)
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_spaces();
        let mut chars = self.rest().char_indices();
        match chars.next() {
            Some((_, '`')) => {
                let body = &self.rest()[1..];
                let end = body
                    .find('`')
                    .ok_or_else(|| self.error("literal not terminated"))?;
                let value = body[..end].to_owned();
                self.pos += end + 2;
                Ok(value)
            }
            Some((_, '"')) => {
                let mut value = String::new();
                let mut escaped = false;
                for (i, c) in chars {
                    if escaped {
                        value.push(match c {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        self.pos += i + 1;
                        return Ok(value);
                    } else {
                        value.push(c);
                    }
                }
                Err(self.error("literal not terminated"))
            }
            _ => Err(self.error("expected a quoted string")),
        }
    }

    fn regex(&self, pattern: &str, anchored: bool) -> Result<Regex, String> {
        let pattern = if anchored {
            format!("^(?:{pattern})$")
        } else {
            pattern.to_owned()
        };
        Regex::new(&pattern).map_err(|e| self.error(&format!("invalid regex: {e}")))
    }
}

impl SandboxLogQl {
    /// Parses `query`.
    ///
    /// # Errors
    /// What the sandbox does not understand, with the column, in Loki's words.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut sc = Scanner {
            text: query,
            pos: 0,
        };
        if !sc.eat("{") {
            return Err(sc.error("syntax error: expected a stream selector {…}"));
        }
        let mut matchers = Vec::new();
        while !sc.eat("}") {
            let name = sc.name()?;
            if !LABELS.contains(&name.as_str()) {
                return Err(sc.error(&format!("the sandbox has no label `{name}`")));
            }
            let test = if sc.eat("=~") {
                {
                    let pattern = sc.string()?;
                    Test::Matches(sc.regex(&pattern, true)?)
                }
            } else if sc.eat("!~") {
                {
                    let pattern = sc.string()?;
                    Test::NotMatches(sc.regex(&pattern, true)?)
                }
            } else if sc.eat("!=") {
                Test::NotEqual(sc.string()?)
            } else if sc.eat("=") {
                Test::Equal(sc.string()?)
            } else {
                return Err(sc.error("syntax error: expected = != =~ or !~"));
            };
            matchers.push((name, test));
            if !sc.eat(",") && !sc.rest().trim_start().starts_with('}') {
                return Err(sc.error("syntax error: expected , or }"));
            }
        }
        if matchers.is_empty() {
            return Err(
                "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value"
                    .to_owned(),
            );
        }
        let mut filters = Vec::new();
        loop {
            sc.skip_spaces();
            if sc.rest().is_empty() {
                break;
            }
            let test = if sc.eat("|=") {
                Test::Equal(sc.string()?)
            } else if sc.eat("!=") {
                Test::NotEqual(sc.string()?)
            } else if sc.eat("|~") {
                {
                    let pattern = sc.string()?;
                    Test::Matches(sc.regex(&pattern, false)?)
                }
            } else if sc.eat("!~") {
                {
                    let pattern = sc.string()?;
                    Test::NotMatches(sc.regex(&pattern, false)?)
                }
            } else {
                return Err(sc.error("this stage is beyond the sandbox"));
            };
            filters.push(test);
        }
        Ok(Self { matchers, filters })
    }

    /// Whether a stream with these labels is selected (`label` gives a label's value).
    pub fn selects<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.matchers
            .iter()
            .all(|(name, test)| test.passes(label(name).unwrap_or("")))
    }

    /// Whether a line passes the line filters.
    #[must_use]
    pub fn keeps(&self, line: &str) -> bool {
        self.filters.iter().all(|f| match f {
            // As a line filter, "equal" means "contains".
            Test::Equal(s) => line.contains(s.as_str()),
            Test::NotEqual(s) => !line.contains(s.as_str()),
            Test::Matches(re) => re.is_match(line),
            Test::NotMatches(re) => !re.is_match(line),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels<'a>(app: &'a str, level: &'a str) -> impl Fn(&str) -> Option<&'a str> {
        move |name| match name {
            "app" | "service" | "service_name" => Some(app),
            "level" => Some(level),
            _ => None,
        }
    }

    #[test]
    fn selectors_and_line_filters() {
        let q = SandboxLogQl::parse(r#"{app="cart"} |= "timeout" != "retry""#).unwrap();
        assert!(q.selects(labels("cart", "info")));
        assert!(!q.selects(labels("payments", "info")));
        assert!(q.keeps("upstream timeout after 30ms"));
        assert!(!q.keeps("timeout, retry 2"));
        assert!(!q.keeps("fine"));
        let q = SandboxLogQl::parse(r#"{app=~"pay.*", level!="info"} |~ `5\d\d`"#).unwrap();
        assert!(q.selects(labels("payments-api", "error")));
        assert!(!q.selects(labels("payments-api", "info")));
        assert!(!q.selects(labels("xpayments", "error")), "anchored");
        assert!(q.keeps("GET /x 502: upstream"));
        let q = SandboxLogQl::parse(r#"{app="ü"} |= "日本""#).unwrap();
        assert!(q.keeps("こんにちは日本"));
    }

    #[test]
    fn what_it_does_not_understand_is_an_error() {
        let e = SandboxLogQl::parse(r#"{app="cart"} | json"#).unwrap_err();
        assert!(
            e.starts_with("parse error at line 1, col 14: this stage"),
            "{e}"
        );
        let e = SandboxLogQl::parse(r#"{team="x"}"#).unwrap_err();
        assert!(e.contains("no label `team`"), "{e}");
        assert!(SandboxLogQl::parse("cart").is_err());
        assert!(SandboxLogQl::parse(r#"{app="cart""#).is_err());
        assert!(SandboxLogQl::parse("{}").is_err());
        assert!(SandboxLogQl::parse(r#"{app=~"("}"#).is_err());
    }
}
