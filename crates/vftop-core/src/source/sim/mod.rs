//! The simulated SR-IOV NIC: the embedded default source (`vftop --demo`).

pub mod nic;
pub mod profile;
pub mod scenario;

use super::{ApplyError, Clock, SampleError, Source, SourceKind};
use crate::model::owner::{OwnerKind, SocketUse, Transport};
use crate::model::{
    CounterOrigin, Counters, DevlinkObject, DevlinkRef, DriverStat, MacAddr, Mbps, OperState, Pf, PfLink,
    RateChange, RateLimit, RateObject, Role, RoleMap, Snapshot, Target, Vf, VfKey, VfLinkState,
};
use nic::{Claim, GroupClaim, share_tree};
use profile::DemandGenerator;
use scenario::{EventSpec, PartitionSpec, PfSpec, Scenario};
use std::sync::Arc;
use std::time::Duration;

/// Simulation step: demand and allocation are evaluated this often.
const TICK: Duration = Duration::from_millis(100);
/// The longest gap the simulator replays step by step; longer gaps are skipped.
const MAX_CATCH_UP: Duration = Duration::from_secs(3600);

/// Fractional counter accumulators of one simulated function.
#[derive(Default, Clone, Copy)]
struct Accumulated {
    tx_bytes: f64,
    rx_bytes: f64,
    tx_packets: f64,
    rx_packets: f64,
    tx_dropped: f64,
}

struct SimPartition {
    spec: PartitionSpec,
    limit: RateLimit,
    demand: DemandGenerator,
    acc: Accumulated,
}

/// A rate group (devlink node) of partitions.
struct SimGroup {
    name: String,
    limit: RateLimit,
    members: Vec<usize>,
}

struct SimPf {
    name: String,
    driver: String,
    link: Mbps,
    partitions: Vec<SimPartition>,
    groups: Vec<SimGroup>,
    /// External limit changes still to happen: (time, partition index, event), soonest last.
    events: Vec<(Duration, usize, EventSpec)>,
}

/// A simulated NIC driven by a scenario and a clock; deterministic for a given seed.
pub struct SimSource {
    pfs: Vec<SimPf>,
    clock: Arc<dyn Clock>,
    sim_time: Duration,
    /// When the simulation started (scenario events count from here).
    start: Duration,
}

impl SimSource {
    pub fn new(scenario: Scenario, clock: Arc<dyn Clock>) -> Self {
        let seed = scenario.seed;
        let pfs = scenario
            .pfs
            .into_iter()
            .enumerate()
            .map(|(pi, pf)| SimPf {
                events: pending_events(&pf),
                groups: pf
                    .groups
                    .iter()
                    .map(|g| SimGroup {
                        name: g.name.clone(),
                        limit: RateLimit { min: g.min, max: g.max },
                        members: pf.member_indices(g),
                    })
                    .collect(),
                name: pf.name,
                driver: pf.driver,
                link: pf.link_speed,
                partitions: pf
                    .partitions
                    .into_iter()
                    .enumerate()
                    .map(|(vi, spec)| SimPartition {
                        limit: RateLimit { min: spec.min, max: spec.max },
                        demand: DemandGenerator::new(
                            spec.demand.clone(),
                            seed ^ ((pi as u64) << 32 | vi as u64),
                        ),
                        acc: Accumulated::default(),
                        spec,
                    })
                    .collect(),
            })
            .collect();
        let now = clock.now();
        SimSource { pfs, clock, sim_time: now, start: now }
    }

    /// Advances the model to the clock's current time.
    fn catch_up(&mut self) {
        let now = self.clock.now();
        if now.saturating_sub(self.sim_time) > MAX_CATCH_UP {
            self.sim_time = now - MAX_CATCH_UP;
        }
        while self.sim_time + TICK <= now {
            self.sim_time += TICK;
            let t = self.sim_time.as_secs_f64();
            for pf in &mut self.pfs {
                apply_due_events(pf, self.sim_time - self.start);
                step_pf(pf, t, TICK.as_secs_f64());
            }
        }
    }

