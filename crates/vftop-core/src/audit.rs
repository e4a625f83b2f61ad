//! The audit trail, a sink beside the console: one typed record per attempted rate change (one
//! JSON line), its one writer (flushed and fsynced before the screen says "applied") and its one
//! reader (the `a` view, the recorder's events).

use crate::model::{RateChange, RateLimit};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a change was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The operator applied it from the editor or a step key.
    Operator,
    /// The operator undid an earlier change (`u`).
    Undo,
    /// Commit-confirmed: the operator did not confirm in time, so it was reverted.
    ConfirmTimeout,
    /// Commit-confirmed: the operator kept the change (`c`); nothing was sent.
    Confirmed,
    /// Not a change vftop made: a limit changed behind the console's back (drift).
    External,
    /// `vftop apply`: put right to what the config declares.
    Declared,
    /// Commit-confirmed: the console ended (quit, or the named signal: SIGHUP when the SSH
    /// session dropped) before the change was confirmed, so it was reverted.
    Exit(&'static str),
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::Operator => "operator",
            Reason::Undo => "undo",
            Reason::ConfirmTimeout => "commit-confirmed-timeout",
            Reason::Exit(_) => "exit-revert",
            Reason::Confirmed => "confirmed",
            Reason::External => "external",
            Reason::Declared => "declared",
        }
    }
}

/// Who and where: read once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    pub sudo_user: Option<String>,
    pub host: String,
}

impl Actor {
    /// From the process: `$USER` (or the uid), `$SUDO_USER`, the host name.
    pub fn current(host: &str) -> Actor {
        let uid = nix::unistd::getuid();
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| user_name(uid))
            .unwrap_or_else(|| format!("uid {uid}"));
        Actor {
            user,
            sudo_user: std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty()),
            host: host.to_string(),
        }
    }
}

/// The login name of `uid` from the passwd database.
fn user_name(uid: nix::unistd::Uid) -> Option<String> {
    nix::unistd::User::from_uid(uid).ok().flatten().map(|u| u.name)
}

/// One attempted change and what came of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt<'a> {
    pub change: &'a RateChange,
    pub partition: &'a str,
    pub reason: Reason,
    /// What the driver kept (read back), or the refusal in words.
    ///
    /// `String` on purpose: this is the record's `message`, written as it is into the log; it
    /// comes from any source's error (`Attempt::new` takes any `Display`) and no caller decides
    /// on it.
    pub outcome: Result<RateLimit, String>,
    /// Seconds the operator has to confirm (commit-confirmed), if armed.
    pub confirm_within_secs: Option<u64>,
}

impl<'a> Attempt<'a> {
    /// The attempt to change `change` (for `reason`) and what the source answered.
    pub fn new<E: std::fmt::Display>(
        change: &'a RateChange,
        partition: &'a str,
        reason: Reason,
        result: &Result<RateLimit, E>,
    ) -> Attempt<'a> {
        let outcome = result.as_ref().map(|kept| *kept).map_err(|e| e.to_string());
        Attempt { change, partition, reason, outcome, confirm_within_secs: None }
    }
}

/// A limit as the audit log writes it (Mbit/s, 0 = none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRecord {
    pub min_mbps: u32,
    pub max_mbps: u32,
}

impl From<RateLimit> for LimitRecord {
    fn from(l: RateLimit) -> Self {
        LimitRecord { min_mbps: l.min.0, max_mbps: l.max.0 }
    }
}

impl From<LimitRecord> for RateLimit {
    fn from(l: LimitRecord) -> Self {
        RateLimit::new(l.min_mbps, l.max_mbps)
    }
}

/// What came of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Sent and taken (`kept` is what the driver kept).
    Applied,
    /// Refused (`message` says why); nothing changed.
    Refused,
    /// Not vftop's change: seen changed from outside (`user` is the console that saw it; who
    /// made it is unknown).
    External,
}

/// One line of the audit log: who, where, what, what came of it, why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    pub user: String,
    #[serde(default)]
    pub sudo_user: Option<String>,
    #[serde(default)]
    pub host: String,
    /// `ens1f0 vf 1`, or a devlink object.
    #[serde(default)]
    pub target: String,
    pub pf: String,
    pub vf: Option<u32>,
    #[serde(default)]
    pub partition: String,
    pub old: LimitRecord,
    pub new: LimitRecord,
    #[serde(default)]
    pub kept: Option<LimitRecord>,
    pub outcome: Outcome,
    #[serde(default)]
    pub message: Option<String>,
    /// `operator`, `undo`, `commit-confirmed-timeout`, `exit-revert`, `confirmed`, `external`.
    #[serde(default = "operator")]
    pub reason: String,
    #[serde(default)]
    pub reverted_by: Option<String>,
    #[serde(default)]
    pub confirm_within_secs: Option<u64>,
    /// The equivalent command.
    #[serde(default)]
    pub command: String,
}

/// What an older record without a reason was: an operator's change.
fn operator() -> String {
    Reason::Operator.label().to_string()
}

