//! The contention panel: link use stacked by partition, guarantees vs link, capped/starved, drops.

use super::text::{per_sec, rate, speed};
use super::theme::Theme;
use crate::app::state::Level;
use crate::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Contention ")
        .border_style(theme.border(app.focus == Focus::Contention));
    let inner_width = area.width.saturating_sub(2) as usize;
    let lines = app
        .selected
        .as_ref()
        .and_then(|k| app.contention_of(&k.pf).map(|c| (k, c)))
        .map(|(key, c)| lines(app, theme, &key.pf, c, inner_width))
        .unwrap_or_else(|| vec![Line::from("no data yet")]);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).style(theme.base()),
        area,
    );
}

fn lines<'a>(
    app: &App,
    theme: &Theme,
    pf: &str,
    c: &crate::metrics::contention::Contention,
    width: usize,
) -> Vec<Line<'a>> {
    let state = if c.saturated {
        Span::styled("· SATURATED", theme.level(Level::Error))
    } else {
        Span::styled("· ok", theme.level(Level::Good))
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(format!("{pf} "), theme.emphasis()),
            Span::raw(format!("{} of {}", rate(c.used, app.unit), speed(c.link, app.unit))),
        ]),
        Line::from(vec![Span::raw(format!("link {:.0}% used ", c.utilisation * 100.0)), state]),
        stacked_bar(app, theme, pf, c, width),
    ];
    let guarantee_state = if c.oversubscribed {
        Span::styled(" OVERSUBSCRIBED", theme.level(Level::Error))
    } else {
        Span::styled(" ok", theme.level(Level::Good))
    };
    out.push(Line::from(vec![
        Span::raw(format!("guarantees {} / {}", speed(c.guarantees, app.unit), speed(c.link, app.unit))),
        guarantee_state,
    ]));
    out.push(names_line("at cap: ", app, &c.pinned, theme.colors.warn, theme));
    for g in &c.groups_at_cap {
        out.push(Line::from(vec![
            Span::raw("group at cap: "),
            Span::styled(
                format!("{} {} of {}", g.name, rate(g.tx, app.unit), speed(g.limit.max, app.unit)),
                theme.level(Level::Warn),
            ),
        ]));
    }
    out.push(names_line("starved: ", app, &c.starved, theme.colors.bad, theme));
    let drop_style = if c.drops_per_sec >= 0.5 { theme.level(Level::Warn) } else { theme.base() };
    out.push(Line::from(vec![
        Span::raw("drops: "),
        Span::styled(format!("{} pkt/s", per_sec(c.drops_per_sec)), drop_style),
    ]));
    out.push(Line::from(""));
    out.extend(shares(app, theme, pf, c));
    out
}

/// One line per partition: its share of the link (the stacked bar's legend).
fn shares<'a>(
    app: &App,
    theme: &Theme,
    pf: &str,
    c: &crate::metrics::contention::Contention,
) -> Vec<Line<'a>> {
    let link = c.link.as_bits_per_sec().0.max(1.0);
    app.rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.key.pf == pf)
        .map(|(i, r)| {
            let color = theme.partition(i, r.color.as_deref());
            Line::from(vec![
                Span::styled("■ ", Style::default().fg(color)),
                Span::raw(format!("{:<12} {:>5.1}% of link", r.name, r.rates.tx.0 / link * 100.0)),
            ])
        })
        .collect()
}

fn names_line<'a>(
    label: &'a str,
    app: &App,
    keys: &[crate::model::VfKey],
    color: ratatui::style::Color,
    theme: &Theme,
) -> Line<'a> {
    let names: Vec<String> =
        keys.iter().filter_map(|k| app.rows.iter().find(|r| &r.key == k)).map(|r| r.name.clone()).collect();
    let text = if names.is_empty() { "none".to_string() } else { names.join(", ") };
    let style = if names.is_empty() { theme.dimmed() } else { Style::default().fg(color) };
    Line::from(vec![Span::raw(label), Span::styled(text, style)])
}

/// Link capacity as a bar, each partition's share in its colour.
fn stacked_bar<'a>(
    app: &App,
    theme: &Theme,
    pf: &str,
    c: &crate::metrics::contention::Contention,
    width: usize,
) -> Line<'a> {
    let link = c.link.as_bits_per_sec().0;
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (i, row) in app.rows.iter().enumerate().filter(|(_, r)| r.key.pf == pf) {
        if link <= 0.0 {
            break;
        }
        let cells = ((row.rates.tx.0 / link) * width as f64).round() as usize;
        let cells = cells.min(width - used);
        if cells > 0 {
            spans.push(Span::styled(
                "█".repeat(cells),
                Style::default().fg(theme.partition(i, row.color.as_deref())),
            ));
            used += cells;
        }
    }
    spans.push(Span::styled("·".repeat(width - used), Style::default().fg(theme.colors.bar_empty)));
    Line::from(spans)
}
