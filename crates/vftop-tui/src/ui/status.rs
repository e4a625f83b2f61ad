//! The status line: read-only banner, commit-confirmed countdown, then one message.

use super::theme::Theme;
use crate::app::flow::Awaiting;
use crate::app::state::{Level, Toast};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The one message the line has room for, most pressing first.
pub enum Message<'a> {
    /// The replay's go-to prompt, as typed so far.
    GoTo(&'a str),
    Toast(&'a Toast),
    SamplingFailed(&'a str),
    /// Key hints for the console (`replay`: its time keys; `read_only`: none that change).
    Hints {
        replay: bool,
        read_only: bool,
    },
    /// Key hints for the fleet: in its overview (Enter drills into a host) or in one host.
    FleetHints {
        overview: bool,
    },
}

/// What the status line draws.
pub struct StatusLine<'a> {
    pub read_only: Option<&'a str>,
    /// A change awaiting confirmation and the seconds it has left.
    pub countdown: Option<(&'a Awaiting, u64)>,
    pub message: Message<'a>,
    pub theme: &'a Theme,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut spans = Vec::new();
        if let Some(reason) = self.read_only {
            spans.push(Span::styled(format!(" READ-ONLY: {reason} "), theme.header()));
            spans.push(Span::raw(" "));
        }
        if let Some((a, secs)) = self.countdown {
            let text = format!(
                " CONFIRM? {secs}s: {} ({}) max {} min {} reverts unless you press c ",
                a.partition,
                a.change.target.label(),
                a.change.new.max,
                a.change.new.min
            );
            spans.push(Span::styled(text, theme.level(Level::Warn).add_modifier(Modifier::REVERSED)));
            spans.push(Span::raw(" "));
        }
        match self.message {
            Message::GoTo(typed) => {
                spans.push(Span::styled(format!(" go to: {typed}▏"), theme.emphasis()));
                spans.push(Span::styled(
                    "  03:00 · \"2026-11-25 03:00\" · 20m ago · RFC 3339 · Enter goes, Esc cancels",
                    theme.dimmed(),
                ));
            }
            Message::Toast(toast) => spans.push(Span::styled(toast.text.clone(), theme.level(toast.level))),
            Message::SamplingFailed(err) => {
                spans.push(Span::styled(format!("sampling failed: {err}"), theme.level(Level::Error)))
            }
            Message::Hints { replay: true, .. } => spans.push(Span::styled(
                "? help  q quit  ←/→ sample  S-←/→ minute  g go to  L newest  E events  +/- window",
                theme.dimmed(),
            )),
            Message::Hints { replay: false, read_only: true } => spans.push(Span::styled(
                "? help  q quit  Enter detail  / filter  s sort  b bits/bytes  p pause  a audit",
                theme.dimmed(),
            )),
            Message::FleetHints { overview: true } => spans.push(Span::styled(
                "? help  q quit  Enter host's VFs  / filter  s sort  b bits/bytes  p pause",
                theme.dimmed(),
            )),
            Message::FleetHints { overview: false } => spans.push(Span::styled(
                "? help  q quit  Esc the fleet  Enter detail  / filter  s sort  b bits/bytes  p pause",
                theme.dimmed(),
            )),
            Message::Hints { replay: false, read_only: false } => spans.push(Span::styled(
                "? help  q quit  e edit rate  ]/[ step cap  Enter detail  s sort  b bits/bytes  p pause",
                theme.dimmed(),
            )),
        }
        Paragraph::new(Line::from(spans)).style(theme.base()).render(area, buf);
    }
}
