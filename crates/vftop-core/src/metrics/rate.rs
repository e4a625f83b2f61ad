//! Counter deltas to rates: monotonic u64 counters, resets (counter went down) and wraps.

use crate::model::{BitsPerSec, CounterOrigin, Counters};
use std::time::Duration;

/// How one counter moved between two readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterStep {
    /// Normal progress (including a 64-bit wrap), by this much.
    Advanced(u64),
    /// The counter went down: the function was reset or re-created. The value is what was
    /// counted since the reset, a lower bound of the true progress — never a spike.
    Reset(u64),
}

impl CounterStep {
    pub fn amount(self) -> u64 {
        match self {
            CounterStep::Advanced(n) | CounterStep::Reset(n) => n,
        }
    }
}

/// Distance below `u64::MAX` from which a decrease is read as a wrap, not a reset.
const WRAP_ZONE: u64 = 1 << 40;

/// Classifies the move of one monotonic u64 counter from `prev` to `now`.
pub fn counter_step(prev: u64, now: u64) -> CounterStep {
    if now >= prev {
        CounterStep::Advanced(now - prev)
    } else if prev > u64::MAX - WRAP_ZONE && now < WRAP_ZONE {
        CounterStep::Advanced(now.wrapping_sub(prev))
    } else {
        CounterStep::Reset(now)
    }
}

/// Rates of one function over one sampling interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FunctionRates {
    pub tx: BitsPerSec,
    pub rx: BitsPerSec,
    pub tx_pps: f64,
    pub rx_pps: f64,
    /// rx + tx drops per second.
    pub drops_per_sec: f64,
    /// Some counter went down (or the counters changed origin) in this interval.
    pub reset: bool,
    /// Whether these are rates at all. Anything but [`Measure::Measured`] means the zeros mean
    /// nothing: shown as "no rate yet" / "unreadable" / "no per-VF counters", an empty CSV
    /// field, a JSON null, a gap in the chart, no exported series, never "starved".
    pub measure: Measure,
}

impl FunctionRates {
    /// There was an earlier reading of the same counters to compare with.
    pub fn measured(&self) -> bool {
        self.measure == Measure::Measured
    }
}

impl Measure {
    pub fn label(self) -> &'static str {
        match self {
            Measure::Measured => "measured",
            Measure::NoEarlier => "no-earlier-reading",
            Measure::Unreadable => "unreadable",
            Measure::NoCounters => "no-per-vf-counters",
        }
    }
}

/// Why a function has rates this interval, or why not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// Two readings of the same counters: real rates.
    Measured,
    /// No earlier reading to compare with (the first sample, a VF just appeared, the first
    /// sample after a recorder restart, counters of another origin).
    #[default]
    NoEarlier,
    /// The driver's counters could not be read in one of the two samples (held values).
    Unreadable,
    /// Nothing counts this function's traffic (the driver has no per-VF counters and no netdev
    /// or representor of the VF was found): unmeasured, not idle.
    NoCounters,
}

impl From<crate::model::QueriedRates> for FunctionRates {
    /// Rates a query engine worked out are measured ones: no reset is told apart from them.
    fn from(q: crate::model::QueriedRates) -> FunctionRates {
        FunctionRates {
            tx: q.tx,
            rx: q.rx,
            tx_pps: q.tx_pps,
            rx_pps: q.rx_pps,
            drops_per_sec: q.drops_per_sec,
            reset: false,
            measure: Measure::Measured,
        }
    }
}

/// Rates between two readings `dt` apart; `None` when `dt` is zero.
pub fn rates_between(prev: &Counters, now: &Counters, dt: Duration) -> Option<FunctionRates> {
    let secs = dt.as_secs_f64();
    if secs <= 0.0 {
        return None;
    }
    if now.origin == CounterOrigin::Unmeasured {
        return Some(FunctionRates { measure: Measure::NoCounters, ..Default::default() });
    }
    if prev.origin != now.origin {
        return Some(FunctionRates { reset: true, ..Default::default() });
    }
    if prev.held || now.held {
        // A held value is the last one read, from an earlier time than its sample's: neither
        // a rate nor a reset can be told from it.
        return Some(FunctionRates { measure: Measure::Unreadable, ..Default::default() });
    }
    let steps = [
        counter_step(prev.tx_bytes, now.tx_bytes),
        counter_step(prev.rx_bytes, now.rx_bytes),
        counter_step(prev.tx_packets, now.tx_packets),
        counter_step(prev.rx_packets, now.rx_packets),
        counter_step(prev.tx_dropped, now.tx_dropped),
        counter_step(prev.rx_dropped, now.rx_dropped),
    ];
    let per_sec = |i: usize| steps[i].amount() as f64 / secs;
    Some(FunctionRates {
        measure: Measure::Measured,
        tx: BitsPerSec(per_sec(0) * 8.0),
        rx: BitsPerSec(per_sec(1) * 8.0),
        tx_pps: per_sec(2),
        rx_pps: per_sec(3),
        drops_per_sec: per_sec(4) + per_sec(5),
        reset: steps.iter().any(|s| matches!(s, CounterStep::Reset(_))),
    })
}

