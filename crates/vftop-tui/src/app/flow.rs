//! The change flow on its own: the change in flight, what `u` can undo, the change awaiting
//! confirmation (commit-confirmed: its expiry and the revert on exit), read-only, and step
//! sizes. It knows nothing of the screen; `App` asks it and shows what it says.

use super::action::{ApplyRequest, Effect};
use super::toast::{Level, Toasts};
use crate::audit::Reason;
use crate::model::{Mbps, RateChange, RateLimit, Target};
use crate::source::ApplyError;
use std::time::Duration;

/// The commit-confirmed window when the operator arms it without `--confirm-within`.
pub const DEFAULT_CONFIRM_WINDOW: Duration = Duration::from_secs(60);

/// How far a step key moves a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A percentage of the link speed.
    Percent(u32),
    /// A fixed rate.
    Fixed(Mbps),
}

impl Default for Step {
    fn default() -> Self {
        Step::Percent(10)
    }
}

impl Step {
    /// The step for a link, rounded to the driver's granularity (at least one unit of it).
    pub fn size(self, link: Mbps, granularity: Option<Mbps>) -> Mbps {
        let raw = match self {
            Step::Percent(p) => (u64::from(link.0) * u64::from(p) / 100) as u32,
            Step::Fixed(m) => m.0,
        };
        let raw = raw.max(1);
        match granularity.filter(|g| g.0 > 0) {
            Some(g) => Mbps((raw / g.0).max(1) * g.0),
            None => Mbps(raw),
        }
    }

    /// Parses `10%` or a rate like `500M`.
    pub fn parse(text: &str) -> Result<Step, StepError> {
        if let Some(p) = text.trim().strip_suffix('%') {
            let p: u32 = p.trim().parse().map_err(|_| StepError::NotAPercentage(text.to_string()))?;
            return if (1..=100).contains(&p) {
                Ok(Step::Percent(p))
            } else {
                Err(StepError::PercentOutOfRange(text.to_string()))
            };
        }
        match crate::units::parse_rate(text) {
            Ok(m) if !m.is_unlimited() => Ok(Step::Fixed(m)),
            Ok(_) => Err(StepError::Zero),
            Err(e) => Err(StepError::Rate(e)),
        }
    }
}

/// A text that is not a step (`--step`, `[ui] step`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("'{0}' is not a percentage")]
    NotAPercentage(String),
    #[error("{0}: use 1% to 100%")]
    PercentOutOfRange(String),
    #[error("a step cannot be 0")]
    Zero,
    #[error("{0}")]
    Rate(crate::units::RateParseError),
}

/// Which limit a step key moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepTarget {
    Max,
    Min,
}

/// A change that `u` can take back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoEntry {
    /// The inverse of what was applied.
    pub change: RateChange,
    pub partition: String,
}

/// A change applied under commit-confirmed, reverted at `deadline` unless confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Awaiting {
    /// As applied: old → what the driver kept.
    pub change: RateChange,
    pub partition: String,
    pub deadline: Duration,
    pub window: Duration,
}

fn inverse(change: &RateChange, kept: RateLimit) -> RateChange {
    RateChange { target: change.target.clone(), old: kept, new: change.old }
}

fn describe(change: &RateChange, kept: RateLimit) -> String {
    format!(
        "{}: max {} → {}, min {} → {}",
        change.target.label(),
        change.old.max,
        kept.max,
        change.old.min,
        kept.min
    )
}

/// The state of changes: at most one in flight, at most one awaiting confirmation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeFlow {
    /// Sent, not yet answered.
    pub(crate) pending: Option<ApplyRequest>,
    pub(crate) undo: Vec<UndoEntry>,
    pub(crate) awaiting: Option<Awaiting>,
    /// Commit-confirmed armed by default (`--confirm-within`).
    pub(crate) confirm_within: Option<Duration>,
    /// How far `]`/`[` and `}`/`{` move a limit.
    pub(crate) step: Step,
    /// Why nothing may be changed, if so.
    pub(crate) read_only: Option<String>,
    /// The change the runtime's guard was last told to watch.
    guarded: Option<Awaiting>,
    /// What the runtime must do to its guard, in order, since it last asked.
    guard_effects: Vec<Effect>,
}

