//! Log lines (Part 6): parsing, levels, the bounded ring buffer and search. Pure data, no I/O.
//!
//! Sources hand raw lines to [`parse_line`] (or [`parse_line_with`] for the colour-keeping
//! mode), push the result into a [`LogBuffer`], and the logs pane reads the buffer through a
//! [`LogQuery`] and a [`LevelSet`]. Every line is sanitized on the way in, so nothing stored
//! here can move the cursor, change a terminal mode or reorder text when drawn.

pub mod ansi;
mod dump;
pub mod export;
pub mod formats;
pub mod histogram;
mod json;
pub mod level;
pub mod line;
mod logfmt;
pub mod lookup;
pub mod parse;
pub mod predicate;
#[cfg(test)]
mod proptests;
pub mod ring;
pub mod search;
mod time;

pub use ansi::{Sgr, SgrColour, SgrModifiers, StyledSpan};
pub use dump::explain_lines;
pub use formats::{DetectedFormat, W3cColumns};
pub use histogram::{Counts, HistView, Histogram, LevelClass};
pub use level::{Level, LevelGroup, LevelSet};
pub use line::{LineFormat, LogLine};
pub use lookup::{FieldKey, FieldValue, ValueKind};
pub use parse::{
    AnsiMode, FormatMemory, MAX_LINE_BYTES, ParseOptions, parse_line, parse_line_remembering,
    parse_line_with,
};
pub use predicate::{Predicate, PredicateError, filter_with};
pub use ring::{DEFAULT_CAPACITY, LogBuffer};
pub use search::{
    LogQuery, QueryError, QueryKind, filter, filter_since, next_in, next_match, prev_in, prev_match,
};
