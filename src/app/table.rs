//! Selection, scrolling and sorting of one table, independent of what the rows are.

use super::filter::Filter;

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
    /// Rows that fit on screen, learned from the last layout (set by `Msg::Resize`).
    pub page: usize,
}

impl TableState {
    /// The row index (into the pane's data) under the cursor.
    #[must_use]
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// Moves the cursor by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        let target = self.selected.saturating_add_signed(delta).min(last);
        self.selected = target;
        self.scroll_into_view();
    }

    pub fn to_top(&mut self) {
        self.selected = 0;
        self.scroll_into_view();
    }

    pub fn to_bottom(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
        self.scroll_into_view();
    }

    /// Keeps the selected row inside the viewport.
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

    /// Replaces the visible rows, keeping the cursor on the same data row when it survives.
    pub fn set_visible(&mut self, visible: Vec<usize>) {
        let keep = self.selected_row();
        self.visible = visible;
        self.selected = keep
            .and_then(|row| self.visible.iter().position(|&r| r == row))
            .unwrap_or_else(|| self.selected.min(self.visible.len().saturating_sub(1)));
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

/// A pane built on one [`TableState`]: the filter, cursor and sort keys work the same on all.
pub trait TablePane {
    fn table(&self) -> &TableState;
    fn table_mut(&mut self) -> &mut TableState;
    /// Number of sortable columns.
    fn columns(&self) -> usize;
    /// Re-applies filter and sort after a change.
    fn refresh_view(&mut self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_follows_its_row_across_refilters() {
        let mut t = TableState {
            page: 3,
            ..TableState::default()
        };
        t.set_visible((0..10).collect());
        t.move_by(5);
        assert_eq!(t.selected_row(), Some(5));
        assert_eq!(t.offset, 3);
        t.set_visible(vec![1, 5, 7]);
        assert_eq!(t.selected_row(), Some(5));
        t.set_visible(vec![2, 3]);
        assert_eq!(t.selected, 1, "clamped when its row is gone");
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
