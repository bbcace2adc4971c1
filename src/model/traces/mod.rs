//! Distributed traces: the span and trace types, the parsers for what Tempo and Jaeger send,
//! the span tree behind the waterfall (collapse, critical path) and the waterfall's geometry.
//!
//! Parsers clean every external string with [`crate::model::clean`] as it enters, so nothing
//! downstream has to think about escapes again.

pub mod fxhash;
pub mod ids;
pub mod jaeger;
pub mod layout;
pub mod otlp;
pub mod service_map;
pub mod span;
pub mod tempo_search;
pub mod tree;
pub mod wire;

pub use span::{
    MAX_SPANS_PER_TRACE, Span, SpanEvent, SpanKind, SpanStatus, StatusCode, Trace, TraceSummary,
};
pub use tree::{Row, SpanTree};
