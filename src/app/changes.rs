//! The safe change flow: editor → confirmation → apply → read back; undo, commit-confirmed
//! (revert unless confirmed in time), read-only, and step keys.

use super::action::{Action, ApplyRequest, Effect};
use super::audit::Reason;
use super::control::{Editor, Stage, stepped_max, stepped_min};
use super::state::{App, Level, Overlay, WHOLE_LINK};
use crate::model::{Capabilities, Mbps, RateChange, RateLimit, Target};
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
    pub fn parse(text: &str) -> Result<Step, String> {
        if let Some(p) = text.trim().strip_suffix('%') {
            let p: u32 = p.trim().parse().map_err(|_| format!("'{text}' is not a percentage"))?;
            return if (1..=100).contains(&p) {
                Ok(Step::Percent(p))
            } else {
                Err(format!("{text}: use 1% to 100%"))
            };
        }
        match crate::metrics::units::parse_rate(text) {
            Ok(m) if !m.is_unlimited() => Ok(Step::Fixed(m)),
            Ok(_) => Err("a step cannot be 0".into()),
            Err(e) => Err(e.to_string()),
        }
    }
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

impl App {
    pub(super) fn handle_editor(&mut self, action: Action) -> Option<Effect> {
        let driver = self.editor().map(|e| self.driver_of(e.ctx.target.owner())).unwrap_or_default();
        let default_window = self.confirm_within.unwrap_or(DEFAULT_CONFIRM_WINDOW);
        let Overlay::Editor(editor) = &mut self.overlay else { return None };
        match (&editor.stage, action) {
            (Stage::Editing, Action::Input(c)) => editor.input(c),
            (Stage::Editing, Action::Erase) => editor.erase(),
            (Stage::Editing, Action::ClearField) => editor.clear(),
            (Stage::Editing, Action::NextField) => editor.next_field(),
            (Stage::Editing, Action::Submit) => editor.submit(&driver),
            (Stage::Editing, Action::Back) => self.overlay = Overlay::None,
            (Stage::Confirming(_), Action::Back) => editor.back(),
            (Stage::Confirming(_), Action::ToggleCommitConfirmed) => {
                editor.confirm_within =
                    if editor.confirm_within.is_some() { None } else { Some(default_window) };
            }
            (Stage::Confirming(p), Action::Confirm) => {
                if !p.warnings.is_empty() && !editor.acknowledged {
                    editor.acknowledged = true;
                    self.toast(Level::Warn, "warning acknowledged: press y again to apply");
                    return None;
                }
                let request = ApplyRequest {
                    change: p.change.clone(),
                    partition: editor.ctx.name.clone(),
                    reason: editor.reason,
                    confirm_within: editor.confirm_within,
                };
                self.overlay = Overlay::None;
                return self.send(request);
            }
            _ => {}
        }
        None
    }

    /// Hands a change to the runtime, unless read-only or another change is in flight.
    pub(super) fn send(&mut self, request: ApplyRequest) -> Option<Effect> {
        if let Some(reason) = &self.read_only {
            let text = format!("read-only ({reason}): nothing changed");
            self.toast(Level::Warn, text);
            return None;
        }
        if self.pending.is_some() {
            self.toast(Level::Warn, "a rate change is still in flight; try again when it is answered");
            return None;
        }
        self.toast(Level::Info, format!("applying: {}", request.change.ip_command()));
        self.pending = Some(request.clone());
        Some(Effect::Apply(request))
    }

