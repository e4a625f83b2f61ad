//! The header line: host, source, PFs with link speed, sampling interval, window, clock.

use super::theme::Theme;
use crate::app::state::{Level, format_interval, format_window};
use crate::app::timeline::ReplayCursor;
use crate::model::{FleetView, Pf};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use std::time::Duration;

/// What the clock corner says: the wall clock live, the cursor's place in a replay.
pub enum Clock<'a> {
    Live(&'a str),
    ReplayLoading,
    Replay(&'a ReplayCursor),
}

/// What the header draws.
pub struct Header<'a> {
    pub host: &'a str,
    pub source: &'a str,
    pub pfs: &'a [Pf],
    /// What part of a fleet is shown, where it is one.
    pub fleet: Option<&'a FleetView>,
    pub interval: Duration,
    pub window: Duration,
    pub malformed_attributes: u64,
    /// The last sample failed: the time the data shown is from.
    pub failed_since: Option<&'a str>,
    pub paused: bool,
    pub clock: Clock<'a>,
    pub theme: &'a Theme,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut spans = vec![Span::styled(" vftop ", theme.header())];
        match self.clock {
            Clock::Replay(c) => spans.push(Span::styled(
                format!(" REPLAY {} ", crate::times::format_time_of_day(c.at_ms)),
                theme.level(Level::Warn).add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )),
            Clock::ReplayLoading => spans.push(Span::styled(" REPLAY (loading) ", theme.level(Level::Warn))),
            Clock::Live(_) => {}
        }
        let replay = !matches!(self.clock, Clock::Live(_));
        // A replay's header says REPLAY already, not also its source.
        let source = if replay { String::new() } else { format!(" │ {}", self.source) };
        spans.push(Span::raw(format!(" {}{source} │ ", self.host)));
        // A fleet has too many PFs to list: its summary, and the PFs' troubles counted.
        spans.push(Span::raw(match self.fleet {
            Some(fleet) => fleet_summary(fleet, self.pfs),
            None => pfs_summary(self.pfs, usize::from(area.width) / 2),
        }));
        // A replay does not sample: its interval is the recording's, and the span says more.
        if !replay {
            spans.push(Span::raw(format!(" │ every {}", format_interval(self.interval))));
        }
        let window_at = spans.len();
        spans.push(Span::raw(format!(" │ window {}", format_window(self.window))));
        if self.malformed_attributes > 0 {
            let text = format!(" │ {} malformed netlink attributes skipped", self.malformed_attributes);
            spans.push(Span::styled(text, theme.level(Level::Warn)));
        }
        if let Some(since) = self.failed_since {
            let text = format!(" │ SAMPLING FAILED (showing the last data, from {since})");
            spans.push(Span::styled(text, theme.level(Level::Error)));
        }
        if self.paused {
            spans.push(Span::styled(" │ PAUSED", theme.level(Level::Warn)));
        }
        // A replay says which day it is at and what the recording spans instead of the clock
        // (in short where the whole does not fit: an 80-column terminal has room for that).
        let width = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
        if let Clock::Replay(c) = self.clock
            && width(&spans) + short_span(c).chars().count() >= area.width as usize
        {
            // The recording's span matters more than the window (which the chart title says).
            spans.remove(window_at);
        }
        let used = width(&spans);
        let fits = |text: &String| used + text.chars().count() < area.width as usize;
        let clock = match self.clock {
            Clock::Replay(c) => [recording_span(c), short_span(c)].into_iter().find(fits).unwrap_or_default(),
            Clock::Live(wall_clock) => Some(format!("{wall_clock} ")).filter(fits).unwrap_or_default(),
            Clock::ReplayLoading => String::new(),
        };
        let pad = (area.width as usize).saturating_sub(used + clock.chars().count());
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(clock, theme.dimmed()));
        Paragraph::new(Line::from(spans)).style(theme.base()).render(area, buf);
    }
}

/// Every PF as `ens1f0 25G 5/8 VFs` (with LINK DOWN / TRUNCATED / STALE when so), or where that is longer
/// than `width`, the totals: `16 PFs · 1024/1024 VFs · 1 STALE`.
fn pfs_summary(pfs: &[Pf], width: usize) -> String {
    if pfs.is_empty() {
        return "waiting for first sample".into();
    }
    let one = |pf: &Pf| {
        let speed = pf.link_speed.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
        let truncated = if pf.vfs_truncated { " TRUNCATED" } else { "" };
        let stale = if pf.stale { " STALE" } else { "" };
        let down = if pf.link.is_up() { "" } else { " LINK DOWN" };
        format!("{} {speed} {}/{} VFs{down}{truncated}{stale}", pf.name, pf.vfs.len(), pf.num_vfs)
    };
    let each = pfs.iter().map(one).collect::<Vec<_>>().join(", ");
    if each.chars().count() <= width {
        return each;
    }
    let vfs: usize = pfs.iter().map(|p| p.vfs.len()).sum();
    let num_vfs: u32 = pfs.iter().map(|p| p.num_vfs).sum();
    let out = format!("{} PFs · {vfs}/{num_vfs} VFs", pfs.len());
    troubles(pfs).into_iter().fold(out, |text, trouble| format!("{text} · {trouble}"))
}