    /// The limit a change targets (a partition's VF rate, a leaf's — the same — or a group's)
    /// and the link speed of its PF.
    fn limit_of(&mut self, target: &Target) -> Option<(&mut RateLimit, Mbps)> {
        let (pf_name, object) = match target {
            Target::Vf(key) => (key.pf.as_str(), DevlinkObject::Leaf(key.vf)),
            Target::Devlink(d) => (d.device.strip_prefix(SIM_DEVICE_PREFIX)?, d.object.clone()),
        };
        let pf = self.pfs.iter_mut().find(|p| p.name == pf_name)?;
        let link = pf.link;
        let limit = match object {
            DevlinkObject::Leaf(vf) => &mut pf.partitions.get_mut(vf as usize)?.limit,
            DevlinkObject::Node(name) => &mut pf.groups.iter_mut().find(|g| g.name == name)?.limit,
        };
        Some((limit, link))
    }
}

fn step_pf(pf: &mut SimPf, t: f64, dt: f64) {
    let link = pf.link.as_bits_per_sec().0;
    let claims: Vec<Claim> = pf
        .partitions
        .iter_mut()
        .map(|p| Claim {
            demand: p.demand.demand_bps(t, dt),
            min: p.limit.min.as_bits_per_sec().0,
            max: p.limit.max.as_bits_per_sec().0,
        })
        .collect();
    let groups: Vec<GroupClaim> = pf
        .groups
        .iter()
        .map(|g| GroupClaim {
            min: g.limit.min.as_bits_per_sec().0,
            max: g.limit.max.as_bits_per_sec().0,
            members: g.members.clone(),
        })
        .collect();
    let alloc = share_tree(link, &claims, &groups);
    for ((p, claim), sent_bps) in pf.partitions.iter_mut().zip(&claims).zip(alloc) {
        let size = f64::from(p.spec.packet_size.max(64));
        let tx_bytes = sent_bps * dt / 8.0;
        let rx_bytes = tx_bytes * p.spec.rx_ratio;
        let dropped_bytes = (claim.demand - sent_bps).max(0.0) * dt / 8.0;
        p.acc.tx_bytes += tx_bytes;
        p.acc.rx_bytes += rx_bytes;
        p.acc.tx_packets += tx_bytes / size;
        p.acc.rx_packets += rx_bytes / size;
        p.acc.tx_dropped += dropped_bytes / size;
    }
}

/// The simulated devlink device of a PF is `sim/<pf>`; its leaves are numbered by VF.
const SIM_DEVICE_PREFIX: &str = "sim/";

/// The devlink-style rate tree of a PF with groups: a node per group, a leaf per partition.
fn rate_objects_of(pf: &SimPf) -> Vec<RateObject> {
    if pf.groups.is_empty() {
        return Vec::new();
    }
    let device = format!("{SIM_DEVICE_PREFIX}{}", pf.name);
    let nodes = pf.groups.iter().map(|g| RateObject {
        target: DevlinkRef { device: device.clone(), object: DevlinkObject::Node(g.name.clone()) },
        name: g.name.clone(),
        limit: g.limit,
        parent: None,
        vf: None,
        scheduling: Default::default(),
    });
    let leaves = pf.partitions.iter().enumerate().map(|(i, p)| RateObject {
        target: DevlinkRef { device: device.clone(), object: DevlinkObject::Leaf(i as u32) },
        name: format!("vf {i} {}", p.spec.name),
        limit: p.limit,
        parent: pf.groups.iter().find(|g| g.members.contains(&i)).map(|g| g.name.clone()),
        vf: Some(VfKey { pf: pf.name.clone(), vf: i as u32 }),
        scheduling: Default::default(),
    });
    nodes.chain(leaves).collect()
}

fn counters_of(acc: &Accumulated) -> Counters {
    Counters {
        rx_bytes: acc.rx_bytes as u64,
        tx_bytes: acc.tx_bytes as u64,
        rx_packets: acc.rx_packets as u64,
        tx_packets: acc.tx_packets as u64,
        rx_dropped: 0,
        tx_dropped: acc.tx_dropped as u64,
        broadcast: (acc.rx_packets / 5000.0) as u64,
        multicast: (acc.rx_packets / 2000.0) as u64,
        // The simulated PF driver counts transmit errors per VF (as Intel's out-of-tree
        // drivers do in sysfs); the simulated NIC makes none.
        tx_errors: Some(0),
        origin: CounterOrigin::Sim,
        held: false,
    }
}

/// A simulated VF's PCI address: its PF's bus, functions from device 2 on, as real PFs
/// place their VFs — the same every run, so owners and exported series keep their keys.
fn vf_pci(pf_index: usize, vf_index: usize) -> String {
    let devfn = 0x10 + vf_index;
    format!("0000:{:02x}:{:02x}.{}", 0x3b + pf_index, (devfn >> 3) & 0x1f, devfn & 7)
}

