//! The config file's declared limits (`[[declared]]`, `[intent]`): parsed into the model's
//! [`Intent`], every entry checked here with its file and line, and the SR-IOV CNI cache's
//! requested rates added where the config asks for them.

use crate::model::Mbps;
use crate::model::declared::{Declared, DeclaredGroup, Intent, Selector};
use serde::Deserialize;
use std::path::PathBuf;

/// One `[[declared]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pf: Option<String>,
    vf: Option<u32>,
    vlan: Option<u16>,
    partition: Option<String>,
    pci: Option<String>,
    /// A devlink rate group on `pf`: its `tx_share` (min) and `tx_max` (max), and members.
    group: Option<String>,
    members: Option<Vec<u32>>,
    #[serde(alias = "tx_share")]
    min: Option<Rate>,
    #[serde(alias = "tx_max")]
    max: Option<Rate>,
}

/// A rate as the config may write it: `"300M"`, `"1.5G"`, `"none"`, or a number of Mbit/s.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    Text(String),
    Mbps(u32),
}

/// Where else intent is read from (`[intent]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentPrefs {
    /// Also take the rates the SR-IOV CNI asked for (`/var/lib/cni/sriov/*`) as declared.
    pub cni_cache: Option<bool>,
    pub cni_cache_dir: Option<PathBuf>,
}

/// Why a `[[declared]]` entry is refused: where it is (`file:line`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: [[declared]] {problem}")]
pub struct IntentError {
    pub origin: String,
    pub problem: EntryProblem,
}

/// What is wrong with one `[[declared]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("{what} = \"{text}\": {why} (\"0\" or \"none\" = no {what})")]
    Rate { what: &'static str, text: String, why: crate::units::RateParseError },
    #[error("declares neither min nor max (absent = not declared: say at least one)")]
    NoLimit,
    #[error("min {min} is above max {max}")]
    MinAboveMax { min: Mbps, max: Mbps },
    #[error("group = \"{0}\" needs pf = \"NAME\" (and no vf or vlan)")]
    GroupWithoutPf(String),
    #[error("members = [...] belongs to a group = \"NAME\" declaration")]
    MembersWithoutGroup,
    #[error("needs exactly one of vf = N (with pf), vlan = N, partition = \"NAME\", pci = \"ADDR\"")]
    NotOneSelector,
    #[error("vf = {0} needs pf = \"NAME\"")]
    VfWithoutPf(u32),
    #[error("vlan = {0} is not a VLAN id (1 to 4094)")]
    NotAVlan(u16),
    #[error("pci = \"{0}\" is not a PCI address like \"0000:3b:02.1\" (and takes no pf)")]
    NotPci(String),
    /// The same selector in two entries (`earlier`: where the first is).
    #[error("{selector} is declared at {earlier} already")]
    Twice { selector: String, earlier: String },
}

/// The declarations of `file` (its text for line numbers); an error names the file and line.
pub fn parse(entries: Vec<toml::Spanned<Entry>>, text: &str, file: &str) -> Result<Intent, IntentError> {
    let mut intent = Intent::default();
    for spanned in entries {
        let line = text[..spanned.span().start.min(text.len())].matches('\n').count() + 1;
        let origin = format!("{file}:{line}");
        let entry = spanned.into_inner();
        let fail = |problem| IntentError { origin: origin.clone(), problem };
        let min = entry.min.as_ref().map(|r| rate(r, "min")).transpose().map_err(fail)?;
        let max = entry.max.as_ref().map(|r| rate(r, "max")).transpose().map_err(fail)?;
        if min.is_none() && max.is_none() {
            return Err(fail(EntryProblem::NoLimit));
        }
        if let (Some(min), Some(max)) = (min, max)
            && !max.is_unlimited()
            && min > max
        {
            return Err(fail(EntryProblem::MinAboveMax { min, max }));
        }
        if let Some(group) = entry.group.clone() {
            let Some(pf) = entry.pf.clone().filter(|_| entry.vf.is_none() && entry.vlan.is_none()) else {
                return Err(fail(EntryProblem::GroupWithoutPf(group)));
            };
            let members = entry.members.clone().unwrap_or_default();
            intent.groups.push(DeclaredGroup { pf, group, min, max, members, origin });
            continue;
        }
        if entry.members.is_some() {
            return Err(fail(EntryProblem::MembersWithoutGroup));
        }
        let selector = selector(&entry).map_err(fail)?;
        if let Some(earlier) = intent.vfs.iter().find(|d| d.selector == selector) {
            let (selector, earlier) = (selector.label(), earlier.origin.clone());
            return Err(fail(EntryProblem::Twice { selector, earlier }));
        }
        intent.vfs.push(Declared { selector, min, max, origin });
    }
    Ok(intent)
}

fn rate(rate: &Rate, what: &'static str) -> Result<Mbps, EntryProblem> {
    match rate {
        Rate::Mbps(n) => Ok(Mbps(*n)),
        Rate::Text(t) => {
            crate::units::parse_rate(t).map_err(|why| EntryProblem::Rate { what, text: t.clone(), why })
        }
    }
}

