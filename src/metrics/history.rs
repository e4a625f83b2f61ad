//! Per-partition rate history over a sliding window, with hdrhistogram percentiles.

use crate::model::BitsPerSec;
use hdrhistogram::Histogram;
use std::collections::VecDeque;
use std::time::Duration;

/// One point of a partition's history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    pub at: Duration,
    pub tx: BitsPerSec,
    pub rx: BitsPerSec,
    pub drops_per_sec: f64,
}

/// Which direction of traffic a view shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    Tx,
    Rx,
}

impl RatePoint {
    pub fn rate(&self, direction: Direction) -> BitsPerSec {
        match direction {
            Direction::Tx => self.tx,
            Direction::Rx => self.rx,
        }
    }
}

/// Percentiles of a rate over a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    pub p50: BitsPerSec,
    pub p99: BitsPerSec,
    pub max: BitsPerSec,
    pub samples: u64,
}

/// A bounded history of rate points, oldest first.
#[derive(Clone, Debug)]
pub struct History {
    points: VecDeque<RatePoint>,
    retain: Duration,
}

/// The longest window a chart can zoom out to.
pub const MAX_WINDOW: Duration = Duration::from_secs(3600);

impl Default for History {
    fn default() -> Self {
        Self::new(MAX_WINDOW)
    }
}

impl History {
    pub fn new(retain: Duration) -> Self {
        Self { points: VecDeque::new(), retain }
    }

    pub fn push(&mut self, point: RatePoint) {
        self.points.push_back(point);
        while let Some(first) = self.points.front() {
            if point.at.saturating_sub(first.at) > self.retain {
                self.points.pop_front();
            } else {
                break;
            }
        }
    }

    pub fn latest(&self) -> Option<&RatePoint> {
        self.points.back()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Points no older than `span` before `now`.
    pub fn window(&self, span: Duration, now: Duration) -> impl Iterator<Item = &RatePoint> {
        let start = now.saturating_sub(span);
        self.points.iter().filter(move |p| p.at >= start)
    }

    /// p50/p99/max of the rate in `direction` over the window (1 bit/s resolution, 3 digits).
    pub fn percentiles(&self, span: Duration, now: Duration, direction: Direction) -> Option<Percentiles> {
        let mut hist = Histogram::<u64>::new(3).ok()?;
        for p in self.window(span, now) {
            let bits = p.rate(direction).0.max(0.0).round() as u64;
            hist.record(bits).ok()?;
        }
        if hist.is_empty() {
            return None;
        }
        Some(Percentiles {
            p50: BitsPerSec(hist.value_at_quantile(0.5) as f64),
            p99: BitsPerSec(hist.value_at_quantile(0.99) as f64),
            max: BitsPerSec(hist.max() as f64),
            samples: hist.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(sec: u64, tx: f64) -> RatePoint {
        RatePoint {
            at: Duration::from_secs(sec),
            tx: BitsPerSec(tx),
            rx: BitsPerSec(tx / 2.0),
            drops_per_sec: 0.0,
        }
    }

    #[test]
    fn drops_points_older_than_retention() {
        let mut h = History::new(Duration::from_secs(10));
        for s in 0..30 {
            h.push(point(s, 1.0));
        }
        assert_eq!(h.len(), 11);
        assert_eq!(h.window(Duration::from_secs(5), Duration::from_secs(29)).count(), 6);
    }

    #[test]
    fn percentiles_follow_the_distribution() {
        let mut h = History::default();
        for s in 1..=100 {
            h.push(point(s, s as f64 * 1e6));
        }
        let p = h.percentiles(Duration::from_secs(100), Duration::from_secs(100), Direction::Tx).unwrap();
        let within = |got: BitsPerSec, want: f64| (got.0 - want).abs() / want < 0.01;
        assert!(within(p.p50, 50e6), "{p:?}");
        assert!(within(p.p99, 99e6), "{p:?}");
        assert!(within(p.max, 100e6), "{p:?}");
        assert_eq!(p.samples, 100);
        let rx = h.percentiles(Duration::from_secs(100), Duration::from_secs(100), Direction::Rx).unwrap();
        assert!(within(rx.p50, 25e6), "{rx:?}");
    }

    #[test]
    fn window_limits_percentiles() {
        let mut h = History::default();
        for s in 1..=100 {
            h.push(point(s, if s > 90 { 1e9 } else { 1e6 }));
        }
        let p = h.percentiles(Duration::from_secs(9), Duration::from_secs(100), Direction::Tx).unwrap();
        assert!(p.p50.0 > 0.99e9);
        assert!(h.percentiles(Duration::from_secs(9), Duration::from_secs(500), Direction::Tx).is_none());
    }
}
