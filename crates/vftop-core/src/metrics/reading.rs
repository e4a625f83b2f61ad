//! One reading of a sample: the sample and the one before it → every function's rates (and
//! whether there was an earlier reading to have them), the PF's own, each PF's contention, and
//! the limits that changed. The console, the exporter, the recorder's events, `dump` and
//! `--once` all take their numbers from it; nothing else derives rates from counters or
//! compares limits between samples.

use super::contention::{Contention, PartitionLoad, PortUse, assess_on, groups_on};
use super::rate::{FunctionRates, rates_between, rates_since};
use super::table::ByFunction;
use super::talkers::{Talker, talkers};
use crate::model::{BitsPerSec, Counters, Pf, RateLimit, Snapshot, Target, Vf, VfKey};
use std::borrow::Cow;

/// The VF index of a function that stands for a whole link without VFs (`--all-links`).
pub const WHOLE_LINK: u32 = u32::MAX;

/// A sample read against the one before it.
pub struct Reading<'a> {
    pub snapshot: &'a Snapshot,
    /// Each function's rates by PF and VF index.
    rates: ByFunction<'a, FunctionRates>,
    /// Each PF's own counters' rates.
    pf_rates: Vec<(&'a str, FunctionRates)>,
    /// Each PF's contention, in the sample's PF order.
    pub contention: Vec<(String, Contention)>,
    /// Each PF's port over the interval (where its driver counts it).
    ports: Vec<(&'a str, PortUse)>,
    /// The top talkers of each VF whose sockets were read.
    talkers: ByFunction<'a, Vec<Talker>>,
    /// The VF limits, then the devlink rate objects' limits, that differ from the sample
    /// before, in the sample's order.
    pub limit_changes: Vec<LimitChange>,
}

/// A limit that is not what the sample before had: a VF's rate or a devlink rate object's
/// `tx_share`/`tx_max`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitChange {
    pub target: Target,
    pub old: RateLimit,
    pub new: RateLimit,
}

impl LimitChange {
    /// The change of VF `key`'s limit among `changes`, if it changed.
    pub fn of_vf<'c>(changes: &'c [LimitChange], key: &VfKey) -> Option<&'c LimitChange> {
        changes.iter().find(|c| matches!(&c.target, Target::Vf(k) if k == key))
    }
}

/// The limits of `now` that differ from `previous`'s (none without a previous sample): each
/// VF's, then each devlink rate object's, of those in both.
fn limit_changes(previous: Option<&Snapshot>, now: &Snapshot) -> Vec<LimitChange> {
    let Some(before) = previous else { return Vec::new() };
    let vfs = now.pfs.iter().filter_map(|pf| Some((pf, before.pf(&pf.name)?))).flat_map(|(pf, prev)| {
        pf.vfs.iter().enumerate().filter_map(move |(at, vf)| {
            let old = match prev.vfs.get(at) {
                Some(v) if v.index == vf.index => v.rate,
                _ => prev.vfs.iter().find(|v| v.index == vf.index)?.rate,
            };
            let key = VfKey { pf: pf.name.clone(), vf: vf.index };
            (old != vf.rate).then_some(LimitChange { target: Target::Vf(key), old, new: vf.rate })
        })
    });
    let objects = now.rate_objects.iter().filter_map(|o| {
        let old = before.rate_objects.iter().find(|b| b.target == o.target)?.limit;
        let target = Target::Devlink(o.target.clone());
        (old != o.limit).then_some(LimitChange { target, old, new: o.limit })
    });
    vfs.chain(objects).collect()
}

