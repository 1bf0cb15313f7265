//! The door: deciding offline whether a scanned ticket may enter, and remembering every scan.
//!
//! `verifier` is the pure decision (credential checks, then entry policy against the
//! ticket's scan history); `hlc` orders scans across devices; `conflicts` flags the
//! admissions that should not have happened once every device's scans meet; `store` (feature
//! `local-store`) keeps the door state and the append-only scan log in SQLite.

pub mod conflicts;
pub mod hlc;
pub mod scan;
#[cfg(feature = "local-store")]
pub mod store;
pub mod verifier;

pub use hlc::{Hlc, HlcClock};
pub use scan::ScanRecord;
pub use verifier::{
    Direction, DoorContext, EntryPolicy, PriorScan, RevocationReason, RotatingCheck, ScanEffect,
    Signal, Verdict, check_credential, decide,
};
