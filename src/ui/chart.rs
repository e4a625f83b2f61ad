//! The live chart: per-partition tx (or rx) over the window, with the selection's min/max lines.

use super::text::rate;
use super::theme::Theme;
use crate::app::state::{ChartScale, format_window};
use crate::app::{App, Focus};
use crate::metrics::history::Direction;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, LegendPosition};

/// One line to plot: name, colour, points as (seconds before now, Mbit/s).
struct Series {
    /// Legend entry (the first segment of a line that breaks at gaps).
    name: Option<String>,
    style: Style,
    points: Vec<(f64, f64)>,
    /// Braille for rates; dots for the limit steps, so no rate line looks like a limit.
    marker: Marker,
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let window = app.window.as_secs_f64();
    let mut series = series(app, theme);
    let top = y_top(app, &series);
    // The link speed as a line wherever the scale reaches it.
    if let Some(link) =
        app.selected_pf().and_then(|p| p.link_speed).map(|l| f64::from(l.0)).filter(|l| *l <= top)
    {
        series.push(Series {
            name: Some(format!("link {}", super::text::speed(crate::model::Mbps(link as u32), app.unit))),
            style: theme.dimmed(),
            points: vec![(-window, link), (0.0, link)],
            marker: Marker::Braille,
        });
    }
    let datasets: Vec<Dataset> = series
        .iter()
        .map(|s| {
            let dataset = match &s.name {
                Some(name) => Dataset::default().name(name.clone()),
                None => Dataset::default(),
            };
            dataset.marker(s.marker).graph_type(GraphType::Line).style(s.style).data(&s.points)
        })
        .collect();
    let direction = if app.direction == Direction::Tx { "tx" } else { "rx" };
    let limits = app
        .selected_row()
        .filter(|_| app.direction == Direction::Tx)
        .map(|r| format!(" · dotted: {} min/max", r.name));
    let pf = app.selected.as_ref().map(|k| k.pf.as_str()).unwrap_or("");
    let title = if area.width >= 70 {
        format!(
            " {direction} · {pf} · last {} · scale: {}{} ",
            format_window(app.window),
            app.scale.label(),
            limits.unwrap_or_default()
        )
    } else {
        format!(" {direction} · {} · {} ", format_window(app.window), app.scale.label())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.border(app.focus == Focus::Chart));
    let y_labels = [0.0, top / 2.0, top]
        .map(|v| Span::styled(rate(crate::model::BitsPerSec(v * 1e6), app.unit), theme.dimmed()));
    let x_labels = [format!("-{}", format_window(app.window)), "now".to_string()]
        .map(|l| Span::styled(l, theme.dimmed()));
    let chart = Chart::new(datasets)
        .block(block)
        .style(theme.base())
        .x_axis(Axis::default().bounds([-window, 0.0]).labels(x_labels).style(theme.dimmed()))
        .y_axis(Axis::default().bounds([0.0, top]).labels(y_labels).style(theme.dimmed()))
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(2, 3)));
    frame.render_widget(chart, area);
    let label_width = y_labels_width(top, app);
    draw_event_markers(frame.buffer_mut(), area, label_width, app, theme);
}

/// The widest y-axis label (the chart puts the plot right of it).
fn y_labels_width(top: f64, app: &App) -> u16 {
    [0.0, top / 2.0, top]
        .iter()
        .map(|v| rate(crate::model::BitsPerSec(v * 1e6), app.unit).chars().count() as u16)
        .max()
        .unwrap_or(0)
}

/// Replay: each event of the selected PF in the window as a vertical tick at its time, with
/// its label at the top (a rate change at 03:04 is a line at 03:04 saying what changed).
fn draw_event_markers(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    label_width: u16,
    app: &App,
    theme: &Theme,
) {
    let Some(cursor) = app.replay.as_ref().and_then(|r| r.cursor.as_ref()) else { return };
    let pf = app.selected.as_ref().map(|k| k.pf.as_str());
    // The plot: inside the border, right of the y labels and the axis, above the x labels.
    let left = area.x + 1 + label_width + 1;
    let right = area.right().saturating_sub(2);
    let (top, bottom) = (area.y + 1, area.bottom().saturating_sub(3));
    if right <= left || bottom <= top {
        return;
    }
    let window_ms = app.window.as_millis() as f64;
    let style = theme.level(crate::app::state::Level::Warn).add_modifier(Modifier::BOLD);
    for event in app.events_in_window().into_iter().filter(|e| pf.is_none_or(|p| p == e.pf)) {
        let share = 1.0 - (cursor.at_ms - event.at_ms) as f64 / window_ms;
        let x = left + (share * f64::from(right - left)).round() as u16;
        for y in top..=bottom {
            buf[(x, y)].set_symbol("┊").set_style(style);
        }
        // The label on the plot's last row (the legend holds the top right), right of the
        // tick, or left of it where the right has no room.
        let label = format!("{} {}", event.subject(), event.label());
        let width = label.chars().count() as u16;
        let label_x = if x + width < right || x < left + width { x + 1 } else { x - width };
        buf.set_stringn(label_x, bottom, label, right.saturating_sub(label_x) as usize, style);
    }
}

/// How many partitions the chart draws at most (the busiest, and always the selection).
const MAX_SERIES: usize = 8;

