//! The ground floor: rates with their units in their types (the kernel's VF limits are Mbit/s,
//! measured rates bits/s), and the parsing and formatting of rates, durations and sizes that
//! the model, the options, the config and the screen all use. It imports nothing of vftop.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// A rate in Mbit/s, the unit the kernel uses for VF rate limits (`IFLA_VF_RATE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mbps(pub u32);

impl Mbps {
    /// Zero in a rate limit means "no limit" to the kernel.
    pub const UNLIMITED: Mbps = Mbps(0);

    pub fn is_unlimited(self) -> bool {
        self.0 == 0
    }

    pub fn as_bits_per_sec(self) -> BitsPerSec {
        BitsPerSec(f64::from(self.0) * 1e6)
    }
}

impl fmt::Display for Mbps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unlimited() {
            return f.write_str("none");
        }
        f.write_str(&format_mbps(*self))
    }
}

/// A measured rate in bits per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BitsPerSec(pub f64);

impl BitsPerSec {
    pub fn as_mbps_f64(self) -> f64 {
        self.0 / 1e6
    }
}

/// How rates are shown: bits (network convention) or bytes (`bits`, `bytes` in a config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// A limit or link speed in `unit`: `2G`, `500M` in bits; `250MB`, `1.25GB` in bytes (what
/// [`parse_rate_in`] reads back in the same unit).
pub fn format_limit(m: Mbps, unit: RateUnit) -> String {
    match unit {
        RateUnit::Bits => format_mbps(m),
        RateUnit::Bytes => {
            let mb = f64::from(m.0) / 8.0;
            let trim = |v: f64| format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
            // m/8 MB has at most three decimals; in GB it keeps them only when m is a multiple of 8.
            if mb >= 1000.0 && m.0.is_multiple_of(8) {
                format!("{}GB", trim(mb / 1000.0))
            } else if mb >= 1.0 {
                format!("{}MB", trim(mb))
            } else {
                format!("{}kB", trim(mb * 1000.0))
            }
        }
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
    #[error("empty value: type a rate like 500M or 1.5G, or 0 or none for no limit")]
    Empty,
    #[error("'{0}' is not a number: type a rate like 500M or 1.5G, or 0 or none for no limit")]
    NotANumber(String),
    #[error("unknown unit '{0}': use K, M, G or T, then b for bits or B for bytes (500Mb, 62.5MB)")]
    UnknownUnit(String),
    #[error("{0} is below 1 Mbit/s, the kernel's smallest VF rate step")]
    BelowOneMbit(String),
    #[error("{0} is too large for a VF rate")]
    TooLarge(String),
    #[error("a rate cannot be negative")]
    Negative,
}

/// Parses operator text into Mbit/s, in bits: `500M`, `1.5G`, `2g`, `750` (Mbit/s), `0` or
/// `none` (no limit). See [`parse_rate_in`].
pub fn parse_rate(text: &str) -> Result<Mbps, RateParseError> {
    parse_rate_in(text, RateUnit::Bits)
}

/// Parses operator text into Mbit/s, a bare number or prefix (`750`, `1.5G`) read in `unit`
/// (M = Mbit/s in bits, MB/s in bytes). An explicit unit wins: `b`, `bit`, `bps`, `b/s` are
/// bits, `B`, `Bps`, `B/s`, `byte` are bytes (`62.5MB` = 500 Mbit/s). `0`, `none`, `unlimited`
/// and `-` are no limit.
pub fn parse_rate_in(text: &str, unit: RateUnit) -> Result<Mbps, RateParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(RateParseError::Empty);
    }
    if ["none", "unlimited", "-"].contains(&t.to_ascii_lowercase().as_str()) {
        return Ok(Mbps::UNLIMITED);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(t.len());
    let (number, suffix) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| RateParseError::NotANumber(t.to_string()))?;
    if value < 0.0 {
        return Err(RateParseError::Negative);
    }
    let (prefix, unit) = split_unit(suffix.trim(), unit);
    let factor = match prefix.to_ascii_lowercase().as_str() {
        "" | "m" => 1.0,
        "k" => 1e-3,
        "g" => 1e3,
        "t" => 1e6,
        _ => return Err(RateParseError::UnknownUnit(suffix.trim().to_string())),
    };
    let per_byte = if unit == RateUnit::Bytes { 8.0 } else { 1.0 };
    let mbps = value * factor * per_byte;
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

/// A unit suffix split into its prefix (`k`, `M` …) and whether it says bits or bytes
/// (`default` where it says neither).
fn split_unit(suffix: &str, default: RateUnit) -> (&str, RateUnit) {
    let per_sec = suffix.strip_suffix("/s").unwrap_or(suffix);
    for (word, unit) in [
        ("bytes", RateUnit::Bytes),
        ("byte", RateUnit::Bytes),
        ("Bps", RateUnit::Bytes),
        ("B", RateUnit::Bytes),
        ("bits", RateUnit::Bits),
        ("bit", RateUnit::Bits),
        ("bps", RateUnit::Bits),
        ("b", RateUnit::Bits),
    ] {
        if let Some(prefix) = per_sec.strip_suffix(word) {
            return (prefix, unit);
        }
    }
    (per_sec, default)
}

/// Why a text is not a length of time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// Not in jiff's friendly format, or out of its range: jiff's own words.
    #[error("{0}")]
    Unreadable(String),
    #[error("'{0}' is negative")]
    Negative(String),
    /// A bare number of seconds below zero, or not finite.
    #[error("not a positive number")]
    NotPositive,
}

