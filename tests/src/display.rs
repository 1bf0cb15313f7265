//! A virtual X display (Xvfb) for the app's window.

use crate::HarnessError;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running Xvfb server on its own display number.
pub struct VirtualDisplay {
    name: String,
    _child: Child,
}

/// A display number is free when no live X server holds its lock. A server killed
/// outright (a test run stopped with SIGKILL) leaves its lock and socket behind: those
/// are removed, or the numbers would run out on a machine that runs the journeys often.
fn display_is_free(n: u32) -> bool {
    let lock = format!("/tmp/.X{n}-lock");
    let socket = format!("/tmp/.X11-unix/X{n}");
    let holder = std::fs::read_to_string(&lock)
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok());
    let alive = |pid: i32| {
        // SAFETY: kill(2) with signal 0 only asks whether the process exists (EPERM: it
        // does, as another user's).
        pid > 0
            && (unsafe { libc::kill(pid, 0) } == 0
                || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
    };
    match holder {
        Some(pid) if alive(pid) => false,
        Some(_) => {
            let _ = std::fs::remove_file(&lock);
            let _ = std::fs::remove_file(&socket);
            true
        }
        None if Path::new(&lock).exists() => false,
        None => {
            // A socket without a lock belongs to no one.
            let _ = std::fs::remove_file(&socket);
            true
        }
    }
}

impl VirtualDisplay {
    /// Starts Xvfb on the first free display from :90 and waits for its socket.
    pub async fn start() -> Result<VirtualDisplay, HarnessError> {
        let number =
            (90..200)
                .find(|&n| display_is_free(n))
                .ok_or_else(|| HarnessError::Start {
                    what: "Xvfb".into(),
                    reason: "no free display number".into(),
                })?;
        let name = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HarnessError::Start {
                what: "Xvfb".into(),
                reason: format!("{e} (install the xvfb package)"),
            })?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        crate::wait_until("Xvfb", Duration::from_secs(20), || {
            let ready = Path::new(&socket).exists();
            async move { ready.then_some(()) }
        })
        .await?;
        Ok(VirtualDisplay {
            name,
            _child: child,
        })
    }

    /// The `DISPLAY` value, e.g. `:90`.
    pub fn name(&self) -> &str {
        &self.name
    }
}
