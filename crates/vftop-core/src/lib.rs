//! vftop's core, with no terminal in it: the NIC model and its units, rates and contention,
//! the sources (kernel, simulator, the fleet over Prometheus), the flight recorder's store, the
//! Prometheus exporter and the audit trail. The console (`vftop`'s `app`, `ui`, `tui`) is built
//! on it; nothing here can import the console, so the layering cannot be broken by an import.
//!
//! Ground floor: `units`, `times`, `paths`, `families` (import nothing of vftop) → `model`, `driver` →
//! `metrics` (pure) → `source` → the sinks `record`, `report`, `export`, `audit`; `guard` reverts a change
//! when its console is gone.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod driver;
pub mod export;
pub mod families;
pub mod guard;
pub mod metrics;
pub mod model;
pub mod paths;
pub mod record;
pub mod report;
pub mod source;
pub mod times;
pub mod units;
