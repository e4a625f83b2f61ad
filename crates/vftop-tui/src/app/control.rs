//! The rate editor: text fields, validation before anything is sent, and the preview.

use crate::metrics::contention::Guarantees;
use crate::model::{BitsPerSec, Capabilities, Mbps, RateChange, RateLimit, Support, Target};
use crate::units::{RateParseError, RateUnit, format_limit, parse_rate_in};

/// Which editor field has the cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Field {
    #[default]
    Max,
    Min,
}

/// Facts about the VF and its PF that validation needs.
#[derive(Clone, Debug, PartialEq)]
pub struct EditContext {
    pub target: Target,
    pub name: String,
    pub current: RateLimit,
    pub link: Option<Mbps>,
    pub capabilities: Capabilities,
    /// The guarantees on the same PF, counted as the contention panel counts them.
    pub guarantees: Guarantees,
    /// The partition's current transmit rate.
    pub tx: BitsPerSec,
    /// Whose the VF is (`vm web-03`), where known: the confirmation names it.
    pub owner: Option<String>,
}

/// The editor's stage: typing, or looking at the preview before `y`.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Editing,
    Confirming(Preview),
}

/// What the confirmation shows: old → new, the command, consequences.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub change: RateChange,
    pub command: String,
    /// "will throttle by ~X" when the new cap is below the current rate.
    pub throttle_by: Option<BitsPerSec>,
    pub warnings: Vec<String>,
}

/// The rate editor of one partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Editor {
    pub ctx: EditContext,
    /// Why this change is being made (operator edit, or an undo).
    pub reason: crate::audit::Reason,
    /// Commit-confirmed window for this change (`t` in the confirmation toggles it).
    pub confirm_within: Option<std::time::Duration>,
    /// The operator acknowledged the preview's warnings (first `y`).
    pub acknowledged: bool,
    /// Proposed by a step key (`]`/`[`/`}`/`{`): a drastic cut must be acknowledged.
    pub stepped: bool,
    /// The active field still holds its prefilled value, selected: typing replaces it and
    /// Backspace clears it.
    pub fresh: bool,
    pub max_text: String,
    pub min_text: String,
    pub field: Field,
    pub error: Option<String>,
    pub stage: Stage,
    /// What the fields show and a bare number means: bits (`500M` = 500 Mbit/s) or bytes
    /// (`62.5MB`), as the rest of the screen (`b`).
    pub unit: RateUnit,
}

/// Why a rate cannot be applied; shown inline, nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateRejected {
    #[error("max: {0}")]
    MaxText(RateParseError),
    #[error("min: {0}")]
    MinText(RateParseError),
    #[error("min {min} is above max {max}: a guarantee cannot exceed the cap")]
    MinAboveMax { min: Mbps, max: Mbps },
    #[error("{which} {value} is above the link speed {link}")]
    AboveLink { which: &'static str, value: Mbps, link: Mbps },
    #[error("the {driver} driver has no minimum rate (min must be 0)")]
    NoMinSupport { driver: String },
    #[error("the {driver} driver cannot cap VF rates")]
    NoMaxSupport { driver: String },
    #[error("nothing to change: max {} min {} is the current limit", .0.max, .0.min)]
    Unchanged(RateLimit),
    /// One of the driver's own rules (the driver model's), e.g. ixgbe's 11M floor.
    #[error("{0}")]
    DriverRule(crate::driver::DriverRule),
}

/// A limit as the editor shows it: in units (`1.5G`, `187.5MB`), `0` for none.
fn field_text(m: Mbps, unit: RateUnit) -> String {
    if m.is_unlimited() { "0".to_string() } else { format_limit(m, unit) }
}

impl Editor {
    pub fn new(ctx: EditContext, unit: RateUnit) -> Self {
        Editor {
            max_text: field_text(ctx.current.max, unit),
            min_text: field_text(ctx.current.min, unit),
            unit,
            fresh: true,
            ctx,
            reason: crate::audit::Reason::Operator,
            confirm_within: None,
            acknowledged: false,
            stepped: false,
            field: Field::Max,
            error: None,
            stage: Stage::Editing,
        }
    }

