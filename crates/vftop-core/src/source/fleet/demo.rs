//! `vftop fleet --demo`: simulated hosts read in-process as if through Prometheus.

use super::{fleet_pf, ssh_command};
use crate::model::{FleetView, RateChange, RateLimit, Snapshot};
use crate::source;
use crate::source::{ApplyError, SampleError, Source, SourceKind};

/// `vftop fleet --demo`: three simulated hosts (the reference design, each with its own
/// seed), read in-process as if through Prometheus: PFs named `HOST/PF`, read-only.
pub struct DemoFleet {
    hosts: Vec<(String, source::sim::SimSource)>,
    /// The host drilled into, or all of them.
    host: Option<String>,
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
        DemoFleet { hosts, host: None }
    }
}

impl Source for DemoFleet {
    fn kind(&self) -> SourceKind {
        SourceKind::Fleet
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        let mut out = Snapshot::default();
        let mut view =
            FleetView { host: self.host.clone(), hosts: self.hosts.len() as u32, ..FleetView::default() };
        for (host, sim) in &mut self.hosts {
            // Every simulated host runs on, shown or not.
            let snapshot = sim.sample()?;
            out.taken_at = snapshot.taken_at;
            view.hosts_up += 1;
            view.pfs += snapshot.pfs.len() as u32;
            view.vfs += snapshot.pfs.iter().map(|pf| pf.num_vfs).sum::<u32>();
            if self.host.as_ref().is_none_or(|h| h == host) {
                out.pfs.extend(snapshot.pfs.iter().map(|pf| fleet_pf(host, pf)));
            }
        }
        view.newest_age = Some(std::time::Duration::ZERO);
        out.fleet = Some(view);
        Ok(out)
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        Err(ApplyError::Invalid(format!("the fleet view is read-only: {}", ssh_command(change))))
    }

    fn show_host(&mut self, host: Option<&str>) {
        self.host = host.map(str::to_string);
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
