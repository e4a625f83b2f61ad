//! The rate editor popup and its confirmation (old → new, effect, equivalent `ip` command).

use super::text::{rate, speed};
use super::theme::Theme;
use crate::app::control::{Editor, Field, Preview, Stage};
use crate::app::state::Level;
use crate::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

/// What the editor popup draws (centred over the area it is given).
pub struct EditorPopup<'a> {
    pub editor: &'a Editor,
    pub theme: &'a Theme,
}

impl Widget for EditorPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (editor, theme) = (self.editor, self.theme);
        let (title, lines) = match &editor.stage {
            Stage::Editing => (" Rate limit ", editing(editor, editor.unit, theme)),
            Stage::Confirming(p) => (" Confirm rate change ", confirming(editor, p, editor.unit, theme)),
        };
        let title = format!("{title}· {} ({}) ", editor.ctx.name, editor.ctx.target.label());
        let widest = lines.iter().map(|l| l.width()).max().unwrap_or(0).max(title.chars().count()) as u16;
        let popup = super::centered(area, (widest + 4).max(76), lines.len() as u16 + 4);
        Clear.render(popup, buf);
        let block = Block::default().borders(Borders::ALL).title(title).border_style(theme.border(true));
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).style(theme.base()).render(popup, buf);
    }
}

fn editing<'a>(editor: &Editor, unit: RateUnit, theme: &Theme) -> Vec<Line<'a>> {
    let ctx = &editor.ctx;
    let (max_label, min_label) = match ctx.target {
        crate::model::Target::Vf(_) => ("max", "min"),
        crate::model::Target::Devlink(_) => ("tx_max", "tx_share"),
    };
    let input = |label: &str, text: &str, active: bool| {
        let style = if active { theme.selected().add_modifier(Modifier::UNDERLINED) } else { theme.base() };
        let cursor = if active { "▏" } else { " " };
        Line::from(vec![
            Span::styled(format!(" {label:<8}"), if active { theme.emphasis() } else { theme.dimmed() }),
            Span::styled(format!(" {text}{cursor:<1}{:<12}", ""), style),
        ])
    };
    let mut lines = vec![
        Line::from(format!(
            " now: min {} max {} · sending {} · link {}",
            limit(ctx.current.min, unit),
            limit(ctx.current.max, unit),
            rate(ctx.tx, unit),
            ctx.link.map(|l| speed(l, unit)).unwrap_or_else(|| "unknown".into())
        )),
        Line::from(""),
        input(max_label, &editor.max_text, editor.field == Field::Max),
        input(min_label, &editor.min_text, editor.field == Field::Min),
        Line::from(""),
    ];
    match &editor.error {
        Some(e) => lines.push(Line::from(Span::styled(format!(" ✗ {e}"), theme.level(Level::Error)))),
        None => lines.push(Line::from(Span::styled(unit_hint(unit), theme.dimmed()))),
    }
    lines.push(Line::from(Span::styled(" Enter preview · Tab max/min · Esc cancel", theme.dimmed())));
    lines
}

/// What the fields are in, and how to say the other unit.
fn unit_hint(unit: RateUnit) -> &'static str {
    match unit {
        RateUnit::Bits => " in bits/s: 500M, 1.5G (62.5MB for bytes); 0 or none = no limit",
        RateUnit::Bytes => " in bytes/s: 62.5MB, 1.25GB (500Mb for bits); 0 or none = no limit",
    }
}

/// A limit in the unit on screen, `none` for no limit.
fn limit(m: crate::model::Mbps, unit: RateUnit) -> String {
    if m.is_unlimited() { "none".into() } else { speed(m, unit) }
}

fn confirming<'a>(editor: &Editor, p: &Preview, unit: RateUnit, theme: &Theme) -> Vec<Line<'a>> {
    let (old, new) = (p.change.old, p.change.new);
    let row = |label: &str, old, new| {
        let style = if old == new { theme.dimmed() } else { theme.emphasis() };
        Line::from(vec![
            Span::raw(format!(" {label:<5}")),
            Span::raw(limit(old, unit)),
            Span::raw(" → "),
            Span::styled(limit(new, unit), style),
        ])
    };
    let mut lines = vec![row("max", old.max, new.max), row("min", old.min, new.min), Line::from("")];
    // Whose traffic it is: a lower cap throttles someone.
    if let Some(owner) = &editor.ctx.owner {
        let tighter =
            new.max != old.max && (old.max.is_unlimited() || (!new.max.is_unlimited() && new.max < old.max));
        let verb = if tighter { "throttles" } else { "changes the limits of" };
        lines.push(Line::from(Span::styled(format!(" {verb} {owner}"), theme.emphasis())));
    }
    // What changes, in words: the cap against what is sent now, the guarantee likewise.
    let tx = editor.ctx.tx;
    if old.max != new.max {
        lines.push(Line::from(match p.throttle_by {
            Some(by) => Span::styled(
                format!(" sending {} now: will throttle by ~{}", rate(tx, unit), rate(by, unit)),
                theme.level(Level::Warn),
            ),
            None => Span::raw(format!(" sending {} now: within the new cap", rate(tx, unit))),
        }));
    }
    if old.min != new.min {
        let text = if new.min.is_unlimited() {
            format!(" sending {} now: no guarantee, only a fair share of what is left", rate(tx, unit))
        } else if tx.0 < new.min.as_bits_per_sec().0 {
            format!(" sending {} now: below the new guarantee (room to grow into it)", rate(tx, unit))
        } else {
            format!(" sending {} now: at or above the new guarantee", rate(tx, unit))
        };
        lines.push(Line::from(text));
    }
    for w in &p.warnings {
        lines.push(Line::from(Span::styled(format!(" ⚠ {w}"), theme.level(Level::Warn))));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(" equivalent command:", theme.dimmed())));
    lines.push(Line::from(format!(" {}", p.command)));
    lines.push(Line::from(""));
    let commit = match editor.confirm_within {
        Some(w) => Span::styled(
            format!(" commit-confirmed: reverts unless confirmed with c within {}s (t disarms)", w.as_secs()),
            theme.level(Level::Warn),
        ),
        None => Span::styled(" commit-confirmed: off (t arms it)", theme.dimmed()),
    };
    lines.push(Line::from(commit));
    let prompt = if !p.warnings.is_empty() && !editor.acknowledged {
        " y acknowledges the warning (then y applies) · Esc back"
    } else {
        " y apply · Esc back"
    };
    lines.push(Line::from(Span::styled(prompt, theme.emphasis())));
    lines
}