    /// Opens the editor straight at the confirmation for a proposed limit (`]`/`[` steps).
    pub fn proposing(ctx: EditContext, new: RateLimit, driver: &str, unit: RateUnit) -> Self {
        let mut editor = Editor::new(ctx, unit);
        editor.propose(new, driver);
        editor
    }

    fn active_text(&mut self) -> &mut String {
        match self.field {
            Field::Max => &mut self.max_text,
            Field::Min => &mut self.min_text,
        }
    }

    pub fn input(&mut self, c: char) {
        if self.stage != Stage::Editing || c.is_control() {
            return;
        }
        if std::mem::take(&mut self.fresh) {
            self.active_text().clear();
        }
        if self.active_text().len() < 16 {
            self.active_text().push(c);
            self.error = None;
        }
    }

    pub fn erase(&mut self) {
        if std::mem::take(&mut self.fresh) {
            self.active_text().clear();
        } else {
            self.active_text().pop();
        }
        self.error = None;
    }

    /// Ctrl-U: empties the active field.
    pub fn clear(&mut self) {
        self.fresh = false;
        self.active_text().clear();
        self.error = None;
    }

    /// Tab: the other field, its value selected.
    pub fn next_field(&mut self) {
        self.field = if self.field == Field::Max { Field::Min } else { Field::Max };
        self.fresh = true;
    }

    /// Like [`Editor::proposing`], for a step key: a cut by more than half, or to the
    /// driver's floor, is a warning to acknowledge.
    pub fn stepping(ctx: EditContext, new: RateLimit, driver: &str, unit: RateUnit) -> Self {
        let mut editor = Editor::new(ctx, unit);
        editor.stepped = true;
        editor.propose(new, driver);
        editor
    }

    /// Fills the fields with `new` and moves to its confirmation (or says why not).
    fn propose(&mut self, new: RateLimit, driver: &str) {
        self.max_text = field_text(new.max, self.unit);
        self.min_text = field_text(new.min, self.unit);
        self.submit(driver);
    }

