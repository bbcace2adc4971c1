//! Where the last frame drew a table's rows, so a mouse click can find the row under it.
//!
//! The layout of a table depends on its pane's view (a split, a detail beside it), which
//! only the view code knows; recomputing it in the app would be a second copy to keep in
//! step. So the view records what it drew: the rectangle of the data rows and the identity
//! ([`RowKey`]) of each, and a click selects the row by that identity, not by a position
//! that a refresh since may have given to another row.
//!
//! The record sits in the [`super::table::TableState`] it describes. Rendering takes the
//! state by shared reference, so the record is written through a lock (uncontended: one
//! thread draws); it is output only, never read by the drawing, and a frame clears the
//! records of the current tables before it draws, so a table not drawn has none. With the
//! mouse off (the default) a frame arms no record, and drawing builds none: nothing is read.

use std::sync::Mutex;

use ratatui::layout::Rect;

use super::table::RowKey;

/// The data rows of one drawn table: their area (one screen row each, from the top) and
/// the identity of each row drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrawnRows {
    pub area: Rect,
    pub keys: Vec<RowKey>,
}

impl DrawnRows {
    /// The identity of the row drawn at screen cell (`column`, `row`), if one was.
    #[must_use]
    pub fn key_at(&self, column: u16, row: u16) -> Option<&RowKey> {
        let inside = column >= self.area.x
            && column < self.area.x.saturating_add(self.area.width)
            && row >= self.area.y;
        if !inside {
            return None;
        }
        self.keys.get(usize::from(row - self.area.y))
    }
}

/// The last frame's [`DrawnRows`] of a table, if it was drawn while armed.
#[derive(Debug, Default)]
pub struct DrawnRecord(Mutex<Slot>);

/// A record's state in the current frame.
#[derive(Debug, Clone, Default)]
enum Slot {
    /// The mouse is off: drawing records nothing.
    #[default]
    Off,
    /// Armed for this frame; the rows once the table is drawn.
    Armed(Option<DrawnRows>),
}

impl DrawnRecord {
    /// Records what the frame drew (the view calls this); `rows` is built only when the
    /// frame armed the record.
    pub fn record(&self, rows: impl FnOnce() -> DrawnRows) {
        if let Slot::Armed(slot) = &mut *self.lock() {
            *slot = Some(rows());
        }
    }

    /// A new frame starts: forget the record, and arm it when the mouse is on.
    pub fn clear(&self, armed: bool) {
        *self.lock() = if armed { Slot::Armed(None) } else { Slot::Off };
    }

    /// What the last frame drew, if it drew the table.
    #[must_use]
    pub fn get(&self) -> Option<DrawnRows> {
        match &*self.lock() {
            Slot::Armed(rows) => rows.clone(),
            Slot::Off => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        // A panic while holding this lock cannot leave the record half-written (it is one
        // assignment), so a poisoned lock's value is as good as any.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clone for DrawnRecord {
    fn clone(&self) -> Self {
        Self(Mutex::new(self.lock().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_inside_the_rows_names_the_row_drawn_there() {
        let rows = DrawnRows {
            area: Rect::new(1, 4, 30, 10),
            keys: vec!["a".into(), "b".into()],
        };
        assert_eq!(rows.key_at(1, 4).map(String::as_str), Some("a"));
        assert_eq!(rows.key_at(30, 5).map(String::as_str), Some("b"));
        assert_eq!(rows.key_at(10, 6), None, "below the last row drawn");
        assert_eq!(rows.key_at(0, 4), None, "the border");
        assert_eq!(rows.key_at(31, 4), None, "the other border");
        assert_eq!(rows.key_at(5, 3), None, "the heading");
    }

    #[test]
    fn a_record_is_kept_until_cleared_and_cloned_with_its_table() {
        let record = DrawnRecord::default();
        assert_eq!(record.get(), None);
        let rows = DrawnRows {
            area: Rect::new(0, 0, 5, 1),
            keys: vec!["k".into()],
        };
        record.record(|| rows.clone());
        assert_eq!(record.get(), None, "not armed: the mouse is off");
        record.clear(true);
        record.record(|| rows.clone());
        assert_eq!(record.clone().get(), Some(rows));
        record.clear(true);
        assert_eq!(record.get(), None);
    }
}
