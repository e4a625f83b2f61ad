//! `vftop check` and `vftop apply`: the host against the limits the config declares — what
//! differs and since when, and the changes that put it right, sent through the same checks of
//! the driver's rules, read-back and audit as `vftop set` and the console; `apply --watch`
//! keeps it so as VFs come and go.

use super::set::{send, vf_context};
use anyhow::Context;
use serde::Serialize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use vftop::app::control::{RateRejected, validate_limit};
use vftop::audit::{Actor, AuditLog, Reason};
use vftop::cli::{AuditArg, ConfigArg, SourceArgs};
use vftop::model::declared::{DeclaredTwice, Finding, Intent, Unmatched, check};
use vftop::model::{RateChange, RateLimit, RoleMap, Snapshot, Target};
use vftop::source::{Source, SystemClock};

/// What `vftop check` and `vftop apply` were asked.
pub struct DeclaredRequest<'a> {
    pub source: &'a SourceArgs,
    pub config: &'a ConfigArg,
    pub json: bool,
    /// The recorder's store, for since when a VF differs (`None`: the recorder's default).
    pub store: Option<&'a std::path::Path>,
}

/// Exit codes of `vftop check` (and `apply --dry-run`).
const CONFORMS: u8 = 0;
const DRIFT: u8 = 1;
const CANNOT_TELL: u8 = 2;

/// The host read against the intent: each declared VF's and group's finding, and what names
/// nothing here.
pub struct Assessed {
    pub findings: Vec<Finding>,
    pub unmatched: Vec<Unmatched>,
}

/// Why the host cannot be read against the intent (`check` and `apply` cannot tell).
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error("{0}")]
    Twice(DeclaredTwice),
    /// A declared VF the snapshot does not have as `vf_context` needs it.
    #[error("{0}")]
    Vf(anyhow::Error),
    /// A declaration the VF's driver would refuse, with its line.
    #[error("{origin}: {declared} declared for {what} ({driver}): {why}")]
    Refused { origin: String, declared: String, what: String, driver: String, why: Box<RateRejected> },
}

/// `intent` resolved in `snapshot`, each VF's declared limits checked against its driver's
/// rules first: a declaration the driver would refuse is an error naming its line.
pub fn assess(snapshot: &Snapshot, intent: &Intent, roles: &RoleMap) -> Result<Assessed, AssessError> {
    let resolved = intent.resolve(snapshot, roles).map_err(AssessError::Twice)?;
    let findings = check(snapshot, &resolved, roles);
    for f in &findings {
        let Target::Vf(key) = &f.target else { continue };
        let (ctx, driver) = vf_context(snapshot, key, false).map_err(AssessError::Vf)?;
        validate_limit(f.wanted, &ctx, &driver).map_err(|why| AssessError::Refused {
            origin: f.origin.clone(),
            declared: f.declared.clone(),
            what: f.what.clone(),
            driver: driver.clone(),
            why: Box::new(why),
        })?;
    }
    Ok(Assessed { findings, unmatched: resolved.unmatched })
}

/// The source, the roles and the intent (the CNI cache's too where asked); `None` with the
/// reason when nothing is declared or the config is refused.
fn open(req: &DeclaredRequest) -> anyhow::Result<(Box<dyn Source>, RoleMap, Intent, String)> {
    let settings = vftop::config::load(req.config.config.as_deref()).map_err(anyhow::Error::msg)?;
    let intent = vftop::intent::with_cni(settings.intent.clone(), &settings.intent_prefs);
    if intent.is_empty() {
        anyhow::bail!(
            "{} declares no limits: add [[declared]] entries (pf, vf or vlan or partition, max, min) \
             — `vftop --print-config-template` shows them",
            settings.source
        );
    }
    let source = super::open_source(req.source, &settings.owners, Arc::new(SystemClock::default()))?;
    let roles = super::roles(source.as_ref(), settings.roles);
    Ok((source, roles, intent, settings.source))
}

/// One finding as `check --json` writes it.
#[derive(Serialize)]
struct CheckedJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    conforms: bool,
    /// The last limit change of this VF the recorder saw, where it has a store.
    since: Option<String>,
    /// The command that puts it right.
    fix: Option<String>,
}

