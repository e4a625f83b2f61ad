//! Which counters stand for a VF's traffic, by what its PF driver counts (the driver model):
//! its `IFLA_VF_STATS`, its own netdev's, its representor's (oriented), or none — and a
//! one-sample zero from a failing stats call held, not read as a reset.

use crate::driver::{Driver, RepresentorView, VfCounters};
use crate::model::{CounterOrigin, Counters};

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
}

/// The counters that stand for the VF: its driver's where the driver has them, else its
/// netdev's, else its representor's (as the VF sees it), else none (unmeasured).
pub fn pick(driver: Driver, vf_stats: Counters, others: Others, hold: &mut Hold) -> Counters {
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
            pick(Driver::Igb, zeros, Others { netdev: Some(netdev), representor: None }, &mut hold);
        assert_eq!((on_netdev.origin, on_netdev.tx_bytes), (CounterOrigin::VfNetdev, 700));
        let none = pick(Driver::Igb, zeros, Others::default(), &mut hold);
        assert_eq!(none.origin, CounterOrigin::Unmeasured, "unmeasured, not idle");
        let rep = Others { netdev: None, representor: Some(netdev) };
        let as_vf = pick(Driver::Netdevsim, zeros, rep, &mut hold);
        assert_eq!((as_vf.origin, as_vf.tx_bytes), (CounterOrigin::Representor, 700));
        assert_eq!(
            pick(Driver::Bnxt, zeros, rep, &mut hold).origin,
            CounterOrigin::Unmeasured,
            "slow path only"
        );
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
            pick(Driver::Other, vf_stats(0), Others { netdev: Some(netdev), representor: None }, &mut hold);
        assert_eq!(c.origin, CounterOrigin::VfNetdev);
        assert_eq!(
            pick(Driver::Other, vf_stats(9), Others::default(), &mut hold).origin,
            CounterOrigin::VfStats
        );
    }
}
