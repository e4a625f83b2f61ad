//! The live chart: per-partition tx (or rx) over the window, with the selection's min/max lines.

use super::text::rate;
use super::theme::Theme;
use crate::app::state::{ChartScale, format_interval};
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
    /// Legend entry; `None` for the selection's limit lines (named in the title instead).
    name: Option<String>,
    style: Style,
    points: Vec<(f64, f64)>,
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let window = app.window.as_secs_f64();
    let series = series(app, theme);
    let top = y_top(app, &series);
    let datasets: Vec<Dataset> = series
        .iter()
        .map(|s| {
            let dataset = match &s.name {
                Some(name) => Dataset::default().name(name.clone()),
                None => Dataset::default(),
            };
            dataset.marker(Marker::Braille).graph_type(GraphType::Line).style(s.style).data(&s.points)
        })
        .collect();
    let direction = if app.direction == Direction::Tx { "tx" } else { "rx" };
    let limits = app
        .selected_row()
        .filter(|_| app.direction == Direction::Tx)
        .map(|r| format!(" · lines: {} min/max", r.name));
    let title = if area.width >= 70 {
        format!(
            " {direction} per partition · last {} · scale: {}{} ",
            format_interval(app.window),
            app.scale.label(),
            limits.unwrap_or_default()
        )
    } else {
        format!(" {direction} · {} · {} ", format_interval(app.window), app.scale.label())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.border(app.focus == Focus::Chart));
    let y_labels = [0.0, top / 2.0, top]
        .map(|v| Span::styled(rate(crate::model::BitsPerSec(v * 1e6), app.unit), theme.dimmed()));
    let x_labels = [format!("-{}", format_interval(app.window)), "now".to_string()]
        .map(|l| Span::styled(l, theme.dimmed()));
    let chart = Chart::new(datasets)
        .block(block)
        .style(theme.base())
        .x_axis(Axis::default().bounds([-window, 0.0]).labels(x_labels).style(theme.dimmed()))
        .y_axis(Axis::default().bounds([0.0, top]).labels(y_labels).style(theme.dimmed()))
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(2, 3)));
    frame.render_widget(chart, area);
}

fn series(app: &App, theme: &Theme) -> Vec<Series> {
    let Some(selected) = app.selected.as_ref() else {
        return Vec::new();
    };
    let now = app.snapshot.as_ref().map(|s| s.taken_at).unwrap_or_default();
    let mut out: Vec<Series> = app
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.key.pf == selected.pf)
        .map(|(i, r)| {
            let points = app
                .histories
                .get(&r.key)
                .map(|h| {
                    h.window(app.window, now)
                        .map(|p| {
                            (-(now.saturating_sub(p.at)).as_secs_f64(), p.rate(app.direction).as_mbps_f64())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut style = theme.fg(theme.partition(i, r.color.as_deref()));
            if &r.key == selected {
                style = style.add_modifier(Modifier::BOLD);
            }
            Series { name: Some(r.name.clone()), style, points }
        })
        .collect();
    if let Some(row) = app.selected_row().filter(|_| app.direction == Direction::Tx) {
        let window = app.window.as_secs_f64();
        for (value, color) in [(row.vf.rate.max, theme.colors.bad), (row.vf.rate.min, theme.colors.good)] {
            if !value.is_unlimited() {
                let y = f64::from(value.0);
                out.push(Series {
                    name: None,
                    style: Style::default().fg(color).add_modifier(Modifier::DIM),
                    points: vec![(-window, y), (0.0, y)],
                });
            }
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
