//! What each PF driver does with VFs, read from its source: which rates it accepts and why it
//! refuses, where a VF's counters come from, what its representors count, and which of its
//! kernel log lines are about a VF. Everything driver-specific in vftop asks this module.

use crate::model::{Capabilities, DriverStat, Mbps, PauseCounters, PortCounters, RateLimit, Support};
use serde::Serialize;

/// The PF drivers vftop knows the rules of; the rest are `Other` (try, and report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    Igb,
    Ixgbe,
    I40e,
    Ice,
    Mlx5,
    Bnxt,
    Netdevsim,
    /// vftop's simulated NIC.
    Sim,
    Other,
}

/// Whether a driver's `IFLA_VF_STATS` are counters at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VfCounters {
    /// Real per-VF counters (all zero only when the driver's stats call failed).
    Real,
    /// Some are real (ixgbe: packets, bytes and multicast; no drops, no broadcast).
    Partial,
    /// No per-VF counters: `IFLA_VF_STATS` is always zero (igb, bnxt, netdevsim).
    Absent,
    /// Not known: zeros are read as "not counted" only where nothing else counts.
    Unknown,
}

/// What a VF's switchdev representor counts, relative to the VF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepresentorView {
    /// rx and tx as the VF sees them (ice: the representor reports the VF's own counters).
    AsVf,
    /// The switch port's view: the representor's rx is the VF's tx (mlx5's vport counters).
    Swapped,
    /// Only traffic that went through the representor itself (bnxt: slow path), not the
    /// offloaded flows: never a rate.
    SlowPathOnly,
}

/// How a VF's rate is changed on this driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateApi {
    /// `ndo_set_vf_rate` (`ip link set PF vf N min_tx_rate … max_tx_rate …`).
    IpLink,
    /// The VF's devlink rate leaf (`devlink port function rate set …`).
    Devlink,
}

/// What a rate check needs to know of the PF now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PfFacts {
    pub link_speed: Option<Mbps>,
    /// `None`: not known (the check is left to the driver).
    pub link_up: Option<bool>,
    /// The PF's PCI device id (igb rate-limits only on the 82576).
    pub pci_device: Option<u16>,
    /// The eswitch is in switchdev mode.
    pub switchdev: bool,
    /// Σ min of the PF's other VFs (ice refuses Σ min above the link).
    pub other_mins: Mbps,
}

/// The 82576's PCI device ids (drivers/net/ethernet/intel/igb/e1000_hw.h): the only igb MAC
/// whose VFs `igb_ndo_set_vf_bw` rate-limits (`hw->mac.type != e1000_82576` → EOPNOTSUPP).
const IGB_82576: [u16; 8] = [0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x1526, 0x150A, 0x1518, 0x150D];

/// i40e programs bandwidth credits of 50 Mbit/s (`I40E_BW_CREDIT_DIVISOR`).
const I40E_CREDIT: u32 = 50;

/// ixgbe's smallest cap (`ixgbe_ndo_set_vf_bw`: `max_tx_rate <= 10` is refused).
const IXGBE_MIN_CAP: u32 = 11;

impl Driver {
    /// The driver of a netdev by its name as ethtool reports it.
    pub fn of(name: &str) -> Driver {
        match name {
            "igb" => Driver::Igb,
            "ixgbe" => Driver::Ixgbe,
            "i40e" => Driver::I40e,
            "ice" => Driver::Ice,
            "mlx5_core" | "mlx5e_rep" => Driver::Mlx5,
            "bnxt_en" => Driver::Bnxt,
            "netdevsim" => Driver::Netdevsim,
            "sim" => Driver::Sim,
            _ => Driver::Other,
        }
    }

    /// What it can do with VF rates.
    pub fn capabilities(self) -> Capabilities {
        let max_only =
            |granularity| Capabilities { min_rate: Support::No, max_rate: Support::Yes, granularity };
        match self {
            Driver::Igb | Driver::Ixgbe => max_only(None),
            Driver::I40e => max_only(Some(Mbps(I40E_CREDIT))),
            Driver::Ice | Driver::Mlx5 | Driver::Bnxt | Driver::Netdevsim | Driver::Sim => Capabilities::FULL,
            Driver::Other => Capabilities::UNKNOWN,
        }
    }

