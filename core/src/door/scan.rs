//! A scan as a fact: what a door device recorded, stored in its log and pushed to the server
//! unchanged. The server keeps the same fields, so every device replays the same history.

use super::hlc::Hlc;
use super::verifier::{Direction, ScanEffect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One scan as stored and synced: a fact that is never changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct ScanRecord {
    /// Made by the scanning device (UUIDv7).
    pub id: Uuid,
    pub device_id: Uuid,
    /// 1, 2, 3… per device: the device's append-only log position.
    #[serde(with = "crate::wire::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub seq: u64,
    pub event_ref: u32,
    /// Only for credentials that verified; refused forgeries do not touch a ticket's history.
    pub ticket_serial: Option<u32>,
    pub ticket_type: Option<u16>,
    pub gate: String,
    pub direction: Direction,
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub device_time: jiff::Timestamp,
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hlc: Hlc,
    /// The verdict's stable key (`admitted`, `already_admitted`, …).
    pub verdict: String,
    pub effect: ScanEffect,
}
