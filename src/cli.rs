//! Command-line options.

use crate::model::{Mbps, RateLimit};
use crate::units::{parse_age, parse_duration, parse_size};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// htop for SR-IOV virtual functions: live per-VF QoS monitoring and safe rate tuning.
///
/// Without a subcommand: the console. Each subcommand takes only its own options (`vftop
/// SUBCOMMAND --help`); `--log` goes anywhere.
#[derive(Parser, Debug, Clone)]
#[command(name = "vftop", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub console: ConsoleArgs,
    /// Write the debug log here (default: $XDG_STATE_HOME/vftop/vftop.log).
    #[arg(global = true, long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// Where samples come from: the kernel (the default), or a simulated NIC.
#[derive(Args, Debug, Clone, Default)]
pub struct SimArgs {
    /// Run on the built-in simulated SR-IOV NIC (no hardware needed).
    #[arg(long)]
    pub demo: bool,
    /// Simulate the NIC described by this scenario file (TOML), or a built-in scenario:
    /// reference, two-pfs (a second, 25G PF), stress (1024 partitions); implies --demo.
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: Option<PathBuf>,
    /// Seed for the simulator (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl SimArgs {
    pub fn is_demo(&self) -> bool {
        self.demo || self.scenario.is_some()
    }
}

/// A live source: the simulator's options and which of the kernel's links to watch.
#[derive(Args, Debug, Clone, Default)]
pub struct SourceArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Only show this PF (repeatable).
    #[arg(long = "interface", short = 'i', value_name = "PF")]
    pub interfaces: Vec<String>,
    /// Also show ordinary interfaces without VFs (rates from IFLA_STATS64).
    #[arg(long)]
    pub all_links: bool,
    /// Whose each VF is (pod, VM, container, namespace, host service) and the sockets of
    /// host-bound VFs: looked up from every source there is (auto), or not at all (none).
    #[arg(long, value_enum, value_name = "MODE")]
    pub owners: Option<crate::source::owners::OwnersMode>,
    /// libvirt's live domain XML directory (default /run/libvirt/qemu).
    #[arg(long, value_name = "DIR")]
    pub libvirt_run_dir: Option<PathBuf>,
    /// The kubelet's pod-resources socket (default /var/lib/kubelet/pod-resources/kubelet.sock).
    #[arg(long, value_name = "PATH")]
    pub kubelet_socket: Option<PathBuf>,
    /// The SR-IOV CNI plugin's cache (default /var/lib/cni/sriov).
    #[arg(long, value_name = "DIR")]
    pub cni_cache_dir: Option<PathBuf>,
}

/// How the console looks and takes the mouse.
#[derive(Args, Debug, Clone, Default)]
pub struct LookArgs {
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
    /// No mouse: clicks and the wheel stay with the terminal (its own text selection).
    #[arg(long)]
    pub no_mouse: bool,
}

/// A recording and the window of it to read (`dump`, `report`).
#[derive(Args, Debug, Clone, Default)]
pub struct RecordingArgs {
    /// The store directory (default: the recorder's).
    pub dir: Option<PathBuf>,
    /// From this time: RFC 3339, "2026-11-25 03:00", "03:00", "2h ago" (default: the start;
    /// report: an hour before --to).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Up to this time (default: the end).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only this PF.
    #[arg(long, value_name = "PF")]
    pub pf: Option<String>,
    /// Only this VF (of every PF, or of --pf).
    #[arg(long, value_name = "N")]
    pub vf: Option<u32>,
}

/// What `vftop report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    /// One self-contained page (inline CSS and SVG charts; no network).
    Html,
    Json,
    /// One SVG chart per episode (the 40 worst), into --out DIR.
    Svg,
}

/// The roles and preferences file.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArg {
    /// Partition roles and preferences (TOML). Default: $XDG_CONFIG_HOME/vftop/config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where attempted rate changes are written.
