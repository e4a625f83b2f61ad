//! The simulated NIC's transmit scheduler: shares the link as hardware VF QoS does.

/// What one partition asks of the scheduler, in bits/s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claim {
    pub demand: f64,
    /// Minimum guarantee; 0 = none.
    pub min: f64,
    /// Maximum cap; 0 = none (the link speed).
    pub max: f64,
}

/// Allocates `link` bits/s: guarantees first (scaled down if they oversubscribe the link),
/// then the rest shared max-min fairly; nobody above its cap or its demand.
pub fn share_link(link: f64, claims: &[Claim]) -> Vec<f64> {
    let want: Vec<f64> = claims
        .iter()
        .map(|c| {
            let cap = if c.max > 0.0 { c.max.min(link) } else { link };
            c.demand.max(0.0).min(cap)
        })
        .collect();
    let guaranteed: Vec<f64> = claims.iter().zip(&want).map(|(c, w)| c.min.min(*w)).collect();
    let total_guaranteed: f64 = guaranteed.iter().sum();
    let scale = if total_guaranteed > link { link / total_guaranteed } else { 1.0 };
    let mut alloc: Vec<f64> = guaranteed.iter().map(|g| g * scale).collect();
    let mut remaining = link - alloc.iter().sum::<f64>();
    loop {
        let hungry: Vec<usize> = (0..alloc.len()).filter(|&i| want[i] - alloc[i] > 1e-6).collect();
        if hungry.is_empty() || remaining <= 1e-6 {
            break;
        }
        let share = remaining / hungry.len() as f64;
        for i in hungry {
            let given = share.min(want[i] - alloc[i]);
            alloc[i] += given;
            remaining -= given;
        }
    }
    alloc
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: f64 = 1e9;

    fn claim(demand: f64, min: f64, max: f64) -> Claim {
        Claim { demand, min, max }
    }

    #[test]
    fn under_load_everyone_gets_their_demand() {
        let a = share_link(10.0 * G, &[claim(1.0 * G, 0.0, 0.0), claim(2.0 * G, 0.0, 0.0)]);
        assert_eq!(a, vec![1.0 * G, 2.0 * G]);
    }

    #[test]
    fn caps_are_enforced_and_excess_is_not_sent() {
        let a = share_link(10.0 * G, &[claim(6.0 * G, 0.0, 2.0 * G), claim(1.0 * G, 0.0, 0.0)]);
        assert_eq!(a, vec![2.0 * G, 1.0 * G]);
    }

    #[test]
    fn guarantees_are_honoured_when_saturated() {
        let claims = [claim(0.1 * G, 0.1 * G, 0.0), claim(9.0 * G, 0.0, 0.0), claim(9.0 * G, 2.0 * G, 0.0)];
        let a = share_link(10.0 * G, &claims);
        assert!((a[0] - 0.1 * G).abs() < 1.0);
        assert!(a[2] >= 2.0 * G);
        assert!((a.iter().sum::<f64>() - 10.0 * G).abs() < 1.0);
        // the rest shared fairly between the two hungry ones
        assert!((a[1] - (9.9 * G - 2.0 * G) / 2.0).abs() < 1.0, "{a:?}");
    }

    #[test]
    fn allocation_never_exceeds_link_even_with_oversubscribed_guarantees() {
        let claims = [claim(8.0 * G, 6.0 * G, 0.0), claim(8.0 * G, 6.0 * G, 0.0)];
        let a = share_link(10.0 * G, &claims);
        assert!(a.iter().sum::<f64>() <= 10.0 * G + 1.0);
        assert!((a[0] - a[1]).abs() < 1.0);
    }

    #[test]
    fn demand_above_allocation_is_visible_as_shortfall() {
        let claims = [claim(12.0 * G, 0.0, 0.0)];
        let a = share_link(10.0 * G, &claims);
        assert_eq!(a, vec![10.0 * G]);
        assert!(claims[0].demand - a[0] > 0.0);
    }
}
