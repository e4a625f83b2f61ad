//! The live chart: per-partition tx (or rx) over the window, with the selection's min/max lines.

use super::text::{rate, speed};
use super::theme::Theme;
use crate::app::state::{ChartScale, Level, format_window};
use crate::metrics::history::{Direction, History};
use crate::model::{BitsPerSec, Mbps, RateLimit};
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Widget};
use std::time::Duration;

/// One line to plot: name, colour, points as (seconds before now, Mbit/s).
#[derive(Clone)]
struct Series {
    /// Legend entry (the first segment of a line that breaks at gaps).
    name: Option<String>,
    /// The entry where room is short: a partition's name without its rate.
    short: Option<String>,
    style: Style,
    points: Vec<(f64, f64)>,
    /// Braille for rates; dots for the limit steps, so no rate line looks like a limit.
    marker: Marker,
    /// A partition's line (named after the limits and the link in the legend).
    partition: bool,
}

/// A partition of the charted PF.
pub struct ChartPartition<'a> {
    pub name: &'a str,
    pub colour_index: usize,
    pub colour: Option<&'a str>,
    /// Its rate now, in the charted direction (the busiest are drawn).
    pub rate: BitsPerSec,
    /// The rate is one (not "no rate yet", unreadable, or a VF nothing counts).
    pub measured: bool,
    pub history: Option<&'a History>,
    pub selected: bool,
}

impl ChartPartition<'_> {
    /// `Backup 2.00 Gb/s`: its name and rate now (`NFS -` where there is none).
    fn legend_entry(&self, unit: RateUnit) -> String {
        if self.measured {
            format!("{} {}", self.name, rate(self.rate, unit))
        } else {
            format!("{} -", self.name)
        }
    }
}

/// The selection's limits: their history as `(since, limit)` steps, oldest first, and now.
pub struct LimitSteps<'a> {
    pub partition: &'a str,
    pub steps: &'a [(Duration, RateLimit)],
    pub current: RateLimit,
    /// Its own cap in effect (the link where it has none).
    pub effective_cap: Mbps,
}

/// A recorded event drawn as a tick: how long before the cursor, and what happened; an
/// episode is a span from its start (`ago`) lasting `span`, drawn as a bar along the bottom.
pub struct EventTick {
    pub ago: Duration,
    pub label: String,
    pub span: Option<Duration>,
}

/// What the chart draws.
pub struct RateChart<'a> {
    /// The partitions of the selection's PF, the selection among them.
    pub partitions: Vec<ChartPartition<'a>>,
    /// Drawn with tx only (the limits are on transmit).
    pub limits: Option<LimitSteps<'a>>,
    pub pf: &'a str,
    pub link: Option<Mbps>,
    /// The time of the newest sample (the right edge).
    pub now: Duration,
    /// What the right edge is called: `now`, or a replay cursor's time.
    pub end_label: String,
    pub window: Duration,
    pub interval: Duration,
    pub direction: Direction,
    pub scale: ChartScale,
    pub unit: RateUnit,
    pub focused: bool,
    pub events: Vec<EventTick>,
    pub theme: &'a Theme,
}

