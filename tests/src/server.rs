//! The sync server as a real child process.

use crate::{HarnessError, paths};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `hafla-server serve --demo` on a free port with its own data directory.
pub struct ServerProcess {
    url: String,
    child: Child,
    _data_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the server with the demo catalog and waits for the line that names its port.
    pub async fn start_demo() -> Result<ServerProcess, HarnessError> {
        let binary = paths::workspace_binary("hafla-server");
        let data_dir = tempfile::tempdir()?;
        let start_error = |reason: String| HarnessError::Start {
            what: format!("{}", binary.display()),
            reason,
        };
        let mut child = Command::new(&binary)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| start_error(format!("{e} (build the workspace first)")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| start_error("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let timeout = Duration::from_secs(60);
        let url = tokio::time::timeout(timeout, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    return Ok(rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned());
                }
            }
            Err(start_error("exited before listening".into()))
        })
        .await
        .map_err(|_| HarnessError::Timeout {
            what: "hafla-server".into(),
            timeout,
        })??;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServerProcess {
            url,
            child,
            _data_dir: data_dir,
        })
    }

    /// The server's root URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's data folder (its SQLite database, secrets, outboxes).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}
