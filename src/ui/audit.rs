//! The audit view (`a`): the latest attempted rate changes, newest first.

use super::theme::Theme;
use crate::app::state::Level;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use serde_json::Value;

pub fn draw(frame: &mut Frame, area: Rect, lines: &[String], theme: &Theme) {
    let popup = super::centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    let rows = popup.height.saturating_sub(2) as usize;
    let mut body: Vec<Line> = lines.iter().rev().take(rows).map(|l| entry(l, theme)).collect();
    if body.is_empty() {
        body.push(Line::from(Span::styled("no rate changes recorded yet", theme.dimmed())));
    }
    frame.render_widget(Clear, popup);
    let title = format!(" Audit log · {} entries · newest first · Esc closes ", lines.len());
    let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(true));
    frame.render_widget(Paragraph::new(body).block(block).style(theme.base()), popup);
}

/// One record as a line: time, who, what, outcome.
fn entry<'a>(line: &str, theme: &Theme) -> Line<'a> {
    let Ok(r) = serde_json::from_str::<Value>(line) else {
        return Line::from(Span::styled(format!("(unreadable) {line}"), theme.level(Level::Error)));
    };
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let limit = |v: &Value| format!("{}/{}", v["min_mbps"], v["max_mbps"]);
    let who = match r["sudo_user"].as_str() {
        Some(s) => format!("{} (sudo {s})", text(&r["user"])),
        None => text(&r["user"]),
    };
    let applied = r["outcome"] == "applied";
    let outcome = if applied { "applied".to_string() } else { format!("refused: {}", text(&r["message"])) };
    let style = theme.level(if applied { Level::Good } else { Level::Error });
    Line::from(vec![
        Span::styled(format!("{} ", text(&r["time"])), theme.dimmed()),
        Span::raw(format!("{who:<16} {} vf {} {:<12} ", text(&r["pf"]), r["vf"], text(&r["partition"]))),
        Span::raw(format!("{} → {} ", limit(&r["old"]), limit(&r["new"]))),
        Span::styled(outcome, style),
        Span::styled(format!("  [{}]", text(&r["reason"])), theme.dimmed()),
    ])
}
