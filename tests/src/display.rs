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

impl VirtualDisplay {
    /// Starts Xvfb on the first free display from :90 and waits for its socket.
    pub async fn start() -> Result<VirtualDisplay, HarnessError> {
        let number = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
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
