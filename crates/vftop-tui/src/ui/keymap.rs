//! Key bindings: key events to actions, per input mode, and the list the help overlay shows.

use crate::app::control::Stage;
use crate::app::state::Overlay;
use crate::app::{Action, App, Focus, Seek};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;

/// What keys mean depends on what is on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    Normal,
    Help,
    Audit,
    Editing,
    Confirming,
    /// Typing a `/` filter.
    Filtering,
    /// A replay console's main screen: the time keys added.
    Replay,
    /// Replay: typing a time to go to (`g`).
    GoTo,
    /// Replay: the events panel (`E`).
    Events,
    /// Asked on `q` with a change awaiting confirmation.
    QuitPrompt,
    /// The terminal is too small to draw anything: only quitting works.
    TooSmall,
}

impl InputMode {
    pub fn of(app: &App) -> InputMode {
        match &app.overlay {
            Overlay::QuitPrompt => InputMode::QuitPrompt,
            _ if app.too_small() => InputMode::TooSmall,
            Overlay::Editor(e) if matches!(e.stage, Stage::Confirming(_)) => InputMode::Confirming,
            Overlay::Editor(_) => InputMode::Editing,
            Overlay::Help => InputMode::Help,
            Overlay::Audit(_) => InputMode::Audit,
            Overlay::Filter => InputMode::Filtering,
            Overlay::GoTo(_) => InputMode::GoTo,
            Overlay::Events(_) => InputMode::Events,
            Overlay::None if app.replay.is_some() => InputMode::Replay,
            Overlay::None => InputMode::Normal,
        }
    }
}

