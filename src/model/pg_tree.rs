//! The blocking tree, flattened for display: every session appears once in full, under the
//! blocker it waits on first, and everywhere else as one line that points to it.
//!
//! The server's `pg_blocking_pids` (<https://www.postgresql.org/docs/current/functions-info.html>)
//! decides who blocks whom; the tree is assembled here, in Rust, rather than with a recursive
//! query on the server (such as the one in
//! <https://postgres.ai/blog/20211018-postgresql-lock-trees>, not meant for frequent polls).
//!
//! Why one full copy: a waiter with several blockers used to be repeated, subtree and all,
//! under each of them, so a lock-queue pile-up (an `ALTER TABLE` queued behind three
//! `UPDATE`s, with readers behind it) filled an 80×24 screen with copies. Now the copy under
//! every other blocker is a single pointer line (`→ 123, shown under 456`), and the number
//! of lines is at most one per node plus one per extra edge.
//!
//! Hard and soft blocking (the terms of the commit that added `pg_blocking_pids`, postgres
//! 52f5d578): a *hard* edge means the waiter wants a lock its blocker holds; a *soft* edge
//! means the blocker holds nothing the waiter wants but asked first for a conflicting mode,
//! so the waiter is queued behind it. Which edges are soft is read by the source
//! ([`PgSession::soft_blockers`]).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use crate::model::pg::{PREPARED_PID, PgSession, PgSnapshot};

/// One line of the flattened blocking tree, in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts about one display line (drawing, state, edge kind); no two \
              of them make one state"
)]
pub struct BlockingLine {
    /// Node id: the backend pid (a parallel query's leader), or 0 for a prepared
    /// transaction.
    pub pid: i32,
    /// 0 for roots.
    pub depth: usize,
    /// Backends waiting directly on this node.
    pub blocks_direct: usize,
    /// Distinct backends waiting on this node directly or through others.
    pub blocks_total: usize,
    /// A blocker with no activity row: it exited between the reads.
    pub gone: bool,
    /// This node already appears above on its own path: the edges form a cycle (a
    /// deadlock about to be broken, or edges read at slightly different instants). The
    /// line is shown but not expanded again.
    pub cycle: bool,
    /// Parallel workers folded under this leader.
    pub parallel_workers: Vec<i32>,
    /// Last among its siblings (draws `└─` instead of `├─`).
    pub last: bool,
    /// For each ancestor from the root down, whether it was last among its siblings
    /// (draws `  ` instead of `│ `). Its length is `depth`.
    pub ancestors_last: Vec<bool>,
    /// The edge from the parent line is soft: this session is queued behind the parent's
    /// own earlier request, the parent holds nothing it wants. False for roots.
    pub soft: bool,
    /// This line only points to the session: it is shown in full (with what it blocks)
    /// on another line, under [`BlockingLine::shown_under`].
    pub pointer: bool,
    /// The blocker under which the session's full line is (its first blocker); `None` for
    /// a session shown as a root.
    pub shown_under: Option<i32>,
}

impl BlockingLine {
    /// The tree guide before the pid, e.g. `│  └─ `; empty for roots.
    #[must_use]
    pub fn guide(&self) -> String {
        if self.depth == 0 {
            return String::new();
        }
        let mut out = String::new();
        // The root's own flag draws nothing: roots are not connected to each other.
        for &last in self.ancestors_last.iter().skip(1) {
            out.push_str(if last { "   " } else { "│  " });
        }
        out.push_str(if self.last { "└─ " } else { "├─ " });
        out
    }

    /// Glyph and word of the edge from the parent (never colour alone): `■ held` (waits
    /// for a lock the parent holds), `□ queued` (behind the parent's earlier request), or
    /// nothing for a root.
    #[must_use]
    pub fn edge_label(&self) -> &'static str {
        match (self.depth, self.soft) {
            (0, _) => "",
            (_, false) => "■ held",
            (_, true) => "□ queued",
        }
    }
}

/// The legend of [`BlockingLine::edge_label`], for the top of the tree view.
pub const EDGE_LEGEND: &str =
    "■ held: wants a lock its parent holds · □ queued: behind its request";

