//! A replay console's own state: the cursor the replayer reports, the go-to prompt and the
//! events panel; and how the console takes in a window of recorded samples.

use super::action::{Action, Effect, Seek};
use super::state::{App, Level, Overlay, WINDOWS};
use super::timeline::ReplayCursor;
use crate::model::Snapshot;
use crate::model::event::Event;

impl App {
    /// Shows the recorded samples of the window ending at the cursor, in place of what was.
    pub fn show_recorded(&mut self, cursor: ReplayCursor, frames: Vec<Snapshot>) {
        self.snapshot = None;
        self.rows.clear();
        self.histories.clear();
        self.limit_history.clear();
        self.paused = false;
        for frame in frames {
            // The first sample of a recorder's run has no rate: the one before it is from
            // before the restart, across a gap.
            let since = self.snapshot.as_ref().map_or(i64::MIN, |s| s.taken_at.as_millis() as i64);
            let now = frame.taken_at.as_millis() as i64;
            if crate::model::event::recorder_restarted(&cursor.events, since, now) {
                self.snapshot = None;
            }
            self.ingest(frame);
        }
        self.interval = cursor.interval;
        if let Some(w) = cursor.warnings.first() {
            let more = cursor.warnings.len() - 1;
            let text = if more > 0 {
                format!("recording damaged: {w} (+{more} more)")
            } else {
                format!("recording damaged: {w}")
            };
            self.toast(Level::Warn, text);
        }
        if let Some(replay) = self.replay.as_mut() {
            replay.cursor = Some(cursor);
        }
    }

    /// The events on the chart: those of the window ending at the cursor.
    pub fn events_in_window(&self) -> Vec<&Event> {
        let Some(c) = self.replay.as_ref().and_then(|r| r.cursor.as_ref()) else { return Vec::new() };
        let from = c.at_ms - self.window.as_millis() as i64;
        c.events.iter().filter(|e| (from..=c.at_ms).contains(&e.at_ms)).collect()
    }

