//! The audit trail: one JSON line per attempted rate change, flushed and fsynced before the
//! screen says "applied".

use crate::model::{RateChange, RateLimit};
use serde_json::{Value, json};
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
    pub outcome: Result<RateLimit, String>,
    /// Seconds the operator has to confirm (commit-confirmed), if armed.
    pub confirm_within_secs: Option<u64>,
}

fn limit_json(l: RateLimit) -> Value {
    json!({ "min_mbps": l.min.0, "max_mbps": l.max.0 })
}

/// The JSON record of one attempt (one line of the audit log).
pub fn record(actor: &Actor, at: SystemTime, attempt: &Attempt) -> Value {
    let (outcome, kept, message) = match &attempt.outcome {
        Ok(kept) if attempt.reason == Reason::External => ("external", limit_json(*kept), Value::Null),
        Ok(kept) => ("applied", limit_json(*kept), Value::Null),
        Err(message) => ("refused", Value::Null, Value::String(message.clone())),
    };
    let reverted_by = match attempt.reason {
        Reason::Operator => Value::Null,
        Reason::Undo => json!("operator undo"),
        Reason::ConfirmTimeout => json!("commit-confirmed timeout"),
        Reason::Exit(cause) => json!(cause),
        Reason::Confirmed | Reason::External => Value::Null,
    };
    json!({
        "time": rfc3339(at),
        "user": actor.user,
        "sudo_user": actor.sudo_user,
        "host": actor.host,
        "target": attempt.change.target.label(),
        "pf": attempt.change.target.owner(),
        "vf": attempt.change.target.vf().map(|k| k.vf),
        "partition": attempt.partition,
        "old": limit_json(attempt.change.old),
        "new": limit_json(attempt.change.new),
        "kept": kept,
        "outcome": outcome,
        "message": message,
        "reason": attempt.reason.label(),
        "reverted_by": reverted_by,
        "confirm_within_secs": attempt.confirm_within_secs,
        "command": attempt.change.ip_command(),
    })
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

    /// Appends one record and makes it durable (write, flush, fsync) before returning.
    pub fn append(&mut self, record: &Value) -> Result<(), AuditError> {
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
        let r = record(&actor(), at, &attempt);
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
        let r = record(&actor(), UNIX_EPOCH, &refused);
        assert_eq!((r["outcome"].as_str(), r["message"].as_str()), (Some("refused"), Some("EINVAL")));
        assert!(r["kept"].is_null());
        assert_eq!(r["time"], "1970-01-01T00:00:00Z");
        let revert =
            Attempt { reason: Reason::ConfirmTimeout, outcome: Ok(RateLimit::new(0, 1000)), ..refused };
        assert_eq!(record(&actor(), UNIX_EPOCH, &revert)["reverted_by"], "commit-confirmed timeout");
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
        log.append(&json!({"a": 1})).unwrap();
        log.append(&json!({"a": 2})).unwrap();
        assert_eq!(AuditLog::tail(&path, 1).unwrap(), vec![r#"{"a":2}"#.to_string()]);
        assert_eq!(AuditLog::tail(&path, 10).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
        let blocked = std::env::temp_dir().join(format!("vftop-audit-file-{}", std::process::id()));
        std::fs::write(&blocked, "a file, not a directory").unwrap();
        let err = AuditLog::open(&blocked.join("audit.log")).err().unwrap();
        std::fs::remove_file(&blocked).unwrap();
        assert!(err.to_string().contains("audit log"), "{err}");
    }
}