/// Upper bound on tree lines: a pathological graph must not make the pane's model
/// unbounded (with one full copy per node it holds nodes + edges lines at most).
pub const MAX_TREE_LINES: usize = 5_000;

/// The blocking graph of one snapshot, by node id.
struct Graph {
    /// blocker -> waiters, sorted and distinct.
    children: BTreeMap<i32, BTreeSet<i32>>,
    /// waiter -> blockers.
    parents: BTreeMap<i32, BTreeSet<i32>>,
    /// waiter -> the blocker its full line goes under.
    primary: BTreeMap<i32, i32>,
    /// (waiter, blocker) edges that are soft.
    soft: BTreeSet<(i32, i32)>,
    /// Node ids that have at least one activity row (the leader's or a worker's).
    present: BTreeSet<i32>,
    workers: BTreeMap<i32, Vec<i32>>,
}

/// The blocker a session's full line goes under: among the blockers it waits on hard (they
/// hold the lock it wants), else among all of them, the one whose transaction began first
/// (the earliest prepared transaction for pid 0): it has blocked the longest and is the one
/// to look at. Equals keep the server's order, since `pg_blocking_pids`' own order follows
/// the lock's internal lists, not time.
fn first_blocker(
    s: &PgSession,
    node: i32,
    since: &impl Fn(i32) -> Option<Timestamp>,
) -> Option<i32> {
    let candidates: Vec<i32> = s
        .blocked_by
        .iter()
        .copied()
        .filter(|&b| b != node)
        .collect();
    let hard: Vec<i32> = candidates
        .iter()
        .copied()
        .filter(|b| !s.soft_blockers.contains(b))
        .collect();
    let pool = if hard.is_empty() { candidates } else { hard };
    // `min_by_key` keeps the first of equals; a blocker with no known start goes last.
    pool.into_iter()
        .min_by_key(|&b| since(b).map_or((1, Timestamp::MAX), |t| (0, t)))
}

impl Graph {
    fn new(snapshot: &PgSnapshot) -> Self {
        let mut g = Self {
            children: BTreeMap::new(),
            parents: BTreeMap::new(),
            primary: BTreeMap::new(),
            soft: BTreeSet::new(),
            present: BTreeSet::new(),
            workers: BTreeMap::new(),
        };
        let since = |pid: i32| {
            if pid == PREPARED_PID {
                snapshot.prepared.iter().map(|p| p.prepared).min()
            } else {
                snapshot.session(pid).and_then(|b| b.xact_start)
            }
        };
        for s in &snapshot.sessions {
            let node = s.node_id();
            g.present.insert(node);
            if node != s.pid {
                g.workers.entry(node).or_default().push(s.pid);
            }
            // The leader's own row decides its first blocker; a worker's only fills a gap.
            if let Some(first) = first_blocker(s, node, &since)
                && (node == s.pid || !g.primary.contains_key(&node))
            {
                g.primary.insert(node, first);
            }
            for &b in &s.blocked_by {
                // A lock group never blocks itself; the server already excludes it, but a
                // worker row naming its own leader would make a one-node cycle.
                if b == node {
                    continue;
                }
                g.children.entry(b).or_default().insert(node);
                g.parents.entry(node).or_default().insert(b);
                if s.soft_blockers.contains(&b) {
                    g.soft.insert((node, b));
                }
            }
        }
        for w in g.workers.values_mut() {
            w.sort_unstable();
            w.dedup();
        }
        g
    }

    fn direct(&self, node: i32) -> usize {
        self.children.get(&node).map_or(0, BTreeSet::len)
    }

    /// Distinct descendants of `node` (itself excluded, even on a cycle).
    fn total(&self, node: i32) -> usize {
        let mut seen = BTreeSet::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if let Some(kids) = self.children.get(&n) {
                for &k in kids {
                    if k != node && seen.insert(k) {
                        stack.push(k);
                    }
                }
            }
        }
        seen.len()
    }
}

