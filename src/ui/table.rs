//! The partitions table: one row per VF with rates, share of cap, limits, drops, percentiles.

use super::text::{bar, limits, per_sec, rate};
use super::theme::Theme;
use crate::app::{App, Focus, PartitionRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

/// A table column: header, width, and the narrowest terminal it still appears on; where the
/// columns still do not fit, the optional ones go in `drop_order` (0: never).
struct Column {
    header: &'static str,
    width: u16,
    min_screen: u16,
    drop_order: u8,
}

/// The PF column, shown only when there is more than one PF (VF numbers repeat then).
const PF_COLUMN: usize = 0;

const COLUMNS: [Column; 15] = [
    Column { header: "PF", width: 22, min_screen: 0, drop_order: 0 },
    Column { header: "VF", width: 3, min_screen: 0, drop_order: 0 },
    Column { header: "Partition", width: 12, min_screen: 0, drop_order: 0 },
    Column { header: "VLAN", width: 4, min_screen: 0, drop_order: 0 },
    Column { header: "MAC", width: 17, min_screen: 150, drop_order: 3 },
    Column { header: "Link", width: 4, min_screen: 120, drop_order: 4 },
    Column { header: "TX", width: 10, min_screen: 0, drop_order: 0 },
    Column { header: "RX", width: 10, min_screen: 0, drop_order: 0 },
    Column { header: "% of cap", width: 14, min_screen: 0, drop_order: 0 },
    Column { header: "Min/Max", width: 10, min_screen: 0, drop_order: 0 },
    Column { header: "Drops/s", width: 7, min_screen: 0, drop_order: 0 },
    Column { header: "p50 tx", width: 10, min_screen: 110, drop_order: 6 },
    Column { header: "p99 tx", width: 10, min_screen: 110, drop_order: 5 },
    Column { header: "Origin", width: 9, min_screen: 170, drop_order: 2 },
    Column { header: "Held by", width: 28, min_screen: 165, drop_order: 1 },
];

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let several_pfs = app.snapshot.as_ref().is_some_and(|s| s.pfs.len() > 1);
    let pf_width = app.snapshot.iter().flat_map(|s| &s.pfs).map(|p| p.name.chars().count() as u16 + 6).max();
    let width_of = |i: usize| {
        if i == PF_COLUMN { pf_width.unwrap_or(8).min(COLUMNS[i].width) } else { COLUMNS[i].width }
    };
    let mut visible: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| area.width >= COLUMNS[i].min_screen && (i != PF_COLUMN || several_pfs))
        .collect();
    // Drop optional columns until the rest fit (a PF column, a long partition name…).
    let fits =
        |cols: &[usize]| cols.iter().map(|&i| width_of(i) + 1).sum::<u16>() < area.width.saturating_sub(1);
    while !fits(&visible) {
        let Some(pos) = (0..visible.len())
            .filter(|&p| COLUMNS[visible[p]].drop_order > 0)
            .min_by_key(|&p| COLUMNS[visible[p]].drop_order)
        else {
            break;
        };
        visible.remove(pos);
    }
    let header = Row::new(visible.iter().map(|&i| Cell::from(COLUMNS[i].header))).style(theme.emphasis());
    // Only the rows that fit are built (a host can have hundreds): the window of rows that
    // keeps the selection in view, as a scrolling table would show it.
    let height = rows_shown(area);
    let selected = app.selected_index();
    let first = first_row(app, area);
    let shown = app.visible_rows();
    let rows = shown.iter().skip(first).take(height).map(|r| {
        // Colours follow the row's place among all rows, so a filter does not repaint them.
        let n = app.rows.iter().position(|x| x.key == r.key).unwrap_or(0);
        let cells = cells(r, n, app, theme);
        Row::new(visible.iter().map(|&i| cells[i].clone()).collect::<Vec<_>>())
    });
    let widths: Vec<Constraint> = visible.iter().map(|&i| Constraint::Length(width_of(i))).collect();
    let position = selected.map_or(String::new(), |s| format!("{} of ", s + 1));
    let filtering = app.overlay == crate::app::state::Overlay::Filter;
    let filter = match (filtering, app.filter.is_empty()) {
        (true, _) => format!(" · /{}▏", app.filter),
        (false, false) => format!(" · /{} ({} rows; Esc clears)", app.filter, app.rows.len()),
        (false, true) => String::new(),
    };
    let title = format!(" Partitions ({position}{}){filter} · sort: {} ", shown.len(), app.sort_label());
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.border(app.focus == Focus::Table));
    let table = Table::new(rows, widths).header(header).block(block).row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(selected.map(|s| s - first));
    frame.render_stateful_widget(table, area, &mut state);
}