/// A length of time as operators write it — `7d`, `36h`, `90m`, `1m 30s`, `500ms`, `2 hours`
/// (jiff's friendly format; a day is 24 hours).
pub fn parse_span(text: &str) -> Result<Duration, SpanError> {
    let unreadable = |e: jiff::Error| SpanError::Unreadable(e.to_string());
    let span: jiff::Span = text.trim().parse().map_err(unreadable)?;
    let d = span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()).map_err(unreadable)?;
    Duration::try_from(d).map_err(|_| SpanError::Negative(text.to_string()))
}

/// A length of time as [`parse_span`] reads it back, in whole units up to days (`7d`, `1m 30s`).
pub fn format_span(d: Duration) -> String {
    let round =
        jiff::SpanRound::new().largest(jiff::Unit::Day).relative(jiff::SpanRelativeTo::days_are_24_hours());
    jiff::Span::try_from(d)
        .and_then(|span| span.round(round))
        .map_or_else(|_| format!("{}s", d.as_secs()), |span| format!("{span:#}"))
}

/// Why a text is not an age a store keeps (`--retain`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeError {
    #[error("'{text}' is not an age like 7d or 36h ({why})")]
    NotAnAge { text: String, why: SpanError },
    #[error("{0} is too short to keep anything (at least 1m)")]
    TooShort(String),
}

/// An age like 7d, 36h, 90m (at least a minute).
pub fn parse_age(text: &str) -> Result<Duration, AgeError> {
    let d = parse_span(text).map_err(|why| AgeError::NotAnAge { text: text.to_string(), why })?;
    if d < Duration::from_secs(60) {
        return Err(AgeError::TooShort(text.to_string()));
    }
    Ok(d)
}

/// Why a text is not a size (`--max-size`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("'{0}' is not a size like 2G or 500M")]
    NotASize(String),
    #[error("'{0}': the size must be above zero")]
    NotAboveZero(String),
}

/// A size like 2G, 500M, 64K (powers of 1024), or plain bytes.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim().trim_end_matches(['B', 'b']).trim_end_matches('i');
    let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let scale: u64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(SizeError::NotASize(text.to_string())),
    };
    let n: f64 = number.trim().parse().map_err(|_| SizeError::NotASize(text.to_string()))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(SizeError::NotAboveZero(text.to_string()));
    }
    Ok((n * scale as f64) as u64)
}

/// Why a text is not a sampling duration (`--interval`, `confirm_within`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("'{text}' is not a duration like 1s or 500ms ({why})")]
    NotADuration { text: String, why: SpanError },
    #[error("{0} is out of range (50ms to 1h)")]
    OutOfRange(String),
}

/// Parses a duration (`1s`, `500ms`, `1m 30s`: [`parse_span`]) or a bare number of
/// seconds (`2`, `0.5`), between 50 ms and 1 h.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let parsed = match t.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|e| SpanError::Unreadable(e.to_string()))
        }
        Ok(_) => Err(SpanError::NotPositive),
        Err(_) => parse_span(t),
    };
    let d = parsed.map_err(|why| DurationError::NotADuration { text: text.to_string(), why })?;
    if !(Duration::from_millis(50)..=Duration::from_secs(3600)).contains(&d) {
        return Err(DurationError::OutOfRange(text.to_string()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_time_read_and_written_back() {
        for (text, secs) in
            [("7d", 604_800), ("36h", 129_600), ("1m 30s", 90), ("2 hours", 7200), ("90m", 5400)]
        {
            assert_eq!(parse_span(text), Ok(Duration::from_secs(secs)), "{text}");
        }
        assert_eq!(parse_span("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_span("-5m").is_err() && parse_span("soon").is_err() && parse_span("1 month").is_err());
        assert_eq!(format_span(Duration::from_secs(604_800)), "7d");
        assert_eq!(format_span(Duration::from_secs(90)), "1m 30s");
        assert_eq!(format_span(Duration::from_millis(1500)), "1s 500ms");
    }

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
    fn none_is_no_limit_and_bytes_are_eight_bits() {
        for none in ["none", "None", "unlimited", "-", "0"] {
            assert_eq!(parse_rate(none), Ok(Mbps::UNLIMITED), "{none}");
        }
        assert_eq!(parse_rate_in("125MB", RateUnit::Bits), Ok(Mbps(1000)), "an explicit B is bytes");
        assert_eq!(parse_rate_in("125M", RateUnit::Bytes), Ok(Mbps(1000)), "M in bytes mode is MB/s");
        assert_eq!(parse_rate_in("100", RateUnit::Bytes), Ok(Mbps(800)));
        assert_eq!(parse_rate_in("500Mb", RateUnit::Bytes), Ok(Mbps(500)), "an explicit b is bits");
        assert_eq!(parse_rate_in("1.25GB/s", RateUnit::Bytes), Ok(Mbps(10_000)));
        assert_eq!(parse_rate_in("125kB", RateUnit::Bytes), Ok(Mbps(1)));
        assert!(matches!(parse_rate_in("100kB", RateUnit::Bytes), Err(RateParseError::BelowOneMbit(_))));
        // What is shown in a unit reads back as the same limit.
        for m in [1, 100, 1000, 1500, 2000, 9999, 10_000, 25_000] {
            for unit in [RateUnit::Bits, RateUnit::Bytes] {
                assert_eq!(parse_rate_in(&format_limit(Mbps(m), unit), unit), Ok(Mbps(m)), "{m} {unit:?}");
            }
        }
        assert_eq!(format_limit(Mbps(1000), RateUnit::Bytes), "125MB");
        assert_eq!(format_limit(Mbps(1500), RateUnit::Bytes), "187.5MB");
        assert_eq!(format_limit(Mbps(10_000), RateUnit::Bytes), "1.25GB");
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
