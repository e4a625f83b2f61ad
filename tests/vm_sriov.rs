//! Real VFs: the project's QEMU harness (tests/vm/vftop-vm) boots Debian's kernel with an
//! emulated igb SR-IOV NIC and netdevsim, and tests/vm/checks.sh drives the real vftop binary
//! inside. Needs root (and the package registry on the first run); otherwise SKIPPED, or a
//! failure under VFTOP_REQUIRE_ALL=1.

mod common;

use common::netns::is_root;
use common::tmux::require;
use std::process::Command;
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_vftop");

/// Every group, in the order one guest runs them (checks.sh resets the guest between two):
/// those that change the VFs' topology (switchdev, `sriov_numvfs`) last.
const GROUPS: &[&str] = &[
    "exporter",
    "igb",
    "netdevsim",
    "drift",
    "tui_flow",
    "multi_pf",
    "traffic",
    "owners",
    "incident",
    "recorder",
    "many_vfs",
    "devlink_rates",
    "field",
    "vfio",
    "declared",
    "numvfs",
];

/// What the one shared boot printed: its stdout (the checks, group by group) and stderr.
struct VmRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// One boot for every group (a TCG boot costs ~30 s of a 2-core machine), run by the first
/// test that needs it; the others wait for it and read their own group's lines.
static RUN: OnceLock<VmRun> = OnceLock::new();

fn boot() -> VmRun {
    let root = env!("CARGO_MANIFEST_DIR");
    // The checkout and the binary may live where the guest has its own tmpfs (a clone in /tmp).
    let bin_dir = std::path::Path::new(BIN).parent().unwrap().to_str().unwrap();
    let out = Command::new(format!("{root}/tests/vm/vftop-vm"))
        .args(["--iommu", "--share", root, "--share", bin_dir, "--timeout", "2400"])
        .args(["--", &format!("{root}/tests/vm/checks.sh"), BIN])
        .args(GROUPS)
        .current_dir(root)
        .output()
        .expect("run tests/vm/vftop-vm");
    VmRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run_group(group: &str, expected: &[&str]) {
    let skip = std::env::var("VFTOP_SKIP_VM").is_ok_and(|v| v == "1");
    if !require(is_root() && !skip, "the SR-IOV VM tests need root (and VFTOP_SKIP_VM unset)") {
        return;
    }
    let run = RUN.get_or_init(boot);
    let VmRun { code, stdout, stderr } = run;
    assert!(*code != Some(125) && *code != Some(124), "the VM could not run ({code:?}):\n{stdout}\n{stderr}");
    let section: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != format!("== group {group}"))
        .take_while(|l| !l.starts_with(&format!("== end {group}")))
        .collect();
    let section = section.join("\n");
    println!("{section}");
    assert!(!section.is_empty(), "group {group} did not run:\n{stdout}\n{stderr}");
    let failures: Vec<&str> = section.lines().filter(|l| l.starts_with("FAIL ")).collect();
    let missing: Vec<&&str> =
        expected.iter().filter(|name| !section.lines().any(|l| l == format!("ok {name}"))).collect();
    assert!(
        failures.is_empty() && missing.is_empty(),
        "group {group}: checks not passed {missing:?}\n{}\n--- guest stderr and console\n{stderr}",
        failures.join("\n")
    );
}

#[test]
fn igb_vfs_discovery_rates_and_refusals() {
    run_group(
        "igb",
        &[
            "discovery",
            "vf_macs",
            "max_applied",
            "max_read_back_by_ip",
            "max_read_back_by_vftop",
            "min_refused_before_sending",
            "min_refused_by_kernel",
            "min_refusal_changed_nothing",
            "above_link_refused_by_kernel",
            "above_link_refused_before_sending",
            "missing_vf_explained",
        ],
    );
}

#[test]
fn igb_vf_traffic_is_counted_via_the_vf_netdev() {
    run_group("traffic", &["vf_netdev_fallback_under_traffic", "traffic_reached_other_vf"]);
}

#[test]
fn owners_a_vf_in_a_namespace_and_its_top_talker_under_tcp() {
    run_group(
        "owners",
        &[
            "owner_is_the_netns",
            "top_talker_is_iperf3",
            "top_talker_rate_matches_vf_and_ss",
            "host_service_owns_its_vf",
        ],
    );
}