fn series(app: &App, theme: &Theme) -> Vec<Series> {
    let Some(selected) = app.selected.as_ref() else {
        return Vec::new();
    };
    let now = app.snapshot.as_ref().map(|s| s.taken_at).unwrap_or_default();
    // A gap in the samples (paused, or a sample that failed) longer than this breaks the line.
    let gap = app.interval.as_secs_f64() * 2.5;
    let mut rows: Vec<(usize, &crate::app::PartitionRow)> =
        app.rows.iter().enumerate().filter(|(_, r)| r.key.pf == selected.pf).collect();
    rows.sort_by(|a, b| b.1.rate(app.direction).0.total_cmp(&a.1.rate(app.direction).0));
    let mut chosen: Vec<_> = rows.iter().take(MAX_SERIES).copied().collect();
    if !chosen.iter().any(|(_, r)| &r.key == selected)
        && let Some(sel) = rows.iter().find(|(_, r)| &r.key == selected)
    {
        chosen.pop();
        chosen.push(*sel);
    }
    let mut out = Vec::new();
    for (i, r) in chosen {
        let is_selected = &r.key == selected;
        let color = theme.partition(i, r.color.as_deref());
        let style = if is_selected {
            theme.fg(color).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(color).add_modifier(Modifier::DIM)
        };
        let name = format!("{} {}", r.name, rate(r.rate(app.direction), app.unit));
        let points: Vec<(f64, f64)> = app
            .histories
            .get(&r.key)
            .map(|h| {
                h.window(app.window, now)
                    .map(|p| (-(now.saturating_sub(p.at)).as_secs_f64(), p.rate(app.direction).as_mbps_f64()))
                    .collect()
            })
            .unwrap_or_default();
        for (n, segment) in split_at_gaps(points, gap).into_iter().enumerate() {
            out.push(Series {
                name: (n == 0).then(|| name.clone()),
                style,
                points: segment,
                marker: Marker::Braille,
            });
        }
    }
    if let Some(row) = app.selected_row().filter(|_| app.direction == Direction::Tx) {
        out.extend(limit_steps(app, row, now, theme));
    }
    out
}

/// The selection's max and min over the window as steps (a cap lowered at 14:03 is drawn at
/// its old value before 14:03), dotted in the limit colours, labelled with the value now.
fn limit_steps(
    app: &App,
    row: &crate::app::PartitionRow,
    now: std::time::Duration,
    theme: &Theme,
) -> Vec<Series> {
    let window = app.window.as_secs_f64();
    let steps = app.limit_history.get(&row.key).map(Vec::as_slice).unwrap_or_default();
    let x = |t: std::time::Duration| (-(now.saturating_sub(t)).as_secs_f64()).max(-window);
    let mut out = Vec::new();
    let max: fn(&crate::model::RateLimit) -> crate::model::Mbps = |l| l.max;
    let min: fn(&crate::model::RateLimit) -> crate::model::Mbps = |l| l.min;
    for (pick, label, color) in [(max, "max", theme.colors.bad), (min, "min", theme.colors.good)] {
        let mut points = Vec::new();
        for (i, (at, limit)) in steps.iter().enumerate() {
            let end = steps.get(i + 1).map_or(0.0, |(next, _)| x(*next));
            if end <= -window && i + 1 < steps.len() {
                continue;
            }
            let value = pick(limit);
            let y = if value.is_unlimited() { f64::NAN } else { f64::from(value.0) };
            points.push((x(*at), y));
            points.push((end, y));
        }
        // Unlimited stretches are left out, so the line breaks there.
        let segments = points.split(|p| p.1.is_nan()).filter(|s| !s.is_empty()).map(<[_]>::to_vec);
        let current = pick(&row.vf.rate);
        for (n, segment) in segments.enumerate() {
            let name = (n == 0 && !current.is_unlimited())
                .then(|| format!("{label} {}", crate::ui::text::speed(current, app.unit)));
            out.push(Series {
                name,
                style: Style::default().fg(color),
                points: segment,
                marker: Marker::Dot,
            });
        }
    }
    out
}

/// Splits a line where consecutive points are more than `gap` seconds apart, so time without
/// samples shows as a gap, not as a slope.
fn split_at_gaps(points: Vec<(f64, f64)>, gap: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in points {
        match out.last_mut() {
            Some(segment) if segment.last().is_some_and(|q| p.0 - q.0 <= gap) => segment.push(p),
            _ => out.push(vec![p]),
        }
    }
    out
}

/// Top of the y axis in Mbit/s for the chosen scale.
fn y_top(app: &App, series: &[Series]) -> f64 {
    let link = app.selected_pf().and_then(|p| p.link_speed).map(|l| f64::from(l.0)).unwrap_or(1000.0);
    let auto = || {
        let peak = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
        (peak * 1.1).max(1.0)
    };
    match app.scale {
        ChartScale::Link => link,
        ChartScale::Cap => app
            .selected_row()
            .map(|r| f64::from(r.vf.rate.effective_cap(r.link.unwrap_or_default()).0) * 1.1)
            .filter(|v| *v > 0.0)
            .unwrap_or_else(auto),
        ChartScale::Auto => auto(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gaps_split_the_line() {
        let points = vec![(-10.0, 1.0), (-9.0, 2.0), (-8.0, 3.0), (-3.0, 4.0), (-2.0, 5.0)];
        let segments = super::split_at_gaps(points, 2.5);
        assert_eq!(
            segments,
            vec![vec![(-10.0, 1.0), (-9.0, 2.0), (-8.0, 3.0)], vec![(-3.0, 4.0), (-2.0, 5.0)]]
        );
        assert!(super::split_at_gaps(Vec::new(), 2.5).is_empty());
    }
}
