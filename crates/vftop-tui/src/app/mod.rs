//! Application state and behaviour: what the operator sees and does, independent of drawing.

pub mod action;
pub mod changes;
pub mod control;
pub mod flow;
pub mod options;
pub mod replay;
pub mod report;
pub mod state;
pub mod timeline;
pub mod toast;
pub mod tree;

pub use action::{Action, ApplyRequest, Effect, Seek};
pub use state::{App, Focus, PartitionRow, View};
