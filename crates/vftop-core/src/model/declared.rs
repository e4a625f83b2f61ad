//! Declared limits: what the operator means each partition (and devlink rate group) to get,
//! which VFs of a sample each declaration names, how the host differs from it, and the changes
//! that would put it right.

use super::{Mbps, RateChange, RateLimit, RoleMap, Snapshot, Target, VfKey};
use serde::Serialize;

/// Which VFs a declaration is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `pf = "ens1f0"`, `vf = 1`.
    Vf { pf: String, vf: u32 },
    /// `vlan = 400` (on `pf` only, where given): every VF on that VLAN.
    Vlan { pf: Option<String>, vlan: u16 },
    /// `partition = "NFS"` (on `pf` only, where given): the VFs the roles give that name.
    Partition { pf: Option<String>, name: String },
    /// `pci = "0000:3b:02.1"`: the VF at that PCI address (what the SR-IOV CNI cache names).
    Pci(String),
}

impl Selector {
    /// As the config would write it.
    pub fn label(&self) -> String {
        let on = |pf: &Option<String>| pf.as_ref().map_or(String::new(), |p| format!("pf {p} "));
        match self {
            Selector::Vf { pf, vf } => format!("pf {pf} vf {vf}"),
            Selector::Vlan { pf, vlan } => format!("{}vlan {vlan}", on(pf)),
            Selector::Partition { pf, name } => format!("{}partition {name}", on(pf)),
            Selector::Pci(address) => format!("pci {address}"),
        }
    }

    fn names(&self, key: &VfKey, vf: &super::Vf, roles: &RoleMap) -> bool {
        let on = |pf: &Option<String>| pf.as_ref().is_none_or(|p| *p == key.pf);
        match self {
            Selector::Vf { pf, vf } => *pf == key.pf && *vf == key.vf,
            Selector::Vlan { pf, vlan } => on(pf) && vf.vlan == *vlan,
            Selector::Partition { pf, name } => {
                on(pf) && roles.resolve(key, vf.vlan).is_some_and(|r| r.name == *name)
            }
            Selector::Pci(address) => vf.pci.as_deref() == Some(address.as_str()),
        }
    }
}

/// One declaration: its VFs' limits (`None`: not declared, left as it is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub selector: Selector,
    pub min: Option<Mbps>,
    pub max: Option<Mbps>,
    /// Where it was declared: `config.toml:12`, or a CNI cache file.
    pub origin: String,
}

/// A devlink rate group's declared limits (`tx_share` as min, `tx_max` as max) and members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredGroup {
    pub pf: String,
    pub group: String,
    pub min: Option<Mbps>,
    pub max: Option<Mbps>,
    /// The VF indices on `pf` that belong in it (none: membership not declared).
    pub members: Vec<u32>,
    pub origin: String,
}

/// Everything declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intent {
    pub vfs: Vec<Declared>,
    pub groups: Vec<DeclaredGroup>,
}

/// What is declared of one VF of a sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfIntent {
    pub key: VfKey,
    pub min: Option<Mbps>,
    pub max: Option<Mbps>,
    pub origin: String,
}

impl VfIntent {
    /// `actual` with what is declared in place of it.
    pub fn wanted(&self, actual: RateLimit) -> RateLimit {
        RateLimit { min: self.min.unwrap_or(actual.min), max: self.max.unwrap_or(actual.max) }
    }

    /// `max 300M min none`, the declared parts only.
    pub fn label(&self) -> String {
        let part = |name: &str, v: Option<Mbps>| v.map(|v| format!("{name} {v}"));
        [part("max", self.max), part("min", self.min)].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// A declaration that names nothing in the sample: its PF, VF or partition is not there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmatched {
    pub what: String,
    pub origin: String,
    pub why: String,
}

/// Which VF each declaration names in a sample.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub vfs: Vec<VfIntent>,
    pub groups: Vec<DeclaredGroup>,
    pub unmatched: Vec<Unmatched>,
}

