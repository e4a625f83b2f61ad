//! Which counters stand for a VF's traffic, by what its PF driver counts (the driver model):
//! its `IFLA_VF_STATS`, its own netdev's, its representor's (oriented), or none — and a
//! one-sample zero from a failing stats call held, not read as a reset.

use crate::driver::{Driver, RepresentorView, VfCounters};
use crate::model::{CounterOrigin, Counters, DriverStat};
use std::collections::HashMap;

/// A VF's stats read all zero after non-zero are held this many samples before they are
/// believed (a VF re-created with its counters at zero, and idle).
const HOLD_SAMPLES: u32 = 2;

/// A VF's last `IFLA_VF_STATS`, to tell a failed read from a reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hold {
    last: Option<Counters>,
    zeros: u32,
}

impl Hold {
    /// `now` as it stands, or the last value read (marked held) where `now` is a zero that
    /// may be a failed read: rtnetlink ignores `ndo_get_vf_stats`'s result and sends zeros
    /// (i40e/ice while a VF resets, mlx5 when a firmware command fails).
    pub fn step(&mut self, now: Counters) -> Counters {
        match self.last {
            Some(last) if now.is_all_zero() && !last.is_all_zero() && self.zeros < HOLD_SAMPLES => {
                self.zeros += 1;
                Counters { held: true, ..last }
            }
            _ => {
                self.zeros = 0;
                self.last = Some(now);
                now
            }
        }
    }
}

/// What else counts a VF's traffic this sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Others {
    /// The VF's own netdev (in any namespace).
    pub netdev: Option<Counters>,
    /// Its switchdev representor's netdev.
    pub representor: Option<Counters>,
    /// The PF's own `ethtool -S` lines for it (ixgbe's out-of-tree driver).
    pub pf_ethtool: Option<Counters>,
    /// Its `tx_errors` in the PF driver's sysfs `sriov/<vf>/stats/` (Intel's out-of-tree
    /// i40e/ice).
    pub sysfs_tx_errors: Option<u64>,
}

/// Per-VF counters in a PF's `ethtool -S`, as ixgbe's out-of-tree driver (and its derivatives
/// txgbe, ngbe) names them in `ixgbe_get_strings` (ixgbe_ethtool.c): `VF 3 Rx Packets`,
/// `VF 3 Rx Bytes`, `VF 3 Tx Packets`, `VF 3 Tx Bytes`, `VF 3 MC Packets`. By VF index.
pub fn pf_ethtool_vfs(stats: &[DriverStat]) -> HashMap<u32, Counters> {
    let mut out: HashMap<u32, Counters> = HashMap::new();
    for stat in stats {
        let Some(rest) = stat.name.strip_prefix("VF ") else { continue };
        let Some((index, what)) = rest.split_once(' ') else { continue };
        let Ok(index) = index.parse::<u32>() else { continue };
        let c =
            out.entry(index).or_insert(Counters { origin: CounterOrigin::PfEthtool, ..Counters::default() });
        match what {
            "Rx Packets" => c.rx_packets = stat.value,
            "Rx Bytes" => c.rx_bytes = stat.value,
            "Tx Packets" => c.tx_packets = stat.value,
            "Tx Bytes" => c.tx_bytes = stat.value,
            "MC Packets" => c.multicast = stat.value,
            _ => {}
        }
    }
    out
}

/// The counters that stand for the VF: its driver's where the driver has them, else its
/// netdev's, else its representor's (as the VF sees it), else none (unmeasured). Its transmit
/// errors, which `IFLA_VF_STATS` does not have, come from the driver's sysfs stats, else from
/// the VF's own netdev, whichever counters stand for the rest (a representor's are the other
/// direction's).
pub fn pick(driver: Driver, vf_stats: Counters, others: Others, hold: &mut Hold) -> Counters {
    let tx_errors = others.sysfs_tx_errors.or(others.netdev.and_then(|c| c.tx_errors));
    Counters { tx_errors, ..traffic(driver, vf_stats, others, hold) }
}

