//! The commit-confirmed guard: a detached `vftop guard` process that reverts an unconfirmed
//! VF rate change at its deadline if the console that made it is gone (SIGKILL, OOM, a
//! crashed multiplexer). The console holds the write end of the guard's stdin; "done" disarms
//! it, end of input without "done" means the console died. The guard reverts only if the VF
//! still has the limit its console applied, so it never undoes a later change by anyone else
//! (another console, another guard, an orchestrator).

use crate::audit::{Actor, Attempt, AuditLog, Reason};
use crate::model::{RateChange, RateLimit, VfKey};
use crate::source::Source;
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long past the deadline a guard whose console is alive but silent waits before acting.
pub const GRACE: Duration = Duration::from_secs(5);
/// What a guard's revert is audited as (`reverted_by`).
pub const REVERTED_BY: &str = "guard (console gone)";

/// One unconfirmed VF change a guard protects.
#[derive(Clone, Debug, PartialEq)]
pub struct Watch {
    pub key: VfKey,
    pub partition: String,
    /// What the console applied (the driver kept), and what to go back to.
    pub applied: RateLimit,
    pub revert: RateLimit,
    pub deadline: SystemTime,
}

impl Watch {
    fn args(&self) -> Vec<String> {
        let ms = self.deadline.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        vec![
            "guard".into(),
            self.key.pf.clone(),
            self.key.vf.to_string(),
            format!("--applied={}:{}", self.applied.min.0, self.applied.max.0),
            format!("--revert={}:{}", self.revert.min.0, self.revert.max.0),
            format!("--deadline-unix-ms={ms}"),
            format!("--partition={}", self.partition),
        ]
    }
}

/// A running guard, owned by the console.
pub struct Guard {
    pub watch: Watch,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Guard {
    /// Starts `bin guard …` in its own process group (a terminal hang-up does not reach it),
    /// its output discarded, appending to `audit`.
    pub fn arm(bin: &Path, watch: Watch, audit: &Path) -> std::io::Result<Guard> {
        let mut child = Command::new(bin)
            .args(watch.args())
            .arg("--audit-log")
            .arg(audit)
            .args(["--log", "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Guard { watch, child, stdin })
    }

    /// The guard's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The console resolved the change itself (kept, or reverted): the guard exits.
    pub fn disarm(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"done\n");
        }
        let _ = self.child.wait();
    }
}

/// Reads the console's word from `input` until `deadline` (+ [`GRACE`] while the console
/// stays connected): true when it said "done" (nothing to do).
pub fn console_resolved(input: impl BufRead + Send + 'static, deadline: SystemTime) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in input.lines() {
            if line.is_ok_and(|l| l.trim() == "done") {
                let _ = tx.send(true);
                return;
            }
        }
        let _ = tx.send(false);
    });
    let until = |t: SystemTime| t.duration_since(SystemTime::now()).unwrap_or_default();
    match rx.recv_timeout(until(deadline + GRACE)) {
        Ok(true) => true,
        Ok(false) | Err(_) => {
            // The console is gone (or silent past the grace): the deadline still holds.
            std::thread::sleep(until(deadline));
            false
        }
    }
}

/// What the guard did at the deadline.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Reverted(RateLimit),
    /// The VF no longer has the limit the console applied: someone changed it since.
    LeftAlone(RateLimit),
    Failed(String),
}

/// Reverts `watch` on `source` if the VF still has the applied limit; audits what it did.
pub fn revert_if_still_applied(
    source: &mut dyn Source,
    watch: &Watch,
    audit: Option<&mut AuditLog>,
) -> Outcome {
    let current = match source.sample() {
        Ok(s) => s.vf(&watch.key).map(|(_, vf)| vf.rate),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let Some(current) = current else {
        return Outcome::Failed(format!("{} vf {} is gone", watch.key.pf, watch.key.vf));
    };
    if current != watch.applied {
        return Outcome::LeftAlone(current);
    }
    let change = RateChange::vf(watch.key.clone(), watch.applied, watch.revert);
    let result = source.apply(&change);
    if let Some(log) = audit {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let attempt = Attempt::new(&change, &watch.partition, Reason::Exit(REVERTED_BY), &result);
        if let Err(e) = log.write(&Actor::current(host.trim()), &attempt) {
            tracing::error!("guard: audit record not written: {e}");
        }
    }
    match result {
        Ok(kept) => Outcome::Reverted(kept),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// A text that is not a limit `min:max` in Mbit/s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("'{0}' is not MIN:MAX")]
    NoColon(String),
    #[error("'{0}' is not MIN:MAX in Mbit/s")]
    NotMbps(String),
}

/// `min:max` in Mbit/s.
pub fn parse_limit(text: &str) -> Result<RateLimit, LimitError> {
    let (min, max) = text.split_once(':').ok_or_else(|| LimitError::NoColon(text.to_string()))?;
    let n = |s: &str| s.parse::<u32>().map_err(|_| LimitError::NotMbps(text.to_string()));
    Ok(RateLimit::new(n(min)?, n(max)?))
}

/// Stops the guard `pid` (it exits without reverting) if it is still a `vftop guard` — not a
/// process that reused its pid since; whether it was.
pub fn stop(pid: u32) -> bool {
    let is_guard = std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| c.split(|b| *b == 0).nth(1).is_some_and(|arg| arg == b"guard"));
    let Ok(raw) = i32::try_from(pid) else { return false };
    is_guard
        && nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), nix::sys::signal::Signal::SIGTERM).is_ok()
}

/// Where the console's guard binary is (this executable).
pub fn own_binary() -> Option<PathBuf> {
    std::env::current_exe().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sim::SimSource;
    use crate::source::sim::scenario::Scenario;
    use crate::source::{FakeClock, Source};
    use std::sync::Arc;

    fn watch(applied: RateLimit) -> Watch {
        Watch {
            key: VfKey { pf: "ens1f0".into(), vf: 1 },
            partition: "Backup".into(),
            applied,
            revert: RateLimit::new(0, 2000),
            deadline: SystemTime::now(),
        }
    }

    #[test]
    fn reverts_only_what_its_console_applied() {
        let clock = FakeClock::default();
        let mut sim = SimSource::new(Scenario::reference(), Arc::new(clock.clone()));
        let key = VfKey { pf: "ens1f0".into(), vf: 1 };
        sim.apply(&RateChange::vf(key.clone(), RateLimit::new(0, 2000), RateLimit::new(0, 300))).unwrap();
        // Someone else changed it since: left alone.
        assert_eq!(
            revert_if_still_applied(&mut sim, &watch(RateLimit::new(0, 500)), None),
            Outcome::LeftAlone(RateLimit::new(0, 300))
        );
        assert_eq!(
            revert_if_still_applied(&mut sim, &watch(RateLimit::new(0, 300)), None),
            Outcome::Reverted(RateLimit::new(0, 2000))
        );
        assert_eq!(sim.sample().unwrap().vf(&key).unwrap().1.rate, RateLimit::new(0, 2000));
    }

    #[test]
    fn done_disarms_and_end_of_input_waits_for_the_deadline() {
        let later = SystemTime::now() + Duration::from_millis(300);
        assert!(console_resolved(std::io::Cursor::new(b"done\n".to_vec()), later));
        let start = std::time::Instant::now();
        assert!(!console_resolved(std::io::Cursor::new(Vec::new()), later), "end of input: the console died");
        assert!(start.elapsed() >= Duration::from_millis(250), "and the guard waited for the deadline");
        assert_eq!(parse_limit("0:300"), Ok(RateLimit::new(0, 300)));
        assert!(parse_limit("300").is_err());
    }
}
