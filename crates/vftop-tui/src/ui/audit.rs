//! The audit view (`a`): the latest attempted rate changes, newest first.

use super::text::limits;
use super::theme::Theme;
use crate::app::state::Level;
use crate::audit::{AuditRecord, Outcome};
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// What the audit popup draws: the log's lines as read, oldest first.
pub struct AuditLog<'a> {
    pub lines: &'a [String],
    /// Limits in the unit the rest of the screen uses.
    pub unit: RateUnit,
    pub theme: &'a Theme,
}

impl Widget for AuditLog<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (lines, theme, unit) = (self.lines, self.theme, self.unit);
        let title = format!(" Audit log · {} entries · newest first · Esc closes ", lines.len());
        let body = |rows| lines.iter().rev().take(rows).map(|l| entry(l, unit, theme)).collect();
        super::list_popup(buf, area, title, body, "no rate changes recorded yet", theme);
    }
}

/// One record as a line: time, who, what (old → new, as the table writes limits), outcome.
fn entry<'a>(line: &str, unit: RateUnit, theme: &Theme) -> Line<'a> {
    let Some(r) = AuditRecord::parse(line) else {
        return Line::from(Span::styled(format!("(unreadable) {line}"), theme.level(Level::Error)));
    };
    let (outcome, level) = match r.outcome {
        Outcome::Applied => ("applied".to_string(), Level::Good),
        Outcome::Refused => {
            (format!("refused: {}", r.message.as_deref().unwrap_or("no reason given")), Level::Error)
        }
        Outcome::External => (format!("changed outside vftop (seen by {})", r.user), Level::Warn),
    };
    let what = match r.vf {
        Some(vf) => format!("{} vf {vf}", r.pf),
        None => r.target.clone(),
    };
    let mut spans = vec![
        Span::styled(format!("{} ", r.time), theme.dimmed()),
        Span::raw(format!("{:<16} {what} {:<12} ", r.who(), r.partition)),
        Span::raw(format!("{} → {} ", limits(r.old.into(), unit), limits(r.new.into(), unit))),
        Span::styled(outcome, theme.level(level)),
    ];
    if r.outcome != Outcome::External {
        spans.push(Span::styled(format!("  [{}]", r.reason), theme.dimmed()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Attempt, Reason, record};
    use crate::model::{RateChange, RateLimit, VfKey};

    /// `outcome` has the type of `Attempt::outcome` (the record's words, kept a `String`).
    fn line(reason: Reason, outcome: Result<RateLimit, String>) -> String {
        let change = RateChange::vf(
            VfKey { pf: "ens1f0".into(), vf: 1 },
            RateLimit::new(0, 2000),
            RateLimit::new(8000, 0),
        );
        let attempt =
            Attempt { change: &change, partition: "Backup", reason, outcome, confirm_within_secs: None };
        let actor = Actor { user: "root".into(), sudo_user: None, host: "h".into() };
        serde_json::to_string(&record(&actor, std::time::UNIX_EPOCH, &attempt)).unwrap()
    }

    #[test]
    fn an_outside_change_is_nobody_known_and_limits_read_as_the_table_writes_them() {
        let theme = crate::ui::testing::theme();
        let text = |l: &str, unit| entry(l, unit, &theme).to_string();
        let outside = text(&line(Reason::External, Ok(RateLimit::new(8000, 0))), RateUnit::Bits);
        assert!(outside.contains("outside vftop"), "{outside}");
        assert!(outside.contains("-/2G → 8G/-"), "{outside}");
        assert!(outside.contains("changed outside vftop (seen by root)"), "{outside}");
        assert!(!outside.contains("null") && !outside.contains("[external]"), "{outside}");
        let refused = text(&line(Reason::Operator, Err("EINVAL".into())), RateUnit::Bytes);
        assert!(refused.contains("-/250MB → 1GB/-") && refused.contains("refused: EINVAL"), "{refused}");
        assert!(refused.contains("root") && refused.contains("[operator]"), "{refused}");
    }
}
