//! Episodes: the stretches of time a rule of the one Reading held — a partition starved or
//! pinned at its cap with drops, a PF saturated or its guarantees oversubscribed, a VF or PF
//! down — each with its start and end, worst and mean, and its context (who took the link,
//! what changed around it, whose the VF is).
//!
//! The rule against flapping: an episode starts when its condition holds in two samples in a
//! row, and ends when it has not held in two samples in a row for [`END_AFTER`]; a condition
//! that comes back within that is the same episode. So a demand flapping around a threshold
//! every few seconds is one episode, and a one-sample blip neither starts one nor keeps one
//! going.

use super::reading::Reading;
use super::table::ByVf;
pub use crate::model::episode::{CONTEXT_BEFORE, Episode, EpisodeKind};
use crate::model::{Snapshot, VfKey, VfLinkState};
use std::collections::{BTreeMap, VecDeque};

/// An episode ends once its condition has been off this long (ms).
pub const END_AFTER: i64 = 10_000;
/// Samples in a row the condition must hold for an episode to start.
pub const START_AFTER: u32 = 2;

/// What the tracker says happened at a sample.
#[derive(Clone, Debug, PartialEq)]
pub enum EpisodeNews {
    Started(Episode),
    Ended(Episode),
}

/// A condition being watched.
#[derive(Clone, Debug)]
struct Watch {
    episode: Episode,
    /// Samples in a row it held, before it started.
    streak: u32,
    started: bool,
    /// The last sample it held in.
    last_true_ms: i64,
    /// The last sample that ended a run of [`START_AFTER`] or more: what keeps it going.
    last_sustained_ms: i64,
    sum: f64,
    /// Each partition's summed share of the link while it lasts.
    /// Its PF's running share sums (and their sample count) when it was first seen: what
    /// the VFs took during it is the difference at its end.
    shares_at_start: (ByVf<f64>, u64),
}

/// Follows episodes sample by sample.
#[derive(Default)]
pub struct EpisodeTracker {
    watching: BTreeMap<(EpisodeKind, String, Option<u32>), Watch>,
    /// Recent limit changes (time, label, PF), for context.
    changes: VecDeque<(i64, String, String)>,
    last_sample_ms: Option<i64>,
    /// Partition names by PF and VF, learned for PFs with episodes.
    names: BTreeMap<String, BTreeMap<u32, String>>,
    /// Per PF with episodes, each VF's running sum of its share of the link, and the samples
    /// summed.
    shares: BTreeMap<String, (ByVf<f64>, u64)>,
}

/// What a condition measures at one sample, if it holds.
struct Holds {
    kind: EpisodeKind,
    pf: String,
    vf: Option<u32>,
    value: f64,
    partition: Option<String>,
    owner: Option<String>,
}

impl EpisodeTracker {
    /// A limit change on `pf` at `at_ms` (audited or outside), remembered as context.
    pub fn note_change(&mut self, at_ms: i64, pf: &str, label: String) {
        self.changes.push_back((at_ms, label, pf.to_string()));
        while self.changes.front().is_some_and(|(t, _, _)| at_ms - t > 2 * CONTEXT_BEFORE + 3_600_000) {
            self.changes.pop_front();
        }
    }

    /// The episodes going on (started, not ended).
    pub fn active(&self) -> impl Iterator<Item = &Episode> {
        self.watching.values().filter(|w| w.started).map(|w| &w.episode)
    }

    /// Takes in one sample's reading (at `at_ms`); `name` gives a VF's partition name.
    pub fn step(
        &mut self,
        at_ms: i64,
        reading: &Reading<'_>,
        name: &dyn Fn(&VfKey) -> Option<String>,
    ) -> Vec<EpisodeNews> {
        let mut holding = conditions(reading);
        for h in &mut holding {
            let key = h.vf.map(|vf| VfKey { pf: h.pf.clone(), vf });
            h.partition = key.as_ref().and_then(name);
            h.owner = key
                .as_ref()
                .and_then(|k| reading.snapshot.vf(k))
                .and_then(|(_, v)| v.owner.as_ref())
                .map(|o| o.label());
        }
        let mut busy: std::collections::BTreeSet<String> = holding.iter().map(|h| h.pf.clone()).collect();
        busy.extend(self.watching.keys().map(|(_, pf, _)| pf.clone()));
        self.learn_names(reading.snapshot, &busy, name);
        self.add_shares(reading, &busy);
        self.advance(at_ms, holding)
    }

    /// The partition names of the PFs in `busy`, where not known yet (or their VFs changed).
    fn learn_names(
        &mut self,
        snapshot: &Snapshot,
        busy: &std::collections::BTreeSet<String>,
        name: &dyn Fn(&VfKey) -> Option<String>,
    ) {
        for pf in snapshot.pfs.iter().filter(|p| busy.contains(&p.name)) {
            if self.names.get(&pf.name).is_some_and(|n| n.len() == pf.vfs.len()) {
                continue;
            }
            let names = pf
                .vfs
                .iter()
                .map(|vf| {
                    let key = VfKey { pf: pf.name.clone(), vf: vf.index };
                    (vf.index, name(&key).unwrap_or_else(|| format!("vf {}", vf.index)))
                })
                .collect();
            self.names.insert(pf.name.clone(), names);
        }
    }

