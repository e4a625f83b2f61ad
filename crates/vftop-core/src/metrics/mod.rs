//! Pure computations over snapshots: counter rates, history windows, contention, episodes, top
//! talkers, and the per-VF tables they are kept in.

pub mod contention;
pub mod episodes;
pub mod history;
pub mod rate;
pub mod reading;
pub mod table;
pub mod talkers;
