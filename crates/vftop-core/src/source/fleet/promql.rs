//! The PromQL the fleet console sends, sized to what the screen shows: the worst partitions
//! of the whole fleet by the console's own worst-first score, their PFs' sums, the fleet's
//! counts, or one host's VFs. Rates come from `rate()` in the query engine, over its own
//! samples; where the backend has the mixin's recording rules (which this module also writes),
//! their series are read instead of the raw ones.

use crate::families;
use std::fmt::Write as _;
use std::time::Duration;

/// A quantity the console reads, raw or recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// One of the upstream exporter's VF counters, per second.
    Rate(&'static str),
    /// rx + tx drops per second.
    Drops,
    /// Transmit over the VF's effective cap (its max rate, else the link).
    CapShare,
    /// The console's worst-first order as one number (see [`Promql::define`]).
    Score,
    /// Per PF: the VFs' transmit summed (bytes/s).
    PfTx,
    /// Per PF: that over the link speed.
    PfLinkUse,
    /// Per PF: the VFs' minimum rates summed (bytes/s).
    PfGuarantees,
    /// Per PF: that over the link speed.
    PfGuaranteeRatio,
    /// Per PF: VFs at their cap, starved, dropping.
    PfAtCap,
    PfStarved,
    PfDropping,
    /// Per PF: its worst VF's score.
    PfScore,
}

/// Every quantity with a recording rule, in the order the rules are evaluated (each uses only
/// the ones before it).
pub const RECORDED: [Quantity; 17] = [
    Quantity::Rate(families::SRIOV_TX_BYTES),
    Quantity::Rate(families::SRIOV_RX_BYTES),
    Quantity::Rate(families::SRIOV_TX_PACKETS),
    Quantity::Rate(families::SRIOV_RX_PACKETS),
    Quantity::Rate(families::SRIOV_TX_DROPPED),
    Quantity::Rate(families::SRIOV_RX_DROPPED),
    Quantity::Drops,
    Quantity::CapShare,
    Quantity::Score,
    Quantity::PfTx,
    Quantity::PfLinkUse,
    Quantity::PfGuarantees,
    Quantity::PfGuaranteeRatio,
    Quantity::PfAtCap,
    Quantity::PfStarved,
    Quantity::PfDropping,
    Quantity::PfScore,
];

/// The window the recording rules' rates are over.
pub const RECORDED_WINDOW: Duration = Duration::from_secs(60);

impl Quantity {
    /// Its recording rule's name, `level:metric:operations`.
    pub fn record_name(self) -> String {
        match self {
            Quantity::Rate(counter) => format!("instance_pf_vf:{counter}:rate1m"),
            Quantity::Drops => "instance_pf_vf:vftop_vf_drops:rate1m".into(),
            Quantity::CapShare => "instance_pf_vf:vftop_vf_cap_share:ratio".into(),
            Quantity::Score => "instance_pf_vf:vftop_worst_first:score".into(),
            Quantity::PfTx => format!("instance_pf:{}:rate1m", families::SRIOV_TX_BYTES),
            Quantity::PfLinkUse => "instance_pf:vftop_link_use:ratio".into(),
            Quantity::PfGuarantees => format!("instance_pf:{}:sum", families::VF_MIN_RATE),
            Quantity::PfGuaranteeRatio => "instance_pf:vftop_guarantees:ratio".into(),
            Quantity::PfAtCap => format!("instance_pf:{}:sum", families::VF_AT_CAP),
            Quantity::PfStarved => format!("instance_pf:{}:sum", families::VF_BELOW_GUARANTEE),
            Quantity::PfDropping => "instance_pf:vftop_vf_dropping:count".into(),
            Quantity::PfScore => "instance_pf:vftop_worst_first:score".into(),
        }
    }
}

