//! Contention on one PF's link: utilisation, guarantees vs link speed, capped and starved partitions.

use crate::model::{BitsPerSec, DevlinkObject, Mbps, Pf, RateLimit, RateObject, VfKey};

/// Link utilisation from which a link counts as saturated.
pub const SATURATED: f64 = 0.95;
/// Fraction of a cap (or guarantee) at which a partition counts as pinned (or starved).
pub const NEAR: f64 = 0.95;

/// What one partition contributes to its PF's contention picture.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionLoad {
    pub key: VfKey,
    pub tx: BitsPerSec,
    pub limit: RateLimit,
    pub drops_per_sec: f64,
}

/// A devlink rate group on one PF: its members' transmit summed against its limits.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupLoad {
    pub name: String,
    /// `tx_share` as min, `tx_max` as max.
    pub limit: RateLimit,
    pub tx: BitsPerSec,
    pub members: Vec<VfKey>,
}

impl GroupLoad {
    /// The group sends at (or near) its `tx_max`: its members are held by it.
    pub fn at_cap(&self) -> bool {
        !self.limit.max.is_unlimited() && self.tx.0 >= NEAR * self.limit.max.as_bits_per_sec().0
    }
}

/// The devlink rate groups with members on `pf`, each with its members (through nested
/// groups too) and their transmit rates summed (`tx` gives a VF's, in bit/s).
pub fn groups_on(pf: &str, objects: &[RateObject], tx: &dyn Fn(&VfKey) -> f64) -> Vec<GroupLoad> {
    fn members(objects: &[RateObject], device: &str, group: &str, depth: usize, out: &mut Vec<VfKey>) {
        for o in objects.iter().filter(|o| o.target.device == device && o.parent.as_deref() == Some(group)) {
            match (&o.target.object, &o.vf) {
                (DevlinkObject::Leaf(_), Some(key)) => out.push(key.clone()),
                (DevlinkObject::Node(name), _) if depth < 8 => members(objects, device, name, depth + 1, out),
                _ => {}
            }
        }
    }
    objects
        .iter()
        .filter_map(|o| {
            let DevlinkObject::Node(name) = &o.target.object else { return None };
            let mut keys = Vec::new();
            members(objects, &o.target.device, name, 0, &mut keys);
            keys.retain(|k| k.pf == pf);
            (!keys.is_empty()).then(|| GroupLoad {
                name: o.name.clone(),
                limit: o.limit,
                tx: BitsPerSec(keys.iter().map(tx).sum()),
                members: keys,
            })
        })
        .collect()
}

/// The minimum guarantees on one link, as the contention panel counts them: each partition's
/// own, except that a rate group's `tx_share` counts once for its members (the larger of it and
/// their own minimums summed). The rate editor asks the same sum of a proposed change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Guarantees {
    pub mins: Vec<(VfKey, Mbps)>,
    /// Each group's `tx_share` and its members.
    pub groups: Vec<(Mbps, Vec<VfKey>)>,
}

impl Guarantees {
    /// The guarantees on `pf` as its last sample read them (its VFs, and the rate groups
    /// with members on it).
    pub fn on_pf(pf: &Pf, objects: &[RateObject]) -> Guarantees {
        let key = |vf: u32| VfKey { pf: pf.name.clone(), vf };
        Guarantees {
            mins: pf.vfs.iter().map(|v| (key(v.index), v.rate.min)).collect(),
            groups: groups_on(&pf.name, objects, &|_| 0.0)
                .into_iter()
                .map(|g| (g.limit.min, g.members))
                .collect(),
        }
    }

    pub fn sum(&self) -> Mbps {
        self.sum_where(|_, min| min)
    }

    /// The sum were `key`'s minimum `min`.
    pub fn with_min(&self, key: &VfKey, min: Mbps) -> Mbps {
        self.sum_where(|k, own| if k == key { min } else { own })
    }

    fn sum_where(&self, min_of: impl Fn(&VfKey, Mbps) -> Mbps) -> Mbps {
        let groups: Vec<(Mbps, &[VfKey])> = self.groups.iter().map(|(m, k)| (*m, k.as_slice())).collect();
        guarantee_sum(self.mins.iter().map(|(k, m)| (k, min_of(k, *m))), &groups)
    }
}

