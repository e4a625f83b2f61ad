//! Pure computations over snapshots: counter rates, history windows, contention, episodes, top
//! talkers.

pub mod contention;
pub mod episodes;
pub mod history;
pub mod rate;
pub mod reading;
pub mod talkers;
