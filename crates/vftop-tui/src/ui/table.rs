//! The partitions table: one row per VF with its owner, rates, share of cap, limits, drops,
//! percentiles.

use super::text::{bar, limits, per_sec, rate};
use super::theme::Theme;
use crate::app::PartitionRow;
use crate::metrics::history::Percentiles;
use crate::metrics::rate::Measure;
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, StatefulWidget, Table, TableState, Widget};

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
/// The share column: `100% ████████`, or only the number where the bar does not fit.
const SHARE_COLUMN: usize = 9;
/// The optional column dropped after the share bar (the rest go before it).
const LAST_RESORT: u8 = 7;

const COLUMNS: [Column; 16] = [
    Column { header: "PF", width: 22, min_screen: 0, drop_order: 0 },
    Column { header: "VF", width: 3, min_screen: 0, drop_order: 0 },
    Column { header: "Partition", width: 12, min_screen: 0, drop_order: 0 },
    Column { header: "Owner", width: 22, min_screen: 130, drop_order: 6 },
    Column { header: "VLAN", width: 4, min_screen: 0, drop_order: 7 },
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

/// One drawn row: the partition and what the table adds to it.
pub struct TableRow<'a> {
    pub row: &'a PartitionRow,
    /// Its place among all rows (colours follow it, so a filter does not repaint them).
    pub colour_index: usize,
    /// Its limits were changed outside this console.
    pub drifted: bool,
    pub tx_percentiles: Option<Percentiles>,
}

/// The `/` filter as the title shows it.
pub enum Filter<'a> {
    Off,
    Typing(&'a str),
    /// Kept, over this many rows in all.
    Applied(&'a str, usize),
}

/// What the table draws: only the window of rows that fits (a host can have hundreds).
pub struct PartitionTable<'a> {
    pub rows: Vec<TableRow<'a>>,
    /// The position of `rows[0]` among the rows that pass the filter.
    pub first: usize,
    /// How many rows pass the filter.
    pub shown: usize,
    /// The selection's position among them.
    pub selected: Option<usize>,
    /// Longest PF name, when there is more than one PF (VF numbers repeat then).
    pub pf_name_width: Option<u16>,
    pub filter: Filter<'a>,
    pub sort: String,
    pub focused: bool,
    pub unit: RateUnit,
    pub theme: &'a Theme,
}

impl Widget for PartitionTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let (visible, bar) = self.columns(area.width);
        // Without its bar the share column is five wide: its header says so in as few.
        let header_of = |i: usize| if i == SHARE_COLUMN && !bar { "%cap" } else { COLUMNS[i].header };
        let header = Row::new(visible.iter().map(|&i| Cell::from(header_of(i)))).style(theme.emphasis());
        let rows = self.rows.iter().map(|r| {
            let cells = cells(r, self.unit, bar, theme);
            Row::new(visible.iter().map(|&i| cells[i].clone()).collect::<Vec<_>>())
        });
        let widths: Vec<Constraint> =
            visible.iter().map(|&i| Constraint::Length(self.width_of(i, bar))).collect();
        let position = self.selected.map_or(String::new(), |s| format!("{} of ", s + 1));
        let filter = match self.filter {
            Filter::Typing(typed) => format!(" · /{typed}▏"),
            Filter::Applied(kept, total) if self.shown == 0 => {
                format!(" · /{kept}: none of {total} match (Esc clears)")
            }
            Filter::Applied(kept, total) => {
                format!(" · /{kept}: {} of {total} match (Esc clears)", self.shown)
            }
            Filter::Off => String::new(),
        };
        let title = format!(" Partitions ({position}{}){filter} · sort: {} ", self.shown, self.sort);
        let block =
            Block::default().borders(Borders::ALL).title(title).border_style(theme.border(self.focused));
        let table =
            Table::new(rows, widths).header(header).block(block).row_highlight_style(theme.selected());
        let mut state = TableState::default().with_selected(self.selected.map(|s| s - self.first));
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