impl AuditRecord {
    /// One line of the log, as written (`None`: not a record).
    pub fn parse(line: &str) -> Option<AuditRecord> {
        serde_json::from_str(line).ok()
    }

    /// Who made the change: `alice (sudo root)` or `root`; unknown for one made outside vftop.
    pub fn who(&self) -> String {
        match (&self.outcome, &self.sudo_user) {
            (Outcome::External, _) => "outside vftop".into(),
            (_, Some(sudo)) => format!("{sudo} (sudo {})", self.user),
            (_, None) => self.user.clone(),
        }
    }

    /// Milliseconds since the epoch of `time`.
    pub fn at_ms(&self) -> Option<i64> {
        Some(self.time.parse::<jiff::Timestamp>().ok()?.as_millisecond())
    }
}

/// The record of one attempt (one line of the audit log).
pub fn record(actor: &Actor, at: SystemTime, attempt: &Attempt) -> AuditRecord {
    let (outcome, kept, message) = match &attempt.outcome {
        Ok(kept) if attempt.reason == Reason::External => (Outcome::External, Some((*kept).into()), None),
        Ok(kept) => (Outcome::Applied, Some((*kept).into()), None),
        Err(message) => (Outcome::Refused, None, Some(message.clone())),
    };
    let reverted_by = match attempt.reason {
        Reason::Operator | Reason::Confirmed | Reason::External | Reason::Declared => None,
        Reason::Undo => Some("operator undo".to_string()),
        Reason::ConfirmTimeout => Some("commit-confirmed timeout".to_string()),
        Reason::Exit(cause) => Some(cause.to_string()),
    };
    AuditRecord {
        time: rfc3339(at),
        user: actor.user.clone(),
        sudo_user: actor.sudo_user.clone(),
        host: actor.host.clone(),
        target: attempt.change.target.label(),
        pf: attempt.change.target.owner().to_string(),
        vf: attempt.change.target.vf().map(|k| k.vf),
        partition: attempt.partition.to_string(),
        old: attempt.change.old.into(),
        new: attempt.change.new.into(),
        kept,
        outcome,
        message,
        reason: attempt.reason.label().to_string(),
        reverted_by,
        confirm_within_secs: attempt.confirm_within_secs,
        command: attempt.change.ip_command(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub fn rfc3339(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let ts = jiff::Timestamp::from_second(secs as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The append-only audit log file.
pub struct AuditLog {
    path: PathBuf,
    file: File,
}

/// The audit log cannot be used: refused at start, never a silent loss.
#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {cause}")]
pub struct AuditError {
    pub path: String,
    pub cause: std::io::Error,
}

/// The same log and the same failure, in kind and words (`io::Error` has no `==`).
impl PartialEq for AuditError {
    fn eq(&self, other: &AuditError) -> bool {
        self.path == other.path
            && self.cause.kind() == other.cause.kind()
            && self.cause.to_string() == other.cause.to_string()
    }
}

/// Why the console's audit view (`a`) has no lines to show.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("no audit log is configured")]
    NotConfigured,
    #[error("{}: {error}", path.display())]
    Unreadable { path: PathBuf, error: std::io::Error },
}

impl AuditLog {
    /// Opens (creating directories and the file) for appending; fails if it is not writable.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let err = |cause| AuditError { path: path.display().to_string(), cause };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(err)?;
        Ok(AuditLog { path: path.to_path_buf(), file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the record of `attempt` by `actor`, now, durably: the one way an attempt is
    /// written.
    pub fn write(&mut self, actor: &Actor, attempt: &Attempt) -> Result<(), AuditError> {
        self.append(&record(actor, SystemTime::now(), attempt))
    }

    /// Appends one record and makes it durable (write, flush, fsync) before returning.
    pub fn append(&mut self, record: &AuditRecord) -> Result<(), AuditError> {
        let err = |cause| AuditError { path: self.path.display().to_string(), cause };
        let mut line = serde_json::to_vec(record).map_err(|e| err(e.into()))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(err)?;
        self.file.flush().map_err(err)?;
        self.file.sync_data().map_err(err)
    }

    /// The last `n` lines of the log at `path` (for the `a` view).
    pub fn tail(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
        let text = std::fs::read_to_string(path)?;
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        Ok(lines[lines.len().saturating_sub(n)..].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VfKey;
    use std::time::Duration;

    fn json(r: AuditRecord) -> serde_json::Value {
        serde_json::to_value(r).unwrap()
    }

    fn change() -> RateChange {
        RateChange {
            target: crate::model::Target::Vf(VfKey { pf: "eth0".into(), vf: 1 }),
            old: RateLimit::new(0, 1000),
            new: RateLimit::new(0, 300),
        }
    }

    fn actor() -> Actor {
        Actor { user: "root".into(), sudo_user: Some("alice".into()), host: "h1".into() }
    }

    #[test]
    fn record_has_every_field() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let c = change();
        let attempt = Attempt {
            change: &c,
            partition: "Backup",
            reason: Reason::Operator,
            outcome: Ok(RateLimit::new(0, 300)),
            confirm_within_secs: Some(60),
        };
        let r = json(record(&actor(), at, &attempt));
        assert_eq!(r["time"], "2026-11-18T11:06:40Z"); // date -u -d @1795000000
        assert_eq!(
            (r["user"].as_str(), r["sudo_user"].as_str(), r["host"].as_str()),
            (Some("root"), Some("alice"), Some("h1"))
        );
        assert_eq!(
            (r["pf"].as_str(), r["vf"].as_u64(), r["partition"].as_str()),
            (Some("eth0"), Some(1), Some("Backup"))
        );
        assert_eq!(r["old"]["max_mbps"], 1000);
        assert_eq!(r["new"]["max_mbps"], 300);
        assert_eq!(r["kept"]["max_mbps"], 300);
        assert_eq!(r["outcome"], "applied");
        assert!(r["message"].is_null() && r["reverted_by"].is_null());
        assert_eq!(r["confirm_within_secs"], 60);
        assert_eq!(r["command"], "ip link set dev eth0 vf 1 max_tx_rate 300 min_tx_rate 0");
    }

    #[test]
    fn refusal_and_revert_records() {
        let c = change();
        let refused = Attempt {
            change: &c,
            partition: "x",
            reason: Reason::Operator,
            outcome: Err("EINVAL".into()),
            confirm_within_secs: None,
        };
        let r = json(record(&actor(), UNIX_EPOCH, &refused));
        assert_eq!((r["outcome"].as_str(), r["message"].as_str()), (Some("refused"), Some("EINVAL")));
        assert!(r["kept"].is_null());
        assert_eq!(r["time"], "1970-01-01T00:00:00Z");
        let revert =
            Attempt { reason: Reason::ConfirmTimeout, outcome: Ok(RateLimit::new(0, 1000)), ..refused };
        assert_eq!(json(record(&actor(), UNIX_EPOCH, &revert))["reverted_by"], "commit-confirmed timeout");
    }

    #[test]
    fn a_record_reads_back_as_written_and_keeps_its_field_order() {
        let c = change();
        let attempt = Attempt {
            change: &c,
            partition: "Backup",
            reason: Reason::Exit("SIGHUP"),
            outcome: Ok(RateLimit::new(0, 300)),
            confirm_within_secs: Some(60),
        };
        let written = record(&actor(), UNIX_EPOCH, &attempt);
        let line = serde_json::to_string(&written).unwrap();
        assert!(line.starts_with(r#"{"time":"1970-01-01T00:00:00Z","user":"root","sudo_user":"alice","host":"h1","target":"eth0 vf 1","pf":"eth0","vf":1,"#), "{line}");
        assert!(line.ends_with(r#""reason":"exit-revert","reverted_by":"SIGHUP","confirm_within_secs":60,"command":"ip link set dev eth0 vf 1 max_tx_rate 300 min_tx_rate 0"}"#), "{line}");
        assert_eq!(AuditRecord::parse(&line), Some(written.clone()));
        assert_eq!(written.who(), "alice (sudo root)");
        let external = Attempt { reason: Reason::External, ..attempt };
        assert_eq!(
            record(&actor(), UNIX_EPOCH, &external).who(),
            "outside vftop",
            "who changed it is unknown"
        );
        assert_eq!(AuditRecord::parse("not json"), None);
    }

    #[test]
    fn actor_names_the_user_even_without_user_env() {
        let uid = nix::unistd::getuid();
        if uid.is_root() {
            assert_eq!(user_name(uid).as_deref(), Some("root"));
        }
        assert!(!Actor::current("h").user.is_empty());
    }

    #[test]
    fn dates_across_leap_years() {
        let day = |d: u64| rfc3339(UNIX_EPOCH + Duration::from_secs(d * 86_400));
        assert_eq!(day(0), "1970-01-01T00:00:00Z");
        assert_eq!(day(11_016), "2000-02-29T00:00:00Z");
        assert_eq!(day(19_782), "2024-02-29T00:00:00Z");
        assert_eq!(day(20_417), "2025-11-25T00:00:00Z");
    }

    #[test]
    fn log_appends_lines_and_unwritable_path_is_an_error() {
        let dir = std::env::temp_dir().join(format!("vftop-audit-{}", std::process::id()));
        let path = dir.join("sub/audit.log");
        let mut log = AuditLog::open(&path).unwrap();
        let c = change();
        let attempt = |partition| Attempt::new(&c, partition, Reason::Operator, &Ok::<_, String>(c.new));
        log.write(&actor(), &attempt("a")).unwrap();
        log.write(&actor(), &attempt("b")).unwrap();
        let last = AuditLog::tail(&path, 1).unwrap();
        assert_eq!(AuditRecord::parse(&last[0]).map(|r| r.partition), Some("b".to_string()));
        assert_eq!(AuditLog::tail(&path, 10).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
        let blocked = std::env::temp_dir().join(format!("vftop-audit-file-{}", std::process::id()));
        std::fs::write(&blocked, "a file, not a directory").unwrap();
        let err = AuditLog::open(&blocked.join("audit.log")).err().unwrap();
        std::fs::remove_file(&blocked).unwrap();
        assert!(err.to_string().contains("audit log"), "{err}");
    }
}