/// A host partition's owner has one busy socket: the partition's own traffic.
fn sockets_of(vf_index: usize, p: &SimPartition, counters: &Counters) -> Vec<SocketUse> {
    let Some(spec) = p.spec.owner.as_ref().filter(|o| o.kind == OwnerKind::Host) else { return Vec::new() };
    vec![SocketUse {
        cookie: 0x5157_0000 + vf_index as u64,
        transport: Transport::Tcp,
        pid: Some(4100 + vf_index as u32),
        process: Some(spec.name.clone()),
        bytes_sent: Some(counters.tx_bytes),
        bytes_received: Some(counters.rx_bytes),
        listening: false,
    }]
}

fn vf_of(pf_index: usize, vf_index: usize, p: &SimPartition) -> Vf {
    let counters = counters_of(&p.acc);
    Vf {
        queried: None,
        index: vf_index as u32,
        mac: MacAddr([0x02, 0x00, 0x5e, 0x10, pf_index as u8, vf_index as u8]),
        vlan: p.spec.vlan,
        qos: 0,
        rate: p.limit,
        legacy_tx_rate: p.limit.max,
        link_state: VfLinkState::Auto,
        trust: Some(p.spec.trust),
        spoofchk: Some(true),
        netdev: None,
        pci: Some(vf_pci(pf_index, vf_index)),
        netns: None,
        representor: None,
        partition: None,
        owner: p.spec.owner.as_ref().map(|o| o.owner()),
        sockets: sockets_of(vf_index, p, &counters),
        counters,
        driver_stats: vec![
            DriverStat { name: "tx_packets".into(), value: counters.tx_packets },
            DriverStat { name: "tx_bytes".into(), value: counters.tx_bytes },
            DriverStat { name: "tx_dropped_rate_limit".into(), value: counters.tx_dropped },
            DriverStat { name: "rx_packets".into(), value: counters.rx_packets },
            DriverStat { name: "rx_bytes".into(), value: counters.rx_bytes },
        ],
    }
}

fn pf_of(pf_index: usize, pf: &SimPf) -> Pf {
    let vfs: Vec<Vf> = pf.partitions.iter().enumerate().map(|(i, p)| vf_of(pf_index, i, p)).collect();
    let mut total = Counters { origin: CounterOrigin::Sim, ..Default::default() };
    for v in &vfs {
        total.rx_bytes += v.counters.rx_bytes;
        total.tx_bytes += v.counters.tx_bytes;
        total.rx_packets += v.counters.rx_packets;
        total.tx_packets += v.counters.tx_packets;
        total.tx_dropped += v.counters.tx_dropped;
    }
    Pf {
        totals: None,
        numa_node: Some(0),
        name: pf.name.clone(),
        ifindex: 10 + pf_index as u32,
        driver: pf.driver.clone(),
        pci: Some(format!("0000:{:02x}:00.0", 0x3b + pf_index)),
        link_speed: Some(pf.link),
        num_vfs: vfs.len() as u32,
        vfs_truncated: false,
        unreported_vfs: Vec::new(),
        link: PfLink { oper: OperState::Up, carrier: Some(true) },
        pause: None,
        port: None,
        stale: false,
        vfs,
        counters: total,
        driver_stats: vec![
            DriverStat { name: "tx_bytes_nic".into(), value: total.tx_bytes },
            DriverStat { name: "rx_bytes_nic".into(), value: total.rx_bytes },
            DriverStat { name: "tx_dropped_vf_qos".into(), value: total.tx_dropped },
        ],
    }
}

