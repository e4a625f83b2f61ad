//! The safe change flow on the demo NIC with a fake clock: undo, commit-confirmed (expiry
//! reverts, `c` keeps), acknowledged warnings, read-only, step keys, and the audit trail.

mod common;

use common::Demo;
use std::time::Duration;
use vftop::app::Action;
use vftop::app::options::FlowOptions;
use vftop::audit::Reason;
use vftop::model::RateLimit;

fn backup(demo: &Demo) -> RateLimit {
    demo.app.rows.iter().find(|r| r.name == "Backup").unwrap().vf.rate
}

fn set_backup_max(demo: &mut Demo, text: &str, arm_commit_confirmed: bool) {
    demo.preview_backup_max(text);
    if arm_commit_confirmed {
        demo.act(Action::ToggleCommitConfirmed);
    }
    demo.act(Action::Confirm);
}

#[test]
fn undo_restores_the_previous_limit_through_the_confirmation() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", false);
    assert_eq!(backup(&demo), RateLimit::new(0, 300));
    demo.act(Action::Undo);
    assert!(demo.app.editor().is_some(), "undo opens the confirmation");
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
    assert_eq!(demo.applied.last().unwrap().reason, Reason::Undo);
    demo.act(Action::Undo);
    assert!(demo.app.editor().is_none(), "the undo stack is empty");
}

#[test]
fn commit_confirmed_reverts_when_time_runs_out() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    assert_eq!(backup(&demo), RateLimit::new(0, 300));
    let (_, secs) = demo.app.commit_countdown().unwrap();
    assert_eq!(secs, 60);
    demo.run_for(30);
    assert_eq!(demo.app.commit_countdown().unwrap().1, 30);
    assert_eq!(backup(&demo), RateLimit::new(0, 300), "still in force before the deadline");
    demo.run_for(31);
    assert_eq!(backup(&demo), RateLimit::new(0, 2000), "reverted after the deadline");
    assert_eq!(demo.applied.last().unwrap().reason, Reason::ConfirmTimeout);
    assert!(demo.app.commit_countdown().is_none());
    assert_eq!(demo.app.undo_depth(), 0, "a reverted change is not undone again");
}

#[test]
fn leaving_the_console_reverts_an_unconfirmed_change() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    demo.run_for(3);
    // The SSH session drops: the runtime asks for the revert before restoring the terminal.
    let revert = demo.app.revert_on_exit("SIGHUP").expect("an unconfirmed change to revert");
    assert_eq!(revert.reason, Reason::Exit("SIGHUP"));
    assert_eq!((revert.change.old, revert.change.new), (RateLimit::new(0, 300), RateLimit::new(0, 2000)));
    let record = audit_line(&revert);
    assert_eq!(
        (record["reason"].as_str(), record["reverted_by"].as_str()),
        (Some("exit-revert"), Some("SIGHUP"))
    );
    assert!(demo.app.revert_on_exit("SIGTERM").is_none(), "reverted once");
    // A confirmed change is left alone.
    let mut kept = Demo::new(5);
    set_backup_max(&mut kept, "300M", true);
    kept.act(Action::ConfirmChange);
    assert!(kept.app.revert_on_exit("SIGHUP").is_none());
}

#[test]
fn quit_with_an_unconfirmed_change_asks_first() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    assert!(demo.app.handle(Action::Quit).is_none(), "the first q asks");
    let prompt = demo.app.quit_prompt().expect("the quit prompt is open");
    assert!(prompt.starts_with("Backup (ens1f0 vf 1): max 2G → 300M"), "{prompt}");
    assert!(prompt.contains("reverts in 60s"), "{prompt}");
    // Other keys do nothing while it asks; Esc stays, with the change still counting down.
    demo.act(Action::SelectNext);
    assert!(demo.app.quit_prompt().is_some());
    demo.act(Action::Back);
    assert!(demo.app.quit_prompt().is_none() && demo.app.commit_countdown().is_some());
    assert!(demo.app.handle(Action::Quit).is_none(), "q asks again");
    assert!(matches!(demo.app.handle(Action::Quit), Some(vftop::app::Effect::Quit)), "q in the prompt quits");
    // c in the prompt keeps the change (audited) and stays.
    let mut keep = Demo::new(5);
    set_backup_max(&mut keep, "300M", true);
    keep.app.handle(Action::Quit);
    let kept = keep.app.handle(Action::ConfirmChange);
    assert!(
        matches!(kept, Some(vftop::app::Effect::Audit(ref r)) if r.reason == Reason::Confirmed),
        "{kept:?}"
    );
    assert!(keep.app.quit_prompt().is_none() && keep.app.commit_countdown().is_none());
    assert!(matches!(keep.app.handle(Action::Quit), Some(vftop::app::Effect::Quit)));
    let mut calm = Demo::new(5);
    assert!(
        matches!(calm.app.handle(Action::Quit), Some(vftop::app::Effect::Quit)),
        "nothing pending: q quits"
    );
}

