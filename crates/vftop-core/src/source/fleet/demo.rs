//! `vftop fleet --demo`: simulated hosts read in-process as if through Prometheus.

use super::{fleet_pf, host_of_pf, ssh_command};
use crate::model::{FleetView, RateChange, RateLimit, Snapshot};
use crate::source;
use crate::source::{ApplyError, SampleError, Source, SourceKind};
use std::collections::VecDeque;
use std::time::Duration;

/// How far back the demo fleet keeps every host's samples, as Prometheus would.
const KEPT: Duration = Duration::from_secs(3600);

/// `vftop fleet --demo`: three simulated hosts (the reference design, each with its own
/// seed), read in-process as if through Prometheus: PFs named `HOST/PF`, read-only.
pub struct DemoFleet {
    hosts: Vec<(String, source::sim::SimSource)>,
    /// The host drilled into, or all of them.
    host: Option<String>,
    /// Every host's samples over the last [`KEPT`], oldest first, as the chart's history.
    past: VecDeque<Snapshot>,
}

impl DemoFleet {
    pub fn new(clock: std::sync::Arc<dyn source::Clock>) -> DemoFleet {
        let hosts = ["demo-a", "demo-b", "demo-c"]
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let mut scenario = source::sim::scenario::Scenario::reference();
                scenario.seed += i as u64 * 101;
                (host.to_string(), source::sim::SimSource::new(scenario, clock.clone()))
            })
            .collect();
        DemoFleet { hosts, host: None, past: VecDeque::new() }
    }
}

impl DemoFleet {
    /// The PFs of `all` the console shows: the host drilled into, or every host's.
    fn shown(&self, all: &Snapshot) -> Snapshot {
        let wanted = |name: &str| self.host.is_none() || host_of_pf(name) == self.host.as_deref();
        let pfs = all.pfs.iter().filter(|pf| wanted(&pf.name)).cloned().collect();
        Snapshot { taken_at: all.taken_at, pfs, ..Snapshot::default() }
    }
}

impl Source for DemoFleet {
    fn kind(&self) -> SourceKind {
        SourceKind::Fleet
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let mut all = Snapshot::default();
        let mut view =
            FleetView { host: self.host.clone(), hosts: self.hosts.len() as u32, ..FleetView::default() };
        for (host, sim) in &mut self.hosts {
            // Every simulated host runs on, shown or not.
            let snapshot = sim.sample()?;
            all.taken_at = snapshot.taken_at;
            view.hosts_up += 1;
            view.pfs += snapshot.pfs.len() as u32;
            view.vfs += snapshot.pfs.iter().map(|pf| pf.num_vfs).sum::<u32>();
            all.pfs.extend(snapshot.pfs.iter().map(|pf| fleet_pf(host, pf)));
        }
        view.newest_age = Some(Duration::ZERO);
        let mut out = self.shown(&all);
        out.fleet = Some(view);
        self.past.push_back(all);
        while self.past.front().is_some_and(|s| out.taken_at.saturating_sub(s.taken_at) > KEPT) {
            self.past.pop_front();
        }
        Ok(out)
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        Err(ApplyError::Invalid(format!("the fleet view is read-only: {}", ssh_command(change))))
    }

    fn show_host(&mut self, host: Option<&str>) {
        self.host = host.map(str::to_string);
    }

    /// What is shown now over the last `span`, a sample every `step` (the latest one is the
    /// live sample's, so it is left out).
    fn history(&mut self, span: Duration, step: Duration) -> Vec<Snapshot> {
        let Some(newest) = self.past.back().map(|s| s.taken_at) else { return Vec::new() };
        let mut out: Vec<Snapshot> = Vec::new();
        for s in self.past.iter().filter(|s| newest.saturating_sub(s.taken_at) <= span && s.taken_at < newest)
        {
            if out.last().is_none_or(|last| s.taken_at >= last.taken_at + step) {
                out.push(self.shown(s));
            }
        }
        out
    }

    fn roles(&self) -> crate::model::RoleMap {
        let mut roles = crate::model::RoleMap::default();
        for (host, sim) in &self.hosts {
            for (key, role) in sim.roles().by_vf {
                let key = crate::model::VfKey { pf: format!("{host}/{}", key.pf), vf: key.vf };
                roles.by_vf.insert(key, role);
            }
        }
        roles
    }
}
