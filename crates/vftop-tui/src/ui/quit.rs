//! The quit prompt: a change still awaits confirmation, so `q` asks before it reverts it.

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

/// What the prompt draws: the change it is about, and the three answers.
pub struct QuitPrompt<'a> {
    /// The change and its seconds left, in one sentence.
    pub change: &'a str,
    pub theme: &'a Theme,
}

impl QuitPrompt<'_> {
    /// The prompt's lines, for a popup or for the too-small screen.
    pub fn lines(&self) -> Vec<Line<'static>> {
        let key = |k: &str, what: &str| {
            Line::from(vec![
                Span::styled(format!(" {k:<4}"), self.theme.emphasis()),
                Span::raw(what.to_string()),
            ])
        };
        vec![
            Line::from(Span::styled(
                format!(" {}", self.change),
                self.theme.level(crate::app::state::Level::Warn),
            )),
            Line::from(""),
            key("c", "keep it (confirmed) and stay"),
            key("q", "revert it and quit"),
            key("Esc", "stay (it still reverts unless kept)"),
        ]
    }
}

impl Widget for QuitPrompt<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let width = area.width.saturating_sub(4).min(72);
        // The change's sentence wraps: as many lines as it needs at this width, plus the answers.
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let wrapped = self.change.chars().count().div_ceil(inner.saturating_sub(2).max(1)) as u16;
        let popup = super::centered(area, width, wrapped + 6);
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Quit? A change is not confirmed ")
            .border_style(self.theme.border(true));
        Paragraph::new(self.lines())
            .block(block)
            .wrap(Wrap { trim: false })
            .style(self.theme.base())
            .render(popup, buf);
    }
}