/// How the queries are written for one fleet (its selector, host label and rate window).
#[derive(Clone, Debug)]
pub struct Promql {
    /// The selector's matchers without braces (`job="vftop"`), maybe empty.
    matchers: String,
    /// The labels a VF keeps (`job, instance, pf, vf`, and the host label where it is another).
    vf_by: String,
    /// The labels a PF keeps.
    pf_by: String,
    window: String,
    /// Read the recording rules' series rather than the raw ones.
    pub recorded: bool,
}

/// The tag a combined query puts on each of its parts (`label_replace(…, "q", …)`).
pub const PART: &str = "q";

impl Promql {
    /// Queries over the series `matchers` select, hosts told apart by `host_label`, rates over
    /// `window` (whole seconds).
    pub fn new(matchers: &str, host_label: &str, window: Duration) -> Promql {
        let host = if host_label == "instance" { String::new() } else { format!("{host_label}, ") };
        Promql {
            matchers: matchers.to_string(),
            vf_by: format!("job, instance, {host}pf, vf"),
            pf_by: format!("job, instance, {host}pf"),
            window: match window.as_secs().max(1) {
                s if s % 60 == 0 => format!("{}m", s / 60),
                s => format!("{s}s"),
            },
            recorded: false,
        }
    }

    /// The same queries narrowed to the series with these extra matchers (one host).
    pub fn narrowed(&self, matcher: &str) -> Promql {
        let matchers = match self.matchers.is_empty() {
            true => matcher.to_string(),
            false => format!("{},{matcher}", self.matchers),
        };
        Promql { matchers, ..self.clone() }
    }

    /// The same queries reading the recording rules' series (`true`) or the raw ones.
    pub fn with_rules(&self, recorded: bool) -> Promql {
        Promql { recorded, ..self.clone() }
    }

    /// Whether the recording rules can stand for the raw series here: they keep `job` and
    /// `instance` only and rate over one minute.
    pub fn can_use_rules(&self, host_label: &str, window: Duration) -> bool {
        host_label == "instance" && window == RECORDED_WINDOW
    }

    /// `name{matchers}` (extra matchers first).
    fn sel(&self, name: &str, extra: &str) -> String {
        let all: Vec<&str> = [extra, self.matchers.as_str()].into_iter().filter(|m| !m.is_empty()).collect();
        match all.is_empty() {
            true => name.to_string(),
            false => format!("{name}{{{}}}", all.join(",")),
        }
    }

    /// A gauge per VF (the labels every VF expression keeps).
    fn gauge(&self, family: &str) -> String {
        format!("sum by ({}) ({})", self.vf_by, self.sel(family, ""))
    }

    /// A PF's gauge (link speed and the like), at PF level.
    fn pf_gauge(&self, family: &str) -> String {
        format!("max by ({}) ({})", self.pf_by, self.sel(family, ""))
    }

    /// `q` as this fleet reads it: its recording rule's series, or its definition.
    pub fn expr(&self, q: Quantity) -> String {
        match self.recorded {
            true => self.sel(&q.record_name(), ""),
            false => self.define(q),
        }
    }

