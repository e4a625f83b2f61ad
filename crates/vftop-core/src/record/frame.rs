//! One recorded sample as bytes: the slow-changing shape (PFs, VFs, limits, link state) only
//! when it changed, counters as predicted residuals in columns, zstd over the whole body.
//!
//! A frame is either a keyframe (absolute counters, full shape) or a delta frame that needs
//! the frames before it back to its keyframe. Per counter column, the encoder picks the better
//! of two predictors (last value; last value plus last step) and says which in a bit mask.

use crate::model::owner::Owner;
use crate::model::{
    CounterOrigin, Counters, DevlinkObject, DevlinkRef, MacAddr, Mbps, Pf, PfLink, RateLimit, RateObject,
    Snapshot, Vf, VfKey, VfLinkState,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Counter columns per function: rx/tx bytes, rx/tx packets, rx/tx dropped, broadcast, multicast,
/// and transmit errors (plus one; 0 where nothing counts them), the last only in frames marked
/// [`FLAG_TX_ERRORS`] (recordings made before it have eight).
pub const COLUMNS: usize = 9;
/// The columns that may be predicted with a step (one bit each of a delta frame's mask).
const STEPPED_COLUMNS: usize = 8;

/// A frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("truncated frame")]
    Truncated,
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("delta frame without its keyframe (lost to earlier damage)")]
    NoKeyframe,
}

/// Which PFs (`None` VF) and VFs a reader wants (asked on the decoding thread).
pub type Keep<'a> = dyn Fn(&str, Option<u32>) -> bool + Sync + 'a;

/// Keeps everything.
pub fn keep_all(_: &str, _: Option<u32>) -> bool {
    true
}

/// What the console shows of one PF, without counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PfShape {
    pub name: String,
    pub ifindex: u32,
    pub driver: String,
    pub pci: Option<String>,
    pub link_speed: Option<u32>,
    pub num_vfs: u32,
    pub truncated: bool,
    pub stale: bool,
    pub origin: CounterOrigin,
    pub vfs: Vec<VfShape>,
}

/// What the console shows of one VF, without counters; `partition` as it was named then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VfShape {
    pub index: u32,
    pub mac: [u8; 6],
    pub vlan: u16,
    pub qos: u8,
    pub rate: RateLimit,
    pub legacy_tx_rate: u32,
    pub link_state: VfLinkState,
    pub trust: Option<bool>,
    pub spoofchk: Option<bool>,
    pub netdev: Option<String>,
    pub pci: Option<String>,
    pub partition: Option<String>,
    pub origin: CounterOrigin,
}

/// A devlink rate object, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateObjectShape {
    pub device: String,
    pub leaf: Option<u32>,
    pub node: Option<String>,
    pub name: String,
    pub limit: RateLimit,
    pub parent: Option<String>,
    pub vf: Option<(String, u32)>,
}

/// Everything of a sample but its counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub pfs: Vec<PfShape>,
    pub rate_objects: Vec<RateObjectShape>,
    /// Facts recorded since the first format, one per PF in `pfs` order. They come last, so a
    /// shape written before them reads (as [`ShapeV1`], the facts unknown) and an older vftop
    /// reads a newer shape's first part and ignores the rest.
    pub facts: Vec<PfFacts>,
    /// Each VF's owner, one list per PF in `pfs` order (added last, as `facts` was).
    pub owners: Vec<Vec<Option<Owner>>>,
    /// Each PF's NUMA node, in `pfs` order (added last, after `owners`).
    pub numa_nodes: Vec<Option<i32>>,
}

/// A shape as the first recordings wrote it (no facts).
#[derive(Deserialize)]
struct ShapeV1 {
    pfs: Vec<PfShape>,
    rate_objects: Vec<RateObjectShape>,
}

