//! The detail view: every field and counter of one VF with where it came from, driver stats,
//! and the rate histogram's percentiles.

use super::text::{limits, rate};
use super::theme::Theme;
use crate::app::PartitionRow;
use crate::app::state::Drift;
use crate::metrics::history::Percentiles;
use crate::metrics::talkers::Talker;
use crate::model::{Pf, Vf};
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use std::time::Duration;

/// What the detail view draws.
pub struct Detail<'a> {
    /// The selection and its PF (none: nothing is selected).
    pub partition: Option<(&'a PartitionRow, &'a Pf)>,
    /// Its limits as changed outside this console, if they were.
    pub drift: Option<&'a Drift>,
    /// Its recent health (counter resets, its driver's kernel log lines), oldest first.
    pub health: &'a [crate::app::state::HealthNote],
    /// Its episodes of the last hour, in words.
    pub episodes: Option<String>,
    /// tx, then rx, over the window.
    pub percentiles: [Option<Percentiles>; 2],
    pub window: Duration,
    pub unit: RateUnit,
    /// Lines scrolled down (↓/PgDn), at most [`Detail::scroll_limit`].
    pub scroll: u16,
    pub theme: &'a Theme,
}

impl Detail<'_> {
    /// How far the summary can scroll in `area`: its wrapped lines less the rows it has.
    pub fn scroll_limit(&self, area: Rect) -> u16 {
        let Some((row, pf)) = self.partition else { return 0 };
        let [left, _] = halves(area);
        let lines = super::text::wrapped_height(&self.summary(row, pf), left.width.saturating_sub(2));
        lines.saturating_sub(left.height.saturating_sub(2))
    }
}

fn halves(area: Rect) -> [Rect; 2] {
    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
}

impl Widget for Detail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some((row, pf)) = self.partition else {
            Paragraph::new("no partition selected (Esc returns)").render(area, buf);
            return;
        };
        let [left, right] = halves(area);
        let title = format!(" {} · {} vf {} · Esc returns ", row.name, pf.name, row.vf.index);
        let mut block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(true));
        if self.scroll < self.scroll_limit(area) {
            block = block.title_bottom(" ↓ more (↓/PgDn) ");
        }
        Paragraph::new(self.summary(row, pf))
            .block(block)
            .style(theme.base())
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .render(left, buf);
        let stats_block = Block::default()
            .borders(Borders::ALL)
            .title(" Driver statistics (ethtool -S) ")
            .border_style(theme.border(false));
        Paragraph::new(driver_stats(&row.vf, pf, theme))
            .block(stats_block)
            .style(theme.base())
            .render(right, buf);
    }
}

/// Where the VF's netdev is: here, in another namespace, or nowhere vftop can see.
fn netdev_place(vf: &crate::model::Vf) -> String {
    match (&vf.netdev, &vf.netns) {
        (Some(n), Some(ns)) => format!("{n} in netns {ns}"),
        (Some(n), None) => n.clone(),
        (None, _) => "none found (no host driver: a VM's, or unbound)".into(),
    }
}

/// Why the counters below are not rates, where they are not.
fn counters_note(row: &PartitionRow, pf: &Pf) -> String {
    use crate::metrics::rate::Measure;
    match row.rates.measure {
        Measure::NoCounters => format!(
            " — no per-VF counters from {}: this VF's traffic is not counted (unmeasured, not idle)",
            pf.driver
        ),
        Measure::Unreadable => {
            " — the driver's counters could not be read this sample: last values held".into()
        }
        _ => String::new(),
    }
}

fn field<'a>(name: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{name:<16}"), theme.dimmed()), Span::raw(value)])
}