    /// What `q` is, in terms of the raw series and the quantities before it.
    pub fn define(&self, q: Quantity) -> String {
        let (vf, pf) = (&self.vf_by, &self.pf_by);
        match q {
            Quantity::Rate(counter) => {
                format!("sum by ({vf}) (rate({}[{}]))", self.sel(counter, ""), self.window)
            }
            Quantity::Drops => format!(
                "({} + {})",
                self.expr(Quantity::Rate(families::SRIOV_TX_DROPPED)),
                self.expr(Quantity::Rate(families::SRIOV_RX_DROPPED))
            ),
            Quantity::CapShare => {
                let max = self.gauge(families::VF_MAX_RATE);
                let link = self.pf_gauge(families::LINK_SPEED);
                format!(
                    "{} / (({max} > 0) or ({max} * 0 + on ({pf}) group_left {link}) or ({max} * 0 + 1e18))",
                    self.expr(Quantity::Rate(families::SRIOV_TX_BYTES))
                )
            }
            Quantity::Score => self.score(),
            Quantity::PfTx => {
                format!("sum by ({pf}) ({})", self.expr(Quantity::Rate(families::SRIOV_TX_BYTES)))
            }
            Quantity::PfLinkUse => {
                format!("{} / on ({pf}) {}", self.expr(Quantity::PfTx), self.pf_gauge(families::LINK_SPEED))
            }
            Quantity::PfGuarantees => format!("sum by ({pf}) ({})", self.sel(families::VF_MIN_RATE, "")),
            Quantity::PfGuaranteeRatio => format!(
                "{} / on ({pf}) {}",
                self.expr(Quantity::PfGuarantees),
                self.pf_gauge(families::LINK_SPEED)
            ),
            Quantity::PfAtCap => format!("sum by ({pf}) ({})", self.sel(families::VF_AT_CAP, "")),
            Quantity::PfStarved => format!("sum by ({pf}) ({})", self.sel(families::VF_BELOW_GUARANTEE, "")),
            Quantity::PfDropping => format!("sum by ({pf}) ({} > bool 0)", self.expr(Quantity::Drops)),
            Quantity::PfScore => format!("max by ({pf}) ({})", self.expr(Quantity::Score)),
        }
    }

    /// The console's worst-first order (a class — starved 4, at its cap with drops 3, dropping
    /// 2, on a PF whose guarantees are oversubscribed 1 — then drops per second, then the
    /// share of its cap) as one number: class × 10¹³ + drops/s (to 10⁹) × 10³ + share (to 9).
    /// The class is the largest that applies, each input read once.
    fn score(&self) -> String {
        let (vf, pf) = (&self.vf_by, &self.pf_by);
        let starved = self.gauge(families::VF_BELOW_GUARANTEE);
        let at_cap = self.gauge(families::VF_AT_CAP);
        let drops = self.expr(Quantity::Drops);
        let oversubscribed = self.sel(families::EPISODE_ACTIVE, "kind=\"oversubscribed\"");
        let classes = [
            ("starved", format!("4 * {starved}")),
            // 3 at the cap and dropping, 2 dropping, 0 not dropping.
            ("dropping", format!("({drops} > bool 0) * (2 + {at_cap})")),
            (
                "oversubscribed",
                format!("{at_cap} * 0 + on ({pf}) group_left max by ({pf}) ({oversubscribed})"),
            ),
        ];
        let class = format!("max by ({vf}) ({})", tagged_as("class", &classes));
        let share = self.expr(Quantity::CapShare);
        format!("{class} * 1e13 + clamp_max({drops}, 1e9) * 1e3 + clamp_max({share}, 9)")
    }

    /// The worst `n` VFs of the fleet (or of a narrowed one).
    pub fn worst(&self, n: usize) -> String {
        format!("topk({n}, {})", self.expr(Quantity::Score))
    }

    /// The `n` PFs whose worst VFs are worst: the worst `n` VFs of the fleet are all on them,
    /// and with the recording rules there are as many scores to rank as PFs, not VFs.
    pub fn worst_pfs(&self, n: usize) -> String {
        format!("topk({n}, {})", self.expr(Quantity::PfScore))
    }

    /// What the console shows of each VF, as one query whose parts are tagged [`PART`]; only
    /// the VFs `among` selects (`and on (…) …`), or all.
    pub fn vf_rows(&self, among: Option<&str>) -> String {
        let rate = |c| self.expr(Quantity::Rate(c));
        let parts = [
            ("tx", rate(families::SRIOV_TX_BYTES)),
            ("rx", rate(families::SRIOV_RX_BYTES)),
            ("tx_pps", rate(families::SRIOV_TX_PACKETS)),
            ("rx_pps", rate(families::SRIOV_RX_PACKETS)),
            ("drops", self.expr(Quantity::Drops)),
            ("min", self.gauge(families::VF_MIN_RATE)),
            ("max", self.gauge(families::VF_MAX_RATE)),
            ("partition", self.sel(families::PARTITION_INFO, "")),
            ("owner", self.sel(families::VF_OWNER_INFO, "")),
        ];
        restricted(&tagged(&parts), among.map(|a| (self.vf_by.as_str(), a)))
    }