impl Source for SimSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Demo
    }

    fn sample(&mut self) -> Result<Snapshot, SampleError> {
        self.catch_up();
        Ok(Snapshot {
            fleet: None,
            taken_at: self.sim_time,
            pfs: self.pfs.iter().enumerate().map(|(i, pf)| pf_of(i, pf)).collect(),
            malformed_attributes: 0,
            unknown_attributes: 0,
            rate_objects: self.pfs.iter().flat_map(rate_objects_of).collect(),
            sample_duration: Duration::ZERO,
            notes: Vec::new(),
        })
    }

    fn apply(&mut self, change: &RateChange) -> Result<RateLimit, ApplyError> {
        self.catch_up();
        let what = change.target.label();
        let new = change.new;
        if !new.max.is_unlimited() && new.min > new.max {
            return Err(ApplyError::Invalid(format!("min {} is above max {}", new.min, new.max)));
        }
        let (limit, link) = self.limit_of(&change.target).ok_or(ApplyError::Vanished { what })?;
        if new.max > link || new.min > link {
            return Err(ApplyError::KernelInvalid { reason: format!("rate above the link speed ({link})") });
        }
        *limit = new;
        Ok(new)
    }

    fn roles(&self) -> RoleMap {
        let mut roles = RoleMap::default();
        for pf in &self.pfs {
            for (i, p) in pf.partitions.iter().enumerate() {
                let key = VfKey { pf: pf.name.clone(), vf: i as u32 };
                roles.by_vf.insert(key, Role { name: p.spec.name.clone(), color: p.spec.color.clone() });
            }
        }
        roles
    }
}

/// A PF's scenario events as (time from start, partition index, event), soonest last.
fn pending_events(pf: &PfSpec) -> Vec<(Duration, usize, EventSpec)> {
    let mut events: Vec<_> = pf
        .events
        .iter()
        .filter_map(|e| {
            let index = pf.partitions.iter().position(|p| p.name == e.partition)?;
            Some((Duration::from_secs_f64(e.at_secs), index, e.clone()))
        })
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    events
}