#[derive(Args, Debug, Clone, Default)]
pub struct AuditArg {
    /// Append every attempted rate change (JSON lines, fsynced) here. Default:
    /// $XDG_STATE_HOME/vftop/audit.log (demo-audit.log with --demo).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

/// How often to sample.
#[derive(Args, Debug, Clone)]
pub struct IntervalArg {
    /// Sampling interval, e.g. 1s, 500ms, 2s.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
}

impl Default for IntervalArg {
    fn default() -> Self {
        IntervalArg { interval: Duration::from_secs(1) }
    }
}

/// The console's own options (no subcommand).
#[derive(Args, Debug, Clone, Default)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub look: LookArgs,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub audit: AuditArg,
    #[command(flatten)]
    pub interval: IntervalArg,
    /// Take two samples an interval apart, print them and exit (no TUI).
    #[arg(long)]
    pub once: bool,
    /// With --once: print one JSON document.
    #[arg(long, requires = "once")]
    pub json: bool,
    /// Never change anything: throttling keys explain instead of acting.
    #[arg(long)]
    pub read_only: bool,
    /// Commit-confirmed: revert every change unless confirmed with `c` within this time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub confirm_within: Option<Duration>,
    /// How far `]`/`[` and `}`/`{` move a limit: a share of link speed (10%) or a rate (500M).
    #[arg(long, value_name = "STEP", default_value = "10%", value_parser = crate::app::flow::Step::parse)]
    pub step: crate::app::flow::Step,
    /// Print a config file with every setting and the reference roles, commented, and exit:
    /// `vftop --print-config-template > ~/.config/vftop/config.toml`.
    #[arg(long)]
    pub print_config_template: bool,
    /// Also record every sample into this store while the console runs (as `vftop record`).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
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
        /// Maximum rate, e.g. 500M, 1.5G (bits/s; 62.5MB for bytes/s); 0 or none = no cap.
        #[arg(long, value_parser = parse_max_arg)]
        max: Option<Mbps>,
        /// Minimum guaranteed rate, e.g. 100M; 0 or none = no guarantee.
        #[arg(long, value_parser = parse_min_arg)]
        min: Option<Mbps>,
        /// Send even what vftop knows the driver refuses (to see the kernel's own answer).
        #[arg(long)]
        no_precheck: bool,
        /// Through `ip link`'s interface (ndo_set_vf_rate) even where the driver takes VF rates
        /// only through devlink (netdevsim in switchdev mode): to see its refusal.
        #[arg(long)]
        ip_link: bool,
        #[command(flatten)]
        sim: SimArgs,
        #[command(flatten)]
        audit: AuditArg,
    },
    /// Compare the host with the limits the config declares ([[declared]]): exit 0 when it
    /// conforms, 1 when something differs (each VF with declared against actual, and since
    /// when where the recorder's store says), 2 when it cannot tell (a PF or VF missing, the
    /// intent refused by a driver's rules, no permission).
    Check {
        /// As JSON, for scripts and configuration management.
        #[arg(long)]
        json: bool,
        /// The recorder's store, for since when a VF differs (default: the recorder's).
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Put the host right to the declared limits: each change shown first (old → new, the
    /// equivalent command, whom it throttles), then sent as `vftop set` sends one (the
    /// driver's rules first, read back, audited with reason "declared").
    Apply {
        /// Show the changes and send none; exit 1 if anything would change.
        #[arg(long, conflicts_with_all = ["watch", "confirm"])]
        dry_run: bool,
        /// Commit-confirmed: revert each change after this long unless `vftop apply
        /// --confirm` keeps it (a guard process per VF, as the console's).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "watch")]
        confirm_within: Option<Duration>,
        /// Keep the changes the last `apply --confirm-within` made.
        #[arg(long, conflicts_with = "watch")]
        confirm: bool,
        /// Keep the host so: put limits right again when VFs are re-created, when a driver
        /// clears them after a link change, and at start; a limit a person changes while it
        /// runs is reported as drift and left alone. Until SIGTERM or SIGINT.
        #[arg(long)]
        watch: bool,
        /// With --watch: put right whatever changed a limit, a person too.
        #[arg(long, requires = "watch")]
        enforce: bool,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        audit: AuditArg,
        #[command(flatten)]
        interval: IntervalArg,
    },
    /// Serve the samples as Prometheus metrics (`/metrics`, text format and OpenMetrics),
    /// sampled on --interval, not per scrape. Read-only.
    Serve {
        /// Address and port to listen on; `:9808` (as node_exporter takes it), 0.0.0.0:9808
        /// or [::]:9808 accept scrapes from other hosts; `localhost:9808` is loopback.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9808", value_parser = parse_listen)]
        listen: std::net::SocketAddr,
        /// Also export every driver statistic (`ethtool -S`) of PFs and VF netdevs (one
        /// series per statistic: many drivers have hundreds).
        #[arg(long)]
        ethtool_stats: bool,
        /// TLS and basic auth: a web config in Prometheus's exporter-toolkit format
        /// (tls_server_config.cert_file/key_file, basic_auth_users with bcrypt hashes).
        #[arg(long, value_name = "FILE")]
        web_config: Option<PathBuf>,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        interval: IntervalArg,
    },
    /// Record every sample and event to disk, headless (a daemon: no terminal needed), for
    /// `vftop replay` and `vftop dump`. Stops cleanly on SIGTERM or SIGINT.
    Record {
        /// The store directory. Default: /var/lib/vftop/record as root, else
        /// $XDG_STATE_HOME/vftop/record (`record-demo` with --demo).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Delete what is older than this (whole hours go at once), e.g. 36h [default: 7d].
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        retain: Option<Duration>,
        /// Delete the oldest hours while the store is bigger than this, e.g. 500M [default: 2G].
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: Option<u64>,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        audit: AuditArg,
        #[command(flatten)]
        interval: IntervalArg,
    },
    /// The console on a recording, read-only, with a time cursor (←/→, Shift-←/→, g, L, E).
    /// With --demo: a freshly simulated half hour.
    Replay {
        /// The store directory (default: the recorder's).
        dir: Option<PathBuf>,
        /// Start here: "2026-11-25 03:00", 03:00, "20m ago", RFC 3339 (default: the newest sample).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Replay a freshly simulated half hour (--scenario: of that scenario) instead.
        #[command(flatten)]
        sim: SimArgs,
        #[command(flatten)]
        look: LookArgs,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The story of a window of a recording: its episodes (starved, pinned at the cap,
    /// saturated, oversubscribed, down) worst first with their context, what changed, each
    /// link's peak — as text, Markdown, JSON, one self-contained HTML page or SVG charts.
    Report {
        #[command(flatten)]
        recording: RecordingArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        /// Where the files go (--format svg: one chart per episode, the 40 worst; html: report.html).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Two windows side by side, each --window long from its start (this incident against
        /// the same time yesterday): `--compare "03:00" "1d ago"`.
        #[arg(long, num_args = 2, value_names = ["T1", "T2"])]
        compare: Option<Vec<String>>,
        /// The length of each --compare window.
        #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
        window: Duration,
        /// Report on a freshly simulated half hour with an incident in it (--scenario: of
        /// that scenario) instead.
        #[command(flatten)]
        sim: SimArgs,
    },
    /// Print a recording: one row per VF per sample (CSV, JSON Lines), the events, or
    /// OpenMetrics for `promtool tsdb create-blocks-from openmetrics`.
    Dump {
        #[command(flatten)]
        recording: RecordingArgs,
        #[arg(long, value_enum, default_value = "csv")]
        format: crate::record::dump::Format,
        /// Comma-separated columns (default: all): time,pf,vf,partition,owner,tx_bps,rx_bps,tx_pps,
        /// rx_pps,drops_per_sec,tx_bytes,rx_bytes,tx_packets,rx_packets,tx_dropped,rx_dropped,
        /// min_mbps,max_mbps,link_state,vlan,mac,link_mbps,origin,events.
        #[arg(long, value_name = "LIST")]
        fields: Option<String>,
        /// Only the events (rate changes with who, outside changes, VFs coming and going, resets).
        #[arg(long)]
        events: bool,
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
        #[command(flatten)]
        audit: AuditArg,
    },
    /// The console on every host a Prometheus server scrapes `vftop serve` on (read-only:
    /// a rate change shows the command to run on its host).
    Fleet(FleetArgs),
}

/// What `vftop fleet` is asked.
#[derive(Args, Debug, Clone)]
pub struct FleetArgs {
    /// Prometheus's base URL (or Thanos, Mimir, VictoriaMetrics: anything with its HTTP API);
    /// with --demo instead, three simulated hosts.
    #[arg(long, value_name = "URL", required_unless_present_any = ["demo", "print_rules"])]
    pub prometheus: Option<String>,
    /// Which targets are vftop exporters.
    #[arg(long, value_name = "SELECTOR", default_value = "{job=\"vftop\"}")]
    pub selector: String,
    /// The label that names a host.
    #[arg(long, value_name = "NAME", default_value = "instance")]
    pub host_label: String,
    /// Three simulated hosts instead of a Prometheus server.
    #[arg(long)]
    pub demo: bool,
    /// Rates are the query engine's `rate()` over this window of its samples (at least
    /// two scrapes; 1m lets the mixin's recording rules answer).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub rate_window: Duration,
    /// The overview's rows: the fleet's worst partitions it asks for (default: the
    /// terminal's height).
    #[arg(long, value_name = "N")]
    pub rows: Option<usize>,
    /// Query the raw series even where the backend has the mixin's recording rules.
    #[arg(long)]
    pub no_rules: bool,
    /// Print each query the console sends and what it cost (series, bytes, time), then exit.
    #[arg(long, conflicts_with = "demo")]
    pub explain: bool,
    /// Print the mixin's recording rules (the queries the console sends without them) and exit.
    #[arg(long, exclusive = true)]
    pub print_rules: bool,
    #[command(flatten)]
    pub look: LookArgs,
    #[command(flatten)]
    pub interval: IntervalArg,
}

/// A `--listen` that is no address to listen on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    #[error("'{0}' has no port: use ADDR:PORT, e.g. 127.0.0.1:9808 or :9808")]
    NoPort(String),
    /// The name did not resolve: the resolver's words.
    #[error("'{text}': {why}")]
    Unresolved { text: String, why: String },
    #[error("'{0}' names no address")]
    NoAddress(String),
}

/// A listen address: `HOST:PORT` (an address or a name, `localhost` among them), or `:PORT`
/// for every IPv4 interface.
fn parse_listen(text: &str) -> Result<std::net::SocketAddr, ListenError> {
    use std::net::ToSocketAddrs;
    let text = text.trim();
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    if let Ok(addr) = full.parse() {
        return Ok(addr);
    }
    if !full.contains(':') {
        return Err(ListenError::NoPort(text.to_string()));
    }
    full.to_socket_addrs()
        .map_err(|e| ListenError::Unresolved { text: text.to_string(), why: e.to_string() })?
        .next()
        .ok_or_else(|| ListenError::NoAddress(text.to_string()))
}

/// A `--max` or `--min` that is not a rate, with what 0 means for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitArgError {
    #[error("{0} (--max: 0 or none = no cap)")]
    Max(crate::units::RateParseError),
    #[error("{0} (--min: 0 or none = no guarantee)")]
    Min(crate::units::RateParseError),
}

fn parse_max_arg(text: &str) -> Result<Mbps, LimitArgError> {
    crate::units::parse_rate(text).map_err(LimitArgError::Max)
}

fn parse_min_arg(text: &str) -> Result<Mbps, LimitArgError> {
    crate::units::parse_rate(text).map_err(LimitArgError::Min)
}

impl ConsoleArgs {
    /// Takes the config's `[ui]` settings for every option not `given` on the command line
    /// (the command line wins). The values were checked when the config was read.
    pub fn take_prefs(&mut self, ui: &crate::config::UiPrefs, given: &dyn Fn(&str) -> bool) {
        self.look.take_prefs(ui);
        if let Some(d) =
            ui.interval.as_deref().filter(|_| !given("interval")).and_then(|t| parse_duration(t).ok())
        {
            self.interval.interval = d;
        }
        if let Some(step) = ui.step.as_deref().filter(|_| !given("step")) {
            self.step = crate::app::flow::Step::parse(step).unwrap_or(self.step);
        }
        if self.confirm_within.is_none() {
            self.confirm_within = ui.confirm_within.as_deref().and_then(|t| parse_duration(t).ok());
        }
    }
}

impl LookArgs {
    /// The config's theme and mouse, where the command line says nothing of them.
    pub fn take_prefs(&mut self, ui: &crate::config::UiPrefs) {
        if self.theme.is_none() {
            self.theme.clone_from(&ui.theme);
        }
        self.no_mouse |= ui.mouse == Some(false);
    }
}

impl AuditArg {
    /// The audit log: the one given, else the default (`demo-audit.log` for a simulator).
    pub fn path(&self, demo: bool) -> PathBuf {
        let name = if demo { "demo-audit.log" } else { "audit.log" };
        self.audit_log
            .clone()
            .or_else(|| crate::paths::state_dir().map(|d| d.join(name)))
            .unwrap_or_else(|| PathBuf::from(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_views_suggested_set_command_parses() {
        use clap::Parser;
        let change = crate::model::RateChange::vf(
            crate::model::VfKey { pf: "demo-a/ens1f0".into(), vf: 1 },
            crate::model::RateLimit::new(0, 2000),
            crate::model::RateLimit::new(0, 2000),
        );
        let suggested = crate::source::fleet::ssh_command(&change);
        let args = suggested.split_once("sudo ").unwrap().1;
        let cli = Cli::try_parse_from(args.split_whitespace()).unwrap_or_else(|e| panic!("{suggested}: {e}"));
        let Some(Command::Set { max, min, .. }) = cli.command else { panic!("{suggested}") };
        assert_eq!((max, min), (Some(Mbps(2000)), Some(Mbps::UNLIMITED)));
        let err =
            Cli::try_parse_from(["vftop", "set", "ens1f0", "1", "--min", "lots"]).unwrap_err().to_string();
        assert!(err.contains("0 or none = no guarantee"), "{err}");
    }

    #[test]
    fn listen_addresses_as_node_exporter_takes_them() {
        assert_eq!(parse_listen(":9808"), Ok("0.0.0.0:9808".parse().unwrap()));
        assert_eq!(
            parse_listen("localhost:9808").map(|a| (a.ip().is_loopback(), a.port())),
            Ok((true, 9808))
        );
        assert_eq!(parse_listen("[::]:9808"), Ok("[::]:9808".parse().unwrap()));
        assert!(parse_listen("9808").unwrap_err().to_string().contains("no port"));
        assert!(parse_listen(":http").is_err());
    }

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

    #[test]
    fn sizes_and_ages() {
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("big").is_err());
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert!(parse_age("10s").is_err());
    }
}
