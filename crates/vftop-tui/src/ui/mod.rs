//! Drawing: the composition layer (`compose`) builds each panel from `app::App`; every panel
//! (one file each) is a widget that takes only what it draws, and knows no sources.

pub mod audit;
pub mod chart;
pub mod compose;
pub mod contention;
pub mod detail;
pub mod editor;
pub mod events;
pub mod header;
pub mod help;
pub mod keymap;
pub mod look;
pub mod quit;
pub mod rate_tree;
pub mod status;
pub mod table;
pub mod text;
pub mod theme;

use crate::app::App;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use theme::Theme;

pub use crate::app::state::{MIN_HEIGHT, MIN_WIDTH};

/// Where the main screen's panels were drawn (all empty on other screens): what a mouse
/// click lands on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Panels {
    pub table: Rect,
    /// The visible row drawn first in the table (it scrolls to keep the selection in view).
    pub table_first_row: usize,
    pub chart: Rect,
    pub contention: Rect,
    pub rate_tree: Option<Rect>,
    /// How far the scrolling view on screen (the detail view, the help) can scroll.
    pub scroll_limit: u16,
}

/// Draws the whole screen (in plain ASCII when the terminal needs it); says where the panels are.
pub fn draw(frame: &mut Frame, app: &App, look: &look::Look) -> Panels {
    let panels = compose::draw_screen(frame, app, &look.themes);
    if look.glyphs == look::Glyphs::Ascii {
        look::to_ascii(frame.buffer_mut());
    }
    panels
}

/// Said instead of the screen when the terminal is under `MIN_WIDTH`×`MIN_HEIGHT`: that, a
/// change still counting down (it cannot be kept from here), or the quit prompt.
pub struct TooSmall<'a> {
    /// A change awaiting confirmation and its seconds left, in one sentence.
    pub countdown: Option<String>,
    /// The quit prompt's sentence, when it is open.
    pub quit_prompt: Option<&'a str>,
    pub theme: &'a Theme,
}

impl Widget for TooSmall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut lines: Vec<Line> = match self.quit_prompt {
            Some(change) => quit::QuitPrompt { change, theme: self.theme }.lines(),
            None => vec![
                Line::from(format!("terminal too small: {}×{}", area.width, area.height)),
                Line::from(format!("vftop needs at least {MIN_WIDTH}×{MIN_HEIGHT}")),
                Line::from("(resize, or press q to quit)"),
            ],
        };
        if let (Some(countdown), None) = (&self.countdown, self.quit_prompt) {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                countdown.clone(),
                self.theme.level(crate::app::state::Level::Warn),
            )));
        }
        let height = (lines.len() as u16 + 2).min(area.height);
        let centered = Rect { y: area.y + (area.height - height) / 2, height, ..area };
        let alignment = if self.quit_prompt.is_some() {
            ratatui::layout::Alignment::Left
        } else {
            ratatui::layout::Alignment::Center
        };
        Paragraph::new(lines)
            .style(self.theme.emphasis())
            .alignment(alignment)
            .wrap(Wrap { trim: true })
            .render(centered, buf);
    }
}

/// A bordered list over most of the screen (audit log, events): `lines` gets how many rows fit;
/// `empty` is said when it gives none.
pub fn list_popup<'a>(
    buf: &mut Buffer,
    area: Rect,
    title: String,
    lines: impl FnOnce(usize) -> Vec<Line<'a>>,
    empty: &str,
    theme: &Theme,
) {
    let popup = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    let mut body = lines(popup.height.saturating_sub(2) as usize);
    if body.is_empty() {
        body.push(Line::from(ratatui::text::Span::styled(empty.to_string(), theme.dimmed())));
    }
    Clear.render(popup, buf);
    let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(true));
    Paragraph::new(body).block(block).style(theme.base()).render(popup, buf);
}

/// A rectangle of `width`×`height` centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// What the panels' own tests share: a theme, a partition, and a widget drawn to text.
#[cfg(test)]
pub(crate) mod testing {
    use crate::app::PartitionRow;
    use crate::metrics::rate::FunctionRates;
    use crate::model::{BitsPerSec, Mbps, RateLimit, Vf, VfKey};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    pub fn theme() -> super::Theme {
        super::Theme::load_all(None).expect("built-in themes parse").remove(0)
    }

    /// VF `vf` on `pf` sending `tx_mbps`, capped at `max` Mbit/s (0: unlimited), on a 1G link.
    pub fn row(pf: &str, vf: u32, name: &str, tx_mbps: f64, max: u32) -> PartitionRow {
        PartitionRow {
            key: VfKey { pf: pf.into(), vf },
            name: name.into(),
            color: None,
            vf: Vf { index: vf, rate: RateLimit::new(0, max), ..Vf::default() },
            link: Some(Mbps(1000)),
            driver: "sim".into(),
            rates: FunctionRates {
                tx: BitsPerSec(tx_mbps * 1e6),
                measure: crate::metrics::rate::Measure::Measured,
                ..FunctionRates::default()
            },
            stale: false,
            limited_by: None,
            differs_from_declared: None,
            limit_before: None,
            talkers: Vec::new(),
        }
    }

    /// The widget drawn on a `width`×`height` buffer, as lines of text.
    pub fn text(widget: impl Widget, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        widget.render(area, &mut buf);
        (0..height)
            .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
