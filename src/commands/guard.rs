//! `vftop guard` (started by the console): waits for "done" or the deadline, then reverts the
//! change if its console is gone and the VF still has the applied limit.

use std::process::ExitCode;
use std::sync::Arc;
use vftop::audit::AuditLog;
use vftop::cli::AuditArg;
use vftop::guard::Watch;
use vftop::source::SystemClock;
use vftop::source::kernel::{KernelSource, LinkFilter};

pub fn run(watch: Watch, audit: &AuditArg) -> anyhow::Result<ExitCode> {
    if vftop::guard::console_resolved(std::io::BufReader::new(std::io::stdin()), watch.deadline) {
        return Ok(ExitCode::SUCCESS);
    }
    let filter = LinkFilter { interfaces: vec![watch.key.pf.clone()], all_links: false };
    let mut source = KernelSource::open(filter, Arc::new(SystemClock::default()))?;
    let mut audit = audit.audit_log.as_deref().map(AuditLog::open).transpose()?;
    let outcome = vftop::guard::revert_if_still_applied(&mut source, &watch, audit.as_mut());
    tracing::warn!("guard for {} vf {}: {outcome:?}", watch.key.pf, watch.key.vf);
    Ok(ExitCode::SUCCESS)
}
