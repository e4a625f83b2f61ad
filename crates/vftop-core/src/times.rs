//! Wall-clock times, on the ground floor: now, a time as the screen and the files write it
//! (local and RFC 3339), and a time as an operator types it (`03:00`, `20m ago`, RFC 3339).

/// Wall-clock milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// `2026-11-25 03:02:14` in local time.
pub fn format_ms(at_ms: i64) -> String {
    local(at_ms).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `03:02:14` in local time.
pub fn format_time_of_day(at_ms: i64) -> String {
    local(at_ms).strftime("%H:%M:%S").to_string()
}

/// A span as an operator says it: `45 s`, `4 m 10 s`, `1 h 2 m`.
pub fn format_span_ms(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} m"),
        (0, m, s) => format!("{m} m {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} m"),
    }
}

/// RFC 3339 with milliseconds, UTC: `2026-11-25T03:02:14.000Z`.
pub fn rfc3339_ms(at_ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn local(at_ms: i64) -> jiff::ZonedDateTime {
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(jiff::tz::TimeZone::system())
}

/// Why a text is not a point in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("'{text}': '{ago}' is not a duration like 20m or 2h ({why})")]
    NotAnAgo { text: String, ago: String, why: crate::units::SpanError },
    /// A local date and time that is no time in the system's zone: jiff's own words.
    #[error("{0}")]
    NotLocal(String),
    #[error(
        "'{0}' is not a time: use RFC 3339 (2026-11-25T03:00:00Z), a local time \
         (\"2026-11-25 03:00\", 03:00) or \"20m ago\""
    )]
    NotATime(String),
}

/// Parses a point in time: RFC 3339 (`2026-11-25T03:00:00Z`), a local date and time
/// (`2026-11-25 03:00`, `2026-11-25T03:00:30`), a local time today (`03:00`), `now`, or a
/// time ago (`20m ago`, `2 h ago`, `1d ago`, `90s ago`).
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, WhenError> {
    let t = text.trim();
    if t == "now" {
        return Ok(now_ms);
    }
    if let Some(ago) = t.strip_suffix("ago") {
        let compact: String = ago.split_whitespace().collect();
        let d = crate::units::parse_span(&compact).map_err(|why| WhenError::NotAnAgo {
            text: text.to_string(),
            ago: ago.trim().to_string(),
            why,
        })?;
        return Ok(now_ms - d.as_millis() as i64);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let tz = jiff::tz::TimeZone::system();
    let not_local = |e: jiff::Error| WhenError::NotLocal(e.to_string());
    let civil = t.replace(' ', "T");
    if let Ok(dt) = civil.parse::<jiff::civil::DateTime>() {
        return dt.to_zoned_datetime(tz).map(|z| z.timestamp().as_millisecond()).map_err(not_local);
    }
    if let Ok(time) = t.parse::<jiff::civil::Time>() {
        let today = local(now_ms).date();
        return today
            .to_datetime(time)
            .to_zoned_datetime(tz)
            .map(|z| z.timestamp().as_millisecond())
            .map_err(not_local);
    }
    Err(WhenError::NotATime(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_form() {
        let now = 1_795_575_600_000; // 2026-11-25T03:00:00Z
        assert_eq!(parse_when("2026-11-25T03:00:00Z", now), Ok(now));
        assert_eq!(parse_when("2026-11-25T04:00:00+01:00", now), Ok(now));
        assert_eq!(parse_when("20m ago", now), Ok(now - 1_200_000));
        assert_eq!(parse_when("2 h ago", now), Ok(now - 7_200_000));
        assert_eq!(parse_when("1d ago", now), Ok(now - 86_400_000));
        assert_eq!(parse_when("now", now), Ok(now));
        let local = parse_when("2026-11-25 03:00", now).unwrap();
        assert_eq!(format_ms(local), "2026-11-25 03:00:00");
        assert_eq!(format_time_of_day(parse_when("03:04:05", now).unwrap()), "03:04:05");
        assert!(parse_when("yesterday-ish", now).unwrap_err().to_string().contains("RFC 3339"));
        assert!(parse_when("5 parsecs ago", now).is_err());
        assert_eq!(rfc3339_ms(now + 5), "2026-11-25T03:00:00.005Z");
    }
}
