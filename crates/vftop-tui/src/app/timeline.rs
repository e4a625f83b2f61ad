//! A replay's time cursor as the replayer reports it, and what the console keeps of it.

use crate::model::event::Event;
use std::time::Duration;

/// Where the replayer put the cursor, and what it knows of the recording.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayCursor {
    /// The sample the console shows (ms since the epoch).
    pub at_ms: i64,
    pub first_ms: i64,
    pub last_ms: i64,
    /// The recording's usual step between samples here.
    pub interval: Duration,
    /// Every event of the recording, oldest first.
    pub events: Vec<Event>,
    /// Damage stepped over while reading this window.
    pub warnings: Vec<String>,
}

/// The replay console's state (`App::replay`); its go-to prompt and events panel are overlays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    pub cursor: Option<ReplayCursor>,
}
