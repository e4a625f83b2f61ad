//! The composition layer: lays the screen out and builds each panel's props from `App` (the
//! one drawing module that reads the app's state; the panels see only what they draw).

use super::chart::{ChartPartition, EventTick, LimitSteps, RateChart};
use super::contention::ContentionPanel;
use super::detail::Detail;
use super::editor::EditorPopup;
use super::events::EventList;
use super::header::{Clock, Header};
use super::rate_tree::{RateTree, TreeEntry};
use super::status::{Message, StatusLine};
use super::table::{Filter, PartitionTable, TableRow};
use super::theme::Theme;
use super::{Panels, TooSmall, help::Help};
use crate::app::state::Overlay;
use crate::app::{App, Focus, PartitionRow, View};
use crate::metrics::history::Direction;
use crate::model::Target;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Block;
use std::time::Duration;

/// Draws the screen for `app`, in its chosen theme; says where the panels are.
pub fn draw_screen(frame: &mut Frame, app: &App, themes: &[Theme]) -> Panels {
    let theme = &themes[app.theme_index.min(themes.len() - 1)];
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base()), area);
    let quit_prompt = app.quit_prompt();
    if area.width < super::MIN_WIDTH || area.height < super::MIN_HEIGHT {
        let countdown = app.commit_countdown().map(|(a, secs)| {
            format!(
                "{} max {} min {} reverts in {secs}s unless kept: enlarge the terminal to keep it (c)",
                a.partition, a.change.new.max, a.change.new.min
            )
        });
        frame.render_widget(TooSmall { countdown, quit_prompt: quit_prompt.as_deref(), theme }, area);
        return Panels::default();
    }
    let [header_area, body, status_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    frame.render_widget(header(app, theme), header_area);
    frame.render_widget(status_line(app, theme), status_area);
    let mut panels = match app.view {
        View::Main => draw_main(frame, body, app, theme),
        View::Detail => {
            let detail = detail(app, theme);
            let scroll_limit = detail.scroll_limit(body);
            frame.render_widget(detail, body);
            Panels { scroll_limit, ..Panels::default() }
        }
    };
    match &app.overlay {
        Overlay::Help => {
            let help = Help { replay: app.replay.is_some(), scroll: app.scroll, theme };
            panels.scroll_limit = help.scroll_limit(area);
            frame.render_widget(help, area);
        }
        Overlay::Events(selected) => {
            let events = replay_cursor(app).map(|c| c.events.as_slice()).unwrap_or_default();
            frame.render_widget(EventList { events, selected: *selected, theme }, area);
        }
        Overlay::Audit(lines) => {
            frame.render_widget(super::audit::AuditLog { lines, unit: app.unit, theme }, area)
        }
        Overlay::Editor(editor) => frame.render_widget(EditorPopup { editor, theme }, area),
        Overlay::QuitPrompt => {
            if let Some(change) = quit_prompt.as_deref() {
                frame.render_widget(super::quit::QuitPrompt { change, theme }, area);
            }
        }
        // Typed on the status line or the table's title.
        Overlay::Filter | Overlay::GoTo(_) | Overlay::None => {}
    }
    panels
}

fn draw_main(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Panels {
    let visible = app.visible_rows();
    // As tall as its rows (a filter shrinks it), at most half the screen.
    let rows = u16::try_from(visible.len()).unwrap_or(u16::MAX);
    let table_height = rows.saturating_add(3).clamp(5, area.height / 2 + 2);
    let [table_area, lower] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(area);
    let table = table(app, visible, table_area, theme);
    let table_first_row = table.first;
    frame.render_widget(table, table_area);
    let contention_width = if area.width >= 140 { 48 } else { 34 };
    let [chart_area, contention_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(contention_width)]).areas(lower);
    frame.render_widget(chart(app, theme), chart_area);
    let mut panels = Panels {
        table: table_area,
        table_first_row,
        chart: chart_area,
        contention: contention_area,
        rate_tree: None,
        scroll_limit: 0,
    };
    if app.has_rate_tree() {
        let [top, bottom] =
            Layout::vertical([Constraint::Min(9), Constraint::Percentage(45)]).areas(contention_area);
        frame.render_widget(contention(app, theme), top);
        frame.render_widget(rate_tree(app, theme), bottom);
        (panels.contention, panels.rate_tree) = (top, Some(bottom));
    } else {
        frame.render_widget(contention(app, theme), contention_area);
    }
    panels
}

