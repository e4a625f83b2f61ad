//! The roles config: maps VLAN IDs or `PF/vf N` to partition names and colours.

use crate::model::{Role, RoleMap, VfKey};
use etcetera::BaseStrategy;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The shipped example: the reference design's traffic classes (`vftop --print-config`).
pub const EXAMPLE: &str = include_str!("roles.example.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default, rename = "role")]
    roles: Vec<RoleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    name: String,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    vlan: Option<u16>,
    #[serde(default)]
    pf: Option<String>,
    #[serde(default)]
    vf: Option<u32>,
}

/// `$XDG_CONFIG_HOME/vftop` (or `~/.config/vftop`).
pub fn config_dir() -> Option<PathBuf> {
    xdg().map(|x| x.config_dir().join("vftop"))
}

/// `$XDG_STATE_HOME/vftop` (or `~/.local/state/vftop`).
pub fn state_dir() -> Option<PathBuf> {
    xdg().and_then(|x| x.state_dir()).map(|d| d.join("vftop"))
}

fn xdg() -> Option<impl BaseStrategy> {
    etcetera::choose_base_strategy().ok()
}

/// Parses a roles config.
pub fn parse_roles(text: &str, file: &str) -> Result<RoleMap, String> {
    let parsed: ConfigFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let mut map = RoleMap::default();
    for entry in parsed.roles {
        let role = Role { name: entry.name.clone(), color: entry.color };
        match (entry.vlan, entry.pf, entry.vf) {
            (Some(vlan), None, None) => {
                map.by_vlan.insert(vlan, role);
            }
            (None, Some(pf), Some(vf)) => {
                map.by_vf.insert(VfKey { pf, vf }, role);
            }
            _ => {
                return Err(format!(
                    "{file}: role '{}' needs either vlan = N, or pf = \"NAME\" and vf = N",
                    entry.name
                ));
            }
        }
    }
    Ok(map)
}

/// Loads `explicit` (must exist), else the XDG config if present, else the shipped example.
pub fn load_roles(explicit: Option<&Path>) -> Result<RoleMap, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match config_dir().map(|d| d.join("config.toml")).filter(|p| p.exists()) {
            Some(p) => p,
            None => return parse_roles(EXAMPLE, "built-in roles"),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_roles(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_maps_the_reference_vlans() {
        let map = parse_roles(EXAMPLE, "example").unwrap();
        let key = VfKey { pf: "x".into(), vf: 9 };
        assert_eq!(map.resolve(&key, 200).unwrap().name, "Management");
        assert_eq!(map.resolve(&key, 600).unwrap().name, "Web");
        assert!(map.resolve(&key, 0).is_none());
    }

    #[test]
    fn pf_vf_entries_win_over_vlan() {
        let text = "[[role]]\nname='A'\nvlan=200\n[[role]]\nname='B'\npf='eth0'\nvf=1\n";
        let map = parse_roles(text, "t").unwrap();
        assert_eq!(map.resolve(&VfKey { pf: "eth0".into(), vf: 1 }, 200).unwrap().name, "B");
        assert_eq!(map.resolve(&VfKey { pf: "eth0".into(), vf: 2 }, 200).unwrap().name, "A");
    }

    #[test]
    fn incomplete_entry_is_explained() {
        let err = parse_roles("[[role]]\nname='A'\npf='eth0'\n", "c.toml").err().unwrap();
        assert!(err.contains("c.toml") && err.contains("needs either vlan"), "{err}");
    }
}
