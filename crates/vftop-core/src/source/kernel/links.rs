//! The link table between samples: a full `RTM_GETLINK` dump when the topology may have
//! changed (a link notification arrived, or it is time for a periodic one), otherwise a cheap
//! refresh — every counter from one `RTM_GETSTATS` dump, and the PFs with VFs by ifindex.

use super::link::LinkMessage;
use super::rtnl::{Rtnl, RtnlError};
use std::time::Duration;

/// Even without notifications, the whole table is re-read this often.
const FULL_REFRESH: Duration = Duration::from_secs(30);

/// The links as of the last sample.
pub struct LinkTable {
    links: Vec<LinkMessage>,
    pub malformed: u64,
    pub unknown: u64,
    last_full: Option<Duration>,
    /// Link notifications (`RTNLGRP_LINK`); without it every sample is a full dump.
    monitor: Option<Rtnl>,
    /// How many samples were full dumps and how many refreshes (for the log and tests).
    pub full_dumps: u64,
    pub refreshes: u64,
}

impl Default for LinkTable {
    fn default() -> Self {
        LinkTable::new()
    }
}

impl LinkTable {
    /// Subscribes to link notifications first, so no change between the subscription and the
    /// first dump can be missed.
    pub fn new() -> LinkTable {
        let monitor = Rtnl::link_monitor().and_then(|m| m.nonblocking().map(|()| m));
        if let Err(e) = &monitor {
            tracing::warn!("no link notifications ({e}); every sample is a full link dump");
        }
        LinkTable {
            links: Vec::new(),
            malformed: 0,
            unknown: 0,
            last_full: None,
            monitor: monitor.ok(),
            full_dumps: 0,
            refreshes: 0,
        }
    }

    /// Lends the links out (to build a snapshot while the source is mutably borrowed)…
    pub fn take(&mut self) -> Vec<LinkMessage> {
        std::mem::take(&mut self.links)
    }

    /// …and takes them back.
    pub fn restore(&mut self, links: Vec<LinkMessage>) {
        self.links = links;
    }

    /// Brings the table up to date at time `now`; `refresh_vfs` says which links need their
    /// VF list re-read (the PFs on screen).
    pub fn update(
        &mut self,
        rtnl: &mut Rtnl,
        now: Duration,
        refresh_vfs: impl Fn(&LinkMessage) -> bool,
    ) -> Result<(), RtnlError> {
        let changed = self.topology_changed();
        let due = self.last_full.is_none_or(|t| now.saturating_sub(t) >= FULL_REFRESH);
        if !changed && !due {
            match self.refresh(rtnl, &refresh_vfs) {
                Ok(()) => {
                    self.refreshes += 1;
                    return Ok(());
                }
                Err(e) => tracing::debug!("refresh failed ({e}); full link dump"),
            }
        }
        let dump = rtnl.dump_links()?;
        self.links = dump.links;
        self.malformed = dump.malformed;
        self.unknown = dump.unknown;
        self.last_full = Some(now);
        self.full_dumps += 1;
        Ok(())
    }

    /// True when notifications arrived (or cannot be read) since the last look.
    fn topology_changed(&mut self) -> bool {
        match self.monitor.as_mut() {
            Some(monitor) => monitor.pending_events() > 0,
            None => true,
        }
    }

    fn refresh(
        &mut self,
        rtnl: &mut Rtnl,
        refresh_vfs: &impl Fn(&LinkMessage) -> bool,
    ) -> Result<(), RtnlError> {
        let stats = rtnl.dump_stats64()?;
        for link in &mut self.links {
            let counters = stats.get(&link.ifindex).ok_or_else(|| vanished(link))?;
            link.stats64 = Some(*counters);
        }
        if self.links.iter().any(|l| refresh_vfs(l) && l.dump_only()) {
            return Err(RtnlError::Build("an InfiniBand PF is read by dump only".into()));
        }
        for link in self.links.iter_mut().filter(|l| refresh_vfs(l)) {
            let fresh = rtnl.get_link(link.ifindex)?;
            if fresh.name != link.name {
                return Err(vanished(link));
            }
            self.malformed += fresh.malformed;
            self.unknown += fresh.unknown;
            *link = fresh;
        }
        Ok(())
    }
}

fn vanished(link: &LinkMessage) -> RtnlError {
    RtnlError::Build(format!("{} (ifindex {}) changed since the last dump", link.name, link.ifindex))
}