#[test]
fn commit_confirmed_change_stays_when_confirmed() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    demo.run_for(10);
    let keep = demo.app.handle(Action::ConfirmChange);
    let Some(vftop::app::Effect::Audit(record)) = keep else { panic!("c is audited: {keep:?}") };
    assert_eq!((record.reason, record.change.new), (Reason::Confirmed, RateLimit::new(0, 300)));
    demo.run_for(120);
    assert_eq!(backup(&demo), RateLimit::new(0, 300));
    assert_eq!(demo.applied.len(), 1);
    assert!(demo.app.handle(Action::ConfirmChange).is_none(), "nothing left to keep");
}

#[test]
fn confirm_within_default_arms_every_change() {
    let mut demo = Demo::new(5);
    demo.app.set_flow_options(FlowOptions {
        confirm_within: Some(Duration::from_secs(20)),
        ..Default::default()
    });
    set_backup_max(&mut demo, "300M", false);
    assert_eq!(demo.app.commit_countdown().unwrap().1, 20);
    demo.run_for(21);
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
}

#[test]
fn oversubscribing_guarantees_needs_an_acknowledgement() {
    let mut demo = Demo::new(5);
    demo.act(Action::SelectNext); // Backup
    demo.act(Action::EditRate);
    demo.act(Action::NextField);
    demo.act(Action::Erase);
    "9G".chars().for_each(|c| demo.act(Action::Input(c)));
    demo.act(Action::NextField);
    demo.act(Action::Erase);
    demo.act(Action::Erase);
    demo.act(Action::Input('0'));
    demo.act(Action::Submit);
    demo.act(Action::Confirm);
    assert!(demo.applied.is_empty(), "the first y only acknowledges");
    assert!(demo.app.editor().unwrap().acknowledged);
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(9000, 0));
}

#[test]
fn read_only_explains_instead_of_acting() {
    let mut demo = Demo::new(5);
    demo.app.set_flow_options(FlowOptions {
        read_only: Some("started with --read-only".into()),
        ..Default::default()
    });
    demo.act(Action::SelectNext);
    for action in [Action::EditRate, Action::RaiseMax, Action::LowerMin] {
        demo.act(action);
        assert!(demo.app.editor().is_none());
    }
    assert!(demo.app.current_toast().unwrap().text.contains("read-only"));
    assert!(demo.applied.is_empty());
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
}

#[test]
fn step_keys_propose_the_next_limit() {
    let mut demo = Demo::new(5);
    demo.act(Action::SelectNext); // Backup: max 2G, link 10G, step 10% = 1G
    demo.act(Action::LowerMax);
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(0, 1000));
    demo.act(Action::RaiseMin);
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(1000, 1000), "min stops at the cap");
    // A 1G step on a 1G guarantee would remove it: near a small value a step is a quarter of it.
    demo.act(Action::LowerMin);
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(750, 1000));
    let step = vftop::app::flow::Step::Fixed(vftop::model::Mbps(250));
    demo.app.set_flow_options(FlowOptions { step, ..Default::default() });
    demo.act(Action::RaiseMax);
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(750, 1250));
    // Esc in a step's confirmation cancels the step: no editor left open for the next key.
    demo.act(Action::LowerMax);
    assert!(demo.app.editor().is_some());
    demo.act(Action::Back);
    assert!(demo.app.editor().is_none(), "cancelled, not back to editing");
    demo.act(Action::Input('5'));
    assert_eq!(backup(&demo), RateLimit::new(750, 1250), "nothing changed");
}

