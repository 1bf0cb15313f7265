//! The client side of the sync protocol (feature `client`): keeping the device's SQLite
//! copy of its scopes up to date, sending its outbox, exchanging door scans, and listening
//! for live hints. Shapes live in `wire::sync`; this module is the behaviour.
//!
//! * `local` — applying pages (rows, cursor, typed projections) in one transaction, digests,
//!   the outbox and what the app reads from the copy.
//! * `search` — offline search over the synced catalog.
//! * `client` — the HTTP calls.
//! * `engine` — pulling a scope to completion, pushing, scans, the long-running loop.
//! * `hints` — the event-stream parser and the reconnecting hint listener.
//! * `backoff` — exponential backoff with full jitter.
//! * `connectivity` — online/offline derived from request outcomes.

pub mod backoff;
pub mod client;
pub mod connectivity;
pub mod engine;
pub mod hints;
pub mod local;
pub mod search;

#[cfg(test)]
mod test_peer;

pub use backoff::{Backoff, RetryPolicy};
pub use client::{RequestError, SyncClient};
pub use connectivity::{Connectivity, ConnectivityMonitor};
pub use engine::{
    EngineConfig, Progress, PullReport, PushReport, ScanReport, SyncEngine, SyncError, SyncReport,
};
pub use local::{DoorStatus, LocalError, ScopeState, SyncDb};

use crate::wire::sync::Scope;
use uuid::Uuid;

/// A scope as the device asks for it: door and org scopes are reached through their
/// organization, which the scope's name does not carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncTarget {
    Catalog,
    Me,
    Org(Uuid),
    Door { org: Uuid, event: Uuid },
}

impl SyncTarget {
    pub fn scope(&self) -> Scope {
        match *self {
            SyncTarget::Catalog => Scope::Catalog,
            SyncTarget::Me => Scope::Me,
            SyncTarget::Org(org) => Scope::Org(org),
            SyncTarget::Door { event, .. } => Scope::Door(event),
        }
    }

    /// The pull endpoint's path.
    pub fn path(&self) -> String {
        match self {
            SyncTarget::Catalog => "/api/v1/sync/catalog".into(),
            SyncTarget::Me => "/api/v1/sync/me".into(),
            SyncTarget::Org(org) => format!("/api/v1/sync/orgs/{org}"),
            SyncTarget::Door { org, event } => format!("/api/v1/sync/orgs/{org}/door/{event}"),
        }
    }
}