/// Every binding of the main screen: (keys, what they do). The help overlay and README list these.
pub const BINDINGS: &[(&str, &str)] = &[
    ("↑/↓  j/k", "select partition (contention focused: PF; rate tree focused: group/leaf)"),
    ("PgUp/PgDn", "a page up / down"),
    ("Home/End", "first / last partition"),
    ("Tab/S-Tab", "focus next / previous panel"),
    ("/", "filter rows: name, PF, MAC, VLAN, VF (Esc clears)"),
    ("Enter", "detail view of the selected partition"),
    ("Esc", "back / cancel"),
    ("e", "edit rate limit (max, min) of the selection"),
    ("] / [", "raise / lower max by a step (default 10% of link speed)"),
    ("} / {", "raise / lower min by a step"),
    ("u", "undo the last rate change"),
    ("y", "apply (in the confirmation; t there arms commit-confirmed)"),
    ("c", "confirm a commit-confirmed change before it reverts"),
    ("a", "audit log of rate changes"),
    ("p", "pause / resume sampling"),
    ("< / >", "sample faster / slower"),
    ("+ / -", "zoom chart in / out (30 s … 1 h)"),
    ("r", "chart: show rx instead of tx"),
    ("g", "chart scale: link / cap / auto"),
    ("b", "bits ↔ bytes"),
    ("s / S", "sort: vf, name, tx, rx, % of cap, drops, worst first / reverse"),
    ("t", "next theme"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
    ("mouse", "click a row: select it; click a panel: focus it; wheel: move (--no-mouse)"),
];

/// What keys mean in a replay console, besides the main screen's (help and README).
pub const REPLAY_BINDINGS: &[(&str, &str)] = &[
    ("← / →", "one sample back / on"),
    ("S-← / S-→", "one minute back / on"),
    ("g", "go to a time: 03:00, \"2026-11-25 03:00\", 20m ago, RFC 3339"),
    ("L", "the newest sample (follows a recording still being written)"),
    ("E", "events: rate changes, outside changes, VFs coming and going; Enter jumps"),
];

/// Main-screen actions a config can put on another key: `[keys] edit = "E"`.
pub const NAMED: &[(&str, Action)] = &[
    ("edit", Action::EditRate),
    ("raise_max", Action::RaiseMax),
    ("lower_max", Action::LowerMax),
    ("raise_min", Action::RaiseMin),
    ("lower_min", Action::LowerMin),
    ("undo", Action::Undo),
    ("confirm", Action::ConfirmChange),
    ("audit", Action::ShowAudit),
    ("pause", Action::TogglePause),
    ("faster", Action::FasterSampling),
    ("slower", Action::SlowerSampling),
    ("theme", Action::NextTheme),
    ("units", Action::ToggleUnits),
    ("direction", Action::ToggleDirection),
    ("sort", Action::CycleSort),
    ("reverse_sort", Action::ReverseSort),
    ("zoom_in", Action::ZoomIn),
    ("zoom_out", Action::ZoomOut),
    ("scale", Action::CycleScale),
    ("help", Action::ToggleHelp),
    ("filter", Action::StartFilter),
    ("down", Action::SelectNext),
    ("up", Action::SelectPrev),
    ("detail", Action::OpenDetail),
    ("quit", Action::Quit),
];

/// The built-in bindings plus the config's `[keys]`: a key given there means its action on the
/// main screen (and in a replay), whatever it meant before.
/// Why a `[keys]` binding is refused (the message names the setting).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeyError {
    #[error("[keys] {}: no such action; use one of {}", .0, action_names())]
    NoSuchAction(String),
    #[error("[keys] {name} = \"{key}\": a key is one character")]
    NotOneCharacter { name: String, key: String },
    /// A key the main screen already gives to `taken`.
    #[error("[keys] {name} = \"{key}\": '{key}' already means {taken}; pick a free key")]
    Taken { name: String, key: char, taken: &'static str },
    #[error("[keys] '{key}' is bound twice (also to {other:?})")]
    BoundTwice { key: char, other: Action },
}

/// The actions `[keys]` can bind, as it names them.
fn action_names() -> String {
    NAMED.iter().map(|(n, _)| *n).collect::<Vec<&str>>().join(", ")
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyMap {
    custom: std::collections::HashMap<char, Action>,
}

impl KeyMap {
    /// From `[keys]` (action name → one character); an unknown action or a key that is not one
    /// character is an error saying which.
    pub fn from_config(keys: &std::collections::BTreeMap<String, String>) -> Result<KeyMap, KeyError> {
        let mut custom = std::collections::HashMap::new();
        for (name, key) in keys {
            let action = NAMED
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| a.clone())
                .ok_or_else(|| KeyError::NoSuchAction(name.clone()))?;
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(KeyError::NotOneCharacter { name: name.clone(), key: key.clone() });
            };
            // A key the main screen already uses for something else would lose that (q would
            // no longer quit): refused, unless it is that action's own key.
            if let Some(builtin) = normal(KeyCode::Char(c)).filter(|b| *b != action) {
                let taken = NAMED.iter().find(|(_, a)| *a == builtin).map_or("another action", |(n, _)| n);
                return Err(KeyError::Taken { name: name.clone(), key: c, taken });
            }
            if let Some(other) = custom.insert(c, action) {
                return Err(KeyError::BoundTwice { key: c, other });
            }
        }
        Ok(KeyMap { custom })
    }

    /// What `key` means in `mode`, custom keys first.
    pub fn action(&self, key: KeyEvent, mode: InputMode) -> Option<Action> {
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL) && key.kind != KeyEventKind::Release;
        if let (true, true, KeyCode::Char(c)) =
            (plain, matches!(mode, InputMode::Normal | InputMode::Replay), key.code)
            && let Some(action) = self.custom.get(&c)
        {
            return Some(action.clone());
        }
        action_for(key, mode)
    }
}

/// The action a key means in `mode`, if any.
pub fn action_for(key: KeyEvent, mode: InputMode) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match mode {
        InputMode::Normal => normal(key.code),
        InputMode::TooSmall => (key.code == KeyCode::Char('q')).then_some(Action::Quit),
        InputMode::QuitPrompt => match key.code {
            KeyCode::Char('q') | KeyCode::Char('Q') => Some(Action::Quit),
            KeyCode::Char('c') | KeyCode::Char('C') => Some(Action::ConfirmChange),
            KeyCode::Esc | KeyCode::Char('n') => Some(Action::Back),
            _ => None,
        },
        InputMode::Help | InputMode::Audit => match key.code {
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Char('q') => Some(Action::ToggleHelp),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::SelectNext),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::SelectPrev),
            KeyCode::PageDown => Some(Action::PageDown),
            KeyCode::PageUp => Some(Action::PageUp),
            KeyCode::Home => Some(Action::SelectFirst),
            KeyCode::End => Some(Action::SelectLast),
            _ => None,
        },
        InputMode::Replay => replay(key),
        InputMode::Events => match key.code {
            KeyCode::Down | KeyCode::Char('j') => Some(Action::SelectNext),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::SelectPrev),
            KeyCode::Enter => Some(Action::OpenDetail),
            KeyCode::Esc | KeyCode::Char('E') | KeyCode::Char('q') => Some(Action::Back),
            _ => None,
        },
        InputMode::Filtering | InputMode::GoTo => match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::ClearField),
            KeyCode::Char(c) => Some(Action::Input(c)),
            KeyCode::Backspace | KeyCode::Delete => Some(Action::Erase),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Back),
            _ => None,
        },
        InputMode::Editing => match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::ClearField),
            KeyCode::Char(c) => Some(Action::Input(c)),
            KeyCode::Backspace | KeyCode::Delete => Some(Action::Erase),
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => Some(Action::NextField),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Back),
            _ => None,
        },
        InputMode::Confirming => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Confirm),
            KeyCode::Char('t') => Some(Action::ToggleCommitConfirmed),
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => Some(Action::Back),
            _ => None,
        },
    }
}

