//! State of the traces pane: the trace list of the current search (service in scope, errors
//! only, minimum duration), filtered and sorted like every table, and the open trace's
//! waterfall (span tree with collapsed spans, the selected span, the critical path).

pub mod actions;
pub mod map;
pub mod search;

use crate::model::custom_command::Vars;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::traces::{Row, Span, SpanTree, Trace, TraceSummary};
use crate::sources::trace_feed::TraceList;
use crate::sources::traces::TraceSearch;

/// The orders of the list: newest (the default), duration, service, name, errors first.
pub const SORT_KEYS: [SortKey; 5] = [
    SortKey::on("START"),
    SortKey::on("DURATION"),
    SortKey::on("SERVICE"),
    SortKey::on("ROOT SPAN"),
    SortKey::on("STATUS"),
];

/// A trace shown as a waterfall.
#[derive(Debug, Clone)]
pub struct OpenTrace {
    pub trace: Arc<Trace>,
    pub tree: SpanTree,
    pub rows: Vec<Row>,
    /// Index into `rows`.
    pub selected: usize,
    pub critical: HashSet<usize>,
    /// Show the selected span's attributes, events and status.
    pub detail: bool,
}

impl OpenTrace {
    #[must_use]
    pub fn new(trace: Trace) -> Self {
        let tree = SpanTree::new(&trace);
        let rows = tree.visible_rows();
        let critical = tree.critical_path();
        Self {
            trace: Arc::new(trace),
            tree,
            rows,
            selected: 0,
            critical,
            detail: false,
        }
    }

    #[must_use]
    pub fn selected_span(&self) -> Option<&Span> {
        let row = self.rows.get(self.selected)?;
        self.trace.spans.get(row.index)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Collapses or expands the selected span's children (`expand`: only expand).
    pub fn set_collapsed(&mut self, collapsed: bool) {
        let Some(row) = self.rows.get(self.selected).copied() else {
            return;
        };
        if !row.has_children || row.collapsed == collapsed {
            return;
        }
        let id = self.trace.spans[row.index].span_id.clone();
        self.tree.toggle(&id);
        self.rows = self.tree.visible_rows();
        self.selected = self
            .rows
            .iter()
            .position(|r| r.index == row.index)
            .unwrap_or(0);
    }

    /// Selects the first error span (the reason people open a trace).
    pub fn select_first_error(&mut self) {
        if let Some(i) = self
            .rows
            .iter()
            .position(|r| self.trace.spans[r.index].is_error() && !self.tree.has_children(r.index))
            .or_else(|| {
                self.rows
                    .iter()
                    .position(|r| self.trace.spans[r.index].is_error())
            })
        {
            self.selected = i;
        }
    }
}

/// The `:traces` pane.
#[derive(Debug, Clone, Default)]
pub struct TracesPane {
    pub list: Option<Arc<TraceList>>,
    pub table: TableState,
    /// The service whose traces are listed (`None`: every service the backend has).
    pub service: Option<String>,
    pub errors_only: bool,
    pub min_duration: Option<Duration>,
    /// The user's TraceQL (`:traces <TraceQL>`), sent as typed.
    pub traceql: Option<String>,
    /// The structured search (`s`): operation, attribute tags, longest duration.
    pub operation: Option<String>,
    pub tags: Vec<(String, String)>,
    pub max_duration: Option<Duration>,
    /// The time window searched (`@`, `:window`; `None`: the backend's recent data).
    pub window: Option<crate::model::window::TimeWindow>,
    /// Why the latest search failed, in full (a panel until esc).
    pub search_error: Option<String>,
    /// The trace being opened or shown, by id.
    pub open_id: Option<String>,
    pub open: Option<OpenTrace>,
    /// Why the last load failed.
    pub error: Option<String>,
    haystacks: Vec<String>,
    /// A loaded trace kept aside while the list shows (screenshots open it on demand).
    stashed: Option<(String, OpenTrace)>,
    /// The service map over the list, while shown (`M`).
    pub map: Option<map::MapView>,
    /// The list narrowed to the traces of one link of the map.
    pub edge_filter: Option<map::EdgeFilter>,
    /// The last list as the source sent it, before the link filter.
    full_list: Option<Arc<TraceList>>,
}

impl TracesPane {
    /// The search the source should run.
    #[must_use]
    pub fn search(&self) -> TraceSearch {
        TraceSearch {
            service: self.service.clone(),
            traceql: self.traceql.clone(),
            operation: self.operation.clone(),
            tags: self.tags.clone(),
            errors_only: self.errors_only,
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            window: self.window,
            limit: 50,
            ..TraceSearch::default()
        }
    }

