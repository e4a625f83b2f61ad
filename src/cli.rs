//! Command-line options.

use crate::model::{Mbps, RateLimit};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// htop for SR-IOV virtual functions: live per-VF QoS monitoring and safe rate tuning.
#[derive(Parser, Debug, Clone)]
#[command(name = "vftop", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run on the built-in simulated SR-IOV NIC (no hardware needed).
    #[arg(global = true, long)]
    pub demo: bool,
    /// Simulate the NIC described by this scenario file (TOML); implies --demo.
    #[arg(global = true, long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Seed for the simulator (overrides the scenario's).
    #[arg(global = true, long)]
    pub seed: Option<u64>,
    /// Colour theme: dark, light, high-contrast, mono, ansi16 (the terminal's own 16 colours),
    /// or one in ~/.config/vftop/themes.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Plain ASCII only: no braille, box drawing or block bars (automatic when the locale is
    /// not UTF-8).
    #[arg(long)]
    pub ascii: bool,
    /// Map 24-bit theme colours to the 256-colour palette (automatic unless COLORTERM is
    /// truecolor or 24bit).
    #[arg(long)]
    pub low_color: bool,
    /// Sampling interval, e.g. 1s, 500ms, 2s.
    #[arg(global = true, long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Take two samples an interval apart, print them and exit (no TUI).
    #[arg(long)]
    pub once: bool,
    /// With --once: print one JSON document.
    #[arg(long, requires = "once")]
    pub json: bool,
    /// Only show this PF (repeatable).
    #[arg(global = true, long = "interface", short = 'i', value_name = "PF")]
    pub interfaces: Vec<String>,
    /// Also show ordinary interfaces without VFs (rates from IFLA_STATS64).
    #[arg(global = true, long)]
    pub all_links: bool,
    /// Partition roles config (TOML). Default: $XDG_CONFIG_HOME/vftop/config.toml.
    #[arg(global = true, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Never change anything: throttling keys explain instead of acting.
    #[arg(long)]
    pub read_only: bool,
    /// Append every attempted rate change (JSON lines, fsynced) here. Default:
    /// $XDG_STATE_HOME/vftop/audit.log (demo-audit.log with --demo).
    #[arg(global = true, long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Commit-confirmed: revert every change unless confirmed with `c` within this time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub confirm_within: Option<Duration>,
    /// How far `]`/`[` and `}`/`{` move a limit: a share of link speed (10%) or a rate (500M).
    #[arg(long, value_name = "STEP", default_value = "10%", value_parser = crate::app::changes::Step::parse)]
    pub step: crate::app::changes::Step,
    /// Write the debug log here (default: $XDG_STATE_HOME/vftop/vftop.log).
    #[arg(global = true, long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// Headless actions.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Set one VF's transmit rate limits, then read back what the driver kept. Both min and
    /// max are always sent; one that is not given keeps its current value.
    #[command(group(clap::ArgGroup::new("limit").required(true).multiple(true).args(["max", "min"])))]
    Set {
        /// The PF, e.g. ens1f0.
        pf: String,
        /// The VF index.
        vf: u32,
        /// Maximum rate, e.g. 500M, 1.5G; 0 = unlimited.
        #[arg(long, value_parser = parse_rate_arg)]
        max: Option<Mbps>,
        /// Minimum guaranteed rate; 0 = none.
        #[arg(long, value_parser = parse_rate_arg)]
        min: Option<Mbps>,
        /// Send even what vftop knows the driver refuses (to see the kernel's own answer).
        #[arg(long)]
        no_precheck: bool,
    },
    /// Serve the samples as Prometheus metrics (`/metrics`, text format and OpenMetrics),
    /// sampled on --interval, not per scrape. Read-only.
    Serve {
        /// Address and port to listen on; use 0.0.0.0:9808 or [::]:9808 to accept scrapes
        /// from other hosts.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9808")]
        listen: std::net::SocketAddr,
        /// Also export every driver statistic (`ethtool -S`) of PFs and VF netdevs (one
        /// series per statistic: many drivers have hundreds).
        #[arg(long)]
        ethtool_stats: bool,
        /// TLS and basic auth: a web config in Prometheus's exporter-toolkit format
        /// (tls_server_config.cert_file/key_file, basic_auth_users with bcrypt hashes).
        #[arg(long, value_name = "FILE")]
        web_config: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), generated from these options: `vftop man > vftop.1`.
    Man,
    /// (Started by the console.) Reverts one commit-confirmed VF change at its deadline if
    /// the console that armed it is gone; "done" on stdin disarms it.
    #[command(hide = true)]
    Guard {
        pf: String,
        vf: u32,
        /// The limit the console applied, MIN:MAX in Mbit/s.
        #[arg(long, value_parser = crate::guard::parse_limit)]
        applied: RateLimit,
        /// The limit to go back to, MIN:MAX in Mbit/s.
        #[arg(long, value_parser = crate::guard::parse_limit)]
        revert: RateLimit,
        #[arg(long)]
        deadline_unix_ms: u64,
        #[arg(long, default_value = "")]
        partition: String,
    },
    /// The console on every host a Prometheus server scrapes `vftop serve` on (read-only:
    /// a rate change shows the command to run on its host).
    Fleet {
        /// Prometheus's base URL (or Thanos, Mimir, VictoriaMetrics: anything with its HTTP API);
        /// with --demo instead, three simulated hosts.
        #[arg(long, value_name = "URL", required_unless_present = "demo")]
        prometheus: Option<String>,
        /// Which targets are vftop exporters.
        #[arg(long, value_name = "SELECTOR", default_value = "{job=\"vftop\"}")]
        selector: String,
        /// The label that names a host.
        #[arg(long, value_name = "NAME", default_value = "instance")]
        host_label: String,
    },
}

fn parse_rate_arg(text: &str) -> Result<Mbps, String> {
    crate::metrics::units::parse_rate(text).map_err(|e| e.to_string())
}

impl Cli {
    pub fn is_demo(&self) -> bool {
        self.demo || self.scenario.is_some()
    }
}

/// Parses a duration (`1s`, `500ms`, `1m 30s`, humantime's syntax) or a bare number of
/// seconds (`2`, `0.5`), between 50 ms and 1 h.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let parsed = match t.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
        }
        Ok(_) => Err("not a positive number".to_string()),
        Err(_) => humantime::parse_duration(t).map_err(|e| e.to_string()),
    };
    let d = parsed.map_err(|e| format!("'{text}' is not a duration like 1s or 500ms ({e})"))?;
    if !(Duration::from_millis(50)..=Duration::from_secs(3600)).contains(&d) {
        return Err(format!("{text} is out of range (50ms to 1h)"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