    /// Whether its `IFLA_VF_STATS` count anything (`ndo_get_vf_stats`: igb, bnxt_en and
    /// netdevsim have none; ixgbe's `ixgbe_get_vf_stats` fills packets, bytes and multicast).
    pub fn vf_counters(self) -> VfCounters {
        match self {
            Driver::Igb | Driver::Bnxt | Driver::Netdevsim => VfCounters::Absent,
            Driver::Ixgbe => VfCounters::Partial,
            Driver::I40e | Driver::Ice | Driver::Mlx5 | Driver::Sim => VfCounters::Real,
            Driver::Other => VfCounters::Unknown,
        }
    }

    /// What its representors' counters mean.
    pub fn representor_view(self) -> RepresentorView {
        match self {
            Driver::Mlx5 => RepresentorView::Swapped,
            Driver::Bnxt => RepresentorView::SlowPathOnly,
            _ => RepresentorView::AsVf,
        }
    }

    /// How a VF's rate is changed: netdevsim in switchdev mode refuses `ndo_set_vf_rate`
    /// ("Please use devlink API", `nsim_set_vf_rate` in drivers/net/netdevsim/netdev.c).
    pub fn rate_api(self, switchdev: bool) -> RateApi {
        match self {
            Driver::Netdevsim if switchdev => RateApi::Devlink,
            _ => RateApi::IpLink,
        }
    }

    /// Whether a change to a VF's devlink leaf shows in the VF's own limits (`ip link`'s view):
    /// mlx5 (esw/qos.c keeps one vport rate) and netdevsim do, and the simulator; the other way
    /// round no driver mirrors (an `ip link` change leaves the leaf as it was).
    pub fn devlink_mirrors_vf(self) -> bool {
        matches!(self, Driver::Mlx5 | Driver::Netdevsim | Driver::Sim)
    }

    /// Whether `min` is a guarantee (mlx5's is a relative weight: `bw_share`).
    pub fn min_is_guarantee(self) -> bool {
        !matches!(self, Driver::Mlx5)
    }

    /// The cap the hardware enforces for a requested `max`, where it differs (i40e:
    /// floor(max / 50) × 50, and 1–49 → 50; the driver reports back what was requested).
    pub fn enforced_max(self, max: Mbps) -> Option<Mbps> {
        if self != Driver::I40e || max.is_unlimited() {
            return None;
        }
        let enforced = (max.0 / I40E_CREDIT).max(1) * I40E_CREDIT;
        (enforced != max.0).then_some(Mbps(enforced))
    }

    /// The driver's own rules, checked before sending: `Err` says which rule.
    pub fn check(self, new: RateLimit, pf: &PfFacts) -> Result<(), DriverRule> {
        let name = self.label();
        let RateLimit { min, max } = new;
        match self {
            Driver::Igb => {
                if let Some(device) = pf.pci_device.filter(|id| !IGB_82576.contains(id)) {
                    return Err(DriverRule::IgbNot82576 { device });
                }
                no_min(name, min)?;
                link_must_be_up(name, pf, "even to clear a cap")?;
                at_most_link(name, "max", max, pf)
            }
            Driver::Ixgbe => {
                no_min(name, min)?;
                link_must_be_up(name, pf, "even to clear a cap")?;
                if let Some(link) = pf.link_speed.filter(|s| *s != Mbps(10_000)) {
                    return Err(DriverRule::IxgbeNot10G { link });
                }
                if !max.is_unlimited() && max.0 < IXGBE_MIN_CAP {
                    return Err(DriverRule::IxgbeBelowMinCap { max });
                }
                at_most_link(name, "max", max, pf)
            }
            Driver::I40e => {
                no_min(name, min)?;
                at_most_link(name, "max", max, pf)
            }
            Driver::Ice => {
                at_most_link(name, "max", max, pf)?;
                let total = Mbps(pf.other_mins.0.saturating_add(min.0));
                let link =
                    if pf.link_up == Some(false) { Mbps(0) } else { pf.link_speed.unwrap_or(Mbps(u32::MAX)) };
                if !min.is_unlimited() && total > link {
                    return Err(DriverRule::IceMinsAboveLink {
                        total,
                        link,
                        link_down: pf.link_up == Some(false),
                    });
                }
                Ok(())
            }
            Driver::Bnxt => {
                at_most_link(name, "min", min, pf)?;
                at_most_link(name, "max", max, pf)
            }
            _ => at_most_link(name, "max", max, pf),
        }
    }

