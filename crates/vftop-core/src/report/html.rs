//! A report as one self-contained HTML page (inline CSS and SVG: no network, no assets) and
//! each episode's chart as an SVG file: the partitions involved around it, their caps (dashed)
//! and guarantees (dotted) as steps, the limit changes as markers, the episode's span shaded.

use super::text::{context_lines, episode_line};
use super::{Point, Report, Series};
use crate::model::episode::Episode;
use crate::times::{format_ms, format_time_of_day};
use std::fmt::Write as _;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 36.0;
/// Partition colours, in the order they are drawn.
const COLOURS: [&str; 6] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
/// The shaded span of the episode.
const SPAN_FILL: &str = "#fde0dc";

/// Episodes that get a chart, worst first: a day of a busy host has thousands, and a page of
/// thousands of charts is read by nobody (the others are listed, one line each).
pub const CHARTED: usize = 40;

/// How to chart an episode beyond the first [`CHARTED`].
pub fn uncharted_hint() -> String {
    format!(
        "Charts are drawn for the {CHARTED} worst; for another's, report on a window around it \
         (--from/--to, --pf/--vf)."
    )
}

/// Text made safe inside HTML and SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The series drawn for an episode: its VF's, then the partitions that took the link, on its PF.
fn involved<'a>(report: &'a Report, e: &Episode) -> Vec<&'a Series> {
    let on_pf: Vec<&Series> = report.series.iter().filter(|s| s.pf == e.pf).collect();
    let mut out: Vec<&Series> = on_pf.iter().filter(|s| Some(s.vf) == e.vf).copied().collect();
    for (name, _) in &e.top {
        if let Some(s) = on_pf.iter().find(|s| &s.name == name && !out.iter().any(|o| o.vf == s.vf)) {
            out.push(s);
        }
    }
    out.truncate(COLOURS.len());
    out
}

