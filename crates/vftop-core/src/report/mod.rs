//! `vftop report`: the story of a window of a recording — its episodes worst first, with their
//! numbers and context, what changed, each PF's peak and time at saturation — built by reading
//! the samples again through the one Reading and the episode rules the console and recorder
//! use, then written as text, Markdown, JSON, self-contained HTML or SVG charts.

pub mod html;
pub mod text;

use crate::metrics::episodes::{EpisodeNews, EpisodeTracker};
use crate::metrics::reading::Reading;
use crate::metrics::table::ByVf;
use crate::model::episode::{Episode, EpisodeKind};
use crate::model::event::{Event, EventKind, recorder_restarted};
use crate::model::{Snapshot, VfKey};
use crate::record::events;
use crate::record::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Chart points kept per partition across the window (means over equal buckets).
const POINTS: usize = 1500;

/// What to report on: a window of the recording, and the functions in it.
pub use crate::record::Window as Request;

/// One PF over the window.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PfSummary {
    pub name: String,
    pub link_mbps: Option<u32>,
    /// The highest share of the link used in a sample, 0..1.
    pub peak_use: f64,
    /// How long it was saturated, ms.
    pub saturated_ms: i64,
    /// Packets its VFs dropped in the window.
    pub dropped_packets: f64,
}

/// One partition's transmit rate and cap over the window, for charts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    pub pf: String,
    pub vf: u32,
    pub name: String,
    pub points: Vec<Point>,
}

/// One bucket of a partition's chart: its start, the mean transmit rate, and the limits at
/// its end (Mbit/s, 0: none).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Point {
    pub at_ms: i64,
    pub tx_bps: f64,
    pub max_mbps: u32,
    pub min_mbps: u32,
}

/// The report of one window.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub from_ms: i64,
    pub to_ms: i64,
    pub samples: u64,
    /// Worst first: the kinds that starve someone, then the longest.
    pub episodes: Vec<Episode>,
    /// Limit changes in the window (audited, with who; from outside).
    pub changes: Vec<Event>,
    pub pfs: Vec<PfSummary>,
    #[serde(skip)]
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
}

/// Buckets of one partition's rate while the report is built.
#[derive(Default)]
struct Buckets {
    name: String,
    /// Bucket start, summed tx, samples, the limits last seen; in time order.
    sums: Vec<(i64, f64, u32, crate::model::RateLimit)>,
}