/// Each partition's minimum (`mins`), except that a group's `tx_share` counts once for its
/// members: the larger of it and their own minimums summed.
fn guarantee_sum<'k>(
    mins: impl Iterator<Item = (&'k VfKey, Mbps)> + Clone,
    groups: &[(Mbps, &[VfKey])],
) -> Mbps {
    let in_group = |k: &VfKey| groups.iter().any(|(_, members)| members.contains(k));
    let ungrouped: u64 = mins.clone().filter(|(k, _)| !in_group(k)).map(|(_, m)| u64::from(m.0)).sum();
    let grouped: u64 = groups
        .iter()
        .map(|(share, members)| {
            let own: u64 =
                mins.clone().filter(|(k, _)| members.contains(k)).map(|(_, m)| u64::from(m.0)).sum();
            u64::from(share.0).max(own)
        })
        .sum();
    Mbps(u32::try_from(ungrouped + grouped).unwrap_or(u32::MAX))
}

/// The contention picture of one PF.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contention {
    pub link: Mbps,
    pub used: BitsPerSec,
    /// used / link speed, 0..=1 (can exceed 1 with inconsistent counters; shown as is).
    pub utilisation: f64,
    pub guarantees: Mbps,
    /// Sum of minimum guarantees exceeds the link speed.
    pub oversubscribed: bool,
    pub saturated: bool,
    /// Partitions sending at (or near) their max cap.
    pub pinned: Vec<VfKey>,
    /// Partitions below their guarantee and dropping while the link is saturated (an idle
    /// partition below its guarantee is not starved, so drops are required as evidence).
    pub starved: Vec<VfKey>,
    pub drops_per_sec: f64,
    /// Rate groups sending at their `tx_max`.
    pub groups_at_cap: Vec<GroupLoad>,
    /// `used` is what crossed the wire (the PF's MAC counters), not the VFs' sum.
    pub from_wire: bool,
    /// VF traffic the NIC's switch turned around (Σ VF tx above what reached the wire).
    pub hairpin: Option<BitsPerSec>,
    /// Pause frames the peer sent us, per second (a paused link starves with no drop).
    pub paused_per_sec: Option<f64>,
    /// The share of the interval the peer held the link paused, 0..=1 (where counted).
    pub paused_fraction: Option<f64>,
    /// The PF's driver reads `min` as a relative weight (mlx5's `bw_share`), not a guarantee:
    /// no guarantees are summed and no partition is called starved.
    pub min_is_weight: bool,
}

/// Assesses one PF's link from its partitions' current loads and its rate groups. A group's
/// guarantee (`tx_share`) counts once for its members: the larger of it and their own
/// minimums.
pub fn assess(link: Mbps, loads: &[PartitionLoad], groups: &[GroupLoad]) -> Contention {
    assess_on(link, loads, groups, PortUse::default())
}

/// What the PF's own port says over the interval, where its driver counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PortUse {
    /// Transmitted on the wire (MAC octets).
    pub wire_tx: Option<BitsPerSec>,
    /// Pause frames received.
    pub paused_per_sec: Option<f64>,
    /// The share of the interval the peer held the port paused (where the driver counts it).
    pub paused_fraction: Option<f64>,
}