/// A shape with owners but no NUMA nodes.
#[derive(Deserialize)]
struct ShapeV3 {
    pfs: Vec<PfShape>,
    rate_objects: Vec<RateObjectShape>,
    facts: Vec<PfFacts>,
    owners: Vec<Vec<Option<Owner>>>,
}

/// A shape with facts but no owners.
#[derive(Deserialize)]
struct ShapeV2 {
    pfs: Vec<PfShape>,
    rate_objects: Vec<RateObjectShape>,
    facts: Vec<PfFacts>,
}

impl Shape {
    /// A shape's bytes, of any layout.
    fn decode(bytes: &[u8]) -> Result<Shape, postcard::Error> {
        postcard::from_bytes::<Shape>(bytes).or_else(|e| {
            if let Ok(v3) = postcard::from_bytes::<ShapeV3>(bytes) {
                let ShapeV3 { pfs, rate_objects, facts, owners } = v3;
                return Ok(Shape { pfs, rate_objects, facts, owners, numa_nodes: Vec::new() });
            }
            if let Ok(v2) = postcard::from_bytes::<ShapeV2>(bytes) {
                let ShapeV2 { pfs, rate_objects, facts } = v2;
                return Ok(Shape { pfs, rate_objects, facts, ..Shape::default() });
            }
            let v1 = postcard::from_bytes::<ShapeV1>(bytes).map_err(|_| e)?;
            Ok(Shape { pfs: v1.pfs, rate_objects: v1.rate_objects, ..Shape::default() })
        })
    }
}

/// A PF's link state and its VFs' whereabouts, as recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PfFacts {
    pub link: PfLink,
    pub unreported_vfs: Vec<u32>,
    /// One per VF in the shape's order.
    pub vfs: Vec<VfFacts>,
}

/// Where a VF's netdev and representor were, and whether its counters were held.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VfFacts {
    pub netns: Option<String>,
    pub representor: Option<String>,
    pub held: bool,
}

fn pf_facts(pf: &Pf) -> PfFacts {
    PfFacts {
        link: pf.link,
        unreported_vfs: pf.unreported_vfs.clone(),
        vfs: pf
            .vfs
            .iter()
            .map(|v| VfFacts {
                netns: v.netns.clone(),
                representor: v.representor.clone(),
                held: v.counters.held,
            })
            .collect(),
    }
}

impl Shape {
    /// The shape of `snapshot`; `partition` names each VF (the roles in force when recording).
    pub fn of(snapshot: &Snapshot, partition: &dyn Fn(&VfKey, &Vf) -> Option<String>) -> Shape {
        let pfs = snapshot
            .pfs
            .iter()
            .map(|pf| PfShape {
                name: pf.name.clone(),
                ifindex: pf.ifindex,
                driver: pf.driver.clone(),
                pci: pf.pci.clone(),
                link_speed: pf.link_speed.map(|m| m.0),
                num_vfs: pf.num_vfs,
                truncated: pf.vfs_truncated,
                stale: pf.stale,
                origin: pf.counters.origin,
                vfs: pf.vfs.iter().map(|vf| vf_shape(pf, vf, partition)).collect(),
            })
            .collect();
        let rate_objects = snapshot.rate_objects.iter().map(object_shape).collect();
        let facts = snapshot.pfs.iter().map(pf_facts).collect();
        let owners = snapshot.pfs.iter().map(|pf| pf.vfs.iter().map(|v| v.owner.clone()).collect()).collect();
        let numa_nodes = snapshot.pfs.iter().map(|pf| pf.numa_node).collect();
        Shape { pfs, rate_objects, facts, owners, numa_nodes }
    }

    /// Functions in column order: each PF, then its VFs.
    pub fn functions(&self) -> usize {
        self.pfs.iter().map(|p| 1 + p.vfs.len()).sum()
    }