/// Reads the window of `store` (its events journal in `dir`) into a report.
pub fn build(store: &Store, dir: &Path, req: &Request) -> Report {
    let (events, bad_lines) =
        events::read(dir, req.from_ms - crate::model::episode::CONTEXT_BEFORE, req.to_ms);
    let mut report = Report { from_ms: req.from_ms, to_ms: req.to_ms, ..Report::default() };
    if bad_lines > 0 {
        report.warnings.push(format!("{bad_lines} unreadable lines in the events journal skipped"));
    }
    let changes: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::RateChange { .. } | EventKind::ExternalChange { .. }))
        .filter(|e| req.wants(&e.pf, e.vf))
        .collect();
    report.changes = changes.iter().filter(|e| e.at_ms >= req.from_ms).map(|e| (*e).clone()).collect();
    let span = store.span().unwrap_or((req.from_ms, req.to_ms));
    let (first, last) = (req.from_ms.max(span.0), req.to_ms.min(span.1));
    let bucket_ms = ((last - first) / POINTS as i64).max(1);
    // Only the recorder's restarts break a rate (looked up each sample: kept apart).
    let restarts: Vec<Event> =
        events.iter().filter(|e| e.kind == EventKind::RecorderStarted).cloned().collect();
    let mut walk =
        Walk { tracker: EpisodeTracker::default(), previous: None, changes: &changes, next_change: 0 };
    let mut pfs: BTreeMap<String, PfSummary> = BTreeMap::new();
    let mut buckets: BTreeMap<String, ByVf<Buckets>> = BTreeMap::new();
    // Every VF of a PF asked for is read, even with `--vf`: whether one VF is starved depends on
    // the link its neighbours fill. The VF filter applies to what the report tells.
    let keep = |pf: &str, _vf: Option<u32>| req.wants(pf, None);
    let mut samples = 0;
    let mut episodes = Vec::new();
    let damage = store.visit((req.from_ms - LOOKBACK_MS, req.to_ms), &keep, &mut |frame| {
        if frame.at_ms < req.from_ms {
            // Only the earlier sample of the window's first rate.
            walk.previous = Some((frame.at_ms, frame.snapshot));
            return;
        }
        samples += 1;
        let restarted =
            walk.previous.as_ref().is_some_and(|(t, _)| recorder_restarted(&restarts, *t, frame.at_ms));
        if restarted {
            walk.previous = None;
        }
        let previous = walk.previous.take();
        let reading = Reading::new(previous.as_ref().map(|(_, s)| s), &frame.snapshot);
        let dt_ms = previous.as_ref().map_or(0, |(t, _)| frame.at_ms - t);
        summarise(&mut pfs, &reading, dt_ms);
        let bucket = first + (frame.at_ms - first) / bucket_ms * bucket_ms;
        for pf in &frame.snapshot.pfs {
            if !buckets.contains_key(&pf.name) {
                buckets.insert(pf.name.clone(), ByVf::default());
            }
            let Some(of_pf) = buckets.get_mut(&pf.name) else { continue };
            for vf in &pf.vfs {
                let rates = reading.rates(&pf.name, vf.index);
                if !rates.measured() {
                    continue;
                }
                let b = of_pf.get_or_insert_with(vf.index, || Buckets {
                    name: vf.partition.clone().unwrap_or_else(|| format!("vf {}", vf.index)),
                    sums: Vec::new(),
                });
                match b.sums.last_mut() {
                    Some(last) if last.0 == bucket => {
                        *last = (bucket, last.1 + rates.tx.0, last.2 + 1, vf.rate);
                    }
                    _ => b.sums.push((bucket, rates.tx.0, 1, vf.rate)),
                }
            }
        }
        walk.step(frame.at_ms, &reading, &mut episodes);
        walk.previous = Some((frame.at_ms, frame.snapshot));
    });
    report.warnings.extend(damage);
    report.samples = samples;
    report.episodes = episodes;
    report.episodes.extend(walk.tracker.still_going());
    report.episodes.retain(|e| e.vf.is_none() || req.wants(&e.pf, e.vf));
    report.episodes.sort_by(|a, b| {
        severity(a.kind).cmp(&severity(b.kind)).then(b.duration_ms(last).cmp(&a.duration_ms(last)))
    });
    report.pfs = pfs.into_values().collect();
    report.series = buckets
        .into_iter()
        .flat_map(|(pf, of_pf)| of_pf.into_entries().map(move |(vf, b)| (pf.clone(), vf, b)))
        .filter(|(pf, vf, _)| req.wants(pf, Some(*vf)))
        .map(|(pf, vf, b)| Series {
            pf,
            vf,
            name: b.name,
            points: b
                .sums
                .into_iter()
                .map(|(at_ms, sum, n, limit)| Point {
                    at_ms,
                    tx_bps: sum / f64::from(n.max(1)),
                    max_mbps: limit.max.0,
                    min_mbps: limit.min.0,
                })
                .collect(),
        })
        .collect();
    report
}

/// The walk through the samples: the tracker, the sample before, the changes fed in order.
struct Walk<'a> {
    tracker: EpisodeTracker,
    previous: Option<(i64, Snapshot)>,
    changes: &'a [&'a Event],
    next_change: usize,
}

impl Walk<'_> {
    fn step(&mut self, at_ms: i64, reading: &Reading<'_>, out: &mut Vec<Episode>) {
        while let Some(e) = self.changes.get(self.next_change).filter(|e| e.at_ms <= at_ms) {
            self.tracker.note_change(e.at_ms, &e.pf, format!("{}: {}", e.subject(), e.label()));
            self.next_change += 1;
        }
        let snapshot = reading.snapshot;
        let name = |key: &VfKey| snapshot.vf(key).and_then(|(_, v)| v.partition.clone());
        for news in self.tracker.step(at_ms, reading, &name) {
            if let EpisodeNews::Ended(e) = news {
                out.push(e);
            }
        }
    }
}

