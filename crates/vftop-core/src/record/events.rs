//! The recorder's events (the model's `Event`): found by comparing samples and reading the
//! audit log, kept in an append-only JSON-lines journal beside the shards.

use crate::metrics::rate::{CounterStep, counter_step};
use crate::metrics::reading::{LimitChange, Reading};
use crate::model::event::{Event, EventKind};
use crate::model::{CounterOrigin, PfLink, RateLimit, Snapshot, Target, VfKey};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The journal's file name in a store directory.
pub const JOURNAL: &str = "events.jsonl";

/// Appends events, one fsynced JSON line each (they are rare).
pub fn append(dir: &Path, events: &[Event]) -> std::io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut file = OpenOptions::new().create(true).append(true).open(dir.join(JOURNAL))?;
    let mut text = String::new();
    for e in events {
        text.push_str(&serde_json::to_string(e).unwrap_or_default());
        text.push('\n');
    }
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// The events of a store in `[from, to]`, and how many lines could not be read.
pub fn read(dir: &Path, from_ms: i64, to_ms: i64) -> (Vec<Event>, usize) {
    let Ok(file) = File::open(dir.join(JOURNAL)) else { return (Vec::new(), 0) };
    let mut bad = 0;
    let mut out: Vec<Event> = BufReader::new(file)
        .split(b'\n')
        .filter_map(|line| {
            let line = line.ok()?;
            if line.iter().all(u8::is_ascii_whitespace) {
                return None;
            }
            let parsed = serde_json::from_slice::<Event>(&line).ok();
            bad += usize::from(parsed.is_none());
            parsed
        })
        .filter(|e| (from_ms..=to_ms).contains(&e.at_ms))
        .collect();
    out.sort_by_key(|e| e.at_ms);
    (out, bad)
}

/// Keeps only the events at or after `oldest_ms` (retention), by rewriting the journal.
pub fn trim(dir: &Path, oldest_ms: i64) -> std::io::Result<()> {
    let (kept, _) = read(dir, oldest_ms, i64::MAX);
    let tmp = dir.join(format!("{JOURNAL}.tmp"));
    let mut text = String::new();
    for e in &kept {
        text.push_str(&serde_json::to_string(e).unwrap_or_default());
        text.push('\n');
    }
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, dir.join(JOURNAL))
}

/// Follows an audit log from its end: the lines appended since the last look.
pub struct AuditTail {
    path: PathBuf,
    offset: u64,
}

impl AuditTail {
    /// Starts at the current end (older records were seen by an earlier recorder, if any).
    pub fn new(path: PathBuf) -> AuditTail {
        let offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        AuditTail { path, offset }
    }

    /// Complete lines appended since the last call.
    fn new_lines(&mut self) -> Vec<String> {
        let Ok(mut file) = File::open(&self.path) else { return Vec::new() };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            self.offset = 0; // rotated
        }
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if !line.ends_with('\n') {
                break; // being written: next time
            }
            self.offset += line.len() as u64;
            out.push(std::mem::take(&mut line));
        }
        out
    }
}

/// An audit record as an event (`external` records are left to the sample comparison).
fn audit_event(line: &str, elsewhere: bool) -> Option<Event> {
    let r = crate::audit::AuditRecord::parse(line)?;
    let outcome = match r.outcome {
        crate::audit::Outcome::External => return None,
        crate::audit::Outcome::Applied => "applied",
        crate::audit::Outcome::Refused => "refused",
    };
    Some(Event {
        at_ms: r.at_ms()?,
        vf: r.vf,
        partition: Some(r.partition.clone()),
        kind: EventKind::RateChange {
            who: r.who(),
            reason: r.reason.clone(),
            old: r.old.into(),
            new: r.new.into(),
            outcome: outcome.to_string(),
            elsewhere,
        },
        pf: r.pf,
    })
}

/// What the finder remembers of one VF between samples (its limit's changes are the
/// reading's).
#[derive(Clone)]
struct Seen {
    tx_bytes: u64,
    rx_bytes: u64,
    origin: CounterOrigin,
    owner: Option<String>,
}