    /// What the console shows of each PF: its link and VF count, and sums over all its VFs;
    /// only the PFs of the VFs `among` selects, or all.
    pub fn pf_rows(&self, among: Option<&str>) -> String {
        let parts = [
            ("link", self.pf_gauge(families::LINK_SPEED)),
            ("vfs", self.pf_gauge(families::PF_VFS)),
            ("truncated", self.pf_gauge(families::PF_VFS_TRUNCATED)),
            ("tx", self.expr(Quantity::PfTx)),
            ("guarantees", self.expr(Quantity::PfGuarantees)),
            ("at_cap", self.expr(Quantity::PfAtCap)),
            ("starved", self.expr(Quantity::PfStarved)),
            ("dropping", self.expr(Quantity::PfDropping)),
        ];
        restricted(&tagged(&parts), among.map(|a| (self.pf_by.as_str(), a)))
    }

    /// The fleet's counts: targets and those up, PFs, VFs, how old the newest scrape is, and
    /// the first few targets that are down.
    pub fn totals(&self) -> String {
        let up = self.sel("up", "");
        let parts = [
            ("hosts", format!("count({up})")),
            ("hosts_up", format!("count({up} == 1)")),
            ("pfs", format!("count({})", self.pf_gauge(families::PF_VFS))),
            ("vfs", format!("sum({})", self.sel(families::PF_VFS, ""))),
            ("age", format!("time() - max(timestamp({up}))")),
            ("down", format!("topk(5, {up} == 0)")),
        ];
        tagged(&parts)
    }

    /// The transmit and receive rates of exactly these VFs (host label value, PF, VF), for the
    /// chart's range query: one selector per PF, so only the series drawn are read.
    pub fn chart(&self, host_label: &str, vfs: &[(String, String, u32)]) -> String {
        let mut by_pf: Vec<(&str, &str, Vec<u32>)> = Vec::new();
        for (host, pf, vf) in vfs {
            match by_pf.iter_mut().find(|(h, p, _)| h == host && p == pf) {
                Some((_, _, list)) => list.push(*vf),
                None => by_pf.push((host, pf, vec![*vf])),
            }
        }
        let mut parts = Vec::new();
        for (host, pf, list) in by_pf {
            let indices: Vec<String> = list.iter().map(u32::to_string).collect();
            let one = self.narrowed(&format!(
                "{host_label}=\"{}\",pf=\"{}\",vf=~\"{}\"",
                escape(host),
                escape(pf),
                indices.join("|")
            ));
            parts.push(("tx", one.expr(Quantity::Rate(families::SRIOV_TX_BYTES))));
            parts.push(("rx", one.expr(Quantity::Rate(families::SRIOV_RX_BYTES))));
        }
        tagged(&parts)
    }

    /// The mixin's recording rules, as Prometheus rule-file YAML (`contrib/mixin`).
    pub fn recording_rules() -> String {
        let rules = Promql { recorded: true, ..Promql::new("", "instance", RECORDED_WINDOW) };
        let mut out = String::from(
            "# The recording rules of the vftop mixin: written by `vftop fleet --print-rules`, the same\n\
             # expressions `vftop fleet` sends when they are absent. Do not edit by hand.\n\
             groups:\n  - name: vftop.rules\n    rules:\n",
        );
        for q in RECORDED {
            let _ = writeln!(out, "      - record: {}\n        expr: {}", q.record_name(), rules.define(q));
        }
        out
    }
}

/// `parts` as one query: each tagged with its name in the label [`PART`], joined by `or`.
fn tagged(parts: &[(&str, String)]) -> String {
    tagged_as(PART, parts)
}

