//! The logs pane's field keys: `F` filters lines by a field predicate (`level=error
//! duration_ms>500`, see [`crate::model::logs::predicate`]), `C` picks fields shown as columns
//! before the message. Both last for the session only.
//!
//! The predicate joins the level set and the search in the pane's filter: a full rescan when
//! it changes, one test per line on ingest.

use crate::app::msg::Cmd;
use crate::app::state::{Prompt, PromptPurpose};
use crate::model::logs::{FieldKey, LevelSet, LogBuffer, LogLine, LogQuery, Predicate};

/// Most columns a user may ask for; more could never fit beside a message.
pub const MAX_COLUMNS: usize = 6;

/// The predicate and the columns.
#[derive(Debug, Clone, Default)]
pub struct FieldView {
    /// The applied predicate; `None` when no field filter is on.
    pub predicate: Option<Predicate>,
    /// Fields shown as columns, in the order typed.
    pub columns: Vec<FieldKey>,
}

impl FieldView {
    /// Whether the predicate filters lines.
    #[must_use]
    pub fn filtering(&self) -> bool {
        self.predicate.is_some()
    }

    /// Whether `line` passes the predicate (every line does without one).
    #[must_use]
    pub fn passes(&self, line: &LogLine) -> bool {
        self.predicate.as_ref().is_none_or(|p| p.matches(line))
    }

    /// The predicate's text for the status line.
    #[must_use]
    pub fn predicate_text(&self) -> Option<&str> {
        self.predicate.as_ref().map(Predicate::input)
    }

    /// Drops the predicate; true when there was one.
    pub fn clear_predicate(&mut self) -> bool {
        self.predicate.take().is_some()
    }

    /// The column keys as typed, joined by spaces.
    #[must_use]
    pub fn columns_text(&self) -> String {
        self.columns
            .iter()
            .map(FieldKey::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Sequence numbers of the lines that pass levels, search and predicate: the model's
/// two-thread filter with the predicate, or the plain one without.
#[must_use]
pub fn filter(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    predicate: Option<&Predicate>,
) -> Vec<u64> {
    match predicate {
        Some(p) => crate::model::logs::filter_with(buffer, query, levels, p),
        None => crate::model::logs::filter(buffer, query, levels),
    }
}

/// `F`: the predicate prompt, holding the current one.
#[must_use]
pub fn predicate_prompt(view: &FieldView) -> Prompt {
    Prompt {
        title: "filter by fields".into(),
        input: view.predicate_text().unwrap_or_default().to_owned(),
        error: None,
        purpose: PromptPurpose::FieldFilter,
        hint: "level=error user_id=42 duration_ms>500 path!=/health msg~timeout (= != > >= < <= ~ !~, all must hold; empty clears)".into(),
    }
}

/// `C`: the columns prompt, holding the current ones.
#[must_use]
pub fn columns_prompt(view: &FieldView) -> Prompt {
    Prompt {
        title: "field columns".into(),
        input: view.columns_text(),
        error: None,
        purpose: PromptPurpose::FieldColumns,
        hint: format!(
            "fields shown before the message, e.g. user_id duration_ms http.status (at most {MAX_COLUMNS}; empty: none)"
        ),
    }
}

/// Parses the predicate prompt's answer: `Ok(None)` clears.
///
/// # Errors
/// The first bad term, named with its column and the reason.
pub fn parse_predicate(input: &str) -> Result<Option<Predicate>, String> {
    let predicate = Predicate::parse(input).map_err(|e| e.to_string())?;
    Ok((!predicate.is_empty()).then_some(predicate))
}

/// Parses the columns prompt's answer.
///
/// # Errors
/// Too many columns, or a name with characters no field name has.
pub fn parse_columns(input: &str) -> Result<Vec<FieldKey>, String> {
    let names: Vec<&str> = input.split_whitespace().collect();
    if names.len() > MAX_COLUMNS {
        return Err(format!(
            "{} columns: at most {MAX_COLUMNS} fit beside the message",
            names.len()
        ));
    }
    names
        .iter()
        .map(|name| {
            if name.contains(['=', '"', '<', '>', '~', '!']) || name.chars().any(char::is_control) {
                Err(format!(
                    "`{}`: a column is a field name (user_id, http.status), not a comparison",
                    crate::model::clean(name)
                ))
            } else {
                Ok(FieldKey::new(name))
            }
        })
        .collect()
}

/// The answer to `F` or `C` (the caller recomputes the shown lines after a predicate).
///
/// # Errors
/// Why the input does not parse; the prompt stays open with it.
pub fn on_prompt(
    view: &mut FieldView,
    purpose: &PromptPurpose,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    match purpose {
        PromptPurpose::FieldFilter => view.predicate = parse_predicate(input)?,
        PromptPurpose::FieldColumns => view.columns = parse_columns(input)?,
        _ => {}
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_parse_and_clear() {
        let mut view = FieldView::default();
        on_prompt(&mut view, &PromptPurpose::FieldFilter, "level=error n>5").unwrap();
        assert_eq!(view.predicate_text(), Some("level=error n>5"));
        assert_eq!(predicate_prompt(&view).input, "level=error n>5");
        let err = on_prompt(&mut view, &PromptPurpose::FieldFilter, "n>5 oops").unwrap_err();
        assert!(err.contains("`oops` at column 5"), "{err}");
        assert!(
            view.filtering(),
            "a bad answer keeps the last good predicate"
        );
        on_prompt(&mut view, &PromptPurpose::FieldFilter, "  ").unwrap();
        assert!(!view.filtering());

        on_prompt(
            &mut view,
            &PromptPurpose::FieldColumns,
            "user_id http.status",
        )
        .unwrap();
        assert_eq!(view.columns_text(), "user_id http.status");
        assert!(on_prompt(&mut view, &PromptPurpose::FieldColumns, "a=1").is_err());
        assert!(on_prompt(&mut view, &PromptPurpose::FieldColumns, "a b c d e f g").is_err());
        on_prompt(&mut view, &PromptPurpose::FieldColumns, "").unwrap();
        assert!(view.columns.is_empty());
    }
}
