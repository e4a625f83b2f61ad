//! What a key press means to the application, and what the application asks the runtime to do.

use crate::audit::Reason;
use crate::model::RateChange;
use std::time::Duration;

/// An operator intent, already decoded from a key by the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    SelectNext,
    SelectPrev,
    /// PgDn / PgUp: a page of rows; Home / End: the first / last row.
    PageDown,
    PageUp,
    SelectFirst,
    SelectLast,
    FocusNext,
    /// Shift-Tab.
    FocusPrev,
    /// `/`: type a filter for the rows.
    StartFilter,
    OpenDetail,
    Back,
    TogglePause,
    SlowerSampling,
    FasterSampling,
    NextTheme,
    ToggleUnits,
    ToggleDirection,
    CycleSort,
    /// `S`: the same sort key, the other direction.
    ReverseSort,
    ZoomIn,
    ZoomOut,
    CycleScale,
    ToggleHelp,
    EditRate,
    RaiseMax,
    LowerMax,
    RaiseMin,
    LowerMin,
    Undo,
    /// Commit-confirmed: keep the change that is counting down.
    ConfirmChange,
    /// Show the audit log.
    ShowAudit,
    /// Confirmation: arm or disarm commit-confirmed for this change.
    ToggleCommitConfirmed,
    /// Editor: a typed character.
    Input(char),
    /// Editor: delete the last character.
    Erase,
    /// Editor: Ctrl-U, clear the field.
    ClearField,
    /// Editor: switch between the max and min fields.
    NextField,
    /// Editor: validate and show the confirmation.
    Submit,
    /// Confirmation: apply.
    Confirm,
    /// Mouse: the n-th visible row was clicked.
    ClickRow(usize),
    /// Mouse: a panel was clicked.
    FocusPanel(super::Focus),
    /// Replay: move the time cursor.
    Seek(Seek),
    /// Replay: `g`, type a time to go to.
    StartGoTo,
    /// Replay: `E`, the events panel.
    ShowEvents,
}

/// Where a replay's time cursor goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seek {
    /// This many samples on (back when negative).
    Samples(i64),
    /// This many milliseconds on (back when negative).
    Millis(i64),
    /// To this time (ms since the epoch).
    To(i64),
    /// To a time as typed (`03:00`, `20m ago`, RFC 3339), read by the replayer.
    Text(String),
    /// To the newest sample.
    Newest,
    /// Same time, another chart window.
    Window(Duration),
}

/// Work the runtime does for the application (the app itself never blocks or does I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Apply(ApplyRequest),
    SetInterval(Duration),
    /// Read the audit log's tail and hand it to `App::show_audit`.
    ShowAudit,
    /// Append a record for something decided without sending a change (a commit-confirmed
    /// change kept with `c`).
    Audit(ApplyRequest),
    /// Replay: move the cursor (the replayer answers with the recorded samples there).
    Seek(Seek),
    /// The fleet: ask for one host whole, or (`None`) the overview.
    ShowHost(Option<String>),
    /// Commit-confirmed: start the guard that reverts this VF change should the console die
    /// before it is confirmed (in place of one watching another change).
    ArmGuard(super::flow::Awaiting),
    /// The change the guard watches is settled: stop it.
    DisarmGuard,
    Quit,
}

/// A rate change to send, with what the audit trail and commit-confirmed need to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyRequest {
    pub change: RateChange,
    pub partition: String,
    pub reason: Reason,
    /// Commit-confirmed: revert unless confirmed within this time.
    pub confirm_within: Option<Duration>,
}
