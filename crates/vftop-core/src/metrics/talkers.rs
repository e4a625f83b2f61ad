//! A host-bound VF's top talkers: its sockets in two samples → each process's send and receive
//! rates (TCP's acknowledged and received bytes), busiest first.

use crate::model::BitsPerSec;
use crate::model::owner::{SocketUse, Transport};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// One process's use of a VF over the interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Talker {
    /// `None`: sockets whose process was not found (another namespace's, or gone).
    pub pid: Option<u32>,
    pub process: String,
    pub sockets: usize,
    /// Send and receive rates over its TCP sockets; `None` where it has only sockets without
    /// byte counters (UDP, listening) or there was no earlier sample.
    pub tx: Option<BitsPerSec>,
    pub rx: Option<BitsPerSec>,
    pub transports: Vec<Transport>,
}

impl Talker {
    fn total(&self) -> f64 {
        self.tx.map_or(0.0, |b| b.0) + self.rx.map_or(0.0, |b| b.0)
    }
}

/// The processes on `now`'s sockets with their rates since `before` (`elapsed` apart), the
/// busiest first. A socket seen in both samples counts its growth; one new since `before`
/// counts all its bytes (it opened during the interval); a counter that went down counts
/// nothing.
pub fn talkers(before: Option<&[SocketUse]>, now: &[SocketUse], elapsed: Option<Duration>) -> Vec<Talker> {
    let earlier: HashMap<u64, &SocketUse> =
        before.unwrap_or_default().iter().map(|s| (s.cookie, s)).collect();
    let secs = elapsed.map(|d| d.as_secs_f64()).filter(|s| *s > 0.0 && before.is_some());
    let mut by_process: BTreeMap<(Option<u32>, String), Talker> = BTreeMap::new();
    for s in now {
        let name = s.process.clone().unwrap_or_else(|| "?".into());
        let t = by_process.entry((s.pid, name.clone())).or_insert_with(|| Talker {
            pid: s.pid,
            process: name,
            sockets: 0,
            tx: None,
            rx: None,
            transports: Vec::new(),
        });
        t.sockets += 1;
        if !t.transports.contains(&s.transport) {
            t.transports.push(s.transport);
        }
        let Some(secs) = secs else { continue };
        let prev = earlier.get(&s.cookie);
        let grew = |now: Option<u64>, then: Option<u64>| {
            let now = now?;
            Some(now.saturating_sub(then.unwrap_or(0)) as f64 * 8.0 / secs)
        };
        if let Some(tx) = grew(s.bytes_sent, prev.and_then(|p| p.bytes_sent)) {
            t.tx = Some(BitsPerSec(t.tx.map_or(0.0, |b| b.0) + tx));
        }
        if let Some(rx) = grew(s.bytes_received, prev.and_then(|p| p.bytes_received)) {
            t.rx = Some(BitsPerSec(t.rx.map_or(0.0, |b| b.0) + rx));
        }
    }
    let mut out: Vec<Talker> = by_process.into_values().collect();
    out.sort_by(|a, b| b.total().total_cmp(&a.total()).then(b.sockets.cmp(&a.sockets)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(cookie: u64, pid: u32, name: &str, sent: u64, received: u64) -> SocketUse {
        SocketUse {
            cookie,
            transport: Transport::Tcp,
            pid: Some(pid),
            process: Some(name.into()),
            bytes_sent: Some(sent),
            bytes_received: Some(received),
            listening: false,
        }
    }

    #[test]
    fn a_process_rate_sums_its_sockets_growth_and_new_sockets_count_whole() {
        let before = vec![tcp(1, 10, "rsync", 1_000, 0), tcp(2, 20, "nfsd", 0, 0)];
        let now = vec![
            tcp(1, 10, "rsync", 251_000, 0),
            tcp(3, 10, "rsync", 125_000, 0),
            tcp(2, 20, "nfsd", 0, 12_500),
        ];
        let t = talkers(Some(&before), &now, Some(Duration::from_secs(2)));
        assert_eq!(t[0].process, "rsync");
        assert_eq!(t[0].sockets, 2);
        assert_eq!(t[0].tx, Some(BitsPerSec((250_000.0 + 125_000.0) * 8.0 / 2.0)));
        assert_eq!(t[1].rx, Some(BitsPerSec(50_000.0)));
    }

    #[test]
    fn without_an_earlier_sample_or_counters_there_is_no_rate() {
        let now = vec![tcp(1, 10, "rsync", 9_000, 0)];
        assert_eq!(talkers(None, &now, Some(Duration::from_secs(1)))[0].tx, None);
        let udp = SocketUse { cookie: 5, transport: Transport::Udp, pid: Some(7), ..Default::default() };
        let t = talkers(Some(&[]), &[udp], Some(Duration::from_secs(1)));
        assert_eq!((t[0].process.as_str(), t[0].tx, t[0].sockets), ("?", None, 1));
    }

    #[test]
    fn a_counter_that_went_down_counts_nothing() {
        let before = vec![tcp(1, 10, "x", 5_000, 0)];
        let now = vec![tcp(1, 10, "x", 10, 0)];
        assert_eq!(talkers(Some(&before), &now, Some(Duration::from_secs(1)))[0].tx, Some(BitsPerSec(0.0)));
    }
}