/// The rates of a function whose counters are now `now` and were `before`, `elapsed` ago
/// (`None`: no earlier reading of it — the first sample, or a VF that is new: no rate).
pub fn rates_since(before: Option<&Counters>, elapsed: Option<Duration>, now: &Counters) -> FunctionRates {
    let unmeasured = now.origin == CounterOrigin::Unmeasured;
    before.zip(elapsed).and_then(|(prev, dt)| rates_between(prev, now, dt)).unwrap_or(FunctionRates {
        measure: if unmeasured { Measure::NoCounters } else { Measure::NoEarlier },
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(tx_bytes: u64, rx_bytes: u64) -> Counters {
        Counters { tx_bytes, rx_bytes, ..Default::default() }
    }

    #[test]
    fn steady_progress_gives_bits_per_second() {
        let r = rates_between(&counters(0, 0), &counters(125_000_000, 250), Duration::from_secs(2)).unwrap();
        assert_eq!(r.tx, BitsPerSec(500e6));
        assert_eq!(r.rx, BitsPerSec(1000.0));
        assert!(!r.reset && r.measured());
    }

    #[test]
    fn counter_going_down_is_a_reset_not_a_spike() {
        let r = rates_between(&counters(5_000_000, 10), &counters(1000, 20), Duration::from_secs(1)).unwrap();
        assert!(r.reset);
        assert_eq!(r.tx, BitsPerSec(8000.0));
        assert_eq!(counter_step(5_000_000, 1000), CounterStep::Reset(1000));
    }

    #[test]
    fn wrap_near_u64_max_is_progress() {
        assert_eq!(counter_step(u64::MAX - 9, 5), CounterStep::Advanced(15));
    }

    #[test]
    fn zero_interval_has_no_rate() {
        assert_eq!(rates_between(&counters(0, 0), &counters(1, 1), Duration::ZERO), None);
    }

    #[test]
    fn origin_change_is_a_reset_with_no_rate() {
        let prev = counters(0, 0);
        let now = Counters { origin: crate::model::CounterOrigin::VfNetdev, ..counters(9e9 as u64, 0) };
        let r = rates_between(&prev, &now, Duration::from_secs(1)).unwrap();
        assert!(r.reset);
        assert_eq!(r.tx, BitsPerSec(0.0));
        assert!(!r.measured(), "counters of another origin give no rate");
    }

    #[test]
    fn no_earlier_reading_is_no_rate() {
        let second = Some(Duration::from_secs(1));
        assert!(!rates_since(None, None, &counters(1, 1)).measured());
        assert!(rates_since(Some(&counters(0, 0)), second, &counters(8, 8)).measured());
        assert!(!rates_since(None, second, &counters(8, 8)).measured(), "a VF that just appeared");
    }

    #[test]
    fn held_counters_are_neither_a_rate_nor_a_reset() {
        let prev = counters(9_000_000, 9_000_000);
        let held = Counters { held: true, ..prev };
        let r = rates_between(&prev, &held, Duration::from_secs(1)).unwrap();
        assert_eq!((r.measure, r.reset), (Measure::Unreadable, false));
        // The sample after a held one compares with a value from an earlier time: no rate.
        let back = counters(9_500_000, 9_100_000);
        let r = rates_between(&held, &back, Duration::from_secs(1)).unwrap();
        assert_eq!((r.measure, r.reset), (Measure::Unreadable, false));
        let r = rates_between(&prev, &back, Duration::from_secs(1)).unwrap();
        assert_eq!(r.measure, Measure::Measured);
    }

    #[test]
    fn unmeasured_functions_say_so_even_on_their_first_sample() {
        let none = Counters { origin: CounterOrigin::Unmeasured, ..Default::default() };
        let r = rates_between(&none, &none, Duration::from_secs(1)).unwrap();
        assert_eq!(r.measure, Measure::NoCounters);
        assert_eq!(rates_since(None, None, &none).measure, Measure::NoCounters);
    }
}