/// Changes the limits whose scenario time has come, as someone outside vftop would.
fn apply_due_events(pf: &mut SimPf, elapsed: Duration) {
    while pf.events.last().is_some_and(|(at, ..)| *at <= elapsed) {
        let Some((_, index, event)) = pf.events.pop() else { break };
        if let Some(p) = pf.partitions.get_mut(index) {
            p.limit.min = event.min.unwrap_or(p.limit.min);
            p.limit.max = event.max.unwrap_or(p.limit.max);
            tracing::info!("scenario event: {} {} limit now {:?}", pf.name, p.spec.name, p.limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rate::rates_between;
    use crate::source::FakeClock;

    fn demo() -> (SimSource, FakeClock) {
        let clock = FakeClock::default();
        (SimSource::new(Scenario::reference(), Arc::new(clock.clone())), clock)
    }

    fn rates_over(
        sim: &mut SimSource,
        clock: &FakeClock,
        secs: u64,
    ) -> Vec<crate::metrics::rate::FunctionRates> {
        let a = sim.sample().unwrap();
        clock.advance(Duration::from_secs(secs));
        let b = sim.sample().unwrap();
        a.pfs[0]
            .vfs
            .iter()
            .zip(&b.pfs[0].vfs)
            .map(|(x, y)| rates_between(&x.counters, &y.counters, b.taken_at - a.taken_at).unwrap())
            .collect()
    }

    #[test]
    fn a_scenario_event_changes_a_limit_at_its_time_and_once() {
        let text = include_str!("reference.toml").to_string()
            + "\n[[pf.event]]\nat_secs = 40\npartition = \"Web\"\nmax = \"1G\"\n";
        let clock = FakeClock::default();
        clock.advance(Duration::from_secs(1000)); // events count from the start, not from 0
        let mut sim = SimSource::new(Scenario::parse(&text, "events.toml").unwrap(), Arc::new(clock.clone()));
        let web = |sim: &mut SimSource| sim.sample().unwrap().pfs[0].vfs[4].rate;
        clock.advance(Duration::from_secs(39));
        assert_eq!(web(&mut sim), RateLimit::new(0, 0));
        clock.advance(Duration::from_secs(2));
        assert_eq!(web(&mut sim), RateLimit::new(0, 1000));
        // vftop's own change afterwards stays: the event happened once.
        let key = VfKey { pf: "ens1f0".into(), vf: 4 };
        sim.apply(&RateChange::vf(key, RateLimit::new(0, 1000), RateLimit::new(0, 3000))).unwrap();
        clock.advance(Duration::from_secs(30));
        assert_eq!(web(&mut sim), RateLimit::new(0, 3000));
        let bad = include_str!("reference.toml").to_string()
            + "\n[[pf.event]]\nat_secs = 4\npartition = \"Nope\"\n";
        let err = Scenario::parse(&bad, "events.toml").unwrap_err().to_string();
        assert!(err.contains("no partition named Nope"), "{err}");
    }

    #[test]
    fn counters_are_monotonic_and_link_is_never_exceeded() {
        let (mut sim, clock) = demo();
        let mut prev = sim.sample().unwrap();
        for _ in 0..120 {
            clock.advance(Duration::from_secs(1));
            let now = sim.sample().unwrap();
            let mut total = 0.0;
            for (a, b) in prev.pfs[0].vfs.iter().zip(&now.pfs[0].vfs) {
                assert!(b.counters.tx_bytes >= a.counters.tx_bytes);
                assert!(b.counters.tx_dropped >= a.counters.tx_dropped);
                total += rates_between(&a.counters, &b.counters, Duration::from_secs(1)).unwrap().tx.0;
            }
            assert!(total <= 10e9 * 1.0001, "sum of tx {total} above the link");
            prev = now;
        }
    }

    #[test]
    fn backup_burst_is_capped_and_drops() {
        let (mut sim, clock) = demo();
        clock.advance(Duration::from_secs(5));
        let rates = rates_over(&mut sim, &clock, 10);
        let backup = &rates[1];
        assert!(backup.tx.0 <= 2e9 * 1.001 && backup.tx.0 > 1.9e9, "{backup:?}");
        assert!(backup.drops_per_sec > 0.0);
    }

    #[test]
    fn rate_change_takes_effect_in_the_model() {
        let (mut sim, clock) = demo();
        clock.advance(Duration::from_secs(5));
        let key = VfKey { pf: "ens1f0".into(), vf: 1 };
        let change = RateChange::vf(key, RateLimit::new(0, 2000), RateLimit::new(0, 500));
        assert_eq!(sim.apply(&change), Ok(RateLimit::new(0, 500)));
        let rates = rates_over(&mut sim, &clock, 10);
        assert!(rates[1].tx.0 <= 500e6 * 1.001 && rates[1].tx.0 > 450e6, "{:?}", rates[1]);
    }

    #[test]
    fn invalid_changes_change_nothing() {
        let (mut sim, _clock) = demo();
        let key = VfKey { pf: "ens1f0".into(), vf: 1 };
        let bad = [RateLimit::new(600, 500), RateLimit::new(0, 20_000)];
        for new in bad {
            let change = RateChange::vf(key.clone(), RateLimit::new(0, 2000), new);
            assert!(sim.apply(&change).is_err());
        }
        let gone =
            RateChange::vf(VfKey { pf: "ens1f0".into(), vf: 42 }, RateLimit::default(), RateLimit::default());
        assert!(matches!(sim.apply(&gone), Err(ApplyError::Vanished { .. })));
        assert_eq!(sim.sample().unwrap().pfs[0].vfs[1].rate, RateLimit::new(0, 2000));
    }

    #[test]
    fn storage_group_cap_holds_and_is_editable_as_a_devlink_node() {
        let (mut sim, clock) = demo();
        let storage_tx = |sim: &mut SimSource, clock: &FakeClock| {
            let rates = rates_over(sim, clock, 20);
            rates[2].tx.0 + rates[3].tx.0
        };
        clock.advance(Duration::from_secs(30));
        assert!(storage_tx(&mut sim, &clock) <= 5e9 * 1.001);
        let tree = sim.sample().unwrap().rate_objects;
        let node = tree.iter().find(|o| o.name == "storage").unwrap();
        assert_eq!(node.limit, RateLimit::new(3000, 5000));
        let members: Vec<&str> =
            tree.iter().filter(|o| o.parent.as_deref() == Some("storage")).map(|o| o.name.as_str()).collect();
        assert_eq!(members, ["vf 2 NFS", "vf 3 iSCSI"]);
        let change = RateChange {
            target: Target::Devlink(node.target.clone()),
            old: node.limit,
            new: RateLimit::new(0, 2000),
        };
        assert_eq!(sim.apply(&change), Ok(RateLimit::new(0, 2000)));
        let capped = storage_tx(&mut sim, &clock);
        assert!(capped <= 2e9 * 1.001 && capped > 1.9e9, "{capped}");
    }

    #[test]
    fn same_seed_same_numbers() {
        let (mut a, ca) = demo();
        let (mut b, cb) = demo();
        ca.advance(Duration::from_secs(33));
        cb.advance(Duration::from_secs(33));
        assert_eq!(a.sample().unwrap(), b.sample().unwrap());
    }
}
