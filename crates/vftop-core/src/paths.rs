//! Where vftop keeps its files, in one place: the XDG config and state directories.

use etcetera::BaseStrategy;
use std::path::PathBuf;

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
