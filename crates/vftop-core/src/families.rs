//! The metric family names, once: the exporter writes them, `dump --format openmetrics`
//! backfills them, the fleet source reads them back.

/// The upstream sriov-network-metrics-exporter's per-VF counters (its dashboards work unchanged).
pub const SRIOV_RX_BYTES: &str = "sriov_vf_rx_bytes";
pub const SRIOV_TX_BYTES: &str = "sriov_vf_tx_bytes";
pub const SRIOV_RX_PACKETS: &str = "sriov_vf_rx_packets";
pub const SRIOV_TX_PACKETS: &str = "sriov_vf_tx_packets";
pub const SRIOV_RX_DROPPED: &str = "sriov_vf_rx_dropped";
pub const SRIOV_TX_DROPPED: &str = "sriov_vf_tx_dropped";
pub const SRIOV_RX_BROADCAST: &str = "sriov_vf_rx_broadcast";
pub const SRIOV_RX_MULTICAST: &str = "sriov_vf_rx_multicast";
/// The upstream exporter's sysfs set adds it (Intel's out-of-tree drivers' per-VF files).
pub const SRIOV_TX_ERRORS: &str = "sriov_vf_tx_errors";
/// The counters in the order the exporter keeps them.
pub const SRIOV_COUNTERS: [&str; 6] =
    [SRIOV_RX_BYTES, SRIOV_TX_BYTES, SRIOV_RX_PACKETS, SRIOV_TX_PACKETS, SRIOV_RX_DROPPED, SRIOV_TX_DROPPED];

/// The upstream exporter's pod join: a VF (by PCI address) allocated to a pod's container.
pub const KUBE_POD_DEVICE: &str = "sriov_kubepoddevice";
/// Whose each VF is, for VMs, namespaces and host services as well as pods.
pub const VF_OWNER_INFO: &str = "vftop_vf_owner_info";

pub const EPISODES: &str = "vftop_episodes";
pub const EPISODE_ACTIVE: &str = "vftop_episode_active";

/// Declared limits (`[[declared]]`): whether each declared VF has them, and what they are.
pub const VF_LIMIT_CONFORMANT: &str = "vftop_vf_limit_conformant";
pub const VF_DECLARED_MIN_RATE: &str = "vftop_vf_declared_min_tx_rate_bytes_per_second";
pub const VF_DECLARED_MAX_RATE: &str = "vftop_vf_declared_max_tx_rate_bytes_per_second";

/// Each VF's settings as labels (node_exporter's proposed netvf collector's set), always 1.
pub const VF_INFO: &str = "vftop_vf_info";
/// The PF's carrier (1/0) and operational state (as a label, always 1).
pub const PF_CARRIER: &str = "vftop_pf_carrier";
pub const PF_OPERSTATE: &str = "vftop_pf_operstate_info";

pub const VF_MIN_RATE: &str = "vftop_vf_min_tx_rate_bytes_per_second";
pub const VF_MAX_RATE: &str = "vftop_vf_max_tx_rate_bytes_per_second";
pub const VF_TX_RATE: &str = "vftop_vf_tx_bytes_per_second";
pub const VF_RX_RATE: &str = "vftop_vf_rx_bytes_per_second";
pub const VF_AT_CAP: &str = "vftop_vf_at_cap";
pub const VF_BELOW_GUARANTEE: &str = "vftop_vf_below_guarantee";
pub const PARTITION_INFO: &str = "vftop_partition_info";
pub const VF_ORIGIN_INFO: &str = "vftop_vf_origin_info";
pub const LINK_SPEED: &str = "vftop_link_speed_bytes_per_second";
pub const PF_VFS: &str = "vftop_pf_vfs";
pub const PF_LINK_UP: &str = "vftop_pf_link_up";
pub const PF_PAUSE_RX: &str = "vftop_pf_pause_rx_frames";
pub const PF_PAUSE_TX: &str = "vftop_pf_pause_tx_frames";
pub const PF_WIRE_TX: &str = "vftop_pf_wire_tx_bytes";
pub const PF_WIRE_RX: &str = "vftop_pf_wire_rx_bytes";
pub const VF_RESETS: &str = "vftop_vf_resets";
pub const PF_VFS_TRUNCATED: &str = "vftop_pf_vfs_truncated";
pub const RATE_OBJECT_TX_SHARE: &str = "vftop_rate_object_tx_share_bytes_per_second";
pub const RATE_OBJECT_TX_MAX: &str = "vftop_rate_object_tx_max_bytes_per_second";
pub const SAMPLE_DURATION: &str = "vftop_sample_duration_seconds";
pub const SAMPLES: &str = "vftop_samples";
pub const SAMPLE_FAILURES: &str = "vftop_sample_failures";
pub const ETHTOOL_STAT: &str = "vftop_ethtool_stat";

/// The exporter's own families (the process, not the NIC): left out of a backfill.
pub const PROCESS: [&str; 3] = [SAMPLES, SAMPLE_FAILURES, SAMPLE_DURATION];

/// What the fleet console reads of each host, with Prometheus's `up`.
pub const FLEET_READS: [&str; 13] = [
    SRIOV_RX_BYTES,
    SRIOV_TX_BYTES,
    SRIOV_RX_PACKETS,
    SRIOV_TX_PACKETS,
    SRIOV_RX_DROPPED,
    SRIOV_TX_DROPPED,
    VF_MIN_RATE,
    VF_MAX_RATE,
    LINK_SPEED,
    PARTITION_INFO,
    PF_VFS,
    PF_VFS_TRUNCATED,
    VF_OWNER_INFO,
];
