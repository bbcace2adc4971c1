//! The tour file format: a TOML file of chapters, each a list of steps with a completion
//! check on the live app state. Parsing reports every mistake with the file, the line and
//! the key, because tour authors are new to the format by definition.

use serde::Deserialize;
use toml::Spanned;

use super::check::Check;
use std::fmt::Write as _;
use std::str::FromStr;

use crate::diagnostic::Diagnostic;
use crate::keymap::Action;

/// One tour, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourSpec {
    /// What `opsdeck tour NAME` and `:tour NAME` take: lower case, digits and dashes.
    pub name: Spanned<String>,
    pub title: String,
    /// One or two sentences for the tour list.
    pub summary: String,
    /// About how long it takes, shown in the list.
    #[serde(default)]
    pub minutes: Option<u32>,
    #[serde(rename = "chapter")]
    pub chapters: Spanned<Vec<Chapter>>,
}

/// A group of steps ending in a recap.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub title: String,
    /// What the chapter taught, shown once its last step is done.
    pub recap: String,
    #[serde(rename = "step")]
    pub steps: Spanned<Vec<Step>>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    /// What to do and why, in a sentence or two.
    pub text: String,
    /// The status-line hint: the keys to press.
    pub hint: String,
    /// Shown once the check passes: what just happened and what it means.
    pub done: String,
    pub check: Spanned<Check>,
}

impl TourSpec {
    /// Parses and validates a tour file; `file` names it in errors.
    ///
    /// # Errors
    /// A diagnostic naming the file, the line and the key of the first problem.
    pub fn parse(file: &str, source: &str) -> Result<Self, Diagnostic> {
        let spec: Self = toml::from_str(source).map_err(|e| {
            let mut d = Diagnostic::from_toml(file, source, &e);
            if let Some(path) = e
                .span()
                .and_then(|span| key_path(source, span, e.message()))
            {
                d.key = Some(path);
            }
            d
        })?;
        spec.validate(file, source)?;
        Ok(spec)
    }

    fn validate(&self, file: &str, source: &str) -> Result<(), Diagnostic> {
        let at = |span: std::ops::Range<usize>, key: &str, message: String| {
            Diagnostic::at(file, source, Some(span), Some(key.to_owned()), message)
        };
        let name = self.name.get_ref();
        let well_formed = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed {
            return Err(at(
                self.name.span(),
                "name",
                format!("`{name}` is not a tour name: use lower case letters, digits and `-`"),
            ));
        }
        if self.chapters.get_ref().is_empty() {
            return Err(at(
                self.chapters.span(),
                "chapter",
                "a tour needs at least one [[chapter]]".into(),
            ));
        }
        for (c, chapter) in self.chapters.get_ref().iter().enumerate() {
            if chapter.steps.get_ref().is_empty() {
                return Err(at(
                    chapter.steps.span(),
                    &format!("chapter[{}].step", c + 1),
                    "a chapter needs at least one [[chapter.step]]".into(),
                ));
            }
            for (s, step) in chapter.steps.get_ref().iter().enumerate() {
                for (field, text) in [
                    ("title", &step.title),
                    ("text", &step.text),
                    ("hint", &step.hint),
                    ("done", &step.done),
                ] {
                    if let Err(message) = fill_keys(text, |_| String::new()) {
                        let span = step_field_span(source, step.check.span(), field)
                            .unwrap_or_else(|| chapter.steps.span());
                        return Err(at(
                            span,
                            &format!("chapter[{}].step[{}].{field}", c + 1, s + 1),
                            message,
                        ));
                    }
                }
                if let Err(message) = step.check.get_ref().validate() {
                    return Err(at(
                        step.check.span(),
                        &format!("chapter[{}].step[{}].check", c + 1, s + 1),
                        message,
                    ));
                }
            }
        }
        Ok(())
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    #[must_use]
    pub fn chapters(&self) -> &[Chapter] {
        self.chapters.get_ref()
    }

    /// Steps in all chapters.
    #[must_use]
    pub fn step_count(&self) -> usize {
        self.chapters().iter().map(|c| c.steps().len()).sum()
    }
}

/// Replaces each `{action}` placeholder with `key(action)`: the keymap action's key, so a
/// tour reads right under every keymap. `{{` and `}}` are literal braces.
///
/// # Errors
/// What is wrong with a placeholder.
pub fn fill_keys(text: &str, key: impl Fn(Action) -> String) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let brace = if rest[i..].starts_with('{') { '{' } else { '}' };
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix(brace) {
            out.push(brace);
            rest = tail;
            continue;
        }
        if brace == '}' {
            out.push('}');
            rest = after;
            continue;
        }
        let Some(end) = after.find('}') else {
            return Err(
                "`{` opens a key placeholder that is never closed; write `{{` for a brace".into(),
            );
        };
        let word = &after[..end];
        let action = Action::from_str(word).map_err(|()| {
            format!(
                "`{{{word}}}` is not a keymap action (see `opsdeck keys`); write `{{{{` for a brace"
            )
        })?;
        out.push_str(&key(action));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Chapter {
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        self.steps.get_ref()
    }
}

