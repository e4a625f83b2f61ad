//! The devlink rate tree panel: groups and their VF leaves, limits, and use against caps.

use super::text::{fit, rate};
use super::theme::Theme;
use crate::app::state::Level;
use crate::app::tree::tree_lines;
use crate::model::{BitsPerSec, DevlinkObject, DevlinkRef, Mbps, RateObject};
use crate::units::RateUnit;
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
    /// The cap its use is measured against: its `tx_max` (none: no cap, or one that changed
    /// during the interval the use is over).
    pub cap: Option<Mbps>,
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
        let tree = tree_lines(self.objects);
        // Whose groups these are: in the title for one device, a line before each of several.
        let mut devices: Vec<&str> =
            tree.iter().map(|l| self.objects[l.index].target.device.as_str()).collect();
        devices.dedup();
        let owner = match devices.as_slice() {
            [one] => format!(" of {}", self.owner(one)),
            _ => String::new(),
        };
        let hint = if self.focused { "e edits" } else { "Tab here" };
        let title = format!(" Rate groups{owner} · {hint} ");
        let block =
            Block::default().borders(Borders::ALL).title(title).border_style(theme.border(self.focused));
        let cells: Vec<Cells> = self.entries.iter().map(|e| Cells::of(e, self.unit)).collect();
        let names: Vec<String> = tree
            .iter()
            .map(|l| {
                let object = self.entries[l.index].object;
                let marker =
                    if matches!(object.target.object, DevlinkObject::Node(_)) { "▾ " } else { "· " };
                format!("{}{marker}{}", "  ".repeat(l.depth), object.name)
            })
            .collect();
        // Limits and use in right-aligned columns; names take what is left, but keep fourteen
        // characters on a narrow panel (the use gives way then).
        let width =
            |texts: &mut dyn Iterator<Item = &String>| texts.map(|t| t.chars().count()).max().unwrap_or(0);
        let inner = usize::from(area.width.saturating_sub(2));
        let limits_width = width(&mut cells.iter().map(|c| &c.limits));
        let use_width = width(&mut cells.iter().map(|c| &c.usage));
        let name_width =
            inner.saturating_sub(limits_width + use_width + 2).max(width(&mut names.iter()).min(14));
        let use_width = inner.saturating_sub(name_width + limits_width + 2);
        let mut lines: Vec<Line> = Vec::new();
        let (mut selected_at, mut device) = (None, None);
        for (l, name) in tree.iter().zip(&names) {
            let (object, c) = (&self.objects[l.index], &cells[l.index]);
            if devices.len() > 1 && device != Some(&object.target.device) {
                device = Some(&object.target.device);
                lines.push(Line::styled(self.owner(&object.target.device), theme.emphasis()));
            }
            let selected = self.focused && self.selected == Some(&object.target);
            if selected {
                selected_at = Some(lines.len());
            }
            let name_style = if selected { theme.selected() } else { theme.base() };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<name_width$}", fit(name, name_width)), name_style),
                Span::styled(format!(" {:>limits_width$} ", c.limits), theme.dimmed()),
                Span::styled(
                    format!("{:>use_width$}", c.usage_in(use_width)),
                    c.level.map_or(theme.dimmed(), |l| theme.level(l)),
                ),
            ]));
        }
        // Keep the selection in view on short panels.
        let rows = area.height.saturating_sub(2) as usize;
        let scroll = selected_at.map_or(0, |i| (i + 1).saturating_sub(rows)) as u16;
        Paragraph::new(lines).block(block).style(theme.base()).scroll((scroll, 0)).render(area, buf);
    }
}

impl RateTree<'_> {
    /// A device as the operator knows it: the PF its leaves are VFs of, else its devlink name.
    fn owner(&self, device: &str) -> String {
        self.objects
            .iter()
            .filter(|o| o.target.device == device)
            .find_map(|o| o.vf.as_ref())
            .map_or_else(|| device.to_string(), |vf| vf.pf.clone())
    }
}

/// An object's limits and use as text, and how near its cap it is.
struct Cells {
    limits: String,
    usage: String,
    /// Its use as a share of its cap, alone: what a narrow panel keeps.
    share: Option<String>,
    /// Near or at its cap (none: well under it, or no cap).
    level: Option<Level>,
}

impl Cells {
    /// The use in `width` characters: the rate and share of cap, else the share alone, else
    /// the rate alone, else nothing (a cut-off number would mislead).
    fn usage_in(&self, width: usize) -> String {
        let rate = self.usage.split(' ').take(2).collect::<Vec<_>>().join(" ");
        [Some(&self.usage), self.share.as_ref(), Some(&rate)]
            .into_iter()
            .flatten()
            .find(|t| t.chars().count() <= width)
            .cloned()
            .unwrap_or_default()
    }