/// The audit log line the sampler would write for `request`, answered with its new limit.
fn audit_line(request: &vftop::app::ApplyRequest) -> serde_json::Value {
    let actor = vftop::audit::Actor { user: "op".into(), sudo_user: None, host: "h".into() };
    let attempt = vftop::audit::Attempt {
        change: &request.change,
        partition: &request.partition,
        reason: request.reason,
        outcome: Ok(request.change.new),
        confirm_within_secs: None,
    };
    serde_json::to_value(vftop::audit::record(&actor, std::time::SystemTime::now(), &attempt)).unwrap()
}

fn request_for_keep() -> vftop::app::ApplyRequest {
    let change = vftop::model::RateChange {
        target: vftop::model::Target::Vf(vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 }),
        old: RateLimit::new(0, 2000),
        new: RateLimit::new(0, 700),
    };
    vftop::app::ApplyRequest {
        change,
        partition: "Backup".into(),
        reason: Reason::Operator,
        confirm_within: None,
    }
}

#[test]
fn sampler_writes_the_audit_record_before_reporting() {
    use vftop::audit::{Actor, AuditLog};
    use vftop::protocol::{Command, SourceEvent};
    use vftop::sampler::Sampler;
    let demo = Demo::new(1);
    let path = std::env::temp_dir().join(format!("vftop-audit-flow-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let log = AuditLog::open(&path).unwrap();
    let actor = Actor { user: "ops".into(), sudo_user: None, host: "h".into() };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sampler = Sampler::with_audit(Box::new(demo.sim), Duration::from_secs(3600), tx, Some((log, actor)));
    let change = vftop::model::RateChange {
        target: vftop::model::Target::Vf(vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 }),
        old: RateLimit::new(0, 2000),
        new: RateLimit::new(0, 700),
    };
    let request = vftop::app::ApplyRequest {
        change,
        partition: "Backup".into(),
        reason: Reason::Operator,
        confirm_within: None,
    };
    sampler.send(Command::Apply(request));
    loop {
        if let Some(SourceEvent::Applied(_, result, audited)) = rx.blocking_recv() {
            assert_eq!(result, Ok(RateLimit::new(0, 700)));
            assert_eq!(audited, Ok(()));
            break;
        }
    }
    // A kept commit-confirmed change is recorded without sending anything.
    let mut kept = request_for_keep();
    kept.reason = Reason::Confirmed;
    sampler.send(Command::Audit(kept));
    let mut lines = Vec::new();
    for _ in 0..100 {
        lines = AuditLog::tail(&path, 10).unwrap();
        if lines.len() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("\"reason\":\"confirmed\"")), "{lines:?}");
    let lines: Vec<_> = lines.into_iter().filter(|l| l.contains("\"reason\":\"operator\"")).collect();
    let record: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!((record["user"].as_str(), record["partition"].as_str()), (Some("ops"), Some("Backup")));
    assert_eq!(record["new"]["max_mbps"], 700);
    assert_eq!(record["outcome"], "applied");
}

#[test]
fn demo_rate_group_edit_caps_its_members() {
    let mut demo = Demo::new(30);
    for _ in 0..3 {
        demo.act(Action::FocusNext);
    }
    demo.act(Action::SelectNext); // the storage group
    demo.act(Action::EditRate);
    for _ in 0..2 {
        demo.act(Action::Erase);
    }
    "1500M".chars().for_each(|c| demo.act(Action::Input(c)));
    demo.act(Action::Submit);
    let refusal = demo.app.editor().and_then(|e| e.error.clone()).unwrap_or_default();
    assert!(refusal.contains("min 3G is above max 1.5G"), "tx_share above tx_max is refused: {refusal}");
    demo.act(Action::NextField); // tx_share
    demo.act(Action::Erase);
    demo.act(Action::Erase);
    demo.act(Action::Input('0'));
    demo.act(Action::Submit);
    demo.act(Action::Confirm);
    assert_eq!(demo.applied.last().unwrap().change.target.label(), "sim/ens1f0/storage");
    demo.run_for(5);
    let snapshot = demo.app.snapshot.as_ref().unwrap();
    let storage = snapshot.rate_objects.iter().find(|o| o.name == "storage").unwrap();
    assert_eq!(storage.limit, RateLimit::new(0, 1500));
    let members: f64 =
        demo.app.rows.iter().filter(|r| r.name == "NFS" || r.name == "iSCSI").map(|r| r.rates.tx.0).sum();
    assert!(members <= 1.5e9 * 1.001, "NFS + iSCSI held to the group cap: {members}");
}

