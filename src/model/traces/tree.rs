//! The span tree behind the waterfall: parent/child links, depth-first order by start time,
//! collapsing, and the critical path.
//!
//! Built in O(n log n) (sorting siblings) with flat arrays, so a 5,000-span trace costs well
//! under a millisecond and a 10,000-deep chain cannot overflow a stack (no recursion). Spans
//! whose parent is missing (not received, sampled away, dropped by the cap) become roots in
//! start order, as do spans in a parent cycle (hostile or corrupt data): every span appears
//! exactly once.

use std::collections::{HashMap, HashSet};

use super::fxhash::FxBuild;
use super::span::Trace;

/// One visible line of the waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Index into [`Trace::spans`].
    pub index: usize,
    pub depth: usize,
    pub has_children: bool,
    pub collapsed: bool,
}

/// Parent/child structure of one trace, in depth-first order; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct SpanTree {
    /// Span indices in depth-first order (children by start time).
    order: Vec<usize>,
    /// Depth of each position in `order`.
    depth: Vec<usize>,
    /// For each position in `order`, the position just past its subtree.
    subtree_end: Vec<usize>,
    /// Span index → position in `order`.
    position: Vec<usize>,
    /// Span index → its parent in the tree (`None` for roots, orphans included).
    parent: Vec<Option<usize>>,
    /// Root span indices, by start time.
    roots: Vec<usize>,
    /// Every span id back to back, ended at `id_ends[i]`: one allocation instead of one per
    /// span, since ids are only looked up on a keypress (a linear scan is fine there).
    ids: String,
    id_ends: Vec<usize>,
    /// Earliest start and latest end over the trace, and counts for the title line, so
    /// drawing a frame never walks all spans.
    trace_start_ns: i64,
    trace_end_ns: i64,
    service_count: usize,
    error_count: usize,
    start_ns: Vec<i64>,
    end_ns: Vec<i64>,
    /// Collapsed spans by id, so the set survives a rebuild after the trace refreshes.
    collapsed: HashSet<String>,
    /// The same set by span index, for the per-frame walk.
    collapsed_at: Vec<bool>,
}