    /// Replay keys: `None` when the action is not replay's (the main screen takes it).
    pub(super) fn handle_replay(&mut self, action: &Action) -> Option<Option<Effect>> {
        let replay = self.replay.as_ref()?;
        let events = replay.cursor.as_ref().map(|c| c.events.as_slice()).unwrap_or_default();
        match &mut self.overlay {
            Overlay::GoTo(text) => {
                match action {
                    Action::Input(c) if !c.is_control() => text.push(*c),
                    Action::Erase => {
                        text.pop();
                    }
                    Action::ClearField => text.clear(),
                    Action::Submit => {
                        let typed = std::mem::take(text);
                        self.overlay = Overlay::None;
                        return Some(Some(Effect::Seek(Seek::Text(typed))));
                    }
                    Action::Back => self.overlay = Overlay::None,
                    _ => {}
                }
                return Some(None);
            }
            Overlay::Events(selected) => {
                let last = events.len().saturating_sub(1);
                match action {
                    Action::SelectNext => *selected = (*selected + 1).min(last),
                    Action::SelectPrev => *selected = selected.saturating_sub(1),
                    Action::OpenDetail => {
                        // Audit times are whole seconds: the sample that shows the change is
                        // the first one after the second began.
                        let event = events.get(*selected);
                        let at = event.map(|e| e.jump_ms() + 999);
                        // Its partition is selected, so the chart and the table show it.
                        if let Some(key) = event.and_then(Event::key) {
                            self.selected = Some(key);
                            self.follow_top = false;
                        }
                        self.overlay = Overlay::None;
                        return Some(at.map(|at| Effect::Seek(Seek::To(at))));
                    }
                    Action::Back | Action::ShowEvents | Action::ToggleHelp => self.overlay = Overlay::None,
                    _ => {}
                }
                return Some(None);
            }
            _ => {}
        }
        let effect = match action {
            Action::Seek(seek) => Some(Effect::Seek(seek.clone())),
            Action::StartGoTo => {
                self.overlay = Overlay::GoTo(String::new());
                None
            }
            Action::ShowEvents => {
                let at = replay.cursor.as_ref().map_or(i64::MAX, |c| c.at_ms);
                let near = events.partition_point(|e| e.at_ms <= at).saturating_sub(1);
                self.overlay = Overlay::Events(near);
                None
            }
            Action::ZoomIn | Action::ZoomOut => {
                let i = WINDOWS.iter().position(|d| *d == self.window).unwrap_or(1) as isize;
                let delta = if *action == Action::ZoomIn { -1 } else { 1 };
                self.window = WINDOWS[(i + delta).clamp(0, WINDOWS.len() as isize - 1) as usize];
                Some(Effect::Seek(Seek::Window(self.window)))
            }
            Action::TogglePause | Action::SlowerSampling | Action::FasterSampling => {
                self.toast(
                    Level::Info,
                    "a recording does not run: ←/→ step, Shift-←/→ a minute, g go to, L newest",
                );
                None
            }
            _ => return None,
        };
        Some(effect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::EventKind;
    use crate::model::{Counters, Pf, RateLimit, Vf};
    use crate::source::SourceKind;
    use std::time::Duration;

    /// A sample at `secs` with VF 0 sending `mbps` and capped at `max`.
    fn sample(secs: u64, mbps: u64, max: u32) -> Snapshot {
        let vf = Vf {
            index: 0,
            rate: RateLimit::new(0, max),
            counters: Counters { tx_bytes: secs * mbps * 125_000, ..Counters::default() },
            ..Vf::default()
        };
        let pf = Pf {
            name: "pf0".into(),
            num_vfs: 1,
            link_speed: Some(crate::model::Mbps(10_000)),
            vfs: vec![vf],
            ..Pf::default()
        };
        Snapshot { taken_at: Duration::from_secs(secs), pfs: vec![pf], ..Snapshot::default() }
    }

    fn replay_app() -> App {
        let mut app = App::new(SourceKind::Replay, "rec".into(), Default::default(), vec!["dark".into()]);
        app.flow.read_only = Some("replaying a recording".into());
        app.replay = Some(crate::app::timeline::Replay::default());
        app
    }

    fn cursor(at_s: i64, events: Vec<Event>) -> ReplayCursor {
        ReplayCursor {
            at_ms: at_s * 1000,
            first_ms: 0,
            last_ms: 7_200_000,
            interval: Duration::from_secs(1),
            events,
            warnings: vec![],
        }
    }

    #[test]
    fn a_cap_lowered_mid_interval_is_not_shown_as_overrun() {
        let mut app = App::new(SourceKind::Demo, "host".into(), Default::default(), vec!["dark".into()]);
        app.ingest(sample(1, 2000, 2000));
        app.ingest(sample(2, 2000, 2000));
        assert_eq!(app.rows[0].cap_share().map(|s| (s * 100.0).round()), Some(100.0));
        // The cap drops to 500M: the interval's 2 Gb/s went through under the old cap.
        app.ingest(sample(3, 2000, 500));
        assert_eq!(app.rows[0].limit_before, Some(RateLimit::new(0, 2000)));
        assert_eq!(app.rows[0].cap_share().map(|s| (s * 100.0).round()), Some(100.0), "not 400%");
        app.ingest(sample(4, 2000, 500));
        assert_eq!(app.rows[0].limit_before, None, "a whole interval under the new cap");
        assert_eq!(app.rows[0].cap_share().map(|s| (s * 100.0).round()), Some(400.0));
    }

    #[test]
    fn a_window_of_recorded_samples_replaces_the_last_one_without_drift_warnings() {
        let mut app = replay_app();
        app.show_recorded(
            cursor(60, vec![]),
            (0..=60).map(|s| sample(s, 100, if s < 30 { 0 } else { 500 })).collect(),
        );
        assert_eq!(app.rows[0].rates.tx.as_mbps_f64().round(), 100.0);
        assert!(app.toasts.is_empty(), "a recorded limit change is an event, not drift: {:?}", app.toasts);
        assert!(app.take_effects().is_empty(), "nothing audited from a replay");
        let key = app.rows[0].key.clone();
        app.show_recorded(cursor(3600, vec![]), (3540..=3600).map(|s| sample(s, 300, 500)).collect());
        let p = app.percentiles(&key, crate::metrics::history::Direction::Tx).unwrap();
        assert!(
            (p.p50.as_mbps_f64() - 300.0).abs() < 5.0,
            "percentiles are of the window at the cursor: {p:?}"
        );
    }

    #[test]
    fn time_keys_become_seeks_and_nothing_can_be_changed() {
        let mut app = replay_app();
        let event = |at_ms| Event {
            at_ms,
            pf: "pf0".into(),
            vf: Some(0),
            partition: None,
            kind: EventKind::Appeared,
        };
        app.show_recorded(
            cursor(60, vec![event(10_000), event(50_000)]),
            (0..=60).map(|s| sample(s, 100, 0)).collect(),
        );
        assert_eq!(app.handle(Action::Seek(Seek::Samples(-1))), Some(Effect::Seek(Seek::Samples(-1))));
        assert_eq!(app.handle(Action::ZoomOut), Some(Effect::Seek(Seek::Window(WINDOWS[2]))));
        assert_eq!(app.handle(Action::StartGoTo), None);
        for c in "20m ago".chars() {
            assert_eq!(app.handle(Action::Input(c)), None);
        }
        assert_eq!(app.handle(Action::Submit), Some(Effect::Seek(Seek::Text("20m ago".into()))));
        // The events panel opens on the last event before the cursor; Enter goes there.
        app.handle(Action::ShowEvents);
        assert_eq!(app.overlay, Overlay::Events(1));
        app.handle(Action::SelectPrev);
        assert_eq!(app.handle(Action::OpenDetail), Some(Effect::Seek(Seek::To(10_999))));
        assert_eq!(app.overlay, Overlay::None);
        assert_eq!(app.events_in_window().len(), 2);
        // Editing and stepping a limit explain instead of acting.
        for action in [Action::EditRate, Action::RaiseMax, Action::Undo] {
            assert!(!matches!(app.handle(action), Some(Effect::Apply(_))));
        }
        assert!(app.editor().is_none());
    }
}