#[test]
fn report_of_a_recorded_incident_shows_the_console_change_and_the_step() {
    run_group(
        "incident",
        &[
            "report_shows_the_console_change",
            "report_shows_the_throughput_step",
            "report_text_names_the_change",
        ],
    );
}

#[test]
fn owners_a_vf_passed_to_a_qemu_vm_through_vfio() {
    run_group("vfio", &["vfio_owner_is_the_qemu_vm", "vf_tx_errors_from_netdev_or_unknown"]);
}

#[test]
fn field_truth_netns_representors_kernel_log_and_health_events() {
    run_group(
        "field",
        &[
            "netns_vf_netdev_found",
            "netns_move_keeps_counting",
            "switchdev_vfs_have_representors",
            "switchdev_edit_through_devlink",
            "refusal_shows_kernel_log",
            "pf_down_shown",
            "pf_down_recorded",
            "pf_pause_frames_read",
            "igb_mac_override_event",
        ],
    );
}

#[test]
fn sriov_numvfs_changes_while_the_tui_runs() {
    run_group("numvfs", &["tui_shows_vfs", "vfs_removed_live", "vfs_added_live", "tui_quit"]);
}

#[test]
fn netdevsim_min_and_max() {
    run_group(
        "netdevsim",
        &[
            "nsim_min_max_applied",
            "nsim_read_back_by_ip",
            "nsim_read_back_by_vftop",
            "nsim_min_above_max_refused",
            "nsim_refusal_changed_nothing",
        ],
    );
}

#[test]
fn tui_rate_change_undo_refusal_and_commit_confirmed_on_igb() {
    run_group(
        "tui_flow",
        &[
            "tui_max_applied_and_audited",
            "tui_undo",
            "tui_min_refused_nothing_changed",
            "tui_countdown_shown",
            "tui_commit_confirmed_reverted_and_logged",
            "tui_hangup_reverts_unconfirmed_change",
            "tui_kill9_guard_reverts_at_deadline",
            "tui_guard_leaves_a_later_change_alone",
        ],
    );
}

#[test]
fn devlink_rate_group_tree_and_tx_max_edit_on_netdevsim() {
    run_group(
        "devlink_rates",
        &[
            "switchdev_representors_are_not_pfs",
            "devlink_tree_read",
            "devlink_tree_shown",
            "devlink_group_tx_max_edited",
            "devlink_drift_flagged_and_audited",
        ],
    );
}

#[test]
fn two_hundred_fifty_vfs_past_the_kernels_64k_list_on_netdevsim() {
    run_group(
        "many_vfs",
        &[
            "ip_says_truncated",
            "all_250_vfs_in_json",
            "rates_and_macs_past_the_wrap",
            "set_past_the_wrap",
            "read_back_past_the_wrap",
            "tui_shows_250_vfs",
        ],
    );
}

#[test]
fn exporter_on_igb_agrees_with_ip() {
    run_group(
        "exporter",
        &[
            "exporter_max_rates_match_ip",
            "exporter_vf_counters_match_ip",
            "exporter_vf_tx_errors_match_ip",
            "exporter_origin_vf_netdev",
        ],
    );
}

#[test]
fn two_pfs_igb_and_netdevsim_rows_filter_mouse_and_units() {
    run_group(
        "multi_pf",
        &[
            "multi_pf_every_row_names_its_pf",
            "multi_pf_filter_and_chart_follow_the_pf",
            "multi_pf_click_selects_a_row",
            "multi_pf_wheel_moves_the_selection",
            "multi_pf_bytes_everywhere",
        ],
    );
}

#[test]
fn an_outside_ip_link_set_is_flagged_on_igb() {
    run_group("drift", &["drift_flagged_and_audited"]);
}

#[test]
fn the_recorder_keeps_igb_traffic_and_a_console_change_for_replay() {
    run_group(
        "recorder",
        &[
            "recorder_change_event_in_dump",
            "recorder_traffic_in_dump",
            "recorder_limits_in_dump",
            "recorder_headless_on_igb",
            "recorder_replay_event",
            "recorder_replay_marker",
        ],
    );
}
