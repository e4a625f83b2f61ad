//! Drawing: one file per panel, all drawn from `app::App` and a `Theme`; no source knowledge.

pub mod audit;
pub mod chart;
pub mod contention;
pub mod detail;
pub mod editor;
pub mod events;
pub mod header;
pub mod help;
pub mod keymap;
pub mod look;
pub mod rate_tree;
pub mod status;
pub mod table;
pub mod text;
pub mod theme;

use crate::app::state::Overlay;
use crate::app::{App, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Paragraph, Wrap};
use theme::Theme;

/// The smallest terminal the layout is designed for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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
}

/// Draws the whole screen (in plain ASCII when the terminal needs it); says where the panels are.
pub fn draw(frame: &mut Frame, app: &App, look: &look::Look) -> Panels {
    let panels = draw_screen(frame, app, &look.themes);
    if look.glyphs == look::Glyphs::Ascii {
        look::to_ascii(frame.buffer_mut());
    }
    panels
}

fn draw_screen(frame: &mut Frame, app: &App, themes: &[Theme]) -> Panels {
    let theme = &themes[app.theme_index.min(themes.len() - 1)];
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, theme);
        return Panels::default();
    }
    let [header_area, body, status_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    header::draw(frame, header_area, app, theme);
    status::draw(frame, status_area, app, theme);
    let panels = match app.view {
        View::Main => draw_main(frame, body, app, theme),
        View::Detail => {
            detail::draw(frame, body, app, theme);
            Panels::default()
        }
    };
    match &app.overlay {
        Overlay::Help => help::draw(frame, area, theme, app.replay.is_some()),
        Overlay::Events(selected) => {
            if let Some(replay) = &app.replay {
                events::draw(frame, area, replay, *selected, theme);
            }
        }
        Overlay::Audit(lines) => audit::draw(frame, area, lines, theme),
        Overlay::Editor(editor) => editor::draw(frame, area, app, editor, theme),
        // Typed on the status line or the table's title.
        Overlay::Filter | Overlay::GoTo(_) | Overlay::None => {}
    }
    panels
}

fn draw_main(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Panels {
    let table_height = (app.rows.len() as u16 + 3).clamp(5, area.height / 2 + 2);
    let [table_area, lower] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(area);
    table::draw(frame, table_area, app, theme);
    let contention_width = if area.width >= 140 { 48 } else { 34 };
    let [chart_area, contention_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(contention_width)]).areas(lower);
    chart::draw(frame, chart_area, app, theme);
    let mut panels = Panels {
        table: table_area,
        table_first_row: table::first_row(app, table_area),
        chart: chart_area,
        contention: contention_area,
        rate_tree: None,
    };
    if app.has_rate_tree() {
        let [top, bottom] =
            Layout::vertical([Constraint::Min(9), Constraint::Percentage(45)]).areas(contention_area);
        contention::draw(frame, top, app, theme);
        rate_tree::draw(frame, bottom, app, theme);
        (panels.contention, panels.rate_tree) = (top, Some(bottom));
    } else {
        contention::draw(frame, contention_area, app, theme);
    }
    panels
}

fn draw_too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!(
        "terminal too small: {}×{}\nvftop needs at least {MIN_WIDTH}×{MIN_HEIGHT}\n(resize, or press q to quit)",
        area.width, area.height
    );
    let centered =
        Rect { y: area.y + area.height / 2 - area.height.min(3) / 2, height: area.height.min(3), ..area };
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.emphasis())
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        centered,
    );
}

/// A bordered list over most of the screen (audit log, events): `lines` gets how many rows fit;
/// `empty` is said when it gives none.
pub fn list_popup<'a>(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: impl FnOnce(usize) -> Vec<ratatui::text::Line<'a>>,
    empty: &str,
    theme: &Theme,
) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Borders, Clear};
    let popup = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    let mut body = lines(popup.height.saturating_sub(2) as usize);
    if body.is_empty() {
        body.push(Line::from(Span::styled(empty.to_string(), theme.dimmed())));
    }
    frame.render_widget(Clear, popup);
    let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(true));
    frame.render_widget(Paragraph::new(body).block(block).style(theme.base()), popup);
}

/// A rectangle of `width`×`height` centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}
