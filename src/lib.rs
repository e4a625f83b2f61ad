//! vftop: live QoS monitoring and safe rate tuning for SR-IOV virtual functions.
//!
//! Layers, each depending only on those before it: `source` (kernel, simulator) → `model` /
//! `metrics` (pure) → `app` (state, actions) → `ui` (ratatui). `sampler` and `tui` wire them up.
//! Beside the console: `export` (Prometheus), `record` (the flight recorder's store, a sink),
//! `audit` (the audit trail, a sink: one typed record, its writer and reader) and `replay` (a
//! recording as the console's source).

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod export;
pub mod families;
pub mod guard;
pub mod metrics;
pub mod paths;
pub mod model;
pub mod protocol;
pub mod record;
pub mod replay;
pub mod sampler;
pub mod source;
pub mod times;
pub mod tui;
pub mod ui;
pub mod units;
