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

/// A group of partitions sharing one guarantee and one cap (a devlink rate node).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupClaim {
    pub min: f64,
    pub max: f64,
    /// Indices into the partition claims; a partition belongs to one group at most.
    pub members: Vec<usize>,
}

/// Two-level sharing, as hierarchical VF QoS does: the link is shared between groups (each
/// wanting what its members want, within its own min/max) and ungrouped partitions; then each
/// group's share is shared between its members by the same rules.
pub fn share_tree(link: f64, claims: &[Claim], groups: &[GroupClaim]) -> Vec<f64> {
    if groups.is_empty() {
        return share_link(link, claims);
    }
    let grouped = |i: usize| groups.iter().any(|g| g.members.contains(&i));
    let loose: Vec<usize> = (0..claims.len()).filter(|&i| !grouped(i)).collect();
    let capped = |c: &Claim| if c.max > 0.0 { c.demand.min(c.max) } else { c.demand };
    let mut top: Vec<Claim> = groups
        .iter()
        .map(|g| Claim {
            demand: g.members.iter().map(|&i| capped(&claims[i])).sum(),
            min: g.min,
            max: g.max,
        })
        .collect();
    top.extend(loose.iter().map(|&i| claims[i]));
    let top_alloc = share_link(link, &top);
    let mut alloc = vec![0.0; claims.len()];
    for (g, share) in groups.iter().zip(&top_alloc) {
        let members: Vec<Claim> = g.members.iter().map(|&i| claims[i]).collect();
        for (&i, a) in g.members.iter().zip(share_link(*share, &members)) {
            alloc[i] = a;
        }
    }
    for (&i, a) in loose.iter().zip(&top_alloc[groups.len()..]) {
        alloc[i] = *a;
    }
    alloc
}

#[cfg(test)]
mod tree_tests {
    use super::*;

    const G: f64 = 1e9;

    #[test]
    fn a_group_cap_holds_its_members_together() {
        let claims = [
            Claim { demand: 4.0 * G, min: 0.0, max: 0.0 },
            Claim { demand: 4.0 * G, min: 2.0 * G, max: 0.0 },
            Claim { demand: 1.0 * G, min: 0.0, max: 0.0 },
        ];
        let groups = [GroupClaim { min: 0.0, max: 5.0 * G, members: vec![0, 1] }];
        let a = share_tree(10.0 * G, &claims, &groups);
        assert!((a[0] + a[1] - 5.0 * G).abs() < 1.0, "{a:?}");
        assert!(a[1] >= 2.0 * G, "the member's guarantee holds inside the group: {a:?}");
        assert!((a[2] - 1.0 * G).abs() < 1.0);
    }

    #[test]
    fn a_group_guarantee_holds_when_the_link_is_saturated() {
        let claims =
            [Claim { demand: 9.0 * G, min: 0.0, max: 0.0 }, Claim { demand: 9.0 * G, min: 0.0, max: 0.0 }];
        let groups = [GroupClaim { min: 7.0 * G, max: 0.0, members: vec![0] }];
        let a = share_tree(10.0 * G, &claims, &groups);
        assert!(a[0] >= 7.0 * G, "{a:?}");
        assert!((a[0] - 8.5 * G).abs() < 1.0, "guarantee, then half of the rest: {a:?}");
        assert!(a.iter().sum::<f64>() <= 10.0 * G + 1.0);
    }

    #[test]
    fn without_groups_it_is_the_flat_share() {
        let claims = [Claim { demand: 3.0 * G, min: 0.0, max: 1.0 * G }];
        assert_eq!(share_tree(10.0 * G, &claims, &[]), share_link(10.0 * G, &claims));
    }
}
