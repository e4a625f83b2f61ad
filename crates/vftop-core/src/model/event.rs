//! Events, domain data: something that happened to a partition at a time — a rate change
//! (with who), a limit changed from outside, a VF appearing or vanishing, a counter reset, a
//! recorder starting. The recorder journals them, replay shows them, dump prints them.

use super::{RateLimit, VfKey};
use serde::{Deserialize, Serialize};

/// Something that happened to a partition, at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub pf: String,
    pub vf: Option<u32>,
    #[serde(default)]
    pub partition: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// A change vftop made (from the audit log): who, why, from what to what, and the outcome.
    RateChange {
        who: String,
        reason: String,
        old: RateLimit,
        new: RateLimit,
        outcome: String,
        /// Made on another process's simulator (a `vftop --demo` console beside a `vftop record
        /// --demo`): this recording's own simulator kept its limits.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        elsewhere: bool,
    },
    /// A limit changed and no vftop audit record says who changed it.
    ExternalChange {
        old: RateLimit,
        new: RateLimit,
    },
    Appeared,
    Vanished,
    CounterReset,
    /// The PF's link went down or came up (carrier, operational state).
    PfLink {
        up: bool,
        oper: String,
    },
    /// The PF driver wrote a line about a VF (or the PF) to the kernel log: what it means,
    /// and the line.
    Kernel {
        what: String,
        line: String,
    },
    /// Whose the VF is changed (labels: `vm web-03`; `None`: no owner found).
    OwnerChanged {
        old: Option<String>,
        new: Option<String>,
    },
    /// An episode began: its condition held two samples in a row.
    EpisodeStarted {
        episode: super::episode::EpisodeKind,
    },
    /// An episode ended (its condition off for 10 s): the whole of it.
    Episode {
        episode: Box<super::episode::Episode>,
    },
    /// A recorder started writing to the store (its first sample has no rate: there is a gap
    /// before it, or nothing).
    RecorderStarted,
}

/// Whether a recorder started in `(since, at]` (ms): the sample at `at` is the first of its run,
/// and the one before it (at `since`) is from before the restart — no rate across that gap.
pub fn recorder_restarted(events: &[Event], since: i64, at: i64) -> bool {
    events.iter().any(|e| e.kind == EventKind::RecorderStarted && e.at_ms > since && e.at_ms <= at)
}

impl Event {
    /// A short label for markers and lists: `max 2G → 1G by alice`.
    pub fn label(&self) -> String {
        let limits = |old: &RateLimit, new: &RateLimit| {
            let mut parts = Vec::new();
            if old.max != new.max {
                parts.push(format!("max {} → {}", old.max, new.max));
            }
            if old.min != new.min {
                parts.push(format!("min {} → {}", old.min, new.min));
            }
            if parts.is_empty() { "limits unchanged".to_string() } else { parts.join(", ") }
        };
        match &self.kind {
            EventKind::RateChange { who, reason, old, new, outcome, elsewhere } => {
                let by =
                    if reason == "operator" { format!("by {who}") } else { format!("by {who} ({reason})") };
                let refused = if outcome == "refused" { " REFUSED" } else { "" };
                let place = if *elsewhere {
                    " on another vftop --demo's simulator, not this recording's"
                } else {
                    ""
                };
                format!("{}{refused} {by}{place}", limits(old, new))
            }
            EventKind::ExternalChange { old, new } => format!("{} (outside vftop)", limits(old, new)),
            EventKind::Appeared => "appeared".into(),
            EventKind::Vanished => "vanished".into(),
            EventKind::CounterReset => "counters reset".into(),
            EventKind::PfLink { up: true, oper } => format!("PF link up ({oper})"),
            EventKind::PfLink { up: false, oper } => format!("PF link DOWN ({oper})"),
            EventKind::Kernel { what, .. } => format!("driver: {what}"),
            EventKind::OwnerChanged { old, new } => {
                let none = || "no owner".to_string();
                format!("owner {} → {}", old.clone().unwrap_or_else(none), new.clone().unwrap_or_else(none))
            }
            EventKind::EpisodeStarted { episode } => format!("{} began", episode.label()),
            EventKind::Episode { episode } => format!(
                "{} from {} to {}",
                episode.summary(self.at_ms),
                crate::times::format_time_of_day(episode.start_ms),
                episode.end_ms.map_or("now".into(), crate::times::format_time_of_day)
            ),
            EventKind::RecorderStarted => "recorder started (a gap before: no rate for this sample)".into(),
        }
    }

    /// Who it concerns: `NFS (ens1f0 vf 3)`, or the PF (the recorder for its own events).
    pub fn subject(&self) -> String {
        match (self.vf, &self.partition) {
            _ if self.kind == EventKind::RecorderStarted => "recorder".into(),
            (Some(vf), Some(name)) => format!("{name} ({} vf {vf})", self.pf),
            (Some(vf), None) => format!("{} vf {vf}", self.pf),
            (None, _) => self.pf.clone(),
        }
    }

    pub fn key(&self) -> Option<VfKey> {
        self.vf.map(|vf| VfKey { pf: self.pf.clone(), vf })
    }

    /// Where a jump to it lands: an episode's start, else its own time.
    pub fn jump_ms(&self) -> i64 {
        match &self.kind {
            EventKind::Episode { episode } => episode.start_ms,
            _ => self.at_ms,
        }
    }

    /// The span it covers on a timeline (an ended episode), if any.
    pub fn span_ms(&self) -> Option<(i64, i64)> {
        match &self.kind {
            EventKind::Episode { episode } => Some((episode.start_ms, episode.end_ms.unwrap_or(self.at_ms))),
            _ => None,
        }
    }
}
