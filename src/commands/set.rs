//! `vftop set PF VF --max X --min Y`: validate, apply, read back, audit, say it in words.

use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use vftop::app::control::{EditContext, preview, validate_limit};
use vftop::audit::{Actor, Attempt, AuditLog, Reason};
use vftop::cli::{AuditArg, SimArgs};
use vftop::model::{BitsPerSec, Capabilities, Mbps, RateChange, RateLimit, Snapshot, VfKey};
use vftop::source::kernel::RateApiChoice;
use vftop::source::{ApplyError, Source, SystemClock};

/// What `vftop set` asks for.
pub struct SetRequest {
    pub key: VfKey,
    pub max: Option<Mbps>,
    pub min: Option<Mbps>,
    pub no_precheck: bool,
    /// Through `ndo_set_vf_rate` whatever the driver takes.
    pub ip_link: bool,
}

pub fn run(req: SetRequest, sim: &SimArgs, audit: &AuditArg) -> anyhow::Result<ExitCode> {
    let clock = Arc::new(SystemClock::default());
    let source: Box<dyn Source> = if sim.is_demo() {
        Box::new(super::simulator(sim, clock)?)
    } else {
        let filter = vftop::source::kernel::LinkFilter { interfaces: Vec::new(), all_links: false };
        let api = if req.ip_link { RateApiChoice::IpLink } else { RateApiChoice::Auto };
        Box::new(vftop::source::kernel::KernelSource::open(filter, clock)?.with_api(api))
    };
    let log = (AuditLog::open(&audit.path(sim.is_demo()))?, Actor::current(&super::hostname()));
    let code = set_rate(source, req, log);
    if sim.is_demo() {
        eprintln!(
            "vftop: (a simulator started for this command alone took the change; no NIC, and no \
             other vftop --demo, saw it)"
        );
    }
    code
}

/// Validate, apply, read back, audit, report in words (exit 1 when refused).
fn set_rate(
    mut source: Box<dyn Source>,
    req: SetRequest,
    audit: (AuditLog, Actor),
) -> anyhow::Result<ExitCode> {
    let snapshot = source.sample()?;
    let key = req.key;
    let (ctx, driver) = vf_context(&snapshot, &key, req.no_precheck)?;
    let old = ctx.current;
    let new = RateLimit { min: req.min.unwrap_or(old.min), max: req.max.unwrap_or(old.max) };
    if let Err(reason) = validate_limit(new, &ctx, &driver) {
        eprintln!("vftop: refused before sending: {reason}; nothing changed");
        return Ok(ExitCode::from(1));
    }
    if new == old {
        println!("nothing to change: {} vf {} already has max {} min {}", key.pf, key.vf, old.max, old.min);
        return Ok(ExitCode::SUCCESS);
    }
    for warning in preview(&ctx, new, false).warnings {
        eprintln!("vftop: warning: {warning}");
    }
    let change = RateChange::vf(key, old, new);
    println!("{}", change.ip_command());
    let (mut log, actor) = audit;
    match send(source.as_mut(), &change, &ctx.name, Reason::Operator, (&mut log, &actor))? {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(_) => Ok(ExitCode::from(1)),
    }
}

/// What a change to `key` is checked against: its limits, link, driver's rules, the PF's
/// guarantees and owner; and the driver's name.
pub fn vf_context(
    snapshot: &Snapshot,
    key: &VfKey,
    no_precheck: bool,
) -> anyhow::Result<(EditContext, String)> {
    let (pf, vf) = snapshot.vf(key).with_context(|| match snapshot.pf(&key.pf) {
        Some(p) => format!("{} has no vf {} (it lists {} VFs)", key.pf, key.vf, p.vfs.len()),
        None => {
            let pfs: Vec<&str> = snapshot.pfs.iter().map(|p| p.name.as_str()).collect();
            let listed = if pfs.is_empty() { "none".to_string() } else { pfs.join(", ") };
            format!("there is no PF {} (PFs with VFs here: {listed})", key.pf)
        }
    })?;
    let capabilities = if no_precheck { Capabilities::UNKNOWN } else { Capabilities::for_driver(&pf.driver) };
    let ctx = EditContext {
        target: vftop::model::Target::Vf(key.clone()),
        name: format!("vf {}", key.vf),
        current: vf.rate,
        link: pf.link_speed,
        capabilities,
        guarantees: vftop::metrics::contention::Guarantees::on_pf(pf, &snapshot.rate_objects),
        tx: BitsPerSec(0.0),
        owner: vf.owner.as_ref().map(|o| o.label()),
    };
    Ok((ctx, pf.driver.clone()))
}

/// Sends `change`, audits it (for `reason`) and says in words what the driver kept or why it
/// refused: the outer error is the audit log's, the inner the change's.
pub fn send(
    source: &mut dyn Source,
    change: &RateChange,
    partition: &str,
    reason: Reason,
    (log, actor): (&mut AuditLog, &Actor),
) -> anyhow::Result<Result<RateLimit, ApplyError>> {
    let result = source.apply(change);
    log.write(actor, &Attempt::new(change, partition, reason, &result))?;
    let target = change.target.label();
    let old = change.old;
    Ok(match result {
        Ok(kept) => {
            let note = if kept == change.new {
                String::new()
            } else {
                format!(" (driver kept min {} max {})", kept.min, kept.max)
            };
            println!(
                "applied: {target}: max {} -> {}, min {} -> {}{note}",
                old.max, kept.max, old.min, kept.min
            );
            Ok(kept)
        }
        Err(e) => {
            eprintln!("vftop: {target}: {e}; nothing changed");
            Err(e)
        }
    })
}