/// What a mouse event means on the main screen: a click selects a row or focuses a panel,
/// the wheel moves the selection (in the focused panel).
pub fn mouse_action(event: MouseEvent, panels: &crate::ui::Panels, mode: InputMode) -> Option<Action> {
    if !matches!(mode, InputMode::Normal | InputMode::Replay) {
        return None;
    }
    let at = Position { x: event.column, y: event.row };
    match event.kind {
        MouseEventKind::ScrollDown => Some(Action::SelectNext),
        MouseEventKind::ScrollUp => Some(Action::SelectPrev),
        MouseEventKind::Down(MouseButton::Left) => {
            let t = panels.table;
            if t.contains(at) {
                // Rows start under the border and the header, and end above the border.
                let row = at.y.checked_sub(t.y + 2).filter(|_| at.y + 1 < t.bottom());
                return Some(match row {
                    Some(row) => Action::ClickRow(panels.table_first_row + usize::from(row)),
                    None => Action::FocusPanel(Focus::Table),
                });
            }
            let focus = if panels.chart.contains(at) {
                Focus::Chart
            } else if panels.contention.contains(at) {
                Focus::Contention
            } else if panels.rate_tree.is_some_and(|r| r.contains(at)) {
                Focus::RateTree
            } else {
                return None;
            };
            Some(Action::FocusPanel(focus))
        }
        _ => None,
    }
}

/// Replay's time keys over the main screen's (`g` goes to a time there, not the chart scale).
fn replay(key: KeyEvent) -> Option<Action> {
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    Some(match key.code {
        KeyCode::Left if shift => Action::Seek(Seek::Millis(-MINUTE_MS)),
        KeyCode::Right if shift => Action::Seek(Seek::Millis(MINUTE_MS)),
        KeyCode::Left => Action::Seek(Seek::Samples(-1)),
        KeyCode::Right => Action::Seek(Seek::Samples(1)),
        KeyCode::Char('g') => Action::StartGoTo,
        KeyCode::Char('L') => Action::Seek(Seek::Newest),
        KeyCode::Char('E') => Action::ShowEvents,
        code => return normal(code),
    })
}

const MINUTE_MS: i64 = 60_000;