    #[must_use]
    pub fn rows(&self) -> &[TraceSummary] {
        self.list.as_ref().map_or(&[], |l| l.rows.as_slice())
    }

    pub fn set_list(&mut self, list: Arc<TraceList>) {
        self.full_list = Some(Arc::clone(&list));
        // Under a link filter the list stays the traces the map was built from: a refresh
        // brings newer traces, which the link's ids cannot name.
        let list = match &self.edge_filter {
            Some(filter) => Arc::new(TraceList {
                search: list.search.clone(),
                rows: filter.rows.clone(),
                error: list.error.clone(),
            }),
            None => list,
        };
        self.haystacks = list
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r.trace_id,
                    r.root_service,
                    r.root_name,
                    if r.error { "error" } else { "ok" }
                )
                .to_lowercase()
            })
            .collect();
        self.list = Some(list);
        self.refresh_view();
    }

    #[must_use]
    pub fn selected(&self) -> Option<&TraceSummary> {
        self.table.selected_row().and_then(|i| self.rows().get(i))
    }

    /// A loaded trace arrived; only the one asked for last is kept.
    /// Follows a service's traces (the incident view's panel); the search to send when the
    /// service changed.
    pub fn follow_service(&mut self, name: String) -> Option<crate::app::msg::Cmd> {
        if self.service.as_deref() == Some(name.as_str()) {
            return None;
        }
        self.service = Some(name);
        Some(crate::app::msg::Cmd::TraceSearch(Box::new(self.search())))
    }

    pub fn loaded(&mut self, trace_id: &str, trace: Result<Trace, String>) -> bool {
        if self.open_id.as_deref() != Some(trace_id) {
            return false;
        }
        match trace {
            Ok(trace) => {
                let mut open = OpenTrace::new(trace);
                open.select_first_error();
                self.open = Some(open);
                self.error = None;
            }
            Err(e) => {
                self.open = None;
                self.error = Some(e);
            }
        }
        true
    }

    /// The answer to the latest search: its rows, or why it failed. A failure of a search
    /// the user wrote shows whole in a panel; the rows of the last good answer stay.
    pub fn answered(&mut self, list: Arc<TraceList>) {
        match &list.error {
            Some(e) if list.search.is_custom() => {
                self.search_error = Some(crate::model::clean_multiline(e));
            }
            Some(_) => {}
            None => {
                self.search_error = None;
                self.set_list(list);
            }
        }
    }

    /// Puts the open trace aside so the list shows.
    pub fn stash_open(&mut self) {
        if let (Some(id), Some(open)) = (self.open_id.take(), self.open.take()) {
            self.stashed = Some((id, open));
        }
    }

    /// Shows the trace put aside with [`Self::stash_open`].
    pub fn unstash_open(&mut self) {
        if let Some((id, open)) = self.stashed.take() {
            self.open_id = Some(id);
            self.open = Some(open);
        }
    }

    /// Narrows the list to the traces of one link (`None`: the whole list again).
    pub fn set_edge_filter(&mut self, filter: Option<map::EdgeFilter>) {
        self.edge_filter = filter.map(|mut f| {
            f.rows = self
                .full_list
                .as_ref()
                .map(|l| {
                    l.rows
                        .iter()
                        .filter(|r| f.trace_ids.contains(&r.trace_id))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            f
        });
        // The cursor's trace may not be one of the link's: start at the top, not on a
        // "gone" neighbour.
        self.table.forget_selection();
        if let Some(list) = self.full_list.clone() {
            self.set_list(list);
        }
    }

    /// Closes the open trace, else the map, else the link filter; true if one was shown.
    pub fn close(&mut self) -> bool {
        self.error = None;
        self.open = None;
        if self.open_id.take().is_some() {
            return true;
        }
        if self.map.take().is_some() {
            return true;
        }
        if self.edge_filter.is_some() {
            self.set_edge_filter(None);
            return true;
        }
        false
    }

    /// Whether the map is what the pane shows (no trace open).
    #[must_use]
    pub fn map_shown(&self) -> bool {
        self.open_id.is_none() && self.map.is_some()
    }
}

impl Pane for TracesPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(map) = self.map.as_ref().filter(|_| self.map_shown()) {
            // The map's link: its callee is the service the row is about.
            if let Some(edge) = map.selected() {
                vars.set("service", &*edge.callee);
            }
            return;
        }
        if let Some(trace) = self.selected() {
            vars.set("trace_id", trace.trace_id.as_str());
            vars.set("service", trace.root_service.as_str());
        }
    }

    /// `y`: the trace id (of the open trace, else the selected row); `Y` the row, or the
    /// selected span of an open trace. On the service map: the link shown, `caller → callee`.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        if let Some(map) = self.map.as_ref().filter(|_| self.map_shown()) {
            let edge = map.selected()?;
            let link = format!("{} → {}", edge.caller, edge.callee);
            return Some(match kind {
                CopyKind::Key => Copied::key("link", &link),
                CopyKind::Row => Copied::row(
                    "link",
                    &link,
                    &[
                        edge.caller.to_string(),
                        edge.callee.to_string(),
                        edge.calls.to_string(),
                        edge.errors.to_string(),
                    ],
                ),
            });
        }
        if let Some(open) = &self.open {
            let span = open.selected_span()?;
            return Some(match kind {
                CopyKind::Key => Copied::key("trace id", &span.trace_id),
                CopyKind::Row => Copied::row(
                    "span",
                    &span.span_id,
                    &[
                        span.trace_id.as_str(),
                        &span.span_id,
                        span.parent_id.as_deref().unwrap_or_default(),
                        &span.service,
                        &span.name,
                    ],
                ),
            });
        }
        let trace = self.selected()?;
        Some(match kind {
            CopyKind::Key => Copied::key("trace id", &trace.trace_id),
            CopyKind::Row => Copied::row(
                "trace",
                &trace.trace_id,
                &[
                    trace.trace_id.clone(),
                    trace.root_service.clone(),
                    trace.root_name.clone(),
                    trace.start.to_string(),
                    crate::model::traces::layout::format_duration(trace.duration_ns),
                    trace.span_count.to_string(),
                    if trace.error { "error" } else { "ok" }.to_owned(),
                ],
            ),
        })
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        actions::on_prompt(self, ctx, purpose, input)
    }

    fn table(&self) -> Option<&TableState> {
        if self.open_id.is_some() {
            return None;
        }
        Some(self.map.as_ref().map_or(&self.table, |m| &m.table))
    }

    fn table_mut(&mut self) -> Option<&mut TableState> {
        if self.open_id.is_some() {
            return None;
        }
        Some(match self.map.as_mut() {
            Some(m) => &mut m.table,
            None => &mut self.table,
        })
    }

    fn tables_mut(&mut self) -> Vec<&mut TableState> {
        let mut tables = vec![&mut self.table];
        if let Some(m) = self.map.as_mut() {
            tables.push(&mut m.table);
        }
        tables
    }

    fn sort_keys(&self) -> &'static [SortKey] {
        if self.map.is_some() {
            &map::MAP_SORT_KEYS
        } else {
            &SORT_KEYS
        }
    }

    fn refresh_view(&mut self) {
        if let Some(m) = self.map.as_mut() {
            m.refresh();
        }
        let rows = self.list.as_ref().map_or(&[][..], |l| l.rows.as_slice());
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].trace_id.clone(),
            |a, b| {
                let (x, y) = (&rows[a], &rows[b]);
                match column {
                    1 => y.duration_ns.cmp(&x.duration_ns),
                    2 => x.root_service.cmp(&y.root_service),
                    3 => x.root_name.cmp(&y.root_name),
                    4 => (!x.error, y.start).cmp(&(!y.error, x.start)),
                    _ => y.start.cmp(&x.start),
                }
            },
        );
    }

    fn close(&mut self) -> bool {
        // The error panel of a refused search goes first.
        self.search_error.take().is_some() || self.close()
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}

/// Parses `500ms`, `2s`, `1.5s` or a bare number of milliseconds; empty or `0` is no minimum.
///
/// # Errors
/// Anything else, or more than an hour.
pub fn parse_min_duration(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(None);
    }
    let with_unit = if text.bytes().all(|b| b.is_ascii_digit()) {
        format!("{text}ms")
    } else {
        text.to_owned()
    };
    let ms =
        crate::model::validate::duration_ms(&with_unit).map_err(|e| format!("`{text}`: {e}"))?;
    if ms > 3_600_000 {
        return Err(format!("`{text}`: at most an hour"));
    }
    Ok(Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(
            parse_min_duration("500ms").unwrap(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_min_duration("1.5s").unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_min_duration("").unwrap(), None);
        assert!(parse_min_duration("fast").is_err());
    }

    #[test]
    fn only_the_last_asked_trace_is_kept() {
        let mut pane = TracesPane {
            open_id: Some("b".into()),
            ..TracesPane::default()
        };
        assert!(!pane.loaded("a", Err("late".into())));
        assert!(pane.error.is_none());
        assert!(pane.loaded("b", Err("boom".into())));
        assert_eq!(pane.error.as_deref(), Some("boom"));
    }
}
