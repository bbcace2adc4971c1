//! The traces pane's service map (`M`): the calls between services in the traces of the
//! list, built by the runtime from the whole traces (a search answer has no spans), shown as
//! a table of links; `enter` on a link narrows the list to the traces that hold it.
//!
//! Only the newest map asked for is kept: each request carries a number and an older answer
//! arriving late is dropped.

use std::collections::HashSet;
use std::sync::Arc;

use crate::app::msg::Cmd;
use crate::app::table::{SortKey, TableState};
use crate::model::traces::service_map::{Edge, MapAnswer};

/// Most traces fetched for one map: the list's size, and a bound on the requests it costs.
pub const MAX_MAP_TRACES: usize = 50;

/// Orders of the link table: errors first (the default), calls, caller, callee.
pub const MAP_SORT_KEYS: [SortKey; 4] = [
    SortKey::on("ERRORS"),
    SortKey::on("CALLS"),
    SortKey::on("CALLER"),
    SortKey::on("CALLEE"),
];

/// The map on screen, or being built.
#[derive(Debug, Clone, Default)]
pub struct MapView {
    pub request: u64,
    pub answer: Option<Arc<MapAnswer>>,
    /// Why the map could not be built at all.
    pub error: Option<String>,
    pub table: TableState,
    haystacks: Vec<String>,
}

impl MapView {
    /// The links shown, or none while loading.
    #[must_use]
    pub fn edges(&self) -> &[Edge] {
        self.answer.as_ref().map_or(&[], |a| a.map.edges.as_slice())
    }

    #[must_use]
    pub fn loading(&self) -> bool {
        self.answer.is_none() && self.error.is_none()
    }

    /// The link under the cursor.
    #[must_use]
    pub fn selected(&self) -> Option<&Edge> {
        self.table.selected_row().and_then(|i| self.edges().get(i))
    }

    /// Rebuilds the table after new links, a sort or a filter change.
    pub fn refresh(&mut self) {
        let edges = self
            .answer
            .as_ref()
            .map_or(&[][..], |a| a.map.edges.as_slice());
        self.haystacks = edges
            .iter()
            .map(|e| format!("{} {}", e.caller, e.callee).to_lowercase())
            .collect();
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| format!("{}\u{1f}{}", edges[i].caller, edges[i].callee),
            |a, b| {
                let (x, y) = (&edges[a], &edges[b]);
                match column {
                    1 => y.calls.cmp(&x.calls),
                    2 => x.caller.cmp(&y.caller).then(x.callee.cmp(&y.callee)),
                    3 => x.callee.cmp(&y.callee).then(x.caller.cmp(&y.caller)),
                    _ => y.errors.cmp(&x.errors).then(y.calls.cmp(&x.calls)),
                }
            },
        );
    }
}

/// The list narrowed to the traces holding one link.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeFilter {
    pub caller: Arc<str>,
    pub callee: Arc<str>,
    pub trace_ids: HashSet<String>,
    /// The list's rows of those traces when the filter was set.
    pub rows: Vec<crate::model::traces::TraceSummary>,
}

impl EdgeFilter {
    #[must_use]
    pub fn of(edge: &Edge) -> Self {
        Self {
            caller: Arc::clone(&edge.caller),
            callee: Arc::clone(&edge.callee),
            trace_ids: edge.trace_ids.iter().cloned().collect(),
            rows: Vec::new(),
        }
    }

    /// `cart → payments` for titles.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} → {}", self.caller, self.callee)
    }
}

/// Starts a map over `trace_ids` (the list's rows), replacing any map shown or loading.
pub fn start(view: &mut Option<MapView>, trace_ids: Vec<String>) -> Vec<Cmd> {
    let request = view.as_ref().map_or(0, |v| v.request) + 1;
    let page = view.as_ref().map_or(0, |v| v.table.page);
    let mut fresh = MapView {
        request,
        ..MapView::default()
    };
    fresh.table.page = page;
    *view = Some(fresh);
    let mut trace_ids = trace_ids;
    trace_ids.truncate(MAX_MAP_TRACES);
    vec![Cmd::LoadServiceMap { request, trace_ids }]
}

/// An answer arrived; true when it is the one asked for last (and so now shown).
pub fn answered(
    view: &mut Option<MapView>,
    request: u64,
    answer: Result<MapAnswer, String>,
) -> bool {
    let Some(view) = view.as_mut().filter(|v| v.request == request) else {
        return false;
    };
    match answer {
        Ok(answer) => {
            view.answer = Some(Arc::new(answer));
            view.error = None;
        }
        Err(why) => {
            view.answer = None;
            view.error = Some(why);
        }
    }
    view.refresh();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traces::service_map::ServiceMap;
    use jiff::Timestamp;

    fn edge(from: &str, to: &str, calls: u64, errors: u64) -> Edge {
        Edge {
            caller: Arc::from(from),
            callee: Arc::from(to),
            calls,
            errors,
            uninstrumented: false,
            trace_ids: vec![format!("{from}-{to}")],
        }
    }

    fn answer(edges: Vec<Edge>) -> MapAnswer {
        MapAnswer {
            map: ServiceMap {
                edges,
                internal_calls: 0,
                traces: 3,
            },
            failed: 0,
            first_error: None,
            built_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_the_newest_request_is_shown() {
        let mut view = None;
        let cmds = start(&mut view, (0..80).map(|i| format!("t{i}")).collect());
        let Some(Cmd::LoadServiceMap { request, trace_ids }) = cmds.first() else {
            panic!("{cmds:?}")
        };
        assert_eq!(*request, 1);
        assert_eq!(trace_ids.len(), MAX_MAP_TRACES);
        assert!(view.as_ref().unwrap().loading());
        start(&mut view, vec!["t1".into()]);
        assert!(!answered(
            &mut view,
            1,
            Ok(answer(vec![edge("a", "b", 1, 0)]))
        ));
        assert!(view.as_ref().unwrap().loading());
        assert!(answered(
            &mut view,
            2,
            Ok(answer(vec![edge("a", "b", 1, 0), edge("b", "c", 9, 2)]))
        ));
        let v = view.as_ref().unwrap();
        assert_eq!(v.table.visible.len(), 2);
        // Errors first by default.
        assert_eq!(&*v.selected().unwrap().callee, "c");
    }

    #[test]
    fn a_failed_map_says_why_and_an_edge_filter_names_its_link() {
        let mut view = None;
        start(&mut view, vec!["t".into()]);
        assert!(answered(&mut view, 1, Err("tempo: 503".into())));
        assert_eq!(view.as_ref().unwrap().error.as_deref(), Some("tempo: 503"));
        let filter = EdgeFilter::of(&edge("cart", "payments", 3, 1));
        assert_eq!(filter.label(), "cart → payments");
        assert!(filter.trace_ids.contains("cart-payments"));
    }
}
