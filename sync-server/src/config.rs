//! Server settings from three places, in this order of precedence:
//!
//! 1. command-line flags (`--addr …`),
//! 2. environment variables (`HAFLA_ADDR=…`),
//! 3. a TOML file given by `--config` / `HAFLA_CONFIG` (`addr = "…"`),
//! 4. built-in defaults.
//!
//! Secrets (SMTP password, Twilio token, token and OTP keys, OIDC client secrets) are never
//! read from the file or flags: only from environment variables or key files, and they are
//! never logged. The file may name key files (`token_key_file`).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_SMTP_PORT: u16 = 587;
pub const DEFAULT_PURGE_INTERVAL_SECS: u64 = 600;
pub const DEFAULT_MAIL_FROM: &str = "Hafla <no-reply@hafla.jo>";
/// How long an unpaid reservation holds its tickets.
pub const DEFAULT_ORDER_HOLD_SECS: u32 = 600;
/// How long an order paid by CliQ transfer waits for the organizer's confirmation.
pub const DEFAULT_CLIQ_HOLD_HOURS: u32 = 24;
/// Scheduled backups: hourly, two days of them kept.
pub const DEFAULT_BACKUP_INTERVAL_SECS: u64 = 3600;
pub const DEFAULT_BACKUP_KEEP: usize = 48;

/// The settings a config file may hold (every key optional; unknown keys are an error, so a
/// typo does not silently fall back to a default).
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub db_max_connections: Option<u32>,
    pub db_statement_timeout_secs: Option<u64>,
    pub purge_interval_secs: Option<u64>,
    /// Addresses or networks of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<Vec<String>>,
    pub db_acquire_timeout_secs: Option<u64>,
    pub order_hold_secs: Option<u32>,
    pub cliq_hold_hours: Option<u32>,
    pub master_key_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub token_key_file: Option<PathBuf>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_username: Option<String>,
    pub mail_from: Option<String>,
    pub backup_dir: Option<PathBuf>,
    pub backup_interval_secs: Option<u64>,
    pub backup_keep: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the config file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
}

impl FileConfig {
    /// Reads `path`, or returns the empty config when there is none.
    pub fn load(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: shown,
            // toml's message spans several lines with a source excerpt; keep the first.
            reason: e
                .message()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_owned()
                + &e.span()
                    .map(|s| format!(" (at byte {})", s.start))
                    .unwrap_or_default(),
        })
    }
}

/// The first of `flag_or_env` (clap already merged those two), the file's value, the default.
pub fn pick<T>(flag_or_env: Option<T>, file: Option<T>, default: impl FnOnce() -> T) -> T {
    flag_or_env.or(file).unwrap_or_else(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hafla.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_file_supplies_what_flags_and_environment_leave_open() {
        let (_dir, path) = write("addr = \"0.0.0.0:9000\"\nmail_from = \"Hafla <hi@hafla.jo>\"\n");
        let file = FileConfig::load(Some(&path)).unwrap();
        let addr = pick(None, file.addr, || DEFAULT_ADDR.parse().unwrap());
        assert_eq!(addr.to_string(), "0.0.0.0:9000");
        let flag: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(
            pick(Some(flag), file.addr, || DEFAULT_ADDR.parse().unwrap()),
            flag,
            "flags win"
        );
        let data_dir = pick(None, file.data_dir, || PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(data_dir, PathBuf::from("./data"), "defaults last");
    }

    #[test]
    fn unknown_keys_bad_values_and_missing_files_are_clear_errors() {
        let (_dir, path) = write("adress = \"0.0.0.0:9000\"\n");
        let err = FileConfig::load(Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("adress") && err.contains("hafla.toml"),
            "{err}"
        );
        let (_dir, path) = write("smtp_port = \"not a port\"\n");
        assert!(
            FileConfig::load(Some(&path))
                .unwrap_err()
                .to_string()
                .contains("not valid")
        );
        let err = FileConfig::load(Some(Path::new("/nowhere/hafla.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read") && !err.contains('\n'), "{err}");
    }
}
