//! The flight recorder: a sink beside the console that keeps every sample and event on disk
//! (`store`, `frame`, `events`), and what reads it back (`dump`, the replay source).

pub mod dump;
pub mod events;
pub mod frame;
pub mod store;

use crate::model::{RoleMap, Snapshot, VfKey};
use events::{Event, EventFinder, EventKind};
use std::path::{Path, PathBuf};
use store::{Appended, Retention, StoreError, Writer};

/// Where recordings live by default: `/var/lib/vftop` as root, else `$XDG_STATE_HOME/vftop`;
/// a `demo` directory inside for the simulated NIC, so it never mixes with real data.
pub fn default_dir(demo: bool) -> PathBuf {
    let base = if nix::unistd::geteuid().is_root() {
        PathBuf::from("/var/lib/vftop")
    } else {
        crate::config::state_dir().unwrap_or_else(|| PathBuf::from("."))
    };
    base.join(if demo { "record-demo" } else { "record" })
}

/// Records samples: the counters and shape into the store, the events into its journal.
/// Write failures are logged and retried with every sample; sampling never stops for them.
pub struct Recorder {
    writer: Writer,
    finder: EventFinder,
    roles: RoleMap,
    /// The last write error, while writing fails.
    failing: Option<String>,
    pub written: u64,
    /// Say write failures and recoveries on stderr too (the headless recorder, not a console).
    pub on_stderr: bool,
    /// The "recorder started" event is written with the first sample.
    started: bool,
}

impl Recorder {
    /// The audit log's changes are another process's on another simulator (a headless
    /// `record --demo` beside a `--demo` console): said so in their events.
    pub fn audit_from_another_simulator(&mut self) {
        self.finder.audit_elsewhere = true;
    }
}

impl Recorder {
    pub fn open(
        dir: &Path,
        retention: Retention,
        roles: RoleMap,
        audit: Option<PathBuf>,
    ) -> Result<Recorder, StoreError> {
        let writer = Writer::open(dir, retention)?;
        Ok(Recorder {
            writer,
            finder: EventFinder::new(audit),
            roles,
            failing: None,
            written: 0,
            on_stderr: false,
            started: false,
        })
    }

    pub fn dir(&self) -> &Path {
        self.writer.dir()
    }

    /// The partition name a VF has now (roles, or what the source itself calls it).
    fn name(&self, key: &VfKey, vlan: u16) -> Option<String> {
        self.roles.resolve(key, vlan).map(|r| r.name.clone())
    }

    /// Records one sample taken at `at_ms` (wall clock, ms since the epoch).
    pub fn record(&mut self, at_ms: i64, snapshot: &Snapshot) {
        let shape = frame::Shape::of(snapshot, &|key, vf| self.name(key, vf.vlan));
        let vlans: std::collections::HashMap<VfKey, (u16, Option<String>)> = snapshot
            .pfs
            .iter()
            .flat_map(|p| {
                p.vfs
                    .iter()
                    .map(|v| (VfKey { pf: p.name.clone(), vf: v.index }, (v.vlan, v.partition.clone())))
            })
            .collect();
        let roles = &self.roles;
        let name = |key: &VfKey| {
            let (vlan, own) = vlans.get(key).cloned().unwrap_or_default();
            roles.resolve(key, vlan).map(|r| r.name.clone()).or(own)
        };
        let mut found: Vec<Event> = self.finder.events(at_ms, snapshot, &name);
        if !std::mem::replace(&mut self.started, true) {
            let started = Event {
                at_ms,
                pf: String::new(),
                vf: None,
                partition: None,
                kind: EventKind::RecorderStarted,
            };
            found.insert(0, started);
        }
        let result = self.writer.append(at_ms, shape, frame::counters_of(snapshot)).and_then(|appended| {
            events::append(self.writer.dir(), &found)
                .map_err(|source| StoreError::Io { path: self.writer.dir().join(events::JOURNAL), source })?;
            Ok(appended)
        });
        match result {
            Ok(Appended::Written) => {
                self.written += 1;
                if let Some(e) = self.failing.take() {
                    tracing::warn!("recorder: writing again after: {e}");
                    if self.on_stderr {
                        eprintln!("vftop record: writing again after: {e}");
                    }
                }
            }
            Ok(Appended::OutOfOrder) => {
                tracing::warn!("recorder: sample at {} is not after the last one; skipped", format_ms(at_ms))
            }
            Err(e) => {
                let text = e.to_string();
                if self.failing.as_ref() != Some(&text) {
                    tracing::error!("recorder: cannot write ({text}); still sampling, retrying every sample");
                    if self.on_stderr {
                        eprintln!(
                            "vftop record: cannot write ({text}); still sampling, retrying every sample"
                        );
                    }
                }
                self.failing = Some(text);
            }
        }
    }

    /// Whether the last write failed (and why).
    pub fn failing(&self) -> Option<&str> {
        self.failing.as_deref()
    }

    pub fn close(self) -> Result<(), StoreError> {
        self.writer.close()
    }
}

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

/// RFC 3339 with milliseconds, UTC: `2026-11-25T03:02:14.000Z`.
pub fn rfc3339_ms(at_ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn local(at_ms: i64) -> jiff::ZonedDateTime {
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(jiff::tz::TimeZone::system())
}

/// Parses a point in time: RFC 3339 (`2026-11-25T03:00:00Z`), a local date and time
/// (`2026-11-25 03:00`, `2026-11-25T03:00:30`), a local time today (`03:00`), `now`, or a
/// time ago (`20m ago`, `2 h ago`, `1d ago`, `90s ago`).
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if t == "now" {
        return Ok(now_ms);
    }
    if let Some(ago) = t.strip_suffix("ago") {
        let compact: String = ago.split_whitespace().collect();
        let d = humantime::parse_duration(&compact)
            .map_err(|e| format!("'{text}': '{}' is not a duration like 20m or 2h ({e})", ago.trim()))?;
        return Ok(now_ms - d.as_millis() as i64);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let tz = jiff::tz::TimeZone::system();
    let civil = t.replace(' ', "T");
    if let Ok(dt) = civil.parse::<jiff::civil::DateTime>() {
        return dt.to_zoned_datetime(tz).map(|z| z.timestamp().as_millisecond()).map_err(|e| e.to_string());
    }
    if let Ok(time) = t.parse::<jiff::civil::Time>() {
        let today = local(now_ms).date();
        return today
            .to_datetime(time)
            .to_zoned_datetime(tz)
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "'{text}' is not a time: use RFC 3339 (2026-11-25T03:00:00Z), a local time \
         (\"2026-11-25 03:00\", 03:00) or \"20m ago\""
    ))
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
        assert!(parse_when("yesterday-ish", now).unwrap_err().contains("RFC 3339"));
        assert!(parse_when("5 parsecs ago", now).is_err());
        assert_eq!(rfc3339_ms(now + 5), "2026-11-25T03:00:00.005Z");
    }
}