#[test]
fn a_limit_changed_outside_vftop_is_flagged_and_audited() {
    let text = include_str!("../crates/vftop-core/src/source/sim/reference.toml").to_string()
        + "\n[[pf.event]]\nat_secs = 10\npartition = \"Web\"\nmax = \"1G\"\n";
    let scenario = vftop::source::sim::scenario::Scenario::parse(&text, "drift.toml").unwrap();
    let mut demo = Demo::with_scenario(scenario, 5);
    // vftop's own change is not drift.
    set_backup_max(&mut demo, "1.5G", false);
    demo.run_for(3);
    assert!(demo.app.drift.is_empty(), "{:?}", demo.app.drift);
    assert!(demo.app.take_effects().is_empty());
    demo.run_for(4);
    let web = vftop::model::VfKey { pf: "ens1f0".into(), vf: 4 };
    let drift = demo.app.vf_drift(&web).expect("Web's cap changed outside vftop");
    assert_eq!((drift.old, drift.new), (RateLimit::new(0, 0), RateLimit::new(0, 1000)));
    assert_eq!(demo.app.drift.len(), 1);
    let effects = demo.app.take_effects();
    let [vftop::app::Effect::Audit(record)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(
        (record.reason, record.change.new, record.partition.as_str()),
        (Reason::External, RateLimit::new(0, 1000), "Web")
    );
    assert_eq!(audit_line(record)["outcome"], "external");
    demo.run_for(3);
    assert!(demo.app.take_effects().is_empty(), "reported once");
}

#[test]
fn sort_by_name_ignores_case_and_s_reverses() {
    let mut demo = Demo::new(3);
    demo.act(Action::CycleSort);
    assert_eq!(demo.app.sort_label(), "name ↑");
    let names: Vec<String> = demo.app.rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(
        names,
        ["Backup", "iSCSI", "Management", "NFS", "VM guest", "Web"],
        "iSCSI between Backup and Management"
    );
    demo.act(Action::ReverseSort);
    assert_eq!(demo.app.sort_label(), "name ↓");
    let reversed: Vec<String> = demo.app.rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(reversed, names.iter().rev().cloned().collect::<Vec<_>>());
    demo.run_for(1);
    assert_eq!(demo.app.rows[0].name, "Web", "the direction holds across samples");
    demo.act(Action::CycleSort);
    assert_eq!(demo.app.sort_label(), "tx ↓", "a new key starts in its own direction");
}

#[test]
fn pages_home_end_and_the_editors_selected_prefill() {
    let mut demo = Demo::new(3);
    demo.act(Action::SelectLast);
    assert_eq!(demo.app.selected_index(), Some(5));
    demo.act(Action::PageDown);
    assert_eq!(demo.app.selected_index(), Some(5), "a page stops at the last row");
    demo.act(Action::SelectFirst);
    demo.act(Action::PageDown);
    assert_eq!(demo.app.selected_index(), Some(5));
    demo.act(Action::PageUp);
    assert_eq!(demo.app.selected_index(), Some(0));
    // Backup's editor: its "2G" is selected, so typing replaces it; Ctrl-U clears.
    demo.act(Action::SelectNext);
    demo.act(Action::EditRate);
    "750M".chars().for_each(|c| demo.act(Action::Input(c)));
    assert_eq!(demo.app.editor().unwrap().max_text, "750M");
    demo.act(Action::ClearField);
    demo.act(Action::Input('1'));
    assert_eq!(demo.app.editor().unwrap().max_text, "1");
    demo.act(Action::Back);
    // A step proposes in units.
    demo.act(Action::LowerMax);
    assert_eq!(demo.app.editor().unwrap().max_text, "1G");
}

#[test]
fn a_filter_narrows_the_rows_and_esc_clears_it() {
    let mut demo = Demo::new(3);
    demo.act(Action::StartFilter);
    "nfs".chars().for_each(|c| demo.act(Action::Input(c)));
    let names = |d: &Demo| d.app.visible_rows().iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&demo), ["NFS"]);
    assert_eq!(demo.app.selected_row().unwrap().name, "NFS", "the selection follows the filter");
    demo.act(Action::Submit);
    assert_eq!(
        demo.app.overlay,
        vftop::app::state::Overlay::None,
        "Enter keeps the filter and leaves typing"
    );
    demo.run_for(1);
    assert_eq!(names(&demo), ["NFS"], "the filter holds across samples");
    demo.act(Action::Back);
    assert_eq!(names(&demo).len(), 6, "Esc clears it");
    demo.act(Action::StartFilter);
    "300".chars().for_each(|c| demo.act(Action::Input(c)));
    assert_eq!(names(&demo), ["Backup"], "a VLAN");
    demo.act(Action::ClearField);
    "5".chars().for_each(|c| demo.act(Action::Input(c)));
    assert_eq!(names(&demo), ["VM guest"], "a VF number");
    demo.act(Action::Input('x'));
    assert!(names(&demo).is_empty() && demo.app.selected_row().is_none());
    demo.act(Action::Back);
    assert!(demo.app.selected_row().is_some());
}