    /// Why the driver refused with `errno`, in its own terms (the kernel gives
    /// `ndo_set_vf_rate` no extended ACK; its reason, if any, is in the kernel log).
    pub fn explain(self, errno: i32, new: RateLimit, pf: &PfFacts) -> String {
        if let Err(rule) = self.check(new, pf) {
            return rule.to_string();
        }
        let name = self.label();
        match (self, errno) {
            (Driver::Mlx5, libc::EPERM) => {
                "mlx5: this function is not the eswitch manager (EPERM: only the PF that manages \
                 the eswitch sets VF rates; vftop has CAP_NET_ADMIN)"
                    .into()
            }
            (Driver::Mlx5, libc::EOPNOTSUPP) => {
                "mlx5: the firmware has no rate-limit capabilities for VFs (EOPNOTSUPP)".into()
            }
            (Driver::Ice, libc::EOPNOTSUPP) if !new.min.is_unlimited() => {
                "ice: no minimum while DCB is on (EOPNOTSUPP); a max alone still works".into()
            }
            (Driver::Ice, libc::EBUSY) => {
                "ice: ADQ or DCB is active on this PF, devlink rates are locked (EBUSY; retrying \
                 will not help)"
                    .into()
            }
            (Driver::Ice, libc::EINVAL) => {
                "ice refused it: on kernels before the 2026 stable fix, every change fails while the \
                 PF's guarantees are oversubscribed (Σ min above the link) — lower the other VFs' \
                 min first, starting with the largest"
                    .into()
            }
            (Driver::I40e, libc::EAGAIN) => {
                "i40e: another operation on a VF of this PF is pending (EAGAIN); try again".into()
            }
            (Driver::Netdevsim, libc::EOPNOTSUPP) if pf.switchdev => {
                "netdevsim in switchdev mode sets VF rates only through devlink".into()
            }
            (_, libc::EOPNOTSUPP) => format!("the {name} driver cannot rate-limit VFs this way"),
            _ => format!(
                "the {name} driver refused min {} max {} (it gives no reason over netlink)",
                new.min, new.max
            ),
        }
    }

    /// Whether [`Driver::explain`] knows more for `errno` than "cannot rate-limit VFs".
    pub fn explains(self, errno: i32, new: RateLimit, pf: &PfFacts) -> bool {
        self.explain(errno, new, pf) != format!("the {} driver cannot rate-limit VFs this way", self.label())
    }

    pub fn label(self) -> &'static str {
        match self {
            Driver::Igb => "igb",
            Driver::Ixgbe => "ixgbe",
            Driver::I40e => "i40e",
            Driver::Ice => "ice",
            Driver::Mlx5 => "mlx5_core",
            Driver::Bnxt => "bnxt_en",
            Driver::Netdevsim => "netdevsim",
            Driver::Sim => "sim",
            Driver::Other => "this",
        }
    }
}

/// What igb's and ixgbe's "Link speed has been changed. VF Transmit rate is disabled" means: the
/// VFs' rates going to none after it are the driver's doing, not a person's.
pub const RATES_CLEARED: &str = "link speed changed: the driver cleared every VF's rate";

/// A kernel log line about a VF's (or the PF's) health, as the PF drivers write them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The VF it names, where it names one.
    pub vf: Option<u32>,
    /// What it means, in a few words.
    pub what: &'static str,
}

