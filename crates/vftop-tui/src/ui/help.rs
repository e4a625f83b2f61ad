//! The help overlay: every key binding.

use super::keymap::{BINDINGS, REPLAY_BINDINGS};
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

/// What the help popup draws (centred over the area it is given).
pub struct Help<'a> {
    /// A replay console: its time keys come first, and the keys that change rates or sampling
    /// (which do nothing there) are left out (`g` is not the chart scale either).
    pub replay: bool,
    /// Lines scrolled down (↓/PgDn), at most [`Help::scroll_limit`].
    pub scroll: u16,
    pub theme: &'a Theme,
}

/// Keys that do nothing in a replay: nothing can be changed or sampled there.
const NOT_IN_REPLAY: [&str; 9] = ["e", "] / [", "} / {", "u", "y", "c", "p", "< / >", "g"];

impl Help<'_> {
    fn lines(&self) -> Vec<Line<'static>> {
        let theme = self.theme;
        let line = |(keys, what): &(&str, &'static str)| {
            Line::from(vec![Span::styled(format!(" {keys:<11}"), theme.emphasis()), Span::raw(*what)])
        };
        let mut lines: Vec<Line> = Vec::new();
        if self.replay {
            lines.extend(REPLAY_BINDINGS.iter().map(line));
            lines.push(Line::from(""));
        }
        lines.extend(
            BINDINGS.iter().filter(|(keys, _)| !self.replay || !NOT_IN_REPLAY.contains(keys)).map(line),
        );
        if !self.replay {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                " Editor: Tab max/min, Enter previews, 0 or none = no limit, Ctrl-U clears",
                theme.dimmed(),
            )));
        }
        lines
    }

    /// Where the popup goes in `area`: as wide as its longest line, as tall as fits.
    fn popup(&self, area: Rect, lines: &[Line]) -> Rect {
        let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        super::centered(area, widest + 2, lines.len() as u16 + 2)
    }

    /// How far the list can scroll in `area` (on a short terminal it does not all fit).
    pub fn scroll_limit(&self, area: Rect) -> u16 {
        let lines = self.lines();
        (lines.len() as u16).saturating_sub(self.popup(area, &lines).height.saturating_sub(2))
    }
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let lines = self.lines();
        let popup = self.popup(area, &lines);
        Clear.render(popup, buf);
        let mut block = Block::default()
            .borders(Borders::ALL)
            .title(" Keys · ? or Esc closes ")
            .border_style(self.theme.border(true));
        if self.scroll < self.scroll_limit(area) {
            block = block.title_bottom(" ↓ more (↓/PgDn) ");
        }
        Paragraph::new(lines)
            .block(block)
            .style(self.theme.base())
            .scroll((self.scroll, 0))
            .render(popup, buf);
    }
}
