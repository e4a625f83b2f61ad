//! Snapshot tests of every screen, rendered with ratatui's TestBackend from the demo NIC on a
//! fake clock with the reference scenario's fixed seed.

mod common;

use common::Demo;
use vftop::app::Action;
use vftop::app::options::FlowOptions;

fn type_text(demo: &mut Demo, text: &str) {
    text.chars().for_each(|c| demo.act(Action::Input(c)));
}

#[test]
fn main_screen_80x24() {
    let demo = Demo::new(61);
    insta::assert_snapshot!(demo.screen(80, 24));
}

#[test]
fn main_screen_160x48() {
    let demo = Demo::new(61);
    insta::assert_snapshot!(demo.screen(160, 48));
}

#[test]
fn too_small_terminal_says_so() {
    let demo = Demo::new(3);
    let screen = demo.screen(60, 20);
    assert!(screen.contains("terminal too small: 60×20"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn detail_view() {
    let mut demo = Demo::new(61);
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    insta::assert_snapshot!(demo.screen(120, 36));
}

#[test]
fn help_overlay() {
    let mut demo = Demo::new(10);
    demo.act(Action::ToggleHelp);
    insta::assert_snapshot!(demo.screen(100, 30));
}

#[test]
fn rate_editor_with_inline_error() {
    let mut demo = Demo::new(20);
    demo.preview_backup_max("500X");
    insta::assert_snapshot!(demo.screen(100, 30));
}

#[test]
fn confirmation_shows_old_new_and_command() {
    let mut demo = Demo::new(20);
    demo.preview_backup_max("500M");
    let screen = demo.screen(100, 30);
    assert!(screen.contains("ip link set dev ens1f0 vf 1 max_tx_rate 500 min_tx_rate 0"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn applied_change_shows_in_table_and_model() {
    let mut demo = Demo::new(20);
    demo.preview_backup_max("500M");
    demo.act(Action::Confirm);
    demo.run_for(5);
    let row = demo.app.selected_row().unwrap();
    assert_eq!(row.vf.rate.max.0, 500);
    assert!(row.rates.tx.0 <= 500e6 * 1.001, "{:?}", row.rates);
    insta::assert_snapshot!(demo.screen(100, 30));
}

#[test]
fn the_sample_after_a_throttle_shows_no_overrun_of_the_new_cap() {
    let mut demo = Demo::new(20);
    demo.preview_backup_max("500M");
    demo.act(Action::Confirm);
    demo.run_for(1);
    let row = demo.app.selected_row().unwrap();
    assert_eq!((row.vf.rate.max.0, row.limit_before.map(|l| l.max.0)), (500, Some(2000)));
    let shares = |line: &str| -> Vec<u32> {
        let words = line.split(|c: char| c.is_whitespace() || c == '│');
        words.filter_map(|w| w.strip_suffix('%')?.parse().ok()).collect()
    };
    let backup = |screen: &str| -> (String, String) {
        let line = |needle: &str| screen.lines().find(|l| l.contains(needle)).unwrap().to_string();
        (line("1   Backup"), line("vf 1 Backup"))
    };
    // The interval the rate is over began under the 2G cap: no share of either cap is shown.
    let screen = demo.screen(160, 48);
    let (table, tree) = backup(&screen);
    assert!(table.contains("cap changed") && shares(&table).is_empty(), "{table}\n{screen}");
    assert!(tree.contains("-/500M") && shares(&tree).is_empty(), "{tree}\n{screen}");
    // A whole interval under the new cap: the share again, at most 100%.
    demo.run_for(1);
    let screen = demo.screen(160, 48);
    let (table, tree) = backup(&screen);
    assert_eq!(shares(&table), [100], "{table}\n{screen}");
    assert_eq!(shares(&tree), [100], "{tree}\n{screen}");
    assert!(!table.contains("cap changed"), "{table}");
}

#[test]
fn each_theme_renders() {
    let mut demo = Demo::new(5);
    for _ in 0..demo.look.themes.len() {
        let terminal = demo.render(100, 30);
        let theme = demo.app.theme_name().to_string();
        let colours: std::collections::HashSet<_> =
            terminal.backend().buffer().content.iter().map(|c| c.fg).collect();
        if theme == "mono" {
            assert_eq!(colours.len(), 1, "mono uses no colour: {colours:?}");
        } else {
            assert!(colours.len() > 3, "{theme} has colours: {colours:?}");
        }
        demo.act(Action::NextTheme);
    }
}

#[test]
fn read_only_banner() {
    let mut demo = Demo::new(10);
    let read_only = "this process lacks CAP_NET_ADMIN, which changing VF rates needs (run as root)";
    demo.app.set_flow_options(FlowOptions { read_only: Some(read_only.into()), ..Default::default() });
    let screen = demo.screen(160, 48);
    assert!(screen.contains("READ-ONLY: this process lacks CAP_NET_ADMIN"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn commit_confirmed_preview_and_countdown() {
    let mut demo = Demo::new(20);
    demo.preview_backup_max("300M");
    demo.act(Action::ToggleCommitConfirmed);
    let preview = demo.screen(100, 30);
    assert!(preview.contains("reverts unless confirmed with c within 60s"), "{preview}");
    insta::assert_snapshot!("commit_confirmed_preview", preview);
    demo.act(Action::Confirm);
    demo.run_for(18);
    let countdown = demo.screen(120, 30);
    assert!(countdown.contains("CONFIRM? 42s: Backup (ens1f0 vf 1) max 300M"), "{countdown}");
    insta::assert_snapshot!("commit_confirmed_countdown", countdown);
}

#[test]
fn warning_must_be_acknowledged() {
    let mut demo = Demo::new(20);
    demo.act(Action::SelectNext);
    demo.act(Action::EditRate);
    demo.act(Action::Erase);
    demo.act(Action::Erase);
    type_text(&mut demo, "0");
    demo.act(Action::NextField);
    demo.act(Action::Erase);
    type_text(&mut demo, "9G");
    demo.act(Action::Submit);
    let screen = demo.screen(100, 30);
    assert!(
        screen.contains("above the link speed 10G") && screen.contains("y acknowledges the warning"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn audit_view_lists_records_newest_first() {
    let mut demo = Demo::new(5);
    let c = vftop::model::RateChange {
        target: vftop::model::Target::Vf(vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 }),
        old: vftop::model::RateLimit::new(0, 2000),
        new: vftop::model::RateLimit::new(0, 300),
    };
    let actor =
        vftop::audit::Actor { user: "root".into(), sudo_user: Some("alice".into()), host: "h".into() };
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
    let lines: Vec<String> =
        [Ok(vftop::model::RateLimit::new(0, 300)), Err("the kernel rejected the rate (EINVAL)".to_string())]
            .into_iter()
            .map(|outcome| {
                let attempt = vftop::audit::Attempt {
                    change: &c,
                    partition: "Backup",
                    reason: vftop::audit::Reason::Operator,
                    outcome,
                    confirm_within_secs: None,
                };
                serde_json::to_string(&vftop::audit::record(&actor, at, &attempt)).unwrap()
            })
            .collect();
    demo.app.show_audit(Ok(lines));
    let screen = demo.screen(140, 30);
    assert!(screen.find("refused: the kernel rejected") < screen.find("applied"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn with_rate_tree(demo: &mut Demo) {
    use vftop::model::{DevlinkObject, DevlinkRef, RateLimit, RateObject, VfKey};
    let device = "pci/0000:3b:00.0".to_string();
    let leaf = |port: u32, vf: u32, parent: Option<&str>, limit: RateLimit| RateObject {
        target: DevlinkRef { device: device.clone(), object: DevlinkObject::Leaf(port) },
        name: format!("vf {vf} (port {port})"),
        limit,
        parent: parent.map(str::to_string),
        vf: Some(VfKey { pf: "ens1f0".into(), vf }),
        scheduling: Default::default(),
    };
    let mut snapshot = demo.sim_snapshot();
    snapshot.rate_objects = vec![
        RateObject {
            target: DevlinkRef { device: device.clone(), object: DevlinkObject::Node("storage".into()) },
            name: "storage".into(),
            limit: RateLimit::new(2000, 5000),
            parent: None,
            vf: None,
            scheduling: Default::default(),
        },
        leaf(130, 2, Some("storage"), RateLimit::new(0, 0)),
        leaf(131, 3, Some("storage"), RateLimit::new(1000, 0)),
        leaf(129, 1, None, RateLimit::new(0, 2000)),
    ];
    demo.app.ingest(snapshot);
}

#[test]
fn devlink_rate_tree_with_group_totals() {
    let mut demo = Demo::new(30);
    with_rate_tree(&mut demo);
    for _ in 0..3 {
        demo.act(Action::FocusNext);
    }
    demo.act(Action::SelectNext);
    let screen = demo.screen(160, 48);
    assert!(screen.contains("Rate groups of ens1f0") && screen.contains("▾ storage"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn devlink_group_edit_goes_through_the_same_confirmation() {
    let mut demo = Demo::new(30);
    with_rate_tree(&mut demo);
    for _ in 0..3 {
        demo.act(Action::FocusNext);
    }
    demo.act(Action::SelectNext); // storage
    demo.act(Action::EditRate);
    demo.act(Action::Erase);
    demo.act(Action::Erase);
    type_text(&mut demo, "3G");
    demo.act(Action::Submit);
    let screen = demo.screen(120, 36);
    assert!(
        screen.contains(
            "devlink port function rate set pci/0000:3b:00.0/storage tx_share 2000mbit tx_max 3000mbit"
        ),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    let effect = demo.app.handle(Action::Confirm);
    let Some(vftop::app::Effect::Apply(request)) = effect else {
        panic!("expected an apply, got {effect:?}")
    };
    assert_eq!(request.change.target.label(), "pci/0000:3b:00.0/storage");
    assert_eq!(request.change.new, vftop::model::RateLimit::new(2000, 3000));
}

#[test]
fn rate_tree_scrolls_to_the_selection_on_a_small_terminal() {
    let mut demo = Demo::new(30);
    for _ in 0..3 {
        demo.act(Action::FocusNext);
    }
    for _ in 0..5 {
        demo.act(Action::SelectNext);
    }
    let selected = demo.app.tree_selected.clone().unwrap();
    assert_eq!(selected.to_string(), "sim/ens1f0/1", "storage, NFS, iSCSI, Management, then Backup");
    let screen = demo.screen(80, 24);
    assert!(screen.contains("vf 1 Backup"), "{screen}");
}

#[test]
fn bytes_switch_every_rate_together() {
    let mut demo = Demo::new(30);
    demo.act(Action::ToggleUnits);
    let screen = demo.screen(160, 48);
    assert!(
        screen.lines().any(|l| l.contains("Backup") && l.contains("-/250MB") && l.contains("B/s")),
        "{screen}"
    );
    assert!(screen.contains("of 1.25GB") && screen.contains("/ 1.25GB"), "contention in bytes: {screen}");
    assert!(!screen.contains("Gb/s") && !screen.contains("Mb/s"), "no rate left in bits: {screen}");
}

/// The reference NIC as an igb host would show it: igb keeps no per-VF counters, so NFS
/// (vf 2, its VF in a VM: no netdev) is unmeasured; iSCSI's (vf 3) netdev lives in a pod's
/// namespace and counts for it; the PF's link is down.
fn igb_host(demo: &mut Demo) {
    use vftop::model::{CounterOrigin, Counters, OperState};
    demo.run_for_as(3, |snap| {
        let pf = &mut snap.pfs[0];
        pf.driver = "igb".into();
        pf.link.oper = OperState::Down;
        pf.link.carrier = Some(false);
        pf.vfs[2].counters = Counters { origin: CounterOrigin::Unmeasured, ..Counters::default() };
        pf.vfs[3].counters.origin = CounterOrigin::VfNetdev;
        pf.vfs[3].netdev = Some("eth7".into());
        pf.vfs[3].netns = Some("pod1".into());
    });
}

#[test]
fn unmeasured_vfs_say_so_at_80x24_and_wide_in_bits_and_bytes() {
    let mut demo = Demo::new(5);
    igb_host(&mut demo);
    let narrow = demo.screen(80, 24);
    assert!(narrow.contains("LINK DOWN"), "the PF's link state heads the screen: {narrow}");
    let nfs = |screen: &str| screen.lines().find(|l| l.contains("NFS")).unwrap_or_default().to_string();
    assert!(nfs(&narrow).contains("no per-VF") && nfs(&narrow).contains("counters"), "{narrow}");
    insta::assert_snapshot!("igb_host_80x24", narrow);
    let wide = demo.screen(180, 48);
    assert!(nfs(&wide).contains("no per-VF") && nfs(&wide).contains("from igb"), "{wide}");
    assert!(wide.lines().any(|l| l.contains("iSCSI") && l.contains("vf-netdev")), "{wide}");
    assert!(
        wide.contains("■ NFS -") && wide.contains("NFS              - (no rate)"),
        "legend and contention: {wide}"
    );
    demo.act(Action::ToggleUnits);
    let bytes = demo.screen(160, 48);
    assert!(
        nfs(&bytes).contains("no per-VF") && !nfs(&bytes).contains("0.00 B/s"),
        "no zero rate in bytes either: {bytes}"
    );
    let small = demo.screen(60, 20);
    assert!(small.contains("terminal too small"), "{small}");
}

#[test]
fn detail_of_an_unmeasured_vf_and_of_one_in_a_pod() {
    let mut demo = Demo::new(5);
    igb_host(&mut demo);
    demo.act(Action::SelectNext);
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    let nfs = demo.screen(120, 36);
    assert!(nfs.contains("no per-VF counters from igb"), "{nfs}");
    assert!(nfs.contains("LINK DOWN (down)"), "{nfs}");
    insta::assert_snapshot!("igb_host_detail_unmeasured", nfs);
    demo.act(Action::Back);
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    let iscsi = demo.screen(120, 36);
    assert!(iscsi.contains("eth7 in netns pod1") && iscsi.contains("vf-netdev (netns pod1)"), "{iscsi}");
}

#[test]
fn i40e_shows_the_cap_it_enforces_beside_the_one_it_reports() {
    let mut demo = Demo::new(3);
    demo.run_for_as(2, |snap| {
        snap.pfs[0].driver = "i40e".into();
        snap.pfs[0].vfs[1].rate = vftop::model::RateLimit::new(0, 120);
    });
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    let screen = demo.screen(120, 36);
    assert!(screen.contains("-/120M (i40e enforces 100M)"), "{screen}");
}

#[test]
fn a_drivers_kernel_log_line_about_a_vf_is_a_toast_and_stays_in_its_detail_view() {
    let mut demo = Demo::new(3);
    demo.run_for_as(1, |snap| {
        snap.notes.push(vftop::model::KernelNote {
            pf: "ens1f0".into(),
            vf: Some(1),
            what: "tried to override its administratively set MAC".into(),
            line: "igb 0000:3b:00.0: VF 1 attempted to override administratively set MAC address".into(),
        });
    });
    let screen = demo.screen(160, 48);
    assert!(
        screen.contains("ens1f0 vf 1: tried to override its administratively set MAC"),
        "toast: {screen}"
    );
    demo.run_for(1);
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    let detail = demo.screen(180, 40);
    assert!(detail.contains("⚠ 12:00:00 driver: tried to override its administratively set MAC"), "{detail}");
}

#[test]
fn a_link_paused_by_its_peer_says_so_and_how_long() {
    let mut demo = Demo::new(3);
    let second = std::cell::Cell::new(0u64);
    demo.run_for_as(3, |snap| {
        second.set(second.get() + 1);
        // 40 pause frames a second, holding the port 250 ms of each (mlx5's duration counter).
        snap.pfs[0].pause = Some(vftop::model::PauseCounters {
            rx_frames: second.get() * 40,
            tx_frames: 0,
            rx_paused_us: Some(second.get() * 250_000),
        });
    });
    let screen = demo.screen(160, 48);
    assert!(screen.contains("PAUSED by the peer 25% · 40 frames/s"), "{screen}");
}

#[test]
fn rates_the_driver_cleared_after_a_link_speed_change_are_not_called_outside_changes() {
    let mut demo = Demo::new(3);
    demo.run_for_as(1, |snap| {
        for vf in &mut snap.pfs[0].vfs {
            vf.rate = vftop::model::RateLimit::default();
        }
        snap.notes.push(vftop::model::KernelNote {
            pf: "ens1f0".into(),
            vf: None,
            what: vftop::driver::RATES_CLEARED.into(),
            line: "igb 0000:3b:00.0: Link speed has been changed. VF Transmit rate is disabled".into(),
        });
    });
    let screen = demo.screen(160, 48);
    assert!(!screen.contains("changed outside vftop"), "{screen}");
    assert!(screen.contains("link speed changed: the driver cleared every VF's rate"), "{screen}");
}

/// The incident scenario's storage partitions starve from 1140 s to 1320 s: while it goes on the
/// detail view says so and for how long, and after, how often and how long at most.
#[test]
fn detail_view_says_how_often_and_how_long_a_partition_starved() {
    let scenario = vftop::source::sim::scenario::Scenario::load(std::path::Path::new("incident")).unwrap();
    let mut demo = Demo::with_scenario(scenario, 1260);
    // NFS is the third row.
    demo.act(Action::SelectNext);
    demo.act(Action::SelectNext);
    demo.act(Action::OpenDetail);
    let during = demo.screen(120, 36);
    assert!(during.contains("NFS") && during.contains("⚠ now: starved 1 m"), "{during}");
    demo.run_for(200);
    let after = demo.screen(120, 36);
    assert!(
        after.contains("⚠ starved once in the last hour, longest 2 m")
            || after.contains("⚠ starved once in the last hour, longest 3 m"),
        "{after}"
    );
}

#[test]
fn a_partition_that_differs_from_its_declared_limits_is_marked_at_80x24_and_wide() {
    use vftop::model::Mbps;
    use vftop::model::declared::{Declared, Intent, Selector};
    let mut demo = Demo::new(3);
    // Backup (vf 1) is capped at 2G in the scenario; the config says 1G.
    demo.app.intent = Intent {
        vfs: vec![Declared {
            selector: Selector::Partition { pf: None, name: "Backup".into() },
            min: None,
            max: Some(Mbps(1000)),
            origin: "config.toml:7".into(),
        }],
        groups: Vec::new(),
    };
    demo.run_for(2);
    let narrow = demo.screen(80, 24);
    let backup = narrow.lines().find(|l| l.contains("Backup")).unwrap();
    assert!(backup.contains("≠-/2G"), "{narrow}");
    assert!(!narrow.lines().any(|l| l.contains("Management") && l.contains('≠')), "{narrow}");
    let wide = demo.screen(200, 40);
    assert!(wide.lines().any(|l| l.contains("Backup") && l.contains("≠ declared max 1G")), "{wide}");
}