impl Widget for RateChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let window = self.window.as_secs_f64();
        let limits = match &self.limits {
            Some(l) if self.direction == Direction::Tx => self.limit_steps(l),
            _ => Vec::new(),
        };
        // The legend has a place of its own, beside the plot or under it, so it hides no data
        // and nothing is drawn through it; as many partitions are drawn as it can name.
        let inner = area.inner(Margin::new(1, 1));
        let layout = Legend::for_area(inner);
        let (plot, legend_area) = layout.split(inner);
        let others: Vec<String> = limits
            .iter()
            .filter_map(|s| s.name.clone())
            // Counted at its longest (`↑` where the scale does not reach it).
            .chain(self.link.map(|l| format!("link {} ↑", speed(l, self.unit))))
            .collect();
        let drawn = match layout {
            Legend::None => MAX_SERIES.min(self.partitions.len()),
            _ => {
                self.legend_room(layout, legend_area, &others).clamp(1, MAX_SERIES).min(self.partitions.len())
            }
        };
        let mut series = self.partition_series(drawn);
        series.extend(limits);
        let top = self.y_top(&series);
        // The link speed: a line where the scale reaches it, else named in the legend as above.
        if let Some(link) = self.link {
            let (mbps, text) = (f64::from(link.0), speed(link, self.unit));
            let (name, points) = if mbps <= top {
                (format!("link {text}"), vec![(-window, mbps), (0.0, mbps)])
            } else {
                (format!("link {text} ↑"), Vec::new())
            };
            let link = Series {
                short: Some(name.clone()),
                name: Some(name),
                style: theme.dimmed(),
                points,
                marker: Marker::Braille,
                partition: false,
            };
            series.push(link);
        }
        Block::default()
            .borders(Borders::ALL)
            .title(self.title(area.width, drawn))
            .border_style(theme.border(self.focused))
            .style(theme.base())
            .render(area, buf);
        let datasets: Vec<Dataset> = series
            .iter()
            .map(|s| {
                Dataset::default().marker(s.marker).graph_type(GraphType::Line).style(s.style).data(&s.points)
            })
            .collect();
        let y_labels = [0.0, top / 2.0, top].map(|v| Span::styled(self.axis_label(v), theme.dimmed()));
        let x_labels = [format!("-{}", format_window(self.window)), self.end_label.clone()]
            .map(|l| Span::styled(l, theme.dimmed()));
        Chart::new(datasets)
            .style(theme.base())
            .x_axis(Axis::default().bounds([-window, 0.0]).labels(x_labels).style(theme.dimmed()))
            .y_axis(Axis::default().bounds([0.0, top]).labels(y_labels).style(theme.dimmed()))
            .legend_position(None)
            .render(plot, buf);
        self.draw_legend(buf, layout, legend_area, &series);
        let label_width = [0.0, top / 2.0, top]
            .iter()
            .map(|v| self.axis_label(*v).chars().count() as u16)
            .max()
            .unwrap_or(0);
        self.draw_event_ticks(buf, plot, label_width);
    }
}

/// Where the chart's legend goes: a column right of the plot on a wide chart, rows under it
/// on a narrow one, nowhere on a tiny one (lines are told apart by the table's colours then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Legend {
    None,
    /// A column this wide: one entry a row.
    Side(u16),
    /// This many rows under the plot, entries side by side.
    Below(u16),
}

/// The inside width from which the legend gets a column of its own.
const SIDE_LEGEND_FROM: u16 = 90;
const SIDE_LEGEND_WIDTH: u16 = 26;

impl Legend {
    fn for_area(inner: Rect) -> Legend {
        match (inner.width, inner.height) {
            (w, h) if w >= SIDE_LEGEND_FROM && h >= 4 => Legend::Side(SIDE_LEGEND_WIDTH),
            (_, h) if h >= 9 => Legend::Below(2),
            (_, h) if h >= 6 => Legend::Below(1),
            _ => Legend::None,
        }
    }

    /// The plot's area and the legend's.
    fn split(self, inner: Rect) -> (Rect, Rect) {
        match self {
            Legend::None => (inner, Rect::default()),
            Legend::Side(w) => {
                let plot = Rect { width: inner.width - w - 1, ..inner };
                (plot, Rect { x: plot.right() + 1, width: w, ..inner })
            }
            Legend::Below(rows) => {
                let plot = Rect { height: inner.height - rows, ..inner };
                (plot, Rect { y: plot.bottom(), height: rows, ..inner })
            }
        }
    }
}

/// The cells a legend entry takes: `■ ` and its text.
fn entry_width(text: &str) -> u16 {
    text.chars().count() as u16 + 2
}