impl ChangeFlow {
    /// Hands a change to the runtime, unless read-only or another change is in flight.
    pub fn send(&mut self, request: ApplyRequest, toasts: &mut Toasts, now: Duration) -> Option<Effect> {
        let effect = self.try_send(request, toasts, now);
        self.follow_guard();
        effect
    }

    fn try_send(&mut self, request: ApplyRequest, toasts: &mut Toasts, now: Duration) -> Option<Effect> {
        if let Some(reason) = &self.read_only {
            toasts.push(Level::Warn, format!("read-only ({reason}): nothing changed"), now);
            return None;
        }
        if self.pending.is_some() {
            toasts.push(Level::Warn, "a rate change is still in flight; try again when it is answered", now);
            return None;
        }
        toasts.push(Level::Info, format!("applying: {}", request.change.ip_command()), now);
        self.pending = Some(request.clone());
        Some(Effect::Apply(request))
    }

    /// The source answered a change: returns the limit now in force to show (where one is),
    /// and says what happened.
    pub fn applied(
        &mut self,
        request: ApplyRequest,
        result: Result<RateLimit, ApplyError>,
        toasts: &mut Toasts,
        now: Duration,
    ) -> Option<(Target, RateLimit)> {
        let shown = self.answered(request, result, toasts, now);
        self.follow_guard();
        shown
    }

    fn answered(
        &mut self,
        request: ApplyRequest,
        result: Result<RateLimit, ApplyError>,
        toasts: &mut Toasts,
        now: Duration,
    ) -> Option<(Target, RateLimit)> {
        self.pending = None;
        let ApplyRequest { change, partition, reason, confirm_within } = request;
        let kept = match (result, reason) {
            (Ok(kept), Reason::Operator | Reason::Declared) => {
                self.undo.push(UndoEntry { change: inverse(&change, kept), partition: partition.clone() });
                let mut text = format!("applied: {partition} {}", describe(&change, kept));
                if kept != change.new {
                    text.push_str(&format!(" (driver kept min {} max {})", kept.min, kept.max));
                }
                if let Some(window) = confirm_within {
                    text.push_str(&format!(" — press c within {}s to keep it", window.as_secs()));
                    let applied = RateChange { target: change.target.clone(), old: change.old, new: kept };
                    self.awaiting =
                        Some(Awaiting { change: applied, partition, deadline: now + window, window });
                }
                toasts.push(Level::Good, text, now);
                kept
            }
            // A keep sends nothing; were it ever answered, the limit is what it already was.
            (Ok(kept), Reason::Confirmed | Reason::External) => kept,
            (Ok(kept), Reason::Undo) => {
                if self.awaiting.as_ref().is_some_and(|a| a.change.target == change.target) {
                    self.awaiting = None;
                }
                toasts.push(Level::Good, format!("undone: {partition} {}", describe(&change, kept)), now);
                kept
            }
            (Ok(kept), Reason::ConfirmTimeout | Reason::Exit(_)) => {
                let text =
                    format!("reverted (not confirmed in time): {partition} {}", describe(&change, kept));
                toasts.push(Level::Warn, text, now);
                kept
            }
            (Err(e), Reason::ConfirmTimeout | Reason::Exit(_)) => {
                let what = change.target.label();
                let text =
                    format!("REVERT FAILED for {partition} ({what}): {e}; the change is still in force");
                toasts.push(Level::Error, text, now);
                return None;
            }
            (Err(e), _) => {
                let text = format!("{partition} ({}): {e}; nothing changed", change.target.label());
                toasts.push(Level::Error, text, now);
                return None;
            }
        };
        Some((change.target, kept))
    }

    /// The change counting down and its seconds left, if any.
    pub fn countdown(&self, now: Duration) -> Option<(&Awaiting, u64)> {
        let a = self.awaiting.as_ref()?;
        Some((a, a.deadline.saturating_sub(now).as_secs_f64().ceil() as u64))
    }

    /// `c`: keeps the change awaiting confirmation; the keep is audited.
    pub fn confirm(&mut self, toasts: &mut Toasts, now: Duration) -> Option<Effect> {
        let Some(a) = self.awaiting.take() else {
            toasts.push(Level::Info, "no change is waiting for confirmation", now);
            return None;
        };
        self.follow_guard();
        let text = format!("confirmed: {} {} stays", a.partition, describe(&a.change, a.change.new));
        toasts.push(Level::Good, text, now);
        let request = ApplyRequest {
            change: a.change,
            partition: a.partition,
            reason: Reason::Confirmed,
            confirm_within: None,
        };
        Some(Effect::Audit(request))
    }

