//! Screen geometry shared by rendering and by `update` (which needs the page size).
//!
//! ```text
//! ┌──────────────────────────────────────────────┐
//! │ header: app, SANDBOX, env badge, user, scope │  1 row
//! │ tabs: 1 svc 2 apps ...        crumbs         │  1 row (hidden below 20 rows)
//! │ ┌ pane ───────────────────────────────────┐  │
//! │ │ body                                    │  │
//! │ └──────────────────────────────── filter ─┘  │
//! │ status: source health · hints or toast       │  1 row
//! └──────────────────────────────────────────────┘
//! ```

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
    pub status: Rect,
}

#[must_use]
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Splits the screen.
#[must_use]
pub fn areas(area: Rect) -> Areas {
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
    let body = Rect {
        y: area.y + top,
        height: area.height.saturating_sub(top + 1),
        ..area
    };
    Areas {
        header,
        tabs,
        body,
        status,
    }
}

/// Data rows a bordered table with one heading row shows in the body.
#[must_use]
pub fn table_rows(width: u16, height: u16) -> usize {
    let body = areas(Rect::new(0, 0, width, height)).body;
    usize::from(body.height.saturating_sub(3))
}
