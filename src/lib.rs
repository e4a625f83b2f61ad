//! vftop: live QoS monitoring and safe rate tuning for SR-IOV virtual functions — the options
//! (`cli`, `config`) over the two crates it is built from: `vftop-core` (no terminal: the model,
//! units, metrics, sources and sinks) and `vftop-tui` (the console), re-exported here under
//! their module names so `vftop::model`, `vftop::app` … name them.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub use vftop_core::{
    audit, driver, export, families, guard, metrics, model, paths, record, report, source, times, units,
};
pub use vftop_tui::{app, protocol, replay, sampler, tui, ui};

pub mod cli;
pub mod config;
pub mod intent;