impl PartitionTable<'_> {
    fn width_of(&self, i: usize, bar: bool) -> u16 {
        let stale = self.rows.iter().any(|r| r.row.stale);
        match (i, self.pf_name_width) {
            // Room for " STALE" only where a row says it.
            (PF_COLUMN, Some(w)) => (w + if stale { 6 } else { 0 }).min(COLUMNS[i].width),
            (SHARE_COLUMN, _) if !bar => 5,
            _ => COLUMNS[i].width,
        }
    }

    /// The columns shown, and whether the share column has its bar: those the screen is wide
    /// enough for, then optional ones dropped until the rest fit (a PF column, a long partition
    /// name…), then the bar, then the VLAN. A number is never cut.
    fn columns(&self, width: u16) -> (Vec<usize>, bool) {
        let mut visible: Vec<usize> = (0..COLUMNS.len())
            .filter(|&i| width >= COLUMNS[i].min_screen && (i != PF_COLUMN || self.pf_name_width.is_some()))
            .collect();
        let fits = |cols: &[usize], bar: bool| {
            cols.iter().map(|&i| self.width_of(i, bar) + 1).sum::<u16>() < width.saturating_sub(1)
        };
        let mut bar = true;
        while !fits(&visible, bar) {
            let droppable = |p: &usize| {
                let order = COLUMNS[visible[*p]].drop_order;
                order > 0 && (order < LAST_RESORT || !bar)
            };
            match (0..visible.len()).filter(droppable).min_by_key(|&p| COLUMNS[visible[p]].drop_order) {
                Some(pos) => {
                    visible.remove(pos);
                }
                None if bar => bar = false,
                None => break,
            }
        }
        (visible, bar)
    }
}

/// Rows the table has room for (inside its border, under its header).
pub fn rows_shown(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3)).max(1)
}

/// The first visible row drawn: the window that keeps the selection in view.
pub fn first_row(selected: Option<usize>, area: Rect) -> usize {
    selected.map_or(0, |s| (s + 1).saturating_sub(rows_shown(area)))
}

fn cells<'a>(t: &TableRow<'a>, unit: RateUnit, bar_shown: bool, theme: &Theme) -> Vec<Cell<'a>> {
    let r = t.row;
    let color = theme.partition(t.colour_index, r.color.as_deref());
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
        // The cap changed during the interval the rate is over: no share of either is true.
        (None, Some(_)) if r.limit_before.is_some() => {
            Line::from(Span::styled("cap changed", theme.dimmed()))
        }
        // The number first: where the column is short, the bar goes, never the number.
        (None, Some(s)) if bar_shown => Line::from(vec![
            Span::styled(format!("{:>4.0}% ", s * 100.0), share_style),
            Span::styled(bar(s, 8), share_style),
        ]),
        (None, Some(s)) => Line::from(Span::styled(format!("{:>4.0}%", s * 100.0), share_style)),
        (None, None) => Line::from("-"),
    };
    let p = |v: Option<Percentiles>, f: fn(&Percentiles) -> crate::model::BitsPerSec| {
        v.map(|p| rate(f(&p), unit)).unwrap_or_else(|| "-".into())
    };
    let tx_percentiles = t.tx_percentiles;
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
        Cell::from(r.vf.owner.as_ref().map(|o| o.label()).unwrap_or_default()),
        Cell::from(if r.vf.vlan == 0 { "-".to_string() } else { r.vf.vlan.to_string() }),
        Cell::from(r.vf.mac.to_string()),
        Cell::from(r.vf.link_state.label()),
        Cell::from(measured(r, RateCell::Tx, rate(r.rates.tx, unit), theme)),
        Cell::from(measured(r, RateCell::Rx, rate(r.rates.rx, unit), theme)),
        match r.rates.measure {
            Measure::NoCounters => Cell::from(Span::styled(format!("from {}", r.driver), theme.dimmed())),
            _ => Cell::from(share_cell),
        },
        // ⚠ changed outside vftop; ≠ not what the config declares (said in full under Held by
        // where the screen is wide enough, and in the detail view).
        match (t.drifted, r.differs_from_declared.is_some()) {
            (false, false) => Cell::from(limits(r.vf.rate, unit)),
            (drifted, _) => Cell::from(Span::styled(
                format!("{}{}", if drifted { "⚠" } else { "≠" }, limits(r.vf.rate, unit)),
                Style::default().fg(theme.colors.warn),
            )),
        },
        Cell::from(if r.rates.measured() {
            Span::styled(per_sec(r.rates.drops_per_sec), drops_style)
        } else {
            Span::styled("-", theme.dimmed())
        }),
        Cell::from(p(tx_percentiles, |p| p.p50)),
        Cell::from(p(tx_percentiles, |p| p.p99)),
        Cell::from(r.vf.counters.origin.label()),
        Cell::from(match (&r.differs_from_declared, &r.limited_by) {
            (Some(declared), _) => Span::styled(
                format!("≠ declared {}", super::text::declared(declared, unit)),
                Style::default().fg(theme.colors.warn),
            ),
            (None, Some((group, cap))) => Span::styled(
                format!("limited by group {group} {}", super::text::speed(*cap, unit)),
                Style::default().fg(theme.colors.warn),
            ),
            (None, None) => Span::raw(""),
        }),
    ]
}