    /// The source answered a change; `audit` says whether its audit record was written.
    pub fn applied(
        &mut self,
        request: ApplyRequest,
        result: Result<RateLimit, ApplyError>,
        audit: Result<(), String>,
    ) {
        self.pending = None;
        let ApplyRequest { change, partition, reason, confirm_within } = request;
        match (result, reason) {
            (Ok(kept), Reason::Operator) => {
                self.update_limit(&change.target, kept);
                self.undo.push(UndoEntry { change: inverse(&change, kept), partition: partition.clone() });
                let mut text = format!("applied: {partition} {}", describe(&change, kept));
                if kept != change.new {
                    text.push_str(&format!(" (driver kept min {} max {})", kept.min, kept.max));
                }
                if let Some(window) = confirm_within {
                    text.push_str(&format!(" — press c within {}s to keep it", window.as_secs()));
                    let applied = RateChange { target: change.target.clone(), old: change.old, new: kept };
                    self.awaiting =
                        Some(Awaiting { change: applied, partition, deadline: self.now + window, window });
                }
                self.toast(Level::Good, text);
            }
            // A keep sends nothing; were it ever answered, the limit is what it already was.
            (Ok(kept), Reason::Confirmed | Reason::External) => self.update_limit(&change.target, kept),
            (Ok(kept), Reason::Undo) => {
                self.update_limit(&change.target, kept);
                if self.awaiting.as_ref().is_some_and(|a| a.change.target == change.target) {
                    self.awaiting = None;
                }
                self.toast(Level::Good, format!("undone: {partition} {}", describe(&change, kept)));
            }
            (Ok(kept), Reason::ConfirmTimeout | Reason::Exit(_)) => {
                self.update_limit(&change.target, kept);
                self.toast(
                    Level::Warn,
                    format!("reverted (not confirmed in time): {partition} {}", describe(&change, kept)),
                );
            }
            (Err(e), Reason::ConfirmTimeout | Reason::Exit(_)) => {
                self.toast(
                    Level::Error,
                    format!(
                        "REVERT FAILED for {partition} ({}): {e}; the change is still in force",
                        change.target.label()
                    ),
                );
            }
            (Err(e), _) => self.toast(
                Level::Error,
                format!("{partition} ({}): {e}; nothing changed", change.target.label()),
            ),
        }
        if let Err(e) = audit {
            self.toast(Level::Error, format!("AUDIT LOG NOT WRITTEN: {e}"));
        }
    }

    /// Seconds left of the change counting down, if any.
    pub fn commit_countdown(&self) -> Option<(&Awaiting, u64)> {
        let a = self.awaiting.as_ref()?;
        Some((a, a.deadline.saturating_sub(self.now).as_secs_f64().ceil() as u64))
    }

    /// `c`: keeps the change awaiting confirmation; the keep is audited.
    pub(super) fn confirm_awaiting(&mut self) -> Option<Effect> {
        let Some(a) = self.awaiting.take() else {
            self.toast(Level::Info, "no change is waiting for confirmation");
            return None;
        };
        self.toast(
            Level::Good,
            format!("confirmed: {} {} stays", a.partition, describe(&a.change, a.change.new)),
        );
        let request = ApplyRequest {
            change: a.change,
            partition: a.partition,
            reason: Reason::Confirmed,
            confirm_within: None,
        };
        Some(Effect::Audit(request))
    }