    /// The snapshot this shape and these counters (in column order) describe, with only the
    /// PFs and VFs `keep` wants.
    pub fn snapshot(&self, at: Duration, counters: &[[u64; COLUMNS]], keep: &Keep<'_>) -> Snapshot {
        let mut row = 0;
        let mut pfs = Vec::new();
        let no_facts = PfFacts::default();
        for (n, p) in self.pfs.iter().enumerate() {
            let first = row;
            row += 1 + p.vfs.len();
            if !keep(&p.name, None) {
                continue;
            }
            let facts = self.facts.get(n).unwrap_or(&no_facts);
            let owners = self.owners.get(n).map_or(&[][..], Vec::as_slice);
            let take = |i: usize, origin| counters.get(i).map(|c| unpack(c, origin)).unwrap_or_default();
            let pf_counters = take(first, p.origin);
            let mut vfs = Vec::with_capacity(p.vfs.len());
            for (i, v) in p.vfs.iter().enumerate().filter(|(_, v)| keep(&p.name, Some(v.index))) {
                let owner = owners.get(i).cloned().flatten();
                vfs.push(vf_of(v, take(first + 1 + i, v.origin), facts.vfs.get(i), owner));
            }
            pfs.push(Pf {
                totals: None,
                numa_node: self.numa_nodes.get(n).copied().flatten(),
                name: p.name.clone(),
                ifindex: p.ifindex,
                driver: p.driver.clone(),
                pci: p.pci.clone(),
                link_speed: p.link_speed.map(Mbps),
                num_vfs: p.num_vfs,
                vfs_truncated: p.truncated,
                unreported_vfs: facts.unreported_vfs.clone(),
                link: facts.link,
                pause: None,
                port: None,
                stale: p.stale,
                vfs,
                counters: pf_counters,
                driver_stats: Vec::new(),
            });
        }
        let rate_objects = self.rate_objects.iter().map(object_of).collect();
        Snapshot { taken_at: at, pfs, rate_objects, ..Snapshot::default() }
    }
}

fn vf_shape(pf: &Pf, vf: &Vf, partition: &dyn Fn(&VfKey, &Vf) -> Option<String>) -> VfShape {
    let key = VfKey { pf: pf.name.clone(), vf: vf.index };
    VfShape {
        index: vf.index,
        mac: vf.mac.0,
        vlan: vf.vlan,
        qos: vf.qos,
        rate: vf.rate,
        legacy_tx_rate: vf.legacy_tx_rate.0,
        link_state: vf.link_state,
        trust: vf.trust,
        spoofchk: vf.spoofchk,
        netdev: vf.netdev.clone(),
        pci: vf.pci.clone(),
        partition: vf.partition.clone().or_else(|| partition(&key, vf)),
        origin: vf.counters.origin,
    }
}

fn vf_of(v: &VfShape, counters: Counters, facts: Option<&VfFacts>, owner: Option<Owner>) -> Vf {
    let facts = facts.cloned().unwrap_or_default();
    Vf {
        queried: None,
        index: v.index,
        mac: MacAddr(v.mac),
        vlan: v.vlan,
        qos: v.qos,
        rate: v.rate,
        legacy_tx_rate: Mbps(v.legacy_tx_rate),
        link_state: v.link_state,
        trust: v.trust,
        spoofchk: v.spoofchk,
        netdev: v.netdev.clone(),
        pci: v.pci.clone(),
        netns: facts.netns,
        representor: facts.representor,
        partition: v.partition.clone(),
        counters: Counters { held: facts.held, ..counters },
        driver_stats: Vec::new(),
        owner,
        sockets: Vec::new(),
    }
}

fn object_shape(o: &RateObject) -> RateObjectShape {
    let (leaf, node) = match &o.target.object {
        DevlinkObject::Leaf(port) => (Some(*port), None),
        DevlinkObject::Node(name) => (None, Some(name.clone())),
    };
    RateObjectShape {
        device: o.target.device.clone(),
        leaf,
        node,
        name: o.name.clone(),
        limit: o.limit,
        parent: o.parent.clone(),
        vf: o.vf.as_ref().map(|k| (k.pf.clone(), k.vf)),
    }
}

