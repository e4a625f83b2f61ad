//! `vftop apply --watch` (the daemon that keeps the declared limits: puts them right when VFs
//! are re-created, a driver clears them or at boot, and reports a person's change as drift
//! instead of fighting it), and `apply --confirm-within`'s guards and their confirmation.

use super::declared::{Assessed, assess};
use super::set::send;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vftop::audit::{Actor, Attempt, AuditLog, Reason};
use vftop::model::declared::{Finding, Intent};
use vftop::model::{Pf, RateChange, RateLimit, RoleMap, Snapshot, Target, Vf, VfKey};
use vftop::source::Source;

/// Why the watcher puts a finding right, or why it leaves it alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The watcher's first look (at boot, or started by hand).
    AtStart,
    /// The VF is new, or was re-created (`sriov_numvfs`, a driver reload: its counters
    /// started again).
    Recreated,
    /// Its PF's link went down or changed speed, or the driver said it cleared the VFs'
    /// rates (igb and ixgbe do after a link-speed change).
    LinkChanged,
    /// `--enforce`: whatever changed it.
    Enforced,
    /// Someone changed it while the watcher runs: reported, left alone.
    ByHand,
    /// Nothing changed since the last look (a drift already reported, a refusal said).
    Unchanged,
}

impl Cause {
    fn puts_right(self) -> bool {
        !matches!(self, Cause::ByHand | Cause::Unchanged)
    }

    fn label(self) -> &'static str {
        match self {
            Cause::AtStart => "at start",
            Cause::Recreated => "the VF was re-created",
            Cause::LinkChanged => "its PF's link changed (the driver clears VF rates)",
            Cause::Enforced => "--enforce",
            Cause::ByHand => "changed by hand while the watcher runs",
            Cause::Unchanged => "unchanged",
        }
    }
}

/// Why `f` differs now, given the sample before (`None`: the first look).
pub fn cause(previous: Option<&Snapshot>, now: &Snapshot, f: &Finding, enforce: bool) -> Cause {
    let Some(previous) = previous else { return Cause::AtStart };
    let Target::Vf(key) = &f.target else {
        // A group's node is nobody's but the operator's: put right at start or by --enforce.
        return if enforce { Cause::Enforced } else { Cause::Unchanged };
    };
    let (Some((pf_then, vf_then)), Some((pf_now, vf_now))) = (previous.vf(key), now.vf(key)) else {
        return Cause::Recreated;
    };
    if recreated(vf_then, vf_now) {
        Cause::Recreated
    } else if link_changed(pf_then, pf_now)
        || now.driver_cleared_rates(&key.pf)
        || previous.driver_cleared_rates(&key.pf)
    {
        Cause::LinkChanged
    } else if vf_then.rate == vf_now.rate {
        Cause::Unchanged
    } else if enforce {
        Cause::Enforced
    } else {
        Cause::ByHand
    }
}

/// A VF whose counters started again, or whose netdev changed, is another VF in the same slot.
fn recreated(then: &Vf, now: &Vf) -> bool {
    let (a, b) = (&then.counters, &now.counters);
    b.tx_packets < a.tx_packets || b.rx_packets < a.rx_packets || then.mac != now.mac
}

fn link_changed(then: &Pf, now: &Pf) -> bool {
    then.link_speed != now.link_speed || then.link.is_up() != now.link.is_up()
}

/// The watcher: the intent, and what it saw last.
pub struct Watcher {
    intent: Intent,
    roles: RoleMap,
    enforce: bool,
    previous: Option<Snapshot>,
    /// The last refusal of the intent said, not said again every sample.
    said: Option<String>,
}

impl Watcher {
    pub fn new(intent: Intent, roles: RoleMap, enforce: bool) -> Watcher {
        Watcher { intent, roles, enforce, previous: None, said: None }
    }

