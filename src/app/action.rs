//! What a key press means to the application, and what the application asks the runtime to do.

use crate::model::RateChange;
use std::time::Duration;

/// An operator intent, already decoded from a key by the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    SelectNext,
    SelectPrev,
    FocusNext,
    OpenDetail,
    Back,
    TogglePause,
    SlowerSampling,
    FasterSampling,
    NextTheme,
    ToggleUnits,
    ToggleDirection,
    CycleSort,
    ZoomIn,
    ZoomOut,
    CycleScale,
    ToggleHelp,
    EditRate,
    RaiseMax,
    LowerMax,
    Undo,
    /// Editor: a typed character.
    Input(char),
    /// Editor: delete the last character.
    Erase,
    /// Editor: switch between the max and min fields.
    NextField,
    /// Editor: validate and show the confirmation.
    Submit,
    /// Confirmation: apply.
    Confirm,
}

/// Work the runtime does for the application (the app itself never blocks or does I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Apply(RateChange),
    SetInterval(Duration),
    Quit,
}
