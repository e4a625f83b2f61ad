//! Scenario files (TOML): PFs, link speeds, partitions, demand profiles and initial limits.

use crate::model::Mbps;
use crate::units::parse_rate;
use serde::{Deserialize, Deserializer};
use std::path::Path;

/// The built-in reference design: one 10 GbE PF, five traffic classes and a VM.
pub const REFERENCE: &str = include_str!("reference.toml");

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(rename = "pf")]
    pub pfs: Vec<PfSpec>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PfSpec {
    pub name: String,
    #[serde(deserialize_with = "rate")]
    pub link_speed: Mbps,
    #[serde(default = "default_driver")]
    pub driver: String,
    #[serde(rename = "partition", default)]
    pub partitions: Vec<PartitionSpec>,
    /// Rate groups (devlink nodes): partitions sharing one guarantee and one cap.
    #[serde(rename = "group", default)]
    pub groups: Vec<GroupSpec>,
    /// Limits changed at a set time by someone other than vftop (an orchestrator, another
    /// operator's `ip link set`).
    #[serde(rename = "event", default)]
    pub events: Vec<EventSpec>,
}

/// `[[pf.event]] at_secs = 40, partition = "Web", max = "1G"`: at that time since the
/// start, the partition's limit changes outside vftop (a limit not given stays).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub at_secs: f64,
    pub partition: String,
    #[serde(default, deserialize_with = "optional_rate")]
    pub min: Option<Mbps>,
    #[serde(default, deserialize_with = "optional_rate")]
    pub max: Option<Mbps>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
    #[serde(default, deserialize_with = "rate")]
    pub min: Mbps,
    #[serde(default, deserialize_with = "rate")]
    pub max: Mbps,
    /// Partition names.
    pub members: Vec<String>,
}

fn default_driver() -> String {
    "sim".into()
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartitionSpec {
    pub name: String,
    #[serde(default)]
    pub vlan: u16,
    #[serde(default, deserialize_with = "rate")]
    pub min: Mbps,
    #[serde(default, deserialize_with = "rate")]
    pub max: Mbps,
    /// Received traffic as a fraction of what the partition sends.
    #[serde(default = "default_rx_ratio")]
    pub rx_ratio: f64,
    #[serde(default = "default_packet_size")]
    pub packet_size: u32,
    #[serde(default)]
    pub trust: bool,
    #[serde(default)]
    pub color: Option<String>,
    pub demand: Profile,
    /// Whose the partition is (`{ kind = "pod", namespace = "shop", name = "web-7f9c" }`,
    /// `{ kind = "vm", name = "web-03" }`, `{ kind = "host", name = "rsync" }`).
    #[serde(default)]
    pub owner: Option<OwnerSpec>,
}

/// A scenario partition's owner.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OwnerSpec {
    pub kind: crate::model::owner::OwnerKind,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub container: Option<String>,
}

impl OwnerSpec {
    pub fn owner(&self) -> crate::model::owner::Owner {
        crate::model::owner::Owner {
            namespace: self.namespace.clone(),
            container: self.container.clone(),
            ..crate::model::owner::Owner::new(
                self.kind,
                &self.name,
                crate::model::owner::OwnerSource::Scenario,
            )
        }
    }
}

fn default_rx_ratio() -> f64 {
    0.5
}

fn default_packet_size() -> u32 {
    1200
}

/// How much a partition wants to send over time.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Profile {
    Constant {
        #[serde(deserialize_with = "rate")]
        rate: Mbps,
        #[serde(default)]
        jitter: f64,
    },
    OnOff {
        #[serde(deserialize_with = "rate")]
        on: Mbps,
        #[serde(default, deserialize_with = "rate")]
        off: Mbps,
        on_secs: f64,
        off_secs: f64,
        #[serde(default)]
        jitter: f64,
    },
    Ramp {
        #[serde(deserialize_with = "rate")]
        from: Mbps,
        #[serde(deserialize_with = "rate")]
        to: Mbps,
        period_secs: f64,
    },
    RandomWalk {
        #[serde(deserialize_with = "rate")]
        start: Mbps,
        #[serde(deserialize_with = "rate")]
        low: Mbps,
        #[serde(deserialize_with = "rate")]
        high: Mbps,
        /// Largest change per second.
        #[serde(deserialize_with = "rate")]
        step: Mbps,
    },
    Diurnal {
        #[serde(deserialize_with = "rate")]
        base: Mbps,
        #[serde(deserialize_with = "rate")]
        peak: Mbps,
        period_secs: f64,
        #[serde(default)]
        jitter: f64,
    },
}

fn optional_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mbps>, D::Error> {
    rate(d).map(Some)
}

fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<Mbps, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Number(u32),
        Text(String),
    }
    match Text::deserialize(d)? {
        Text::Number(n) => Ok(Mbps(n)),
        Text::Text(t) => parse_rate(&t).map_err(serde::de::Error::custom),
    }
}