/// Which VFs an entry names: exactly one of `vf` (with `pf`), `vlan`, `partition`, `pci`.
fn selector(e: &Entry) -> Result<Selector, EntryProblem> {
    let named = [e.vf.is_some(), e.vlan.is_some(), e.partition.is_some(), e.pci.is_some()];
    if named.iter().filter(|n| **n).count() != 1 {
        return Err(EntryProblem::NotOneSelector);
    }
    if let Some(vf) = e.vf {
        let pf = e.pf.clone().ok_or(EntryProblem::VfWithoutPf(vf))?;
        return Ok(Selector::Vf { pf, vf });
    }
    if let Some(vlan) = e.vlan {
        if !(1..=4094).contains(&vlan) {
            return Err(EntryProblem::NotAVlan(vlan));
        }
        return Ok(Selector::Vlan { pf: e.pf.clone(), vlan });
    }
    if let Some(name) = &e.partition {
        return Ok(Selector::Partition { pf: e.pf.clone(), name: name.clone() });
    }
    let pci = e.pci.clone().unwrap_or_default().to_lowercase();
    if !crate::source::owners::cni::is_pci_address(&pci) || e.pf.is_some() {
        return Err(EntryProblem::NotPci(pci));
    }
    Ok(Selector::Pci(pci))
}

/// `intent` with the CNI cache's requested rates, where `[intent] cni_cache = true`; a VF
/// the config declares itself keeps the config's.
pub fn with_cni(mut intent: Intent, prefs: &IntentPrefs) -> Intent {
    if prefs.cni_cache != Some(true) {
        return intent;
    }
    let dir =
        prefs.cni_cache_dir.clone().unwrap_or_else(|| PathBuf::from(crate::source::owners::cni::CACHE_DIR));
    for asked in crate::source::owners::cni::requested_rates(&dir) {
        if !intent.vfs.iter().any(|d| d.selector == asked.selector) {
            intent.vfs.push(asked);
        }
    }
    intent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Intent, IntentError> {
        #[derive(Deserialize)]
        struct File {
            declared: Vec<toml::Spanned<Entry>>,
        }
        let f: File = toml::from_str(text).unwrap();
        parse(f.declared, text, "c.toml")
    }

    #[test]
    fn each_way_to_name_a_partition_and_a_group() {
        let text = "[[declared]]\npf = \"ens1f0\"\nvf = 1\nmax = \"300M\"\n\n[[declared]]\nvlan = 400\nmin = 100\n\
                    [[declared]]\npartition = \"NFS\"\nmax = \"none\"\n[[declared]]\npci = \"0000:3B:02.4\"\nmax = \"1G\"\n\
                    [[declared]]\npf = \"eni0\"\ngroup = \"storage\"\ntx_share = \"1G\"\ntx_max = \"5G\"\nmembers = [1, 2]\n";
        let intent = parse_text(text).unwrap();
        let origins: Vec<&str> = intent.vfs.iter().map(|d| d.origin.as_str()).collect();
        assert_eq!(origins, ["c.toml:1", "c.toml:6", "c.toml:9", "c.toml:12"]);
        assert_eq!(intent.vfs[0].max, Some(Mbps(300)));
        assert_eq!((intent.vfs[1].min, intent.vfs[1].max), (Some(Mbps(100)), None));
        assert_eq!(intent.vfs[2].max, Some(Mbps(0)));
        assert_eq!(intent.vfs[3].selector, Selector::Pci("0000:3b:02.4".into()));
        let g = &intent.groups[0];
        assert_eq!(
            (g.min, g.max, g.members.clone(), g.origin.as_str()),
            (Some(Mbps(1000)), Some(Mbps(5000)), vec![1, 2], "c.toml:15")
        );
    }

    #[test]
    fn a_bad_entry_names_its_line_and_why() {
        let cases = [
            ("[[declared]]\npf = \"a\"\nvf = 1\n", "c.toml:1: [[declared]] declares neither min nor max"),
            ("\n[[declared]]\nvf = 1\nmax = 5\n", "c.toml:2: [[declared]] vf = 1 needs pf"),
            ("[[declared]]\npf='a'\nvf=1\nvlan=4\nmax=5\n", "needs exactly one of"),
            ("[[declared]]\nvlan = 5000\nmax = 5\n", "vlan = 5000 is not a VLAN id"),
            ("[[declared]]\nvlan = 5\nmax = \"30OM\"\n", "max = \"30OM\""),
            ("[[declared]]\nvlan = 5\nmin = \"2G\"\nmax = \"1G\"\n", "min 2G is above max 1G"),
            (
                "[[declared]]\nvlan = 5\nmax = 1\n[[declared]]\nvlan = 5\nmax = 2\n",
                "c.toml:4: [[declared]] vlan 5 is declared at c.toml:1 already",
            ),
            ("[[declared]]\ngroup = 'g'\nmax = 1\n", "group = \"g\" needs pf"),
            ("[[declared]]\nvlan = 5\nmembers = [1]\nmax = 1\n", "members = [...] belongs to a group"),
            ("[[declared]]\npci = 'eth0'\nmax = 1\n", "is not a PCI address"),
        ];
        for (text, want) in cases {
            let err = parse_text(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
