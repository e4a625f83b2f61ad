//! The headless report (`--once --json`): two snapshots an interval apart as one JSON document.

use crate::metrics::rate::rates_between;
use crate::model::{Counters, Pf, Snapshot, Vf};
use serde_json::{Value, json};

/// Builds the JSON document from two readings of the same source.
pub fn json_report(before: &Snapshot, after: &Snapshot) -> Value {
    let dt = after.taken_at.saturating_sub(before.taken_at);
    let pfs: Vec<Value> = after.pfs.iter().map(|pf| pf_json(pf, before.pf(&pf.name), dt)).collect();
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
    })
}

fn rates_json(before: Option<&Counters>, after: &Counters, dt: std::time::Duration) -> Value {
    let r = before.and_then(|b| rates_between(b, after, dt)).unwrap_or_default();
    json!({
        "rx_bps": r.rx.0, "tx_bps": r.tx.0, "rx_pps": r.rx_pps, "tx_pps": r.tx_pps,
        "drops_per_sec": r.drops_per_sec, "reset": r.reset,
    })
}

fn counters_json(c: &Counters) -> Value {
    json!({
        "rx_bytes": c.rx_bytes, "tx_bytes": c.tx_bytes, "rx_packets": c.rx_packets,
        "tx_packets": c.tx_packets, "rx_dropped": c.rx_dropped, "tx_dropped": c.tx_dropped,
        "broadcast": c.broadcast, "multicast": c.multicast, "origin": c.origin.label(),
    })
}

fn vf_json(vf: &Vf, before: Option<&Vf>, dt: std::time::Duration) -> Value {
    json!({
        "vf": vf.index,
        "mac": vf.mac.to_string(),
        "vlan": vf.vlan,
        "qos": vf.qos,
        "min_tx_rate_mbps": vf.rate.min.0,
        "max_tx_rate_mbps": vf.rate.max.0,
        "legacy_tx_rate_mbps": vf.legacy_tx_rate.0,
        "link_state": vf.link_state.label(),
        "trust": vf.trust,
        "spoofchk": vf.spoofchk,
        "netdev": vf.netdev,
        "counters": counters_json(&vf.counters),
        "rates": rates_json(before.map(|b| &b.counters), &vf.counters, dt),
        "driver_stats": vf.driver_stats.iter().map(|s| (s.name.clone(), Value::from(s.value))).collect::<serde_json::Map<_, _>>(),
    })
}

fn pf_json(pf: &Pf, before: Option<&Pf>, dt: std::time::Duration) -> Value {
    let vfs: Vec<Value> = pf
        .vfs
        .iter()
        .map(|vf| vf_json(vf, before.and_then(|b| b.vfs.iter().find(|v| v.index == vf.index)), dt))
        .collect();
    json!({
        "name": pf.name,
        "ifindex": pf.ifindex,
        "driver": pf.driver,
        "pci": pf.pci,
        "link_speed_mbps": pf.link_speed.map(|s| s.0),
        "num_vfs": pf.num_vfs,
        "vfs_truncated": pf.vfs_truncated,
        "counters": counters_json(&pf.counters),
        "rates": rates_json(before.map(|b| &b.counters), &pf.counters, dt),
        "vfs": vfs,
    })
}