/// A scenario that could not be loaded, with where (`file:line:column`, or the file alone
/// when it could not be read at all: line 0).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", if *line == 0 { file.clone() } else { format!("{file}:{line}:{column}") })]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What makes a scenario that TOML reads inconsistent (the message of its [`ScenarioError`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error("a scenario needs at least one [[pf]]")]
    NoPf,
    #[error("pf {pf}: link_speed must be above 0")]
    NoLinkSpeed { pf: String },
    #[error("pf {pf} partition {partition}: min {min} > max {max}")]
    PartitionMinAboveMax { pf: String, partition: String, min: Mbps, max: Mbps },
    #[error("pf {pf} group {group}: min {min} > max {max}")]
    GroupMinAboveMax { pf: String, group: String, min: Mbps, max: Mbps },
    #[error("pf {pf} group {group}: no partition named {member}")]
    NoSuchMember { pf: String, group: String, member: String },
    #[error("pf {pf} group {group}: {member} is already in another group")]
    InTwoGroups { pf: String, group: String, member: String },
    #[error("pf {pf} event at {at_secs}s: no partition named {partition}")]
    EventForNoPartition { pf: String, at_secs: f64, partition: String },
    #[error("pf {pf} event: at_secs must be a time from the start")]
    EventTime { pf: String },
}

impl Scenario {
    #[expect(clippy::expect_used, reason = "the built-in scenario is compiled in, and its tests parse it")]
    pub fn reference() -> Scenario {
        Scenario::parse(REFERENCE, "<built-in reference>").expect("the built-in scenario is valid")
    }

    /// A scenario file, or where no file has that name, a built-in scenario (`BUILT_IN`).
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => match built_in(&name) {
                Some(text) => return Scenario::parse(&text, &format!("<built-in {name}>")),
                None => {
                    let message = format!("{e} (built-in scenarios: {})", BUILT_IN.join(", "));
                    return Err(ScenarioError { file: name, line: 0, column: 0, message });
                }
            },
        };
        Scenario::parse(&text, &name)
    }

    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_column(text, s.start)).unwrap_or((0, 0));
            ScenarioError { file: file.into(), line, column, message: e.message().to_string() }
        })?;
        scenario.validate().map_err(|invalid| ScenarioError {
            file: file.into(),
            line: 0,
            column: 0,
            message: invalid.to_string(),
        })?;
        Ok(scenario)
    }

    fn validate(&self) -> Result<(), Invalid> {
        if self.pfs.is_empty() {
            return Err(Invalid::NoPf);
        }
        for pf in &self.pfs {
            if pf.link_speed.is_unlimited() {
                return Err(Invalid::NoLinkSpeed { pf: pf.name.clone() });
            }
            for p in &pf.partitions {
                if !p.max.is_unlimited() && p.min > p.max {
                    let (pf, partition) = (pf.name.clone(), p.name.clone());
                    return Err(Invalid::PartitionMinAboveMax { pf, partition, min: p.min, max: p.max });
                }
            }
            pf.validate_groups()?;
            pf.validate_events()?;
        }
        Ok(())
    }
}

impl PfSpec {
    fn validate_groups(&self) -> Result<(), Invalid> {
        let mut seen = std::collections::HashSet::new();
        for g in &self.groups {
            let (pf, group) = (self.name.clone(), g.name.clone());
            if !g.max.is_unlimited() && g.min > g.max {
                return Err(Invalid::GroupMinAboveMax { pf, group, min: g.min, max: g.max });
            }
            for m in &g.members {
                if !self.partitions.iter().any(|p| &p.name == m) {
                    return Err(Invalid::NoSuchMember { pf, group, member: m.clone() });
                }
                if !seen.insert(m) {
                    return Err(Invalid::InTwoGroups { pf, group, member: m.clone() });
                }
            }
        }
        Ok(())
    }

    fn validate_events(&self) -> Result<(), Invalid> {
        for e in &self.events {
            if !self.partitions.iter().any(|p| p.name == e.partition) {
                let (pf, partition) = (self.name.clone(), e.partition.clone());
                return Err(Invalid::EventForNoPartition { pf, at_secs: e.at_secs, partition });
            }
            if !(e.at_secs.is_finite() && e.at_secs >= 0.0) {
                return Err(Invalid::EventTime { pf: self.name.clone() });
            }
        }
        Ok(())
    }

