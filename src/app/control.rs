//! The rate editor: text fields, validation before anything is sent, and the preview.

use crate::metrics::units::{RateParseError, parse_rate};
use crate::model::{BitsPerSec, Capabilities, Mbps, RateChange, RateLimit, Support, Target};

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
    /// Sum of the other VFs' minimum guarantees on the same PF.
    pub others_min: Mbps,
    /// The partition's current transmit rate.
    pub tx: BitsPerSec,
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
    pub reason: super::audit::Reason,
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
}

/// A limit as the editor shows it: in units (`1.5G`), `0` for none.
fn field_text(m: Mbps) -> String {
    if m.is_unlimited() { "0".to_string() } else { crate::metrics::units::format_mbps(m) }
}

impl Editor {
    pub fn new(ctx: EditContext) -> Self {
        Editor {
            max_text: field_text(ctx.current.max),
            min_text: field_text(ctx.current.min),
            fresh: true,
            ctx,
            reason: super::audit::Reason::Operator,
            confirm_within: None,
            acknowledged: false,
            stepped: false,
            field: Field::Max,
            error: None,
            stage: Stage::Editing,
        }
    }

    /// Opens the editor straight at the confirmation for a proposed limit (`]`/`[` steps).
    pub fn proposing(ctx: EditContext, new: RateLimit, driver: &str) -> Self {
        let mut editor = Editor::new(ctx);
        editor.max_text = new.max.0.to_string();
        editor.min_text = new.min.0.to_string();
        editor.submit(driver);
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
    pub fn stepping(ctx: EditContext, new: RateLimit, driver: &str) -> Self {
        let mut editor = Editor::new(ctx);
        editor.stepped = true;
        editor.max_text = field_text(new.max);
        editor.min_text = field_text(new.min);
        editor.submit(driver);
        editor
    }

    /// Validates the fields; on success moves to the confirmation, else shows why inline.
    pub fn submit(&mut self, driver: &str) {
        match validate(&self.max_text, &self.min_text, &self.ctx, driver) {
            Ok(new) if new == self.ctx.current => self.error = Some(RateRejected::Unchanged(new).to_string()),
            Ok(new) => self.stage = Stage::Confirming(preview(&self.ctx, new, self.stepped)),
            Err(e) => self.error = Some(e.to_string()),
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
    ctx: &EditContext,
    driver: &str,
) -> Result<RateLimit, RateRejected> {
    let max = parse_rate(max_text).map_err(RateRejected::MaxText)?;
    let min = parse_rate(min_text).map_err(RateRejected::MinText)?;
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
    Ok(RateLimit { min, max })
}

fn preview(ctx: &EditContext, new: RateLimit, stepped: bool) -> Preview {
    let change = RateChange { target: ctx.target.clone(), old: ctx.current, new };
    let throttle_by = (!new.max.is_unlimited() && ctx.tx.0 > new.max.as_bits_per_sec().0)
        .then(|| BitsPerSec(ctx.tx.0 - new.max.as_bits_per_sec().0));
    let mut warnings = Vec::new();
    if let Some(link) = ctx.link {
        let total = Mbps(ctx.others_min.0 + new.min.0);
        if total > link {
            warnings.push(format!(
                "minimum guarantees on {} sum to {total}, above the link speed {link}",
                ctx.target.owner()
            ));
        }
    }
    if let Some(step) = ctx.capabilities.granularity {
        for value in [new.min, new.max] {
            if step.0 > 0 && value.0 % step.0 != 0 {
                warnings.push(format!("the driver works in {step} steps; {value} will be rounded"));
            }
        }
    }
    if stepped {
        warnings.extend(drastic_cut(ctx, new));
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
            others_min: Mbps(2100),
            tx: BitsPerSec(1.9e9),
        }
    }

    #[test]
    fn validation_matrix() {
        let full = ctx(Capabilities::FULL);
        assert_eq!(validate("500M", "0", &full, "sim"), Ok(RateLimit::new(0, 500)));
        assert_eq!(validate("0", "3G", &full, "sim"), Ok(RateLimit::new(3000, 0)));
        assert!(matches!(validate("x", "0", &full, "sim"), Err(RateRejected::MaxText(_))));
        assert!(matches!(validate("1G", "??", &full, "sim"), Err(RateRejected::MinText(_))));
        assert_eq!(
            validate("500M", "600M", &full, "sim"),
            Err(RateRejected::MinAboveMax { min: Mbps(600), max: Mbps(500) })
        );
        assert!(matches!(
            validate("20G", "0", &full, "sim"),
            Err(RateRejected::AboveLink { which: "max", .. })
        ));
        let igb = ctx(Capabilities::for_driver("igb"));
        let err = validate("1G", "100M", &igb, "igb").unwrap_err();
        assert_eq!(err.to_string(), "the igb driver has no minimum rate (min must be 0)");
        assert!(validate("1G", "0", &igb, "igb").is_ok());
    }

    #[test]
    fn preview_shows_throttle_command_and_warnings() {
        let mut e = Editor::new(ctx(Capabilities::FULL));
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

        let mut e = Editor::new(ctx(Capabilities::FULL));
        e.max_text = "500M".into();
        e.submit("sim");
        let Stage::Confirming(p) = &e.stage else { panic!() };
        assert!((p.throttle_by.unwrap().0 - 1.4e9).abs() < 1.0);
        assert!(p.warnings.is_empty(), "a typed value is deliberate: {:?}", p.warnings);
    }

    #[test]
    fn drastic_cuts_warn_and_no_op_changes_are_refused() {
        let step = |c: EditContext, max: u32| {
            let e = Editor::stepping(c, RateLimit::new(0, max), "sim");
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
        let mut typed = Editor::new(full());
        typed.max_text = "2G".into();
        typed.submit("sim");
        assert!(typed.error.unwrap().starts_with("nothing to change"), "typed no-op refused too");
    }

    #[test]
    fn typing_edits_the_active_field_only() {
        let mut e = Editor::new(ctx(Capabilities::FULL));
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
        c.others_min = Mbps(0);
        let mut e = Editor::new(c);
        e.max_text = "520M".into();
        e.submit("i40e");
        let Stage::Confirming(p) = &e.stage else { panic!() };
        assert!(p.warnings.iter().any(|w| w.contains("50M steps")), "{:?}", p.warnings);
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
        assert_eq!(stepped_max(RateLimit::new(800, 2000), link, step, false), RateLimit::new(800, 1000));
    }
}
