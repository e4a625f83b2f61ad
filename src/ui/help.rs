//! The help overlay: every key binding.

use super::keymap::{BINDINGS, REPLAY_BINDINGS};
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

/// What the help popup draws (centred over the area it is given).
pub struct Help<'a> {
    /// A replay console: its time keys come first (and `g` is not the chart scale).
    pub replay: bool,
    pub theme: &'a Theme,
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let line = |(keys, what): &(&str, &'static str)| {
            Line::from(vec![Span::styled(format!(" {keys:<11}"), theme.emphasis()), Span::raw(*what)])
        };
        let mut lines: Vec<Line> = Vec::new();
        if self.replay {
            lines.extend(REPLAY_BINDINGS.iter().map(line));
            lines.push(Line::from(""));
        }
        lines.extend(BINDINGS.iter().filter(|(keys, _)| !self.replay || *keys != "g").map(line));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            " Editor: Tab max/min, Enter previews, 0 = unlimited, Ctrl-U clears",
            theme.dimmed(),
        )));
        // As wide as its longest line (the terminal clips it on a narrow screen).
        let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let popup = super::centered(area, widest + 2, lines.len() as u16 + 2);
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Keys · ? or Esc closes ")
            .border_style(theme.border(true));
        Paragraph::new(lines).block(block).style(theme.base()).render(popup, buf);
    }
}
