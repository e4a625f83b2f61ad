//! The devlink rate tree panel: groups and their VF leaves, limits, and use against caps.

use super::text::rate;
use super::theme::Theme;
use crate::app::state::Level;
use crate::app::tree::tree_lines;
use crate::app::{App, Focus};
use crate::model::{DevlinkObject, RateObject};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let objects = app.snapshot.as_ref().map(|s| s.rate_objects.as_slice()).unwrap_or_default();
    let focused = app.focus == Focus::RateTree;
    let title =
        if focused { " Rate groups (devlink) · e edits " } else { " Rate groups (devlink) · Tab here " };
    let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(focused));
    let tree = tree_lines(objects);
    let selected_at =
        tree.iter().position(|l| focused && app.tree_selected.as_ref() == Some(&objects[l.index].target));
    let lines: Vec<Line> = tree
        .iter()
        .enumerate()
        .map(|(i, l)| line(app, theme, &objects[l.index], l.depth, Some(i) == selected_at))
        .collect();
    // Keep the selection in view on short panels.
    let rows = area.height.saturating_sub(2) as usize;
    let scroll = selected_at.map_or(0, |i| (i + 1).saturating_sub(rows)) as u16;
    frame.render_widget(Paragraph::new(lines).block(block).style(theme.base()).scroll((scroll, 0)), area);
}

fn line<'a>(app: &App, theme: &Theme, object: &RateObject, depth: usize, selected: bool) -> Line<'a> {
    let used = app.rate_object_tx(object);
    let cap = object.limit.max;
    let share = (!cap.is_unlimited()).then(|| used.0 / cap.as_bits_per_sec().0);
    let marker = if matches!(object.target.object, DevlinkObject::Node(_)) { "▾ " } else { "· " };
    let name = format!("{}{marker}{}", "  ".repeat(depth), object.name);
    let name_style = if selected { theme.selected() } else { theme.base() };
    let drifted = app.drift.contains_key(&crate::model::Target::Devlink(object.target.clone()));
    let limits =
        format!(" {}{} ", if drifted { "⚠" } else { "" }, super::text::limits(object.limit, app.unit));
    let use_style = match share {
        Some(s) if s >= crate::metrics::contention::NEAR => theme.level(Level::Error),
        Some(s) if s >= 0.8 => theme.level(Level::Warn),
        _ => theme.dimmed(),
    };
    let usage = match share {
        Some(s) => format!("{} {:.0}%", rate(used, app.unit), s * 100.0),
        None => rate(used, app.unit),
    };
    Line::from(vec![
        Span::styled(name, name_style),
        Span::styled(limits, theme.dimmed()),
        Span::styled(usage, use_style),
    ])
}