/// The dotted path of the key an error at `span` is about: `chapter[2].step[1].check.pane`.
/// Counts the `[[chapter]]` and `[[chapter.step]]` headers before it, then names the key of
/// its line and, inside an inline table, the key within it.
fn key_path(source: &str, span: std::ops::Range<usize>, message: &str) -> Option<String> {
    let before = source.get(..span.start)?;
    // Headers up to the end of the span's line: a missing field points at its table header.
    let line_end = source[span.start..]
        .find('\n')
        .map_or(source.len(), |i| span.start + i);
    let mut chapter = 0;
    let mut step = 0;
    for line in source[..line_end].lines() {
        match line.trim() {
            "[[chapter]]" => {
                chapter += 1;
                step = 0;
            }
            "[[chapter.step]]" => step += 1,
            _ => {}
        }
    }
    let mut path = String::new();
    if chapter > 0 {
        let _ = write!(path, "chapter[{chapter}]");
        if step > 0 {
            let _ = write!(path, ".step[{step}]");
        }
    }
    let push = |path: &mut String, key: &str| {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    };
    // "missing field `done`": the span is the table that lacks it.
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        push(&mut path, field);
        return Some(path);
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &source[line_start..];
    let line = line.lines().next().unwrap_or_default();
    let (key, rest) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return (!path.is_empty()).then_some(path);
    }
    push(&mut path, key);
    // Inside `{ a = 1, b = 2 }`: the key whose value (or name) the span points at.
    let value_start = line_start + line.len() - rest.len();
    if rest.trim_start().starts_with('{') && span.start > value_start {
        let inner = &source[value_start..span.start];
        let entry = inner.rsplit([',', '{']).next().unwrap_or_default();
        let inline = match entry.split_once('=') {
            Some((k, _)) => k.trim(),
            // The span is the key itself (an unknown field).
            None => source
                .get(span.clone())
                .unwrap_or_default()
                .trim()
                .trim_matches('"'),
        };
        if !inline.is_empty() {
            push(&mut path, inline);
        }
    }
    Some(path)
}

/// Where `field = ` is written in the step whose check is at `check`: the nearest such line
/// before the check (steps are written field by field, the check usually last).
fn step_field_span(
    source: &str,
    check: std::ops::Range<usize>,
    field: &str,
) -> Option<std::ops::Range<usize>> {
    let before = source.get(..check.start)?;
    let step_start = before.rfind("[[chapter.step]]").unwrap_or(0);
    let within = &before[step_start..];
    let offset = within
        .match_indices(field)
        .filter(|(i, _)| {
            let line_start = within[..*i].rfind('\n').map_or(0, |n| n + 1);
            within[line_start..*i].trim().is_empty()
                && within[i + field.len()..].trim_start().starts_with('=')
        })
        .map(|(i, _)| i)
        .last()?;
    let start = step_start + offset;
    Some(start..start + field.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "demo"
title = "Demo"
summary = "A demo."

[[chapter]]
title = "One"
recap = "You did it."

[[chapter.step]]
title = "Open help"
text = "Press ?."
hint = "?"
done = "Help lists every key."
check = { modal = "help" }
"#;

    #[test]
    fn a_good_tour_parses() {
        let tour = TourSpec::parse("demo.toml", GOOD).expect("parses");
        assert_eq!(tour.name(), "demo");
        assert_eq!(tour.step_count(), 1);
    }

    #[test]
    fn an_unknown_check_key_names_file_line_and_key() {
        let bad = GOOD.replace("modal = \"help\"", "modle = \"help\"");
        let err = TourSpec::parse("demo.toml", &bad).expect_err("refused");
        assert_eq!(err.file, "demo.toml");
        assert_eq!(err.line, 15, "{err}");
        assert!(err.message.contains("unknown field `modle`"), "{err}");
        assert_eq!(
            err.key.as_deref(),
            Some("chapter[1].step[1].check.modle"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_check_is_refused_where_it_is() {
        let bad = GOOD.replace("{ modal = \"help\" }", "{}");
        let err = TourSpec::parse("demo.toml", &bad).expect_err("refused");
        assert_eq!(err.line, 15, "{err}");
        assert_eq!(err.key.as_deref(), Some("chapter[1].step[1].check"));
        assert!(err.message.contains("no condition"), "{err}");
    }

    #[test]
    fn key_placeholders_fill_and_an_unknown_action_is_located() {
        let filled = fill_keys("press {help}, then {{literal}}", |a| {
            format!("<{}>", a.name())
        });
        assert_eq!(filled.as_deref(), Ok("press <help>, then {literal}"));
        assert!(fill_keys("press {hlep}", |_| String::new()).is_err());
        assert!(fill_keys("press {help", |_| String::new()).is_err());
        let bad = GOOD.replace("hint = \"?\"", "hint = \"press {hlep}\"");
        let err = TourSpec::parse("demo.toml", &bad).expect_err("refused");
        assert_eq!(err.line, 13, "{err}");
        assert_eq!(err.key.as_deref(), Some("chapter[1].step[1].hint"));
        assert!(
            err.message.contains("`{hlep}` is not a keymap action"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_name_and_a_missing_field_are_located() {
        let bad = GOOD.replace("name = \"demo\"", "name = \"My Tour\"");
        let err = TourSpec::parse("demo.toml", &bad).expect_err("refused");
        assert_eq!((err.line, err.key.as_deref()), (2, Some("name")), "{err}");
        let bad = GOOD.replace("hint = \"?\"\n", "");
        let err = TourSpec::parse("demo.toml", &bad).expect_err("refused");
        assert!(err.message.contains("missing field `hint`"), "{err}");
        assert_eq!(err.line, 10, "the step missing it: {err}");
    }
}
