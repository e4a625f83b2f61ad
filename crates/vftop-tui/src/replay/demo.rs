//! A recording of the simulated NIC made in moments with a fake clock, for `replay --demo`,
//! `dump --demo`, benches and tests: real store, real frames, an operator's audited change.

use crate::audit::{Actor, Attempt, AuditLog, Reason, record};
use crate::model::{RateChange, RateLimit, VfKey};
use crate::record::Recorder;
use crate::record::store::{Retention, StoreError};
use crate::source::sim::SimSource;
use crate::source::sim::scenario::Scenario;
use crate::source::{FakeClock, Source};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What to build.
pub struct DemoRecording {
    pub scenario: Scenario,
    /// Sample times: `samples` of them, `interval` apart, the last at `end_ms`.
    pub end_ms: i64,
    pub samples: u64,
    pub interval: Duration,
    /// At this sample, the operator halves one partition's max (an audited change).
    pub change_at: Option<u64>,
}

impl DemoRecording {
    /// The reference demo: `span` of 1 s samples ending now, a change two thirds in.
    pub fn reference(span: Duration) -> DemoRecording {
        let samples = span.as_secs().max(2);
        DemoRecording {
            scenario: Scenario::reference(),
            end_ms: crate::times::now_ms(),
            samples,
            interval: Duration::from_secs(1),
            change_at: Some(samples * 2 / 3),
        }
    }

    /// Writes it into `dir` (which must not hold another recording's shards for these times).
    pub fn build(self, dir: &Path) -> Result<u64, StoreError> {
        let clock = FakeClock::default();
        let mut source = SimSource::new(self.scenario, Arc::new(clock.clone()));
        let audit_path = dir.join("demo-audit.log");
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        let retention = Retention { max_age: Duration::from_secs(400 * 86400), max_bytes: u64::MAX };
        let mut recorder = Recorder::open(dir, retention, source.roles(), Some(audit_path.clone()))?;
        let step_ms = self.interval.as_millis() as i64;
        let start_ms = self.end_ms - step_ms * (self.samples as i64 - 1);
        for i in 0..self.samples {
            clock.advance(self.interval);
            let at_ms = start_ms + step_ms * i as i64;
            if self.change_at == Some(i) {
                operator_change(&mut source, &audit_path, at_ms);
            }
            if let Ok(snapshot) = source.sample() {
                recorder.record(at_ms, &snapshot);
            }
        }
        let written = recorder.written;
        recorder.close()?;
        Ok(written)
    }
}

/// "alice" halves the max of the busiest capped partition of the first PF, as the console
/// would: applied, then audited.
fn operator_change(source: &mut SimSource, audit_path: &Path, at_ms: i64) {
    let Ok(snapshot) = source.sample() else { return };
    let roles = source.roles();
    let Some((pf, vf)) = snapshot
        .pfs
        .first()
        .and_then(|pf| pf.vfs.iter().find(|v| !v.rate.max.is_unlimited()).map(|v| (pf, v)))
    else {
        return;
    };
    let key = VfKey { pf: pf.name.clone(), vf: vf.index };
    let new = RateLimit {
        min: vf.rate.min.min(crate::model::Mbps(vf.rate.max.0 / 2)),
        max: crate::model::Mbps(vf.rate.max.0 / 2),
    };
    let change = RateChange::vf(key.clone(), vf.rate, new);
    let outcome = source.apply(&change).map_err(|e| e.to_string());
    let partition = roles.resolve(&key, vf.vlan).map(|r| r.name.clone()).unwrap_or_default();
    let actor = Actor { user: "alice".into(), sudo_user: None, host: "demo".into() };
    let attempt = Attempt {
        change: &change,
        partition: &partition,
        reason: Reason::Operator,
        outcome,
        confirm_within_secs: None,
    };
    let at = std::time::UNIX_EPOCH + Duration::from_millis(at_ms.max(0) as u64);
    if let Ok(mut log) = AuditLog::open(audit_path) {
        let _ = log.append(&record(&actor, at, &attempt));
    }
}
