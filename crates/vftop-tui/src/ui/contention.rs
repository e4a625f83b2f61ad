//! The contention panel: link use stacked by partition, guarantees vs link, capped/starved, drops.

use super::text::{per_sec, rate, speed};
use super::theme::Theme;
use crate::app::PartitionRow;
use crate::app::state::Level;
use crate::metrics::contention::Contention;
use crate::model::VfKey;
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

/// What the contention panel draws: one PF's assessment and its partitions.
pub struct ContentionPanel<'a> {
    /// The selection's PF and its assessment (none before the first sample).
    pub pf: Option<(&'a str, &'a Contention)>,
    /// The partitions on that PF, each with its colour index.
    pub partitions: Vec<(usize, &'a PartitionRow)>,
    /// Said where there is no PF to assess ("no data yet", no partition passes the filter).
    pub placeholder: &'a str,
    pub unit: RateUnit,
    pub focused: bool,
    pub theme: &'a Theme,
}

impl Widget for ContentionPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Contention ")
            .border_style(self.theme.border(self.focused));
        let inner_width = area.width.saturating_sub(2) as usize;
        let lines = match self.pf {
            Some((pf, c)) => self.lines(pf, c, inner_width, usize::from(area.height.saturating_sub(2))),
            None => vec![Line::from(self.placeholder.to_string())],
        };
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(self.theme.base())
            .render(area, buf);
    }
}