/// The driver messages vftop recognises: (the text before the VF number, or the whole marker
/// when the line names no VF; what it means). From igb_main.c (`igb_set_vf_mac_addr`,
/// `igb_spoof_check`, `igb_check_vf_rate_limit`), ixgbe (`ixgbe_spoof_check`), i40e_main.c
/// (`i40e_handle_mdd_event`), i40e_virtchnl_pf.c, ice_main.c (`ice_handle_mdd_event`) and
/// ice_sriov.c (`ice_print_vfs_mdd_events`).
const HEALTH: [(&str, &str); 11] = [
    (
        "attempted to override administratively set MAC address",
        "tried to override its administratively set MAC",
    ),
    ("Spoof event(s) detected on VF ", "spoofed packets"),
    ("Spoofed packets detected", "spoofed packets"),
    ("Malicious Driver Detection events detected on PF ", "malicious driver detection"),
    ("Malicious Driver Detection event ", "malicious driver detection"),
    ("driver issue detected on VF ", "malicious driver detection (VF disabled)"),
    ("VF is not trusted", "refused: the VF is not trusted"),
    (
        "Link speed has been changed. VF Transmit rate is disabled",
        "link speed changed: the driver cleared every VF's rate",
    ),
    ("in reset. Try again.", "VF in reset"),
    ("PF-to-VF reset on PF ", "VF reset after malicious driver detection"),
    ("Not supported in switchdev mode. Please use devlink API.", "VF rates only through devlink"),
];

/// What a kernel log line says about a VF, where it is one of the drivers' health messages.
pub fn health(text: &str) -> Option<Health> {
    let (marker, what) = HEALTH.iter().find(|(m, _)| text.contains(m))?;
    Some(Health { vf: vf_number(text, marker), what })
}

/// The VF a line names: `VF 3`, `VF# 3`, `VF number 0x03`, `VF ID: 3`, `VF %d attempted`.
fn vf_number(text: &str, marker: &str) -> Option<u32> {
    let number = |s: &str| {
        let s = s
            .trim_start_matches([' ', '#', ':'])
            .trim_start_matches("ID:")
            .trim_start_matches("number")
            .trim_start();
        match s.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(
                &hex[..hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len())],
                16,
            )
            .ok(),
            None => s[..s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())].parse().ok(),
        }
    };
    let after_marker = text.find(marker).map(|at| &text[at + marker.len()..]);
    let named_after =
        after_marker.and_then(|rest| rest.find("VF").map(|at| &rest[at + 2..])).and_then(number);
    let marker_ends_at_vf = marker.ends_with("VF ").then(|| after_marker.and_then(number)).flatten();
    let before = text
        .find(marker)
        .map(|at| &text[..at])
        .and_then(|head| head.rfind("VF").map(|at| &head[at + 2..]))
        .and_then(number);
    marker_ends_at_vf.or(named_after).or(before)
}

/// The octets a PF's port moved on the wire, among its `ethtool -S` lines where the driver
/// has no IEEE 802.3 MAC statistics over netlink: mlx5 (`pport_802_3_stats_desc`, en_stats.c:
/// `tx_bytes_phy`), i40e (`i40e_gstrings_stats`, i40e_ethtool.c: `port.tx_bytes`), ice
/// (`ice_gstrings_pf_stats`, ice_ethtool.c: `tx_bytes.nic`).
pub fn wire_from_ethtool(stats: &[DriverStat]) -> Option<PortCounters> {
    const NAMES: [(&str, &str); 3] = [
        ("tx_bytes_phy", "rx_bytes_phy"),
        ("port.tx_bytes", "port.rx_bytes"),
        ("tx_bytes.nic", "rx_bytes.nic"),
    ];
    let value = |name: &str| stats.iter().find(|s| s.name == name).map(|s| s.value);
    NAMES.iter().find_map(|(tx, rx)| {
        Some(PortCounters { tx_bytes: value(tx)?, rx_bytes: value(rx)?, ..PortCounters::default() })
    })
}