impl Detail<'_> {
    fn summary<'a>(&self, row: &PartitionRow, pf: &Pf) -> Vec<Line<'a>> {
        let (theme, unit) = (self.theme, self.unit);
        let vf = &row.vf;
        let flag = |b: Option<bool>| b.map(|b| if b { "on" } else { "off" }).unwrap_or("n/a").to_string();
        let c = &vf.counters;
        let origin = match &vf.netns {
            Some(ns) if c.origin == crate::model::CounterOrigin::VfNetdev => {
                format!("{} (netns {ns})", c.origin.label())
            }
            _ => c.origin.label().to_string(),
        };
        let mut lines = vec![
            field(
                "PF",
                format!(
                    "{} (ifindex {}, {}, {})",
                    pf.name,
                    pf.ifindex,
                    pf.driver,
                    pf.pci.as_deref().unwrap_or("no PCI")
                ),
                theme,
            ),
            field("owner", owner_line(vf), theme),
            field(
                "link speed",
                format!(
                    "{}, {}",
                    pf.link_speed.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into()),
                    if pf.link.is_up() {
                        "link up".to_string()
                    } else {
                        format!("LINK DOWN ({})", pf.link.oper.label())
                    }
                ),
                theme,
            ),
            field("MAC", vf.mac.to_string(), theme),
            field("VLAN / qos", format!("{} / {}", vf.vlan, vf.qos), theme),
            field(
                "rate min/max",
                match crate::driver::Driver::of(&pf.driver).enforced_max(vf.rate.max) {
                    // The driver reports back the request; the hardware holds this.
                    Some(enforced) => {
                        format!("{} ({} enforces {enforced})", limits(vf.rate, unit), pf.driver)
                    }
                    None => format!("{} (legacy tx rate {})", limits(vf.rate, unit), vf.legacy_tx_rate),
                },
                theme,
            ),
            field(
                "held by",
                match &row.limited_by {
                    Some((group, cap)) => format!(
                        "limited by group {group} {} (the group sends at its tx_max; its own cap is not reached)",
                        crate::ui::text::speed(*cap, unit)
                    ),
                    None => "its own limits".into(),
                },
                theme,
            ),
            field(
                "link / trust",
                format!(
                    "{} / trust {} / spoofchk {}",
                    vf.link_state.label(),
                    flag(vf.trust),
                    flag(vf.spoofchk)
                ),
                theme,
            ),
            field("netdev", netdev_place(vf), theme),
            field(
                "representor",
                vf.representor.clone().unwrap_or_else(|| "none (not in switchdev mode)".into()),
                theme,
            ),
            Line::from(Span::styled(
                format!("counters (origin: {origin}){}", counters_note(row, pf)),
                theme.emphasis(),
            )),
        ];
        if let Some(d) = self.drift {
            let text = format!(
                "⚠ changed outside vftop at {}: {} → {}",
                d.at,
                limits(d.old, unit),
                limits(d.new, unit)
            );
            lines.insert(6, Line::from(Span::styled(text, theme.level(crate::app::state::Level::Warn))));
        }
        if let Some(declared) = &row.differs_from_declared {
            let text = format!(
                "≠ declared {} ({}): `vftop apply` puts it right",
                crate::ui::text::declared(declared, unit),
                declared.origin
            );
            lines.insert(6, Line::from(Span::styled(text, theme.level(crate::app::state::Level::Warn))));
        }
        if let Some(episodes) = &self.episodes {
            lines.insert(
                6,
                Line::from(Span::styled(
                    format!("⚠ {episodes}"),
                    theme.level(crate::app::state::Level::Warn),
                )),
            );
        }
        for note in self.health.iter().rev() {
            let text = format!("⚠ {} {}", note.at, note.what);
            lines.insert(6, Line::from(Span::styled(text, theme.level(crate::app::state::Level::Warn))));
        }
        for (name, value) in [
            ("tx bytes", c.tx_bytes),
            ("rx bytes", c.rx_bytes),
            ("tx packets", c.tx_packets),
            ("rx packets", c.rx_packets),
            ("tx dropped", c.tx_dropped),
            ("rx dropped", c.rx_dropped),
            ("broadcast", c.broadcast),
            ("multicast", c.multicast),
        ] {
            lines.push(field(name, format!("{value:>20}  [{origin}]"), theme));
        }
        if let Some(errors) = c.tx_errors {
            lines.push(field("tx errors", format!("{errors:>20}"), theme));
        }
        lines.push(Line::from(Span::styled(
            format!("rates now and over the last {}", crate::app::state::format_window(self.window)),
            theme.emphasis(),
        )));
        lines.push(field(
            "now",
            format!("tx {}  rx {}", rate(row.rates.tx, unit), rate(row.rates.rx, unit)),
            theme,
        ));
        for (name, p) in ["tx p50/p99/max", "rx p50/p99/max"].into_iter().zip(self.percentiles) {
            lines.push(percentile_line(name, p, unit, theme));
        }
        lines.extend(talker_lines(&row.talkers, unit, theme));
        lines
    }
}

