//! The thread protocol between a console and what feeds it (the live sampler, the replayer):
//! one enum each way, and both sides answer every variant (no `_ =>`), so a new one cannot be
//! ignored by accident.

use crate::app::ApplyRequest;
use crate::audit::AuditError;
use crate::model::{RateLimit, Snapshot};
use crate::source::{ApplyError, PastWanted};
use std::time::Duration;

/// What the sampler reports.
#[derive(Debug)]
pub enum SourceEvent {
    Snapshot(Snapshot),
    SampleFailed(String),
    /// A change was answered; the last field says whether its audit record is on disk.
    Applied(ApplyRequest, Result<RateLimit, ApplyError>, Result<(), AuditError>),
    /// Replay: where the cursor is, and the recorded samples of the window ending there.
    Replay(crate::app::timeline::ReplayCursor, Vec<Snapshot>),
    /// Something the operator should read (a seek that could not be done).
    Notice(String),
    /// The readings before now of what the source shows now (the fleet, after a drill-down
    /// or back): the chart starts again from them.
    Past(Vec<Snapshot>),
}

/// What the sampler can be asked to do.
#[derive(Debug)]
pub enum Command {
    SetInterval(Duration),
    Apply(ApplyRequest),
    /// Append an audit record for a decision that sends nothing (a kept change).
    Audit(ApplyRequest),
    /// Sample now (a link appeared, vanished or changed).
    SampleNow,
    /// The fleet: show one host whole, or (`None`) the overview again, and send the chart's
    /// past of what it then shows.
    ShowHost(Option<String>, PastWanted),
    /// Replay: move the time cursor (or the window).
    Seek(crate::app::Seek),
    Stop,
}