/// One episode's chart as an SVG document.
pub fn episode_svg(report: &Report, e: &Episode) -> String {
    let end = e.end_ms.unwrap_or(report.to_ms.min(super::text_last(report)));
    let pad = ((end - e.start_ms) / 4).max(30_000);
    let (t0, t1) = (e.start_ms - pad, end + pad);
    let series = involved(report, e);
    let in_view = |p: &&Point| p.at_ms >= t0 && p.at_ms <= t1;
    let peak = series
        .iter()
        .flat_map(|s| {
            s.points.iter().filter(in_view).map(|p| p.tx_bps.max(f64::from(p.max_mbps.max(p.min_mbps)) * 1e6))
        })
        .fold(1e6, f64::max)
        * 1.1;
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0).max(1) as f64 * (WIDTH - LEFT - RIGHT);
    let y = |bps: f64| TOP + (1.0 - bps / peak) * (HEIGHT - TOP - BOTTOM);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(svg, r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##);
    let _ = write!(
        svg,
        r#"<rect class="span" x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="{SPAN_FILL}"/>"#,
        x(e.start_ms),
        (x(end) - x(e.start_ms)).max(1.0),
        HEIGHT - TOP - BOTTOM
    );
    // Axes and labels: rates in Gbit/s on the left, times below.
    for i in 0..=4 {
        let v = peak * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{:.1} G</text>"##,
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0,
            v / 1e9
        );
    }
    for i in 0..=4 {
        let t = t0 + (t1 - t0) * i / 4;
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x(t),
            HEIGHT - BOTTOM + 16.0,
            format_time_of_day(t)
        );
    }
    // Each change a dashed line, its label on a row of its own (they often come together).
    for (row, (at, label)) in e.changes.iter().filter(|(at, _)| (t0..=t1).contains(at)).enumerate() {
        let anchor = if x(*at) > WIDTH / 2.0 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        let _ = write!(
            svg,
            r##"<line class="change" x1="{0:.1}" x2="{0:.1}" y1="{TOP}" y2="{1:.1}" stroke="#555" stroke-dasharray="4 3"/><text x="{2:.1}" y="{3:.1}" text-anchor="{anchor}" fill="#333">{4}</text>"##,
            x(*at),
            HEIGHT - BOTTOM,
            x(*at) + dx,
            TOP + 12.0 + 12.0 * row as f64,
            escape(label)
        );
    }
    for (s, colour) in series.iter().zip(COLOURS) {
        let points: Vec<&Point> = s.points.iter().filter(in_view).collect();
        let line: Vec<String> =
            points.iter().map(|p| format!("{:.1},{:.1}", x(p.at_ms), y(p.tx_bps))).collect();
        let _ = write!(
            svg,
            r#"<polyline class="rate" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            line.join(" ")
        );
        // Its cap (dashed) and guarantee (dotted), as steps where it has them.
        for (class, dash, limit) in [
            ("cap", "6 3", (|p: &Point| p.max_mbps) as fn(&Point) -> u32),
            ("guarantee", "1 3", |p: &Point| p.min_mbps),
        ] {
            let steps: Vec<String> = points
                .windows(2)
                .filter(|pair| limit(pair[0]) > 0)
                .map(|pair| {
                    let level = y(f64::from(limit(pair[0])) * 1e6);
                    format!("M{:.1},{level:.1}H{:.1}", x(pair[0].at_ms), x(pair[1].at_ms))
                })
                .collect();
            if !steps.is_empty() {
                let _ = write!(
                    svg,
                    r#"<path class="{class}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}" d="{}"/>"#,
                    steps.join("")
                );
            }
        }
    }
    // The legend, top left inside the plot.
    for (i, (s, colour)) in series.iter().zip(COLOURS).enumerate() {
        let lx = LEFT + 8.0 + i as f64 * 140.0;
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="4" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="13">{}</text>"#,
            lx + 14.0,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The whole report as one HTML page.
pub fn page(report: &Report) -> String {
    let end = super::text_last(report);
    let mut body = String::new();
    let title = format!(
        "vftop report: {} → {}",
        format_ms(report.from_ms.max(super::text_first(report))),
        format_ms(report.to_ms.min(end))
    );
    let _ = write!(body, "<h1>{}</h1><p class=\"meta\">{} samples</p>", escape(&title), report.samples);
    let _ = write!(body, "<h2>Episodes ({}, worst first)</h2>", report.episodes.len());
    if report.episodes.is_empty() {
        body.push_str("<p>None: no partition starved or pinned, no link saturated or down.</p>");
    }
    for (i, e) in report.episodes.iter().enumerate().take(CHARTED) {
        let _ = write!(
            body,
            "<section class=\"episode\"><h3>{}. {}</h3><ul>",
            i + 1,
            escape(&episode_line(e, end))
        );
        for line in context_lines(e) {
            let _ = write!(body, "<li>{}</li>", escape(&line));
        }
        let _ = write!(body, "</ul>{}</section>", episode_svg(report, e));
    }
    if report.episodes.len() > CHARTED {
        let _ = write!(
            body,
            "<h3>The other {} episodes</h3><p class=\"meta\">{}</p><ol start=\"{}\">",
            report.episodes.len() - CHARTED,
            escape(&uncharted_hint()),
            CHARTED + 1
        );
        for e in &report.episodes[CHARTED..] {
            let _ = write!(body, "<li>{}</li>", escape(&episode_line(e, end)));
        }
        body.push_str("</ol>");
    }
    let _ = write!(body, "<h2>Changes ({})</h2><ul>", report.changes.len());
    for c in &report.changes {
        let _ = write!(
            body,
            "<li>{} {}: {}</li>",
            format_time_of_day(c.at_ms),
            escape(&c.subject()),
            escape(&c.label())
        );
    }
    body.push_str("</ul><h2>Links</h2><table><tr><th>PF</th><th>link</th><th>peak use</th><th>saturated</th><th>packets dropped</th></tr>");
    for pf in &report.pfs {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{:.0}%</td><td>{}</td><td>{:.0}</td></tr>",
            escape(&pf.name),
            pf.link_mbps.map_or("?".into(), |l| crate::units::Mbps(l).to_string()),
            pf.peak_use * 100.0,
            crate::times::format_span_ms(pf.saturated_ms),
            pf.dropped_packets
        );
    }
    body.push_str("</table>");
    for w in &report.warnings {
        let _ = write!(body, "<p class=\"warning\">warning: {}</p>", escape(w));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>{body}</body></html>\n",
        escape(&title),
        "body{font-family:sans-serif;margin:2em;max-width:960px;color:#222}h1{font-size:1.4em}\
         section.episode{border-top:1px solid #ddd;margin-top:1.5em}svg.chart{display:block;margin:.5em 0}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
         .meta{color:#666}.warning{color:#a00}"
    )
}

/// Each of the [`CHARTED`] worst episodes' chart as `(file name, SVG)`.
pub fn svgs(report: &Report) -> Vec<(String, String)> {
    report
        .episodes
        .iter()
        .take(CHARTED)
        .enumerate()
        .map(|(i, e)| {
            let who: String = e
                .partition
                .clone()
                .unwrap_or_else(|| e.pf.clone())
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect();
            (format!("episode-{:02}-{}-{who}.svg", i + 1, e.kind.name()), episode_svg(report, e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::episode::EpisodeKind;

    #[test]
    fn only_the_worst_episodes_get_charts_and_the_rest_a_line_each() {
        let episode = |i: i64| Episode {
            kind: EpisodeKind::Pinned,
            pf: "ens1f0".into(),
            vf: Some(1),
            partition: Some(format!("P{i}")),
            owner: None,
            start_ms: i * 60_000,
            end_ms: Some(i * 60_000 + 5_000),
            worst: 1.0,
            mean: 1.0,
            samples: 5,
            top: Vec::new(),
            changes: Vec::new(),
        };
        let report = Report {
            to_ms: 10_000_000,
            episodes: (0..CHARTED as i64 + 5).map(episode).collect(),
            ..Report::default()
        };
        let html = page(&report);
        assert_eq!(html.matches("<svg").count(), CHARTED);
        assert!(html.contains("The other 5 episodes") && html.contains("P44"), "listed past the charts");
        assert_eq!(svgs(&report).len(), CHARTED);
        let few = Report { episodes: report.episodes[..3].to_vec(), ..report };
        assert_eq!((page(&few).matches("<svg").count(), svgs(&few).len()), (3, 3));
    }
}