fn object_of(o: &RateObjectShape) -> RateObject {
    let object = match (&o.leaf, &o.node) {
        (Some(port), _) => DevlinkObject::Leaf(*port),
        (None, node) => DevlinkObject::Node(node.clone().unwrap_or_default()),
    };
    RateObject {
        target: DevlinkRef { device: o.device.clone(), object },
        name: o.name.clone(),
        limit: o.limit,
        parent: o.parent.clone(),
        vf: o.vf.as_ref().map(|(pf, vf)| VfKey { pf: pf.clone(), vf: *vf }),
        scheduling: Default::default(),
    }
}

/// A function's counters in column order.
pub fn pack(c: &Counters) -> [u64; COLUMNS] {
    let traffic = c.traffic();
    let tx_errors = c.tx_errors.map_or(0, |e| e.saturating_add(1));
    std::array::from_fn(|i| traffic.get(i).copied().unwrap_or(tx_errors))
}

fn unpack(c: &[u64; COLUMNS], origin: CounterOrigin) -> Counters {
    Counters {
        rx_bytes: c[0],
        tx_bytes: c[1],
        rx_packets: c[2],
        tx_packets: c[3],
        rx_dropped: c[4],
        tx_dropped: c[5],
        broadcast: c[6],
        multicast: c[7],
        tx_errors: c[8].checked_sub(1),
        origin,
        held: false,
    }
}

/// Every function's counters of a snapshot, in column order.
pub fn counters_of(snapshot: &Snapshot) -> Vec<[u64; COLUMNS]> {
    let mut out = Vec::new();
    for pf in &snapshot.pfs {
        out.push(pack(&pf.counters));
        out.extend(pf.vfs.iter().map(|v| pack(&v.counters)));
    }
    out
}

/// One decoded frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Wall-clock time of the sample, milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub keyframe: bool,
    pub snapshot: Snapshot,
}

/// What the encoder and the decoder both remember between frames of one chunk.
#[derive(Clone, Debug, Default)]
struct Chain {
    shape: Option<Shape>,
    last: Vec<[u64; COLUMNS]>,
    /// The step from the frame before `last` to `last`, where there was one.
    step: Option<Vec<[u64; COLUMNS]>>,
}

impl Chain {
    fn predict(&self, column: usize, function: usize, with_step: bool) -> u64 {
        let last = self.last[function][column];
        match (&self.step, with_step) {
            (Some(step), true) => last.wrapping_add(step[function][column]),
            _ => last,
        }
    }

    fn advance(&mut self, counters: Vec<[u64; COLUMNS]>) {
        self.step = (self.last.len() == counters.len()).then(|| {
            counters
                .iter()
                .zip(&self.last)
                .map(|(now, before)| std::array::from_fn(|i| now[i].wrapping_sub(before[i])))
                .collect()
        });
        self.last = counters;
    }
}

const FLAG_KEY: u8 = 1;
const FLAG_SHAPE: u8 = 2;
/// The frame has the transmit errors column.
const FLAG_TX_ERRORS: u8 = 4;

/// Turns samples into frame bodies; a keyframe every `key_every` frames, at the first frame
/// and whenever the shape changes.
pub struct Encoder {
    chain: Chain,
    since_key: u32,
    key_every: u32,
}

impl Encoder {
    pub fn new(key_every: u32) -> Encoder {
        Encoder { chain: Chain::default(), since_key: 0, key_every: key_every.max(1) }
    }

    /// The next frame will be a keyframe (a new shard, or after a failed write).
    pub fn restart(&mut self) {
        self.chain = Chain::default();
    }