    /// Commit-confirmed: once the deadline has passed unconfirmed (and nothing is in flight),
    /// the revert to send.
    pub fn expired(&mut self, now: Duration) -> Option<ApplyRequest> {
        let due = self.awaiting.as_ref().is_some_and(|a| a.deadline <= now) && self.pending.is_none();
        if !due {
            return None;
        }
        let a = self.awaiting.take()?;
        let revert = inverse(&a.change, a.change.new);
        if self.undo.last().is_some_and(|u| u.change == revert) {
            self.undo.pop();
        }
        Some(ApplyRequest {
            change: revert,
            partition: a.partition,
            reason: Reason::ConfirmTimeout,
            confirm_within: None,
        })
    }

    /// The console is ending (`cause`: "exit", or the signal's name) with a change not yet
    /// confirmed: the request that reverts it, which the runtime sends and waits for before it
    /// restores the terminal. Unconfirmed means unwanted: it must not outlive the console.
    pub fn revert_on_exit(&mut self, cause: &'static str) -> Option<ApplyRequest> {
        let a = self.awaiting.take()?;
        let change = inverse(&a.change, a.change.new);
        Some(ApplyRequest {
            change,
            partition: a.partition,
            reason: Reason::Exit(cause),
            confirm_within: None,
        })
    }

    /// Someone else changed `target`: a change of ours counting down on it is theirs now, and
    /// is not reverted over theirs. True when one was.
    pub fn replaced_from_outside(&mut self, target: &Target) -> bool {
        let ours = self.awaiting.as_ref().is_some_and(|a| &a.change.target == target);
        if ours {
            self.awaiting = None;
            self.follow_guard();
        }
        ours
    }

    /// Tells the runtime's guard what the change awaiting confirmation now asks of it: to
    /// watch a VF change counting down, to stay while that change's revert is in flight, and
    /// to stand down once the change is settled (kept, undone, reverted, replaced). The
    /// console's exit is the runtime's to settle: it disarms once the exit revert lands.
    fn follow_guard(&mut self) {
        let reverting = self
            .pending
            .as_ref()
            .is_some_and(|p| matches!(p.reason, Reason::ConfirmTimeout | Reason::Exit(_)));
        let watched = self.awaiting.as_ref().filter(|a| matches!(a.change.target, Target::Vf(_)));
        match watched.cloned() {
            Some(a) if !self.guarded.as_ref().is_some_and(|g| same_watch(g, &a)) => {
                self.guarded = Some(a.clone());
                self.guard_effects.push(Effect::ArmGuard(a));
            }
            Some(_) => {}
            None if reverting => {}
            None => {
                if self.guarded.take().is_some() {
                    self.guard_effects.push(Effect::DisarmGuard);
                }
            }
        }
    }

    /// What the runtime must do to its guard since it last asked.
    pub(crate) fn take_guard_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.guard_effects)
    }
}

/// Whether a guard watching `a` already watches `b`: the same VF, the same limit applied.
fn same_watch(a: &Awaiting, b: &Awaiting) -> bool {
    a.change.target == b.change.target && a.change.new == b.change.new
}

impl ChangeFlow {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_sizes_and_rounding() {
        assert_eq!(Step::default().size(Mbps(10_000), None), Mbps(1000));
        assert_eq!(Step::Percent(10).size(Mbps(1000), Some(Mbps(50))), Mbps(100));
        assert_eq!(Step::Percent(7).size(Mbps(1000), Some(Mbps(50))), Mbps(50));
        assert_eq!(Step::Fixed(Mbps(120)).size(Mbps(1000), Some(Mbps(50))), Mbps(100));
        assert_eq!(Step::Fixed(Mbps(20)).size(Mbps(1000), Some(Mbps(50))), Mbps(50));
        assert_eq!(Step::Percent(1).size(Mbps(10), None), Mbps(1));
    }