impl RateChart<'_> {
    /// How many partition entries the legend has room for besides `others` (the limits and
    /// the link, always named): one a row beside the plot; packed into the rows under it.
    /// In the legend's order — the selection, the limits and the link, then the busiest —
    /// how many partitions it can name in `area`.
    fn legend_room(&self, layout: Legend, area: Rect, others: &[String]) -> usize {
        let mut ranked: Vec<&ChartPartition> = self.partitions.iter().collect();
        ranked.sort_by(|a, b| b.selected.cmp(&a.selected).then(b.rate.0.total_cmp(&a.rate.0)));
        let text = |p: &ChartPartition| match layout {
            Legend::Below(_) => p.name.to_string(),
            _ => p.legend_entry(self.unit),
        };
        let (first, rest) = ranked.split_first().map_or((None, &[][..]), |(f, r)| (Some(*f), r));
        let entries: Vec<(String, bool)> = first
            .map(|p| (text(p), true))
            .into_iter()
            .chain(others.iter().map(|o| (o.clone(), false)))
            .chain(rest.iter().map(|p| (text(p), true)))
            .collect();
        let placed = match layout {
            Legend::None => 0,
            Legend::Side(_) => usize::from(area.height).min(entries.len()),
            Legend::Below(rows) => pack(entries.iter().map(|(t, _)| t.clone()), area.width, rows).len(),
        };
        entries[..placed].iter().filter(|(_, partition)| *partition).count()
    }

    /// The legend: each named series' marker in its colour and its name, in its own area
    /// (cleared first, so nothing shows through it).
    fn draw_legend(&self, buf: &mut Buffer, layout: Legend, area: Rect, series: &[Series]) {
        if layout == Legend::None || area.is_empty() {
            return;
        }
        ratatui::widgets::Clear.render(area, buf);
        // The selection, the limits and the link, then the busiest: the order the legend's room
        // was counted in (under the plot, partitions by name only).
        let selected = |s: &&Series| s.style.add_modifier.contains(Modifier::BOLD);
        let text = |s: &Series| match (layout, s.partition) {
            (Legend::Below(_), true) => s.short.clone(),
            _ => s.name.clone(),
        };
        let owned: Vec<(String, Style)> = series
            .iter()
            .filter(|s| s.partition && selected(s))
            .chain(series.iter().filter(|s| !s.partition))
            .chain(series.iter().filter(|s| s.partition && !selected(s)))
            .filter_map(|s| text(s).map(|n| (n, s.style)))
            .collect();
        let named: Vec<(&str, Style)> = owned.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let base = self.theme.base();
        let mut put = |x: u16, y: u16, (name, style): (&str, Style), width: u16| {
            buf.set_stringn(x, y, "■ ", 2, Style::default().fg(style.fg.unwrap_or_default()));
            buf.set_stringn(x + 2, y, name, usize::from(width.saturating_sub(2)), base);
        };
        match layout {
            Legend::Side(_) => {
                for (row, entry) in named.into_iter().take(usize::from(area.height)).enumerate() {
                    put(area.x, area.y + row as u16, entry, area.width);
                }
            }
            Legend::Below(rows) => {
                let texts: Vec<String> = named.iter().map(|(n, _)| n.to_string()).collect();
                for (i, (row, x)) in pack(texts.into_iter(), area.width, rows).into_iter().enumerate() {
                    let width = entry_width(named[i].0).min(area.width.saturating_sub(x));
                    put(area.x + x, area.y + row, named[i], width);
                }
            }
            Legend::None => {}
        }
    }

    fn title(&self, width: u16, drawn: usize) -> String {
        let direction = if self.direction == Direction::Tx { "tx" } else { "rx" };
        let (window, scale) = (format_window(self.window), self.scale.label());
        let total = self.partitions.len();
        let top = if drawn < total { format!(" · top {drawn} of {total}") } else { String::new() };
        let pf = if self.pf.is_empty() { "no partition selected" } else { self.pf };
        if width >= 70 {
            let limits = self
                .limits
                .as_ref()
                .filter(|_| self.direction == Direction::Tx)
                .map(|l| format!(" · dotted: {} min/max", l.partition))
                .unwrap_or_default();
            format!(" {direction} · {pf} · last {window}{top} · scale: {scale}{limits} ")
        } else {
            format!(" {direction} · {window} · {scale}{top} ")
        }
    }

    /// A y-axis label for `mbps`.
    fn axis_label(&self, mbps: f64) -> String {
        rate(BitsPerSec(mbps * 1e6), self.unit)
    }

    /// Replay: each event in the window as a vertical tick at its time, with its label at the
    /// top (a rate change at 03:04 is a line at 03:04 saying what changed).
    fn draw_event_ticks(&self, buf: &mut Buffer, area: Rect, label_width: u16) {
        // The plot: inside the border, right of the y labels and the axis, above the x labels.
        let left = area.x + 1 + label_width + 1;
        let right = area.right().saturating_sub(2);
        let (top, bottom) = (area.y + 1, area.bottom().saturating_sub(3));
        if right <= left || bottom <= top {
            return;
        }
        let window = self.window.as_secs_f64();
        let style = self.theme.level(Level::Warn).add_modifier(Modifier::BOLD);
        let x_of =
            |ago: f64| left + ((1.0 - ago.min(window) / window) * f64::from(right - left)).round() as u16;
        for event in self.events.iter().filter(|e| {
            e.ago <= self.window || e.span.is_some_and(|s| e.ago.saturating_sub(s) <= self.window)
        }) {
            let x = x_of(event.ago.as_secs_f64());
            if let Some(span) = event.span {
                // The episode's span: a bar on the plot's last row, from its start to its end.
                let end = x_of(event.ago.saturating_sub(span).as_secs_f64());
                let bar = self.theme.level(Level::Error);
                for bx in x..=end.max(x) {
                    buf[(bx, bottom)].set_symbol("▀").set_style(bar);
                }
                let width = event.label.chars().count() as u16;
                let label_x = if x + width < right { x } else { right.saturating_sub(width).max(left) };
                buf.set_stringn(
                    label_x,
                    bottom.saturating_sub(1),
                    &event.label,
                    right.saturating_sub(label_x) as usize,
                    bar,
                );
                continue;
            }
            for y in top..=bottom {
                buf[(x, y)].set_symbol("┊").set_style(style);
            }
            // The label on the plot's last row (the legend holds the top right), right of the
            // tick, or left of it where the right has no room.
            let width = event.label.chars().count() as u16;
            let label_x = if x + width < right || x < left + width { x + 1 } else { x - width };
            buf.set_stringn(label_x, bottom, &event.label, right.saturating_sub(label_x) as usize, style);
        }
    }

    /// The `n` busiest partitions (always with the selection), each broken at gaps in its
    /// samples.
    fn partition_series(&self, n: usize) -> Vec<Series> {
        // A gap in the samples (paused, or a sample that failed) longer than this breaks the line.
        let gap = self.interval.as_secs_f64() * 2.5;
        let mut ranked: Vec<&ChartPartition> = self.partitions.iter().collect();
        ranked.sort_by(|a, b| b.rate.0.total_cmp(&a.rate.0));
        let mut chosen: Vec<&ChartPartition> = ranked.iter().take(n).copied().collect();
        if !chosen.iter().any(|p| p.selected)
            && let Some(selected) = ranked.iter().find(|p| p.selected)
        {
            chosen.pop();
            chosen.push(selected);
        }
        let mut out = Vec::new();
        for p in chosen {
            let colour = self.theme.partition(p.colour_index, p.colour);
            let style = if p.selected {
                self.theme.fg(colour).add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(colour).add_modifier(Modifier::DIM)
            };
            let name = p.legend_entry(self.unit);
            let points: Vec<(f64, f64)> = p
                .history
                .map(|h| {
                    h.window(self.window, self.now)
                        .map(|s| {
                            (
                                -(self.now.saturating_sub(s.at)).as_secs_f64(),
                                s.rate(self.direction).as_mbps_f64(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (n, segment) in split_at_gaps(points, gap).into_iter().enumerate() {
                out.push(Series {
                    name: (n == 0).then(|| name.clone()),
                    short: (n == 0).then(|| p.name.to_string()),
                    style,
                    points: segment,
                    marker: Marker::Braille,
                    partition: true,
                });
            }
        }
        out
    }

    /// The selection's max and min over the window as steps (a cap lowered at 14:03 is drawn
    /// at its old value before 14:03), dotted in the limit colours, labelled with the value now.
    fn limit_steps(&self, limits: &LimitSteps) -> Vec<Series> {
        let window = self.window.as_secs_f64();
        let steps = limits.steps;
        let x = |t: Duration| (-(self.now.saturating_sub(t)).as_secs_f64()).max(-window);
        let mut out = Vec::new();
        let max: fn(&RateLimit) -> Mbps = |l| l.max;
        let min: fn(&RateLimit) -> Mbps = |l| l.min;
        for (pick, label, colour) in
            [(max, "max", self.theme.colors.bad), (min, "min", self.theme.colors.good)]
        {
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
            let current = pick(&limits.current);
            for (n, segment) in segments.enumerate() {
                let name = (n == 0 && !current.is_unlimited())
                    .then(|| format!("{label} {}", speed(current, self.unit)));
                out.push(Series {
                    short: name.clone(),
                    name,
                    style: Style::default().fg(colour),
                    points: segment,
                    marker: Marker::Dot,
                    partition: false,
                });
            }
        }
        out
    }

    /// Top of the y axis in Mbit/s for the chosen scale.
    fn y_top(&self, series: &[Series]) -> f64 {
        let auto = || {
            let peak = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
            (peak * 1.1).max(1.0)
        };
        match self.scale {
            ChartScale::Link => self.link.map_or(1000.0, |l| f64::from(l.0)),
            ChartScale::Cap => self
                .limits
                .as_ref()
                .map(|l| f64::from(l.effective_cap.0) * 1.1)
                .filter(|v| *v > 0.0)
                .unwrap_or_else(auto),
            ChartScale::Auto => auto(),
        }
    }
}

/// How many partitions the chart draws at most, however tall (the busiest, and always the
/// selection); fewer where the legend has no room to name them all.
const MAX_SERIES: usize = 12;

/// Where entries go in `rows` rows of `width` cells, side by side with a space between:
/// (row, column) of each that fits, in order, stopping at the first that does not.
fn pack(entries: impl Iterator<Item = String>, width: u16, rows: u16) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let (mut row, mut x) = (0u16, 0u16);
    for entry in entries {
        let w = entry_width(&entry).min(width);
        if x > 0 && x + w > width {
            (row, x) = (row + 1, 0);
        }
        if row >= rows {
            break;
        }
        out.push((row, x));
        x += w + 1;
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

#[cfg(test)]
mod tests {
    use super::{EventTick, LimitSteps, RateChart};
    use crate::app::state::ChartScale;
    use crate::metrics::history::Direction;
    use crate::model::{Mbps, RateLimit};
    use crate::ui::testing::{text, theme};
    use crate::units::RateUnit;
    use std::time::Duration;

    fn chart<'a>(
        direction: Direction,
        limits: Option<LimitSteps<'a>>,
        events: Vec<EventTick>,
        theme: &'a crate::ui::theme::Theme,
    ) -> RateChart<'a> {
        RateChart {
            partitions: Vec::new(),
            limits,
            pf: "ens1f0",
            link: Some(Mbps(1000)),
            now: Duration::from_secs(600),
            end_label: "now".into(),
            window: Duration::from_secs(60),
            interval: Duration::from_secs(1),
            direction,
            scale: ChartScale::Link,
            unit: RateUnit::Bits,
            focused: false,
            events,
            theme,
        }
    }

    #[test]
    fn an_event_is_a_tick_at_its_time_with_its_label() {
        let theme = theme();
        let half = EventTick { ago: Duration::from_secs(30), label: "vf 2 max 200M".into(), span: None };
        let old = EventTick { ago: Duration::from_secs(90), label: "too old".into(), span: None };
        let drawn = text(chart(Direction::Tx, None, vec![half, old], &theme), 100, 20);
        let columns: Vec<usize> = drawn.lines().filter_map(|l| l.chars().position(|c| c == '┊')).collect();
        assert!(columns.len() > 10, "{drawn}");
        assert!(columns.iter().all(|c| *c == columns[0]), "{drawn}");
        // The plot runs from right of the y labels to the legend's column: the tick is mid-way,
        // and nothing is drawn through the legend.
        assert!((38..=45).contains(&columns[0]), "tick at column {}\n{drawn}", columns[0]);
        let legend_at =
            drawn.lines().nth(1).and_then(|l| l.find("■ link 1G")).expect("the legend names the link");
        let legend_col = drawn.lines().nth(1).unwrap()[..legend_at].chars().count();
        assert!(columns[0] < legend_col, "{drawn}");
        assert!(drawn.contains("vf 2 max 200M"), "{drawn}");
        assert!(!drawn.contains("too old"), "{drawn}");
    }

    #[test]
    fn draws_as_many_partitions_as_the_legend_can_name_the_busiest_and_the_selection() {
        use crate::metrics::history::{History, RatePoint};
        use crate::model::BitsPerSec;
        let theme = theme();
        let names: Vec<String> = (0..12).map(|i| format!("P{i:02}")).collect();
        let histories: Vec<History> = (0..12)
            .map(|i| {
                let mut h = History::default();
                for t in 590..=600 {
                    let tx = BitsPerSec(f64::from(i + 1) * 10e6);
                    h.push(RatePoint { at: Duration::from_secs(t), tx, rx: tx, drops_per_sec: 0.0 });
                }
                h
            })
            .collect();
        // Twelve partitions, P11 the busiest, P00 selected.
        let partitions = || {
            (0..12)
                .map(|i| super::ChartPartition {
                    name: &names[i],
                    colour_index: i,
                    colour: None,
                    rate: BitsPerSec((i + 1) as f64 * 10e6),
                    measured: true,
                    history: Some(&histories[i]),
                    selected: i == 0,
                })
                .collect()
        };
        for height in [12u16, 16, 20, 24, 30, 40, 60] {
            let mut c = chart(Direction::Tx, None, Vec::new(), &theme);
            c.partitions = partitions();
            let drawn = text(c, 100, height);
            let named: Vec<&String> = names.iter().filter(|n| drawn.contains(n.as_str())).collect();
            let says = match drawn.find("top ") {
                Some(at) => drawn[at + 4..].split(' ').next().unwrap().parse::<usize>().unwrap(),
                None => 12,
            };
            assert_eq!(named.len(), says, "height {height}: the legend names every line drawn\n{drawn}");
            assert!(named.contains(&&names[0]), "height {height}: the selection is always drawn\n{drawn}");
            // The rest are the busiest.
            let busiest = &names[12 - (says - 1)..];
            assert!(busiest.iter().all(|n| named.contains(&n)), "height {height}\n{drawn}");
            // Beside the plot, a row each: the link's and one per line drawn.
            assert_eq!(says, 12.min(usize::from(height) - 3), "height {height}\n{drawn}");
        }
        // A narrow chart (an 80-column terminal's) has its legend under the plot, and it
        // names every line drawn there too; no point is drawn on its row.
        for (width, height) in [(46u16, 16u16), (36, 12)] {
            let mut narrow = chart(Direction::Tx, None, Vec::new(), &theme);
            narrow.partitions = partitions();
            let drawn = text(narrow, width, height);
            let named: Vec<&String> = names.iter().filter(|n| drawn.contains(n.as_str())).collect();
            let says = drawn
                .find("top ")
                .map_or(12, |at| drawn[at + 4..].split(' ').next().unwrap().parse().unwrap());
            assert!(says >= 1 && named.len() == says, "{width}×{height}\n{drawn}");
            assert!(named.contains(&&names[0]), "the selection is named\n{drawn}");
            let legend_rows: Vec<&str> = drawn.lines().filter(|l| l.contains('■')).collect();
            assert!(!legend_rows.is_empty(), "{drawn}");
            assert!(
                legend_rows.iter().all(|l| !l.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c))),
                "{drawn}"
            );
        }
    }

    #[test]
    fn the_link_is_named_above_an_auto_scale_that_does_not_reach_it() {
        let theme = theme();
        let mut c = chart(Direction::Tx, None, Vec::new(), &theme);
        c.scale = ChartScale::Auto;
        let drawn = text(c, 100, 20);
        assert!(drawn.contains("link 1G ↑"), "{drawn}");
        let drawn = text(chart(Direction::Tx, None, Vec::new(), &theme), 100, 20);
        assert!(drawn.contains("link 1G") && !drawn.contains('↑'), "on the link scale it is a line\n{drawn}");
    }

    #[test]
    fn limits_are_drawn_and_named_on_tx_only() {
        let theme = theme();
        let steps = [(Duration::from_secs(500), RateLimit::new(100, 300))];
        let limits = || {
            Some(LimitSteps {
                partition: "Web",
                steps: &steps,
                current: steps[0].1,
                effective_cap: Mbps(300),
            })
        };
        let tx = text(chart(Direction::Tx, limits(), Vec::new(), &theme), 100, 20);
        assert!(tx.contains("dotted: Web min/max"), "{tx}");
        assert!(tx.contains("max 300M") && tx.contains("min 100M"), "{tx}");
        let rx = text(chart(Direction::Rx, limits(), Vec::new(), &theme), 100, 20);
        assert!(!rx.contains("dotted") && !rx.contains("max 300M"), "{rx}");
    }

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