/// Which rate cell.
#[derive(PartialEq)]
enum RateCell {
    Tx,
    Rx,
}

/// A rate, or why there is none: no earlier reading ("no rate"), a sample the driver could not
/// read ("unreadable"), or a driver without per-VF counters ("no per-VF counters from igb",
/// across the TX, RX and share cells).
fn measured(r: &PartitionRow, column: RateCell, text: String, theme: &Theme) -> Span<'static> {
    let why = match (r.rates.measure, column) {
        (Measure::Measured, _) => return Span::raw(text),
        (Measure::NoCounters, RateCell::Tx) => "no per-VF",
        (Measure::NoCounters, RateCell::Rx) => "counters",
        (Measure::Unreadable, _) => "unreadable",
        (Measure::NoEarlier, _) => "no rate",
    };
    Span::styled(why, theme.dimmed())
}

#[cfg(test)]
mod tests {
    use super::{Filter, PartitionTable, TableRow};
    use crate::ui::testing::{row, text, theme};
    use crate::units::RateUnit;

    fn table<'a>(
        rows: &'a [crate::app::PartitionRow],
        pf_name_width: Option<u16>,
        filter: Filter<'a>,
        theme: &'a crate::ui::theme::Theme,
    ) -> PartitionTable<'a> {
        PartitionTable {
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, row)| TableRow { row, colour_index: i, drifted: i == 1, tx_percentiles: None })
                .collect(),
            first: 0,
            shown: rows.len(),
            selected: Some(1),
            pf_name_width,
            filter,
            sort: "vf ↑".into(),
            focused: true,
            unit: RateUnit::Bits,
            theme,
        }
    }

    #[test]
    fn a_pf_column_only_when_there_are_several_pfs() {
        let rows = [row("ens1f0", 0, "Web", 10.0, 0), row("ens2f0", 0, "Web2", 20.0, 300)];
        let theme = theme();
        let two = text(table(&rows, Some(6), Filter::Off, &theme), 100, 6);
        assert!(two.lines().nth(1).unwrap().starts_with("│PF "), "{two}");
        assert!(two.contains("│ens1f0") && two.contains("│ens2f0"), "{two}");
        let one = text(table(&rows, None, Filter::Off, &theme), 100, 6);
        assert!(one.lines().nth(1).unwrap().starts_with("│VF "), "{one}");
        assert!(!one.contains("ens2f0"), "{one}");
    }

    #[test]
    fn title_says_position_filter_and_sort_and_a_drifted_limit_is_marked() {
        let rows = [row("ens1f0", 0, "Web", 10.0, 0), row("ens1f0", 1, "Web2", 20.0, 300)];
        let theme = theme();
        let kept = text(table(&rows, None, Filter::Applied("web", 6), &theme), 100, 6);
        assert!(
            kept.starts_with("┌ Partitions (2 of 2) · /web: 2 of 6 match (Esc clears) · sort: vf ↑ "),
            "{kept}"
        );
        assert!(kept.contains("⚠-/300M"), "{kept}");
        assert_eq!(kept.matches('⚠').count(), 1, "{kept}");
        let typing = text(table(&rows, None, Filter::Typing("we"), &theme), 100, 6);
        assert!(typing.starts_with("┌ Partitions (2 of 2) · /we▏ · sort"), "{typing}");
    }
}