/// `parts` joined by `or`, each told apart by its name in the label `label`.
fn tagged_as(label: &str, parts: &[(&str, String)]) -> String {
    let each: Vec<String> = parts
        .iter()
        .map(|(tag, expr)| format!("label_replace({expr}, \"{label}\", \"{tag}\", \"\", \"\")"))
        .collect();
    each.join(" or ")
}

/// Matchers selecting at least these PFs (host label value, PF) and few others — the hosts and
/// the PF names as alternatives — and of their VFs those with these indices (all: none given).
pub fn among(host_label: &str, pfs: &[(String, String)], vfs: &[u32]) -> String {
    let alternatives = |values: Vec<String>| {
        let mut values: Vec<String> = values.iter().map(|v| escape(&regex_escape(v))).collect();
        values.sort();
        values.dedup();
        values.join("|")
    };
    let hosts = alternatives(pfs.iter().map(|p| p.0.clone()).collect());
    let names = alternatives(pfs.iter().map(|p| p.1.clone()).collect());
    let mut out = format!("{host_label}=~\"{hosts}\",pf=~\"{names}\"");
    if !vfs.is_empty() {
        out += &format!(",vf=~\"{}\"", alternatives(vfs.iter().map(u32::to_string).collect()));
    }
    out
}

/// A value matched literally by a regular expression.
fn regex_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `query` kept to the series matching `among` on `labels`.
fn restricted(query: &str, among: Option<(&str, &str)>) -> String {
    match among {
        Some((labels, among)) => format!("({query}) and on ({labels}) ({among})"),
        None => query.to_string(),
    }
}

/// A label value inside a PromQL string literal.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_and_raw_name_the_same_quantities() {
        let raw = Promql::new("job=\"vftop\"", "instance", RECORDED_WINDOW);
        let recorded = Promql { recorded: true, ..raw.clone() };
        let tx = Quantity::Rate(families::SRIOV_TX_BYTES);
        assert_eq!(
            raw.expr(tx),
            "sum by (job, instance, pf, vf) (rate(sriov_vf_tx_bytes{job=\"vftop\"}[1m]))"
        );
        assert_eq!(recorded.expr(tx), "instance_pf_vf:sriov_vf_tx_bytes:rate1m{job=\"vftop\"}");
        assert!(raw.expr(Quantity::Score).contains("rate(sriov_vf_rx_dropped{job=\"vftop\"}[1m])"));
        assert!(!recorded.expr(Quantity::Score).contains("rate("));
        // The rules' definitions build on the rules before them.
        let rules = Promql::recording_rules();
        assert!(rules.contains("expr: (instance_pf_vf:sriov_vf_tx_dropped:rate1m + "), "{rules}");
    }

    #[test]
    fn another_host_label_is_kept_and_a_host_narrows_every_selector() {
        let q = Promql::new("job=\"sriov\"", "node", Duration::from_secs(30)).narrowed("node=\"n7\"");
        let rows = q.vf_rows(None);
        assert!(rows.contains("sum by (job, instance, node, pf, vf)"), "{rows}");
        assert!(rows.contains("vftop_partition_info{job=\"sriov\",node=\"n7\"}"), "{rows}");
        assert!(!q.can_use_rules("node", RECORDED_WINDOW));
    }

    #[test]
    fn the_chart_reads_only_the_vfs_drawn() {
        let q = Promql::new("", "instance", RECORDED_WINDOW);
        let vfs = [("h\"1".to_string(), "p0".to_string(), 1), ("h\"1".into(), "p0".into(), 4)];
        let chart = q.chart("instance", &vfs);
        assert!(chart.contains("sriov_vf_tx_bytes{instance=\"h\\\"1\",pf=\"p0\",vf=~\"1|4\"}"), "{chart}");
        assert_eq!(chart.matches("label_replace").count(), 2);
    }
}