impl Resolved {
    pub fn of(&self, key: &VfKey) -> Option<&VfIntent> {
        self.vfs.iter().find(|v| &v.key == key)
    }
}

/// Two declarations (at `earlier` and `origin`, the later one's `selector`) that name one VF:
/// which one is meant cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{origin}: {} is declared twice, here ({selector}) and at {earlier}: one declaration per VF",
    key_label(key)
)]
pub struct DeclaredTwice {
    pub origin: String,
    pub key: VfKey,
    pub selector: String,
    pub earlier: String,
}

impl Intent {
    pub fn is_empty(&self) -> bool {
        self.vfs.is_empty() && self.groups.is_empty()
    }

    /// The VFs of `snapshot` each declaration names (`roles` give partition names). Two
    /// declarations that name one VF are refused, both named: which one is meant cannot be
    /// guessed.
    pub fn resolve(&self, snapshot: &Snapshot, roles: &RoleMap) -> Result<Resolved, DeclaredTwice> {
        let mut out = Resolved::default();
        for d in &self.vfs {
            let mut found = 0;
            for pf in &snapshot.pfs {
                for vf in &pf.vfs {
                    let key = VfKey { pf: pf.name.clone(), vf: vf.index };
                    if !d.selector.names(&key, vf, roles) {
                        continue;
                    }
                    found += 1;
                    if let Some(earlier) = out.of(&key) {
                        return Err(DeclaredTwice {
                            origin: d.origin.clone(),
                            key,
                            selector: d.selector.label(),
                            earlier: earlier.origin.clone(),
                        });
                    }
                    out.vfs.push(VfIntent { key, min: d.min, max: d.max, origin: d.origin.clone() });
                }
            }
            if found == 0 {
                out.unmatched.push(Unmatched {
                    what: d.selector.label(),
                    origin: d.origin.clone(),
                    why: missing(&d.selector, snapshot),
                });
            }
        }
        for g in &self.groups {
            let why = if snapshot.pf(&g.pf).is_none() {
                format!("there is no PF {} here", g.pf)
            } else if group_node(snapshot, g).is_none() {
                format!(
                    "{} has no devlink rate group {} (devlink port function rate add DEVICE/{})",
                    g.pf, g.group, g.group
                )
            } else {
                out.groups.push(g.clone());
                continue;
            };
            out.unmatched.push(Unmatched {
                what: format!("pf {} group {}", g.pf, g.group),
                origin: g.origin.clone(),
                why,
            });
        }
        Ok(out)
    }
}

fn key_label(key: &VfKey) -> String {
    format!("{} vf {}", key.pf, key.vf)
}

/// Why a selector names no VF of `snapshot`.
fn missing(selector: &Selector, snapshot: &Snapshot) -> String {
    match selector {
        Selector::Vf { pf, vf } => match snapshot.pf(pf) {
            None => format!("there is no PF {pf} here"),
            Some(p) => format!("{pf} has no vf {vf} (it has {} VFs)", p.vfs.len()),
        },
        Selector::Vlan { vlan, .. } => format!("no VF is on vlan {vlan}"),
        Selector::Partition { name, .. } => format!("no VF is partition {name}"),
        Selector::Pci(address) => format!("no VF is at {address}"),
    }
}

/// How one declared VF or group stands against the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The VF's or the group's target.
    #[serde(skip)]
    pub target: Target,
    /// `ens1f0 vf 1`, `ens1f0 group storage`.
    pub what: String,
    pub partition: Option<String>,
    pub owner: Option<String>,
    pub declared: String,
    pub actual: RateLimit,
    /// What it should be: the actual with the declared parts in place.
    pub wanted: RateLimit,
    /// Members that belong in a group and are not in it (VF indices), and where they are.
    pub strays: Vec<(u32, Option<String>)>,
    pub origin: String,
}

impl Finding {
    pub fn conforms(&self) -> bool {
        self.actual == self.wanted && self.strays.is_empty()
    }

