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
/// A window of a recording and the functions in it: what `dump` and `report` read.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Only this PF.
    pub pf: Option<String>,
    /// Only this VF (of every PF, or of `pf`).
    pub vf: Option<u32>,
}

impl Window {
    /// Whether a PF's function (`vf`: `None` for the PF itself) is in it.
    pub fn wants(&self, pf: &str, vf: Option<u32>) -> bool {
        self.pf.as_deref().is_none_or(|p| p == pf) && (vf.is_none() || self.vf.is_none() || vf == self.vf)
    }
}

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
    /// Episodes, from each sample read against the one before.
    episodes: crate::metrics::episodes::EpisodeTracker,
    previous: Option<Snapshot>,
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
            episodes: Default::default(),
            previous: None,
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
        let reading = crate::metrics::reading::Reading::new(self.previous.as_ref(), snapshot);
        let mut found: Vec<Event> = self.finder.events(at_ms, &reading, &name);
        found.extend(episode_events(&mut self.episodes, at_ms, &reading, &found, &name));
        self.previous = Some(snapshot.clone());
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

    /// Episodes going on now.
    pub fn active_episodes(&self) -> impl Iterator<Item = &crate::model::episode::Episode> {
        self.episodes.active()
    }

    /// Whether the last write failed (and why).
    pub fn failing(&self) -> Option<&str> {
        self.failing.as_deref()
    }

    pub fn close(self) -> Result<(), StoreError> {
        self.writer.close()
    }
}

/// The episodes that began or ended at this sample, as events; this sample's limit changes
/// (`found`) become context first.
pub fn episode_events(
    tracker: &mut crate::metrics::episodes::EpisodeTracker,
    at_ms: i64,
    reading: &crate::metrics::reading::Reading<'_>,
    found: &[Event],
    name: &dyn Fn(&VfKey) -> Option<String>,
) -> Vec<Event> {
    use crate::metrics::episodes::EpisodeNews;
    for e in found {
        if matches!(e.kind, EventKind::RateChange { .. } | EventKind::ExternalChange { .. }) {
            tracker.note_change(e.at_ms, &e.pf, format!("{}: {}", e.subject(), e.label()));
        }
    }
    tracker
        .step(at_ms, reading, name)
        .into_iter()
        .map(|news| {
            let (episode, kind) = match news {
                EpisodeNews::Started(ep) => {
                    let kind = EventKind::EpisodeStarted { episode: ep.kind };
                    (ep, kind)
                }
                EpisodeNews::Ended(ep) => (ep.clone(), EventKind::Episode { episode: Box::new(ep) }),
            };
            Event {
                at_ms,
                pf: episode.pf.clone(),
                vf: episode.vf,
                partition: episode.partition.clone(),
                kind,
            }
        })
        .collect()
}
