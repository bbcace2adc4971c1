//! Screen geometry: pure arithmetic on the terminal size, shared by `update` (the page
//! size, how far a dialog scrolls) and by the views (where to draw).
//!
//! ```text
//! ┌──────────────────────────────────────────────┐
//! │ header: app, SANDBOX, env badge, user, scope │  1 row
//! │ tabs: 1 svc 2 apps ...        crumbs         │  1 row (hidden below 20 rows)
//! │ ┌ pane ───────────────────────────────────┐  │
//! │ │ body                                    │  │
//! │ └──────────────────────────────── filter ─┘  │
//! │ tour panel (only while a tour runs)          │  3–8 rows
//! │ status: source health · hints or toast       │  1 row
//! └──────────────────────────────────────────────┘
//! ```
//!
//! A toast too long for the status line is drawn over the body's last rows (at most a third
//! of the screen, see `widgets::toast`); the areas, and so the table page size, stay put.

use ratatui::layout::Rect;

/// Below this the console shows only a "terminal too small" message.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

/// The regions of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub tabs: Option<Rect>,
    pub body: Rect,
    /// The tour panel, between the body and the status line.
    pub tour: Option<Rect>,
    pub status: Rect,
}

#[must_use]
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Splits the screen (no tour panel).
#[must_use]
pub fn areas(area: Rect) -> Areas {
    areas_with(area, 0)
}

/// Splits the screen, with `tour_rows` rows for the tour panel above the status line.
#[must_use]
pub fn areas_with(area: Rect, tour_rows: u16) -> Areas {
    let show_tabs = area.height >= 20;
    let header = Rect { height: 1, ..area };
    let tabs = show_tabs.then(|| Rect {
        y: area.y + 1,
        height: 1,
        ..area
    });
    let top = 1 + u16::from(show_tabs);
    let status = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    let full = area.height.saturating_sub(top + 1);
    let tour_rows = tour_rows.min(full.saturating_sub(3));
    let body = Rect {
        y: area.y + top,
        height: full - tour_rows,
        ..area
    };
    let tour = (tour_rows > 0).then(|| Rect {
        y: body.y + body.height,
        height: tour_rows,
        ..area
    });
    Areas {
        header,
        tabs,
        body,
        tour,
        status,
    }
}

/// Data rows a bordered table with one heading row shows in the body.
#[must_use]
pub fn table_rows(width: u16, height: u16, tour_rows: u16) -> usize {
    let body = areas_with(Rect::new(0, 0, width, height), tour_rows).body;
    usize::from(body.height.saturating_sub(3))
}

/// A rectangle of at most `width`×`height` centred horizontally in `area`, `top` rows down
/// (dialogs).
#[must_use]
pub fn centered(area: Rect, width: u16, height: u16, top: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2)).max(1);
    let height = height.min(area.height.saturating_sub(top + 1)).max(1);
    Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + top.min(area.height.saturating_sub(height)),
        width,
        height,
    }
}

/// Rows the tour panel takes on a screen `height` rows tall (0 without a tour).
#[must_use]
pub fn tour_panel_rows(tour_running: bool, height: u16) -> u16 {
    if !tour_running {
        return 0;
    }
    match height {
        36.. => 9,
        20..=35 => 8,
        14..=19 => 4,
        _ => 0,
    }
}

/// The `:messages` dialog on a screen `area`.
#[must_use]
pub fn messages_dialog(area: Rect) -> Rect {
    centered(area, 110, area.height.saturating_sub(2), 1)
}

/// The inside of a framed dialog.
#[must_use]
pub fn inside(rect: Rect) -> Rect {
    Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}