/// Flattens the blocking graph of `snapshot` into display lines.
///
/// - Node id = `coalesce(leader_pid, pid)`, so parallel workers fold under their leader.
/// - Roots are blockers that are not blocked themselves, ordered by `blocks_total`
///   (descending), then pid. Children are ordered the same way.
/// - A waiter with several blockers is shown in full once, under the hard blocker whose
///   transaction began first (else the soft one), and as a [`BlockingLine::pointer`] under
///   the others.
/// - pid 0 is a prepared transaction; a blocker without an activity row is `gone`.
/// - Cycles are cut where a node reappears on its own path (`cycle`); a cycle with no root
///   at all is entered at its member with the most descendants.
#[must_use]
pub fn blocking_tree(snapshot: &PgSnapshot) -> Vec<BlockingLine> {
    let graph = Graph::new(snapshot);
    let mut totals: BTreeMap<i32, usize> = BTreeMap::new();
    for &n in graph.children.keys() {
        totals.insert(n, graph.total(n));
    }
    let mut roots: Vec<i32> = graph
        .children
        .keys()
        .copied()
        .filter(|n| graph.parents.get(n).is_none_or(BTreeSet::is_empty))
        .collect();
    rank(&graph, &totals, &mut roots);

    let mut walk = Walk {
        graph: &graph,
        totals: &totals,
        out: Vec::new(),
        full: BTreeSet::new(),
    };
    let count = roots.len();
    for (i, &root) in roots.iter().enumerate() {
        walk.emit(root, None, i + 1 == count, &mut Vec::new());
    }
    // Nodes on a cycle with no root above it were not reached: enter each such component at
    // its member with the most descendants.
    loop {
        let mut rest: Vec<i32> = graph
            .children
            .keys()
            .copied()
            .filter(|n| !walk.full.contains(n))
            .collect();
        if rest.is_empty() || walk.out.len() >= MAX_TREE_LINES {
            break;
        }
        rank(&graph, &totals, &mut rest);
        walk.emit(rest[0], None, true, &mut Vec::new());
    }
    let mut out = walk.out;
    point_home(&mut out);
    // The last root of the first pass may no longer be last once cycle roots follow it.
    fix_root_last(&mut out);
    out
}

/// Display order of siblings: most blocked first (in total, then directly), then pid.
fn rank(graph: &Graph, totals: &BTreeMap<i32, usize>, nodes: &mut [i32]) {
    let total = |n: &i32| totals.get(n).copied().unwrap_or(0);
    nodes.sort_by(|a, b| {
        total(b)
            .cmp(&total(a))
            .then_with(|| graph.direct(*b).cmp(&graph.direct(*a)))
            .then(a.cmp(b))
    });
}

/// Sets [`BlockingLine::shown_under`]: the parent of each session's full line (`None` when
/// that line is a root), on the full line and on every pointer to it.
fn point_home(lines: &mut [BlockingLine]) {
    let mut home: BTreeMap<i32, Option<i32>> = BTreeMap::new();
    // The parent of a line is the nearest line above it one level up.
    let mut stack: Vec<i32> = Vec::new();
    for line in lines.iter() {
        stack.truncate(line.depth);
        if !line.pointer {
            home.insert(line.pid, stack.last().copied());
        }
        stack.push(line.pid);
    }
    for line in lines.iter_mut() {
        line.shown_under = home.get(&line.pid).copied().flatten();
    }
}

fn fix_root_last(lines: &mut [BlockingLine]) {
    let last_root = lines.iter().rposition(|l| l.depth == 0);
    for (i, line) in lines.iter_mut().enumerate() {
        if line.depth == 0 {
            line.last = Some(i) == last_root;
        }
    }
}

struct Walk<'a> {
    graph: &'a Graph,
    totals: &'a BTreeMap<i32, usize>,
    out: Vec<BlockingLine>,
    /// Nodes already shown in full.
    full: BTreeSet<i32>,
}

