//! vftop: live QoS monitoring and safe rate tuning for SR-IOV virtual functions.
//!
//! Layers, each depending only on those before it: `source` (kernel, simulator) → `model` /
//! `metrics` (pure) → `app` (state, actions) → `ui` (ratatui). `sampler` and `tui` wire them up.
//! Beside the console: `export` (Prometheus), `record` (the flight recorder's store, a sink),
//! `audit` (the audit trail, a sink: one typed record, its writer and reader) and `replay` (a
//! recording as the console's source).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub use vftop_core::{audit, export, families, guard, metrics, model, paths, record, source, times, units};

pub mod app;
pub mod cli;
pub mod config;
pub mod protocol;
pub mod replay;
pub mod sampler;
pub mod tui;
pub mod ui;
