//! The config file: roles (VLAN IDs or `PF/vf N` to partition names and colours) and the
//! console's preferences (`[ui]`), the declared limits (`[[declared]]`), with the template `--print-config-template` prints.

use crate::model::{Role, RoleMap, VfKey};
use serde::Deserialize;
use std::path::Path;

/// The shipped example: the reference design's traffic classes (`vftop --print-config`).
pub const EXAMPLE: &str = include_str!("roles.example.toml");

/// Every setting, commented: `vftop --print-config-template > ~/.config/vftop/config.toml`.
pub const TEMPLATE: &str = include_str!("config.template.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default, rename = "role")]
    roles: Vec<RoleEntry>,
    #[serde(default)]
    ui: UiPrefs,
    /// Action name → key (`edit = "E"`).
    #[serde(default)]
    keys: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    owners: OwnerPrefs,
    /// Declared limits, each with where it is in the file.
    #[serde(default)]
    declared: Vec<toml::Spanned<crate::intent::Entry>>,
    #[serde(default)]
    intent: crate::intent::IntentPrefs,
}

/// Where VF owners are looked up (`[owners]`); the command line wins over each.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerPrefs {
    pub mode: Option<crate::source::owners::OwnersMode>,
    pub kubelet_socket: Option<std::path::PathBuf>,
    pub libvirt_run_dir: Option<std::path::PathBuf>,
    pub cni_cache_dir: Option<std::path::PathBuf>,
    /// How often owners are looked up again (`5s`).
    pub refresh: Option<String>,
}

/// The console's preferences; the command line wins over each.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiPrefs {
    pub theme: Option<String>,
    /// Sampling interval (`1s`, `500ms`).
    pub interval: Option<String>,
    /// `auto`, `link` or `cap`.
    pub chart_scale: Option<crate::app::state::ChartScale>,
    /// The chart's window: 30s, 1m, 2m, 5m, 15m or 1h (one of `app::state::WINDOWS`).
    pub chart_window: Option<String>,
    /// `vf`, `name`, `tx`, `rx`, `cap`, `drops` or `worst`.
    pub sort: Option<crate::app::state::SortKey>,
    pub sort_reversed: Option<bool>,
    /// `bits` or `bytes`.
    pub units: Option<crate::units::RateUnit>,
    /// `tx` or `rx`: what the chart shows.
    pub chart_direction: Option<crate::metrics::history::Direction>,
    pub mouse: Option<bool>,
    /// How far `]`/`[` and `}`/`{` move a limit (`10%`, `500M`).
    pub step: Option<String>,
    /// Commit-confirmed by default for every change (`30s`).
    pub confirm_within: Option<String>,
}

/// What the config file says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub roles: RoleMap,
    pub ui: UiPrefs,
    pub keys: crate::ui::keymap::KeyMap,
    pub owners: OwnerPrefs,
    /// The declared limits (`[[declared]]`; the CNI cache's where `[intent]` asks).
    pub intent: crate::model::declared::Intent,
    pub intent_prefs: crate::intent::IntentPrefs,
    /// Where it was read from (a file, or "built-in roles"), for errors found later.
    pub source: String,
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

/// Why a config file is refused; every message names the file (and the setting).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {problem}")]
    File { file: String, problem: Problem },
    /// A `[[declared]]` entry (its message names the file and line).
    #[error("{0}")]
    Declared(crate::intent::IntentError),
}

/// What is wrong in a config file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// Not TOML, or not the settings vftop knows (toml's words, with line and column).
    #[error("{0}")]
    Toml(toml::de::Error),
    #[error("[ui] {0}")]
    Ui(UiError),
    #[error("{0}")]
    Keys(crate::ui::keymap::KeyError),
    #[error(
        "role '{role}': color = \"{color}\" is not a colour (a name like \"green\" or \"lightblue\", \"#33aa66\", or 0-255)"
    )]
    Colour { role: String, color: String },
    #[error("role '{role}': vlan = {vlan} is not a VLAN id (1 to 4094)")]
    NotAVlan { role: String, vlan: u16 },
    #[error("roles '{first}' and '{second}' are both on vlan {vlan}: one VLAN, one role")]
    SameVlan { first: String, second: String, vlan: u16 },
    #[error("role '{0}' needs either vlan = N, or pf = \"NAME\" and vf = N")]
    RoleNamesNothing(String),
    #[error("[owners] refresh = \"{0}\" is not a duration above zero (like \"5s\")")]
    Refresh(String),
}

/// A `[ui]` value serde cannot check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UiError {
    #[error("chart_window = \"{}\": use one of {}", .0, chart_windows())]
    ChartWindow(String),
    #[error("interval: {0}")]
    Interval(crate::units::DurationError),
    #[error("confirm_within: {0}")]
    ConfirmWithin(crate::units::DurationError),
    #[error("step: {0}")]
    Step(crate::app::flow::StepError),
}

