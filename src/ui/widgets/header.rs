//! The top bar: app name, SANDBOX badge, environment (production unmistakable), user and
//! scope. Every badge carries words, so it reads the same without colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let bar = theme.style(Role::Header);
    let mut spans = vec![Span::styled(
        " opsdeck ",
        bar.patch(theme.style(Role::Title)),
    )];
    if state.context.sandbox {
        spans.push(Span::styled(" SANDBOX ", theme.style(Role::SandboxBanner)));
        spans.push(Span::styled(" ", bar));
    }
    if state.context.production {
        spans.push(Span::styled(
            format!(" ▲ PROD {} ▲ ", state.context.name),
            theme.style(Role::ProdBanner),
        ));
    } else {
        spans.push(Span::styled(
            format!(" ctx {} ", state.context.name),
            theme.style(Role::EnvBanner),
        ));
    }
    spans.push(Span::styled(format!("  user {}", state.user), bar));
    let scope = state.scope.as_deref().unwrap_or("all services");
    spans.push(Span::styled(format!("  scope {scope}"), bar));
    if state.readonly {
        spans.push(Span::styled("  [read-only]", bar));
    }
    // Without the tabs line (short terminals) the breadcrumbs move up here.
    if area.height > 0 && crate::app::layout::areas(frame.area()).tabs.is_none() {
        let crumbs = format!("  {} ", state.view().crumbs().join(" › "));
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let room = usize::from(area.width).saturating_sub(used);
        if room > crumbs.chars().count() {
            spans.push(Span::styled(" ".repeat(room - crumbs.chars().count()), bar));
            spans.push(Span::styled(crumbs, bar.patch(theme.style(Role::Accent))));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}
