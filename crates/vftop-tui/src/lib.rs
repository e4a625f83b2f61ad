//! vftop's console, on the core: the application state and the change flow (`app`), the
//! panels and their composition (`ui`), the event loop (`tui`), the sampler thread and its
//! protocol, and replay as a source of recorded samples. It knows no command line.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub use vftop_core::{
    audit, driver, export, families, guard, metrics, model, paths, record, source, times, units,
};

pub mod app;
pub mod protocol;
pub mod replay;
pub mod sampler;
pub mod tui;
pub mod ui;
