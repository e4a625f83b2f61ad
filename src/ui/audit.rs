//! The audit view (`a`): the latest attempted rate changes, newest first.

use super::theme::Theme;
use crate::app::state::Level;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use serde_json::Value;

/// What the audit popup draws: the log's lines as read, oldest first.
pub struct AuditLog<'a> {
    pub lines: &'a [String],
    pub theme: &'a Theme,
}

impl Widget for AuditLog<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (lines, theme) = (self.lines, self.theme);
        let title = format!(" Audit log · {} entries · newest first · Esc closes ", lines.len());
        let body = |rows| lines.iter().rev().take(rows).map(|l| entry(l, theme)).collect();
        super::list_popup(buf, area, title, body, "no rate changes recorded yet", theme);
    }
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
