//! What a console starts with, as one typed value merged once from the command line and the
//! config (by the binary): the view's preferences and the change flow's. `App` takes it whole;
//! nothing outside `app/` sets its fields one by one.

use super::flow::Step;
use super::state::{ChartScale, SortKey};
use crate::metrics::history::Direction;
use crate::units::RateUnit;
use std::time::Duration;

/// The view a console opens on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewOptions {
    pub theme_index: usize,
    pub interval: Option<Duration>,
    pub scale: Option<ChartScale>,
    pub window: Option<Duration>,
    pub sort: Option<SortKey>,
    pub sort_reversed: Option<bool>,
    pub unit: Option<RateUnit>,
    pub direction: Option<Direction>,
}

/// How changes are made, if at all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowOptions {
    /// Why nothing may be changed, if so.
    pub read_only: Option<String>,
    /// Commit-confirmed armed for every change.
    pub confirm_within: Option<Duration>,
    pub step: Step,
}

/// Everything a console is started with besides its source and roles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppOptions {
    pub view: ViewOptions,
    pub flow: FlowOptions,
}