    fn of(entry: &TreeEntry, unit: RateUnit) -> Cells {
        let (limit, used) = (entry.object.limit, entry.tx);
        let share = entry.cap.map(|cap| used.0 / cap.as_bits_per_sec().0);
        let level = match share {
            Some(s) if s >= crate::metrics::contention::NEAR => Some(Level::Error),
            Some(s) if s >= 0.8 => Some(Level::Warn),
            _ => None,
        };
        Cells {
            limits: format!("{}{}", if entry.drifted { "⚠" } else { "" }, super::text::limits(limit, unit)),
            usage: match share {
                Some(s) => format!("{} {:.0}%", rate(used, unit), s * 100.0),
                None => rate(used, unit),
            },
            share: share.map(|s| format!("{:.0}%", s * 100.0)),
            level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RateTree, TreeEntry};
    use crate::model::{BitsPerSec, DevlinkObject, DevlinkRef, Mbps, RateLimit, RateObject};
    use crate::ui::testing::{text, theme};
    use crate::units::RateUnit;

    fn object(name: &str, object: DevlinkObject, max: u32, parent: Option<&str>) -> RateObject {
        RateObject {
            target: DevlinkRef { device: "pci/0000:3b:00.0".into(), object },
            name: name.into(),
            limit: RateLimit::new(0, max),
            parent: parent.map(str::to_string),
            vf: None,
            scheduling: Default::default(),
        }
    }

    #[test]
    fn says_whose_groups_they_are() {
        let mut objects = vec![
            object("storage", DevlinkObject::Node("storage".into()), 5000, None),
            object("vf 2 NFS", DevlinkObject::Leaf(2), 0, Some("storage")),
        ];
        objects[1].vf = Some(crate::model::VfKey { pf: "ens1f0".into(), vf: 2 });
        let theme = theme();
        let draw = |objects: &[RateObject]| {
            let entries = objects
                .iter()
                .map(|object| TreeEntry { object, tx: BitsPerSec(0.0), drifted: false, cap: None })
                .collect();
            let panel = RateTree {
                objects,
                entries,
                selected: None,
                focused: false,
                unit: RateUnit::Bits,
                theme: &theme,
            };
            text(panel, 60, 8)
        };
        let one = draw(&objects);
        assert!(one.starts_with("┌ Rate groups of ens1f0 · Tab here "), "{one}");
        // A second device (no leaf says its PF): a line names each device before its objects.
        let mut other = object("backup", DevlinkObject::Node("backup".into()), 1000, None);
        other.target.device = "netdevsim/netdevsim1".into();
        objects.push(other);
        let two = draw(&objects);
        let lines: Vec<&str> = two.lines().collect();
        assert!(lines[0].starts_with("┌ Rate groups · Tab here "), "{two}");
        assert!(lines[1].starts_with("│netdevsim/netdevsim1 "), "{two}");
        assert!(lines[2].starts_with("│▾ backup "), "{two}");
        assert!(lines[3].starts_with("│ens1f0 "), "{two}");
        assert!(lines[4].starts_with("│▾ storage ") && lines[5].starts_with("│  · vf 2 NFS "), "{two}");
    }

    #[test]
    fn a_narrow_panel_keeps_the_name_and_the_share_of_cap() {
        let objects = [
            object("storage", DevlinkObject::Node("storage".into()), 5000, None),
            object("vf 2 NFS", DevlinkObject::Leaf(2), 0, Some("storage")),
        ];
        let theme = theme();
        let tree = |width| {
            let entries = vec![
                TreeEntry {
                    object: &objects[0],
                    tx: BitsPerSec(4.6e9),
                    drifted: true,
                    cap: Some(Mbps(5000)),
                },
                TreeEntry { object: &objects[1], tx: BitsPerSec(2.42e9), drifted: false, cap: None },
            ];
            let panel = RateTree {
                objects: &objects,
                entries,
                selected: None,
                focused: false,
                unit: RateUnit::Bits,
                theme: &theme,
            };
            text(panel, width, 4)
        };
        let wide = tree(48);
        assert!(wide.contains("│▾ storage") && wide.contains("⚠-/5G 4.60 Gb/s 92%│"), "{wide}");
        assert!(wide.contains("│  · vf 2 NFS") && wide.contains(" -/-     2.42 Gb/s│"), "{wide}");
        let narrow = tree(30);
        assert!(
            narrow.contains("│▾ storage") && narrow.contains("⚠-/5G") && narrow.contains(" 92%│"),
            "{narrow}"
        );
        assert!(!narrow.contains("4.60 Gb/s"), "{narrow}");
        assert!(narrow.contains("│  · vf 2 NFS") && narrow.contains("2.42 Gb/s│"), "{narrow}");
        // Narrower still: a rate that does not fit is left out, not cut to a wrong number.
        let narrower = tree(26);
        assert!(narrower.contains(" 92%│") && narrower.contains("│  · vf 2 NFS"), "{narrower}");
        assert!(!narrower.contains("2.4") && !narrower.contains('…'), "{narrower}");
    }
}
