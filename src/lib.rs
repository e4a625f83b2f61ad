//! vftop: live QoS monitoring and safe rate tuning for SR-IOV virtual functions.

pub mod metrics;
pub mod model;
pub mod source;