/// Whose the VF is and where that was read: `vm web-03 (libvirt domain XML; nova instance …)`.
fn owner_line(vf: &Vf) -> String {
    let Some(o) = &vf.owner else { return "none found".into() };
    let mut more = vec![o.source.label().to_string()];
    more.extend(o.container.as_ref().map(|c| format!("container {c}")));
    more.extend(o.detail.clone());
    if o.kind == crate::model::owner::OwnerKind::Vm {
        more.extend(o.namespace.as_ref().map(|p| format!("project {p}")));
    }
    format!("{} ({})", o.label(), more.join("; "))
}

/// The processes on a host-bound VF, busiest first: `rsync (pid 4121)  tx 1.9 Gbit/s …`.
fn talker_lines<'a>(talkers: &[Talker], unit: RateUnit, theme: &Theme) -> Vec<Line<'a>> {
    const SHOWN: usize = 5;
    if talkers.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::from(Span::styled("top talkers (its sockets)", theme.emphasis()))];
    for t in talkers.iter().take(SHOWN) {
        let who = match t.pid {
            Some(pid) => format!("{} (pid {pid})", t.process),
            None => "process not found".to_string(),
        };
        let rates = match (t.tx, t.rx) {
            (None, None) => "no byte counters (UDP or listening)".to_string(),
            (tx, rx) => {
                let r = |b: Option<crate::model::BitsPerSec>| b.map_or("-".into(), |b| rate(b, unit));
                format!("tx {}  rx {}", r(tx), r(rx))
            }
        };
        let sockets = if t.sockets == 1 { "1 socket".to_string() } else { format!("{} sockets", t.sockets) };
        lines.push(Line::from(vec![
            Span::raw(format!("{who:<28} ")),
            Span::raw(format!("{rates}  ")),
            Span::styled(sockets, theme.dimmed()),
        ]));
    }
    if talkers.len() > SHOWN {
        lines.push(Line::from(Span::styled(format!("… {} more", talkers.len() - SHOWN), theme.dimmed())));
    }
    lines
}

fn percentile_line<'a>(name: &str, p: Option<Percentiles>, unit: RateUnit, theme: &Theme) -> Line<'a> {
    let text = p
        .map(|p| {
            format!(
                "{} / {} / {}  ({} samples)",
                rate(p.p50, unit),
                rate(p.p99, unit),
                rate(p.max, unit),
                p.samples
            )
        })
        .unwrap_or_else(|| "not enough samples yet".into());
    field(name, text, theme)
}

fn driver_stats<'a>(vf: &Vf, pf: &Pf, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from(Span::styled(
        format!("VF{}", vf.netdev.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()),
        theme.emphasis(),
    ))];
    if vf.driver_stats.is_empty() {
        lines.push(Line::from(Span::styled("none reported", theme.dimmed())));
    }
    lines.extend(vf.driver_stats.iter().map(|s| field(&s.name, format!("{:>16}", s.value), theme)));
    lines.push(Line::from(Span::styled(format!("PF {}", pf.name), theme.emphasis())));
    if pf.driver_stats.is_empty() {
        lines.push(Line::from(Span::styled("none reported", theme.dimmed())));
    }
    lines.extend(pf.driver_stats.iter().map(|s| field(&s.name, format!("{:>16}", s.value), theme)));
    lines
}