pub fn check_command(req: DeclaredRequest) -> anyhow::Result<ExitCode> {
    let (mut source, roles, intent, file) = match open(&req) {
        Ok(opened) => opened,
        Err(e) => return cannot_tell(&e.to_string()),
    };
    let snapshot = source.sample()?;
    let assessed = match assess(&snapshot, &intent, &roles) {
        Ok(a) => a,
        Err(e) => return cannot_tell(&e.to_string()),
    };
    let store = req
        .store
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| vftop::record::default_dir(req.source.sim.is_demo()));
    let changes = limit_changes(&store);
    let since = |f: &Finding| if f.conforms() { None } else { since_when(&changes, f) };
    if req.json {
        let findings: Vec<CheckedJson> = assessed
            .findings
            .iter()
            .map(|f| CheckedJson {
                finding: f,
                conforms: f.conforms(),
                since: since(f),
                fix: f.change().map(|c| c.ip_command()),
            })
            .collect();
        let out = serde_json::json!({
            "config": file,
            "conforms": assessed.unmatched.is_empty() && assessed.findings.iter().all(Finding::conforms),
            "findings": findings,
            "unmatched": assessed.unmatched,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_check(&assessed, &file, &since);
    }
    Ok(ExitCode::from(exit_code(&assessed)))
}

fn cannot_tell(why: &str) -> anyhow::Result<ExitCode> {
    eprintln!("vftop: cannot tell: {why}");
    Ok(ExitCode::from(CANNOT_TELL))
}

/// 2 where something declared cannot be found (its PF, VF or group is not here), else 1 where
/// anything differs, else 0.
fn exit_code(a: &Assessed) -> u8 {
    if !a.unmatched.is_empty() {
        CANNOT_TELL
    } else if a.findings.iter().any(|f| !f.conforms()) {
        DRIFT
    } else {
        CONFORMS
    }
}

fn print_check(a: &Assessed, file: &str, since: &dyn Fn(&Finding) -> Option<String>) {
    let differ = a.findings.iter().filter(|f| !f.conforms()).count();
    println!(
        "{} declared in {file}: {} conform, {differ} differ{}",
        a.findings.len() + a.unmatched.len(),
        a.findings.len() - differ,
        if a.unmatched.is_empty() { String::new() } else { format!(", {} not found", a.unmatched.len()) }
    );
    for f in &a.findings {
        let mark = if f.conforms() { "=" } else { "≠" };
        let mut line = format!("{mark} {}{}: declared {}", f.what, who(f), f.declared);
        if !f.conforms() {
            line.push_str(&format!(", actual {}", limit_text(f.actual)));
            for (vf, parent) in &f.strays {
                line.push_str(&format!(
                    "; vf {vf} not in it (parent: {})",
                    parent.as_deref().unwrap_or("none")
                ));
            }
            if let Some(s) = since(f) {
                line.push_str(&format!(" — {s}"));
            }
        }
        println!("{line}  [{}]", f.origin);
    }
    for u in &a.unmatched {
        println!("? {}: {}  [{}]", u.what, u.why, u.origin);
    }
}

/// ` (NFS, pod default/nfs-0)`: the partition and owner, where known.
fn who(f: &Finding) -> String {
    let parts: Vec<&str> = [f.partition.as_deref(), f.owner.as_deref()].into_iter().flatten().collect();
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

fn limit_text(l: RateLimit) -> String {
    format!("max {} min {}", l.max, l.min)
}

/// The limit changes in the recorder's journal of the last eight days (none without a store).
fn limit_changes(store: &std::path::Path) -> Vec<vftop::model::event::Event> {
    use vftop::model::event::EventKind;
    let now = vftop::times::now_ms();
    let (events, _) = vftop::record::events::read(store, now - 8 * 86_400_000, now);
    events
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::RateChange { .. } | EventKind::ExternalChange { .. }))
        .collect()
}

/// `since 2026-12-01 03:12:04 (max 300M → 500M (outside vftop))`: the newest of `changes`
/// of the finding's VF.
fn since_when(changes: &[vftop::model::event::Event], f: &Finding) -> Option<String> {
    let Target::Vf(key) = &f.target else { return None };
    let last = changes.iter().rev().find(|e| e.pf == key.pf && e.vf == Some(key.vf))?;
    Some(format!("since {} ({})", vftop::times::format_ms(last.at_ms), last.label()))
}