    /// One sample's conditions (and each PF's partitions' shares of the link).
    fn advance(&mut self, at_ms: i64, holding: Vec<Holds>) -> Vec<EpisodeNews> {
        let previous_ms = self.last_sample_ms.replace(at_ms).unwrap_or(at_ms);
        let mut news = Vec::new();
        for h in holding {
            let key = (h.kind, h.pf.clone(), h.vf);
            let watch = self.watching.entry(key).or_insert_with(|| Watch {
                episode: Episode {
                    kind: h.kind,
                    pf: h.pf.clone(),
                    vf: h.vf,
                    partition: h.partition.clone(),
                    owner: h.owner.clone(),
                    start_ms: at_ms,
                    end_ms: None,
                    worst: h.value,
                    mean: 0.0,
                    samples: 0,
                    top: Vec::new(),
                    changes: Vec::new(),
                },
                streak: 0,
                started: false,
                last_true_ms: at_ms,
                last_sustained_ms: at_ms,
                sum: 0.0,
                shares_at_start: self.shares.get(&h.pf).cloned().unwrap_or_default(),
            });
            // A run broken by a sample without it starts again.
            watch.streak = if watch.last_true_ms == previous_ms { watch.streak + 1 } else { 1 };
            watch.last_true_ms = at_ms;
            if watch.streak >= START_AFTER {
                watch.last_sustained_ms = at_ms;
            }
            watch.sum += h.value;
            watch.episode.samples += 1;
            watch.episode.worst = watch.episode.worst.max(h.value);
            watch.episode.mean = watch.sum / watch.episode.samples as f64;
            if !watch.started && watch.streak >= START_AFTER {
                watch.started = true;
                news.push(EpisodeNews::Started(watch.episode.clone()));
            }
        }
        // Conditions not seen this sample: a streak that had not started is dropped; a
        // started episode ends once it has been off for END_AFTER.
        let mut ended = Vec::new();
        self.watching.retain(|_, w| {
            if !w.started {
                return w.last_true_ms == at_ms;
            }
            if at_ms - w.last_sustained_ms >= END_AFTER {
                ended.push(w.clone());
                return false;
            }
            true
        });
        for w in ended {
            let end = w.last_sustained_ms;
            news.push(EpisodeNews::Ended(self.finish(w, Some(end))));
        }
        news
    }

    /// The episodes still going, as they stand now (a report's window ends in them).
    pub fn still_going(&self) -> Vec<Episode> {
        self.watching.values().filter(|w| w.started).map(|w| self.finish(w.clone(), None)).collect()
    }

    fn finish(&self, w: Watch, end_ms: Option<i64>) -> Episode {
        let mut episode = w.episode;
        episode.end_ms = end_ms;
        let names = self.names.get(&episode.pf);
        let name = |vf: u32| names.and_then(|n| n.get(&vf)).cloned().unwrap_or_else(|| format!("vf {vf}"));
        let (start, start_count) = &w.shares_at_start;
        let (now, count) = self.shares.get(&episode.pf).cloned().unwrap_or_default();
        let during = count.saturating_sub(*start_count).max(1) as f64;
        let mut top: Vec<(String, f64)> = now
            .iter()
            .map(|(vf, sum)| (name(vf), (sum - start.get(vf).copied().unwrap_or(0.0)) / during))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        top.truncate(3);
        episode.top = top;
        let until = end_ms.unwrap_or(w.last_sustained_ms);
        episode.changes = self
            .changes
            .iter()
            .filter(|(t, _, pf)| *pf == episode.pf && *t >= episode.start_ms - CONTEXT_BEFORE && *t <= until)
            .map(|(t, label, _)| (*t, label.clone()))
            .collect();
        episode
    }
}