    /// Samples every `interval` (the kernel's link table follows `RTNLGRP_LINK`
    /// notifications, so a sample costs little) until SIGTERM or SIGINT.
    pub fn run(
        mut self,
        mut source: Box<dyn Source>,
        interval: Duration,
        (mut log, actor): (AuditLog, Actor),
    ) -> anyhow::Result<ExitCode> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        eprintln!(
            "vftop apply --watch: keeping {} declaration(s){}; every {}",
            self.intent.vfs.len() + self.intent.groups.len(),
            if self.enforce { ", enforced" } else { "" },
            vftop::units::format_span(interval)
        );
        runtime.block_on(async {
            let stop = super::stop_signal();
            tokio::pin!(stop);
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stop => return Ok(ExitCode::SUCCESS),
                    _ = tick.tick() => self.look(source.as_mut(), &mut log, &actor)?,
                }
            }
        })
    }

    /// One sample: each difference put right or reported.
    fn look(&mut self, source: &mut dyn Source, log: &mut AuditLog, actor: &Actor) -> anyhow::Result<()> {
        let snapshot = match source.sample() {
            Ok(s) => s,
            Err(e) => {
                self.say(format!("cannot sample: {e}"));
                return Ok(());
            }
        };
        let assessed: Assessed = match assess(&snapshot, &self.intent, &self.roles) {
            Ok(a) => a,
            Err(e) => {
                self.say(format!("cannot tell: {e}"));
                self.previous = Some(snapshot);
                return Ok(());
            }
        };
        self.said = None;
        if self.previous.is_none() {
            let differ = assessed.findings.iter().filter(|f| !f.conforms()).count();
            println!(
                "{} first look: {} as declared, {differ} to put right",
                stamp(),
                assessed.findings.len() - differ
            );
        }
        let mut sent = false;
        for f in assessed.findings.iter().filter(|f| !f.conforms()) {
            let cause = cause(self.previous.as_ref(), &snapshot, f, self.enforce);
            let Some(change) = f.change().filter(|_| cause.puts_right()) else {
                if cause == Cause::ByHand {
                    self.report_drift(&snapshot, f, log, actor)?;
                }
                continue;
            };
            println!("{} {}: {}; putting it right: {}", stamp(), f.what, cause.label(), change.ip_command());
            let name = f.partition.clone().unwrap_or_else(|| f.what.clone());
            // A refusal is said (and audited) by send; the next look tries again only on a new cause.
            let _ = send(source, &change, &name, Reason::Declared, (log, actor))?;
            sent = true;
        }
        // The next look compares with what the host has after the changes.
        self.previous = Some(if sent { source.sample().unwrap_or(snapshot) } else { snapshot });
        Ok(())
    }

    /// A limit someone changed while the watcher runs: said and audited as theirs, left.
    fn report_drift(
        &self,
        now: &Snapshot,
        f: &Finding,
        log: &mut AuditLog,
        actor: &Actor,
    ) -> anyhow::Result<()> {
        let Target::Vf(key) = &f.target else { return Ok(()) };
        let before = self.previous.as_ref().and_then(|p| p.vf(key)).map_or(f.actual, |(_, v)| v.rate);
        println!(
            "{} {}: drift: max {} min {}, declared {} — {}; left alone (--enforce puts it right)",
            stamp(),
            f.what,
            f.actual.max,
            f.actual.min,
            f.declared,
            Cause::ByHand.label()
        );
        let change = RateChange::vf(key.clone(), before, f.actual);
        let name = f.partition.clone().unwrap_or_else(|| format!("vf {}", key.vf));
        let seen: Result<RateLimit, std::convert::Infallible> =
            Ok(now.vf(key).map_or(f.actual, |(_, v)| v.rate));
        log.write(actor, &Attempt::new(&change, &name, Reason::External, &seen))?;
        Ok(())
    }

    fn say(&mut self, text: String) {
        if self.said.as_deref() != Some(text.as_str()) {
            eprintln!("{} vftop apply --watch: {text}", stamp());
            self.said = Some(text);
        }
    }
}

fn stamp() -> String {
    vftop::times::format_ms(vftop::times::now_ms())
}

/// One change `apply --confirm-within` guards, as the pending file keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    guard_pid: u32,
    pf: String,
    vf: u32,
    partition: String,
    applied: RateLimit,
    revert: RateLimit,
    deadline_unix_ms: u64,
}

/// Where the guards of the last `apply --confirm-within` are listed: beside its audit log
/// (`apply --confirm` takes the same `--audit-log`).
fn pending_path(audit: &std::path::Path) -> std::path::PathBuf {
    audit.with_file_name("apply-pending.json")
}

