//! Demand generators: what a simulated partition wants to send at each instant.

use super::scenario::Profile;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A running demand profile with its own deterministic random stream.
pub struct DemandGenerator {
    profile: Profile,
    rng: SmallRng,
    walk_mbps: f64,
}

impl DemandGenerator {
    pub fn new(profile: Profile, seed: u64) -> Self {
        let walk_mbps = match &profile {
            Profile::RandomWalk { start, .. } => f64::from(start.0),
            _ => 0.0,
        };
        Self { profile, rng: SmallRng::seed_from_u64(seed), walk_mbps }
    }

    /// Demand in bits/s at sim time `t` seconds, advancing random state by `dt` seconds.
    pub fn demand_bps(&mut self, t: f64, dt: f64) -> f64 {
        let mbps = match self.profile.clone() {
            Profile::Constant { rate, jitter } => self.jittered(f64::from(rate.0), jitter),
            Profile::OnOff { on, off, on_secs, off_secs, jitter } => {
                let period = (on_secs + off_secs).max(f64::EPSILON);
                let level = if t % period < on_secs { on } else { off };
                self.jittered(f64::from(level.0), jitter)
            }
            Profile::Ramp { from, to, period_secs } => {
                let phase = (t % period_secs.max(f64::EPSILON)) / period_secs.max(f64::EPSILON);
                f64::from(from.0) + (f64::from(to.0) - f64::from(from.0)) * phase
            }
            Profile::RandomWalk { low, high, step, .. } => {
                let delta = self.rng.random_range(-1.0..=1.0) * f64::from(step.0) * dt;
                self.walk_mbps = (self.walk_mbps + delta).clamp(f64::from(low.0), f64::from(high.0));
                self.walk_mbps
            }
            Profile::Diurnal { base, peak, period_secs, jitter } => {
                let angle = std::f64::consts::TAU * t / period_secs.max(f64::EPSILON);
                let day = 0.5 - 0.5 * angle.cos();
                let level = f64::from(base.0) + (f64::from(peak.0) - f64::from(base.0)) * day;
                self.jittered(level, jitter)
            }
        };
        mbps.max(0.0) * 1e6
    }

    fn jittered(&mut self, mbps: f64, jitter: f64) -> f64 {
        if jitter <= 0.0 {
            return mbps;
        }
        mbps * (1.0 + self.rng.random_range(-jitter..=jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mbps;

    #[test]
    fn on_off_alternates() {
        let mut g = DemandGenerator::new(
            Profile::OnOff { on: Mbps(1000), off: Mbps(10), on_secs: 2.0, off_secs: 3.0, jitter: 0.0 },
            1,
        );
        assert_eq!(g.demand_bps(1.0, 0.1), 1e9);
        assert_eq!(g.demand_bps(3.0, 0.1), 1e7);
        assert_eq!(g.demand_bps(5.5, 0.1), 1e9);
    }

    #[test]
    fn random_walk_stays_in_bounds_and_is_seeded() {
        let profile =
            Profile::RandomWalk { start: Mbps(500), low: Mbps(100), high: Mbps(900), step: Mbps(300) };
        let mut a = DemandGenerator::new(profile.clone(), 9);
        let mut b = DemandGenerator::new(profile, 9);
        for i in 0..1000 {
            let t = f64::from(i) * 0.1;
            let x = a.demand_bps(t, 0.1);
            assert_eq!(x, b.demand_bps(t, 0.1));
            assert!((100e6..=900e6).contains(&x));
        }
    }

    #[test]
    fn ramp_and_diurnal_shapes() {
        let mut r =
            DemandGenerator::new(Profile::Ramp { from: Mbps(0), to: Mbps(100), period_secs: 10.0 }, 1);
        assert!((r.demand_bps(5.0, 0.1) - 50e6).abs() < 1.0);
        let mut d = DemandGenerator::new(
            Profile::Diurnal { base: Mbps(100), peak: Mbps(300), period_secs: 100.0, jitter: 0.0 },
            1,
        );
        assert!((d.demand_bps(0.0, 0.1) - 100e6).abs() < 1.0);
        assert!((d.demand_bps(50.0, 0.1) - 300e6).abs() < 1.0);
    }
}
