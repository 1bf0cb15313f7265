//! The sync server as a real child process.

use crate::{HarnessError, paths};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `hafla-server serve --demo` with its own data directory. It can be stopped and
/// started again on the same data and the same port (an outage the app lives through).
pub struct ServerProcess {
    url: String,
    port: u16,
    child: Option<Child>,
    data_dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

impl ServerProcess {
    /// Starts the server with the demo catalog on a free port and waits until it listens.
    pub async fn start_demo() -> Result<ServerProcess, HarnessError> {
        let data_dir = tempfile::tempdir()?;
        let (child, url) = spawn(data_dir.path(), "127.0.0.1:0").await?;
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .ok_or_else(|| HarnessError::Start {
                what: "hafla-server".into(),
                reason: format!("no port in {url}"),
            })?;
        Ok(ServerProcess {
            url,
            port,
            child: Some(child),
            data_dir,
        })
    }

    /// Stops the server (SIGTERM, its graceful shutdown; SIGKILL after 10 s).
    pub async fn stop(&mut self) -> Result<(), HarnessError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                child.kill().await?;
            }
        }
        Ok(())
    }

    /// Starts the server again on the same data folder and the same port.
    pub async fn start_again(&mut self) -> Result<(), HarnessError> {
        self.stop().await?;
        let addr = format!("127.0.0.1:{}", self.port);
        // The old socket may linger for a moment after the process ended.
        let mut last = None;
        for _ in 0..20 {
            match spawn(self.data_dir.path(), &addr).await {
                Ok((child, url)) => {
                    self.url = url;
                    self.child = Some(child);
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Err(last.expect("tried at least once"))
    }

    /// Makes `email` a platform admin with `password` (`hafla-server admin create`),
    /// creating the account if it does not exist.
    pub async fn create_admin(&self, email: &str, password: &str) -> Result<(), HarnessError> {
        let binary = paths::workspace_binary("hafla-server");
        let output = Command::new(&binary)
            .args(["admin", "create", "--email", email, "--data-dir"])
            .arg(self.data_dir.path())
            .env("HAFLA_ADMIN_PASSWORD", password)
            .stdin(Stdio::null())
            .output()
            .await?;
        if !output.status.success() {
            return Err(HarnessError::Start {
                what: "hafla-server admin create".into(),
                reason: format!(
                    "{}: {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
        Ok(())
    }

    /// The server's root URL, e.g. `http://127.0.0.1:41234` (the same after a restart).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's data folder (its SQLite database, secrets, outboxes).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

/// Starts `hafla-server serve --demo` on `addr` and waits for the line that names its URL.
async fn spawn(data_dir: &Path, addr: &str) -> Result<(Child, String), HarnessError> {
    let binary = paths::workspace_binary("hafla-server");
    let start_error = |reason: String| HarnessError::Start {
        what: format!("{}", binary.display()),
        reason,
    };
    let mut child = Command::new(&binary)
        .args(["serve", "--demo", "--addr", addr, "--data-dir"])
        .arg(data_dir)
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
    Ok((child, url))
}