fn normal(code: KeyCode) -> Option<Action> {
    Some(match code {
        KeyCode::Down | KeyCode::Char('j') => Action::SelectNext,
        KeyCode::Up | KeyCode::Char('k') => Action::SelectPrev,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::BackTab => Action::FocusPrev,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Home => Action::SelectFirst,
        KeyCode::End => Action::SelectLast,
        KeyCode::Enter => Action::OpenDetail,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('<') => Action::FasterSampling,
        KeyCode::Char('>') => Action::SlowerSampling,
        KeyCode::Char('t') => Action::NextTheme,
        KeyCode::Char('b') => Action::ToggleUnits,
        KeyCode::Char('r') => Action::ToggleDirection,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('S') => Action::ReverseSort,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::ZoomIn,
        KeyCode::Char('-') => Action::ZoomOut,
        KeyCode::Char('g') => Action::CycleScale,
        KeyCode::Char('c') => Action::ConfirmChange,
        KeyCode::Char('a') => Action::ShowAudit,
        KeyCode::Char('}') => Action::RaiseMin,
        KeyCode::Char('{') => Action::LowerMin,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('e') => Action::EditRate,
        KeyCode::Char(']') => Action::RaiseMax,
        KeyCode::Char('[') => Action::LowerMax,
        KeyCode::Char('u') => Action::Undo,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn config_keys_take_over_their_character() {
        let keys: std::collections::BTreeMap<String, String> =
            [("edit".to_string(), "E".to_string()), ("quit".to_string(), "x".to_string())].into();
        let map = KeyMap::from_config(&keys).unwrap();
        assert_eq!(map.action(key(KeyCode::Char('E')), InputMode::Normal), Some(Action::EditRate));
        assert_eq!(map.action(key(KeyCode::Char('x')), InputMode::Normal), Some(Action::Quit));
        assert_eq!(
            map.action(key(KeyCode::Char('e')), InputMode::Normal),
            Some(Action::EditRate),
            "defaults stay"
        );
        assert_eq!(
            map.action(key(KeyCode::Char('x')), InputMode::Editing),
            Some(Action::Input('x')),
            "typing is typing"
        );
        let bad = [("edti".to_string(), "E".to_string())].into();
        assert!(KeyMap::from_config(&bad).unwrap_err().to_string().contains("no such action"));
        let bad = [("edit".to_string(), "Ctrl-E".to_string())].into();
        assert!(KeyMap::from_config(&bad).unwrap_err().to_string().contains("one character"));
    }

    #[test]
    fn main_screen_keys() {
        let cases = [
            (KeyCode::Char('j'), Action::SelectNext),
            (KeyCode::Down, Action::SelectNext),
            (KeyCode::Char('k'), Action::SelectPrev),
            (KeyCode::Up, Action::SelectPrev),
            (KeyCode::Enter, Action::OpenDetail),
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Char('e'), Action::EditRate),
            (KeyCode::Char(']'), Action::RaiseMax),
            (KeyCode::Char('['), Action::LowerMax),
            (KeyCode::Char('<'), Action::FasterSampling),
            (KeyCode::Char('>'), Action::SlowerSampling),
            (KeyCode::Char('+'), Action::ZoomIn),
            (KeyCode::Char('-'), Action::ZoomOut),
            (KeyCode::Char('?'), Action::ToggleHelp),
            (KeyCode::Char('}'), Action::RaiseMin),
            (KeyCode::Char('{'), Action::LowerMin),
            (KeyCode::Char('c'), Action::ConfirmChange),
            (KeyCode::Char('a'), Action::ShowAudit),
            (KeyCode::Char('g'), Action::CycleScale),
        ];
        for (code, want) in cases {
            assert_eq!(action_for(key(code), InputMode::Normal), Some(want), "{code:?}");
        }
        assert_eq!(action_for(key(KeyCode::Char('x')), InputMode::Normal), None);
    }

    #[test]
    fn editor_takes_text_and_confirm_takes_y() {
        assert_eq!(action_for(key(KeyCode::Char('q')), InputMode::Editing), Some(Action::Input('q')));
        assert_eq!(action_for(key(KeyCode::Tab), InputMode::Editing), Some(Action::NextField));
        assert_eq!(action_for(key(KeyCode::Enter), InputMode::Editing), Some(Action::Submit));
        assert_eq!(action_for(key(KeyCode::Char('y')), InputMode::Confirming), Some(Action::Confirm));
        assert_eq!(action_for(key(KeyCode::Char('e')), InputMode::Confirming), None);
        assert_eq!(
            action_for(key(KeyCode::Char('j')), InputMode::Help),
            Some(Action::SelectNext),
            "help scrolls"
        );
        assert_eq!(action_for(key(KeyCode::Char('e')), InputMode::Help), None);
    }

    #[test]
    fn ctrl_c_quits_everywhere_and_releases_are_ignored() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for mode in [InputMode::Normal, InputMode::Help, InputMode::Editing, InputMode::Confirming] {
            assert_eq!(action_for(ctrl_c, mode), Some(Action::Quit));
        }
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(release, InputMode::Normal), None);
    }
}

#[cfg(test)]
mod readme {
    /// Every key of the help overlay is documented in the README's keys table.
    #[test]
    fn readme_lists_every_binding() {
        let readme = include_str!("../../../../README.md");
        let table: String = readme.lines().filter(|l| l.starts_with("| `")).collect::<Vec<_>>().join("\n");
        for (keys, _) in super::BINDINGS.iter().chain(super::REPLAY_BINDINGS) {
            for key in keys.split_whitespace().filter(|k| *k != "/") {
                for part in key.split('/') {
                    assert!(table.contains(part), "README keys table lacks {part}");
                }
            }
        }
    }
}