/// Like [`assess`], with the link's use read off the wire where the port says it: the PF's
/// own traffic counts, VF↔VF traffic turned in the switch (hairpin) does not.
pub fn assess_on(link: Mbps, loads: &[PartitionLoad], groups: &[GroupLoad], port: PortUse) -> Contention {
    let vf_sum = BitsPerSec(loads.iter().map(|l| l.tx.0).sum());
    let used = port.wire_tx.unwrap_or(vf_sum);
    let hairpin = port.wire_tx.map(|wire| BitsPerSec((vf_sum.0 - wire.0).max(0.0)));
    let link_bps = link.as_bits_per_sec().0;
    let utilisation = if link_bps > 0.0 { used.0 / link_bps } else { 0.0 };
    let group_members: Vec<(Mbps, &[VfKey])> =
        groups.iter().map(|g| (g.limit.min, g.members.as_slice())).collect();
    let guarantees = guarantee_sum(loads.iter().map(|l| (&l.key, l.limit.min)), &group_members);
    let saturated = utilisation >= SATURATED;
    let pinned = loads
        .iter()
        .filter(|l| !l.limit.max.is_unlimited() && l.tx.0 >= NEAR * l.limit.max.as_bits_per_sec().0)
        .map(|l| l.key.clone())
        .collect();
    let starved = loads
        .iter()
        .filter(|l| saturated && !l.limit.min.is_unlimited() && l.drops_per_sec > 0.0)
        .filter(|l| l.tx.0 < NEAR * l.limit.min.as_bits_per_sec().0)
        .map(|l| l.key.clone())
        .collect();
    Contention {
        link,
        used,
        utilisation,
        guarantees,
        oversubscribed: link.0 > 0 && guarantees > link,
        saturated,
        pinned,
        starved,
        drops_per_sec: loads.iter().map(|l| l.drops_per_sec).sum(),
        groups_at_cap: groups.iter().filter(|g| g.at_cap()).cloned().collect(),
        from_wire: port.wire_tx.is_some(),
        hairpin,
        paused_per_sec: port.paused_per_sec,
        paused_fraction: port.paused_fraction,
        min_is_weight: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vf: u32, tx_mbps: f64, min: u32, max: u32) -> PartitionLoad {
        PartitionLoad {
            key: VfKey { pf: "pf0".into(), vf },
            tx: BitsPerSec(tx_mbps * 1e6),
            limit: RateLimit::new(min, max),
            drops_per_sec: if tx_mbps > 0.0 { 1.0 } else { 0.0 },
        }
    }

    #[test]
    fn flags_pinned_starved_and_oversubscription() {
        let loads = [load(0, 50.0, 100, 0), load(1, 1990.0, 0, 2000), load(2, 7900.0, 0, 0)];
        let c = assess(Mbps(10_000), &loads, &[]);
        assert!(c.saturated);
        assert!((c.utilisation - 0.994).abs() < 1e-9);
        assert_eq!(c.pinned.iter().map(|k| k.vf).collect::<Vec<_>>(), vec![1]);
        assert_eq!(c.starved.iter().map(|k| k.vf).collect::<Vec<_>>(), vec![0]);
        assert!(!c.oversubscribed);
        assert_eq!(c.drops_per_sec, 3.0);
    }

    #[test]
    fn below_guarantee_on_idle_link_is_not_starved() {
        let c = assess(Mbps(10_000), &[load(0, 50.0, 100, 0)], &[]);
        assert!(!c.saturated);
        assert!(c.starved.is_empty());
    }

    #[test]
    fn below_guarantee_without_drops_is_just_quiet() {
        let mut quiet = load(0, 50.0, 100, 0);
        quiet.drops_per_sec = 0.0;
        let c = assess(Mbps(10_000), &[quiet, load(1, 9990.0, 0, 0)], &[]);
        assert!(c.saturated);
        assert!(c.starved.is_empty());
    }

    #[test]
    fn guarantees_above_link_speed_are_oversubscribed() {
        let c = assess(Mbps(1000), &[load(0, 0.0, 600, 0), load(1, 0.0, 500, 0)], &[]);
        assert_eq!(c.guarantees, Mbps(1100));
        assert!(c.oversubscribed);
    }

    #[test]
    fn a_group_counts_its_share_once_and_is_flagged_at_its_cap() {
        let loads = [load(0, 100.0, 100, 0), load(1, 1500.0, 0, 0), load(2, 3490.0, 2000, 0)];
        let group = |tx: f64| GroupLoad {
            name: "storage".into(),
            limit: RateLimit::new(3000, 5000),
            tx: BitsPerSec(tx * 1e6),
            members: vec![VfKey { pf: "pf0".into(), vf: 1 }, VfKey { pf: "pf0".into(), vf: 2 }],
        };
        let c = assess(Mbps(10_000), &loads, &[group(4990.0)]);
        assert_eq!(c.guarantees, Mbps(100 + 3000), "the group's 3G, not 3G + iSCSI's 2G");
        assert_eq!(c.groups_at_cap.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["storage"]);
        assert!(assess(Mbps(10_000), &loads, &[group(3000.0)]).groups_at_cap.is_empty());
    }

    #[test]
    fn the_wire_decides_link_use_and_the_rest_is_hairpin() {
        // Two VFs send 6G each to each other through the NIC's switch; 1G reaches the wire.
        let loads = [load(0, 6000.0, 0, 0), load(1, 6000.0, 0, 0)];
        let on_sum = assess(Mbps(10_000), &loads, &[]);
        assert!(on_sum.saturated && !on_sum.from_wire && on_sum.hairpin.is_none());
        let port = PortUse {
            wire_tx: Some(BitsPerSec(1e9)),
            paused_per_sec: Some(3.0),
            paused_fraction: Some(0.25),
        };
        let c = assess_on(Mbps(10_000), &loads, &[], port);
        assert!(c.from_wire && !c.saturated, "{c:?}");
        assert_eq!(c.hairpin, Some(BitsPerSec(11e9)));
        assert_eq!(c.paused_per_sec, Some(3.0));
    }
}