    /// The frame body (before compression) of one sample.
    pub fn encode(&mut self, shape: Shape, counters: Vec<[u64; COLUMNS]>) -> Vec<u8> {
        let shape_changed = self.chain.shape.as_ref() != Some(&shape);
        let key =
            shape_changed || self.since_key + 1 >= self.key_every || self.chain.last.len() != counters.len();
        let mut out = Vec::with_capacity(16 + counters.len() * COLUMNS * 2);
        // Every keyframe carries the shape, so reading can start at any keyframe.
        out.push(FLAG_TX_ERRORS | if key { FLAG_KEY | FLAG_SHAPE } else { 0 });
        if key {
            let bytes = postcard::to_stdvec(&shape).unwrap_or_default();
            put_uvarint(&mut out, bytes.len() as u64);
            out.extend_from_slice(&bytes);
        }
        put_uvarint(&mut out, counters.len() as u64);
        if key {
            for column in 0..COLUMNS {
                counters.iter().for_each(|c| put_uvarint(&mut out, c[column]));
            }
            self.since_key = 0;
            self.chain.last.clear(); // a keyframe starts a chain: no step to predict with
        } else {
            self.encode_residuals(&counters, &mut out);
            self.since_key += 1;
        }
        self.chain.shape = Some(shape);
        self.chain.advance(counters);
        out
    }

    fn encode_residuals(&self, counters: &[[u64; COLUMNS]], out: &mut Vec<u8>) {
        let mask_at = out.len();
        out.push(0);
        let mut mask = 0u8;
        for column in 0..COLUMNS {
            if column >= STEPPED_COLUMNS {
                for (f, c) in counters.iter().enumerate() {
                    put_uvarint(
                        out,
                        zigzag(c[column].wrapping_sub(self.chain.predict(column, f, false)) as i64),
                    );
                }
                continue;
            }
            let residuals = |with_step: bool| {
                let mut bytes = Vec::with_capacity(counters.len() * 2);
                for (f, c) in counters.iter().enumerate() {
                    let residual = c[column].wrapping_sub(self.chain.predict(column, f, with_step));
                    put_uvarint(&mut bytes, zigzag(residual as i64));
                }
                bytes
            };
            let plain = residuals(false);
            let stepped = if self.chain.step.is_some() { residuals(true) } else { plain.clone() };
            if stepped.len() < plain.len() {
                mask |= 1 << column;
                out.extend_from_slice(&stepped);
            } else {
                out.extend_from_slice(&plain);
            }
        }
        out[mask_at] = mask;
    }
}

/// Turns frame bodies back into snapshots; after damage, waits for the next keyframe.
#[derive(Default)]
pub struct Decoder {
    chain: Chain,
    valid: bool,
}

impl Decoder {
    /// Forget the chain (a frame was lost): delta frames fail until the next keyframe.
    pub fn lose_chain(&mut self) {
        self.valid = false;
        self.chain = Chain::default();
    }

    pub fn decode(&mut self, at_ms: i64, body: &[u8], keep: &Keep<'_>) -> Result<Frame, FrameError> {
        let mut r = Reader { bytes: body, at: 0 };
        let flags = r.byte()?;
        let key = flags & FLAG_KEY != 0;
        if !key && !self.valid {
            return Err(FrameError::NoKeyframe);
        }
        let mut shape = if flags & FLAG_SHAPE != 0 {
            let len = r.len()?;
            let bytes = r.take(len)?;
            Some(Shape::decode(bytes).map_err(|e| FrameError::Malformed(format!("shape: {e}")))?)
        } else {
            None
        };
        if shape.is_none() && self.chain.shape.is_none() {
            return Err(FrameError::NoKeyframe);
        }
        let n = r.len()?;
        let shape_functions = shape.as_ref().or(self.chain.shape.as_ref()).map_or(0, Shape::functions);
        if n != shape_functions {
            self.valid = false;
            return Err(FrameError::Malformed(format!("{n} counter rows for {shape_functions} functions")));
        }
        if !key && self.chain.last.len() != n {
            self.valid = false;
            return Err(FrameError::Malformed("delta frame of another size".into()));
        }
        let columns = if flags & FLAG_TX_ERRORS != 0 { COLUMNS } else { STEPPED_COLUMNS };
        let counters = self.read_counters(&mut r, n, key, columns)?;
        if r.at != body.len() {
            self.valid = false;
            return Err(FrameError::Malformed(format!("{} bytes left over", body.len() - r.at)));
        }
        if let Some(s) = shape.take() {
            self.chain.shape = Some(s);
        }
        if key {
            self.chain.last.clear();
        }
        let at = Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
        let snapshot = self.chain.shape.as_ref().map(|s| s.snapshot(at, &counters, keep)).unwrap_or_default();
        self.chain.advance(counters);
        self.valid = true;
        Ok(Frame { at_ms, keyframe: key, snapshot })
    }