impl SpanTree {
    /// Builds the tree of `trace`; nothing is collapsed.
    #[must_use]
    #[expect(
        clippy::too_many_lines,
        reason = "dependent passes (children, order, depths, sizes) over the same buffers"
    )]
    pub fn new(trace: &Trace) -> Self {
        let spans = &trace.spans;
        let n = spans.len();
        let mut by_id: HashMap<&str, usize, FxBuild> =
            HashMap::with_capacity_and_hasher(n, FxBuild::default());
        let mut ids = String::with_capacity(n * 16);
        let mut id_ends = Vec::with_capacity(n);
        let mut services: HashSet<&str, FxBuild> = HashSet::default();
        let mut error_count = 0;
        for (i, span) in spans.iter().enumerate() {
            by_id.entry(span.span_id.as_str()).or_insert(i);
            ids.push_str(&span.span_id);
            id_ends.push(ids.len());
            services.insert(&span.service);
            error_count += usize::from(span.is_error());
        }
        let start_ns: Vec<i64> = spans.iter().map(|s| s.start_ns).collect();
        let end_ns: Vec<i64> = spans.iter().map(super::span::Span::end_ns).collect();
        let wire_parent: Vec<Option<usize>> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parent_id
                    .as_deref()
                    .and_then(|p| by_id.get(p).copied())
                    .filter(|&p| p != i)
            })
            .collect();

        // Children in compressed rows: `child_list[child_start[p]..child_start[p + 1]]`.
        let mut child_start = vec![0usize; n + 1];
        for p in wire_parent.iter().flatten() {
            child_start[p + 1] += 1;
        }
        for i in 0..n {
            child_start[i + 1] += child_start[i];
        }
        let mut fill = child_start.clone();
        let mut child_list = vec![0usize; n];
        for (i, p) in wire_parent.iter().enumerate() {
            if let Some(p) = *p {
                child_list[fill[p]] = i;
                fill[p] += 1;
            }
        }
        // Spans from `Trace::from_spans` are already in start order, and then so is every
        // child list (filled in index order): the sorts are only for hand-built traces.
        let by_start = |a: &usize, b: &usize| start_ns[*a].cmp(&start_ns[*b]).then(a.cmp(b));
        let mut candidates: Vec<usize> = (0..n).collect();
        if !start_ns.is_sorted() {
            for p in 0..n {
                child_list[child_start[p]..child_start[p + 1]].sort_unstable_by(by_start);
            }
            candidates.sort_unstable_by(by_start);
        }

        let mut order = Vec::with_capacity(n);
        let mut depth = Vec::with_capacity(n);
        let mut parent = vec![None; n];
        let mut visited = vec![false; n];
        let mut roots = Vec::new();
        let mut stack: Vec<(usize, Option<usize>, usize)> = Vec::new();
        // First the real roots (no parent in the trace); then, for spans still unvisited
        // (only possible inside a parent cycle), the earliest one becomes a root.
        let real_roots = candidates
            .iter()
            .copied()
            .filter(|&i| wire_parent[i].is_none());
        let leftovers = candidates.iter().copied();
        for root in real_roots.chain(leftovers) {
            if visited[root] {
                continue;
            }
            roots.push(root);
            stack.push((root, None, 0));
            while let Some((span, from, d)) = stack.pop() {
                if visited[span] {
                    continue;
                }
                visited[span] = true;
                parent[span] = from;
                order.push(span);
                depth.push(d);
                let kids = &child_list[child_start[span]..child_start[span + 1]];
                stack.extend(kids.iter().rev().map(|&k| (k, Some(span), d + 1)));
            }
        }

        let mut position = vec![0usize; n];
        for (pos, &span) in order.iter().enumerate() {
            position[span] = pos;
        }
        // Subtree sizes bottom-up: children come after their parent in `order`.
        let mut size = vec![1usize; n];
        for pos in (0..n).rev() {
            if let Some(p) = parent[order[pos]] {
                size[position[p]] += size[pos];
            }
        }
        let subtree_end = (0..n).map(|pos| pos + size[pos]).collect();

        Self {
            order,
            depth,
            subtree_end,
            position,
            parent,
            roots,
            ids,
            id_ends,
            trace_start_ns: start_ns.iter().copied().min().unwrap_or(0),
            trace_end_ns: end_ns.iter().copied().max().unwrap_or(0),
            service_count: services.len(),
            error_count,
            start_ns,
            end_ns,
            collapsed: HashSet::new(),
            collapsed_at: vec![false; n],
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Root span indices (true roots and orphans), by start time.
    #[must_use]
    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    /// The span's parent in the tree; `None` for roots and orphans.
    #[must_use]
    pub fn parent(&self, span: usize) -> Option<usize> {
        self.parent.get(span).copied().flatten()
    }

    #[must_use]
    pub fn depth(&self, span: usize) -> usize {
        self.position.get(span).map_or(0, |&pos| self.depth[pos])
    }

    /// Span indices in depth-first order, ignoring collapse.
    #[must_use]
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The span's children, by start time.
    pub fn children(&self, span: usize) -> impl Iterator<Item = usize> + '_ {
        let (mut pos, end) = match self.position.get(span) {
            Some(&p) => (p + 1, self.subtree_end[p]),
            None => (0, 0),
        };
        std::iter::from_fn(move || {
            if pos >= end {
                return None;
            }
            let child = self.order[pos];
            pos = self.subtree_end[pos];
            Some(child)
        })
    }

    #[must_use]
    pub fn has_children(&self, span: usize) -> bool {
        self.position
            .get(span)
            .is_some_and(|&p| self.subtree_end[p] > p + 1)
    }

    /// The span index of an id.
    #[must_use]
    pub fn index_of(&self, span_id: &str) -> Option<usize> {
        let mut from = 0;
        self.id_ends.iter().position(|&end| {
            let id = &self.ids[from..end];
            from = end;
            id == span_id
        })
    }

    /// The trace's earliest span start (unix ns), as [`Trace::start_ns`] but precomputed.
    #[must_use]
    pub fn trace_start_ns(&self) -> i64 {
        self.trace_start_ns
    }

    /// The trace's length, as [`Trace::duration_ns`] but precomputed.
    #[must_use]
    pub fn trace_duration_ns(&self) -> i64 {
        self.trace_end_ns.saturating_sub(self.trace_start_ns).max(0)
    }

    /// Distinct services in the trace.
    #[must_use]
    pub fn service_count(&self) -> usize {
        self.service_count
    }

    /// Spans with status error.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.error_count
    }

    /// Collapses or expands a span. Returns whether anything changed (leaves and unknown ids
    /// do not collapse).
    pub fn toggle(&mut self, span_id: &str) -> bool {
        let Some(span) = self.index_of(span_id) else {
            return false;
        };
        if !self.has_children(span) {
            return false;
        }
        let now = !self.collapsed_at[span];
        self.collapsed_at[span] = now;
        if now {
            self.collapsed.insert(span_id.to_owned());
        } else {
            self.collapsed.remove(span_id);
        }
        true
    }

    #[must_use]
    pub fn is_collapsed(&self, span_id: &str) -> bool {
        self.collapsed.contains(span_id)
    }

    /// The collapsed span ids, to carry over to the tree of a refreshed trace.
    #[must_use]
    pub fn collapsed(&self) -> &HashSet<String> {
        &self.collapsed
    }

    /// Restores a collapsed set (ids not in this trace, or leaves, are ignored).
    pub fn set_collapsed(&mut self, ids: &HashSet<String>) {
        self.expand_all();
        for id in ids {
            if let Some(span) = self.index_of(id)
                && self.has_children(span)
            {
                self.collapsed_at[span] = true;
                self.collapsed.insert(id.clone());
            }
        }
    }

    pub fn expand_all(&mut self) {
        self.collapsed.clear();
        self.collapsed_at.fill(false);
    }

    /// Expands every ancestor of `span` so it is visible (jumping to a span from a log line).
    pub fn reveal(&mut self, span: usize, trace: &Trace) {
        let mut at = self.parent(span);
        while let Some(p) = at {
            if self.collapsed_at[p] {
                self.collapsed_at[p] = false;
                self.collapsed.remove(&trace.spans[p].span_id);
            }
            at = self.parent(p);
        }
    }

    /// The rows on screen: depth-first, skipping the descendants of collapsed spans. O(visible).
    #[must_use]
    pub fn visible_rows(&self) -> Vec<Row> {
        let mut rows = Vec::with_capacity(self.order.len());
        let mut pos = 0;
        while pos < self.order.len() {
            let index = self.order[pos];
            let has_children = self.subtree_end[pos] > pos + 1;
            let collapsed = has_children && self.collapsed_at[index];
            rows.push(Row {
                index,
                depth: self.depth[pos],
                has_children,
                collapsed,
            });
            pos = if collapsed {
                self.subtree_end[pos]
            } else {
                pos + 1
            };
        }
        rows
    }

    /// The critical path as span indices (Jaeger's rule).
    ///
    /// Start at the root that ends last, with a cursor at its end. At each span, walk its
    /// children from the one that ends last: a child that started before the cursor was
    /// running when the span waited, so it joins the path (with its own part before the
    /// cursor) and the cursor moves to its start. So sequential calls are all on the path
    /// (each one gated the next), while a child overlapped by a later-finishing sibling only
    /// counts when it started before that sibling. One sort per span: linear in spans.
    #[must_use]
    pub fn critical_path(&self) -> HashSet<usize> {
        let mut path = HashSet::new();
        let root = self.roots.iter().copied().max_by(|&a, &b| {
            self.end_ns[a]
                .cmp(&self.end_ns[b])
                .then(self.start_ns[a].cmp(&self.start_ns[b]))
                .then(b.cmp(&a))
        });
        let mut stack: Vec<(usize, i64)> = Vec::new();
        if let Some(root) = root {
            path.insert(root);
            stack.push((root, self.end_ns[root]));
        }
        while let Some((span, until)) = stack.pop() {
            let mut cursor = until.min(self.end_ns[span]);
            let mut children: Vec<usize> = self.children(span).collect();
            // Latest end first; on equal ends the later start (the parent still waited on
            // it after the other had started).
            children.sort_unstable_by(|&a, &b| {
                self.end_ns[b]
                    .cmp(&self.end_ns[a])
                    .then(self.start_ns[b].cmp(&self.start_ns[a]))
                    .then(a.cmp(&b))
            });
            let mut took_any = false;
            for &child in &children {
                if self.start_ns[child] <= cursor && path.insert(child) {
                    stack.push((child, cursor));
                    cursor = self.start_ns[child];
                    took_any = true;
                }
            }
            // Clock skew between services can put every child after its parent's end; the
            // one ending last is still what the parent waited on.
            if !took_any
                && let Some(&last) = children.first()
                && path.insert(last)
            {
                stack.push((last, self.end_ns[last]));
            }
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traces::span::test_span;

    /// root(0..100) → a(10..40) → a1(15..20)
    ///              → b(30..90) → b1(35..80), b2(40..60)
    /// orphan(50..55) whose parent is missing.
    fn sample() -> Trace {
        Trace::from_spans(
            Some("t".into()),
            vec![
                test_span("b2", Some("b"), 40, 20),
                test_span("root", None, 0, 100),
                test_span("a", Some("root"), 10, 30),
                test_span("a1", Some("a"), 15, 5),
                test_span("b", Some("root"), 30, 60),
                test_span("b1", Some("b"), 35, 45),
                test_span("orphan", Some("gone"), 50, 5),
            ],
        )
    }

    fn names(trace: &Trace, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}", " ".repeat(r.depth), trace.spans[r.index].span_id))
            .collect()
    }

    #[test]
    fn depth_first_by_start_with_orphans_as_roots() {
        let trace = sample();
        let tree = SpanTree::new(&trace);
        let rows = tree.visible_rows();
        assert_eq!(
            names(&trace, &rows),
            ["root", " a", "  a1", " b", "  b1", "  b2", "orphan"]
        );
        assert_eq!(tree.roots().len(), 2);
        assert!(rows[0].has_children);
        assert!(!rows[2].has_children);
        let root = tree.index_of("root").unwrap_or_default();
        let kids: Vec<&str> = tree
            .children(root)
            .map(|i| trace.spans[i].span_id.as_str())
            .collect();
        assert_eq!(kids, ["a", "b"]);
        assert_eq!(tree.depth(tree.index_of("b2").unwrap_or_default()), 2);
    }

    #[test]
    fn hand_built_unsorted_traces_are_still_ordered_by_start() {
        let trace = Trace {
            trace_id: "t".into(),
            spans: vec![
                test_span("late", Some("root"), 50, 5),
                test_span("root", None, 0, 100),
                test_span("early", Some("root"), 10, 5),
            ],
            dropped: 0,
        };
        let tree = SpanTree::new(&trace);
        assert_eq!(
            names(&trace, &tree.visible_rows()),
            ["root", " early", " late"]
        );
    }

    #[test]
    fn collapse_hides_descendants_and_survives_a_rebuild() {
        let trace = sample();
        let mut tree = SpanTree::new(&trace);
        assert!(tree.toggle("b"));
        assert!(!tree.toggle("a1"), "leaves do not collapse");
        assert!(!tree.toggle("nope"));
        let rows = tree.visible_rows();
        assert_eq!(names(&trace, &rows), ["root", " a", "  a1", " b", "orphan"]);
        assert!(rows[3].collapsed);
        let mut rebuilt = SpanTree::new(&trace);
        rebuilt.set_collapsed(tree.collapsed());
        assert_eq!(rebuilt.visible_rows(), rows);
        assert!(tree.toggle("root"));
        assert_eq!(names(&trace, &tree.visible_rows()), ["root", "orphan"]);
        tree.reveal(tree.index_of("b1").unwrap_or_default(), &trace);
        assert_eq!(tree.visible_rows().len(), 7);
    }

    #[test]
    fn critical_path_walks_back_from_the_end_through_what_each_span_waited_on() {
        let trace = sample();
        let tree = SpanTree::new(&trace);
        let path: HashSet<&str> = tree
            .critical_path()
            .into_iter()
            .map(|i| trace.spans[i].span_id.as_str())
            .collect();
        // root waited on b (30..90) and, before b started, on a (10..30 of it) and a1; inside
        // b, b1 ends last and b2 started after b1, so it gated nothing.
        assert_eq!(path, HashSet::from(["root", "b", "b1", "a", "a1"]));
        let sequential = Trace::from_spans(
            Some("s".into()),
            vec![
                test_span("root", None, 0, 100),
                test_span("slow", Some("root"), 5, 70),
                test_span("next", Some("root"), 80, 15),
                test_span("parallel", Some("root"), 6, 10),
            ],
        );
        let tree = SpanTree::new(&sequential);
        let path: HashSet<&str> = tree
            .critical_path()
            .into_iter()
            .map(|i| sequential.spans[i].span_id.as_str())
            .collect();
        assert_eq!(
            path,
            HashSet::from(["root", "next", "slow"]),
            "a slow call before the last one gated it; a short parallel one did not"
        );
        assert!(SpanTree::new(&Trace::default()).critical_path().is_empty());
    }

    #[test]
    fn cycles_and_self_parents_do_not_lose_spans() {
        let trace = Trace::from_spans(
            None,
            vec![
                test_span("x", Some("y"), 0, 10),
                test_span("y", Some("x"), 1, 10),
                test_span("z", Some("z"), 2, 10),
            ],
        );
        let tree = SpanTree::new(&trace);
        assert_eq!(names(&trace, &tree.visible_rows()), ["z", "x", " y"]);
    }

    #[test]
    fn deep_and_wide_traces_are_linear() {
        let n = 10_000;
        let chain: Vec<_> = (0..n)
            .map(|i| {
                let parent = (i > 0).then(|| (i - 1).to_string());
                test_span(&i.to_string(), parent.as_deref(), i64::from(i), 1)
            })
            .collect();
        let trace = Trace::from_spans(None, chain);
        let tree = SpanTree::new(&trace);
        assert_eq!(tree.visible_rows().last().map(|r| r.depth), Some(9_999));
        assert_eq!(tree.critical_path().len(), 10_000);
        let fan: Vec<_> = (0..n)
            .map(|i| {
                let parent = (i > 0).then_some("0");
                test_span(&i.to_string(), parent, i64::from(i), 1)
            })
            .collect();
        let tree = SpanTree::new(&Trace::from_spans(None, fan));
        assert_eq!(tree.visible_rows().len(), 10_000);
        assert_eq!(tree.children(0).count(), 9_999);
    }
}
