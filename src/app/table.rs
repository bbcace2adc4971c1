//! One generic table: filter, sort, paging, and a selection that follows identity.
//!
//! A pane keeps its rows and a lower-cased search text per row; [`TableState::rebuild`]
//! filters, orders and keeps the cursor on the row with the same [`RowKey`] (pid and
//! backend start, topic, app, request id...), never on the same position. When that row is
//! gone the cursor moves to its neighbour and [`TableState::vanished`] says which row left,
//! for the pane to show. Every table pane runs this one body; only its keys and its order
//! are its own.

use std::cmp::Ordering;

use super::filter::Filter;

/// One order a table offers, declared once by its pane: `update` cycles through the pane's
/// list, and the view marks the column headed `heading` (none for an order with no column
/// of its own, such as "needs attention first").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub heading: Option<&'static str>,
}

impl SortKey {
    /// The order of the column headed `heading`.
    #[must_use]
    pub const fn on(heading: &'static str) -> Self {
        Self {
            heading: Some(heading),
        }
    }

    /// An order no single column shows.
    pub const OWN: Self = Self { heading: None };

    /// One order per column, in column order: for tables sorted by any of their columns.
    #[must_use]
    pub const fn per_column<const N: usize>(headings: [&'static str; N]) -> [Self; N] {
        let mut keys = [Self::OWN; N];
        let mut i = 0;
        while i < N {
            keys[i] = Self::on(headings[i]);
            i += 1;
        }
        keys
    }
}

/// The identity of one row, stable across refreshes and re-sorts.
pub type RowKey = String;

/// Sort order of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub column: usize,
    pub reverse: bool,
}

/// Cursor, viewport and filter of one table. `visible` holds indices into the pane's rows, in
/// display order, after filtering and sorting.
#[derive(Debug, Clone, Default)]
pub struct TableState {
    pub selected: usize,
    pub offset: usize,
    pub sort: Sort,
    pub filter: Filter,
    pub visible: Vec<usize>,
    /// The identity of each visible row, in the same order.
    keys: Vec<RowKey>,
    /// The identity of the row under the cursor: what the selection follows.
    selected_key: Option<RowKey>,
    /// The row that was selected and is gone since the last refresh (the cursor is on its
    /// neighbour); cleared by the next cursor move.
    pub vanished: Option<RowKey>,
    /// Rows that fit on screen, learned from the last layout (set on resize).
    pub page: usize,
    /// Every row in display order before the filter, with its key, from the last rebuild
    /// (kept by patches): a new filter text is then a pass over it, not a sort of 30,000
    /// rows and 30,000 new keys per keystroke ([`Self::refilter`]). Empty when not valid.
    ordered: Vec<usize>,
    ordered_keys: Vec<RowKey>,
    ordered_valid: bool,
    /// Where the last frame drew the rows (for a mouse click); written by the view.
    pub drawn: super::drawn::DrawnRecord,
}

impl TableState {
    /// An empty table that keeps only this one's page size (a context switch, or another
    /// view of the same pane).
    #[must_use]
    pub fn emptied(&self) -> Self {
        Self {
            page: self.page,
            ..Self::default()
        }
    }

    /// The row index (into the pane's data) under the cursor.
    #[must_use]
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// The identity of the row under the cursor.
    #[must_use]
    pub fn selected_key(&self) -> Option<&str> {
        self.selected_key.as_deref()
    }

    /// Lets go of the selected row's identity (another data set comes next, such as another
    /// database's sessions): the cursor starts at the top and nothing is said to vanish.
    pub fn forget_selection(&mut self) {
        self.selected = 0;
        self.offset = 0;
        self.selected_key = None;
        self.vanished = None;
    }

    /// Puts the cursor on display position `position` (clamped).
    pub fn select(&mut self, position: usize) {
        self.selected = position.min(self.visible.len().saturating_sub(1));
        self.selected_key = self.keys.get(self.selected).cloned();
        self.vanished = None;
        self.scroll_into_view();
    }

    /// Puts the cursor on data row `row` when it is visible; true when it is.
    pub fn select_row(&mut self, row: usize) -> bool {
        match self.visible.iter().position(|&r| r == row) {
            Some(position) => {
                self.select(position);
                true
            }
            None => false,
        }
    }