    /// Indices of a group's members in `partitions`.
    pub fn member_indices(&self, group: &GroupSpec) -> Vec<usize> {
        group.members.iter().filter_map(|m| self.partitions.iter().position(|p| &p.name == m)).collect()
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

/// The scenarios `--scenario NAME` runs without a file: the reference design (what `--demo`
/// runs); it plus a 25G PF with a cap changed outside vftop at 60 s; 16 PFs of 64 partitions;
/// the reference half hour with the storage partitions starving from 19:00 to 22:00.
pub const BUILT_IN: [&str; 4] = ["reference", "two-pfs", "stress", "incident"];

/// The text of the built-in scenario called `name`.
fn built_in(name: &str) -> Option<String> {
    match name {
        "reference" => Some(REFERENCE.to_string()),
        "two-pfs" => Some(format!("{REFERENCE}\n{}", include_str!("two-pfs.toml"))),
        "stress" => Some(stress_toml(16)),
        "incident" => Some(include_str!("incident.toml").to_string()),
        _ => None,
    }
}

/// Partitions per PF of the stress scenario.
pub const STRESS_PER_PF: usize = 64;

/// The stress scenario: `pfs` 10G PFs of 64 partitions cycling through the five demand
/// profiles, every third capped at 200M (benches: 16 PFs = 1024 partitions).
pub fn stress_toml(pfs: usize) -> String {
    let profiles = [
        "{ kind = \"constant\", rate = \"60M\", jitter = 0.4 }",
        "{ kind = \"on_off\", on = \"400M\", off = \"10M\", on_secs = 25, off_secs = 35, jitter = 0.05 }",
        "{ kind = \"random_walk\", start = \"150M\", low = \"20M\", high = \"400M\", step = \"30M\" }",
        "{ kind = \"diurnal\", base = \"40M\", peak = \"350M\", period_secs = 180, jitter = 0.25 }",
        "{ kind = \"ramp\", from = \"10M\", to = \"300M\", period_secs = 90 }",
    ];
    let mut out =
        format!("# {}-partition stress scenario (vftop's benches)\nseed = 11\n", pfs * STRESS_PER_PF);
    for pf in 0..pfs {
        out += &format!("\n[[pf]]\nname = \"ens{pf}f0\"\nlink_speed = \"10G\"\ndriver = \"sim\"\n");
        for vf in 0..STRESS_PER_PF {
            let limit = if vf % 3 == 0 { "max = \"200M\"\n" } else { "" };
            out += &format!(
                "[[pf.partition]]\nname = \"p{pf}-{vf}\"\nvlan = {}\n{limit}demand = {}\n",
                100 + vf,
                profiles[vf % profiles.len()]
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_scenarios_load_by_name_and_a_missing_file_names_them() {
        for name in BUILT_IN {
            let s = Scenario::load(Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!s.pfs.is_empty(), "{name}");
        }
        let two = Scenario::load(Path::new("two-pfs")).unwrap();
        let names: Vec<&str> = two.pfs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ens1f0", "ens2f0"]);
        assert_eq!(two.pfs[1].events.len(), 1, "the drift it schedules");
        let stress = Scenario::load(Path::new("stress")).unwrap();
        assert_eq!(stress.pfs.iter().map(|p| p.partitions.len()).sum::<usize>(), 1024);
        let e = Scenario::load(Path::new("/nonexistent/two-pf.toml")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/two-pf.toml: No such file"), "{e}");
        assert!(e.contains("built-in scenarios: reference, two-pfs, stress"), "{e}");
    }

    #[test]
    fn reference_scenario_is_the_reference_design() {
        let s = Scenario::reference();
        let pf = &s.pfs[0];
        assert_eq!(pf.link_speed, Mbps(10_000));
        let vlans: Vec<u16> = pf.partitions.iter().map(|p| p.vlan).collect();
        assert_eq!(&vlans[..5], &[200, 300, 400, 500, 600]);
        assert_eq!(pf.partitions[0].min, Mbps(100));
        assert_eq!(pf.partitions[1].max, Mbps(2000));
        assert_eq!(pf.partitions[3].min, Mbps(2000));
    }

    #[test]
    fn bad_file_reports_line_and_column() {
        let text = "seed = 1\n[[pf]]\nname = \"p\"\nlink_speed = \"10X\"\n";
        let err = Scenario::parse(text, "bad.toml").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("bad.toml", 4));
        assert!(err.column >= 1);
        assert!(err.to_string().starts_with("bad.toml:4:"), "{err}");
        assert!(err.message.contains("unknown unit"), "{err}");
    }

    #[test]
    fn group_members_must_exist_once() {
        let base = "[[pf]]\nname='p'\nlink_speed='1G'\n[[pf.partition]]\nname='a'\ndemand={kind='constant', rate='1M'}\n";
        let missing = format!("{base}[[pf.group]]\nname='g'\nmembers=['zz']\n");
        assert!(Scenario::parse(&missing, "x").unwrap_err().message.contains("no partition named zz"));
        let twice =
            format!("{base}[[pf.group]]\nname='g'\nmembers=['a']\n[[pf.group]]\nname='h'\nmembers=['a']\n");
        assert!(Scenario::parse(&twice, "x").unwrap_err().message.contains("already in another group"));
    }

    #[test]
    fn min_above_max_is_refused() {
        let text = "[[pf]]\nname='p'\nlink_speed='1G'\n[[pf.partition]]\nname='a'\nmin='500M'\nmax='100M'\ndemand={kind='constant', rate='1M'}\n";
        let err = Scenario::parse(text, "x.toml").unwrap_err();
        assert!(err.message.contains("min 500M > max 100M"), "{err}");
    }
}