    /// Commit-confirmed: once the deadline passes unconfirmed, send the revert.
    pub(super) fn expire_commit_confirmed(&mut self) -> Option<Effect> {
        let due = self.awaiting.as_ref().is_some_and(|a| a.deadline <= self.now) && self.pending.is_none();
        if !due {
            return None;
        }
        let a = self.awaiting.take()?;
        let revert = inverse(&a.change, a.change.new);
        if self.undo.last().is_some_and(|u| u.change == revert) {
            self.undo.pop();
        }
        let request = ApplyRequest {
            change: revert,
            partition: a.partition,
            reason: Reason::ConfirmTimeout,
            confirm_within: None,
        };
        self.send(request)
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

    /// The audit log's tail, read by the runtime for the `a` view.
    pub fn show_audit(&mut self, lines: Result<Vec<String>, String>) {
        match lines {
            Ok(lines) => self.overlay = Overlay::Audit(lines),
            Err(e) => self.toast(Level::Error, format!("cannot read the audit log: {e}")),
        }
    }

    pub(super) fn undo_last(&mut self) -> Option<Effect> {
        let Some(entry) = self.undo.last().cloned() else {
            self.toast(Level::Info, "nothing to undo");
            return None;
        };
        let ctx = self.edit_context(&entry.change.target)?;
        let driver = self.driver_of(entry.change.target.owner());
        let mut editor = Editor::proposing(ctx, entry.change.new, &driver);
        editor.reason = Reason::Undo;
        if matches!(editor.stage, Stage::Confirming(_)) {
            self.undo.pop();
            self.overlay = Overlay::Editor(Box::new(editor));
        } else {
            let why = editor.error.unwrap_or_default();
            self.toast(Level::Error, format!("cannot undo: {why}"));
        }
        None
    }

    /// Why a throttling key does nothing here, if it does nothing: the read-only reason, and
    /// in the fleet view the command that changes the selected VF on its host.
    fn read_only_refusal(&self) -> Option<String> {
        let reason = self.read_only.as_ref()?;
        let row = self.selected_row().filter(|_| self.source == crate::source::SourceKind::Fleet);
        Some(match row {
            Some(r) => {
                let change = RateChange::vf(r.key.clone(), r.vf.rate, r.vf.rate);
                format!("change it on its host: {}", crate::source::fleet::ssh_command(&change))
            }
            None => format!("read-only: {reason}"),
        })
    }

    pub(super) fn open_editor(&mut self, proposal: Option<RateLimit>) {
        let Some(key) = self.selected.clone() else { return };
        if let Some(text) = self.read_only_refusal() {
            self.toast(Level::Warn, text);
            return;
        }
        if key.vf == WHOLE_LINK {
            let text = format!("{} is a link without VFs: there is no VF rate to set", key.pf);
            self.toast(Level::Info, text);
            return;
        }
        let Some(ctx) = self.edit_context(&Target::Vf(key.clone())) else { return };
        let driver = self.driver_of(&key.pf);
        let mut editor = match proposal {
            Some(new) => Editor::stepping(ctx, new, &driver),
            None => Editor::new(ctx),
        };
        editor.confirm_within = self.confirm_within;
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    /// Opens the editor on the selected devlink rate object (tx_share as min, tx_max as max).
    pub(super) fn open_devlink_editor(&mut self) {
        if let Some(reason) = &self.read_only {
            let text = format!("read-only: {reason}");
            self.toast(Level::Warn, text);
            return;
        }
        if self.tree_selected.is_none() {
            let objects = self.snapshot.as_ref().map(|s| s.rate_objects.as_slice()).unwrap_or_default();
            self.tree_selected = super::tree::step(objects, None, 0);
        }
        let Some(target) = self.tree_selected.clone() else { return };
        let Some(ctx) = self.edit_context(&Target::Devlink(target)) else { return };
        let mut editor = Editor::new(ctx);
        editor.confirm_within = self.confirm_within;
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    pub(super) fn step_limit(&mut self, target: StepTarget, up: bool) {
        if self.focus == super::state::Focus::RateTree {
            self.toast(Level::Info, "in the rate tree, e edits tx_share and tx_max");
            return;
        }
        if let Some(text) = self.read_only_refusal() {
            self.toast(Level::Warn, text);
            return;
        }
        let Some(row) = self.selected_row() else { return };
        let Some(link) = row.link else {
            self.toast(Level::Info, "link speed unknown: use e to type a rate");
            return;
        };
        let granularity = self.capabilities_of(&row.key.pf).granularity;
        let step = self.step.size(link, granularity);
        let current = row.vf.rate;
        let new = match target {
            StepTarget::Max => stepped_max(current, link, step, up),
            StepTarget::Min => stepped_min(current, link, step, up),
        };
        if new == current {
            self.toast(Level::Info, "already at the limit of what a step can do");
            return;
        }
        self.open_editor(Some(new));
    }

    pub(super) fn capabilities_of(&self, pf: &str) -> Capabilities {
        Capabilities::for_driver(&self.driver_of(pf))
    }

    fn update_limit(&mut self, target: &Target, limit: RateLimit) {
        match target {
            Target::Vf(key) => {
                let Some(row) = self.rows.iter_mut().find(|r| &r.key == key) else { return };
                let old = std::mem::replace(&mut row.vf.rate, limit);
                // Where the VF's devlink leaf mirrors its limit (mlx5, the simulator), the
                // leaf moves with it: that is our change, not drift.
                let leaves = self.snapshot.iter_mut().flat_map(|s| s.rate_objects.iter_mut());
                for leaf in leaves.filter(|o| o.vf.as_ref() == Some(key) && o.limit == old) {
                    leaf.limit = limit;
                }
            }
            Target::Devlink(d) => {
                let objects = self.snapshot.iter_mut().flat_map(|s| s.rate_objects.iter_mut());
                if let Some(object) = objects.into_iter().find(|o| &o.target == d) {
                    object.limit = limit;
                }
            }
        }
    }

    pub(super) fn driver_of(&self, pf: &str) -> String {
        self.snapshot.as_ref().and_then(|s| s.pf(pf)).map(|p| p.driver.clone()).unwrap_or_default()
    }
}

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
}
