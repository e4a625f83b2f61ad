//! The flight recorder: a sink beside the console that keeps every sample and event on disk
//! (`store`, `frame`, `events`), and what reads it back (`dump`, the replay source).

pub mod dump;
pub mod events;
pub mod frame;
pub mod store;

use crate::model::event::{Event, EventKind};
use crate::model::{RoleMap, Snapshot, VfKey};
use events::EventFinder;
use std::path::{Path, PathBuf};
use store::{Appended, Retention, StoreError, Writer};

/// Where recordings live by default: `/var/lib/vftop` as root, else `$XDG_STATE_HOME/vftop`;
/// a `demo` directory inside for the simulated NIC, so it never mixes with real data.
pub fn default_dir(demo: bool) -> PathBuf {
    let base = if nix::unistd::geteuid().is_root() {
        PathBuf::from("/var/lib/vftop")
    } else {
        crate::paths::state_dir().unwrap_or_else(|| PathBuf::from("."))
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
                tracing::warn!(
                    "recorder: sample at {} is not after the last one; skipped",
                    crate::times::format_ms(at_ms)
                )
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
