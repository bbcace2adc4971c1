//! Errors in user-editable files (config, themes, keymaps, tours), located by file, line,
//! column and key, so the message tells the user exactly what to fix.

use std::fmt;
use std::ops::Range;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    /// 1-based; 0 when the position is unknown.
    pub column: usize,
    /// Dotted path of the offending key, when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at the byte `span` of `source`.
    #[must_use]
    pub fn at(
        file: &str,
        source: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = span.map_or((0, 0), |s| line_col(source, s.start));
        Self {
            file: file.to_owned(),
            line,
            column,
            key,
            message: message.into(),
        }
    }

    /// Converts a TOML parse or type error, keeping its position.
    #[must_use]
    pub fn from_toml(file: &str, source: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim().to_owned();
        let key = err.span().and_then(|s| key_on_line(source, s.start));
        Self::at(file, source, err.span(), key, message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Several diagnostics, shown one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and column (in characters) of a byte offset.
#[must_use]
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The bare key written at the start of the line holding `offset` (`name = ...`), if any.
fn key_on_line(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let line_start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = source[line_start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 11), (2, 6));
    }

    #[test]
    fn display_names_file_line_and_key() {
        let d = Diagnostic {
            file: "k.toml".into(),
            line: 3,
            column: 1,
            key: Some("global.quit".into()),
            message: "unknown key `ctrl-`".into(),
        };
        assert_eq!(
            d.to_string(),
            "k.toml:3:1: key `global.quit`: unknown key `ctrl-`"
        );
    }
}
