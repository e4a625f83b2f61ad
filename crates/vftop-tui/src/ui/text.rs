//! Small text helpers shared by panels: rates in the chosen unit, limits, bars.

use crate::model::{BitsPerSec, Mbps, RateLimit};
use crate::units::{RateUnit, format_rate};

pub fn rate(r: BitsPerSec, unit: RateUnit) -> String {
    format_rate(r, unit)
}

/// A limit or link speed in the unit on screen: `2G`, `500M` in bits; `250MB`, `1.25GB` in
/// bytes (so `b` switches every rate together).
pub fn speed(m: Mbps, unit: RateUnit) -> String {
    crate::units::format_limit(m, unit)
}

/// What a VF is declared to get: `max 300M min none` (the declared parts only).
pub fn declared(d: &crate::model::declared::VfIntent, unit: RateUnit) -> String {
    let part = |name: &str, v: Option<Mbps>| v.map(|v| format!("{name} {}", speed(v, unit)));
    [part("max", d.max), part("min", d.min)].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// `min/max` with `-` for none, e.g. `100M/-`, `-/2G` (`-/250MB` in bytes).
pub fn limits(limit: RateLimit, unit: RateUnit) -> String {
    let one = |m: Mbps| if m.is_unlimited() { "-".to_string() } else { speed(m, unit) };
    format!("{}/{}", one(limit.min), one(limit.max))
}

/// How many rows `lines` take when wrapped at `width` (each at least one).
pub fn wrapped_height(lines: &[ratatui::text::Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A horizontal bar `width` cells wide, filled to `fraction` (0..=1), in eighths.
pub fn bar(fraction: f64, width: usize) -> String {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (fraction.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTIAL[eighths % 8]);
    }
    let used = s.chars().count();
    s.push_str(&"·".repeat(width.saturating_sub(used)));
    s
}

/// `text` in at most `width` characters: cut with `…` where it is longer.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

/// Drops per second, compact.
pub fn per_sec(v: f64) -> String {
    if v < 0.5 {
        "0".into()
    } else if v < 1000.0 {
        format!("{v:.0}")
    } else if v < 1e6 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{:.1}M", v / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_eighths() {
        assert_eq!(bar(0.0, 4), "····");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██··");
        assert_eq!(bar(0.53, 4), "██▏·");
        assert_eq!(bar(7.0, 2), "██");
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(super::fit("Management", 20), "Management");
        assert_eq!(super::fit("Management", 5), "Mana…");
        assert_eq!(super::fit("Management", 0), "");
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(limits(RateLimit::new(100, 0), RateUnit::Bits), "100M/-");
        assert_eq!(limits(RateLimit::new(0, 2000), RateUnit::Bits), "-/2G");
        assert_eq!(limits(RateLimit::new(100, 2000), RateUnit::Bytes), "12.5MB/250MB");
        assert_eq!(speed(Mbps(10_000), RateUnit::Bytes), "1.25GB");
        assert_eq!(per_sec(0.2), "0");
        assert_eq!(per_sec(12_345.0), "12.3k");
    }
}