    #[test]
    fn step_parsing() {
        assert_eq!(Step::parse("10%"), Ok(Step::Percent(10)));
        assert_eq!(Step::parse("500M"), Ok(Step::Fixed(Mbps(500))));
        assert!(Step::parse("0").is_err());
        assert!(Step::parse("150%").is_err());
        assert!(Step::parse("x%").is_err());
    }

    fn request(max: u32, reason: Reason, confirm: Option<u64>) -> ApplyRequest {
        let key = crate::model::VfKey { pf: "pf0".into(), vf: 1 };
        ApplyRequest {
            change: RateChange::vf(key, RateLimit::new(0, 2000), RateLimit::new(0, max)),
            partition: "Backup".into(),
            reason,
            confirm_within: confirm.map(Duration::from_secs),
        }
    }

    #[test]
    fn one_change_at_a_time_and_none_when_read_only() {
        let (mut flow, mut toasts, now) = (ChangeFlow::default(), Toasts::default(), Duration::ZERO);
        assert!(flow.send(request(300, Reason::Operator, None), &mut toasts, now).is_some());
        assert!(flow.send(request(400, Reason::Operator, None), &mut toasts, now).is_none());
        assert!(toasts.current(now).unwrap().text.contains("still in flight"));
        flow.pending = None;
        flow.read_only = Some("replay".into());
        assert!(flow.send(request(400, Reason::Operator, None), &mut toasts, now).is_none());
    }

    #[test]
    fn commit_confirmed_expires_into_a_revert_and_exit_reverts_too() {
        let (mut flow, mut toasts) = (ChangeFlow::default(), Toasts::default());
        let s = Duration::from_secs;
        let shown = flow.applied(
            request(300, Reason::Operator, Some(30)),
            Ok(RateLimit::new(0, 300)),
            &mut toasts,
            s(10),
        );
        assert_eq!(shown.map(|(_, l)| l), Some(RateLimit::new(0, 300)));
        assert_eq!(flow.countdown(s(25)).map(|(_, left)| left), Some(15));
        assert!(flow.expired(s(39)).is_none());
        let revert = flow.expired(s(40)).expect("the deadline passed");
        assert_eq!((revert.reason, revert.change.new), (Reason::ConfirmTimeout, RateLimit::new(0, 2000)));
        assert!(flow.undo.is_empty(), "a reverted change is not undone again");
        flow.applied(
            request(300, Reason::Operator, Some(30)),
            Ok(RateLimit::new(0, 300)),
            &mut toasts,
            s(50),
        );
        let exit = flow.revert_on_exit("SIGHUP").unwrap();
        assert_eq!((exit.reason, exit.change.new), (Reason::Exit("SIGHUP"), RateLimit::new(0, 2000)));
        assert!(flow.revert_on_exit("exit").is_none(), "once");
    }

    #[test]
    fn a_kept_change_is_audited_and_an_outside_change_takes_over() {
        let (mut flow, mut toasts) = (ChangeFlow::default(), Toasts::default());
        let now = Duration::from_secs(1);
        flow.applied(request(300, Reason::Operator, Some(30)), Ok(RateLimit::new(0, 300)), &mut toasts, now);
        let Some(Effect::Audit(keep)) = flow.confirm(&mut toasts, now) else { panic!() };
        assert_eq!(keep.reason, Reason::Confirmed);
        assert!(flow.confirm(&mut toasts, now).is_none());
        flow.applied(request(300, Reason::Operator, Some(30)), Ok(RateLimit::new(0, 300)), &mut toasts, now);
        let target = Target::Vf(crate::model::VfKey { pf: "pf0".into(), vf: 1 });
        assert!(flow.replaced_from_outside(&target));
        assert!(flow.revert_on_exit("exit").is_none(), "not reverted over someone else's change");
    }

    #[test]
    fn a_refused_change_shows_nothing_new_and_says_why() {
        let (mut flow, mut toasts, now) = (ChangeFlow::default(), Toasts::default(), Duration::ZERO);
        let refused = Err(ApplyError::KernelInvalid { reason: "no".into() });
        assert_eq!(flow.applied(request(300, Reason::Operator, None), refused, &mut toasts, now), None);
        assert!(toasts.current(now).unwrap().text.contains("nothing changed"));
        assert!(flow.undo.is_empty());
    }
}
