//! A report as plain text for a terminal or a ticket, or as Markdown for a post-mortem.

use super::{Comparison, Report};
use crate::model::episode::Episode;
use crate::times::{format_ms, format_span_ms, format_time_of_day};
use crate::units::{RateUnit, format_rate};
use std::fmt::Write as _;

/// Plain text or Markdown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Text,
    Markdown,
}

fn heading(out: &mut String, style: Style, level: usize, text: &str) {
    match style {
        Style::Text => {
            let _ = writeln!(out, "{text}");
        }
        Style::Markdown => {
            let _ = writeln!(out, "{} {text}\n", "#".repeat(level));
        }
    }
}

fn item(out: &mut String, style: Style, indent: usize, text: &str) {
    let bullet = if style == Style::Markdown { "- " } else { "" };
    let pad = match style {
        Style::Text => "  ".repeat(indent + 1),
        Style::Markdown => "  ".repeat(indent),
    };
    let _ = writeln!(out, "{pad}{bullet}{text}");
}

/// One episode: who, what, when, how bad.
pub fn episode_line(e: &Episode, now_ms: i64) -> String {
    let end = e.end_ms.map_or("still going".to_string(), format_time_of_day);
    format!("{} {}, {} → {end}", e.subject(), e.summary(now_ms), format_time_of_day(e.start_ms))
}

/// Its context: whose, who took the link, what changed.
pub fn context_lines(e: &Episode) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(owner) = &e.owner {
        out.push(format!("owner: {owner}"));
    }
    if !e.top.is_empty() {
        let top: Vec<String> = e.top.iter().map(|(n, s)| format!("{n} {:.0}%", s * 100.0)).collect();
        out.push(format!("took the link: {}", top.join(", ")));
    }
    for (at, change) in &e.changes {
        out.push(format!("change at {}: {change}", format_time_of_day(*at)));
    }
    out
}

/// The report in `style`.
pub fn write(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let title = format!(
        "vftop report: {} → {} ({} samples)",
        format_ms(report.from_ms.max(first_point(report))),
        format_ms(report.to_ms.min(last_point(report))),
        report.samples
    );
    heading(&mut out, style, 1, &title);
    if style == Style::Text {
        out.push('\n');
    }
    heading(&mut out, style, 2, &format!("Episodes ({}, worst first)", report.episodes.len()));
    if report.episodes.is_empty() {
        item(&mut out, style, 0, "none: no partition starved or pinned, no link saturated or down");
    }
    let end = last_point(report);
    for (i, e) in report.episodes.iter().enumerate() {
        // A numbered list: Markdown's own, its context nested under each number.
        let number = format!("{}. {}", i + 1, episode_line(e, end));
        match style {
            Style::Text => item(&mut out, style, 0, &number),
            Style::Markdown => {
                let _ = writeln!(out, "{number}");
            }
        }
        for line in context_lines(e) {
            match style {
                Style::Text => item(&mut out, style, 1, &line),
                Style::Markdown => {
                    let _ = writeln!(out, "   - {line}");
                }
            }
        }
    }
    out.push('\n');
    heading(&mut out, style, 2, &format!("Changes ({})", report.changes.len()));
    if report.changes.is_empty() {
        item(&mut out, style, 0, "no limit changed");
    }
    for c in &report.changes {
        item(&mut out, style, 0, &format!("{} {}: {}", format_time_of_day(c.at_ms), c.subject(), c.label()));
    }
    out.push('\n');
    heading(&mut out, style, 2, "Links");
    for pf in &report.pfs {
        let link = pf.link_mbps.map_or("unknown speed".into(), |l| crate::units::Mbps(l).to_string());
        item(
            &mut out,
            style,
            0,
            &format!(
                "{} ({link}): peak {:.0}% of the link, saturated {}, {:.0} packets dropped",
                pf.name,
                pf.peak_use * 100.0,
                format_span_ms(pf.saturated_ms),
                pf.dropped_packets
            ),
        );
    }
    for w in &report.warnings {
        item(&mut out, style, 0, &format!("warning: {w}"));
    }
    out
}

use super::{text_first as first_point, text_last as last_point};

/// Two windows side by side.
pub fn write_comparison(c: &Comparison, style: Style) -> String {
    let mut out = String::new();
    let window = |w: (i64, i64)| format!("{} → {}", format_ms(w.0), format_time_of_day(w.1));
    heading(&mut out, style, 1, &format!("vftop report: {} against {}", window(c.first), window(c.second)));
    let rate = |b: f64| format_rate(crate::model::BitsPerSec(b), RateUnit::Bits);
    let header = [
        "partition",
        "tx (1st)",
        "tx (2nd)",
        "change",
        "share (1st)",
        "share (2nd)",
        "drops/s (1st)",
        "drops/s (2nd)",
    ];
    let rows: Vec<[String; 8]> = c
        .rows
        .iter()
        .map(|r| {
            let change = if r.tx_bps.0 > 0.0 {
                format!("{:+.0}%", (r.tx_bps.1 - r.tx_bps.0) / r.tx_bps.0 * 100.0)
            } else {
                "-".into()
            };
            [
                format!("{} ({} vf {})", r.name, r.pf, r.vf),
                rate(r.tx_bps.0),
                rate(r.tx_bps.1),
                change,
                format!("{:.0}%", r.share.0 * 100.0),
                format!("{:.0}%", r.share.1 * 100.0),
                format!("{:.1}", r.drops_per_sec.0),
                format!("{:.1}", r.drops_per_sec.1),
            ]
        })
        .collect();
    match style {
        Style::Markdown => {
            let _ = writeln!(out, "| {} |", header.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
            for r in &rows {
                let _ = writeln!(out, "| {} |", r.join(" | "));
            }
        }
        Style::Text => {
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ")
            };
            let _ = writeln!(out, "{}", line(header.to_vec()));
            for r in &rows {
                let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
            }
        }
    }
    out
}
