//! Pure computations over snapshots: counter rates, history windows, contention, top talkers.

pub mod contention;
pub mod history;
pub mod rate;
pub mod reading;
pub mod talkers;