impl<'a> ContentionPanel<'a> {
    fn lines(&self, pf: &str, c: &Contention, width: usize, height: usize) -> Vec<Line<'a>> {
        let (theme, unit) = (self.theme, self.unit);
        let ok_or = |bad: bool, word: &'static str, ok: &'static str| {
            if bad {
                Span::styled(word, theme.level(Level::Error))
            } else {
                Span::styled(ok, theme.level(Level::Good))
            }
        };
        let mut out = vec![
            Line::from(vec![
                Span::styled(format!("{pf} "), theme.emphasis()),
                Span::raw(format!("{} of {}", rate(c.used, unit), speed(c.link, unit))),
            ]),
            Line::from(vec![
                Span::raw(format!("link {:.0}% used ", c.utilisation * 100.0)),
                ok_or(c.saturated, "· SATURATED", "· ok"),
            ]),
            self.stacked_bar(c, width),
            if c.min_is_weight {
                Line::styled("min is a relative weight here: no guarantees", theme.dimmed())
            } else {
                Line::from(vec![
                    Span::raw(format!("guarantees {} / {}", speed(c.guarantees, unit), speed(c.link, unit))),
                    ok_or(c.oversubscribed, " OVERSUBSCRIBED", " ok"),
                ])
            },
        ];
        if let Some(hairpin) = c.hairpin {
            out.push(Line::styled(format!("on the wire · hairpin {}", rate(hairpin, unit)), theme.dimmed()));
        }
        if let Some(paused) = c.paused_per_sec.filter(|p| *p > 0.0) {
            let text = match c.paused_fraction {
                Some(f) => format!("PAUSED by the peer {:.0}% · {} frames/s", f * 100.0, per_sec(paused)),
                None => format!("PAUSED by the peer: {} frames/s", per_sec(paused)),
            };
            out.push(Line::styled(text, theme.level(Level::Warn)));
        }
        // What is starving and dropping first: the group lines below may wrap on a narrow panel.
        out.push(self.names_line("starved: ", &c.starved, theme.colors.bad));
        let drop_style = if c.drops_per_sec >= 0.5 { theme.level(Level::Warn) } else { theme.base() };
        out.push(Line::from(vec![
            Span::raw("drops: "),
            Span::styled(format!("{} pkt/s", per_sec(c.drops_per_sec)), drop_style),
        ]));
        out.push(self.names_line("at cap: ", &c.pinned, theme.colors.warn));
        for g in &c.groups_at_cap {
            out.push(Line::from(vec![
                Span::raw("group at cap: "),
                Span::styled(
                    format!("{} {} of {}", g.name, rate(g.tx, unit), speed(g.limit.max, unit)),
                    theme.level(Level::Warn),
                ),
            ]));
        }
        out.push(Line::from(""));
        // The legend gets the rows the rest leaves (a line longer than the panel wraps).
        let used: usize = out.iter().map(|l| l.width().div_ceil(width.max(1)).max(1)).sum();
        out.extend(self.shares(c, height.saturating_sub(used)));
        out
    }

    /// One line per partition: its share of the link (the stacked bar's legend), in `rows`;
    /// where they do not all fit, the busiest and how many more there are.
    fn shares(&self, c: &Contention, rows: usize) -> Vec<Line<'a>> {
        let link = c.link.as_bits_per_sec().0.max(1.0);
        let mut shown: Vec<&(usize, &PartitionRow)> = self.partitions.iter().collect();
        let more = shown.len().saturating_sub(rows);
        if more > 0 {
            shown.sort_by(|a, b| b.1.rates.tx.0.total_cmp(&a.1.rates.tx.0));
            shown.truncate(rows.saturating_sub(1));
        }
        let mut lines: Vec<Line<'a>> = shown
            .into_iter()
            .map(|(i, r)| {
                let colour = self.theme.partition(*i, r.color.as_deref());
                let share = if r.rates.measured() {
                    format!("{:>5.1}% of link", r.rates.tx.0 / link * 100.0)
                } else {
                    "    - (no rate)".to_string()
                };
                Line::from(vec![
                    Span::styled("■ ", Style::default().fg(colour)),
                    Span::raw(format!("{:<12} {share}", r.name)),
                ])
            })
            .collect();
        if more > 0 {
            let hidden = self.partitions.len() - lines.len();
            lines.push(Line::styled(format!("+{hidden} quieter partitions"), self.theme.dimmed()));
        }
        lines
    }

    fn names_line(&self, label: &'a str, keys: &[VfKey], colour: Color) -> Line<'a> {
        let names: Vec<&str> = keys
            .iter()
            .filter_map(|k| self.partitions.iter().find(|(_, r)| &r.key == k))
            .map(|(_, r)| r.name.as_str())
            .collect();
        let text = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        let style = if names.is_empty() { self.theme.dimmed() } else { Style::default().fg(colour) };
        Line::from(vec![Span::raw(label), Span::styled(text, style)])
    }

    /// Link capacity as a bar, each partition's share in its colour.
    fn stacked_bar(&self, c: &Contention, width: usize) -> Line<'a> {
        let link = c.link.as_bits_per_sec().0;
        let mut spans = Vec::new();
        let mut used = 0usize;
        for (i, row) in self.partitions.iter().filter(|_| link > 0.0) {
            let cells = (((row.rates.tx.0 / link) * width as f64).round() as usize).min(width - used);
            if cells > 0 {
                let colour = self.theme.partition(*i, row.color.as_deref());
                spans.push(Span::styled("█".repeat(cells), Style::default().fg(colour)));
                used += cells;
            }
        }
        spans.push(Span::styled("·".repeat(width - used), Style::default().fg(self.theme.colors.bar_empty)));
        Line::from(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::ContentionPanel;
    use crate::metrics::contention::{GroupLoad, PartitionLoad, assess};
    use crate::model::{BitsPerSec, Mbps, RateLimit};
    use crate::ui::testing::{row, text, theme};
    use crate::units::RateUnit;

    fn loads(rows: &[crate::app::PartitionRow]) -> Vec<PartitionLoad> {
        let load = |r: &crate::app::PartitionRow| PartitionLoad {
            key: r.key.clone(),
            tx: r.rates.tx,
            limit: r.vf.rate,
            drops_per_sec: 0.0,
        };
        rows.iter().map(load).collect()
    }

    #[test]
    fn names_the_pf_its_partitions_at_cap_and_groups_at_cap_in_the_unit_chosen() {
        let rows = [row("ens1f0", 0, "Web", 300.0, 300), row("ens1f0", 1, "NFS", 650.0, 0)];
        let storage = GroupLoad {
            name: "storage".into(),
            limit: RateLimit::new(0, 650),
            tx: BitsPerSec(650e6),
            members: vec![rows[1].key.clone()],
        };
        let c = assess(Mbps(1000), &loads(&rows), &[storage]);
        let theme = theme();
        let panel = |unit| ContentionPanel {
            pf: Some(("ens1f0", &c)),
            partitions: rows.iter().enumerate().collect(),
            placeholder: "no data yet",
            unit,
            focused: false,
            theme: &theme,
        };
        let bits = text(panel(RateUnit::Bits), 48, 14);
        assert!(bits.contains("ens1f0 950 Mb/s of 1G"), "{bits}");
        assert!(bits.contains("link 95% used · SATURATED"), "{bits}");
        assert!(bits.contains("at cap: Web"), "{bits}");
        assert!(bits.contains("group at cap: storage 650 Mb/s of 650M"), "{bits}");
        assert!(bits.contains("NFS           65.0% of link"), "{bits}");
        // `b`: every rate and limit on the panel switches together.
        let bytes = text(panel(RateUnit::Bytes), 48, 14);
        assert!(bytes.contains("of 125MB"), "{bytes}");
        assert!(bytes.contains("group at cap: storage 81.2 MB/s of 81.25MB"), "{bytes}");
        assert!(!bytes.contains("Mb/s"), "{bytes}");
    }

    #[test]
    fn a_short_panel_lists_the_busiest_partitions_and_how_many_more() {
        let rows: Vec<_> =
            (0..10).map(|i| row("ens1f0", i, &format!("P{i}"), f64::from(i) * 10.0, 0)).collect();
        let c = assess(Mbps(1000), &loads(&rows), &[]);
        let theme = theme();
        let panel = |height| {
            let partitions = rows.iter().enumerate().collect();
            let panel = ContentionPanel {
                pf: Some(("ens1f0", &c)),
                partitions,
                placeholder: "no data yet",
                unit: RateUnit::Bits,
                focused: false,
                theme: &theme,
            };
            text(panel, 40, height)
        };
        // Eight lines of assessment, then the legend.
        let short = panel(14);
        let listed: Vec<&str> = short.lines().filter(|l| l.contains("% of link")).collect();
        assert_eq!(listed.len(), 3, "{short}");
        assert!(listed[0].contains("P9") && listed[1].contains("P8") && listed[2].contains("P7"), "{short}");
        assert!(short.contains("+7 quieter partitions"), "{short}");
        let tall = panel(30);
        assert_eq!(tall.lines().filter(|l| l.contains("% of link")).count(), 10, "{tall}");
        assert!(tall.find("P0 ").unwrap() < tall.find("P9 ").unwrap(), "in row order when all fit\n{tall}");
        assert!(!tall.contains("quieter"), "{tall}");
    }

    #[test]
    fn says_so_before_the_first_sample() {
        let theme = theme();
        let panel = ContentionPanel {
            pf: None,
            partitions: Vec::new(),
            placeholder: "no data yet",
            unit: RateUnit::Bits,
            focused: true,
            theme: &theme,
        };
        assert!(text(panel, 40, 5).contains("no data yet"));
    }
}
