//! Formatting and parsing of rates and sizes with automatic units.

use crate::model::{BitsPerSec, Mbps};

/// How rates are shown: bits (network convention) or bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateUnit {
    #[default]
    Bits,
    Bytes,
}

/// Formats a bit rate with an auto-scaled unit, e.g. `1.50 Gb/s` or `187 MB/s`.
pub fn format_rate(rate: BitsPerSec, unit: RateUnit) -> String {
    let (value, suffix) = match unit {
        RateUnit::Bits => (rate.0, "b/s"),
        RateUnit::Bytes => (rate.0 / 8.0, "B/s"),
    };
    format!("{}{}", scaled(value), suffix)
}

/// Formats a Mbit/s limit compactly: `500M`, `1.5G`, `10G`.
pub fn format_mbps(rate: Mbps) -> String {
    let m = f64::from(rate.0);
    if m >= 1000.0 {
        let g = m / 1000.0;
        if (g - g.round()).abs() < 1e-9 { format!("{g:.0}G") } else { format!("{}G", trim(g)) }
    } else {
        format!("{}M", rate.0)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn scaled(value: f64) -> String {
    const STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (factor, prefix) in STEPS {
        if value.abs() >= factor {
            return with_precision(value / factor, prefix);
        }
    }
    with_precision(value, "")
}

fn with_precision(v: f64, prefix: &str) -> String {
    if v >= 100.0 {
        format!("{v:.0} {prefix}")
    } else if v >= 10.0 {
        format!("{v:.1} {prefix}")
    } else {
        format!("{v:.2} {prefix}")
    }
}

/// Why a rate text could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateParseError {
    #[error("empty value: type a rate like 500M, 1.5G or 0 for unlimited")]
    Empty,
    #[error("'{0}' is not a number: type a rate like 500M, 1.5G or 0 for unlimited")]
    NotANumber(String),
    #[error("unknown unit '{0}': use K, M, G or T (bits/s)")]
    UnknownUnit(String),
    #[error("{0} is below 1 Mbit/s, the kernel's smallest VF rate step")]
    BelowOneMbit(String),
    #[error("{0} is too large for a VF rate")]
    TooLarge(String),
    #[error("a rate cannot be negative")]
    Negative,
}

/// Parses operator text into Mbit/s: `500M`, `1.5G`, `2g`, `750` (Mbit/s), `0` (unlimited).
/// Accepts an optional `bit`, `b/s`, `bps` or `bit/s` suffix after the prefix.
pub fn parse_rate(text: &str) -> Result<Mbps, RateParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(RateParseError::Empty);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| RateParseError::NotANumber(t.to_string()))?;
    if value < 0.0 {
        return Err(RateParseError::Negative);
    }
    let unit_clean = unit.trim().to_ascii_lowercase();
    let prefix = unit_clean
        .trim_end_matches("bit/s")
        .trim_end_matches("bps")
        .trim_end_matches("b/s")
        .trim_end_matches("bit");
    let factor = match prefix {
        "" | "m" => 1.0,
        "k" => 1e-3,
        "g" => 1e3,
        "t" => 1e6,
        _ => return Err(RateParseError::UnknownUnit(unit.trim().to_string())),
    };
    let mbps = value * factor;
    if mbps == 0.0 {
        return Ok(Mbps::UNLIMITED);
    }
    if mbps < 1.0 {
        return Err(RateParseError::BelowOneMbit(t.to_string()));
    }
    if mbps > f64::from(u32::MAX) {
        return Err(RateParseError::TooLarge(t.to_string()));
    }
    Ok(Mbps(mbps.round() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operator_forms() {
        assert_eq!(parse_rate("500M"), Ok(Mbps(500)));
        assert_eq!(parse_rate("1.5G"), Ok(Mbps(1500)));
        assert_eq!(parse_rate(" 2g "), Ok(Mbps(2000)));
        assert_eq!(parse_rate("750"), Ok(Mbps(750)));
        assert_eq!(parse_rate("0"), Ok(Mbps::UNLIMITED));
        assert_eq!(parse_rate("2500kbit"), Ok(Mbps(3)));
        assert_eq!(parse_rate("100Mbit/s"), Ok(Mbps(100)));
        assert_eq!(parse_rate("10gbps"), Ok(Mbps(10_000)));
    }

    #[test]
    fn rejects_bad_text_with_reason() {
        assert_eq!(parse_rate(""), Err(RateParseError::Empty));
        assert!(matches!(parse_rate("fast"), Err(RateParseError::NotANumber(_))));
        assert!(matches!(parse_rate("5X"), Err(RateParseError::UnknownUnit(u)) if u == "X"));
        assert!(matches!(parse_rate("500k"), Err(RateParseError::BelowOneMbit(_))));
        assert_eq!(parse_rate("-5M"), Err(RateParseError::Negative));
        assert!(matches!(parse_rate("9999T"), Err(RateParseError::TooLarge(_))));
        assert!(parse_rate("1.2.3G").is_err());
    }

    #[test]
    fn formats_with_auto_units() {
        assert_eq!(format_rate(BitsPerSec(1.5e9), RateUnit::Bits), "1.50 Gb/s");
        assert_eq!(format_rate(BitsPerSec(1.5e9), RateUnit::Bytes), "188 MB/s");
        assert_eq!(format_rate(BitsPerSec(0.0), RateUnit::Bits), "0.00 b/s");
        assert_eq!(format_rate(BitsPerSec(12_345.0), RateUnit::Bits), "12.3 kb/s");
        assert_eq!(format_mbps(Mbps(500)), "500M");
        assert_eq!(format_mbps(Mbps(1500)), "1.5G");
        assert_eq!(format_mbps(Mbps(10_000)), "10G");
    }
}