    /// Puts the cursor on the row whose identity is `key` when it is visible; true when it
    /// is (a click on a row drawn before a refresh still picks that row).
    pub fn select_key(&mut self, key: &str) -> bool {
        match self.keys.iter().position(|k| k == key) {
            Some(position) => {
                self.select(position);
                true
            }
            None => false,
        }
    }

    /// The identities of the visible rows at display positions `range` (what a view
    /// draws), clamped to the rows there are.
    #[must_use]
    pub fn keys_at(&self, range: std::ops::Range<usize>) -> &[RowKey] {
        let end = range.end.min(self.keys.len());
        &self.keys[range.start.min(end)..end]
    }

    /// Moves the cursor by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        self.select(self.selected.saturating_add_signed(delta).min(last));
    }

    pub fn to_top(&mut self) {
        self.select(0);
    }

    pub fn to_bottom(&mut self) {
        self.select(self.visible.len().saturating_sub(1));
    }

    /// Keeps the selected row inside the viewport, and no further down than needed: when
    /// every row fits, none is scrolled out of view.
    pub fn scroll_into_view(&mut self) {
        let page = self.page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        let max_offset = self.visible.len().saturating_sub(page);
        self.offset = self.offset.min(max_offset);
    }

    /// Filters the rows by their search text, orders the survivors with `order` (unless the
    /// filter ranks them itself, as fuzzy matching does), and keeps the cursor on the row with
    /// the same key.
    pub fn rebuild(
        &mut self,
        haystacks: &[String],
        key: impl Fn(usize) -> RowKey,
        mut order: impl FnMut(usize, usize) -> Ordering,
    ) {
        if self.filter.orders_rows() {
            let visible = self.filter.apply(haystacks);
            self.set_rows(visible, key);
            return;
        }
        // Every row ordered, then filtered: the same rows in the same order as sorting only
        // the filtered ones (a stable sort keeps index order among ties either way).
        let mut all: Vec<usize> = (0..haystacks.len()).collect();
        all.sort_by(|&a, &b| order(a, b));
        if self.sort.reverse {
            all.reverse();
        }
        self.ordered_keys = all.iter().map(|&row| key(row)).collect();
        self.ordered = all;
        self.ordered_valid = true;
        self.apply_filter(haystacks);
    }

    /// The filter changed, nothing else: the visible rows are the rows of the last order
    /// that pass it. False, changing nothing, when there is no such order (a fuzzy filter
    /// ranks rows itself, or the rows came from [`Self::set_rows`]); the caller rebuilds.
    pub fn refilter(&mut self, haystacks: &[String]) -> bool {
        if self.filter.orders_rows() || !self.ordered_valid || self.ordered.len() != haystacks.len()
        {
            return false;
        }
        self.apply_filter(haystacks);
        true
    }

    /// Visible rows and keys from the ordered ones that pass the filter.
    fn apply_filter(&mut self, haystacks: &[String]) {
        self.visible.clear();
        self.keys.clear();
        for (&row, key) in self.ordered.iter().zip(&self.ordered_keys) {
            let keep = haystacks
                .get(row)
                .is_some_and(|h| self.filter.keeps(h).unwrap_or(true));
            if keep {
                self.visible.push(row);
                self.keys.push(key.clone());
            }
        }
        self.follow_selection();
    }

    /// Replaces the visible rows, keeping the cursor on the row with the same key. When that
    /// row is gone the cursor stays at its position (its neighbour) and `vanished` names it.
    pub fn set_rows(&mut self, visible: Vec<usize>, key: impl Fn(usize) -> RowKey) {
        self.ordered_valid = false;
        self.ordered.clear();
        self.ordered_keys.clear();
        self.keys = visible.iter().map(|&row| key(row)).collect();
        self.visible = visible;
        self.follow_selection();
    }

    /// Re-places only the rows in `changed` (indices into the pane's rows, whose number and
    /// identities are the same as at the last refresh): each leaves its display position and
    /// goes back where [`Self::rebuild`]'s stable sort would put it, if the filter keeps it.
    /// With 30,000 rows and a few changes per watch snapshot this is a few binary searches
    /// instead of a filter, a sort and 30,000 keys. Returns false, changing nothing, when it
    /// cannot give the same result as a rebuild (a fuzzy filter ranks by every row's score)
    /// or when so many rows changed that a rebuild is cheaper; the caller rebuilds then.
    pub fn patch(
        &mut self,
        changed: &[usize],
        haystacks: &[String],
        key: impl Fn(usize) -> RowKey,
        mut order: impl FnMut(usize, usize) -> Ordering,
    ) -> bool {
        if !self.ordered_valid
            || self.ordered.len() != haystacks.len()
            || changed.len() > 64.max(haystacks.len() / 16)
        {
            return false;
        }
        let mut keeps = Vec::with_capacity(changed.len());
        for &row in changed {
            match haystacks.get(row).map(|h| self.filter.keeps(h)) {
                Some(Some(keep)) => keeps.push(keep),
                _ => return false,
            }
        }
        // Out first, all of them: a changed row still at its old place could sit out of
        // order and mislead the binary search of another.
        for &row in changed {
            take_out(&mut self.visible, &mut self.keys, row);
            take_out(&mut self.ordered, &mut self.ordered_keys, row);
        }
        let reverse = self.sort.reverse;
        for (&row, keep) in changed.iter().zip(keeps) {
            // A stable sort of rows taken in index order: ties keep index order, and a
            // reversed table is that order backwards.
            let mut before = |other: usize| {
                (order(other, row).then(other.cmp(&row)) == Ordering::Less) != reverse
            };
            let at = self.ordered.partition_point(|&other| before(other));
            self.ordered.insert(at, row);
            self.ordered_keys.insert(at, key(row));
            if keep {
                let at = self.visible.partition_point(|&other| before(other));
                self.visible.insert(at, row);
                self.keys.insert(at, key(row));
            }
        }
        self.follow_selection();
        true
    }

    /// Puts the cursor back on the row it followed, after the rows moved.
    fn follow_selection(&mut self) {
        let found = self.selected_key.as_ref().and_then(|k| {
            // Usually the cursor's row has not moved: no scan then.
            if self.keys.get(self.selected) == Some(k) {
                return Some(self.selected);
            }
            self.keys.iter().position(|other| other == k)
        });
        match (found, self.selected_key.take()) {
            (Some(position), key) => {
                self.selected = position;
                self.selected_key = key;
            }
            (None, Some(gone)) => {
                self.selected = self.selected.min(self.visible.len().saturating_sub(1));
                self.selected_key = self.keys.get(self.selected).cloned();
                // A row hidden by the user's own filter did not vanish.
                if !self.filter.is_active() {
                    self.vanished = Some(gone);
                }
            }
            (None, None) => {
                self.selected = self.selected.min(self.visible.len().saturating_sub(1));
                self.selected_key = self.keys.get(self.selected).cloned();
            }
        }
        self.scroll_into_view();
    }

    /// Cycles the sort column forward or backward over `columns` columns.
    pub fn cycle_sort(&mut self, columns: usize, forward: bool) {
        let n = columns.max(1);
        self.sort.column = if forward {
            (self.sort.column + 1) % n
        } else {
            (self.sort.column + n - 1) % n
        };
    }
}

