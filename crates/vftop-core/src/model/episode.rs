//! Episodes, domain data: a stretch of time a partition or PF was in trouble (starved, pinned
//! at its cap, saturated, oversubscribed, down), with its numbers and context. Found by
//! `metrics::episodes`; journaled as events, reported by `vftop report`.

use super::VfKey;
use serde::{Deserialize, Serialize};

/// Changes this long before an episode's start are its context (ms).
pub const CONTEXT_BEFORE: i64 = 5 * 60_000;

/// What kind of trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpisodeKind {
    /// Below its guarantee and dropping on a saturated link.
    Starved,
    /// Sending at its cap and dropping.
    Pinned,
    /// The PF's link saturated.
    Saturated,
    /// The guarantees on the PF add up to more than its link.
    Oversubscribed,
    /// The VF's link state set to disable.
    VfDown,
    /// The PF's link down.
    PfDown,
}

impl EpisodeKind {
    pub const ALL: [EpisodeKind; 6] = [
        EpisodeKind::Starved,
        EpisodeKind::Pinned,
        EpisodeKind::Saturated,
        EpisodeKind::Oversubscribed,
        EpisodeKind::VfDown,
        EpisodeKind::PfDown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EpisodeKind::Starved => "starved",
            EpisodeKind::Pinned => "pinned at its cap",
            EpisodeKind::Saturated => "link saturated",
            EpisodeKind::Oversubscribed => "guarantees oversubscribed",
            EpisodeKind::VfDown => "VF down",
            EpisodeKind::PfDown => "PF link down",
        }
    }

    /// The exporter's and JSON's name.
    pub fn name(self) -> &'static str {
        match self {
            EpisodeKind::Starved => "starved",
            EpisodeKind::Pinned => "pinned",
            EpisodeKind::Saturated => "saturated",
            EpisodeKind::Oversubscribed => "oversubscribed",
            EpisodeKind::VfDown => "vf-down",
            EpisodeKind::PfDown => "pf-down",
        }
    }

    /// What its worst and mean measure.
    pub fn measure(self) -> &'static str {
        match self {
            EpisodeKind::Starved => "Mbit/s short of its guarantee",
            EpisodeKind::Pinned => "drops/s",
            EpisodeKind::Saturated => "% of the link used",
            EpisodeKind::Oversubscribed => "% of the link guaranteed",
            EpisodeKind::VfDown | EpisodeKind::PfDown => "samples down",
        }
    }

    /// A VF's kind (else the PF's).
    pub fn of_vf(self) -> bool {
        matches!(self, EpisodeKind::Starved | EpisodeKind::Pinned | EpisodeKind::VfDown)
    }
}

/// One episode, over or still going.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub kind: EpisodeKind,
    pub pf: String,
    pub vf: Option<u32>,
    pub partition: Option<String>,
    pub owner: Option<String>,
    pub start_ms: i64,
    /// The last sample the condition held in (`None`: still going).
    pub end_ms: Option<i64>,
    pub worst: f64,
    pub mean: f64,
    pub samples: u64,
    /// The partitions that took most of the link during it, with their mean share (0..1).
    pub top: Vec<(String, f64)>,
    /// Limit changes from [`CONTEXT_BEFORE`] before its start to its end: time and label.
    pub changes: Vec<(i64, String)>,
}

impl Episode {
    /// How long it lasted (to `now_ms` while it goes on), ms.
    pub fn duration_ms(&self, now_ms: i64) -> i64 {
        self.end_ms.unwrap_or(now_ms).saturating_sub(self.start_ms)
    }

    pub fn key(&self) -> Option<VfKey> {
        self.vf.map(|vf| VfKey { pf: self.pf.clone(), vf })
    }

    /// Who it concerns: `NFS (ens1f0 vf 3)`, or the PF.
    pub fn subject(&self) -> String {
        match (self.vf, &self.partition) {
            (Some(vf), Some(name)) => format!("{name} ({} vf {vf})", self.pf),
            (Some(vf), None) => format!("{} vf {vf}", self.pf),
            (None, _) => self.pf.clone(),
        }
    }

    /// `starved 4m10s, worst 1200 Mbit/s short of its guarantee (mean 800)`.
    pub fn summary(&self, now_ms: i64) -> String {
        let span = crate::times::format_span_ms(self.duration_ms(now_ms));
        let going = if self.end_ms.is_none() { ", still going" } else { "" };
        format!(
            "{} {span}{going}, worst {:.0} {} (mean {:.0})",
            self.kind.label(),
            self.worst,
            self.kind.measure(),
            self.mean
        )
    }
}