fn replay_cursor(app: &App) -> Option<&crate::app::timeline::ReplayCursor> {
    app.replay.as_ref().and_then(|r| r.cursor.as_ref())
}

fn header<'a>(app: &'a App, theme: &'a Theme) -> Header<'a> {
    let clock = match &app.replay {
        Some(replay) => replay.cursor.as_ref().map_or(Clock::ReplayLoading, Clock::Replay),
        None => Clock::Live(&app.wall_clock),
    };
    Header {
        host: &app.host,
        source: app.source.label(),
        pfs: app.snapshot.as_ref().map(|s| s.pfs.as_slice()).unwrap_or_default(),
        fleet: app.fleet(),
        interval: app.interval,
        window: app.window,
        malformed_attributes: app.snapshot.as_ref().map_or(0, |s| s.malformed_attributes),
        failed_since: app.last_error.as_ref().map(|_| app.wall_clock.as_str()),
        paused: app.paused,
        clock,
        theme,
    }
}

fn status_line<'a>(app: &'a App, theme: &'a Theme) -> StatusLine<'a> {
    let message = match (&app.overlay, app.current_toast(), &app.last_error) {
        (Overlay::GoTo(typed), _, _) => Message::GoTo(typed),
        (_, Some(toast), _) => Message::Toast(toast),
        (_, None, Some(err)) => Message::SamplingFailed(err),
        (_, None, None) => match app.fleet() {
            Some(fleet) => Message::FleetHints { overview: fleet.host.is_none() },
            None => Message::Hints { replay: app.replay.is_some(), read_only: app.flow.read_only.is_some() },
        },
    };
    // A replay says REPLAY in the header: its read-only reason would only say it again.
    let read_only = app.flow.read_only.as_deref().filter(|_| app.replay.is_none());
    StatusLine { read_only, countdown: app.commit_countdown(), message, theme }
}

/// The table's window of rows: those that keep the selection in view in `area`.
fn table<'a>(
    app: &'a App,
    visible: Vec<&'a PartitionRow>,
    area: Rect,
    theme: &'a Theme,
) -> PartitionTable<'a> {
    let selected = app.selected.as_ref().and_then(|key| visible.iter().position(|r| &r.key == key));
    let first = super::table::first_row(selected, area);
    let rows = visible
        .iter()
        .skip(first)
        .take(super::table::rows_shown(area))
        .map(|row| TableRow {
            row,
            colour_index: colour_index(app, &row.key),
            drifted: app.vf_drift(&row.key).is_some(),
            tx_percentiles: app.percentiles(&row.key, Direction::Tx),
        })
        .collect();
    let pfs = app.snapshot.as_ref().map(|s| s.pfs.as_slice()).unwrap_or_default();
    let filter = match (&app.overlay, app.filter.as_str()) {
        (Overlay::Filter, typed) => Filter::Typing(typed),
        (_, "") => Filter::Off,
        (_, kept) => Filter::Applied(kept, app.rows.len()),
    };
    PartitionTable {
        rows,
        first,
        shown: visible.len(),
        selected,
        pf_name_width: (pfs.len() > 1)
            .then(|| pfs.iter().map(|p| p.name.chars().count() as u16).max())
            .flatten(),
        filter,
        sort: app.sort_label(),
        focused: app.focus == Focus::Table,
        unit: app.unit,
        theme,
    }
}

/// A partition's place among all rows: its colour, whatever is filtered or sorted.
fn colour_index(app: &App, key: &crate::model::VfKey) -> usize {
    app.rows.iter().position(|r| &r.key == key).unwrap_or(0)
}

