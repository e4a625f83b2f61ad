//! Pure computations over snapshots: counter rates, history windows, contention.

pub mod contention;
pub mod history;
pub mod rate;
pub mod reading;
