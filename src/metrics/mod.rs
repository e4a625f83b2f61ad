//! Pure computations over snapshots: units, counter rates, history windows, contention.

pub mod contention;
pub mod history;
pub mod rate;
pub mod units;