/// Removes `row` and its key from a display list, if it is there.
fn take_out(rows: &mut Vec<usize>, keys: &mut Vec<RowKey>, row: usize) {
    if let Some(position) = rows.iter().position(|&r| r == row) {
        rows.remove(position);
        keys.remove(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(names: &[&str]) -> (Vec<String>, impl Fn(usize) -> RowKey) {
        let owned: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let keys = owned.clone();
        (owned, move |i: usize| keys[i].clone())
    }

    #[test]
    fn cursor_follows_its_row_across_a_reorder() {
        let mut t = TableState {
            page: 3,
            ..TableState::default()
        };
        let (rows, key) = keyed(&["a", "b", "c", "d"]);
        t.rebuild(&rows, &key, |a, b| rows[a].cmp(&rows[b]));
        t.move_by(2);
        assert_eq!(t.selected_key(), Some("c"));
        // The next refresh orders the same rows the other way round.
        t.rebuild(&rows, &key, |a, b| rows[b].cmp(&rows[a]));
        assert_eq!(t.selected_key(), Some("c"));
        assert_eq!(t.selected, 1);
        assert_eq!(t.vanished, None);
    }

    #[test]
    fn a_vanished_row_leaves_the_cursor_on_its_neighbour_and_says_so() {
        let mut t = TableState::default();
        let (rows, key) = keyed(&["a", "b", "c"]);
        t.rebuild(&rows, &key, |a, b| a.cmp(&b));
        t.move_by(1);
        let (rows, key) = keyed(&["a", "c"]);
        t.rebuild(&rows, &key, |a, b| a.cmp(&b));
        assert_eq!(t.selected_key(), Some("c"));
        assert_eq!(t.vanished.as_deref(), Some("b"));
        t.move_by(-1);
        assert_eq!(t.vanished, None, "the next move clears the notice");
    }

    #[test]
    fn rows_above_the_cursor_stay_visible_when_everything_fits() {
        let mut t = TableState {
            page: 10,
            ..TableState::default()
        };
        let (rows, key) = keyed(&["a", "b", "c", "d", "e"]);
        t.rebuild(&rows, &key, |a, b| a.cmp(&b));
        t.to_bottom();
        assert_eq!(t.offset, 0);
        t.move_by(-1);
        assert_eq!(t.offset, 0);
    }

    /// A patch gives exactly what a rebuild gives: order (ties by row index, reversed
    /// tables), filter, keys and the followed selection, over many random rounds.
    #[test]
    fn a_patch_matches_a_rebuild() {
        use crate::app::filter::FilterMode;
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for round in 0..200 {
            let n = 1 + usize::try_from(next(60)).unwrap_or(1);
            let mut scores: Vec<u64> = (0..n).map(|_| next(5)).collect();
            let names: Vec<String> = (0..n).map(|i| format!("row-{i:02}")).collect();
            let haystack = |scores: &[u64]| -> Vec<String> {
                names
                    .iter()
                    .zip(scores)
                    .map(|(name, s)| format!("{name} score{s}"))
                    .collect()
            };
            let key = |i: usize| names[i].clone();
            let mut patched = TableState {
                page: 5,
                sort: Sort {
                    column: 0,
                    reverse: round % 3 == 0,
                },
                ..TableState::default()
            };
            match round % 4 {
                1 => patched
                    .filter
                    .set("score2".to_owned(), FilterMode::Substring),
                2 => patched
                    .filter
                    .set("!score0".to_owned(), FilterMode::Substring),
                _ => {}
            }
            let hay = haystack(&scores);
            patched.rebuild(&hay, key, |a, b| scores[a].cmp(&scores[b]));
            patched.move_by(isize::try_from(next(8)).unwrap_or(0));
            let changed: Vec<usize> = (0..next(4))
                .map(|_| usize::try_from(next(n as u64)).unwrap_or(0))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            for &row in &changed {
                scores[row] = next(5);
            }
            let hay = haystack(&scores);
            let mut rebuilt = patched.clone();
            assert!(patched.patch(&changed, &hay, key, |a, b| scores[a].cmp(&scores[b])));
            rebuilt.rebuild(&hay, key, |a, b| scores[a].cmp(&scores[b]));
            assert_eq!(patched.visible, rebuilt.visible, "round {round}");
            assert_eq!(patched.keys, rebuilt.keys, "round {round}");
            assert_eq!(patched.selected, rebuilt.selected, "round {round}");
            assert_eq!(patched.selected_key, rebuilt.selected_key, "round {round}");
            assert_eq!(patched.vanished, rebuilt.vanished, "round {round}");
            // Then a new filter text: refiltering the kept order gives what a rebuild gives.
            let text = ["", "score1", "!score3", "row-1"][usize::try_from(next(4)).unwrap_or(0)];
            patched.filter.set(text.to_owned(), FilterMode::Substring);
            rebuilt.filter.set(text.to_owned(), FilterMode::Substring);
            assert!(patched.refilter(&hay), "round {round}");
            rebuilt.rebuild(&hay, key, |a, b| scores[a].cmp(&scores[b]));
            assert_eq!(patched.visible, rebuilt.visible, "round {round} {text}");
            assert_eq!(patched.keys, rebuilt.keys, "round {round} {text}");
            assert_eq!(patched.selected_key, rebuilt.selected_key, "round {round}");
        }
    }

    #[test]
    fn a_fuzzy_filter_is_never_patched() {
        let mut t = TableState::default();
        t.filter
            .set("rw".to_owned(), crate::app::filter::FilterMode::Fuzzy);
        let (rows, key) = keyed(&["row", "raw", "rw"]);
        t.rebuild(&rows, &key, |a, b| a.cmp(&b));
        let before = t.visible.clone();
        assert!(!t.patch(&[0], &rows, &key, |a, b| b.cmp(&a)));
        assert_eq!(t.visible, before, "a refused patch changes nothing");
    }

    #[test]
    fn empty_table_never_panics() {
        let mut t = TableState::default();
        t.move_by(-3);
        t.to_bottom();
        t.move_by(4);
        assert_eq!(t.selected_row(), None);
    }
}