/// Finds the events between consecutive samples.
#[derive(Default)]
pub struct EventFinder {
    audit: Option<AuditTail>,
    seen: Option<HashMap<VfKey, Seen>>,
    /// Each PF's link as last seen.
    links: HashMap<String, PfLink>,
    /// Limit changes not (yet) explained by an audit record: held one sample, because the
    /// console writes its record just after the kernel takes the change.
    held: Vec<Event>,
    /// Recent audited changes: (VF, new limit), to explain what the samples show.
    audited: Vec<(VfKey, RateLimit, i64)>,
    /// PFs whose driver said it cleared every VF's rate, and when (ms).
    cleared: Vec<(String, i64)>,
    /// The audit log's changes were made on another simulator than the one recorded.
    pub audit_elsewhere: bool,
}

impl EventFinder {
    pub fn new(audit: Option<PathBuf>) -> EventFinder {
        EventFinder { audit: audit.map(AuditTail::new), ..EventFinder::default() }
    }

    /// The events up to this sample, read against the sample before (the one given last
    /// time). `name` gives a VF's partition name.
    pub fn events(
        &mut self,
        at_ms: i64,
        reading: &Reading<'_>,
        name: &dyn Fn(&VfKey) -> Option<String>,
    ) -> Vec<Event> {
        let snapshot = reading.snapshot;
        let mut out = Vec::new();
        for line in self.audit.as_mut().map(AuditTail::new_lines).unwrap_or_default() {
            if let Some(e) = audit_event(&line, self.audit_elsewhere) {
                if let (Some(key), EventKind::RateChange { new, .. }) = (e.key(), &e.kind) {
                    self.audited.push((key, *new, e.at_ms));
                }
                out.push(e);
            }
        }
        self.audited.retain(|(_, _, t)| at_ms - t < 60_000);
        let cleared = snapshot.pfs.iter().filter(|p| snapshot.driver_cleared_rates(&p.name));
        self.cleared.extend(cleared.map(|p| (p.name.clone(), at_ms)).collect::<Vec<_>>());
        self.cleared.retain(|(_, t)| at_ms - t < 60_000);
        let held = std::mem::take(&mut self.held);
        out.extend(held.into_iter().filter(|e| !self.explained(e)));
        let now: HashMap<VfKey, Seen> = snapshot
            .pfs
            .iter()
            .flat_map(|pf| {
                pf.vfs.iter().map(move |vf| {
                    let seen = Seen {
                        tx_bytes: vf.counters.tx_bytes,
                        rx_bytes: vf.counters.rx_bytes,
                        origin: vf.counters.origin,
                        owner: vf.owner.as_ref().map(|o| o.label()),
                    };
                    (VfKey { pf: pf.name.clone(), vf: vf.index }, seen)
                })
            })
            .collect();
        let event = |key: &VfKey, kind| Event {
            at_ms,
            pf: key.pf.clone(),
            vf: Some(key.vf),
            partition: name(key),
            kind,
        };
        if let Some(before) = &self.seen {
            let mut keys: Vec<&VfKey> = now.keys().chain(before.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (before.get(key), now.get(key)) {
                    (None, Some(_)) => out.push(event(key, EventKind::Appeared)),
                    (Some(_), None) => out.push(event(key, EventKind::Vanished)),
                    (Some(b), Some(n)) => {
                        if b.owner != n.owner {
                            let kind = EventKind::OwnerChanged { old: b.owner.clone(), new: n.owner.clone() };
                            out.push(event(key, kind));
                        }
                        let reset = |prev, now| matches!(counter_step(prev, now), CounterStep::Reset(_));
                        // Counters of another origin (or none) are not comparable: no reset.
                        let comparable = b.origin == n.origin && n.origin != CounterOrigin::Unmeasured;
                        if comparable && (reset(b.tx_bytes, n.tx_bytes) || reset(b.rx_bytes, n.rx_bytes)) {
                            out.push(event(key, EventKind::CounterReset));
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        if self.seen.is_some() {
            self.hold_limit_changes(&reading.limit_changes, &event);
        }
        self.seen = Some(now);
        out.extend(self.link_events(at_ms, snapshot));
        out.extend(snapshot.notes.iter().map(|n| Event {
            at_ms,
            pf: n.pf.clone(),
            vf: n.vf,
            partition: n.vf.and_then(|vf| name(&VfKey { pf: n.pf.clone(), vf })),
            kind: EventKind::Kernel { what: n.what.clone(), line: n.line.clone() },
        }));
        out.sort_by_key(|e| e.at_ms);
        out
    }

    /// The VFs' limit changes, in the order of their keys, as outside changes held a sample
    /// for the audit record that may explain them.
    fn hold_limit_changes(&mut self, changes: &[LimitChange], event: &dyn Fn(&VfKey, EventKind) -> Event) {
        let mut of_vfs: Vec<(&VfKey, &LimitChange)> = changes
            .iter()
            .filter_map(|c| match &c.target {
                Target::Vf(key) => Some((key, c)),
                Target::Devlink(_) => None,
            })
            .collect();
        of_vfs.sort_by(|a, b| a.0.cmp(b.0));
        for (key, c) in of_vfs {
            let e = event(key, EventKind::ExternalChange { old: c.old, new: c.new });
            if !self.explained(&e) {
                self.held.push(e);
            }
        }
    }

    /// A PF whose link went down or came up; one already down when first seen counts too.
    fn link_events(&mut self, at_ms: i64, snapshot: &Snapshot) -> Vec<Event> {
        let mut out = Vec::new();
        for pf in snapshot.pfs.iter().filter(|p| p.link.carrier.is_some()) {
            let before = self.links.insert(pf.name.clone(), pf.link);
            let changed = before.map_or(!pf.link.is_up(), |b| b.is_up() != pf.link.is_up());
            if changed {
                let kind = EventKind::PfLink { up: pf.link.is_up(), oper: pf.link.oper.label().into() };
                out.push(Event { at_ms, pf: pf.name.clone(), vf: None, partition: None, kind });
            }
        }
        out
    }

    /// An outside change some record explains: an audited change to that limit, or the
    /// driver's own clearing (after a link-speed change) to none.
    fn explained(&self, e: &Event) -> bool {
        let EventKind::ExternalChange { new, .. } = &e.kind else { return false };
        let audited = self.audited.iter().any(|(k, limit, _)| Some(k) == e.key().as_ref() && limit == new);
        let by_driver = *new == RateLimit::default() && self.cleared.iter().any(|(pf, _)| *pf == e.pf);
        audited || by_driver
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Pf, Vf};

    fn snap(vfs: &[(u32, u32, u64)]) -> Snapshot {
        let vfs = vfs
            .iter()
            .map(|&(index, max, tx)| Vf {
                index,
                rate: RateLimit::new(0, max),
                counters: crate::model::Counters { tx_bytes: tx, ..Default::default() },
                ..Vf::default()
            })
            .collect();
        Snapshot { pfs: vec![Pf { name: "pf0".into(), vfs, ..Pf::default() }], ..Snapshot::default() }
    }

    /// The finder as the recorder drives it: each sample read against the one before.
    struct Finder {
        finder: EventFinder,
        previous: Option<Snapshot>,
    }

    impl Finder {
        fn new(audit: Option<PathBuf>) -> Finder {
            Finder { finder: EventFinder::new(audit), previous: None }
        }

        fn events(
            &mut self,
            at_ms: i64,
            s: &Snapshot,
            name: &dyn Fn(&VfKey) -> Option<String>,
        ) -> Vec<Event> {
            let reading = Reading::new(self.previous.as_ref(), s);
            let events = self.finder.events(at_ms, &reading, name);
            self.previous = Some(s.clone());
            events
        }
    }

    fn kinds(events: &[Event]) -> Vec<(Option<u32>, String)> {
        events.iter().map(|e| (e.vf, e.label())).collect()
    }

    #[test]
    fn a_vf_whose_owner_changes_is_an_event_naming_both() {
        use crate::model::owner::{Owner, OwnerKind, OwnerSource};
        let mut f = Finder::new(None);
        let none = |_: &VfKey| None;
        let mut s = snap(&[(7, 0, 10)]);
        s.pfs[0].vfs[0].owner = Some(Owner::new(OwnerKind::Vm, "web-03", OwnerSource::Libvirt));
        assert!(f.events(0, &s, &none).is_empty(), "the first sample's owner is in the keyframe");
        assert!(f.events(1000, &s, &none).is_empty());
        s.pfs[0].vfs[0].owner = Some(Owner::new(OwnerKind::Vm, "db-01", OwnerSource::Libvirt));
        assert_eq!(
            kinds(&f.events(2000, &s, &none)),
            vec![(Some(7), "owner vm web-03 → vm db-01".to_string())]
        );
        s.pfs[0].vfs[0].owner = None;
        assert_eq!(
            kinds(&f.events(3000, &s, &none)),
            vec![(Some(7), "owner vm db-01 → no owner".to_string())]
        );
    }

    #[test]
    fn comparison_finds_appear_vanish_reset_and_outside_changes() {
        let mut f = Finder::new(None);
        let none = |_: &VfKey| None;
        assert!(f.events(0, &snap(&[(0, 100, 10), (1, 0, 10)]), &none).is_empty());
        let e = f.events(1000, &snap(&[(0, 200, 5), (2, 0, 0)]), &none);
        assert_eq!(
            kinds(&e),
            vec![
                (Some(0), "counters reset".into()),
                (Some(1), "vanished".into()),
                (Some(2), "appeared".into())
            ]
        );
        // The limit change is held a sample for an audit record; none comes: outside vftop.
        let e = f.events(2000, &snap(&[(0, 200, 5), (2, 0, 0)]), &none);
        assert_eq!(kinds(&e), vec![(Some(0), "max 100M → 200M (outside vftop)".into())]);
        assert_eq!(e[0].at_ms, 1000);
    }

    #[test]
    fn rates_the_driver_cleared_after_a_link_speed_change_are_not_outside_changes() {
        let mut f = Finder::new(None);
        let none = |_: &VfKey| None;
        f.events(0, &snap(&[(0, 300, 0), (1, 500, 0)]), &none);
        let mut cleared = snap(&[(0, 0, 0), (1, 0, 0)]);
        cleared.notes.push(crate::model::KernelNote {
            pf: "pf0".into(),
            vf: None,
            what: crate::driver::RATES_CLEARED.into(),
            line: "igb 0000:00:03.0: Link speed has been changed. VF Transmit rate is disabled".into(),
        });
        let e = f.events(1000, &cleared, &none);
        assert_eq!(kinds(&e), vec![(None, format!("driver: {}", crate::driver::RATES_CLEARED))]);
        assert!(
            f.events(2000, &snap(&[(0, 0, 0), (1, 0, 0)]), &none).is_empty(),
            "no outside change follows"
        );
    }

    #[test]
    fn audited_changes_carry_who_and_are_not_also_outside_changes() {
        let dir = std::env::temp_dir().join(format!("vftop-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("audit.log");
        std::fs::write(&log, "").unwrap();
        let mut f = Finder::new(Some(log.clone()));
        let none = |_: &VfKey| None;
        f.events(0, &snap(&[(0, 100, 0)]), &none);
        assert!(f.events(1000, &snap(&[(0, 300, 0)]), &none).is_empty());
        let line = r#"{"time":"2026-11-25T03:04:00.5Z","user":"alice","sudo_user":null,"pf":"pf0","vf":0,"partition":"NFS","old":{"min_mbps":0,"max_mbps":100},"new":{"min_mbps":0,"max_mbps":300},"outcome":"applied","reason":"operator"}"#;
        std::fs::write(&log, format!("{line}\n")).unwrap();
        let e = f.events(2000, &snap(&[(0, 300, 0)]), &none);
        assert_eq!(kinds(&e), vec![(Some(0), "max 100M → 300M by alice".into())]);
        assert_eq!(e[0].subject(), "NFS (pf0 vf 0)");
        append(&dir, &e).unwrap();
        assert_eq!(read(&dir, 0, i64::MAX), (e, 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