/// Rows the table has room for (inside its border, under its header).
fn rows_shown(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3)).max(1)
}

/// The first visible row drawn: the window that keeps the selection in view.
pub fn first_row(app: &App, area: Rect) -> usize {
    app.selected_index().map_or(0, |s| (s + 1).saturating_sub(rows_shown(area)))
}

fn cells<'a>(r: &'a PartitionRow, n: usize, app: &App, theme: &Theme) -> Vec<Cell<'a>> {
    let color = theme.partition(n, r.color.as_deref());
    let share = r.cap_share();
    let share_style = match share {
        Some(s) if s >= crate::metrics::contention::NEAR => Style::default().fg(theme.colors.bad),
        Some(s) if s >= 0.8 => Style::default().fg(theme.colors.warn),
        _ => Style::default().fg(theme.colors.good),
    };
    let share_cell = match (&r.limited_by, share) {
        // Held by its rate group, not its own cap: the share of its own cap would mislead.
        (Some((group, _)), _) => {
            Line::from(Span::styled(format!("group {group}"), Style::default().fg(theme.colors.warn)))
        }
        (None, Some(s)) => {
            Line::from(vec![Span::styled(bar(s, 8), share_style), Span::raw(format!("{:>4.0}%", s * 100.0))])
        }
        (None, None) => Line::from("-"),
    };
    let p = |v: Option<crate::metrics::history::Percentiles>,
             f: fn(&crate::metrics::history::Percentiles) -> crate::model::BitsPerSec| {
        v.map(|p| rate(f(&p), app.unit)).unwrap_or_else(|| "-".into())
    };
    let tx_percentiles = app.percentiles(&r.key, crate::metrics::history::Direction::Tx);
    let drops_style =
        if r.rates.drops_per_sec >= 0.5 { Style::default().fg(theme.colors.warn) } else { theme.base() };
    let pf = if r.stale { format!("{} STALE", r.key.pf) } else { r.key.pf.clone() };
    let pf_style = if r.stale { Style::default().fg(theme.colors.warn) } else { theme.base() };
    vec![
        Cell::from(Span::styled(pf, pf_style)),
        Cell::from(if r.vf.index == crate::app::state::WHOLE_LINK {
            "-".to_string()
        } else {
            r.vf.index.to_string()
        }),
        Cell::from(Span::styled(r.name.clone(), theme.fg(color))),
        Cell::from(if r.vf.vlan == 0 { "-".to_string() } else { r.vf.vlan.to_string() }),
        Cell::from(r.vf.mac.to_string()),
        Cell::from(r.vf.link_state.label()),
        Cell::from(rate(r.rates.tx, app.unit)),
        Cell::from(rate(r.rates.rx, app.unit)),
        Cell::from(share_cell),
        match app.vf_drift(&r.key) {
            Some(_) => Cell::from(Span::styled(
                format!("⚠{}", limits(r.vf.rate, app.unit)),
                Style::default().fg(theme.colors.warn),
            )),
            None => Cell::from(limits(r.vf.rate, app.unit)),
        },
        Cell::from(Span::styled(per_sec(r.rates.drops_per_sec), drops_style)),
        Cell::from(p(tx_percentiles, |p| p.p50)),
        Cell::from(p(tx_percentiles, |p| p.p99)),
        Cell::from(r.vf.counters.origin.label()),
        Cell::from(match &r.limited_by {
            Some((group, cap)) => Span::styled(
                format!("limited by group {group} {}", super::text::speed(*cap, app.unit)),
                Style::default().fg(theme.colors.warn),
            ),
            None => Span::raw(""),
        }),
    ]
}