/// Pause and per-priority (PFC) pause counters among a PF's `ethtool -S` lines, as the drivers
/// name them, summed over priorities: mlx5 (`pport_per_prio_pfc_stats_desc`, en_stats.c:
/// `rx_global_pause`, `rx_prio3_pause`, `rx_prio3_pause_duration` in µs), ice
/// (`ice_get_strings`, ice_ethtool.c: `rx_priority_3_xoff.nic`), ixgbe (`rx_pb_3_pxoff`).
/// `None` where there are none.
pub fn pfc_from_ethtool(stats: &[DriverStat]) -> Option<PauseCounters> {
    let (mut out, mut any) = (PauseCounters::default(), false);
    for stat in stats {
        // Link-level pause (XOFF) of i40e (`port.link_xoff_rx`) and ice (`link_xoff_rx.nic`).
        match stat.name.as_str() {
            "port.link_xoff_rx" | "link_xoff_rx.nic" => {
                (out.rx_frames, any) = (out.rx_frames + stat.value, true)
            }
            "port.link_xoff_tx" | "link_xoff_tx.nic" => {
                (out.tx_frames, any) = (out.tx_frames + stat.value, true)
            }
            _ => {}
        }
        let (rx, rest) = match stat.name.split_at_checked(3) {
            Some(("rx_", rest)) => (true, rest),
            Some(("tx_", rest)) => (false, rest),
            _ => continue,
        };
        let per_priority = |prefix: &str, suffix: &str| {
            rest.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(suffix))
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
        };
        let frames = rest == "global_pause"
            || per_priority("prio", "_pause")
            || per_priority("priority_", "_xoff.nic")
            || per_priority("pb_", "_pxoff");
        let duration = rx && (rest == "global_pause_duration" || per_priority("prio", "_pause_duration"));
        match (frames, duration, rx) {
            (true, _, true) => out.rx_frames += stat.value,
            (true, _, false) => out.tx_frames += stat.value,
            (false, true, _) => out.rx_paused_us = Some(out.rx_paused_us.unwrap_or(0) + stat.value),
            _ => continue,
        }
        any = true;
    }
    any.then_some(out)
}

/// A driver rule a requested limit breaks, found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverRule {
    #[error(
        "igb rate-limits VFs only on the 82576; this PF is another igb MAC \
         (PCI device {device:#06x}): igb_ndo_set_vf_bw answers EOPNOTSUPP"
    )]
    IgbNot82576 { device: u16 },
    #[error("the {driver} driver has no minimum rate (min must be 0)")]
    NoMin { driver: &'static str },
    #[error("{driver} changes VF rates only while the PF's link is up ({clearing}); the link is down")]
    LinkDown { driver: &'static str, clearing: &'static str },
    #[error(
        "ixgbe rate-limits VFs only at link speed 10G (the link is at {link}); every \
         request fails, clearing included"
    )]
    IxgbeNot10G { link: Mbps },
    #[error("ixgbe's smallest cap is {}M (max 11..10000)", IXGBE_MIN_CAP)]
    IxgbeBelowMinCap { max: Mbps },
    #[error("{which} {value} is above the link speed {link} ({driver})")]
    AboveLink { driver: &'static str, which: &'static str, value: Mbps, link: Mbps },
    /// ice's sum of guarantees (`total`: the other VFs' and this one's) above the link (0 when
    /// it is down).
    #[error(
        "ice refuses guarantees that sum above the link: Σ min would be {total} on a \
         {link} link{}",
        if *link_down { " (a down link counts as 0)" } else { "" }
    )]
    IceMinsAboveLink { total: Mbps, link: Mbps, link_down: bool },
}

fn no_min(driver: &'static str, min: Mbps) -> Result<(), DriverRule> {
    if min.is_unlimited() { Ok(()) } else { Err(DriverRule::NoMin { driver }) }
}

fn link_must_be_up(driver: &'static str, pf: &PfFacts, clearing: &'static str) -> Result<(), DriverRule> {
    if pf.link_up == Some(false) { Err(DriverRule::LinkDown { driver, clearing }) } else { Ok(()) }
}

