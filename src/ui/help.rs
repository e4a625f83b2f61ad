//! The help overlay: every key binding.

use super::keymap::{BINDINGS, REPLAY_BINDINGS};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// `replay`: a replay console, whose time keys come first (and `g` is not the chart scale).
pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme, replay: bool) {
    let line = |(keys, what): &(&str, &'static str)| {
        Line::from(vec![Span::styled(format!(" {keys:<11}"), theme.emphasis()), Span::raw(*what)])
    };
    let mut lines: Vec<Line> = Vec::new();
    if replay {
        lines.extend(REPLAY_BINDINGS.iter().map(line));
        lines.push(Line::from(""));
    }
    lines.extend(BINDINGS.iter().filter(|(keys, _)| !replay || *keys != "g").map(line));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Editor: Tab max/min, Enter previews, 0 = unlimited, Ctrl-U clears",
        theme.dimmed(),
    )));
    let popup = super::centered(area, 84, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Keys · ? or Esc closes ")
        .border_style(theme.border(true));
    frame.render_widget(Paragraph::new(lines).block(block).style(theme.base()), popup);
}