/// The PFs' troubles counted: `1 LINK DOWN`, `2 TRUNCATED`, `1 STALE` (none: empty).
fn troubles(pfs: &[Pf]) -> Vec<String> {
    [
        (pfs.iter().filter(|p| !p.link.is_up()).count(), "LINK DOWN"),
        (pfs.iter().filter(|p| p.vfs_truncated).count(), "TRUNCATED"),
        (pfs.iter().filter(|p| p.stale).count(), "STALE"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, word)| format!("{count} {word}"))
    .collect()
}

/// Which part of the fleet is shown and how fresh it is — `12/12 hosts up · worst 40 of 768
/// VFs · newest 4s old`, or `host node7:9808 (Esc: the fleet) · newest 4s old` — and its PFs'
/// troubles (`1 STALE`).
fn fleet_summary(fleet: &FleetView, pfs: &[Pf]) -> String {
    let shown: usize = pfs.iter().filter(|p| !p.stale).map(|p| p.vfs.len()).sum();
    let part = match &fleet.host {
        Some(host) => format!("host {host} (Esc: the fleet)"),
        None => {
            let down = fleet.hosts.saturating_sub(fleet.hosts_up);
            let down = if down > 0 { format!(" ({down} DOWN)") } else { String::new() };
            format!("{}/{} hosts up{down} · worst {shown} of {} VFs", fleet.hosts_up, fleet.hosts, fleet.vfs)
        }
    };
    let part = troubles(pfs).into_iter().fold(part, |text, trouble| format!("{text} · {trouble}"));
    let part = match fleet.newest_age {
        Some(age) if age.as_secs() >= 120 => format!("{part} · newest {}m old", age.as_secs() / 60),
        Some(age) => format!("{part} · newest {}s old", age.as_secs()),
        None => part,
    };
    match &fleet.notice {
        Some(notice) => format!("{part} · {notice}"),
        None => part,
    }
}

/// ` rec 02:10→03:15 `: the span, in minutes.
fn short_span(c: &ReplayCursor) -> String {
    let hm = |ms| crate::times::format_time_of_day(ms)[..5].to_string();
    format!(" rec {}→{} ", hm(c.first_ms), hm(c.last_ms))
}

/// ` 2026-11-25 · recorded 02:10:00 → 03:15:42 ` (dates in full when they differ).
fn recording_span(c: &ReplayCursor) -> String {
    let (at, first, last) = (
        crate::times::format_ms(c.at_ms),
        crate::times::format_ms(c.first_ms),
        crate::times::format_ms(c.last_ms),
    );
    let day = |t: &str| t[..10].to_string();
    if day(&first) == day(&last) {
        format!(" {} · recorded {} → {} ", day(&at), &first[11..], &last[11..])
    } else {
        format!(" recorded {first} → {last} ")
    }
}

#[cfg(test)]
mod tests {
    use super::{fleet_summary, pfs_summary};
    use crate::model::{FleetView, Mbps, Pf, Vf};
    use std::time::Duration;

    fn pf(name: &str, vfs: usize, stale: bool) -> Pf {
        Pf {
            name: name.into(),
            link_speed: Some(Mbps(10_000)),
            num_vfs: vfs as u32,
            vfs: vec![Vf::default(); vfs],
            stale,
            ..Pf::default()
        }
    }

    #[test]
    fn every_pf_where_they_fit_else_the_totals() {
        assert_eq!(pfs_summary(&[], 60), "waiting for first sample");
        let two = [pf("ens1f0", 6, false), pf("ens2f0", 2, true)];
        assert_eq!(pfs_summary(&two, 60), "ens1f0 10G 6/6 VFs, ens2f0 10G 2/2 VFs STALE");
        let many: Vec<Pf> = (0..16).map(|i| pf(&format!("ens{i}f0"), 64, i == 3)).collect();
        assert_eq!(pfs_summary(&many, 60), "16 PFs · 1024/1024 VFs · 1 STALE");
    }

    #[test]
    fn a_fleet_says_what_part_is_shown_its_troubles_and_how_fresh() {
        let view = FleetView {
            hosts: 3,
            hosts_up: 2,
            vfs: 12,
            newest_age: Some(Duration::from_secs(4)),
            ..FleetView::default()
        };
        let pfs = [pf("a/ens1f0", 6, false), pf("b/ens1f0", 6, true)];
        assert_eq!(
            fleet_summary(&view, &pfs),
            "2/3 hosts up (1 DOWN) · worst 6 of 12 VFs · 1 STALE · newest 4s old"
        );
        let one = FleetView { host: Some("a".into()), newest_age: Some(Duration::from_secs(150)), ..view };
        assert_eq!(fleet_summary(&one, &pfs[..1]), "host a (Esc: the fleet) · newest 2m old");
    }
}