impl<'a> Reading<'a> {
    /// `now` read against `previous` (`None`: the first sample, or the first after a gap such
    /// as a recorder's restart — no rate for anything).
    pub fn new(previous: Option<&Snapshot>, now: &'a Snapshot) -> Reading<'a> {
        let elapsed = previous.and_then(|p| now.taken_at.checked_sub(p.taken_at));
        let mut rates = ByFunction::default();
        let mut pf_rates = Vec::with_capacity(now.pfs.len());
        let mut ports = Vec::new();
        let mut talkers_of = ByFunction::default();
        for pf in &now.pfs {
            let prev = previous.and_then(|p| p.pf(&pf.name));
            let of_pf = rates.pf_mut(pf.name.as_str());
            for (at, (vf, counters, _)) in counted(pf).enumerate() {
                let rates = match queried_rates(pf, vf, at) {
                    Some(given) => FunctionRates::from(given),
                    None => {
                        rates_since(prev.and_then(|p| counters_of(p, vf, at)).as_ref(), elapsed, &counters)
                    }
                };
                of_pf.insert(vf, rates);
            }
            let own = prev.zip(elapsed).and_then(|(p, dt)| rates_between(&p.counters, &pf.counters, dt));
            pf_rates.push((pf.name.as_str(), own.unwrap_or_default()));
            if let Some((p, dt)) = prev.zip(elapsed) {
                ports.push((pf.name.as_str(), port_use(p, pf, dt)));
            }
            for vf in pf.vfs.iter().filter(|v| !v.sockets.is_empty()) {
                let earlier = prev.and_then(|p| p.vfs.iter().find(|v| v.index == vf.index));
                let top = talkers(earlier.map(|v| v.sockets.as_slice()), &vf.sockets, elapsed);
                talkers_of.pf_mut(pf.name.as_str()).insert(vf.index, top);
            }
        }
        let limit_changes = limit_changes(previous, now);
        let mut reading = Reading {
            snapshot: now,
            rates,
            pf_rates,
            contention: Vec::new(),
            ports,
            talkers: talkers_of,
            limit_changes,
        };
        reading.contention = now.pfs.iter().map(|pf| (pf.name.clone(), reading.assess(pf))).collect();
        reading
    }

    /// The rates of `pf`'s function `vf` (none measured for one that is not in the sample).
    pub fn rates(&self, pf: &str, vf: u32) -> FunctionRates {
        self.rates.get(pf, vf).copied().unwrap_or_default()
    }

    /// The rates of the PF's own counters.
    pub fn pf_rates(&self, pf: &str) -> FunctionRates {
        self.pf_rates.iter().find(|(name, _)| *name == pf).map(|(_, r)| *r).unwrap_or_default()
    }

    /// The processes sending and receiving on `pf`'s VF `vf`, busiest first (none where its
    /// sockets were not read).
    pub fn talkers(&self, pf: &str, vf: u32) -> &[Talker] {
        self.talkers.get(pf, vf).map_or(&[], Vec::as_slice)
    }

    pub fn contention_of(&self, pf: &str) -> Option<&Contention> {
        self.contention.iter().find(|(name, _)| name == pf).map(|(_, c)| c)
    }

    /// One PF's link: its functions' transmit against their limits and its rate groups.
    fn assess(&self, pf: &Pf) -> Contention {
        let weights = !crate::driver::Driver::of(&pf.driver).min_is_guarantee();
        let loads: Vec<PartitionLoad> = counted(pf)
            .map(|(vf, _, limit)| {
                // A min that is a weight promises nothing: left out of guarantees and starvation.
                let limit = if weights { RateLimit { min: crate::model::Mbps(0), ..limit } } else { limit };
                let r = self.rates(&pf.name, vf);
                PartitionLoad {
                    key: VfKey { pf: pf.name.clone(), vf },
                    tx: r.tx,
                    limit,
                    drops_per_sec: r.drops_per_sec,
                }
            })
            .collect();
        let tx = |key: &VfKey| loads.iter().find(|l| &l.key == key).map_or(0.0, |l| l.tx.0);
        let mut groups = groups_on(&pf.name, &self.snapshot.rate_objects, &tx);
        if weights {
            // A group's tx_share is normalised into a weight too (mlx5's esw QoS).
            groups.iter_mut().for_each(|g| g.limit.min = crate::model::Mbps(0));
        }
        let mut port =
            self.ports.iter().find(|(name, _)| *name == pf.name).map(|(_, p)| *p).unwrap_or_default();
        let link = pf.link_speed.unwrap_or_default();
        if let Some(totals) = pf.totals {
            // Only some VFs are in the sample: the link's use is the query engine's sum of all.
            port.wire_tx = Some(totals.tx);
        }
        let mut contention = Contention { min_is_weight: weights, ..assess_on(link, &loads, &groups, port) };
        if let Some(totals) = pf.totals {
            contention.from_wire = false;
            contention.hairpin = None;
            contention.guarantees = if weights { crate::model::Mbps(0) } else { totals.guarantees };
            contention.oversubscribed = link.0 > 0 && contention.guarantees > link;
        }
        contention
    }
}

/// A PF's port between two samples `dt` apart: bits on the wire and pause frames received per
/// second (none where either sample lacks them, or a counter went down).
fn port_use(before: &Pf, now: &Pf, dt: std::time::Duration) -> PortUse {
    let secs = dt.as_secs_f64();
    let per_sec = |a: u64, b: u64| (secs > 0.0 && b >= a).then(|| (b - a) as f64 / secs);
    PortUse {
        wire_tx: before
            .port
            .zip(now.port)
            .and_then(|(a, b)| per_sec(a.tx_bytes, b.tx_bytes))
            .map(|v| BitsPerSec(v * 8.0)),
        paused_per_sec: before.pause.zip(now.pause).and_then(|(a, b)| per_sec(a.rx_frames, b.rx_frames)),
        paused_fraction: before
            .pause
            .zip(now.pause)
            .and_then(|(a, b)| a.rx_paused_us.zip(b.rx_paused_us))
            .and_then(|(a, b)| per_sec(a, b))
            .map(|us_per_sec| (us_per_sec / 1e6).min(1.0)),
    }
}

/// What the reading needs of each of [`functions`] — its index, counters and limit — without
/// making the whole-link function (and copying its driver statistics) every sample.
fn counted(pf: &Pf) -> impl Iterator<Item = (u32, Counters, RateLimit)> + '_ {
    let link =
        (pf.vfs.is_empty() && pf.num_vfs == 0).then_some((WHOLE_LINK, pf.counters, RateLimit::default()));
    pf.vfs.iter().map(|vf| (vf.index, vf.counters, vf.rate)).chain(link)
}