/// The counters that stand for the VF's traffic (see [`pick`]).
fn traffic(driver: Driver, vf_stats: Counters, others: Others, hold: &mut Hold) -> Counters {
    // A PF that names per-VF counters in its own statistics has them there, not in VF_STATS.
    if let Some(c) = others.pf_ethtool.filter(|_| vf_stats.is_all_zero()) {
        return c;
    }
    let fallback = others
        .netdev
        .map(|c| Counters { origin: CounterOrigin::VfNetdev, ..c })
        .or_else(|| others.representor.and_then(|c| as_vf(driver.representor_view(), c)));
    match driver.vf_counters() {
        VfCounters::Absent => {
            fallback.unwrap_or(Counters { origin: CounterOrigin::Unmeasured, ..Counters::default() })
        }
        VfCounters::Unknown if vf_stats.is_all_zero() => match fallback {
            Some(c) if !c.is_all_zero() => c,
            _ => hold.step(vf_stats),
        },
        _ => hold.step(vf_stats),
    }
}

/// A representor's counters turned to the VF's view; `None` where they are not its traffic.
fn as_vf(view: RepresentorView, c: Counters) -> Option<Counters> {
    let c = Counters { origin: CounterOrigin::Representor, ..c };
    match view {
        RepresentorView::AsVf => Some(c),
        RepresentorView::Swapped => Some(Counters {
            rx_bytes: c.tx_bytes,
            tx_bytes: c.rx_bytes,
            rx_packets: c.tx_packets,
            tx_packets: c.rx_packets,
            rx_dropped: c.tx_dropped,
            tx_dropped: c.rx_dropped,
            ..c
        }),
        RepresentorView::SlowPathOnly => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vf_stats(tx: u64) -> Counters {
        Counters {
            tx_bytes: tx,
            rx_bytes: tx / 2,
            tx_packets: tx / 100,
            origin: CounterOrigin::VfStats,
            ..Default::default()
        }
    }

    #[test]
    fn a_one_sample_zero_is_held_and_a_lasting_one_believed() {
        let mut hold = Hold::default();
        let others = Others::default();
        assert_eq!(pick(Driver::I40e, vf_stats(5000), others, &mut hold), vf_stats(5000));
        let held = pick(Driver::I40e, vf_stats(0), others, &mut hold);
        assert!(held.held && held.tx_bytes == 5000, "{held:?}");
        assert_eq!(pick(Driver::I40e, vf_stats(6000), others, &mut hold), vf_stats(6000));
        for _ in 0..HOLD_SAMPLES {
            assert!(pick(Driver::I40e, vf_stats(0), others, &mut hold).held);
        }
        let believed = pick(Driver::I40e, vf_stats(0), others, &mut hold);
        assert!(!believed.held && believed.is_all_zero(), "a zero that lasts is a reset");
        assert!(!pick(Driver::I40e, vf_stats(0), others, &mut hold).held, "zero after zero is idle");
    }

    #[test]
    fn drivers_without_vf_counters_use_the_netdev_or_representor_or_say_none() {
        let mut hold = Hold::default();
        let netdev =
            Counters { tx_bytes: 700, rx_bytes: 100, origin: CounterOrigin::Netdev, ..Default::default() };
        let zeros = vf_stats(0);
        let on_netdev =
            pick(Driver::Igb, zeros, Others { netdev: Some(netdev), ..Others::default() }, &mut hold);
        assert_eq!((on_netdev.origin, on_netdev.tx_bytes), (CounterOrigin::VfNetdev, 700));
        let none = pick(Driver::Igb, zeros, Others::default(), &mut hold);
        assert_eq!(none.origin, CounterOrigin::Unmeasured, "unmeasured, not idle");
        let rep = Others { representor: Some(netdev), ..Others::default() };
        let as_vf = pick(Driver::Netdevsim, zeros, rep, &mut hold);
        assert_eq!((as_vf.origin, as_vf.tx_bytes), (CounterOrigin::Representor, 700));
        assert_eq!(
            pick(Driver::Bnxt, zeros, rep, &mut hold).origin,
            CounterOrigin::Unmeasured,
            "slow path only"
        );
    }

    #[test]
    fn transmit_errors_from_sysfs_else_the_vfs_netdev_never_a_representor() {
        let mut hold = Hold::default();
        let netdev = Counters {
            tx_bytes: 700,
            tx_errors: Some(3),
            origin: CounterOrigin::Netdev,
            ..Default::default()
        };
        let with_netdev = Others { netdev: Some(netdev), ..Others::default() };
        // i40e: the traffic is IFLA_VF_STATS', the errors the VF netdev's.
        let i40e = pick(Driver::I40e, vf_stats(5000), with_netdev, &mut hold);
        assert_eq!((i40e.origin, i40e.tx_bytes, i40e.tx_errors), (CounterOrigin::VfStats, 5000, Some(3)));
        let sysfs = Others { sysfs_tx_errors: Some(9), ..with_netdev };
        assert_eq!(
            pick(Driver::I40e, vf_stats(5000), sysfs, &mut hold).tx_errors,
            Some(9),
            "the driver's own file first"
        );
        let in_a_vm = pick(Driver::I40e, vf_stats(5000), Others::default(), &mut hold);
        assert_eq!(in_a_vm.tx_errors, None, "nothing counts them: unknown, not 0");
        // A representor's errors are its own sends, towards the VF: not the VF's transmit errors.
        let rep = Others { representor: Some(netdev), ..Others::default() };
        let as_vf = pick(Driver::Netdevsim, vf_stats(0), rep, &mut Hold::default());
        assert_eq!((as_vf.origin, as_vf.tx_errors), (CounterOrigin::Representor, None));
    }

    #[test]
    fn ixgbe_out_of_tree_per_vf_ethtool_lines_are_the_vfs_counters() {
        let stat = |name: &str, value| DriverStat { name: name.into(), value };
        let stats = [
            stat("rx_packets", 1),
            stat("VF 0 Rx Packets", 10),
            stat("VF 0 Rx Bytes", 1000),
            stat("VF 0 Tx Packets", 20),
            stat("VF 0 Tx Bytes", 2000),
            stat("VF 0 MC Packets", 3),
            stat("VF 12 Tx Bytes", 77),
            stat("VF x Tx Bytes", 5),
            stat("VF 1 Something Else", 9),
        ];
        let vfs = pf_ethtool_vfs(&stats);
        let vf0 = vfs[&0];
        assert_eq!(
            (vf0.rx_packets, vf0.rx_bytes, vf0.tx_packets, vf0.tx_bytes, vf0.multicast),
            (10, 1000, 20, 2000, 3)
        );
        assert_eq!((vfs[&12].tx_bytes, vfs[&12].origin), (77, CounterOrigin::PfEthtool));
        assert_eq!(vfs.len(), 3, "{vfs:?}");
        let mut hold = Hold::default();
        let picked = pick(
            Driver::Ixgbe,
            vf_stats(0),
            Others { pf_ethtool: Some(vf0), ..Others::default() },
            &mut hold,
        );
        assert_eq!((picked.origin, picked.tx_bytes), (CounterOrigin::PfEthtool, 2000));
        let in_tree = pick(
            Driver::Ixgbe,
            vf_stats(50),
            Others { pf_ethtool: Some(vf0), ..Others::default() },
            &mut hold,
        );
        assert_eq!(in_tree.origin, CounterOrigin::VfStats, "real VF_STATS win");
    }

    #[test]
    fn mlx5_representors_count_the_switch_ports_view() {
        let rep = Counters { tx_bytes: 10, rx_bytes: 900, rx_packets: 9, ..Default::default() };
        let vf = as_vf(Driver::Mlx5.representor_view(), rep).unwrap();
        assert_eq!(
            (vf.tx_bytes, vf.rx_bytes, vf.tx_packets),
            (900, 10, 9),
            "the representor's rx is the VF's tx"
        );
    }

    #[test]
    fn unknown_drivers_fall_back_to_a_netdev_that_counts() {
        let mut hold = Hold::default();
        let netdev = Counters { tx_bytes: 70, ..Default::default() };
        let c =
            pick(Driver::Other, vf_stats(0), Others { netdev: Some(netdev), ..Others::default() }, &mut hold);
        assert_eq!(c.origin, CounterOrigin::VfNetdev);
        assert_eq!(
            pick(Driver::Other, vf_stats(9), Others::default(), &mut hold).origin,
            CounterOrigin::VfStats
        );
    }
}
