//! The end-to-end harness: real processes, real windows.
//!
//! A journey calls [`Harness::start`] to get the sync server (a real `hafla-server` process on
//! a free port with demo data), a virtual display (Xvfb), and the real app in a WebKit
//! window driven over WebDriver (tauri-driver + WebKitWebDriver). Add a journey as a module
//! of `tests/journeys/` that uses these helpers.

pub mod api;
pub mod app;
pub mod display;
pub mod paths;
pub mod server;
pub mod steps;

pub use api::Api;
pub use app::{AppSession, Profile};
pub use display::VirtualDisplay;
pub use server::ServerProcess;

use std::time::Duration;

/// Why the harness could not set up a part of the system.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("cannot start {what}: {reason}")]
    Start { what: String, reason: String },
    #[error("{what} did not become ready within {timeout:?}")]
    Timeout { what: String, timeout: Duration },
    #[error("WebDriver: {0}")]
    WebDriver(String),
    #[error("server API: {0}")]
    Api(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Everything one journey needs: a server, a display, and the app connected to the server.
pub struct Harness {
    pub server: ServerProcess,
    pub app: AppSession,
    // Dropped last: the app's window lives on it.
    pub display: VirtualDisplay,
}

impl Harness {
    /// Starts a demo server, a display and the app pointed at the server.
    pub async fn start() -> Result<Harness, HarnessError> {
        let server = ServerProcess::start_demo().await?;
        let display = VirtualDisplay::start().await?;
        let app = AppSession::start(&display, server.url()).await?;
        Ok(Harness {
            server,
            app,
            display,
        })
    }
}

/// Polls `check` until it yields a value or `timeout` passes.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<T, HarnessError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(HarnessError::Timeout {
                what: what.to_owned(),
                timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A free TCP port on loopback (the OS picks; the listener is closed before use).
pub fn free_port() -> Result<u16, HarnessError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