/// What `vftop apply` was asked besides the source and config.
pub struct ApplyOptions<'a> {
    pub dry_run: bool,
    pub confirm_within: Option<Duration>,
    pub watch: bool,
    pub enforce: bool,
    pub interval: Duration,
    pub audit: &'a AuditArg,
}

pub fn apply_command(req: DeclaredRequest, opts: ApplyOptions) -> anyhow::Result<ExitCode> {
    let (mut source, roles, intent, _) = match open(&req) {
        Ok(opened) => opened,
        Err(e) => return cannot_tell(&e.to_string()),
    };
    let demo = req.source.sim.is_demo();
    let audit_path = opts.audit.path(demo);
    let log = (AuditLog::open(&audit_path)?, Actor::current(&super::hostname()));
    if opts.watch {
        let watcher = super::declared_watch::Watcher::new(intent, roles, opts.enforce);
        return watcher.run(source, opts.interval, log);
    }
    let snapshot = source.sample()?;
    let assessed = match assess(&snapshot, &intent, &roles) {
        Ok(a) => a,
        Err(e) => return cannot_tell(&e.to_string()),
    };
    let plan = plan(&assessed);
    for u in &assessed.unmatched {
        eprintln!("vftop: not applied: {}: {}  [{}]", u.what, u.why, u.origin);
    }
    if plan.is_empty() {
        println!("nothing to change: the host has what is declared");
        return Ok(ExitCode::from(if assessed.unmatched.is_empty() { CONFORMS } else { CANNOT_TELL }));
    }
    if opts.dry_run {
        println!("(--dry-run: nothing sent)");
        return Ok(ExitCode::from(DRIFT));
    }
    let (mut audit, actor) = log;
    let mut applied = Vec::new();
    let mut refused = 0;
    for (finding, change) in &plan {
        let name = finding.partition.clone().unwrap_or_else(|| finding.what.clone());
        match send(source.as_mut(), change, &name, Reason::Declared, (&mut audit, &actor))? {
            Ok(kept) => applied.push((*finding, RateChange { new: kept, ..change.clone() })),
            Err(_) => refused += 1,
        }
    }
    match opts.confirm_within {
        // The guard reverts on the kernel: the simulator is gone with this command.
        Some(_) if demo => eprintln!("vftop: --confirm-within guards the kernel's VFs, not a simulator's"),
        Some(window) => super::declared_watch::arm_guards(&applied, window, &audit_path)?,
        None => {}
    }
    if demo {
        eprintln!("vftop: (a simulator started for this command alone took the changes; no NIC saw them)");
    }
    Ok(ExitCode::from(if refused > 0 { DRIFT } else { CONFORMS }))
}

/// Each change needed, said first: old → new, the equivalent command, whom it throttles;
/// group members out of place are said with the command that moves them (vftop does not
/// move VFs between groups).
fn plan(a: &Assessed) -> Vec<(&Finding, RateChange)> {
    let mut out = Vec::new();
    for f in a.findings.iter().filter(|f| !f.conforms()) {
        for (vf, parent) in &f.strays {
            println!(
                "{}: vf {vf} belongs in it (parent: {}): devlink port function rate set <its leaf> parent {} — not done by vftop",
                f.what,
                parent.as_deref().unwrap_or("none"),
                f.what.rsplit(' ').next().unwrap_or_default()
            );
        }
        let Some(change) = f.change() else { continue };
        let throttles = f.owner.as_ref().map_or(String::new(), |o| format!(", throttles {o}"));
        println!(
            "{}{}{throttles}: {} → {}\n    {}",
            f.what,
            f.partition.as_ref().map_or(String::new(), |p| format!(" ({p})")),
            limit_text(change.old),
            limit_text(change.new),
            change.ip_command()
        );
        out.push((f, change));
    }
    out
}

/// `vftop apply --confirm`: keeps the changes the last `apply --confirm-within` armed guards
/// for (stops the guards, audits the keep).
pub fn confirm_command(audit: &AuditArg, demo: bool) -> anyhow::Result<ExitCode> {
    let mut log = AuditLog::open(&audit.path(demo))?;
    let actor = Actor::current(&super::hostname());
    let kept = super::declared_watch::confirm_pending(&mut log, &actor).context("vftop apply --confirm")?;
    if kept == 0 {
        eprintln!("vftop: no applied change awaits confirmation");
        return Ok(ExitCode::from(1));
    }
    println!("kept {kept} change(s): their guards are stopped");
    Ok(ExitCode::SUCCESS)
}
