//! The exporter's web config: TLS and basic auth in Prometheus's exporter-toolkit format
//! (`--web.config.file` of node_exporter and friends), the subset vftop supports:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt      # relative paths are relative to this file
//!   key_file: server.key
//! basic_auth_users:
//!   prometheus: $2y$10$...     # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded, checked web config.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    #[serde(default)]
    pub tls_server_config: Option<TlsConfig>,
    /// User name → bcrypt hash.
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
}

/// The server's certificate and key (PEM).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// Why a web config cannot be used; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("web config {}: {error}", path.display())]
    Unreadable { path: PathBuf, error: std::io::Error },
    /// Not YAML, or fields vftop does not know.
    #[error("web config {}: {error}", path.display())]
    Yaml { path: PathBuf, error: serde_norway::Error },
    #[error("web config {}: the password of {user} is not a bcrypt hash", path.display())]
    NotBcrypt { path: PathBuf, user: String },
    /// A TLS certificate or key file (resolved against the config's folder).
    #[error("web config {}: {} does not exist", path.display(), file.display())]
    Missing { path: PathBuf, file: PathBuf },
}

impl WebConfig {
    /// Reads and checks `path`: the YAML, the fields vftop knows (others are an error, not
    /// silently ignored), each user's hash is bcrypt, and the TLS files exist.
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| WebConfigError::Unreadable { path: path.to_path_buf(), error })?;
        let mut config: WebConfig = serde_norway::from_str(&text)
            .map_err(|error| WebConfigError::Yaml { path: path.to_path_buf(), error })?;
        for (user, hash) in &config.basic_auth_users {
            if bcrypt::verify("", hash).is_err() {
                return Err(WebConfigError::NotBcrypt { path: path.to_path_buf(), user: user.clone() });
            }
        }
        if let Some(tls) = &mut config.tls_server_config {
            let dir = path.parent().unwrap_or(Path::new("."));
            for file in [&mut tls.cert_file, &mut tls.key_file] {
                if file.is_relative() {
                    *file = dir.join(&file);
                }
                if !file.is_file() {
                    return Err(WebConfigError::Missing { path: path.to_path_buf(), file: file.clone() });
                }
            }
        }
        Ok(config)
    }
}

/// The users allowed in, for the basic-auth layer (empty: no authentication).
#[derive(Clone, Debug, Default)]
pub struct Users(Arc<BTreeMap<String, String>>);

impl Users {
    pub fn new(users: BTreeMap<String, String>) -> Users {
        Users(Arc::new(users))
    }

    /// Whether an `Authorization` header value names a user with the right password.
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(encoded) = authorization.and_then(|a| a.strip_prefix("Basic ")) else { return false };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Ok(text) = String::from_utf8(decoded) else { return false };
        let Some((user, password)) = text.split_once(':') else { return false };
        self.0.get(user).is_some_and(|hash| bcrypt::verify(password, hash).unwrap_or(false))
    }
}

/// The basic-auth layer: 401 with a challenge unless the request's credentials are admitted.
pub async fn require_auth(State(users): State<Users>, request: Request, next: Next) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if users.admits(authorization) {
        return next.run(request).await;
    }
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"vftop\"")], "unauthorized\n")
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn users_need_the_right_password() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let users = Users::new([("prom".to_string(), hash)].into());
        let basic = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s));
        assert!(users.admits(Some(&basic("prom:s3cret"))));
        assert!(!users.admits(Some(&basic("prom:wrong"))));
        assert!(!users.admits(Some(&basic("other:s3cret"))));
        assert!(!users.admits(None));
        assert!(!users.admits(Some("Bearer x")));
        assert!(Users::default().admits(None), "no users: no authentication");
    }

    #[test]
    fn bad_configs_are_explained() {
        let dir = std::env::temp_dir().join(format!("vftop-webcfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            ("unknown.yml", "http_server_config:\n  http2: true\n", "unknown field `http_server_config`"),
            (
                "hash.yml",
                "basic_auth_users:\n  prom: plaintext\n",
                "the password of prom is not a bcrypt hash",
            ),
            (
                "tls.yml",
                "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n",
                "nope.crt does not exist",
            ),
            ("yaml.yml", "basic_auth_users: [", "web config"),
        ];
        for (name, text, expected) in cases {
            let err = WebConfig::load(&write(&dir, name, text)).unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains(name), "{name}: {err}");
        }
        write(&dir, "s.crt", "x");
        write(&dir, "s.key", "x");
        let ok = WebConfig::load(&write(
            &dir,
            "ok.yml",
            "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n",
        ))
        .unwrap();
        assert_eq!(ok.tls_server_config.unwrap().cert_file, dir.join("s.crt"), "relative to the config file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
