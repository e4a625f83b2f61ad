//! The status line: read-only banner, the latest toast, or key hints.

use super::theme::Theme;
use crate::app::App;
use crate::app::state::Level;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    if let Some(reason) = &app.flow.read_only {
        spans.push(Span::styled(format!(" READ-ONLY: {reason} "), theme.header()));
        spans.push(Span::raw(" "));
    }
    if let Some((a, secs)) = app.commit_countdown() {
        let text = format!(
            " CONFIRM? {secs}s: {} ({}) max {} min {} reverts unless you press c ",
            a.partition,
            a.change.target.label(),
            a.change.new.max,
            a.change.new.min
        );
        spans.push(Span::styled(
            text,
            theme.level(Level::Warn).add_modifier(ratatui::style::Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    if let crate::app::state::Overlay::GoTo(typed) = &app.overlay {
        spans.push(Span::styled(format!(" go to: {typed}▏"), theme.emphasis()));
        spans.push(Span::styled(
            "  03:00 · \"2026-11-25 03:00\" · 20m ago · RFC 3339 · Enter goes, Esc cancels",
            theme.dimmed(),
        ));
    } else if let Some(toast) = app.current_toast() {
        spans.push(Span::styled(toast.text.clone(), theme.level(toast.level)));
    } else if let Some(err) = &app.last_error {
        spans.push(Span::styled(format!("sampling failed: {err}"), theme.level(Level::Error)));
    } else if app.replay.is_some() {
        let hints = "←/→ sample  S-←/→ minute  g go to  L newest  E events  +/- window  ? help  q quit";
        spans.push(Span::styled(hints, theme.dimmed()));
    } else {
        let hints = "? help  e edit rate  ]/[ step cap  Enter detail  s sort  b bits/bytes  p pause  q quit";
        spans.push(Span::styled(hints, theme.dimmed()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base()), area);
}