    /// Validates the fields; on success moves to the confirmation, else shows why inline.
    pub fn submit(&mut self, driver: &str) {
        match validate(&self.max_text, &self.min_text, self.unit, &self.ctx, driver) {
            Ok(new) if new == self.ctx.current => self.error = Some(RateRejected::Unchanged(new).to_string()),
            Ok(new) => self.stage = Stage::Confirming(preview(&self.ctx, new, self.stepped)),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// A new sample: the "now" figures (rate, limits, guarantees) follow it, and the
    /// confirmation is worked out again from the same typed values, so it never speaks of a
    /// rate from when the editor opened. A limit that changed under it moves its "old".
    pub fn refresh(&mut self, ctx: EditContext, driver: &str) {
        self.ctx = ctx;
        if let Stage::Confirming(before) = &self.stage {
            let warnings = before.warnings.clone();
            self.stage = Stage::Editing;
            self.submit(driver);
            match &self.stage {
                // A new warning is acknowledged anew.
                Stage::Confirming(now) if now.warnings != warnings => self.acknowledged = false,
                Stage::Confirming(_) => {}
                Stage::Editing => self.acknowledged = false,
            }
        }
    }

    /// Back from the confirmation to editing.
    pub fn back(&mut self) {
        self.stage = Stage::Editing;
    }
}

/// Checks operator text against every rule that can be checked before sending.
pub fn validate(
    max_text: &str,
    min_text: &str,
    unit: RateUnit,
    ctx: &EditContext,
    driver: &str,
) -> Result<RateLimit, RateRejected> {
    let max = parse_rate_in(max_text, unit).map_err(RateRejected::MaxText)?;
    let min = parse_rate_in(min_text, unit).map_err(RateRejected::MinText)?;
    validate_limit(RateLimit { min, max }, ctx, driver)
}

/// Checks a proposed limit against the link speed and what the driver is known to support.
pub fn validate_limit(new: RateLimit, ctx: &EditContext, driver: &str) -> Result<RateLimit, RateRejected> {
    let RateLimit { min, max } = new;
    if !max.is_unlimited() && min > max {
        return Err(RateRejected::MinAboveMax { min, max });
    }
    if let Some(link) = ctx.link {
        for (which, value) in [("max", max), ("min", min)] {
            if value > link {
                return Err(RateRejected::AboveLink { which, value, link });
            }
        }
    }
    if !min.is_unlimited() && ctx.capabilities.min_rate == Support::No {
        return Err(RateRejected::NoMinSupport { driver: driver.into() });
    }
    if !max.is_unlimited() && ctx.capabilities.max_rate == Support::No {
        return Err(RateRejected::NoMaxSupport { driver: driver.into() });
    }
    // The driver's own rules, where vftop knows them (unknown capabilities: none checked).
    if ctx.capabilities != crate::model::Capabilities::UNKNOWN {
        let facts = crate::driver::PfFacts { link_speed: ctx.link, ..Default::default() };
        crate::driver::Driver::of(driver).check(new, &facts).map_err(RateRejected::DriverRule)?;
    }
    Ok(RateLimit { min, max })
}

/// What the confirmation shows for `new` (`stepped`: proposed by a step key).
pub fn preview(ctx: &EditContext, new: RateLimit, stepped: bool) -> Preview {
    let change = RateChange { target: ctx.target.clone(), old: ctx.current, new };
    let throttle_by = (!new.max.is_unlimited() && ctx.tx.0 > new.max.as_bits_per_sec().0)
        .then(|| BitsPerSec(ctx.tx.0 - new.max.as_bits_per_sec().0));
    let mut warnings = Vec::new();
    if let (Some(link), Target::Vf(key)) = (ctx.link, &ctx.target)
        && new.min > ctx.current.min
    {
        let total = ctx.guarantees.with_min(key, new.min);
        if total > link {
            warnings.push(format!(
                "guarantees on {} would sum to {total}, above the link speed {link} (oversubscribed)",
                ctx.target.owner()
            ));
        }
    }
    if let Some(step) = ctx.capabilities.granularity {
        for value in [new.min, new.max] {
            if step.0 > 0 && value.0 % step.0 != 0 {
                let enforced = Mbps((value.0 / step.0).max(1) * step.0);
                warnings.push(format!(
                    "the hardware enforces {enforced} (whole {step} credits); the driver reports the {value} asked for"
                ));
            }
        }
    }
    if stepped {
        warnings.extend(drastic_cut(ctx, new));
        if new.min.is_unlimited() && !ctx.current.min.is_unlimited() {
            warnings.push(format!(
                "this removes {}'s guarantee of {}: on a busy link it can be starved",
                ctx.name, ctx.current.min
            ));
        }
    }
    Preview { command: change.ip_command(), change, throttle_by, warnings }
}

/// A cap cut by more than half (an unlimited one counts as the link speed), or down to the
/// driver's floor (its rate step, else 1 Mbit/s): easy to do with a few step keys, and it can
/// starve the partition carrying the operator's own session.
fn drastic_cut(ctx: &EditContext, new: RateLimit) -> Option<String> {
    if new.max.is_unlimited() {
        return None;
    }
    let floor = ctx.capabilities.granularity.filter(|g| g.0 > 0).unwrap_or(Mbps(1));
    if new.max <= floor {
        return Some(format!("max {} is the driver's floor: the partition can barely send", new.max));
    }
    let before = if ctx.current.max.is_unlimited() { ctx.link? } else { ctx.current.max };
    (new.max.0 * 2 < before.0)
        .then(|| format!("this cuts the cap by more than half ({before} → {})", new.max))
}

/// The step for a limit now at `value`: the configured `step`, or, where that is more than half
/// of `value` (a 1G step on a 1G cap would leave 1M), a quarter of `value` — rounded to the
/// driver's `granularity`, at least one unit of it. A step key never takes a limit from its
/// value to nothing in one press.
pub fn relative_step(step: Mbps, value: Mbps, granularity: Option<Mbps>) -> Mbps {
    if value.is_unlimited() || u64::from(value.0) >= 2 * u64::from(step.0) {
        return step;
    }
    let unit = granularity.filter(|g| g.0 > 0).unwrap_or(Mbps(1)).0;
    Mbps(((value.0 / 4) / unit).max(1) * unit)
}

/// The min after one `}` (up) or `{` (down) step of `step`, kept within the cap in force.
pub fn stepped_min(current: RateLimit, link: Mbps, step: Mbps, up: bool) -> RateLimit {
    let cap = current.effective_cap(link).0;
    let min =
        if up { current.min.0.saturating_add(step.0).min(cap) } else { current.min.0.saturating_sub(step.0) };
    RateLimit { min: Mbps(min), max: current.max }
}

/// The max after one `]` (up) or `[` (down) step of `step` from the current cap.
pub fn stepped_max(current: RateLimit, link: Mbps, step: Mbps, up: bool) -> RateLimit {
    let cap = current.effective_cap(link).0;
    let max = if up { cap.saturating_add(step.0) } else { cap.saturating_sub(step.0) };
    let max = if up && max >= link.0 { 0 } else { max.max(1) };
    let floor = if max == 0 { 0 } else { current.min.0.min(max) };
    RateLimit { min: Mbps(floor), max: Mbps(max) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(caps: Capabilities) -> EditContext {
        EditContext {
            target: Target::Vf(crate::model::VfKey { pf: "ens1f0".into(), vf: 1 }),
            name: "Backup".into(),
            current: RateLimit::new(0, 2000),
            link: Some(Mbps(10_000)),
            capabilities: caps,
            guarantees: guarantees(&[(0, 100), (1, 0), (3, 2000)], None),
            tx: BitsPerSec(1.9e9),
            owner: None,
        }
    }

    /// Minimums of VFs on ens1f0, and optionally a group's tx_share over some of them.
    fn guarantees(mins: &[(u32, u32)], group: Option<(u32, &[u32])>) -> Guarantees {
        let key = |vf: u32| crate::model::VfKey { pf: "ens1f0".into(), vf };
        Guarantees {
            mins: mins.iter().map(|(vf, min)| (key(*vf), Mbps(*min))).collect(),
            groups: group
                .map(|(share, members)| (Mbps(share), members.iter().map(|v| key(*v)).collect()))
                .into_iter()
                .collect(),
        }
    }

    fn warnings_for(c: EditContext, max: &str, min: &str) -> Vec<String> {
        let mut e = Editor::new(c, RateUnit::Bits);
        (e.max_text, e.min_text) = (max.into(), min.into());
        e.submit("sim");
        match e.stage {
            Stage::Confirming(p) => p.warnings,
            Stage::Editing => panic!("refused: {:?}", e.error),
        }
    }

    #[test]
    fn the_guarantee_warning_counts_as_the_contention_panel_does() {
        // The reference host: Management 100M, NFS and iSCSI (2G) in group storage (3G share).
        let mut c = ctx(Capabilities::FULL);
        c.guarantees = guarantees(&[(0, 100), (1, 0), (2, 0), (3, 2000)], Some((3000, &[2, 3])));
        // Backup min 7G: 100M + 7G + the group's 3G counted once = 10.1G, over 10G.
        let w = warnings_for(c.clone(), "0", "7G");
        assert_eq!(w, ["guarantees on ens1f0 would sum to 10.1G, above the link speed 10G (oversubscribed)"]);
        // ... which is what the contention panel says once the change is in.
        use crate::metrics::contention::{GroupLoad, PartitionLoad, assess};
        let key = |vf: u32| crate::model::VfKey { pf: "ens1f0".into(), vf };
        let load = |vf: u32, min: u32| PartitionLoad {
            key: key(vf),
            tx: BitsPerSec(0.0),
            limit: RateLimit::new(min, 0),
            drops_per_sec: 0.0,
        };
        let storage = GroupLoad {
            name: "storage".into(),
            limit: RateLimit::new(3000, 5000),
            tx: BitsPerSec(0.0),
            members: vec![key(2), key(3)],
        };
        let panel =
            assess(Mbps(10_000), &[load(0, 100), load(1, 7000), load(2, 0), load(3, 2000)], &[storage]);
        assert_eq!(panel.guarantees, Mbps(10_100));
        assert!(warnings_for(c.clone(), "0", "6G").is_empty(), "9.1G fits in 10G");
        // Lowering a cap on an oversubscribed PF adds no guarantee: no warning to acknowledge.
        c.current = RateLimit::new(8000, 0);
        assert!(warnings_for(c, "9G", "8G").is_empty());
    }

    #[test]
    fn validation_matrix() {
        let full = ctx(Capabilities::FULL);
        assert_eq!(validate("500M", "0", RateUnit::Bits, &full, "sim"), Ok(RateLimit::new(0, 500)));
        assert_eq!(validate("0", "3G", RateUnit::Bits, &full, "sim"), Ok(RateLimit::new(3000, 0)));
        assert!(matches!(validate("x", "0", RateUnit::Bits, &full, "sim"), Err(RateRejected::MaxText(_))));
        assert!(matches!(validate("1G", "??", RateUnit::Bits, &full, "sim"), Err(RateRejected::MinText(_))));
        assert_eq!(
            validate("500M", "600M", RateUnit::Bits, &full, "sim"),
            Err(RateRejected::MinAboveMax { min: Mbps(600), max: Mbps(500) })
        );
        assert!(matches!(
            validate("20G", "0", RateUnit::Bits, &full, "sim"),
            Err(RateRejected::AboveLink { which: "max", .. })
        ));
        let igb = ctx(Capabilities::for_driver("igb"));
        let err = validate("1G", "100M", RateUnit::Bits, &igb, "igb").unwrap_err();
        assert_eq!(err.to_string(), "the igb driver has no minimum rate (min must be 0)");
        assert!(validate("1G", "0", RateUnit::Bits, &igb, "igb").is_ok());
    }

    #[test]
    fn preview_shows_throttle_command_and_warnings() {
        let mut e = Editor::new(ctx(Capabilities::FULL), RateUnit::Bits);
        e.max_text = "1G".into();
        e.min_text = "8G".into();
        e.submit("sim");
        assert!(e.error.is_some(), "min above max must be refused");
        e.max_text = "0".into();
        e.submit("sim");
        let Stage::Confirming(p) = &e.stage else { panic!("expected confirmation: {:?}", e.error) };
        assert_eq!(p.command, "ip link set dev ens1f0 vf 1 max_tx_rate 0 min_tx_rate 8000");
        assert_eq!(p.throttle_by, None);
        assert!(p.warnings[0].contains("10.1G"), "{:?}", p.warnings);

        let mut e = Editor::new(ctx(Capabilities::FULL), RateUnit::Bits);
        e.max_text = "500M".into();
        e.submit("sim");
        let Stage::Confirming(p) = &e.stage else { panic!() };
        assert!((p.throttle_by.unwrap().0 - 1.4e9).abs() < 1.0);
        assert!(p.warnings.is_empty(), "a typed value is deliberate: {:?}", p.warnings);
    }

    #[test]
    fn drastic_cuts_warn_and_no_op_changes_are_refused() {
        let step = |c: EditContext, max: u32| {
            let e = Editor::stepping(c, RateLimit::new(0, max), "sim", RateUnit::Bits);
            match e.stage {
                Stage::Confirming(p) => Ok(p.warnings),
                Stage::Editing => Err(e.error.unwrap_or_default()),
            }
        };
        let full = || ctx(Capabilities::FULL);
        assert_eq!(step(full(), 1200), Ok(vec![]), "a cut by less than half");
        assert_eq!(
            step(full(), 500),
            Ok(vec!["this cuts the cap by more than half (2G → 500M)".to_string()])
        );
        assert_eq!(
            step(full(), 1),
            Ok(vec!["max 1M is the driver's floor: the partition can barely send".to_string()])
        );
        assert_eq!(
            step(full(), 2000),
            Err("nothing to change: max 2G min none is the current limit".to_string())
        );
        let mut unlimited = full();
        unlimited.current = RateLimit::new(0, 0);
        let warnings = step(unlimited, 4000).unwrap();
        assert!(warnings.iter().any(|w| w.contains("more than half (10G → 4G)")), "{warnings:?}");
        // Removing a guarantee with a step key is a warning to acknowledge.
        let mut guaranteed = full();
        guaranteed.current = RateLimit::new(100, 2000);
        let e = Editor::stepping(guaranteed, RateLimit::new(0, 2000), "sim", RateUnit::Bits);
        let Stage::Confirming(p) = e.stage else { panic!("{:?}", e.error) };
        assert_eq!(p.warnings, ["this removes Backup's guarantee of 100M: on a busy link it can be starved"]);
        let mut typed = Editor::new(full(), RateUnit::Bits);
        typed.max_text = "2G".into();
        typed.submit("sim");
        assert!(typed.error.unwrap().starts_with("nothing to change"), "typed no-op refused too");
    }

    #[test]
    fn typing_edits_the_active_field_only() {
        let mut e = Editor::new(ctx(Capabilities::FULL), RateUnit::Bits);
        assert_eq!((e.max_text.as_str(), e.min_text.as_str()), ("2G", "0"));
        e.erase();
        e.erase();
        "750M".chars().for_each(|c| e.input(c));
        e.next_field();
        e.erase();
        e.input('5');
        e.input('0');
        assert_eq!((e.max_text.as_str(), e.min_text.as_str()), ("750M", "50"));
    }

    #[test]
    fn granularity_warning() {
        let mut c = ctx(Capabilities::for_driver("i40e"));
        c.guarantees = Guarantees::default();
        let mut e = Editor::new(c, RateUnit::Bits);
        e.max_text = "520M".into();
        e.submit("i40e");
        let Stage::Confirming(p) = &e.stage else { panic!() };
        let want = "the hardware enforces 500M (whole 50M credits); the driver reports the 520M asked for";
        assert!(p.warnings.iter().any(|w| w == want), "{:?}", p.warnings);
    }

    #[test]
    fn steps_move_the_cap() {
        let link = Mbps(10_000);
        let step = Mbps(1000);
        assert_eq!(stepped_max(RateLimit::new(0, 2000), link, step, true), RateLimit::new(0, 3000));
        assert_eq!(stepped_max(RateLimit::new(0, 2000), link, step, false), RateLimit::new(0, 1000));
        assert_eq!(stepped_max(RateLimit::new(0, 0), link, step, false), RateLimit::new(0, 9000));
        assert_eq!(stepped_max(RateLimit::new(0, 9500), link, step, true), RateLimit::new(0, 0));
        assert_eq!(stepped_max(RateLimit::new(0, 500), link, step, false), RateLimit::new(0, 1));
        // Near a small value the step is a quarter of it: a 1G cap goes to 750M, not 1M.
        assert_eq!(relative_step(step, Mbps(1000), None), Mbps(250));
        assert_eq!(relative_step(step, Mbps(2000), None), step);
        assert_eq!(relative_step(step, Mbps(100), Some(Mbps(50))), Mbps(50), "one unit of the driver's");
        assert_eq!(relative_step(step, Mbps(3), None), Mbps(1));
        assert_eq!(
            relative_step(step, Mbps::UNLIMITED, None),
            step,
            "a guarantee from none, a cap from none"
        );
        assert_eq!(stepped_max(RateLimit::new(800, 2000), link, step, false), RateLimit::new(800, 1000));
    }
}