fn at_most_link(
    driver: &'static str,
    which: &'static str,
    value: Mbps,
    pf: &PfFacts,
) -> Result<(), DriverRule> {
    match pf.link_speed {
        Some(link) if value > link => Err(DriverRule::AboveLink { driver, which, value, link }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(speed: u32) -> PfFacts {
        PfFacts { link_speed: Some(Mbps(speed)), link_up: Some(true), ..Default::default() }
    }

    #[test]
    fn igb_rules_from_igb_ndo_set_vf_bw() {
        let igb = Driver::of("igb");
        let on_82576 = PfFacts { pci_device: Some(0x10C9), ..up(1000) };
        assert!(igb.check(RateLimit::new(0, 300), &on_82576).is_ok());
        let e = igb.check(RateLimit::new(0, 300), &PfFacts { pci_device: Some(0x1521), ..up(1000) });
        assert!(e.unwrap_err().to_string().contains("only on the 82576"));
        assert!(
            igb.check(RateLimit::new(10, 300), &on_82576).unwrap_err().to_string().contains("no minimum")
        );
        let down = PfFacts { link_up: Some(false), ..on_82576.clone() };
        assert!(igb.check(RateLimit::new(0, 0), &down).unwrap_err().to_string().contains("even to clear"));
        assert!(
            igb.check(RateLimit::new(0, 2000), &on_82576)
                .unwrap_err()
                .to_string()
                .contains("above the link speed")
        );
    }

    #[test]
    fn ixgbe_needs_10g_and_a_cap_of_11_or_more() {
        let ixgbe = Driver::Ixgbe;
        assert!(
            ixgbe
                .check(RateLimit::new(0, 0), &up(1000))
                .unwrap_err()
                .to_string()
                .contains("only at link speed 10G")
        );
        assert!(
            ixgbe.check(RateLimit::new(0, 10), &up(10_000)).unwrap_err().to_string().contains("11..10000")
        );
        assert!(ixgbe.check(RateLimit::new(0, 11), &up(10_000)).is_ok());
    }

    #[test]
    fn i40e_enforces_whole_credits_of_50() {
        assert_eq!(Driver::I40e.enforced_max(Mbps(120)), Some(Mbps(100)));
        assert_eq!(Driver::I40e.enforced_max(Mbps(30)), Some(Mbps(50)));
        assert_eq!(Driver::I40e.enforced_max(Mbps(150)), None);
        assert_eq!(Driver::I40e.enforced_max(Mbps(0)), None, "no cap");
        assert_eq!(Driver::Ice.enforced_max(Mbps(120)), None);
    }

    #[test]
    fn ice_refuses_guarantees_above_the_link_and_a_down_link_counts_as_zero() {
        let pf = PfFacts { other_mins: Mbps(8000), ..up(10_000) };
        assert!(Driver::Ice.check(RateLimit::new(2000, 0), &pf).is_ok());
        assert!(
            Driver::Ice
                .check(RateLimit::new(2001, 0), &pf)
                .unwrap_err()
                .to_string()
                .contains("Σ min would be")
        );
        let down = PfFacts { link_up: Some(false), ..pf };
        assert!(
            Driver::Ice.check(RateLimit::new(1, 0), &down).unwrap_err().to_string().contains("counts as 0")
        );
        assert!(Driver::Ice.check(RateLimit::new(0, 500), &down).is_ok(), "a max alone is fine");
    }

    #[test]
    fn refusals_name_the_drivers_reason() {
        let pf = up(100_000);
        let eperm = Driver::Mlx5.explain(libc::EPERM, RateLimit::new(0, 100), &pf);
        assert!(eperm.contains("not the eswitch manager"), "{eperm}");
        let busy = Driver::Ice.explain(libc::EBUSY, RateLimit::new(0, 100), &pf);
        assert!(busy.contains("will not help"), "{busy}");
        let sw = PfFacts { switchdev: true, ..pf.clone() };
        assert!(Driver::Netdevsim.explain(libc::EOPNOTSUPP, RateLimit::new(0, 1), &sw).contains("devlink"));
        assert_eq!(Driver::Netdevsim.rate_api(true), RateApi::Devlink);
        assert_eq!(Driver::Netdevsim.rate_api(false), RateApi::IpLink);
        assert_eq!(Driver::Mlx5.rate_api(true), RateApi::IpLink);
    }

    #[test]
    fn health_lines_as_the_drivers_write_them() {
        let h = |t: &str| health(t).map(|h| (h.vf, h.what));
        let igb = "igb 0000:00:03.0: VF 1 attempted to override administratively set MAC address\nReload the VF driver to resume operations";
        assert_eq!(h(igb), Some((Some(1), "tried to override its administratively set MAC")));
        assert_eq!(h("igb 0000:00:03.0: Spoof event(s) detected on VF 3").unwrap().0, Some(3));
        let i40e = "i40e 0000:3b:00.0: Malicious Driver Detection event 0x02 on TX queue 7 PF number 0x00 VF number 0x0a";
        assert_eq!(h(i40e).unwrap().0, Some(10));
        let ice = "ice 0000:af:00.0: 3 Tx Malicious Driver Detection events detected on PF 0 VF 5 MAC 02:00:00:00:00:05. mdd-auto-reset-vfs=off";
        assert_eq!(h(ice).unwrap().0, Some(5));
        assert_eq!(
            h("ice 0000:af:00.0: Malicious Driver Detection event TX_PQM detected on VF 2").unwrap().0,
            Some(2)
        );
        assert_eq!(h("ice 0000:af:00.0: VF ID: 4 in reset. Try again.").unwrap().0, Some(4));
        assert_eq!(h("i40e 0000:3b:00.0: VF 6 in reset. Try again.").unwrap().0, Some(6));
        let cleared =
            h("igb 0000:00:03.0: Link speed has been changed. VF Transmit rate is disabled").unwrap();
        assert_eq!(cleared.0, None);
        assert_eq!(h("ixgbe 0000:01:00.0: 12 Spoofed packets detected").unwrap().0, None);
        assert_eq!(h("e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex"), None);
    }

    #[test]
    fn pfc_counters_as_each_driver_names_them() {
        let stats = |names: &[(&str, u64)]| -> Vec<DriverStat> {
            names.iter().map(|(n, v)| DriverStat { name: (*n).into(), value: *v }).collect()
        };
        let mlx5 = stats(&[
            ("rx_prio0_pause", 3),
            ("rx_prio3_pause", 4),
            ("tx_prio3_pause", 5),
            ("rx_prio3_pause_duration", 700),
            ("rx_prio3_pause_transition", 9),
            ("rx_bytes", 100),
        ]);
        assert_eq!(
            pfc_from_ethtool(&mlx5),
            Some(PauseCounters { rx_frames: 7, tx_frames: 5, rx_paused_us: Some(700) })
        );
        let ice = stats(&[
            ("rx_priority_0_xoff.nic", 2),
            ("rx_priority_0_xon.nic", 9),
            ("tx_priority_7_xoff.nic", 1),
        ]);
        assert_eq!(
            pfc_from_ethtool(&ice),
            Some(PauseCounters { rx_frames: 2, tx_frames: 1, rx_paused_us: None })
        );
        let i40e = stats(&[("port.link_xoff_rx", 11), ("port.link_xon_rx", 3), ("port.link_xoff_tx", 1)]);
        assert_eq!(
            pfc_from_ethtool(&i40e),
            Some(PauseCounters { rx_frames: 11, tx_frames: 1, rx_paused_us: None })
        );
        let wire = stats(&[("port.rx_bytes", 10), ("port.tx_bytes", 20), ("tx_bytes", 5)]);
        assert_eq!(wire_from_ethtool(&wire).map(|p| (p.tx_bytes, p.rx_bytes)), Some((20, 10)));
        assert_eq!(wire_from_ethtool(&stats(&[("tx_bytes_phy", 1)])), None, "both directions or none");
        let ixgbe = stats(&[("rx_pb_1_pxoff", 6), ("tx_pb_1_pxon", 8)]);
        assert_eq!(pfc_from_ethtool(&ixgbe).map(|p| p.rx_frames), Some(6));
        assert_eq!(pfc_from_ethtool(&stats(&[("rx_bytes", 1), ("rx_priox_pause", 1), ("r", 1)])), None);
    }

    #[test]
    fn counters_and_representors_per_driver() {
        assert_eq!(Driver::of("igb").vf_counters(), VfCounters::Absent);
        assert_eq!(Driver::of("ixgbe").vf_counters(), VfCounters::Partial);
        assert_eq!(Driver::of("i40e").vf_counters(), VfCounters::Real);
        assert_eq!(Driver::of("veth").vf_counters(), VfCounters::Unknown);
        assert_eq!(Driver::Mlx5.representor_view(), RepresentorView::Swapped);
        assert_eq!(Driver::Bnxt.representor_view(), RepresentorView::SlowPathOnly);
        assert!(!Driver::Mlx5.min_is_guarantee() && Driver::Ice.min_is_guarantee());
    }
}