/// Arms a guard for each VF change in `applied` (the console's: it reverts at the deadline
/// unless stopped, and only if the VF still has what was applied); lists them for `--confirm`.
pub fn arm_guards(
    applied: &[(&Finding, RateChange)],
    window: Duration,
    audit: &std::path::Path,
) -> anyhow::Result<()> {
    let bin = vftop::guard::own_binary().context("cannot find this executable to start its guards")?;
    let path = pending_path(audit);
    let deadline = SystemTime::now() + window;
    let mut pending = Vec::new();
    for (finding, change) in applied {
        let Target::Vf(key) = &change.target else {
            eprintln!("vftop: {}: a group's limits are not guarded by --confirm-within", finding.what);
            continue;
        };
        let watch = vftop::guard::Watch {
            key: key.clone(),
            partition: finding.partition.clone().unwrap_or_else(|| format!("vf {}", key.vf)),
            applied: change.new,
            revert: change.old,
            deadline,
        };
        // Its stdin closes as this command exits: the guard waits for its deadline.
        let guard = vftop::guard::Guard::arm(&bin, watch.clone(), audit)?;
        pending.push(Pending {
            guard_pid: guard.pid(),
            pf: key.pf.clone(),
            vf: key.vf,
            partition: watch.partition,
            applied: watch.applied,
            revert: watch.revert,
            deadline_unix_ms: deadline.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64,
        });
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&pending)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "commit-confirmed: {} change(s) revert at {} unless kept with `vftop apply --confirm`",
        pending.len(),
        vftop::times::format_ms(vftop::times::now_ms() + window.as_millis() as i64)
    );
    Ok(())
}

/// Stops the guards the pending file lists that still run, audits each keep; how many.
pub fn confirm_pending(log: &mut AuditLog, actor: &Actor) -> anyhow::Result<usize> {
    let path = pending_path(log.path());
    let Ok(bytes) = std::fs::read(&path) else { return Ok(0) };
    let pending: Vec<Pending> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a pending list", path.display()))?;
    let mut kept = 0;
    for p in &pending {
        if !vftop::guard::stop(p.guard_pid) {
            continue;
        }
        let change = RateChange::vf(VfKey { pf: p.pf.clone(), vf: p.vf }, p.revert, p.applied);
        let result: Result<RateLimit, std::convert::Infallible> = Ok(p.applied);
        log.write(actor, &Attempt::new(&change, &p.partition, Reason::Confirmed, &result))?;
        kept += 1;
    }
    let _ = std::fs::remove_file(&path);
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vftop::source::FakeClock;
    use vftop::source::sim::SimSource;
    use vftop::source::sim::scenario::Scenario;

    fn finding(snapshot: &Snapshot, key: &VfKey, max: u32) -> Finding {
        let (_, vf) = snapshot.vf(key).unwrap();
        Finding {
            target: Target::Vf(key.clone()),
            what: format!("{} vf {}", key.pf, key.vf),
            partition: None,
            owner: None,
            declared: format!("max {max}"),
            actual: vf.rate,
            wanted: RateLimit { max: vftop::model::Mbps(max), ..vf.rate },
            strays: Vec::new(),
            origin: "c.toml:1".into(),
        }
    }

    #[test]
    fn a_person_s_change_is_drift_a_driver_s_or_a_new_vf_is_put_right() {
        let clock = FakeClock::default();
        let mut sim = SimSource::new(Scenario::reference(), std::sync::Arc::new(clock.clone()));
        let key = VfKey { pf: "ens1f0".into(), vf: 1 };
        clock.advance(Duration::from_secs(1));
        let before = sim.sample().unwrap();
        let f = finding(&before, &key, 300);
        assert_eq!(cause(None, &before, &f, false), Cause::AtStart);
        assert_eq!(cause(Some(&before), &before, &f, false), Cause::Unchanged);
        // By hand: the limit changed, nothing else did.
        let mut by_hand = before.clone();
        by_hand.pfs[0].vfs[1].rate = RateLimit::new(0, 500);
        assert_eq!(cause(Some(&before), &by_hand, &f, false), Cause::ByHand);
        assert_eq!(cause(Some(&before), &by_hand, &f, true), Cause::Enforced);
        // The driver: the link changed speed, and the limits went with it.
        let mut relinked = by_hand.clone();
        relinked.pfs[0].link_speed = Some(vftop::model::Mbps(1000));
        assert_eq!(cause(Some(&before), &relinked, &f, false), Cause::LinkChanged);
        // Re-created: counters from zero again, or the VF was not there before.
        let mut fresh = by_hand.clone();
        fresh.pfs[0].vfs[1].counters = Default::default();
        assert!(before.pfs[0].vfs[1].counters.tx_packets > 0, "the scenario's VF 1 sends");
        assert_eq!(cause(Some(&before), &fresh, &f, false), Cause::Recreated);
        let mut gone = before.clone();
        gone.pfs[0].vfs.retain(|v| v.index != 1);
        assert_eq!(cause(Some(&gone), &by_hand, &f, false), Cause::Recreated);
    }
}