/// Parses a roles config.
pub fn parse_roles(text: &str, file: &str) -> Result<RoleMap, ConfigError> {
    parse(text, file).map(|c| c.roles)
}

/// Parses a config file: roles and `[ui]`; every value is checked here, so a typo is an error
/// naming the file and the setting, before the console starts.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let fail = |problem| ConfigError::File { file: file.to_string(), problem };
    let parsed: ConfigFile = toml::from_str(text).map_err(|e| fail(Problem::Toml(e)))?;
    check_ui(&parsed.ui).map_err(|e| fail(Problem::Ui(e)))?;
    let keys = crate::ui::keymap::KeyMap::from_config(&parsed.keys).map_err(|e| fail(Problem::Keys(e)))?;
    let mut map = RoleMap::default();
    for entry in parsed.roles {
        if let Some(c) = &entry.color
            && c.parse::<ratatui::style::Color>().is_err()
        {
            return Err(fail(Problem::Colour { role: entry.name, color: c.clone() }));
        }
        let role = Role { name: entry.name.clone(), color: entry.color };
        match (entry.vlan, entry.pf, entry.vf) {
            (Some(vlan), None, None) if !(1..=4094).contains(&vlan) => {
                return Err(fail(Problem::NotAVlan { role: entry.name, vlan }));
            }
            (Some(vlan), None, None) => {
                if let Some(other) = map.by_vlan.insert(vlan, role) {
                    return Err(fail(Problem::SameVlan { first: other.name, second: entry.name, vlan }));
                }
            }
            (None, Some(pf), Some(vf)) => {
                map.by_vf.insert(VfKey { pf, vf }, role);
            }
            _ => return Err(fail(Problem::RoleNamesNothing(entry.name))),
        }
    }
    if let Some(refresh) = &parsed.owners.refresh
        && crate::units::parse_span(refresh).map_or(true, |d| d.is_zero())
    {
        return Err(fail(Problem::Refresh(refresh.clone())));
    }
    let intent = crate::intent::parse(parsed.declared, text, file).map_err(ConfigError::Declared)?;
    Ok(Config {
        roles: map,
        ui: parsed.ui,
        keys,
        owners: parsed.owners,
        intent,
        intent_prefs: parsed.intent,
        source: file.to_string(),
    })
}

/// The chart window a config names (`30s` … `1h`, as the chart title writes them).
pub fn chart_window(text: &str) -> Option<std::time::Duration> {
    crate::app::state::WINDOWS.iter().copied().find(|w| crate::app::state::format_window(*w) == text)
}

/// The chart windows a config may name, as it names them: `30s, 1m, …`.
fn chart_windows() -> String {
    let allowed: Vec<String> =
        crate::app::state::WINDOWS.iter().map(|d| crate::app::state::format_window(*d)).collect();
    allowed.join(", ")
}

/// What serde cannot check of `[ui]` (the word settings are enums, refused by serde with the
/// line, column and the allowed words).
fn check_ui(ui: &UiPrefs) -> Result<(), UiError> {
    if let Some(w) = ui.chart_window.as_deref().filter(|w| chart_window(w).is_none()) {
        return Err(UiError::ChartWindow(w.to_string()));
    }
    if let Some(i) = &ui.interval {
        crate::units::parse_duration(i).map_err(UiError::Interval)?;
    }
    if let Some(c) = &ui.confirm_within {
        crate::units::parse_duration(c).map_err(UiError::ConfirmWithin)?;
    }
    if let Some(step) = &ui.step {
        crate::app::flow::Step::parse(step).map_err(UiError::Step)?;
    }
    Ok(())
}

/// Loads `explicit` (must exist), else the XDG config if present, else the shipped roles.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match crate::paths::config_dir().map(|d| d.join("config.toml")).filter(|p| p.exists()) {
            Some(p) => p,
            None => return parse(EXAMPLE, "built-in roles"),
        },
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::File { file: file.clone(), problem: Problem::Unreadable(e) })?;
    parse(&text, &file)
}

/// The roles of `load`.
pub fn load_roles(explicit: Option<&Path>) -> Result<RoleMap, ConfigError> {
    load(explicit).map(|c| c.roles)
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
    fn the_template_is_a_valid_config_with_the_reference_roles() {
        let config = parse(TEMPLATE, "template").unwrap();
        assert_eq!(config.roles, parse_roles(EXAMPLE, "example").unwrap());
        assert_eq!(config.ui.chart_scale, Some(crate::app::state::ChartScale::Auto));
    }

    #[test]
    fn incomplete_entry_is_explained() {
        let err = parse_roles("[[role]]\nname='A'\npf='eth0'\n", "c.toml").err().unwrap().to_string();
        assert!(err.contains("c.toml") && err.contains("needs either vlan"), "{err}");
    }
}