    /// The change that puts its limits right (none where they are).
    pub fn change(&self) -> Option<RateChange> {
        (self.actual != self.wanted).then(|| RateChange {
            target: self.target.clone(),
            old: self.actual,
            new: self.wanted,
        })
    }
}

/// Each declared VF and group of `snapshot` against what it has.
pub fn check(snapshot: &Snapshot, resolved: &Resolved, roles: &RoleMap) -> Vec<Finding> {
    let mut out = Vec::new();
    for intent in &resolved.vfs {
        let Some((_, vf)) = snapshot.vf(&intent.key) else { continue };
        out.push(Finding {
            target: Target::Vf(intent.key.clone()),
            what: key_label(&intent.key),
            partition: roles.resolve(&intent.key, vf.vlan).map(|r| r.name.clone()).or(vf.partition.clone()),
            owner: vf.owner.as_ref().map(|o| o.label()),
            declared: intent.label(),
            actual: vf.rate,
            wanted: intent.wanted(vf.rate),
            strays: Vec::new(),
            origin: intent.origin.clone(),
        });
    }
    out.extend(resolved.groups.iter().filter_map(|g| group_finding(snapshot, g)));
    out
}

/// The devlink rate node named `g.group` on the devlink device of `g.pf`'s VFs.
fn group_node<'a>(snapshot: &'a Snapshot, g: &DeclaredGroup) -> Option<&'a super::RateObject> {
    let objects = &snapshot.rate_objects;
    let device = objects.iter().find(|o| o.vf.as_ref().is_some_and(|k| k.pf == g.pf))?.target.device.as_str();
    objects.iter().find(|o| {
        o.target.device == device
            && matches!(&o.target.object, super::DevlinkObject::Node(n) if *n == g.group)
    })
}

