//! The rate editor popup and its confirmation (old → new, effect, equivalent `ip` command).

use super::text::rate;
use super::theme::Theme;
use crate::app::control::{Editor, Field, Preview, Stage};
use crate::app::state::Level;
use crate::metrics::units::RateUnit;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

/// What the editor popup draws (centred over the area it is given).
pub struct EditorPopup<'a> {
    pub editor: &'a Editor,
    pub unit: RateUnit,
    pub theme: &'a Theme,
}

impl Widget for EditorPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (editor, theme) = (self.editor, self.theme);
        let (title, lines) = match &editor.stage {
            Stage::Editing => (" Rate limit ", editing(editor, self.unit, theme)),
            Stage::Confirming(p) => (" Confirm rate change ", confirming(editor, p, self.unit, theme)),
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
            ctx.current.min,
            ctx.current.max,
            rate(ctx.tx, unit),
            ctx.link.map(|l| l.to_string()).unwrap_or_else(|| "unknown".into())
        )),
        Line::from(""),
        input(max_label, &editor.max_text, editor.field == Field::Max),
        input(min_label, &editor.min_text, editor.field == Field::Min),
        Line::from(""),
    ];
    match &editor.error {
        Some(e) => lines.push(Line::from(Span::styled(format!(" ✗ {e}"), theme.level(Level::Error)))),
        None => {
            lines.push(Line::from(Span::styled(" values like 500M, 1.5G; 0 = unlimited", theme.dimmed())))
        }
    }
    lines.push(Line::from(Span::styled(" Enter preview · Tab max/min · Esc cancel", theme.dimmed())));
    lines
}

fn confirming<'a>(editor: &Editor, p: &Preview, unit: RateUnit, theme: &Theme) -> Vec<Line<'a>> {
    let (old, new) = (p.change.old, p.change.new);
    let mut lines = vec![
        Line::from(vec![
            Span::raw(" max  "),
            Span::raw(old.max.to_string()),
            Span::raw(" → "),
            Span::styled(new.max.to_string(), theme.emphasis()),
        ]),
        Line::from(vec![
            Span::raw(" min  "),
            Span::raw(old.min.to_string()),
            Span::raw(" → "),
            Span::styled(new.min.to_string(), theme.emphasis()),
        ]),
        Line::from(""),
    ];
    let effect = match p.throttle_by {
        Some(by) => Span::styled(
            format!(" sending {} now: will throttle by ~{}", rate(editor.ctx.tx, unit), rate(by, unit)),
            theme.level(Level::Warn),
        ),
        None => Span::raw(format!(" sending {} now: within the new cap", rate(editor.ctx.tx, unit))),
    };
    lines.push(Line::from(effect));
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