fn chart<'a>(app: &'a App, theme: &'a Theme) -> RateChart<'a> {
    let pf = app.selected.as_ref().map(|k| k.pf.as_str()).unwrap_or("");
    let partitions = app
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| app.selected.is_some() && r.key.pf == pf)
        .map(|(i, r)| ChartPartition {
            name: &r.name,
            colour_index: i,
            colour: r.color.as_deref(),
            rate: r.rate(app.direction),
            measured: r.rates.measured(),
            history: app.histories.get(&r.key),
            selected: app.selected.as_ref() == Some(&r.key),
        })
        .collect();
    let limits = app.selected_row().map(|r| LimitSteps {
        partition: &r.name,
        steps: app.limit_history.get(&r.key).map(Vec::as_slice).unwrap_or_default(),
        current: r.vf.rate,
        effective_cap: r.vf.rate.effective_cap(r.link.unwrap_or_default()),
    });
    let events = match replay_cursor(app) {
        Some(cursor) => app
            .events_in_window()
            .into_iter()
            .filter(|e| e.pf == pf)
            .map(|e| {
                let ago =
                    |at_ms: i64| Duration::from_millis(cursor.at_ms.saturating_sub(at_ms).max(0) as u64);
                match e.span_ms() {
                    Some((start, end)) => EventTick {
                        ago: ago(start),
                        label: match &e.kind {
                            crate::model::event::EventKind::Episode { episode } => {
                                format!("{} {}", e.subject(), episode.kind.label())
                            }
                            _ => e.subject(),
                        },
                        span: Some(ago(start).saturating_sub(ago(end))),
                    },
                    None => EventTick {
                        ago: ago(e.at_ms),
                        label: format!("{} {}", e.subject(), e.label()),
                        span: None,
                    },
                }
            })
            .collect(),
        None => Vec::new(),
    };
    RateChart {
        partitions,
        limits,
        pf,
        link: app.selected_pf().and_then(|p| p.link_speed),
        now: app.snapshot.as_ref().map(|s| s.taken_at).unwrap_or_default(),
        // A replay's right edge is the cursor's time, not "now".
        end_label: replay_cursor(app)
            .map_or_else(|| "now".to_string(), |c| crate::times::format_time_of_day(c.at_ms)),
        window: app.window,
        interval: app.interval,
        direction: app.direction,
        scale: app.scale,
        unit: app.unit,
        focused: app.focus == Focus::Chart,
        events,
        theme,
    }
}

fn contention<'a>(app: &'a App, theme: &'a Theme) -> ContentionPanel<'a> {
    let pf = app.selected.as_ref().and_then(|k| app.contention_of(&k.pf).map(|c| (k.pf.as_str(), c)));
    let partitions = match pf {
        Some((name, _)) => app.rows.iter().enumerate().filter(|(_, r)| r.key.pf == name).collect(),
        None => Vec::new(),
    };
    let placeholder = if app.snapshot.is_some() && app.visible_rows().is_empty() && !app.filter.is_empty() {
        "no partition matches the filter (Esc clears it)"
    } else {
        "no data yet"
    };
    ContentionPanel {
        pf,
        partitions,
        placeholder,
        unit: app.unit,
        focused: app.focus == Focus::Contention,
        theme,
    }
}

fn rate_tree<'a>(app: &'a App, theme: &'a Theme) -> RateTree<'a> {
    let objects = app.snapshot.as_ref().map(|s| s.rate_objects.as_slice()).unwrap_or_default();
    let entries = objects
        .iter()
        .map(|object| TreeEntry {
            object,
            tx: app.rate_object_tx(object),
            drifted: app.drift.contains_key(&Target::Devlink(object.target.clone())),
            cap: app.rate_object_cap(object),
        })
        .collect();
    RateTree {
        objects,
        entries,
        selected: app.tree_selected.as_ref(),
        focused: app.focus == Focus::RateTree,
        unit: app.unit,
        theme,
    }
}

fn detail<'a>(app: &'a App, theme: &'a Theme) -> Detail<'a> {
    let partition = app.selected_row().zip(app.selected_pf());
    let percentiles = |direction| partition.and_then(|(row, _)| app.percentiles(&row.key, direction));
    Detail {
        partition,
        drift: partition.and_then(|(row, _)| app.vf_drift(&row.key)),
        health: partition.and_then(|(row, _)| app.health.get(&row.key)).map_or(&[], Vec::as_slice),
        episodes: partition.and_then(|(row, _)| app.episode_summary(&row.key)),
        percentiles: [percentiles(Direction::Tx), percentiles(Direction::Rx)],
        window: app.window,
        unit: app.unit,
        scroll: app.scroll,
        theme,
    }
}