impl Walk<'_> {
    /// Emits `node` under `parent` (`None`: as a root): in full with its subtree if this is
    /// where it belongs and it is not shown yet, else as one pointer line. `path` holds the
    /// ancestors' ids and "last" flags.
    fn emit(&mut self, node: i32, parent: Option<i32>, last: bool, path: &mut Vec<(i32, bool)>) {
        if self.out.len() >= MAX_TREE_LINES {
            return;
        }
        let cycle = path.iter().any(|&(p, _)| p == node);
        let primary = self.graph.primary.get(&node).copied();
        let home = parent.is_none() || parent == primary;
        let pointer = cycle || self.full.contains(&node) || !home;
        self.out.push(BlockingLine {
            pid: node,
            depth: path.len(),
            blocks_direct: self.graph.direct(node),
            blocks_total: self.totals.get(&node).copied().unwrap_or(0),
            gone: node != PREPARED_PID && !self.graph.present.contains(&node),
            cycle,
            parallel_workers: self.graph.workers.get(&node).cloned().unwrap_or_default(),
            last,
            ancestors_last: path.iter().map(|&(_, l)| l).collect(),
            soft: parent.is_some_and(|p| self.graph.soft.contains(&(node, p))),
            pointer,
            // Filled in by `point_home` once every full line is placed.
            shown_under: None,
        });
        if pointer {
            return;
        }
        self.full.insert(node);
        let Some(kids) = self.graph.children.get(&node) else {
            return;
        };
        let mut kids: Vec<i32> = kids.iter().copied().collect();
        rank(self.graph, self.totals, &mut kids);
        path.push((node, last));
        let n = kids.len();
        for (i, kid) in kids.into_iter().enumerate() {
            self.emit(kid, Some(node), i + 1 == n, path);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pg::PgRole;
    use proptest::prelude::*;

    use crate::model::pg::tests::{session, ts};

    fn soft(mut s: PgSession, soft: &[i32]) -> PgSession {
        s.soft_blockers = soft.to_vec();
        s
    }

    fn snapshot(sessions: Vec<PgSession>) -> PgSnapshot {
        PgSnapshot {
            database: "orders-db".into(),
            server_version_num: 150_018,
            taken_at: ts(100),
            sessions,
            prepared: vec![],
            role: PgRole::default(),
            facts: crate::model::pg_server::PgFacts::default(),
        }
    }

    /// `(pid, depth)` pairs, the shape of the tree.
    fn shape(lines: &[BlockingLine]) -> Vec<(i32, usize)> {
        lines.iter().map(|l| (l.pid, l.depth)).collect()
    }

    fn full_line(lines: &[BlockingLine], pid: i32) -> &BlockingLine {
        lines.iter().find(|l| l.pid == pid && !l.pointer).unwrap()
    }

    #[test]
    fn chain_with_queued_alter_and_readers() {
        // A idle in transaction holds a row; B and C update it (C queues behind B on the
        // tuple); D's ALTER waits for A, B and C; E and F's SELECTs queue behind D.
        let snap = snapshot(vec![
            session(1, "idle in transaction", &[]),
            session(2, "active", &[1]),
            session(3, "active", &[2]),
            session(4, "active", &[1, 2, 3]),
            soft(session(5, "active", &[4]), &[4]),
            soft(session(6, "active", &[4]), &[4]),
            session(7, "active", &[]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(
            shape(&tree),
            vec![
                (1, 0),
                (2, 1),
                (3, 2),
                (4, 3),
                (4, 2),
                (4, 1),
                (5, 2),
                (6, 2)
            ]
        );
        let root = &tree[0];
        assert_eq!((root.blocks_direct, root.blocks_total), (2, 5));
        assert!(!tree.iter().any(|l| l.pid == 7), "bystanders stay out");
        // D once in full (under A, its first blocker), pointers under B and C.
        let d: Vec<&BlockingLine> = tree.iter().filter(|l| l.pid == 4).collect();
        assert_eq!(d.iter().filter(|l| !l.pointer).count(), 1);
        assert!(d.iter().all(|l| l.shown_under == Some(1)));
        assert_eq!(full_line(&tree, 4).depth, 1);
        assert_eq!(full_line(&tree, 4).blocks_total, 2);
        // The readers queue behind D: soft, and labelled so.
        assert!(full_line(&tree, 5).soft && full_line(&tree, 6).soft);
        assert_eq!(full_line(&tree, 5).edge_label(), "□ queued");
        assert_eq!(full_line(&tree, 2).edge_label(), "■ held");
        assert_eq!(root.edge_label(), "");
        assert!(tree[0].last);
    }

    #[test]
    fn lock_queue_pile_up_shows_the_second_waiter_once() {
        // A holds SHARE, B queues for ACCESS EXCLUSIVE behind A, C wants ROW EXCLUSIVE:
        // held by A (hard) and queued behind B (soft).
        let snap = snapshot(vec![
            session(10, "idle in transaction", &[]),
            session(11, "active", &[10]),
            soft(session(12, "active", &[11, 10]), &[11]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(shape(&tree), vec![(10, 0), (11, 1), (12, 2), (12, 1)]);
        let under_b = &tree[2];
        assert!(under_b.pointer && under_b.soft && under_b.shown_under == Some(10));
        let under_a = &tree[3];
        assert!(!under_a.pointer && !under_a.soft);
        assert_eq!(tree[0].blocks_total, 2);
    }

    #[test]
    fn two_blockers_of_one_session_show_it_once() {
        let snap = snapshot(vec![
            session(10, "idle in transaction", &[]),
            session(11, "idle in transaction", &[]),
            session(12, "active", &[11, 10]),
        ]);
        let tree = blocking_tree(&snap);
        // Roots by pid (equal totals); 12's full line goes under 11, its first blocker.
        assert_eq!(shape(&tree), vec![(10, 0), (12, 1), (11, 0), (12, 1)]);
        assert!(tree[1].pointer && tree[1].shown_under == Some(11));
        assert!(!tree[3].pointer);
        assert!(!tree[0].last && tree[2].last);
    }

    #[test]
    fn the_full_line_goes_under_the_oldest_hard_blocker() {
        let mut old = session(71, "idle in transaction", &[]);
        old.xact_start = Some(ts(1));
        let snap = snapshot(vec![
            session(70, "idle in transaction", &[]),
            old,
            // The server names 70 first, but 71's transaction is older.
            session(72, "active", &[70, 71]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(full_line(&tree, 72).shown_under, Some(71));
    }

    #[test]
    fn idle_advisory_lock_holder_is_a_root() {
        let snap = snapshot(vec![
            session(20, "idle", &[]),
            session(21, "active", &[20]),
            session(22, "active", &[21]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(shape(&tree), vec![(20, 0), (21, 1), (22, 2)]);
        assert_eq!(tree[0].blocks_total, 2);
        assert_eq!(tree[2].guide(), "   └─ ");
        assert!(tree.iter().all(|l| !l.pointer));
    }

    #[test]
    fn prepared_transaction_is_pid_zero_and_not_gone() {
        let mut snap = snapshot(vec![
            session(30, "active", &[0]),
            session(31, "active", &[0, 30]),
        ]);
        snap.prepared.push(crate::model::pg::PreparedXact {
            gid: "g".into(),
            prepared: ts(-50),
            owner: "app".into(),
            database: "orders".into(),
        });
        let tree = blocking_tree(&snap);
        assert_eq!(shape(&tree), vec![(0, 0), (30, 1), (31, 2), (31, 1)]);
        assert!(!tree[0].gone);
        assert!(
            tree[2].pointer,
            "31's oldest blocker is the prepared transaction"
        );
        assert!(!tree[3].pointer);
    }

    #[test]
    fn parallel_workers_fold_under_their_leader() {
        let mut leader = session(40, "active", &[39]);
        leader.leader_pid = Some(40);
        let mut w1 = session(41, "active", &[39]);
        w1.leader_pid = Some(40);
        w1.backend_type = "parallel worker".into();
        let mut w2 = session(42, "active", &[40]);
        w2.leader_pid = Some(40);
        w2.backend_type = "parallel worker".into();
        let snap = snapshot(vec![
            session(39, "idle in transaction", &[]),
            leader,
            w1,
            w2,
            session(43, "active", &[40, 40]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(shape(&tree), vec![(39, 0), (40, 1), (43, 2)]);
        assert_eq!(tree[1].parallel_workers, vec![41, 42]);
    }

    #[test]
    fn cycles_are_cut_and_entered() {
        let snap = snapshot(vec![
            session(50, "active", &[51]),
            session(51, "active", &[50]),
            session(52, "active", &[51]),
        ]);
        let tree = blocking_tree(&snap);
        assert_eq!(tree[0].pid, 51, "the member with the most descendants");
        assert!(tree.iter().any(|l| l.cycle && l.pointer));
        assert_eq!(tree.iter().filter(|l| l.depth == 0).count(), 1);
        assert!(tree.iter().any(|l| l.pid == 52));
    }

    #[test]
    fn gone_blockers_are_marked() {
        let tree = blocking_tree(&snapshot(vec![session(61, "active", &[60])]));
        assert_eq!(shape(&tree), vec![(60, 0), (61, 1)]);
        assert!(tree[0].gone && !tree[1].gone);
    }

    #[test]
    fn huge_fan_in_stays_small() {
        // 80 blockers each blocking the same 80 waiters, which each block one more: 80
        // roots, 80 × 80 lines for the waiters, of which 80 are full, plus 80 grandchildren.
        let mut sessions: Vec<PgSession> = (1..=80)
            .map(|p| session(p, "idle in transaction", &[]))
            .collect();
        let blockers: Vec<i32> = (1..=80).collect();
        for w in 0..80 {
            sessions.push(session(1000 + w, "active", &blockers));
            sessions.push(session(2000 + w, "active", &[1000 + w]));
        }
        let tree = blocking_tree(&snapshot(sessions));
        assert!(tree.len() <= MAX_TREE_LINES);
        assert_eq!(tree.iter().filter(|l| l.pid >= 2000).count(), 80);
    }

    /// A random blocking graph over pids 1..=n: each session waits on a few others,
    /// some of the edges soft.
    fn graph() -> impl Strategy<Value = Vec<PgSession>> {
        (2usize..14).prop_flat_map(|n| {
            proptest::collection::vec(
                (
                    proptest::collection::vec(1..=n, 0..4),
                    proptest::collection::vec(any::<bool>(), 4),
                ),
                n,
            )
            .prop_map(move |edges| {
                edges
                    .into_iter()
                    .enumerate()
                    .map(|(i, (blockers, softs))| {
                        let pid = i32::try_from(i + 1).unwrap();
                        let mut by: Vec<i32> = Vec::new();
                        for b in blockers {
                            let b = i32::try_from(b).unwrap();
                            if b != pid && !by.contains(&b) {
                                by.push(b);
                            }
                        }
                        let soft_by = by
                            .iter()
                            .zip(&softs)
                            .filter(|(_, s)| **s)
                            .map(|(b, _)| *b)
                            .collect();
                        let mut s = session(pid, "active", &by);
                        s.soft_blockers = soft_by;
                        s
                    })
                    .collect()
            })
        })
    }

    proptest! {
        #[test]
        fn every_waiter_and_blocker_is_shown_in_full_exactly_once(sessions in graph()) {
            let snap = snapshot(sessions.clone());
            let tree = blocking_tree(&snap);
            let mut nodes = BTreeSet::new();
            let mut edges = 0;
            for s in &sessions {
                for &b in &s.blocked_by {
                    nodes.insert(s.pid);
                    nodes.insert(b);
                    edges += 1;
                }
            }
            for &n in &nodes {
                let full = tree.iter().filter(|l| l.pid == n && !l.pointer).count();
                prop_assert_eq!(full, 1, "pid {} in {:?}", n, tree);
            }
            // One full line per node, and a pointer per extra edge at most.
            prop_assert!(tree.len() <= nodes.len() + edges);
            for (i, l) in tree.iter().enumerate() {
                if l.depth == 0 {
                    continue;
                }
                // The parent is the nearest line above one level up.
                let parent = tree[..i].iter().rev().find(|p| p.depth + 1 == l.depth).unwrap();
                prop_assert!(!parent.pointer, "a pointer has no children");
                let s = snap.session(l.pid).unwrap();
                prop_assert!(s.blocked_by.contains(&parent.pid));
                prop_assert_eq!(l.soft, s.soft_blockers.contains(&parent.pid));
                if l.pointer && !l.cycle {
                    // It points to where the full line really is.
                    let home = l.shown_under;
                    let full = tree.iter().position(|f| f.pid == l.pid && !f.pointer).unwrap();
                    let full_parent = tree[..full]
                        .iter()
                        .rev()
                        .find(|p| p.depth + 1 == tree[full].depth)
                        .map(|p| p.pid);
                    prop_assert_eq!(home, full_parent);
                }
            }
        }
    }
}