    fn read_counters(
        &mut self,
        r: &mut Reader,
        n: usize,
        key: bool,
        columns: usize,
    ) -> Result<Vec<[u64; COLUMNS]>, FrameError> {
        let mut counters = vec![[0u64; COLUMNS]; n];
        let mask = if key { 0 } else { r.byte()? };
        for column in 0..columns {
            let with_step = column < STEPPED_COLUMNS && mask & (1 << column) != 0;
            if with_step && self.chain.step.is_none() {
                self.valid = false;
                return Err(FrameError::Malformed("step predictor without a step".into()));
            }
            for (f, c) in counters.iter_mut().enumerate() {
                let v = r.uvarint()?;
                c[column] = if key {
                    v
                } else {
                    self.chain.predict(column, f, with_step).wrapping_add(unzigzag(v) as u64)
                };
            }
        }
        Ok(counters)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, FrameError> {
        let b = *self.bytes.get(self.at).ok_or(FrameError::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or(FrameError::Truncated)?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    /// A count that must fit in what is left (one byte per item at least).
    fn len(&mut self) -> Result<usize, FrameError> {
        let v = self.uvarint()?;
        usize::try_from(v)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.at)
            .ok_or_else(|| FrameError::Malformed(format!("count {v} beyond the frame")))
    }

    fn uvarint(&mut self) -> Result<u64, FrameError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FrameError::Malformed("varint longer than 64 bits".into()))
    }
}

pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn snapshot(rng: &mut SmallRng, vfs: u32, base: &mut Vec<[u64; COLUMNS]>) -> Snapshot {
        let n = vfs as usize + 1;
        base.resize(n, [0; COLUMNS]);
        for c in base.iter_mut() {
            for v in c.iter_mut() {
                *v = match rng.random_range(0..20) {
                    0 => rng.random(),                         // anything, incl. a reset
                    1 => u64::MAX - rng.random_range(0..1000), // about to wrap
                    _ => v.wrapping_add(rng.random_range(0..1_000_000_000)),
                };
            }
        }
        let counters = |c: &[u64; COLUMNS]| unpack(c, CounterOrigin::VfStats);
        let pf = Pf {
            name: "ens1f0".into(),
            driver: "sim".into(),
            num_vfs: vfs,
            link_speed: Some(Mbps(10_000)),
            counters: counters(&base[0]),
            vfs: (0..vfs)
                .map(|i| Vf {
                    index: i,
                    rate: RateLimit::new(0, 100 * i),
                    counters: counters(&base[i as usize + 1]),
                    ..Vf::default()
                })
                .collect(),
            ..Pf::default()
        };
        Snapshot { pfs: vec![pf], ..Snapshot::default() }
    }

    #[test]
    fn random_counters_resets_wraps_and_vfs_that_come_and_go_round_trip() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut encoder = Encoder::new(10);
        let mut decoder = Decoder::default();
        let mut base = Vec::new();
        let mut keyframes = 0;
        for i in 0..300i64 {
            let vfs = if (100..150).contains(&i) { 3 } else { 5 };
            let s = snapshot(&mut rng, vfs, &mut base);
            let body = encoder.encode(Shape::of(&s, &|_, _| None), counters_of(&s));
            let frame = decoder.decode(i * 1000, &body, &keep_all).expect("decodes");
            keyframes += usize::from(frame.keyframe);
            assert_eq!(frame.snapshot.pfs, s.pfs, "frame {i}");
        }
        assert!((30..=35).contains(&keyframes), "{keyframes} keyframes");
    }

    #[test]
    fn owners_ride_in_keyframes_and_older_shapes_still_read() {
        use crate::model::owner::{Owner, OwnerKind, OwnerSource};
        let mut rng = SmallRng::seed_from_u64(5);
        let mut base = Vec::new();
        let mut s = snapshot(&mut rng, 3, &mut base);
        s.pfs[0].vfs[1].owner = Some(Owner::new(OwnerKind::Vm, "web-03", OwnerSource::Libvirt));
        let mut encoder = Encoder::new(10);
        let body = encoder.encode(Shape::of(&s, &|_, _| None), counters_of(&s));
        let frame = Decoder::default().decode(0, &body, &keep_all).unwrap();
        let owners: Vec<Option<String>> =
            frame.snapshot.pfs[0].vfs.iter().map(|v| v.owner.as_ref().map(Owner::label)).collect();
        assert_eq!(owners, [None, Some("vm web-03".to_string()), None]);
        // The owner changed: the shape did, so the next frame is a keyframe that says so.
        s.pfs[0].vfs[1].owner = None;
        let body = encoder.encode(Shape::of(&s, &|_, _| None), counters_of(&s));
        assert_eq!(body[0] & FLAG_KEY, FLAG_KEY);
        // A shape written before owners (pfs, rate objects, facts) reads, with none.
        let mut shape = Shape::of(&s, &|_, _| None);
        shape.owners.clear();
        #[derive(Serialize)]
        struct Before<'a>(&'a [PfShape], &'a [RateObjectShape], &'a [PfFacts]);
        shape.numa_nodes.clear();
        let bytes = postcard::to_stdvec(&Before(&shape.pfs, &shape.rate_objects, &shape.facts)).unwrap();
        assert_eq!(Shape::decode(&bytes).unwrap(), shape);
    }

    #[test]
    fn numa_nodes_ride_in_keyframes_and_shapes_before_them_still_read() {
        let mut rng = SmallRng::seed_from_u64(6);
        let mut s = snapshot(&mut rng, 2, &mut Vec::new());
        s.pfs[0].numa_node = Some(1);
        s.pfs[0].vfs[0].owner = Some(crate::model::owner::Owner::new(
            crate::model::owner::OwnerKind::Vm,
            "db-1",
            crate::model::owner::OwnerSource::Libvirt,
        ));
        let body = Encoder::new(10).encode(Shape::of(&s, &|_, _| None), counters_of(&s));
        let frame = Decoder::default().decode(0, &body, &keep_all).unwrap();
        assert_eq!(frame.snapshot.pfs[0].numa_node, Some(1));
        // A shape written with owners but before NUMA nodes reads, the node unknown.
        let mut shape = Shape::of(&s, &|_, _| None);
        shape.numa_nodes.clear();
        #[derive(Serialize)]
        struct Before<'a>(&'a [PfShape], &'a [RateObjectShape], &'a [PfFacts], &'a [Vec<Option<Owner>>]);
        let bytes =
            postcard::to_stdvec(&Before(&shape.pfs, &shape.rate_objects, &shape.facts, &shape.owners))
                .unwrap();
        assert_eq!(Shape::decode(&bytes).unwrap(), shape);
        assert_eq!(shape.snapshot(Duration::ZERO, &counters_of(&s), &keep_all).pfs[0].numa_node, None);
    }

    #[test]
    fn frames_recorded_before_the_errors_column_still_read() {
        let mut rng = SmallRng::seed_from_u64(9);
        let mut base = Vec::new();
        let first = snapshot(&mut rng, 2, &mut base);
        let second = snapshot(&mut rng, 2, &mut base);
        let (before, after) = (counters_of(&first), counters_of(&second));
        // A keyframe and a delta frame as vftop wrote them before transmit errors: eight
        // columns and no flag.
        let mut key = vec![FLAG_KEY | FLAG_SHAPE];
        let shape = postcard::to_stdvec(&Shape::of(&first, &|_, _| None)).unwrap();
        put_uvarint(&mut key, shape.len() as u64);
        key.extend_from_slice(&shape);
        put_uvarint(&mut key, before.len() as u64);
        let mut delta = vec![0];
        put_uvarint(&mut delta, after.len() as u64);
        delta.push(0); // no column predicted with a step
        for column in 0..STEPPED_COLUMNS {
            before.iter().for_each(|c| put_uvarint(&mut key, c[column]));
            for (now, last) in after.iter().zip(&before) {
                put_uvarint(&mut delta, zigzag(now[column].wrapping_sub(last[column]) as i64));
            }
        }
        let mut decoder = Decoder::default();
        for (at, body, s) in [(0, key, &first), (1, delta, &second)] {
            let frame = decoder.decode(at, &body, &keep_all).expect("an old frame decodes");
            let read: Vec<Counters> = frame.snapshot.pfs[0].vfs.iter().map(|v| v.counters).collect();
            let wanted: Vec<Counters> =
                s.pfs[0].vfs.iter().map(|v| Counters { tx_errors: None, ..v.counters }).collect();
            assert_eq!(read, wanted, "frame {at}: the same counters, transmit errors unknown");
        }
    }

    #[test]
    fn transmit_errors_known_zero_and_unknown_stay_apart() {
        let mut rng = SmallRng::seed_from_u64(4);
        let mut base = Vec::new();
        let mut s = snapshot(&mut rng, 3, &mut base);
        let errors = [None, Some(0), Some(u64::MAX - 1)];
        for (vf, e) in s.pfs[0].vfs.iter_mut().zip(errors) {
            vf.counters.tx_errors = e;
        }
        let mut encoder = Encoder::new(10);
        let mut decoder = Decoder::default();
        for at in 0..2 {
            let body = encoder.encode(Shape::of(&s, &|_, _| None), counters_of(&s));
            let frame = decoder.decode(at, &body, &keep_all).unwrap();
            let read: Vec<Option<u64>> =
                frame.snapshot.pfs[0].vfs.iter().map(|v| v.counters.tx_errors).collect();
            assert_eq!(read, errors, "frame {at}");
        }
    }

    #[test]
    fn delta_frames_after_a_lost_frame_wait_for_the_keyframe() {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut encoder = Encoder::new(4);
        let mut base = Vec::new();
        let bodies: Vec<Vec<u8>> = (0..8)
            .map(|_| {
                let s = snapshot(&mut rng, 2, &mut base);
                encoder.encode(Shape::of(&s, &|_, _| None), counters_of(&s))
            })
            .collect();
        let mut decoder = Decoder::default();
        decoder.decode(0, &bodies[0], &keep_all).unwrap();
        decoder.lose_chain();
        assert_eq!(decoder.decode(2, &bodies[2], &keep_all), Err(FrameError::NoKeyframe));
        assert_eq!(decoder.decode(3, &bodies[3], &keep_all), Err(FrameError::NoKeyframe));
        assert!(decoder.decode(4, &bodies[4], &keep_all).unwrap().keyframe);
        assert!(decoder.decode(5, &bodies[5], &keep_all).is_ok());
    }

    #[test]
    fn garbage_bodies_are_errors_not_panics() {
        let mut rng = SmallRng::seed_from_u64(3);
        for _ in 0..2000 {
            let len = rng.random_range(0..64);
            let body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let _ = Decoder::default().decode(0, &body, &keep_all);
        }
    }

    #[test]
    fn zigzag_round_trips_the_extremes() {
        for v in [0, 1, -1, i64::MAX, i64::MIN, 12345, -12345] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
