//! The devlink rate tree panel: groups and their VF leaves, limits, and use against caps.

use super::text::rate;
use super::theme::Theme;
use crate::app::state::Level;
use crate::app::tree::tree_lines;
use crate::metrics::units::RateUnit;
use crate::model::{BitsPerSec, DevlinkObject, DevlinkRef, RateObject};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

/// A devlink rate object and what the panel shows beside its limits.
pub struct TreeEntry<'a> {
    pub object: &'a RateObject,
    /// What it sends now (a group: its members together).
    pub tx: BitsPerSec,
    /// Its limits were changed outside this console.
    pub drifted: bool,
}

/// What the rate tree draws.
pub struct RateTree<'a> {
    /// Every rate object, in the order the kernel listed them.
    pub objects: &'a [RateObject],
    pub entries: Vec<TreeEntry<'a>>,
    /// The object the editor would open on (drawn only while focused).
    pub selected: Option<&'a DevlinkRef>,
    pub focused: bool,
    pub unit: RateUnit,
    pub theme: &'a Theme,
}

impl Widget for RateTree<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let title = if self.focused {
            " Rate groups (devlink) · e edits "
        } else {
            " Rate groups (devlink) · Tab here "
        };
        let block =
            Block::default().borders(Borders::ALL).title(title).border_style(theme.border(self.focused));
        let tree = tree_lines(self.objects);
        let selected_at =
            tree.iter().position(|l| self.focused && self.selected == Some(&self.objects[l.index].target));
        let lines: Vec<Line> = tree
            .iter()
            .enumerate()
            .map(|(i, l)| line(&self.entries[l.index], l.depth, Some(i) == selected_at, self.unit, theme))
            .collect();
        // Keep the selection in view on short panels.
        let rows = area.height.saturating_sub(2) as usize;
        let scroll = selected_at.map_or(0, |i| (i + 1).saturating_sub(rows)) as u16;
        Paragraph::new(lines).block(block).style(theme.base()).scroll((scroll, 0)).render(area, buf);
    }
}

fn line<'a>(entry: &TreeEntry, depth: usize, selected: bool, unit: RateUnit, theme: &Theme) -> Line<'a> {
    let (object, used) = (entry.object, entry.tx);
    let cap = object.limit.max;
    let share = (!cap.is_unlimited()).then(|| used.0 / cap.as_bits_per_sec().0);
    let marker = if matches!(object.target.object, DevlinkObject::Node(_)) { "▾ " } else { "· " };
    let name = format!("{}{marker}{}", "  ".repeat(depth), object.name);
    let name_style = if selected { theme.selected() } else { theme.base() };
    let drifted = entry.drifted;
    let limits = format!(" {}{} ", if drifted { "⚠" } else { "" }, super::text::limits(object.limit, unit));
    let use_style = match share {
        Some(s) if s >= crate::metrics::contention::NEAR => theme.level(Level::Error),
        Some(s) if s >= 0.8 => theme.level(Level::Warn),
        _ => theme.dimmed(),
    };
    let usage = match share {
        Some(s) => format!("{} {:.0}%", rate(used, unit), s * 100.0),
        None => rate(used, unit),
    };
    Line::from(vec![
        Span::styled(name, name_style),
        Span::styled(limits, theme.dimmed()),
        Span::styled(usage, use_style),
    ])
}