#[test]
fn the_limit_history_keeps_each_step_with_its_time() {
    let mut demo = Demo::new(5);
    let key = demo.app.rows.iter().find(|r| r.name == "Backup").unwrap().key.clone();
    let before = demo.app.snapshot.as_ref().unwrap().taken_at;
    set_backup_max(&mut demo, "300M", false);
    demo.run_for(5);
    let steps = demo.app.limit_history.get(&key).expect("Backup's limit history").clone();
    assert_eq!(
        steps.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
        vec![RateLimit::new(0, 2000), RateLimit::new(0, 300)]
    );
    assert!(
        steps[0].0 < before && steps[1].0 > before,
        "each step starts at the sample that showed it: {steps:?}"
    );
    // An hour and more later the old step is forgotten, the one in force kept.
    demo.run_for(3700);
    let steps = &demo.app.limit_history[&key];
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].1, RateLimit::new(0, 300));
}

#[test]
fn a_devlink_group_changed_outside_vftop_is_flagged_and_audited() {
    use vftop::source::Source;
    let mut demo = Demo::new(3);
    let storage = demo.rate_object(|o| o.name == "storage");
    // Another process (devlink port function rate set …) lowers the group's tx_max.
    let change = vftop::model::RateChange {
        target: vftop::model::Target::Devlink(storage.target.clone()),
        old: storage.limit,
        new: RateLimit::new(3000, 4000),
    };
    demo.sim.apply(&change).unwrap();
    demo.run_for(2);
    let drift = demo.app.drift.get(&change.target).expect("the group's change is drift");
    assert_eq!((drift.old, drift.new), (RateLimit::new(3000, 5000), RateLimit::new(3000, 4000)));
    let effects = demo.app.take_effects();
    let [vftop::app::Effect::Audit(record)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((record.reason, record.partition.as_str()), (Reason::External, "storage"));
    assert!(demo.screen(120, 40).contains("⚠3G/4G"), "the rate tree marks it:\n{}", demo.screen(120, 40));
}

#[test]
fn j_and_k_act_on_the_focused_panel() {
    let second = "\n[[pf]]\nname = \"ens2f0\"\nlink_speed = \"25G\"\ndriver = \"sim\"\n\
        [[pf.partition]]\nname = \"Replica\"\nvlan = 700\n\
        demand = { kind = \"constant\", rate = \"4G\", jitter = 0.1 }\n";
    let text = include_str!("../crates/vftop-core/src/source/sim/reference.toml").to_string() + second;
    let scenario = vftop::source::sim::scenario::Scenario::parse(&text, "two.toml").unwrap();
    let mut demo = Demo::with_scenario(scenario, 3);
    demo.act(Action::SelectNext);
    assert_eq!(
        demo.app.selected.as_ref().map(|k| (k.pf.as_str(), k.vf)),
        Some(("ens1f0", 1)),
        "table: next row"
    );
    demo.act(Action::FocusNext);
    demo.act(Action::FocusNext);
    assert_eq!(demo.app.focus, vftop::app::Focus::Contention);
    demo.act(Action::SelectNext);
    assert_eq!(demo.app.selected.as_ref().map(|k| k.pf.as_str()), Some("ens2f0"), "contention: next PF");
    demo.act(Action::SelectNext);
    assert_eq!(demo.app.selected.as_ref().map(|k| k.pf.as_str()), Some("ens1f0"), "and round");
}

#[test]
fn a_too_small_screen_takes_no_key_but_quit_and_opens_nothing() {
    let mut demo = Demo::new(5);
    demo.app.resize(60, 20);
    for action in
        [Action::SelectNext, Action::RaiseMax, Action::Confirm, Action::EditRate, Action::ToggleHelp]
    {
        demo.act(action);
    }
    assert!(demo.applied.is_empty(), "nothing applied behind the too-small screen");
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
    demo.app.resize(120, 40);
    assert!(demo.app.editor().is_none(), "no editor was opened behind it");
    assert_eq!(demo.app.overlay, vftop::app::state::Overlay::None);
    demo.app.resize(60, 20);
    assert!(matches!(demo.app.handle(Action::Quit), Some(vftop::app::Effect::Quit)));
}

#[test]
fn the_quit_prompt_fits_every_allowed_size_and_the_too_small_screen() {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    demo.act(Action::Quit);
    for (w, h) in [(80, 24), (120, 40), (200, 60), (60, 20), (40, 12)] {
        demo.app.resize(w, h);
        let screen = demo.screen(w, h);
        let text: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        for must in ["keep it (confirmed) and stay", "revert it and quit", "300M", "is not confirmed"] {
            assert!(text.contains(must), "{w}×{h}: '{must}' missing:\n{screen}");
        }
    }
}

#[test]
fn the_editor_speaks_of_the_live_sample_not_the_one_it_opened_on() {
    let mut demo = Demo::new(5);
    demo.preview_backup_max("1G");
    let tx = |demo: &Demo| demo.app.editor().unwrap().ctx.tx;
    let row_tx = |demo: &Demo| demo.app.rows.iter().find(|r| r.name == "Backup").unwrap().rates.tx;
    let opened = tx(&demo);
    demo.run_for(20); // Backup's demand moves (bursty backups)
    assert_eq!(tx(&demo), row_tx(&demo), "the confirmation's 'sending now' is the table's");
    let Some(vftop::app::control::Stage::Confirming(p)) = demo.app.editor().map(|e| e.stage.clone()) else {
        panic!("still confirming")
    };
    let expected = (tx(&demo).0 > 1e9).then(|| tx(&demo).0 - 1e9);
    assert_eq!(p.throttle_by.map(|b| b.0), expected, "the throttle estimate uses the live rate");
    let _ = opened;
}

#[test]
fn in_bytes_the_editor_shows_and_reads_bytes() {
    let mut demo = Demo::new(5);
    demo.act(Action::ToggleUnits);
    demo.act(Action::SelectNext);
    demo.act(Action::EditRate);
    let editor = demo.app.editor().unwrap();
    assert_eq!(editor.max_text, "250MB", "Backup's 2G cap as the table shows it in bytes");
    let screen = demo.screen(120, 40);
    assert!(screen.contains("in bytes/s"), "{screen}");
    demo.act(Action::ClearField);
    "100M".chars().for_each(|c| demo.act(Action::Input(c)));
    demo.act(Action::Submit);
    demo.act(Action::Confirm);
    demo.act(Action::Confirm); // a cut by more than half is not warned for typed values, so y applies
    assert_eq!(backup(&demo).max, vftop::model::Mbps(800), "100M in bytes mode is 100 MB/s = 800 Mbit/s");
}

#[test]
fn worst_first_starts_and_stays_on_the_top_row_until_moved() {
    let mut demo = Demo::with_scenario(
        vftop::source::sim::scenario::Scenario::load(std::path::Path::new("stress")).unwrap(),
        3,
    );
    for _ in 0..600 {
        demo.act(Action::SelectNext);
    }
    // To worst first: the view goes to its top.
    while demo.app.sort != vftop::app::state::SortKey::Worst {
        demo.act(Action::CycleSort);
    }
    let top = |demo: &Demo| demo.app.visible_rows().first().map(|r| r.key.clone());
    assert_eq!(demo.app.selected, top(&demo));
    demo.run_for(5);
    assert_eq!(demo.app.selected, top(&demo), "the selection follows the top as the ranking moves");
    demo.act(Action::SelectNext);
    let moved = demo.app.selected.clone();
    demo.run_for(3);
    assert_eq!(demo.app.selected, moved, "once moved, the selection stays where the operator put it");
}

#[test]
fn at_80x24_every_panel_keeps_what_an_operator_needs() {
    // Two PFs: the table has a PF column; Backup is pinned at its cap with drops.
    let two = vftop::source::sim::scenario::Scenario::load(std::path::Path::new("two-pfs")).unwrap();
    let mut demo = Demo::with_scenario(two, 8);
    demo.app.resize(80, 24);
    let screen = demo.screen(80, 24);
    let backup = screen.lines().find(|l| l.contains("Backup") && l.starts_with('│')).unwrap();
    assert!(backup.contains("100%"), "no number is cut in % of cap\n{screen}");
    for must in ["starved:", "drops:", "q quit", "■ Management"] {
        assert!(screen.contains(must), "'{must}' at 80×24\n{screen}");
    }
    for name in ["Management", "Backup", "iSCSI", "Replica", "Tenant A"] {
        assert!(screen.lines().any(|l| l.starts_with('│') && l.contains(name)), "{name} uncut\n{screen}");
    }
    // The detail view scrolls to what is below its fold (the percentiles); ↓ does not switch partition.
    demo.act(Action::OpenDetail);
    let selected = demo.app.selected.clone();
    let detail = demo.screen(80, 24);
    assert!(detail.contains("↓ more"), "{detail}");
    for _ in 0..30 {
        demo.draw_as_the_loop_does(80, 24);
        demo.act(Action::SelectNext);
    }
    let scrolled = demo.screen(80, 24);
    assert_eq!(demo.app.selected, selected, "↓ scrolls, it does not switch partitions");
    assert!(scrolled.contains("p50") || scrolled.contains("p99"), "{scrolled}");
    // And the help scrolls to its last key.
    demo.act(Action::Back);
    demo.act(Action::ToggleHelp);
    demo.draw_as_the_loop_does(80, 24);
    demo.act(Action::SelectLast);
    let help = demo.screen(80, 24);
    assert!(help.contains("q  Ctrl-C") && help.contains("mouse"), "{help}");
}

#[test]
fn a_leaf_change_the_driver_mirrors_into_its_vf_is_not_an_outside_change_of_the_vf() {
    let mut demo = Demo::new(3);
    let leaf = demo.rate_object(|o| o.vf.as_ref().is_some_and(|k| k.vf == 1));
    let key = leaf.vf.clone().unwrap();
    // The console changes VF 1's devlink leaf; the simulator (like mlx5 and netdevsim) mirrors
    // it into the VF's own limits.
    let request = vftop::app::ApplyRequest {
        change: vftop::model::RateChange {
            target: vftop::model::Target::Devlink(leaf.target.clone()),
            old: leaf.limit,
            new: RateLimit::new(0, 700),
        },
        partition: "Backup".into(),
        reason: Reason::Operator,
        confirm_within: None,
    };
    demo.perform(Some(vftop::app::Effect::Apply(request)));
    demo.run_for(2);
    assert_eq!(demo.app.rows.iter().find(|r| r.key == key).unwrap().vf.rate, RateLimit::new(0, 700));
    assert!(demo.app.vf_drift(&key).is_none(), "the console's own change, seen on the VF: no drift");
}

/// The change awaiting confirmation the app asked the runtime's guard to watch, from effects.
fn armed(effects: &[vftop::app::Effect]) -> Vec<(String, RateLimit, RateLimit)> {
    use vftop::app::Effect;
    let watched = |e: &Effect| match e {
        Effect::ArmGuard(a) => Some((a.partition.clone(), a.change.old, a.change.new)),
        _ => None,
    };
    effects.iter().filter_map(watched).collect()
}

/// Backup's max set to 300M under commit-confirmed: the guard is armed on it, once.
fn awaiting_backup_change() -> Demo {
    let mut demo = Demo::new(5);
    set_backup_max(&mut demo, "300M", true);
    let effects = demo.app.take_effects();
    assert_eq!(armed(&effects), [("Backup".into(), RateLimit::new(0, 2000), RateLimit::new(0, 300))]);
    assert_eq!(effects.len(), 1, "{effects:?}");
    demo.run_for(3);
    assert!(demo.app.take_effects().is_empty(), "armed once, not every sample");
    demo
}

#[test]
fn the_guard_is_armed_for_a_change_awaiting_confirmation_and_disarmed_when_it_is_kept() {
    let mut demo = awaiting_backup_change();
    demo.act(Action::ConfirmChange);
    assert_eq!(demo.app.take_effects(), [vftop::app::Effect::DisarmGuard]);
    // A change without commit-confirmed needs no guard.
    set_backup_max(&mut demo, "400M", false);
    assert!(demo.app.take_effects().is_empty());
}

#[test]
fn the_guard_stays_while_the_timeout_revert_is_in_flight_and_stands_down_once_it_lands() {
    use vftop::source::Clock;
    let mut demo = awaiting_backup_change();
    demo.clock.advance(Duration::from_secs(60));
    let revert = demo.app.tick(demo.clock.now());
    let Some(vftop::app::Effect::Apply(request)) = &revert else { panic!("the revert is sent: {revert:?}") };
    assert_eq!(request.reason, Reason::ConfirmTimeout);
    assert!(demo.app.take_effects().is_empty(), "left while its revert is in flight");
    demo.perform(revert);
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
    assert_eq!(demo.app.take_effects(), [vftop::app::Effect::DisarmGuard]);
}

#[test]
fn the_guard_stands_down_when_the_change_is_undone_or_replaced_from_outside() {
    let mut demo = awaiting_backup_change();
    demo.act(Action::Undo);
    assert!(demo.app.take_effects().is_empty(), "the undo's confirmation changes nothing yet");
    demo.act(Action::Confirm);
    assert_eq!(backup(&demo), RateLimit::new(0, 2000));
    assert_eq!(demo.app.take_effects(), [vftop::app::Effect::DisarmGuard]);

    let mut demo = awaiting_backup_change();
    let key = vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 };
    let outside = vftop::model::RateChange::vf(key, RateLimit::new(0, 300), RateLimit::new(0, 700));
    vftop::source::Source::apply(&mut demo.sim, &outside).unwrap();
    demo.run_for(1);
    let effects = demo.app.take_effects();
    assert!(effects.contains(&vftop::app::Effect::DisarmGuard), "{effects:?}");
    assert!(armed(&effects).is_empty(), "{effects:?}");
}

