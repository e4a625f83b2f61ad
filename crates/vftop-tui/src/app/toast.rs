//! The status line's messages: a short queue of toasts, each shown until it expires.

use std::collections::VecDeque;
use std::time::Duration;

/// How long a toast stays on the status line.
const LIFETIME: Duration = Duration::from_secs(6);
/// How many toasts are kept (the newest shows).
const KEPT: usize = 4;

/// Severity of a status-line message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Good,
    Warn,
    Error,
}

/// A message on the status line.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub until: Duration,
}

/// The queue of toasts, newest last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Toasts(VecDeque<Toast>);

impl Toasts {
    /// Adds a message shown from `now` for a few seconds (the oldest goes past a few).
    pub fn push(&mut self, level: Level, text: impl Into<String>, now: Duration) {
        self.0.push_back(Toast { level, text: text.into(), until: now + LIFETIME });
        while self.0.len() > KEPT {
            self.0.pop_front();
        }
    }

    /// The message to show at `now`, if any.
    pub fn current(&self, now: Duration) -> Option<&Toast> {
        self.0.iter().rev().find(|t| t.until > now)
    }

    /// Forgets what has expired by `now`.
    pub fn expire(&mut self, now: Duration) {
        self.0.retain(|t| t.until > now);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Toast> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_live_toast_shows_and_old_ones_go() {
        let mut t = Toasts::default();
        let s = Duration::from_secs;
        t.push(Level::Info, "a", s(0));
        t.push(Level::Warn, "b", s(3));
        assert_eq!(t.current(s(4)).unwrap().text, "b");
        assert_eq!(t.current(s(7)).unwrap().text, "b");
        t.expire(s(7));
        assert_eq!(t.len(), 1);
        assert!(t.current(s(9)).is_none());
        for i in 0..10 {
            t.push(Level::Info, i.to_string(), s(10));
        }
        assert_eq!(t.len(), KEPT);
    }
}