/// A declared group against its devlink rate node (resolved: it has one).
fn group_finding(snapshot: &Snapshot, g: &DeclaredGroup) -> Option<Finding> {
    let node = group_node(snapshot, g)?;
    let declared =
        VfIntent { key: VfKey { pf: g.pf.clone(), vf: 0 }, min: g.min, max: g.max, origin: String::new() };
    let strays = g
        .members
        .iter()
        .filter_map(|&vf| {
            let key = VfKey { pf: g.pf.clone(), vf };
            let parent = snapshot
                .rate_objects
                .iter()
                .find(|o| o.vf.as_ref() == Some(&key))
                .and_then(|l| l.parent.clone());
            (parent.as_deref() != Some(g.group.as_str())).then_some((vf, parent))
        })
        .collect();
    Some(Finding {
        target: Target::Devlink(node.target.clone()),
        what: format!("{} group {}", g.pf, g.group),
        partition: None,
        owner: None,
        declared: declared.label(),
        actual: node.limit,
        wanted: declared.wanted(node.limit),
        strays,
        origin: g.origin.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Pf, Role, Vf};

    fn snapshot() -> Snapshot {
        let vf = |index: u32, vlan: u16, max: u32| Vf {
            index,
            vlan,
            rate: RateLimit::new(0, max),
            pci: Some(format!("0000:3b:02.{index}")),
            ..Vf::default()
        };
        let pf = |name: &str| Pf {
            name: name.into(),
            vfs: vec![vf(0, 200, 0), vf(1, 400, 500), vf(2, 400, 300)],
            ..Pf::default()
        };
        Snapshot { pfs: vec![pf("ens1f0"), pf("ens2f0")], ..Snapshot::default() }
    }

    fn declared(selector: Selector, max: u32, line: u32) -> Declared {
        Declared { selector, min: None, max: Some(Mbps(max)), origin: format!("c.toml:{line}") }
    }

    fn roles() -> RoleMap {
        let mut roles = RoleMap::default();
        roles.by_vlan.insert(400, Role { name: "NFS".into(), color: None });
        roles
    }

    #[test]
    fn declarations_name_vfs_by_index_vlan_partition_and_pci() {
        let pf = Some("ens1f0".to_string());
        let cases = [
            (Selector::Vf { pf: "ens1f0".into(), vf: 1 }, vec!["ens1f0/1"]),
            (Selector::Vlan { pf: pf.clone(), vlan: 400 }, vec!["ens1f0/1", "ens1f0/2"]),
            (Selector::Vlan { pf: None, vlan: 400 }, vec!["ens1f0/1", "ens1f0/2", "ens2f0/1", "ens2f0/2"]),
            (Selector::Partition { pf, name: "NFS".into() }, vec!["ens1f0/1", "ens1f0/2"]),
            (Selector::Pci("0000:3b:02.2".into()), vec!["ens1f0/2", "ens2f0/2"]),
        ];
        for (selector, want) in cases {
            let intent = Intent { vfs: vec![declared(selector.clone(), 300, 1)], groups: Vec::new() };
            let resolved = intent.resolve(&snapshot(), &roles()).unwrap();
            let got: Vec<String> =
                resolved.vfs.iter().map(|v| format!("{}/{}", v.key.pf, v.key.vf)).collect();
            assert_eq!(got, want, "{selector:?}");
        }
    }

    #[test]
    fn two_declarations_of_one_vf_are_refused_naming_both() {
        let intent = Intent {
            vfs: vec![
                declared(Selector::Vf { pf: "ens1f0".into(), vf: 1 }, 300, 3),
                declared(Selector::Vlan { pf: None, vlan: 400 }, 200, 9),
            ],
            groups: Vec::new(),
        };
        let err = intent.resolve(&snapshot(), &roles()).unwrap_err().to_string();
        assert!(
            err.starts_with("c.toml:9: ens1f0 vf 1 is declared twice") && err.contains("c.toml:3"),
            "{err}"
        );
    }

    #[test]
    fn what_names_nothing_says_why() {
        let intent = Intent {
            vfs: vec![
                declared(Selector::Vf { pf: "ens9f0".into(), vf: 1 }, 300, 1),
                declared(Selector::Vf { pf: "ens1f0".into(), vf: 7 }, 300, 2),
                declared(Selector::Partition { pf: None, name: "Backup".into() }, 300, 3),
            ],
            groups: Vec::new(),
        };
        let resolved = intent.resolve(&snapshot(), &roles()).unwrap();
        let why: Vec<&str> = resolved.unmatched.iter().map(|u| u.why.as_str()).collect();
        assert_eq!(
            why,
            ["there is no PF ens9f0 here", "ens1f0 has no vf 7 (it has 3 VFs)", "no VF is partition Backup"]
        );
    }

    #[test]
    fn findings_compare_only_what_is_declared_and_plan_the_difference() {
        let mut nfs = declared(Selector::Partition { pf: Some("ens1f0".into()), name: "NFS".into() }, 300, 4);
        nfs.min = None;
        let intent = Intent { vfs: vec![nfs], groups: Vec::new() };
        let snap = snapshot();
        let findings = check(&snap, &intent.resolve(&snap, &roles()).unwrap(), &roles());
        let drift: Vec<(&str, bool)> = findings.iter().map(|f| (f.what.as_str(), f.conforms())).collect();
        assert_eq!(drift, [("ens1f0 vf 1", false), ("ens1f0 vf 2", true)]);
        let change = findings[0].change().unwrap();
        assert_eq!((change.old, change.new), (RateLimit::new(0, 500), RateLimit::new(0, 300)));
        assert_eq!(findings[0].partition.as_deref(), Some("NFS"));
        assert!(findings[1].change().is_none());
        // "0" declared is "no limit": a VF with a cap does not conform.
        let unlimited = Intent {
            vfs: vec![declared(Selector::Vf { pf: "ens1f0".into(), vf: 2 }, 0, 5)],
            groups: Vec::new(),
        };
        let f = check(&snap, &unlimited.resolve(&snap, &roles()).unwrap(), &roles());
        assert_eq!(f[0].change().map(|c| c.new), Some(RateLimit::new(0, 0)));
    }
}
