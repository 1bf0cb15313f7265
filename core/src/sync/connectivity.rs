//! Online or offline, derived from what actually happened: every request's outcome and the
//! live hint stream. There is no manual switch (pretix's door app has one, and staff forget
//! it); the app shows what the last contact with the server said.

use super::client::RequestError;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// Nothing tried yet.
    Unknown,
    /// The last contact reached the Hafla server (even if it refused the request).
    Online,
    /// The last attempt did not reach it (no network, or something else answered, like a
    /// captive portal).
    Offline,
}

/// Shared by the engine and its hint listener; the UI subscribes.
#[derive(Clone)]
pub struct ConnectivityMonitor {
    tx: Arc<watch::Sender<Connectivity>>,
}

impl Default for ConnectivityMonitor {
    fn default() -> Self {
        ConnectivityMonitor {
            tx: Arc::new(watch::Sender::new(Connectivity::Unknown)),
        }
    }
}

impl ConnectivityMonitor {
    pub fn subscribe(&self) -> watch::Receiver<Connectivity> {
        self.tx.subscribe()
    }

    pub fn current(&self) -> Connectivity {
        *self.tx.borrow()
    }

    /// Learns from a request's outcome.
    pub fn observe<T>(&self, outcome: &Result<T, RequestError>) {
        match outcome {
            Ok(_) => self.set(Connectivity::Online),
            Err(e) if e.reached_server() => self.set(Connectivity::Online),
            Err(_) => self.set(Connectivity::Offline),
        }
    }

    pub fn set(&self, state: Connectivity) {
        self.tx.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_means_offline_and_any_answer_of_the_server_means_online() {
        let monitor = ConnectivityMonitor::default();
        let mut rx = monitor.subscribe();
        assert_eq!(*rx.borrow(), Connectivity::Unknown);
        monitor.observe::<()>(&Err(RequestError::Unreachable {
            url: "http://x".into(),
            reason: "refused".into(),
        }));
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), Connectivity::Offline);
        monitor.observe::<()>(&Err(RequestError::Status {
            status: 403,
            code: None,
            message: "no".into(),
            retry_after: None,
        }));
        assert_eq!(*rx.borrow_and_update(), Connectivity::Online);
        monitor.observe::<()>(&Ok(()));
        assert!(!rx.has_changed().unwrap(), "no news is not a change");
    }
}
