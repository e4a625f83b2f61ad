//! The events panel (`E`, replay): every recorded event with its time; Enter jumps there.

use super::theme::Theme;
use crate::app::state::Level;
use crate::model::event::{Event, EventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// What the events popup draws: the recording's events, oldest first, one selected.
pub struct EventList<'a> {
    pub events: &'a [Event],
    pub selected: usize,
    pub theme: &'a Theme,
}

impl Widget for EventList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (events, selected, theme) = (self.events, self.selected, self.theme);
        let title = format!(" Events · {} · ↑/↓ select · Enter goes there · Esc closes ", events.len());
        let body = |rows: usize| {
            // Keep the selection in view: scroll so it sits in the lower half when the list is long.
            let first =
                selected.saturating_sub(rows.saturating_sub(rows / 3)).min(events.len().saturating_sub(rows));
            events
                .iter()
                .enumerate()
                .skip(first)
                .take(rows)
                .map(|(i, e)| entry(e, i == selected, theme))
                .collect()
        };
        super::list_popup(buf, area, title, body, "no events in this recording", theme);
    }
}

fn entry<'a>(e: &Event, selected: bool, theme: &Theme) -> Line<'a> {
    let level = match &e.kind {
        EventKind::RateChange { outcome, .. } if outcome == "refused" => Level::Error,
        EventKind::RateChange { .. } => Level::Good,
        EventKind::PfLink { up: false, .. } | EventKind::Episode { .. } => Level::Error,
        EventKind::EpisodeStarted { .. } => Level::Warn,
        EventKind::ExternalChange { .. }
        | EventKind::Vanished
        | EventKind::CounterReset
        | EventKind::Kernel { .. } => Level::Warn,
        EventKind::Appeared
        | EventKind::RecorderStarted
        | EventKind::OwnerChanged { .. }
        | EventKind::PfLink { up: true, .. } => Level::Info,
    };
    let mut line = Line::from(vec![
        Span::styled(format!("{} ", crate::times::format_ms(e.at_ms)), theme.dimmed()),
        Span::raw(format!("{:<28} ", e.subject())),
        Span::styled(e.label(), theme.level(level)),
    ]);
    if selected {
        line = line.style(theme.selected());
    }
    line
}
