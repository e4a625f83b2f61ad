//! The headless reports of `--once`: two snapshots an interval apart, as one JSON document
//! (`--json`) or as a plain table for a terminal or a ticket.

use crate::metrics::rate::FunctionRates;
use crate::metrics::reading::Reading;
use crate::model::{Counters, Pf, RoleMap, Snapshot, Vf};
use serde_json::{Value, json};

/// Builds the JSON document from two readings of the same source.
pub fn json_report(before: &Snapshot, after: &Snapshot, roles: &RoleMap) -> Value {
    let dt = after.taken_at.saturating_sub(before.taken_at);
    let reading = Reading::new(Some(before), after);
    let pfs: Vec<Value> = after.pfs.iter().map(|pf| pf_json(pf, &reading, roles)).collect();
    let rate_objects: Vec<Value> = after.rate_objects.iter().map(rate_object_json).collect();
    json!({
        "interval_secs": dt.as_secs_f64(),
        "malformed_attributes": after.malformed_attributes,
        "unknown_attributes": after.unknown_attributes,
        "pfs": pfs,
        "rate_objects": rate_objects,
    })
}

fn rate_object_json(o: &crate::model::RateObject) -> Value {
    json!({
        "id": o.target.to_string(),
        "name": o.name,
        "tx_share_mbps": o.limit.min.0,
        "tx_max_mbps": o.limit.max.0,
        "parent": o.parent,
        "pf": o.vf.as_ref().map(|k| k.pf.clone()),
        "vf": o.vf.as_ref().map(|k| k.vf),
        "tx_priority": o.scheduling.priority,
        "tx_weight": o.scheduling.weight,
    })
}

fn rates_json(r: FunctionRates) -> Value {
    json!({
        "rx_bps": r.rx.0, "tx_bps": r.tx.0, "rx_pps": r.rx_pps, "tx_pps": r.tx_pps,
        "drops_per_sec": r.drops_per_sec, "reset": r.reset, "measure": r.measure.label(),
    })
}

fn counters_json(c: &Counters) -> Value {
    json!({
        "rx_bytes": c.rx_bytes, "tx_bytes": c.tx_bytes, "rx_packets": c.rx_packets,
        "tx_packets": c.tx_packets, "rx_dropped": c.rx_dropped, "tx_dropped": c.tx_dropped,
        "broadcast": c.broadcast, "multicast": c.multicast, "tx_errors": c.tx_errors,
        "origin": c.origin.label(), "held": c.held,
    })
}

/// A VF's partition name, as the console shows it (roles, or the source's own), if it has one.
fn partition(roles: &RoleMap, pf: &str, vf: &Vf) -> Option<String> {
    let key = crate::model::VfKey { pf: pf.to_string(), vf: vf.index };
    roles.resolve(&key, vf.vlan).map(|r| r.name.clone()).or_else(|| vf.partition.clone())
}

/// A VF's owner: its kind, name, label and where it was read (`null`: none found).
fn owner_json(vf: &Vf) -> Value {
    vf.owner.as_ref().map_or(Value::Null, |o| {
        json!({
            "kind": o.kind, "name": o.name, "namespace": o.namespace, "container": o.container,
            "detail": o.detail, "source": o.source, "label": o.label(),
        })
    })
}

fn talkers_json(talkers: &[crate::metrics::talkers::Talker]) -> Value {
    Value::Array(
        talkers
            .iter()
            .map(|t| {
                json!({
                    "pid": t.pid, "process": t.process, "sockets": t.sockets,
                    "tx_bps": t.tx.map(|b| b.0), "rx_bps": t.rx.map(|b| b.0), "transports": t.transports,
                })
            })
            .collect(),
    )
}

fn vf_json(vf: &Vf, reading: &Reading, pf: &str, partition: Option<String>, driver: &str) -> Value {
    let rates = reading.rates(pf, vf.index);
    // The cap the hardware enforces where the driver reports the request (i40e).
    let enforced = crate::driver::Driver::of(driver).enforced_max(vf.rate.max);
    json!({
        "vf": vf.index,
        "partition": partition,
        "mac": vf.mac.to_string(),
        "vlan": vf.vlan,
        "qos": vf.qos,
        "min_tx_rate_mbps": vf.rate.min.0,
        "max_tx_rate_mbps": vf.rate.max.0,
        "enforced_max_tx_rate_mbps": enforced.map(|m| m.0),
        "legacy_tx_rate_mbps": vf.legacy_tx_rate.0,
        "link_state": vf.link_state.label(),
        "trust": vf.trust,
        "spoofchk": vf.spoofchk,
        "netdev": vf.netdev,
        "netns": vf.netns,
        "representor": vf.representor,
        "pci": vf.pci,
        "owner": owner_json(vf),
        "talkers": talkers_json(reading.talkers(pf, vf.index)),
        "counters": counters_json(&vf.counters),
        "rates": rates_json(rates),
        "driver_stats": vf.driver_stats.iter().map(|s| (s.name.clone(), Value::from(s.value))).collect::<serde_json::Map<_, _>>(),
    })
}

