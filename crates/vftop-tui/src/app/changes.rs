//! The console's side of the change flow: the editor and its confirmation, step keys, undo,
//! `c`, and showing what the flow (`flow.rs`) decided.

use super::action::{Action, ApplyRequest, Effect};
use super::control::{Editor, Stage, relative_step, stepped_max, stepped_min};
use super::flow::{Awaiting, DEFAULT_CONFIRM_WINDOW, StepTarget};
use super::state::{App, Level, Overlay, WHOLE_LINK};
use crate::audit::Reason;
use crate::model::{Capabilities, RateChange, RateLimit, Target};
use crate::source::ApplyError;

impl App {
    pub(super) fn handle_editor(&mut self, action: Action) -> Option<Effect> {
        let driver = self.editor().map(|e| self.driver_of(e.ctx.target.owner())).unwrap_or_default();
        let default_window = self.flow.confirm_within.unwrap_or(DEFAULT_CONFIRM_WINDOW);
        let Overlay::Editor(editor) = &mut self.overlay else { return None };
        match (&editor.stage, action) {
            (Stage::Editing, Action::Input(c)) => editor.input(c),
            (Stage::Editing, Action::Erase) => editor.erase(),
            (Stage::Editing, Action::ClearField) => editor.clear(),
            (Stage::Editing, Action::NextField) => editor.next_field(),
            (Stage::Editing, Action::Submit) => editor.submit(&driver),
            (Stage::Editing, Action::Back) => self.overlay = Overlay::None,
            // A proposal (a step key, an undo) is cancelled whole: nothing was typed to go
            // back to, and the next key must not land in a field.
            (Stage::Confirming(p), Action::Back) if editor.stepped || editor.reason == Reason::Undo => {
                if editor.reason == Reason::Undo {
                    let (change, partition) = (p.change.clone(), editor.ctx.name.clone());
                    self.flow.undo.push(super::flow::UndoEntry { change, partition });
                }
                self.overlay = Overlay::None;
                self.toast(Level::Info, "cancelled: nothing changed");
            }
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
        self.flow.send(request, &mut self.toasts, self.now)
    }

    /// The source answered a change; `audit` says whether its audit record was written.
    pub fn applied(
        &mut self,
        request: ApplyRequest,
        result: Result<RateLimit, ApplyError>,
        audit: Result<(), crate::audit::AuditError>,
    ) {
        if let Some((target, kept)) = self.flow.applied(request, result, &mut self.toasts, self.now) {
            self.update_limit(&target, kept);
        }
        if let Err(e) = audit {
            self.toast(Level::Error, format!("AUDIT LOG NOT WRITTEN: {e}"));
        }
    }

    /// Seconds left of the change counting down, if any.
    pub fn commit_countdown(&self) -> Option<(&Awaiting, u64)> {
        self.flow.countdown(self.now)
    }

    /// `c`: keeps the change awaiting confirmation; the keep is audited.
    pub(super) fn confirm_awaiting(&mut self) -> Option<Effect> {
        self.flow.confirm(&mut self.toasts, self.now)
    }

    /// Commit-confirmed: once the deadline passes unconfirmed, send the revert.
    pub(super) fn expire_commit_confirmed(&mut self) -> Option<Effect> {
        let revert = self.flow.expired(self.now)?;
        self.send(revert)
    }

    /// The console is ending (`cause`: "exit", or the signal's name): the revert of a change
    /// not yet confirmed, for the runtime to send and wait for before it restores the terminal.
    pub fn revert_on_exit(&mut self, cause: &'static str) -> Option<ApplyRequest> {
        self.flow.revert_on_exit(cause)
    }

    /// The audit log's tail, read by the runtime for the `a` view.
    pub fn show_audit(&mut self, lines: Result<Vec<String>, crate::audit::TailError>) {
        match lines {
            Ok(lines) => self.overlay = Overlay::Audit(lines),
            Err(e) => self.toast(Level::Error, format!("cannot read the audit log: {e}")),
        }
    }

    pub(super) fn undo_last(&mut self) -> Option<Effect> {
        let Some(entry) = self.flow.undo.last().cloned() else {
            self.toast(Level::Info, "nothing to undo");
            return None;
        };
        let ctx = self.edit_context(&entry.change.target)?;
        let driver = self.driver_of(entry.change.target.owner());
        let mut editor = Editor::proposing(ctx, entry.change.new, &driver, self.unit);
        editor.reason = Reason::Undo;
        if matches!(editor.stage, Stage::Confirming(_)) {
            self.flow.undo.pop();
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
        let reason = self.flow.read_only.as_ref()?;
        let row = self.selected_row().filter(|_| self.source == crate::source::SourceKind::Fleet);
        Some(match row {
            Some(r) => {
                let change = RateChange::vf(r.key.clone(), r.vf.rate, r.vf.rate);
                format!("change it on its host: {}", crate::source::fleet::ssh_command(&change))
            }
            None => self.read_only_words(reason),
        })
    }

    /// What a refused key says: the reason where nothing else on screen says it (a replay has
    /// no banner), else only that nothing changes — the banner says why, once.
    fn read_only_words(&self, reason: &str) -> String {
        if self.replay.is_some() {
            format!("read-only: {reason}")
        } else {
            "read-only: nothing is changed from this console (the banner says why)".into()
        }
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
            Some(new) => Editor::stepping(ctx, new, &driver, self.unit),
            None => Editor::new(ctx, self.unit),
        };
        editor.confirm_within = self.flow.confirm_within;
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    /// Opens the editor on the selected devlink rate object (tx_share as min, tx_max as max).
    pub(super) fn open_devlink_editor(&mut self) {
        if let Some(reason) = &self.flow.read_only {
            let text = self.read_only_words(reason);
            self.toast(Level::Warn, text);
            return;
        }
        if self.tree_selected.is_none() {
            let objects = self.snapshot.as_ref().map(|s| s.rate_objects.as_slice()).unwrap_or_default();
            self.tree_selected = super::tree::step(objects, None, 0);
        }
        let Some(target) = self.tree_selected.clone() else { return };
        let Some(ctx) = self.edit_context(&Target::Devlink(target)) else { return };
        let mut editor = Editor::new(ctx, self.unit);
        editor.confirm_within = self.flow.confirm_within;
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
        let step = self.flow.step.size(link, granularity);
        let current = row.vf.rate;
        let new = match target {
            StepTarget::Max => {
                let step = relative_step(step, current.effective_cap(link), granularity);
                stepped_max(current, link, step, up)
            }
            StepTarget::Min => stepped_min(current, link, relative_step(step, current.min, granularity), up),
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
                self.own_changes.insert(key.clone(), limit);
                // Where the VF's devlink leaf mirrors its limit (mlx5, the simulator), the
                // leaf moves with it: that is our change, not drift.
                let leaves = self.snapshot.iter_mut().flat_map(|s| s.rate_objects.iter_mut());
                for leaf in leaves.filter(|o| o.vf.as_ref() == Some(key) && o.limit == old) {
                    leaf.limit = limit;
                }
            }
            Target::Devlink(d) => {
                let objects = self.snapshot.iter_mut().flat_map(|s| s.rate_objects.iter_mut());
                let Some(object) = objects.into_iter().find(|o| &o.target == d) else { return };
                object.limit = limit;
                // A leaf change the driver mirrors into its VF's limits (mlx5, netdevsim): the
                // VF's row moves with it, so the next sample shows no outside change.
                let Some(key) = object.vf.clone() else { return };
                if crate::driver::Driver::of(&self.driver_of(&key.pf)).devlink_mirrors_vf()
                    && let Some(row) = self.rows.iter_mut().find(|r| r.key == key)
                {
                    row.vf.rate = limit;
                    self.own_changes.insert(key, limit);
                }
            }
        }
    }

    pub(super) fn driver_of(&self, pf: &str) -> String {
        self.snapshot.as_ref().and_then(|s| s.pf(pf)).map(|p| p.driver.clone()).unwrap_or_default()
    }
}