/// Every condition that holds in this reading, with its measure.
fn conditions(reading: &Reading<'_>) -> Vec<Holds> {
    let snapshot: &Snapshot = reading.snapshot;
    let mut out = Vec::new();
    for (pf_name, c) in &reading.contention {
        let Some(pf) = snapshot.pf(pf_name) else { continue };
        let pf_holds =
            |kind, value| Holds { kind, pf: pf_name.clone(), vf: None, value, partition: None, owner: None };
        if !pf.link.is_up() && pf.link.carrier.is_some() {
            out.push(pf_holds(EpisodeKind::PfDown, 1.0));
            continue;
        }
        let measured = pf.vfs.iter().any(|v| reading.rates(pf_name, v.index).measured());
        if c.saturated && measured {
            out.push(pf_holds(EpisodeKind::Saturated, c.utilisation * 100.0));
        }
        if c.oversubscribed && c.link.0 > 0 {
            out.push(pf_holds(
                EpisodeKind::Oversubscribed,
                f64::from(c.guarantees.0) / f64::from(c.link.0) * 100.0,
            ));
        }
        for vf in &pf.vfs {
            let is = |keys: &[VfKey]| keys.iter().any(|k| k.vf == vf.index && k.pf == *pf_name);
            let rates = reading.rates(pf_name, vf.index);
            let vf_holds = |kind, value| Holds {
                kind,
                pf: pf_name.clone(),
                vf: Some(vf.index),
                value,
                partition: None,
                owner: None,
            };
            if vf.link_state == VfLinkState::Disable {
                out.push(vf_holds(EpisodeKind::VfDown, 1.0));
            }
            if is(&c.starved) {
                let short = vf.rate.min.as_bits_per_sec().0 - rates.tx.0;
                out.push(vf_holds(EpisodeKind::Starved, (short / 1e6).max(0.0)));
            }
            if is(&c.pinned) && rates.drops_per_sec > 0.0 {
                out.push(vf_holds(EpisodeKind::Pinned, rates.drops_per_sec));
            }
        }
    }
    out
}

impl EpisodeTracker {
    /// Adds this sample's share of the link of each VF on the PFs in `busy` (those with a
    /// condition watched: the others' shares are nobody's context) to the running sums.
    fn add_shares(&mut self, reading: &Reading<'_>, busy: &std::collections::BTreeSet<String>) {
        self.shares.retain(|pf, _| busy.contains(pf));
        for pf in reading.snapshot.pfs.iter().filter(|p| busy.contains(&p.name)) {
            let Some(link) = pf.link_speed.filter(|l| l.0 > 0) else { continue };
            let link = link.as_bits_per_sec().0;
            let (sums, count) = match self.shares.get_mut(&pf.name) {
                Some(s) => s,
                None => self.shares.entry(pf.name.clone()).or_default(),
            };
            for vf in &pf.vfs {
                *sums.get_or_insert_with(vf.index, || 0.0) += reading.rates(&pf.name, vf.index).tx.0 / link;
            }
            *count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the tracker over `pattern` (one char a second: `x` the condition holds for NFS,
    /// `.` it does not) and returns the episodes that ended, and the one still going.
    fn run(pattern: &str) -> (Vec<(i64, i64)>, Option<i64>) {
        let mut tracker = EpisodeTracker::default();
        let mut ended = Vec::new();
        for (i, c) in pattern.chars().enumerate() {
            let at_ms = i as i64 * 1000;
            let holds = (c == 'x').then(|| Holds {
                kind: EpisodeKind::Starved,
                pf: "ens1f0".into(),
                vf: Some(2),
                value: 100.0 + i as f64,
                partition: Some("NFS".into()),
                owner: None,
            });
            for news in tracker.advance(at_ms, holds.into_iter().collect()) {
                if let EpisodeNews::Ended(e) = news {
                    ended.push((e.start_ms / 1000, e.end_ms.unwrap() / 1000));
                }
            }
        }
        (ended, tracker.still_going().first().map(|e| e.start_ms / 1000))
    }

    #[test]
    fn two_samples_in_a_row_start_an_episode_and_ten_seconds_without_end_it() {
        let (ended, going) = run("..xxxxx.............");
        assert_eq!((ended, going), (vec![(2, 6)], None));
    }

    #[test]
    fn blips_neither_start_nor_keep_an_episode() {
        assert_eq!(run(".x.x.x.x.x.x.x.x"), (vec![], None));
        // A blip 8 s after the end does not hold it open: it still ends 10 s after 6.
        let (ended, _) = run("..xxxxx.......x.......");
        assert_eq!(ended, vec![(2, 6)]);
    }

    #[test]
    fn flapping_within_the_grace_is_one_episode() {
        let (ended, going) = run("xxx...xxx...xxx...xxx.....................");
        assert_eq!((ended, going), (vec![(0, 20)], None));
        let (ended, going) = run("xxx...xxx...xxx...xxx");
        assert_eq!((ended, going), (vec![], Some(0)));
    }

    #[test]
    fn worst_mean_and_changes_in_context() {
        let mut tracker = EpisodeTracker::default();
        tracker.note_change(-400_000, "ens1f0", "too early".into());
        tracker.note_change(-60_000, "ens1f0", "Backup max 4G → 1G".into());
        tracker.note_change(1_000, "other-pf", "elsewhere".into());
        let holds = |value: f64| Holds {
            kind: EpisodeKind::Starved,
            pf: "ens1f0".into(),
            vf: Some(2),
            value,
            partition: None,
            owner: None,
        };
        for (i, v) in [100.0, 300.0, 200.0].into_iter().enumerate() {
            tracker.advance(i as i64 * 1000, vec![holds(v)]);
        }
        let e = &tracker.still_going()[0];
        assert_eq!((e.worst, e.mean, e.samples), (300.0, 200.0, 3));
        assert_eq!(e.changes, vec![(-60_000, "Backup max 4G → 1G".to_string())]);
    }
}