/// Each PF's peak use, time saturated and drops, from one reading `dt_ms` after the last.
fn summarise(pfs: &mut BTreeMap<String, PfSummary>, reading: &Reading<'_>, dt_ms: i64) {
    for pf in &reading.snapshot.pfs {
        let s = pfs
            .entry(pf.name.clone())
            .or_insert_with(|| PfSummary { name: pf.name.clone(), ..PfSummary::default() });
        s.link_mbps = pf.link_speed.map(|l| l.0);
        let Some(c) = reading.contention_of(&pf.name) else { continue };
        if dt_ms == 0 {
            continue;
        }
        s.peak_use = s.peak_use.max(c.utilisation);
        if c.saturated {
            s.saturated_ms += dt_ms;
        }
        s.dropped_packets += c.drops_per_sec * dt_ms as f64 / 1000.0;
    }
}

/// The first sample's time in the report (its window may start before the recording).
pub fn text_first(report: &Report) -> i64 {
    report.series.iter().filter_map(|s| s.points.first()).map(|p| p.at_ms).min().unwrap_or(report.from_ms)
}

/// The last sample's time in the report.
pub fn text_last(report: &Report) -> i64 {
    report.series.iter().filter_map(|s| s.points.last()).map(|p| p.at_ms).max().unwrap_or(report.to_ms)
}

/// Kinds that starve or cut someone off first.
fn severity(kind: EpisodeKind) -> u8 {
    match kind {
        EpisodeKind::Starved => 0,
        EpisodeKind::PfDown => 1,
        EpisodeKind::VfDown => 2,
        EpisodeKind::Pinned => 3,
        EpisodeKind::Oversubscribed => 4,
        EpisodeKind::Saturated => 5,
    }
}

/// Two windows side by side: per partition its mean rate, share of the link and drops in each.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Comparison {
    pub first: (i64, i64),
    pub second: (i64, i64),
    pub rows: Vec<ComparedPartition>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ComparedPartition {
    pub pf: String,
    pub vf: u32,
    pub name: String,
    /// Mean tx bit/s, mean share of the link (0..1), drops per second: first, second window.
    pub tx_bps: (f64, f64),
    pub share: (f64, f64),
    pub drops_per_sec: (f64, f64),
}

/// How far before a compared window its first rate's earlier sample is looked for.
const LOOKBACK_MS: i64 = 60_000;

/// Compares `[t1, t1 + window]` with `[t2, t2 + window]`.
pub fn compare(store: &Store, req: &Request, t1: i64, t2: i64, window_ms: i64) -> Comparison {
    let mut sums: BTreeMap<VfKey, (String, [f64; 6], [u32; 2])> = BTreeMap::new();
    for (i, start) in [t1, t2].into_iter().enumerate() {
        let mut previous: Option<Snapshot> = None;
        let keep = |pf: &str, vf: Option<u32>| req.wants(pf, vf);
        // From a little before the window, so its first sample has a rate too.
        store.visit((start - LOOKBACK_MS, start + window_ms), &keep, &mut |frame| {
            let reading = Reading::new(previous.as_ref(), &frame.snapshot);
            for pf in frame.snapshot.pfs.iter().filter(|_| frame.at_ms >= start) {
                let link = pf.link_speed.map_or(0.0, |l| l.as_bits_per_sec().0);
                for vf in &pf.vfs {
                    let r = reading.rates(&pf.name, vf.index);
                    if !r.measured() {
                        continue;
                    }
                    let key = VfKey { pf: pf.name.clone(), vf: vf.index };
                    let e = sums.entry(key).or_insert_with(|| (String::new(), [0.0; 6], [0; 2]));
                    e.0 = vf.partition.clone().unwrap_or_else(|| format!("vf {}", vf.index));
                    e.1[i * 3] += r.tx.0;
                    e.1[i * 3 + 1] += if link > 0.0 { r.tx.0 / link } else { 0.0 };
                    e.1[i * 3 + 2] += r.drops_per_sec;
                    e.2[i] += 1;
                }
            }
            previous = Some(frame.snapshot);
        });
    }
    let rows = sums
        .into_iter()
        .map(|(key, (name, s, n))| {
            let mean = |i: usize, w: usize| s[w * 3 + i] / f64::from(n[w].max(1));
            ComparedPartition {
                pf: key.pf,
                vf: key.vf,
                name,
                tx_bps: (mean(0, 0), mean(0, 1)),
                share: (mean(1, 0), mean(1, 1)),
                drops_per_sec: (mean(2, 0), mean(2, 1)),
            }
        })
        .collect();
    Comparison { first: (t1, t1 + window_ms), second: (t2, t2 + window_ms), rows }
}
