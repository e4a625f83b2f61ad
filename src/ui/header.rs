//! The header line: host, source, PFs with link speed, sampling interval, window, clock.

use super::theme::Theme;
use crate::app::App;
use crate::app::state::{format_interval, format_window};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pfs: Vec<String> = app
        .snapshot
        .iter()
        .flat_map(|s| &s.pfs)
        .map(|pf| {
            let speed = pf.link_speed.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            let truncated = if pf.vfs_truncated { " TRUNCATED" } else { "" };
            let stale = if pf.stale { " STALE" } else { "" };
            format!("{} {speed} {}/{} VFs{truncated}{stale}", pf.name, pf.vfs.len(), pf.num_vfs)
        })
        .collect();
    let replay = app.replay.as_ref().map(|r| r.cursor.as_ref());
    let mut spans = vec![Span::styled(" vftop ", theme.header())];
    match replay {
        Some(Some(c)) => spans.push(Span::styled(
            format!(" REPLAY {} ", crate::record::format_time_of_day(c.at_ms)),
            theme.level(crate::app::state::Level::Warn).add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )),
        Some(None) => {
            spans.push(Span::styled(" REPLAY (loading) ", theme.level(crate::app::state::Level::Warn)))
        }
        None => {}
    }
    spans.extend([
        Span::raw(format!(" {} │ {} │ ", app.host, app.source.label())),
        Span::raw(if pfs.is_empty() { "waiting for first sample".into() } else { pfs.join(", ") }),
        Span::raw(format!(
            " │ every {} │ window {}",
            format_interval(app.interval),
            format_window(app.window)
        )),
    ]);
    if let Some(malformed) = app.snapshot.as_ref().map(|s| s.malformed_attributes).filter(|m| *m > 0) {
        let text = format!(" │ {malformed} malformed netlink attributes skipped");
        spans.push(Span::styled(text, theme.level(crate::app::state::Level::Warn)));
    }
    if app.last_error.is_some() {
        let text = format!(" │ SAMPLING FAILED (showing the last data, from {})", app.wall_clock);
        spans.push(Span::styled(text, theme.level(crate::app::state::Level::Error)));
    }
    if app.paused {
        spans.push(Span::styled(" │ PAUSED", theme.level(crate::app::state::Level::Warn)));
    }
    // A replay says which day it is at and what the recording spans instead of the clock.
    let clock = match replay.flatten() {
        Some(c) => recording_span(c),
        None => format!("{} ", app.wall_clock),
    };
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let clock = if used + clock.chars().count() < area.width as usize { clock } else { String::new() };
    let pad = (area.width as usize).saturating_sub(used + clock.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(clock, theme.dimmed()));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base()), area);
}

/// ` 2026-11-25 · recorded 02:10:00 → 03:15:42 ` (dates in full when they differ).
fn recording_span(c: &crate::app::timeline::ReplayCursor) -> String {
    let (at, first, last) = (
        crate::record::format_ms(c.at_ms),
        crate::record::format_ms(c.first_ms),
        crate::record::format_ms(c.last_ms),
    );
    let day = |t: &str| t[..10].to_string();
    if day(&first) == day(&last) {
        format!(" {} · recorded {} → {} ", day(&at), &first[11..], &last[11..])
    } else {
        format!(" recorded {first} → {last} ")
    }
}