#[test]
fn the_guard_is_left_to_the_runtime_when_the_console_exits() {
    let mut demo = awaiting_backup_change();
    assert!(demo.app.handle(Action::Quit).is_none(), "the first q asks");
    let revert = demo.app.revert_on_exit("exit").expect("the unconfirmed change is reverted");
    assert_eq!(revert.reason, Reason::Exit("exit"));
    // Whether the guard stands down depends on the exit revert landing: the runtime decides.
    assert!(demo.app.take_effects().is_empty());
}

#[test]
fn a_change_of_ours_replaced_before_the_next_sample_is_drift_from_what_we_set() {
    let key = vftop::model::VfKey { pf: "ens1f0".into(), vf: 1 };
    for outside in [RateLimit::new(0, 700), RateLimit::new(0, 2000)] {
        let mut demo = Demo::new(5);
        set_backup_max(&mut demo, "300M", false);
        let change = vftop::model::RateChange::vf(key.clone(), RateLimit::new(0, 300), outside);
        vftop::source::Source::apply(&mut demo.sim, &change).unwrap();
        demo.run_for(1);
        let drift = demo.app.vf_drift(&key).expect("someone else's change is drift");
        assert_eq!((drift.old, drift.new), (RateLimit::new(0, 300), outside));
    }
}