/// The rates a query engine gave with `pf`'s VF `vf` (at `at` in [`counted`]'s order).
fn queried_rates(pf: &Pf, vf: u32, at: usize) -> Option<crate::model::QueriedRates> {
    pf.vfs.get(at).filter(|v| v.index == vf).and_then(|v| v.queried)
}

/// The counters of `pf`'s function `vf` — looked for first where it sits at `at` in
/// [`counted`]'s order, as it does when the PF's VFs did not change.
fn counters_of(pf: &Pf, vf: u32, at: usize) -> Option<Counters> {
    if vf == WHOLE_LINK {
        return counted(pf).last().filter(|(index, _, _)| *index == WHOLE_LINK).map(|(_, c, _)| c);
    }
    match pf.vfs.get(at) {
        Some(v) if v.index == vf => Some(v.counters),
        _ => pf.vfs.iter().find(|v| v.index == vf).map(|v| v.counters),
    }
}

/// The functions of a PF that get rows: its VFs, or the link itself when it has none.
pub fn functions(pf: &Pf) -> Vec<Cow<'_, Vf>> {
    if !pf.vfs.is_empty() || pf.num_vfs > 0 {
        return pf.vfs.iter().map(Cow::Borrowed).collect();
    }
    let link = Vf {
        index: WHOLE_LINK,
        counters: pf.counters,
        driver_stats: pf.driver_stats.clone(),
        netdev: Some(pf.name.clone()),
        ..Default::default()
    };
    vec![Cow::Owned(link)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sim::SimSource;
    use crate::source::sim::scenario::Scenario;
    use crate::source::{FakeClock, Source};
    use std::sync::Arc;
    use std::time::Duration;

    /// The reference demo five seconds in, and its sample then.
    fn first_sample() -> (SimSource, FakeClock, Snapshot) {
        let clock = FakeClock::default();
        let mut sim = SimSource::new(Scenario::reference(), Arc::new(clock.clone()));
        clock.advance(Duration::from_secs(5));
        let first = sim.sample().unwrap();
        (sim, clock, first)
    }

    #[test]
    fn a_sample_read_against_the_one_before_has_rates_and_contention_and_alone_none() {
        let (mut sim, clock, before) = first_sample();
        clock.advance(Duration::from_secs(1));
        let now = sim.sample().unwrap();
        let reading = Reading::new(Some(&before), &now);
        let backup = reading.rates("ens1f0", 1);
        assert!(backup.measured() && (backup.tx.0 - 2e9).abs() < 1e7, "Backup at its 2G cap: {backup:?}");
        let c = reading.contention_of("ens1f0").unwrap();
        assert!(c.pinned.iter().any(|k| k.vf == 1), "{c:?}");
        assert_eq!(c.guarantees, crate::model::Mbps(3100), "Management 100M + storage's 3G once");
        assert!(reading.pf_rates("ens1f0").measured());
        let alone = Reading::new(None, &now);
        assert!(!alone.rates("ens1f0", 1).measured() && !alone.pf_rates("ens1f0").measured());
        assert!(!reading.rates("ens1f0", 99).measured(), "a VF not in the sample");
    }

    #[test]
    fn the_limits_that_changed_since_the_sample_before_are_read_once() {
        let (_, _, before) = first_sample();
        let mut now = before.clone();
        now.pfs[0].vfs[1].rate = RateLimit::new(0, 300);
        now.rate_objects[0].limit = RateLimit::new(100, 200);
        let reading = Reading::new(Some(&before), &now);
        let vf = VfKey { pf: "ens1f0".into(), vf: now.pfs[0].vfs[1].index };
        let changes = &reading.limit_changes;
        assert_eq!(changes.len(), 2, "{changes:?}");
        let of_vf = LimitChange::of_vf(changes, &vf).unwrap();
        assert_eq!((of_vf.old, of_vf.new), (before.pfs[0].vfs[1].rate, RateLimit::new(0, 300)));
        let object = &changes[1];
        assert_eq!(object.target, Target::Devlink(now.rate_objects[0].target.clone()));
        assert_eq!((object.old, object.new), (before.rate_objects[0].limit, RateLimit::new(100, 200)));
        assert!(Reading::new(None, &now).limit_changes.is_empty(), "nothing to compare with");
        assert!(Reading::new(Some(&now), &now).limit_changes.is_empty());
    }

    #[test]
    fn an_mlx5_min_is_a_weight_not_a_guarantee() {
        let (mut sim, clock, mut before) = first_sample();
        clock.advance(Duration::from_secs(1));
        let mut now = sim.sample().unwrap();
        for s in [&mut before, &mut now] {
            s.pfs[0].driver = "mlx5_core".into();
        }
        let reading = Reading::new(Some(&before), &now);
        let c = reading.contention_of("ens1f0").unwrap();
        assert!(c.min_is_weight && c.guarantees == crate::model::Mbps(0) && c.starved.is_empty(), "{c:?}");
    }
}