fn pf_json(pf: &Pf, reading: &Reading, roles: &RoleMap) -> Value {
    let vfs: Vec<Value> = pf
        .vfs
        .iter()
        .map(|vf| vf_json(vf, reading, &pf.name, partition(roles, &pf.name, vf), &pf.driver))
        .collect();
    json!({
        "name": pf.name,
        "ifindex": pf.ifindex,
        "driver": pf.driver,
        "pci": pf.pci,
        "link_speed_mbps": pf.link_speed.map(|s| s.0),
        "num_vfs": pf.num_vfs,
        "vfs_truncated": pf.vfs_truncated,
        "unreported_vfs": pf.unreported_vfs,
        "link": { "oper": pf.link.oper.label(), "carrier": pf.link.carrier, "up": pf.link.is_up() },
        "pause": pf.pause,
        "port": pf.port,
        "counters": counters_json(&pf.counters),
        "rates": rates_json(reading.pf_rates(&pf.name)),
        "vfs": vfs,
    })
}

/// A plain-text table: one line per PF, then one per VF with rates, limits and origin.
pub fn text_report(before: &Snapshot, after: &Snapshot, roles: &RoleMap) -> String {
    use crate::units::{RateUnit, format_rate};
    let reading = Reading::new(Some(before), after);
    let mut out = String::new();
    for pf in &after.pfs {
        let r = reading.pf_rates(&pf.name);
        let speed = pf.link_speed.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
        let truncated = if pf.vfs_truncated { " TRUNCATED" } else { "" };
        out.push_str(&format!(
            "{} ({}, {speed}, {}/{} VFs{truncated})  tx {}  rx {}\n",
            pf.name,
            pf.driver,
            pf.vfs.len(),
            pf.num_vfs,
            format_rate(r.tx, RateUnit::Bits),
            format_rate(r.rx, RateUnit::Bits)
        ));
        for vf in &pf.vfs {
            let r = reading.rates(&pf.name, vf.index);
            out.push_str(&format!(
                "  vf {:<3} {:<12} {}  vlan {:<4}  min {:<6} max {:<6}  tx {:>12}  rx {:>12}  drops/s {:>8.0}  [{}]{}\n",
                vf.index,
                partition(roles, &pf.name, vf).unwrap_or_else(|| "-".into()),
                vf.mac,
                vf.vlan,
                vf.rate.min.to_string(),
                vf.rate.max.to_string(),
                format_rate(r.tx, RateUnit::Bits),
                format_rate(r.rx, RateUnit::Bits),
                r.drops_per_sec,
                vf.counters.origin.label(),
                vf.netdev.as_ref().map(|n| format!(" {n}")).unwrap_or_default()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sim::SimSource;
    use crate::source::sim::scenario::Scenario;
    use crate::source::{FakeClock, Source};
    use std::sync::Arc;
    use std::time::Duration;

    fn roles_of_the_demo() -> crate::model::RoleMap {
        let clock = FakeClock::default();
        SimSource::new(Scenario::reference(), Arc::new(clock)).roles()
    }

    fn two_samples() -> (Snapshot, Snapshot) {
        let clock = FakeClock::default();
        let mut sim = SimSource::new(Scenario::reference(), Arc::new(clock.clone()));
        clock.advance(Duration::from_secs(5));
        let before = sim.sample().unwrap();
        clock.advance(Duration::from_secs(2));
        (before, sim.sample().unwrap())
    }

    #[test]
    fn json_has_the_contract_fields_and_rates() {
        let (before, after) = two_samples();
        let roles = crate::model::RoleMap::default().over(roles_of_the_demo());
        let doc = json_report(&before, &after, &roles);
        assert_eq!(doc["interval_secs"], 2.0);
        let pf = &doc["pfs"][0];
        for f in ["name", "ifindex", "driver", "link_speed_mbps", "num_vfs", "vfs_truncated", "vfs"] {
            assert!(!pf[f].is_null(), "{f}");
        }
        let backup = &pf["vfs"][1];
        assert_eq!((backup["vlan"].as_u64(), backup["max_tx_rate_mbps"].as_u64()), (Some(300), Some(2000)));
        let tx = backup["rates"]["tx_bps"].as_f64().unwrap();
        assert!((tx - 2e9).abs() < 1e7, "Backup bursts at its 2G cap: {tx}");
        assert_eq!(backup["counters"]["origin"], "sim");
        assert_eq!(backup["partition"], "Backup", "partition names, as the console and exporter have them");
    }

    #[test]
    fn text_has_a_line_per_pf_and_vf() {
        let (before, after) = two_samples();
        let roles = crate::model::RoleMap::default().over(roles_of_the_demo());
        let text = text_report(&before, &after, &roles);
        assert_eq!(text.lines().count(), 7, "{text}");
        assert!(text.starts_with("ens1f0 (sim, 10G, 6/6 VFs)"), "{text}");
        let backup = text.lines().find(|l| l.contains("vlan 300")).unwrap();
        assert!(backup.contains("max 2G") && backup.contains("tx    2.00 Gb/s"), "{backup}");
        assert!(backup.contains("vf 1   Backup"), "{backup}");
    }
}
