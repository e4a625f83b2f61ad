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

/// Which direction of traffic a view shows (`tx`, `rx` in a config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// The longest window a chart can zoom out to.
pub const MAX_WINDOW: Duration = Duration::from_secs(3600);
/// The newest points kept at full resolution (10 min at 1 s, 2.5 min at 250 ms).
pub const FINE_POINTS: usize = 600;
/// Older points are merged into one point per this much time.
pub const COARSE_STEP: Duration = Duration::from_secs(10);

/// A stored point: milliseconds since the history's origin and `f32` rates (16 bytes, where a
/// [`RatePoint`] is 40); `samples` says how many samples a merged (coarse) point stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Stored {
    at_ms: u32,
    tx: f32,
    rx: f32,
    drops: f32,
}

/// A merged point and how many samples it averages.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Merged {
    point: Stored,
    samples: u32,
}

/// A bounded, tiered history of rate points, oldest first: the newest [`FINE_POINTS`] at full
/// resolution, older ones averaged per [`COARSE_STEP`] back to `retain`. Both tiers are ring
/// buffers sized once, so a partition's history has the same size after a minute or a day
/// (about 15 KB), whatever the sampling interval.
#[derive(Clone, Debug)]
pub struct History {
    origin: Option<Duration>,
    fine: VecDeque<Stored>,
    coarse: VecDeque<Merged>,
    /// The coarse point being filled from points leaving the fine tier.
    filling: Option<Merged>,
    /// How many merged points `retain` needs.
    coarse_len: usize,
    retain: Duration,
}

impl Default for History {
    fn default() -> Self {
        Self::new(MAX_WINDOW)
    }
}

impl History {
    pub fn new(retain: Duration) -> Self {
        let coarse_len = (retain.as_millis() / COARSE_STEP.as_millis()) as usize + 1;
        Self {
            origin: None,
            fine: VecDeque::with_capacity(FINE_POINTS),
            coarse: VecDeque::with_capacity(coarse_len),
            filling: None,
            coarse_len,
            retain,
        }
    }

    pub fn push(&mut self, point: RatePoint) {
        let origin = *self.origin.get_or_insert(point.at);
        let stored = Stored {
            at_ms: u32::try_from(point.at.saturating_sub(origin).as_millis()).unwrap_or(u32::MAX),
            tx: point.tx.0 as f32,
            rx: point.rx.0 as f32,
            drops: point.drops_per_sec as f32,
        };
        if self.fine.len() == FINE_POINTS
            && let Some(oldest) = self.fine.pop_front()
        {
            self.merge(oldest);
        }
        self.fine.push_back(stored);
        let horizon = stored.at_ms.saturating_sub(self.retain.as_millis() as u32);
        while self.coarse.front().is_some_and(|c| c.point.at_ms < horizon) {
            self.coarse.pop_front();
        }
        while self.fine.front().is_some_and(|p| p.at_ms < horizon) {
            self.fine.pop_front();
        }
    }

    /// Adds a point leaving the fine tier to the coarse point of its step.
    fn merge(&mut self, p: Stored) {
        let step = COARSE_STEP.as_millis() as u32;
        let same_step = self.filling.is_some_and(|f| f.point.at_ms / step == p.at_ms / step);
        if !same_step && let Some(done) = self.filling.take() {
            if self.coarse.len() == self.coarse_len {
                self.coarse.pop_front();
            }
            self.coarse.push_back(done);
        }
        let m = self
            .filling
            .get_or_insert(Merged { point: Stored { at_ms: p.at_ms, ..Stored::default() }, samples: 0 });
        let n = m.samples as f32;
        let mean = |old: f32, new: f32| (old * n + new) / (n + 1.0);
        m.point = Stored {
            at_ms: p.at_ms,
            tx: mean(m.point.tx, p.tx),
            rx: mean(m.point.rx, p.rx),
            drops: mean(m.point.drops, p.drops),
        };
        m.samples += 1;
    }

    pub fn latest(&self) -> Option<RatePoint> {
        self.fine.back().map(|p| self.expand(p))
    }

    /// Points stored (full-resolution and merged).
    pub fn len(&self) -> usize {
        self.fine.len() + self.coarse.len() + usize::from(self.filling.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expand(&self, p: &Stored) -> RatePoint {
        RatePoint {
            at: self.origin.unwrap_or_default() + Duration::from_millis(u64::from(p.at_ms)),
            tx: BitsPerSec(f64::from(p.tx)),
            rx: BitsPerSec(f64::from(p.rx)),
            drops_per_sec: f64::from(p.drops),
        }
    }

    /// Every stored point, oldest first, with how many samples each stands for.
    fn weighted(&self) -> impl Iterator<Item = (RatePoint, u32)> + '_ {
        let merged = self.coarse.iter().chain(&self.filling).map(|m| (self.expand(&m.point), m.samples));
        merged.chain(self.fine.iter().map(|p| (self.expand(p), 1)))
    }

    /// Points no older than `span` before `now` (merged points where the window reaches back
    /// past the full-resolution tier).
    pub fn window(&self, span: Duration, now: Duration) -> impl Iterator<Item = RatePoint> + '_ {
        let start = now.saturating_sub(span);
        self.weighted().map(|(p, _)| p).filter(move |p| p.at >= start)
    }

    /// p50/p99/max of the rate in `direction` over the window (1 bit/s resolution, 3 digits);
    /// a merged point counts as many samples as it averages.
    pub fn percentiles(&self, span: Duration, now: Duration, direction: Direction) -> Option<Percentiles> {
        let start = now.saturating_sub(span);
        let mut hist = Histogram::<u64>::new(3).ok()?;
        for (p, samples) in self.weighted().filter(|(p, _)| p.at >= start) {
            let bits = p.rate(direction).0.max(0.0).round() as u64;
            hist.record_n(bits, u64::from(samples)).ok()?;
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
    fn old_points_are_merged_and_memory_stays_bounded() {
        let mut h = History::default();
        let ms = |n: u64| Duration::from_millis(n * 250);
        for n in 0..4 * 3600 * 2 {
            h.push(RatePoint {
                at: ms(n),
                tx: BitsPerSec(1e6 * (n % 4) as f64),
                rx: BitsPerSec(0.0),
                drops_per_sec: 0.0,
            });
        }
        let coarse = (MAX_WINDOW.as_secs() / COARSE_STEP.as_secs()) as usize + 1;
        assert!(h.len() <= FINE_POINTS + coarse + 1, "{}", h.len());
        assert!(h.fine.capacity() <= 2 * FINE_POINTS && h.coarse.capacity() <= 2 * coarse, "sized once");
        let now = ms(4 * 3600 * 2 - 1);
        let oldest = h.window(MAX_WINDOW, now).next().unwrap();
        assert!(
            now - oldest.at <= MAX_WINDOW && now - oldest.at >= MAX_WINDOW - COARSE_STEP * 2,
            "{oldest:?}"
        );
        // 0, 1, 2, 3 Mbit/s repeating: a merged point holds the mean, and percentiles weigh
        // each merged point by its samples.
        let merged = h.window(MAX_WINDOW, now).next().unwrap();
        assert!((merged.tx.0 - 1.5e6).abs() < 1e3, "{merged:?}");
        let p = h.percentiles(MAX_WINDOW, now, Direction::Tx).unwrap();
        assert!(p.samples >= 3600 * 4 - 40 && p.samples <= 3600 * 4 + 41, "{p:?}");
        assert!(
            h.window(Duration::from_secs(60), now).all(|q| q.tx.0 == (q.tx.0 / 1e6).round() * 1e6),
            "recent points are not merged"
        );
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
