//! Where snapshots come from and where rate changes go: the kernel, the simulated NIC, a clock.

pub mod fleet;
pub mod kernel;
pub mod owners;
pub mod sim;

use crate::model::{RateChange, RateLimit, RoleMap, Snapshot};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Which kind of source feeds the dashboard (shown in the header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Demo,
    Kernel,
    Replay,
    Fleet,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Demo => "demo",
            SourceKind::Kernel => "kernel",
            SourceKind::Replay => "replay",
            SourceKind::Fleet => "fleet",
        }
    }
}

/// A reading failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("netlink: {0}")]
    Netlink(String),
    #[error("{0}")]
    Other(String),
}

/// A rate change was refused; the message says why in words. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("refused before sending: {0}")]
    Invalid(String),
    #[error("permission denied: changing VF rates needs CAP_NET_ADMIN (run as root or grant the capability)")]
    PermissionDenied,
    #[error("the {driver} driver cannot rate-limit VFs this way (EOPNOTSUPP){}", detail(.extack))]
    NotSupported { driver: String, extack: Option<String> },
    #[error("the kernel rejected the rate (EINVAL): {reason}")]
    KernelInvalid { reason: String },
    #[error("{what} no longer exists (it vanished while the change was prepared)")]
    Vanished { what: String },
    #[error("the device stayed busy after {attempts} attempts ({errno})")]
    Busy { attempts: u32, errno: String },
    #[error("the kernel refused the change: {message}")]
    Kernel { message: String },
    /// A refusal with what the driver wrote to the kernel log during the call.
    #[error("{error}; kernel log: {}", quoted(.lines))]
    Logged { error: Box<ApplyError>, lines: Vec<String> },
}

fn quoted(lines: &[String]) -> String {
    lines.iter().map(|l| format!("«{l}»")).collect::<Vec<_>>().join(" ")
}

impl ApplyError {
    /// This refusal with the kernel log lines written while it was made (none: as it is).
    pub fn with_log(self, lines: Vec<String>) -> ApplyError {
        if lines.is_empty() { self } else { ApplyError::Logged { error: Box::new(self), lines } }
    }

    /// The refusal itself, without its kernel log lines.
    pub fn cause(&self) -> &ApplyError {
        match self {
            ApplyError::Logged { error, .. } => error.cause(),
            other => other,
        }
    }
}

fn detail(extack: &Option<String>) -> String {
    extack.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
}

/// A source of snapshots that can also apply rate changes.
pub trait Source: Send {
    fn kind(&self) -> SourceKind;
    /// Takes one reading of every PF/VF.
    fn sample(&mut self) -> Result<Snapshot, SampleError>;
    /// Applies a change (both min and max) and returns the limit read back afterwards.
    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError>;
    /// Roles the source itself knows (the simulator's partition names).
    fn roles(&self) -> RoleMap {
        RoleMap::default()
    }
    /// The fleet: show one host whole (`Some`), or the overview of all (`None`).
    fn show_host(&mut self, _host: Option<&str>) {}
    /// Readings from before the console started, oldest first, `step` apart and reaching
    /// `span` back (where the source keeps history: the fleet's Prometheus), so the chart
    /// does not start empty.
    fn history(&mut self, _span: Duration, _step: Duration) -> Vec<Snapshot> {
        Vec::new()
    }
}

/// How much of the past a chart wants: `span` back, a point every `step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastWanted {
    pub span: Duration,
    pub step: Duration,
}

/// A monotonic clock, real or fake.
pub trait Clock: Send + Sync {
    fn now(&self) -> Duration;
}

/// Monotonic time since the clock was made (plus where it started).
pub struct SystemClock(Instant, Duration);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now(), Duration::ZERO)
    }
}

impl SystemClock {
    /// A clock that reads `start` when made, so readings from before it have times too.
    pub fn starting_at(start: Duration) -> SystemClock {
        SystemClock(Instant::now(), start)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed() + self.1
    }
}

/// A clock that only moves when told to: for tests and reproducible renders.
#[derive(Clone, Default)]
pub struct FakeClock(Arc<AtomicU64>);

impl FakeClock {
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}
